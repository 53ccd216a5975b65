#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""fill_buckets.py PIN_DIR N

Fill PIN_DIR/tg_buckets with N made-up sources by batched updates
(BPF_MAP_UPDATE_BATCH, 65,536 a call), so that `tidegate top` can be
timed against a full table without sending a million SYNs. Source i is
the IPv6 /64 2001:db8:i::/64 (i in the two 16-bit groups after
2001:db8), rule 0; it has dropped i % 1000 SYNs and admitted i % 7,
except the ten loudest: source N-1-k for k < 10 has dropped 1,000,000
+ 10 - k, so the first of `top`'s list is known. Prints what it did as
JSON.
"""
import ctypes
import json
import os
import struct
import sys
import time

from bpfsys import BPF_MAP_UPDATE_BATCH, bpf, obj_get

KEY = struct.Struct("<16sI")     # struct tg_source
VALUE = struct.Struct("<QQQQ")   # struct tg_bucket
BATCH = 65536


class Batch(ctypes.Structure):
    _fields_ = [("in_batch", ctypes.c_uint64), ("out_batch", ctypes.c_uint64),
                ("keys", ctypes.c_uint64), ("values", ctypes.c_uint64),
                ("count", ctypes.c_uint32), ("map_fd", ctypes.c_uint32),
                ("elem_flags", ctypes.c_uint64), ("flags", ctypes.c_uint64)]


def main():
    pin_dir, n = sys.argv[1], int(sys.argv[2])
    fd = obj_get(os.path.join(pin_dir, "tg_buckets"))
    start = time.monotonic()
    done = 0
    while done < n:
        m = min(BATCH, n - done)
        keys = ctypes.create_string_buffer(KEY.size * m)
        vals = ctypes.create_string_buffer(VALUE.size * m)
        for j in range(m):
            i = done + j
            addr = struct.pack(">HHHH8x", 0x2001, 0x0db8, i >> 16, i & 0xFFFF)
            KEY.pack_into(keys, j * KEY.size, addr, 0)
            k = n - 1 - i
            dropped = 1_000_000 + 10 - k if k < 10 else i % 1000
            VALUE.pack_into(vals, j * VALUE.size, 0, i % 7, dropped, 0)
        attr = Batch(keys=ctypes.addressof(keys), values=ctypes.addressof(vals), count=m,
                     map_fd=fd)
        bpf(BPF_MAP_UPDATE_BATCH, attr)
        done += attr.count
    os.close(fd)
    json.dump({"filled": done, "seconds": round(time.monotonic() - start, 3)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
