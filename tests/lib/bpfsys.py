# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""bpfsys.py - the bpf() syscall from Python, for the test helpers that
read or write tidegate's pinned maps faster than a bpftool process per
call could (fill_buckets.py, syn_window.py).

    import bpfsys
    fd = bpfsys.obj_get("/sys/fs/bpf/tidegate/eth1/tg_stats")
    bpfsys.bpf(bpfsys.BPF_MAP_LOOKUP_ELEM, attr)
"""
import ctypes
import os
import platform

BPF_MAP_LOOKUP_ELEM = 1
BPF_OBJ_GET = 7
BPF_MAP_UPDATE_BATCH = 26
NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "s390x": 351, "ppc64le": 361}

_libc = ctypes.CDLL(None, use_errno=True)
_NR = NR_BPF[platform.machine()]


class ObjGet(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32),
                ("file_flags", ctypes.c_uint32), ("path_fd", ctypes.c_int32)]


def bpf(cmd, attr):
    """bpf(cmd, &attr, sizeof(attr)); OSError with errno on failure."""
    ret = _libc.syscall(_NR, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def obj_get(path):
    """An fd of the map pinned at path."""
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, ObjGet(pathname=ctypes.addressof(p)))
