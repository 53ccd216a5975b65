#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""rawsyn.py IFACE --dst-mac MAC --dst ADDR [options]

Send hand-made TCP segments out of IFACE with an AF_PACKET socket, for
tests that need what a real client does not send: many source
addresses, or an ACK of a flow whose handshake never completed. Frames
carry correct IPv4 and TCP checksums. Bounded by --count and
--duration; run it in the sandbox's client namespace only.

  --src ADDR         one source address (default: IFACE's own)
  --sources N        N sources counting up from --src (IPv4 or IPv6)
  --count C          frames in all, cycling through the sources (default N)
  --sport P --dport P   ports (default 40000, 80)
  --flags S|A|SA...  TCP flags (default S)
  --seq N            sequence number (default 1)
  --vlan ID          one 802.1Q tag
  --duration S       stop after S seconds whatever is left (default 30)
  --tiny-frag        IPv4 only: send each SYN as two fragments, the first
                     with only 8 bytes of TCP (MF set) zero-padded to the
                     60-byte Ethernet minimum, the second with the rest;
                     each SYN gets its own source port (--sport counting up)
Prints {"sent": n, "seconds": s} on stdout.
"""
import argparse
import ipaddress
import json
import socket
import struct
import sys
import time

FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def frame(src, dst, smac, dmac, sport, dport, flags, seq, vlan):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 64240, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                         src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        etype = 0x0800
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(tcp), 6)
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(tcp), 6, 64, src.packed, dst.packed)
        etype = 0x86DD
    eth = dmac + smac
    if vlan is not None:
        eth += struct.pack("!HH", 0x8100, vlan)
    return eth + struct.pack("!H", etype) + ip + tcp


def tiny_fragments(syn, ident):
    """An IPv4 SYN frame as two fragments: 8 bytes of TCP, then 12."""
    eth, ip, tcp = syn[:14], syn[14:34], syn[34:]

    def fragment(payload, frag_off):
        hdr = ip[:2] + struct.pack("!HHH", 20 + len(payload), ident, frag_off) + ip[8:10] \
            + b"\0\0" + ip[12:]
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return eth + hdr + payload

    first = fragment(tcp[:8], 0x2000)  # MF, offset 0
    return [first + bytes(60 - len(first)), fragment(tcp[8:], 1)]  # offset 8 bytes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--sources", type=int, default=1)
    ap.add_argument("--count", type=int)
    ap.add_argument("--sport", type=int, default=40000)
    ap.add_argument("--dport", type=int, default=80)
    ap.add_argument("--flags", default="S")
    ap.add_argument("--seq", type=int, default=1)
    ap.add_argument("--vlan", type=int)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--tiny-frag", action="store_true")
    a = ap.parse_args()

    src0 = ipaddress.ip_address(a.src)
    dst = ipaddress.ip_address(a.dst)
    flags = sum(FLAGS[c] for c in a.flags)
    count = a.count if a.count is not None else a.sources
    dmac = mac_bytes(a.dst_mac)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    # The interface's own MAC (/sys may show another namespace's).
    smac = s.getsockname()[4]
    if a.tiny_frag:
        if src0.version != 4 or a.vlan is not None:
            sys.exit("rawsyn.py: --tiny-frag is for untagged IPv4")
        # Each SYN its own flow and datagram id; a frame here is a pair.
        frames = [tiny_fragments(frame(src0 + i % a.sources, dst, smac, dmac,
                                       a.sport + i, a.dport, flags, a.seq, None), 1000 + i)
                  for i in range(count)]
    else:
        frames = [[frame(src0 + i, dst, smac, dmac, a.sport, a.dport, flags, a.seq, a.vlan)]
                  for i in range(min(a.sources, count))]
    start = time.monotonic()
    sent = 0
    while sent < count and time.monotonic() - start < a.duration:
        try:
            for f in frames[sent % len(frames)]:
                s.send(f)
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        except OSError as e:
            if e.errno == 105:  # ENOBUFS: the queue is full, wait
                time.sleep(0.001)
                continue
            raise
    json.dump({"sent": sent, "seconds": round(time.monotonic() - start, 3)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
