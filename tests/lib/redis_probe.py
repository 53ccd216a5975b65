#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""redis_probe.py SOCKET KEY TAT_NS

Compare a key the daemon wrote with the bucket it mirrors, as the
daemon's own conversion would: TIME, GET and PTTL go to Redis in one
round trip between two CLOCK_MONOTONIC readings (the clock of the
bucket's tat_ns), and the offset between the clocks is taken at the
midpoint. Prints JSON: the value's error in µs against the converted
TAT, the TTL's error in ms against the time until the TAT, and the
round trip, which bounds both.
"""
import json
import socket
import sys
import time


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b"-", b":"):
        return rest.decode()
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    raise ValueError(line)


def main():
    path, key, tat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rb")
    cmd = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c)
                   for c in ([b"TIME"], [b"GET", key.encode()], [b"PTTL", key.encode()]))
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    s.sendall(cmd)
    now, val, pttl = read_reply(f), read_reply(f), read_reply(f)
    t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    mid = (t0 + t1) // 2
    off = int(now[0]) * 10**9 + int(now[1]) * 1000 - mid
    out = {"rtt_us": (t1 - t0) / 1000, "value": val, "pttl_ms": int(pttl),
           "tat_ahead_ms": (tat - mid) / 1e6}
    if val is not None:
        out["value_error_us"] = int(val) - (tat + off) / 1000
        out["ttl_error_ms"] = int(pttl) - (tat - mid) / 1e6
    print(json.dumps(out))


main()
