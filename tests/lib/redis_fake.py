#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""redis_fake.py MODE SOCKET [ARG]

A Redis server on a unix socket that misbehaves as a real one can, for
the tests of the daemon's deadlines. It speaks RESP to any client and
serves until killed.

  trickle SECONDS_PER_BYTE   every reply a well-formed 100 kB string sent
                             one byte at a time: each read comes quickly,
                             the reply never ends (a hostile server)
  endless-scan               prompt replies, but SCAN never ends: the
                             cursor is always 1 and no key comes
  loading SECONDS UPSTREAM   -LOADING to every data command for SECONDS
                             after it starts (TIME, PING, AUTH and SELECT
                             answer, as in a real Redis loading its
                             data), then a proxy to the real Redis at the
                             unix socket UPSTREAM

Each connection accepted is logged to stderr with the mode.
"""
import os
import socket
import sys
import threading
import time

ALWAYS = {b"TIME", b"PING", b"AUTH", b"SELECT", b"HELLO", b"CLIENT"}


def read_line(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise EOFError
    return line


def read_command(f):
    """One command: a RESP array of bulk strings, as hiredis sends it."""
    head = read_line(f)
    if head[:1] != b"*":
        raise ValueError(head)
    args = []
    for _ in range(int(head[1:])):
        n = int(read_line(f)[1:])
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise EOFError
        args.append(data[:-2])
    return args


def read_reply_raw(f):
    """One RESP reply, as the bytes that came."""
    line = read_line(f)
    kind = line[:1]
    if kind in (b"+", b"-", b":"):
        return line
    if kind == b"$":
        n = int(line[1:])
        return line + (f.read(n + 2) if n >= 0 else b"")
    if kind == b"*":
        n = int(line[1:])
        return line + b"".join(read_reply_raw(f) for _ in range(max(n, 0)))
    raise ValueError(line)


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def time_reply():
    ns = time.time_ns()
    return b"*2\r\n" + bulk(b"%d" % (ns // 10**9)) + bulk(b"%d" % (ns // 1000 % 10**6))


def plain_reply(args, scan_cursor=b"0"):
    cmd = args[0].upper()
    if cmd == b"TIME":
        return time_reply()
    if cmd == b"PING":
        return b"+PONG\r\n"
    if cmd == b"SCAN":
        return b"*2\r\n" + bulk(scan_cursor) + b"*0\r\n"
    if cmd == b"GETRANGE" or cmd == b"GET":
        return b"$-1\r\n"
    return b"+OK\r\n"


class Fake:
    def __init__(self, mode, args):
        self.mode = mode
        self.args = args
        self.t0 = time.monotonic()

    def serve(self, conn):
        f = conn.makefile("rb")
        up = upf = None
        try:
            while True:
                args = read_command(f)
                if self.mode == "trickle":
                    delay = float(self.args[0])
                    for b in bulk(b"7" * 100000):
                        conn.sendall(bytes([b]))
                        time.sleep(delay)
                elif self.mode == "endless-scan":
                    conn.sendall(plain_reply(args, scan_cursor=b"1"))
                elif self.mode == "loading":
                    loading = time.monotonic() - self.t0 < float(self.args[0])
                    if args[0].upper() in ALWAYS and (loading or args[0].upper() == b"TIME"):
                        conn.sendall(plain_reply(args))
                    elif loading:
                        conn.sendall(b"-LOADING Redis is loading the dataset in memory\r\n")
                    else:
                        if up is None:
                            up = socket.socket(socket.AF_UNIX)
                            up.connect(self.args[1])
                            upf = up.makefile("rb")
                        up.sendall(b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args))
                        conn.sendall(read_reply_raw(upf))
        except (EOFError, ValueError, OSError):
            pass
        finally:
            conn.close()
            if up is not None:
                up.close()


def main():
    mode, path = sys.argv[1], sys.argv[2]
    fake = Fake(mode, sys.argv[3:])
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        print("redis_fake %s: a connection" % mode, file=sys.stderr, flush=True)
        threading.Thread(target=fake.serve, args=(conn,), daemon=True).start()


main()
