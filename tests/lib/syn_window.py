#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""syn_window.py PIN_DIR -- COMMAND...

Run COMMAND (a flood) while watching tidegate's per-CPU counters in
PIN_DIR/tg_stats, and say on stdout, as JSON, when the data path saw its
first and its last limited SYN. Times are CLOCK_MONOTONIC nanoseconds,
the clock bpf_ktime_get_ns() reads, so they compare directly with the
bucket's tat_ns.

Each instant is bracketed by two samples of the counters: *_lo is the
clock just before the read that still saw the old count, *_hi the clock
just after the read that saw the new one, so the SYN certainly came in
between. The samples are read with the bpf() syscall itself (no bpftool
process per sample), a few hundred microseconds apart, so the brackets
are narrow.
"""
import ctypes
import json
import os
import subprocess
import sys
import time

from bpfsys import BPF_MAP_LOOKUP_ELEM, bpf, obj_get

# struct tg_counters in include/tidegate.h: one __u64 per row of the
# TG_COUNTERS list, in order. Read from the header itself, so a counter
# added there cannot shift the per-CPU reads here (a hand-kept list went
# stale twice).
def _counters():
    import re
    hdr = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include",
                       "tidegate.h")
    with open(hdr) as f:
        text = f.read()
    body = re.search(r"#define TG_COUNTERS\(X\)(.*?[^\\])\n", text, re.S).group(1)
    return re.findall(r"\bX\((\w+),", body)


COUNTERS = _counters()
SYN = COUNTERS.index("syn")
ALLOWED = COUNTERS.index("allowed")
# Report stretches of the flood longer than this with no SYN at all.
STALL_NS = 5_000_000
# Report every stretch that may have held no SYN for longer than this
# (GCRA forgives a gap up to one interval; intervals under test are 1 ms
# or more).
GAP_NS = 1_000_000


class MapElem(ctypes.Structure):
    _fields_ = [("map_fd", ctypes.c_uint32), ("pad", ctypes.c_uint32),
                ("key", ctypes.c_uint64), ("value", ctypes.c_uint64),
                ("flags", ctypes.c_uint64)]


def possible_cpus():
    n = 0
    with open("/sys/devices/system/cpu/possible") as f:
        for part in f.read().strip().split(","):
            lo, _, hi = part.partition("-")
            n += int(hi or lo) - int(lo) + 1
    return n


class Stats:
    def __init__(self, pin_dir):
        self.fd = obj_get(os.path.join(pin_dir, "tg_stats"))
        self.ncpu = possible_cpus()
        self.key = ctypes.c_uint32(0)
        self.val = (ctypes.c_uint64 * (len(COUNTERS) * self.ncpu))()
        self.attr = MapElem(map_fd=self.fd, key=ctypes.addressof(self.key),
                            value=ctypes.addressof(self.val))

    def per_cpu(self):
        bpf(BPF_MAP_LOOKUP_ELEM, self.attr)
        n = len(COUNTERS)
        return [list(self.val[c * n:(c + 1) * n]) for c in range(self.ncpu)]

    def syn_allowed(self):
        bpf(BPF_MAP_LOOKUP_ELEM, self.attr)
        n = len(COUNTERS)
        return (sum(self.val[c * n + SYN] for c in range(self.ncpu)),
                sum(self.val[c * n + ALLOWED] for c in range(self.ncpu)))


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    stats = Stats(sys.argv[1])
    # Ahead of the flood's threads for the CPU, so samples come on time.
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -10)
    except OSError:
        pass
    before = stats.per_cpu()
    syn0, allowed0 = stats.syn_allowed()
    t_before = time.monotonic_ns()
    flood = subprocess.Popen(sys.argv[3:], stdout=subprocess.PIPE)
    first_lo = first_hi = last_lo = last_hi = None
    prev_pre, prev_syn = t_before, syn0
    # SYNs admitted as read by the sample before the previous one: all
    # of them came before the previous sample began.
    prev_allowed = older_allowed = allowed0
    quiet_since = None
    samples = 0
    last_change = None
    last_change_lo = last_change_admitted = None
    stalls = []
    gaps = []
    # Sample until the flood has exited and the counter has been still
    # for 200 ms (frames still queued in the veth drain meanwhile).
    while True:
        pre = time.monotonic_ns()
        syn, allowed = stats.syn_allowed()
        post = time.monotonic_ns()
        samples += 1
        if syn != prev_syn:
            if first_hi is None:
                first_lo, first_hi = prev_pre, post
            else:
                if prev_pre - last_change > STALL_NS:
                    # Still from just after the previous change was seen
                    # to just before this one was: a stretch with no SYN.
                    stalls.append([last_change, prev_pre])
                if post - last_change_lo > GAP_NS:
                    # The longest the data path may have gone without a
                    # SYN: from before the previous change was read to
                    # after this one was, with how many SYNs had been
                    # admitted for certain before it began.
                    gaps.append([last_change_lo, post, last_change_admitted])
            last_lo, last_hi = prev_pre, post
            last_change, last_change_lo = post, prev_pre
            last_change_admitted = older_allowed - allowed0
            quiet_since = None
        elif flood.poll() is not None:
            quiet_since = quiet_since or post
            if post - quiet_since > 200_000_000:
                break
        prev_pre, prev_syn = pre, syn
        older_allowed, prev_allowed = prev_allowed, allowed
        time.sleep(0.0002)
    out_text = flood.stdout.read().decode(errors="replace")
    t_after = time.monotonic_ns()
    after = stats.per_cpu()
    delta = [[a - b for a, b in zip(ca, cb)] for ca, cb in zip(after, before)]
    try:
        flood_out = json.loads(out_text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        flood_out = out_text
    print(json.dumps({
        "flood_exit": flood.returncode,
        "flood": flood_out,
        "t_before": t_before, "t_after": t_after,
        "first_lo": first_lo, "first_hi": first_hi,
        "last_lo": last_lo, "last_hi": last_hi,
        "samples": samples,
        "stalls": stalls,
        "gaps": gaps,
        "per_cpu": [dict(zip(COUNTERS, c)) for c in delta],
        "total": {k: sum(c[i] for c in delta) for i, k in enumerate(COUNTERS)},
    }))


if __name__ == "__main__":
    main()
