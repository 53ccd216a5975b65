#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A TCP proxy that can lose one reply on its way back, for
68-fleet-faults.sh: lose_reply.py LISTEN_PORT UPSTREAM_PORT ARM DONE MARK

It forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:UPSTREAM_PORT. While the
file ARM exists, the first client data that holds MARK (bytes) is sent
on, and from then on nothing the server sends on that connection reaches
the client: the server did what was asked, the client never hears of it
and gives up. ARM is then renamed to DONE. Every other connection, and
that one until MARK, passes whole."""
import os
import socket
import sys
import threading


def pump(src, dst, conn, upstream):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if upstream and not conn["lose"] and MARK in data and os.path.exists(ARM):
                try:
                    os.rename(ARM, DONE)
                    conn["lose"] = True
                except OSError:
                    pass  # armed by another connection first
            if upstream or not conn["lose"]:
                dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    try:
        server = socket.create_connection(("127.0.0.1", UPSTREAM), timeout=5)
        server.settimeout(None)
    except OSError:
        client.close()
        return
    conn = {"lose": False}
    up = threading.Thread(target=pump, args=(client, server, conn, True), daemon=True)
    down = threading.Thread(target=pump, args=(server, client, conn, False), daemon=True)
    up.start()
    down.start()
    up.join()
    down.join()
    client.close()
    server.close()


if __name__ == "__main__":
    LISTEN, UPSTREAM = int(sys.argv[1]), int(sys.argv[2])
    ARM, DONE, MARK = sys.argv[3], sys.argv[4], sys.argv[5].encode()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", LISTEN))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
