#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""notify_listen.py SOCKET SECONDS

What systemd does for a Type=notify service, for the tests: bind the
datagram socket a daemon finds in $NOTIFY_SOCKET and print each message
it sends (sd_notify(3)), one line per message, newlines as ";", until
SECONDS have passed or a message carries STOPPING=1.
"""
import os
import socket
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o777)  # the daemon may run as another user, as under systemd
end = time.monotonic() + seconds
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    print(msg.strip().replace("\n", ";"), flush=True)
    if "STOPPING=1" in msg.split("\n"):
        break
