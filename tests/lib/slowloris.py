#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""slowloris.py HOST PORT SOURCES PER_SOURCE EVERY DURATION

Slow HTTP clients: PER_SOURCE connections from each of SOURCES (a
comma-separated list of local addresses), each sending the start of a
request and then one byte every EVERY seconds, for DURATION seconds or
until the server closes it. Prints JSON: how many connected, how many the
server closed within 1 s (refused), how many it closed later (timed
out, with the times), how many were still open at the end.
"""
import json
import select
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sources = sys.argv[3].split(",")
    per, every, duration = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    conns = {}
    t0 = time.monotonic()
    failed = 0
    for src in sources:
        for _ in range(per):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            try:
                s.connect((host, port))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                failed += 1
                s.close()
                continue
            conns[s] = {"opened": time.monotonic(), "next": time.monotonic() + every}
    connected = len(conns)
    refused, timed_out = 0, []
    while conns and time.monotonic() - t0 < duration:
        r, _, _ = select.select(list(conns), [], [], 0.1)
        now = time.monotonic()
        for s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue
            age = now - conns.pop(s)["opened"]
            s.close()
            if age < 1:
                refused += 1
            else:
                timed_out.append(int(age * 1000))
        for s, c in list(conns.items()):
            if now >= c["next"]:
                try:
                    s.send(b"X")
                except OSError:
                    pass
                c["next"] = now + every
    print(json.dumps({"connected": connected, "connect_failed": failed, "refused": refused,
                      "timed_out": len(timed_out),
                      "timed_out_after_max_ms": max(timed_out) if timed_out else 0,
                      "open_at_end": len(conns)}))


main()
