# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""xdp_profile.py - a perf profile's samples put on a BPF program's lines.

    perf script -F ip,sym | python3 xdp_profile.py LINES.json [--hz HZ
        --seconds S --mpps M] [--top N] [--annotate N]

LINES.json is `tg-bench lines IFACE`: where each function and source
line of the program's JIT image lies. A sample whose address lies in
one of its functions goes to the line with the nearest address at or
below it; the others are counted by kernel symbol. With the sampling rate, the
window and the frames' rate, a share becomes ns per frame. --annotate
shows the instructions of the N heaviest lines, each with its samples,
disassembled by objdump from the image `tg-bench lines --image` wrote.
"""
import argparse
import bisect
import collections
import json
import os
import subprocess
import sys
import tempfile


class Image:
    """`tg-bench lines`' JSON, indexed: the functions' ranges and the
    lines by address."""

    def __init__(self, path):
        self.json = json.load(open(path))
        self.entry = self.json["funcs"][0]["name"]
        self.funcs = sorted((int(f["addr"], 16), int(f["addr"], 16) + f["len"])
                            for f in self.json["funcs"])
        self.starts = [a for a, _ in self.funcs]
        table = sorted(((int(l["addr"], 16), l) for l in self.json["lines"]),
                       key=lambda t: t[0])
        self.addrs = [a for a, _ in table]
        self.lines = [l for _, l in table]

    def line_at(self, ip):
        """The line whose code holds IP: within one of the functions (the
        JIT packs other programs' code right beside them), the line at or
        below it; else None."""
        f = bisect.bisect_right(self.starts, ip) - 1
        i = bisect.bisect_right(self.addrs, ip) - 1
        return self.lines[i] if f >= 0 and ip < self.funcs[f][1] and i >= 0 else None


def key(l):
    # A line inlined in several places of one function, or split by the
    # compiler, is one line: its samples are summed (by function).
    return (l["func"], l["file"], l["line"])


def parse(image, stream):
    by_line, outside, at = {}, collections.Counter(), collections.Counter()
    for row in stream:
        parts = row.split()
        if not parts:
            continue
        try:
            ip = int(parts[0], 16)
        except ValueError:
            continue
        l = image.line_at(ip)
        if l is None:
            outside[parts[1] if len(parts) > 1 else "?"] += 1
            continue
        at[ip] += 1
        first, n = by_line.get(key(l), (l, 0))
        by_line[key(l)] = (first, n + 1)
    return by_line, outside, at


def disassemble(image):
    """Each instruction of the image, as (address, text), by objdump."""
    blob = open(image.json["image"], "rb").read()
    out, offset = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in image.json["funcs"]:
            part = os.path.join(tmp, "f")
            with open(part, "wb") as w:
                w.write(blob[offset:offset + f["len"]])
            offset += f["len"]
            dis = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64",
                                  "--adjust-vma=" + f["addr"], part],
                                 capture_output=True, text=True, check=True).stdout
            for row in dis.splitlines():
                addr, _, rest = row.partition(":")
                try:
                    a = int(addr.strip(), 16)
                except ValueError:
                    continue
                # "bytes<TAB>instruction"; a long one goes on over lines
                # of bytes alone, which have no tab.
                if "\t" in rest.strip("\t"):
                    out.append((a, rest.strip("\t").split("\t", 1)[1].strip()))
    return out


def annotate(image, by_line, at, n, ns):
    """The instructions of the N heaviest lines, each with its samples."""
    keyed = collections.defaultdict(list)
    for a, text in disassemble(image):
        l = image.line_at(a)
        if l is not None:
            keyed[key(l)].append((a, text))
    for k, (l, total) in sorted(by_line.items(), key=lambda x: -x[1][1])[:n]:
        print(f'\n{l["file"]}:{l["line"]} ({ns(total).strip()}) {l["src"][:72]}')
        for a, text in keyed[k]:
            print(f"  {at[a]:6d}  {a:x}  {text}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines")
    ap.add_argument("--hz", type=float)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--mpps", type=float)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--annotate", type=int, default=0)
    a = ap.parse_args()
    image = Image(a.lines)
    lines, outside, at = parse(image, sys.stdin)
    n_prog = sum(n for _, n in lines.values())
    total = n_prog + sum(outside.values())
    if not total:
        sys.exit("xdp_profile: no samples")
    # ns of CPU per frame for N samples: each sample stands for 1/hz s.
    frames = a.mpps * 1e6 * a.seconds if a.hz and a.seconds and a.mpps else 0

    def ns(n):
        return f"{n / a.hz * 1e9 / frames:6.1f} ns" if frames else ""

    print(f"samples: {total}, in the program {n_prog} ({100 * n_prog / total:.1f}%) {ns(n_prog)}")
    print("\naround it (kernel symbols, by samples):")
    for sym, n in outside.most_common(12):
        print(f"  {100 * n / total:5.1f}% {ns(n)}  {sym}")
    if not n_prog:
        return
    print("\nin the program, by function:")
    funcs = collections.Counter()
    for l, n in lines.values():
        funcs[l["func"]] += n
    for f, n in funcs.most_common():
        print(f"  {100 * n / n_prog:5.1f}% {ns(n)}  {f}")
    print(f"\nin the program, by line (top {a.top}; a share of the program's samples;"
          f" [a function] where not {image.entry}):")
    for l, n in sorted(lines.values(), key=lambda x: -x[1])[: a.top]:
        where = f'{l["file"]}:{l["line"]}' + ("" if l["func"] == image.entry else f' [{l["func"]}]')
        print(f'  {100 * n / n_prog:5.1f}% {ns(n)}  {where:22s} {l["src"][:72]}')
    if a.annotate:
        print(f"\nthe {a.annotate} heaviest lines' instructions, with their samples"
              " (a sample lands on the instruction after the one that waited):")
        annotate(image, lines, at, a.annotate, ns)


if __name__ == "__main__":
    main()
