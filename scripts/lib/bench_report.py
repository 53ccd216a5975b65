#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""bench_report.py - turn scripts/bench.sh's raw figures into results.

Reads OUT/{machine.json, cost.json, memory.json, absorbed.jsonl,
latency.jsonl}; writes OUT/results.json, OUT/table.md, OUT/absorbed.dat
and OUT/absorbed.png (gnuplot), prints the table, and with --docs ROOT
rewrites the generated part of ROOT/BENCHMARKS.md (between its
bench:begin and bench:end markers) and copies the chart to
ROOT/docs/bench/absorbed.png.

Every figure is a median over runs; every ratio is taken within one run
(same sources, same minute of this shared machine) and then the median
of those ratios is reported.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

SYSTEMS = [("drop", "bare XDP drop"), ("tidegate", "tidegate"),
           ("nft", "nftables meter"), ("iptables", "iptables hashlimit")]
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def load_lines(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    except OSError:
        pass
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def mpps(v):
    return "-" if v is None else f"{v / 1e6:.2f}"


def fmt(v, digits=2, suffix=""):
    return "-" if v is None else f"{v:.{digits}f}{suffix}"


def fmt_against(v, limit, digits, suffix):
    """v as fmt prints it, with a digit more (up to 4) wherever fewer
    would print the limit itself for a value that is not it: 0.846x
    against 0.85x reads as missed, 0.85x would not."""
    while v is not None and v != limit and digits < 4 and \
            f"{v:.{digits}f}" == f"{limit:.{digits}f}":
        digits += 1
    return fmt(v, digits, suffix)


def absorbed(raw):
    """Medians per system and source count, and within-run ratios."""
    sources = sorted({r["sources"] for r in raw})
    runs = sorted({r["run"] for r in raw})
    by = {(r["run"], r["system"], r["sources"]): r for r in raw}
    table = {}
    for n in sources:
        row = {"sources": n}
        for sysname, _ in SYSTEMS:
            pts = [by[(k, sysname, n)] for k in runs if (k, sysname, n) in by]
            row[sysname] = {
                "rx_pps": median([p["rx_pps"] for p in pts]),
                "runs": [p["rx_pps"] for p in pts],
                "ns_per_run": median([p.get("ns_per_run") for p in pts]),
                "drop_fraction": median([p.get("drop_fraction") for p in pts]),
                "rx_ns": median([p.get("rx_ns") for p in pts]),
                "rx_frames_per_poll": median([p.get("rx_frames_per_poll") for p in pts]),
                "rx_full_polls": median([p.get("rx_full_polls") for p in pts]),
            }
        # The CPU time each system adds per packet to the bare drop's:
        # one CPU both floods and absorbs, so 1/rate is the whole loop's
        # time per packet, the flood's share the same for everyone.
        for sysname, _ in SYSTEMS[1:]:
            extra = []
            for k in runs:
                t, d = by.get((k, sysname, n)), by.get((k, "drop", n))
                if t and d and t.get("rx_pps") and d.get("rx_pps"):
                    extra.append(1e9 / t["rx_pps"] - 1e9 / d["rx_pps"])
            row[sysname]["extra_ns"] = median(extra)
        pts = [by[(k, "compact", n)] for k in runs if (k, "compact", n) in by]
        if pts:
            row["compact"] = {"rx_pps": median([p["rx_pps"] for p in pts]),
                              "ns_per_run": median([p.get("ns_per_run") for p in pts]),
                              "rx_ns": median([p.get("rx_ns") for p in pts])}
        # What the sender costs: the bare drop's whole loop, less what
        # its receiver took.
        row["sender_ns"] = median([1e9 / by[(k, "drop", n)]["rx_pps"] - by[(k, "drop", n)]["rx_ns"]
                                   for k in runs if (k, "drop", n) in by
                                   and by[(k, "drop", n)].get("rx_pps")
                                   and by[(k, "drop", n)].get("rx_ns")])
        for other in ("drop", "compact", "nft", "iptables"):
            ratios, rx_ratios = [], []
            for k in runs:
                t, o = by.get((k, "tidegate", n)), by.get((k, other, n))
                if t and o and t.get("rx_pps") and o.get("rx_pps"):
                    ratios.append(t["rx_pps"] / o["rx_pps"])
                # The receiver alone: rates are the inverse of its ns.
                if t and o and t.get("rx_ns") and o.get("rx_ns"):
                    rx_ratios.append(o["rx_ns"] / t["rx_ns"])
            if other != "compact":
                row[f"tidegate_vs_{other}"] = median(ratios)
            row[f"tidegate_vs_{other}_rx"] = median(rx_ratios)
        table[str(n)] = row
    return table


def latency(lines):
    out = {}
    for sysname in ("none", "pass", "tidegate"):
        pts = [l for l in lines if l["system"] == sysname]
        out[sysname] = {
            "median_us": median([p["median_us"] for p in pts]),
            "p99_us": median([p["p99_us"] for p in pts]),
            "min_us": min([p["min_us"] for p in pts if p.get("min_us")], default=None),
            "failures": sum(p.get("failures", 0) for p in pts),
            "connects": sum(p.get("count", 0) for p in pts),
        }
    for one, other in (("tidegate", "none"), ("pass", "none"), ("tidegate", "pass")):
        ratios = []
        for r in sorted({l["round"] for l in lines}):
            t = [l for l in lines if l["round"] == r and l["system"] == one]
            o = [l for l in lines if l["round"] == r and l["system"] == other]
            if t and o and o[0]["median_us"]:
                ratios.append(t[0]["median_us"] / o[0]["median_us"])
        out[f"{one}_vs_{other}"] = median(ratios)
    return out


# The SYNs tg-bench cost --rules times again with rules loaded that do
# not cover their sources.
RULE_CASES = ("dropped_syn_v6", "allowed_syn_v6", "dropped_syn_v4", "allowed_syn_v4")


def sender(raw):
    """How the floods went out: "live frames" unless any went otherwise
    (then the first other: "veth loop" or "packet socket")."""
    others = [r.get("sender") for r in raw if r.get("sender") not in (None, "live frames")]
    return others[0] if others else "live frames"


def has_rx_ns(ab):
    return any(ab[n][x].get("rx_ns") for n in ab for x in ("drop", "tidegate"))


def cost_row(cost, n):
    for row in (cost or {}).get("by_sources", []):
        if row["sources"] == n:
            return row
    return None


def targets(res):
    ab, cost, lat = res["absorbed"], res["cost"], res["latency"]
    out = []

    def add(name, value, limit, higher_is_better, unit="x", note=""):
        if value is None:
            met = None
        else:
            met = value >= limit if higher_is_better else value <= limit
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "met": met, "note": note})

    r1, r1m = ab.get("1"), ab.get("1000000")
    # A packet socket's sender costs the shared CPU far more per frame
    # than any system under test: the absorbed ratios then tend to 1
    # and say nothing of the targets.
    # The limits are issue 10's (0.4x at a million sources, 64 B a
    # source); runs before 2026-12-07 were judged against 0.6x and 128 B.
    # Through a veth loop, or worse a packet socket, the sender costs the
    # shared CPU several times what any receiver does, and the rates'
    # ratios tend to 1: the targets are then judged on the receiver's
    # own time per frame (its NAPI polls'), where there is one.
    how = sender(res["raw"])
    live = how == "live frames"
    key, why = "", ""
    if not live:
        if has_rx_ns(ab):
            key, why = "_rx", f"receiver alone (NAPI time per frame); the flood went by {how}"
        else:
            key, why = None, f"the flood went by {how}: not comparable"

    def pick(row, name):
        return row.get(name + key) if row and key is not None else None

    add("absorbed, 1 source, vs bare drop", pick(r1, "tidegate_vs_drop"), 0.85, True, note=why)
    add("absorbed, 1,000,000 sources, vs bare drop", pick(r1m, "tidegate_vs_drop"), 0.4, True,
        note=why)
    vs_nft = [v for v in (pick(row, "tidegate_vs_nft") for row in ab.values()) if v]
    vs_ipt = [v for v in (pick(row, "tidegate_vs_iptables") for row in ab.values()) if v]
    add("absorbed vs nftables meter (worst source count)", min(vs_nft) if vs_nft else None, 5, True,
        note=why)
    add("absorbed vs iptables hashlimit (worst source count)", min(vs_ipt) if vs_ipt else None,
        5, True, note=why)
    c1 = cost_row(cost, 1)
    bare = (cost or {}).get("bare_drop_ns")
    add("dropped-SYN cost vs bare drop (test run)",
        c1 and bare and c1["dropped_syn_v6"] / bare, 2, False,
        note="near the limit's edge: %s" % fmt(c1 and bare and c1.get("dropped_syn_v6_edge")
                                               and c1["dropped_syn_v6_edge"] / bare, 2, "x"))
    cm = cost_row(cost, 1000000)
    add("cost growth 1 -> 1,000,000 sources (test run, one hot source)",
        c1 and cm and cm["dropped_syn_v6"] / c1["dropped_syn_v6"], 1.5, False)
    l1 = r1 and r1["tidegate"]["ns_per_run"]
    lm = r1m and r1m["tidegate"]["ns_per_run"]
    add("cost growth 1 -> 1,000,000 sources (live flood, every source in turn)",
        l1 and lm and lm / l1, 1.5, False)
    ru = c1 and c1.get("rules")
    extra = ru and [ru[k] - c1[k] for k in RULE_CASES if k in ru and k in c1]
    add(f"a SYN's extra cost with {ru['count']:,} rules loaded, vs none (test run, median of "
        "dropped and allowed, IPv4 and IPv6)" if ru else
        "a SYN's extra cost with rules loaded, vs none (test run)",
        median(extra) if extra else None, 10, False, unit=" ns",
        note="the worst of them: %s" % fmt(max(extra) if extra else None, 2, " ns"))
    mem = [t["bytes_per_source"] for t in (res["memory"] or {}).get("tables", [])]
    add("map memory per tracked source", max(mem) if mem else None, 64, False, unit=" B")
    add("connect latency vs no XDP program (median)", lat.get("tidegate_vs_none"), 1.05, False,
        note="vs a pass-all XDP program: %s" % fmt(lat.get("tidegate_vs_pass"), 2, "x"))
    return out


def table_md(res):
    m, ab, cost, lat = res["machine"], res["absorbed"], res["cost"], res["latency"]
    s = m.get("settings", {})
    L = []
    L.append(f"Run {m.get('date')} on {m.get('nproc')} x {m.get('cpu')}, "
             f"{m.get('memory_gib')} GiB, Linux {m.get('kernel')} "
             f"(clocksource {m.get('clocksource')}), tidegate {m.get('commit')}; "
             f"{m.get('nft')}, {m.get('iptables')}.")
    L.append("")
    L.append(f"**Absorbed rate**, Mpps: IPv6 SYNs to port {s.get('port')} from N sources (one per /64), "
             f"each system limiting them to {s.get('rate')} per source with a burst of "
             f"{s.get('burst')}, after a warm-up that puts every source over its limit. "
             f"Median of {s.get('runs')} run(s) of {s.get('window_s')} s; ratios within a run.")
    L.append("")
    L.append("| sources | bare XDP drop | tidegate | nftables meter | iptables hashlimit "
             "| tidegate / drop | tidegate / nft | tidegate / iptables |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted(ab, key=int):
        r = ab[n]
        L.append(f"| {int(n):,} | {mpps(r['drop']['rx_pps'])} | {mpps(r['tidegate']['rx_pps'])} "
                 f"| {mpps(r['nft']['rx_pps'])} | {mpps(r['iptables']['rx_pps'])} "
                 f"| {fmt(r['tidegate_vs_drop'], 2, 'x')} | {fmt(r['tidegate_vs_nft'], 1, 'x')} "
                 f"| {fmt(r['tidegate_vs_iptables'], 1, 'x')} |")
    L.append("")
    how = sender(res["raw"])
    if how == "packet socket":
        L.append("This kernel refused live frames, so the flood went out through a packet "
                 "socket (`sender` in flood's output), which costs the shared CPU about a "
                 "microsecond a frame: the rates are the sender's and their ratios tend to "
                 "1. The CPU each system adds per packet below is skewed too: the sender "
                 "built an skb, which a veth copies for any XDP program "
                 "(`skb_pp_cow_data`) and netfilter uses as it is. The receiver's own time "
                 "per frame is further down.")
        L.append("")
    elif how == "veth loop":
        sn = median([ab[n].get("sender_ns") for n in ab])
        L.append("This kernel refused live frames, so the flood went out through a veth loop "
                 "(`tidegate flood --loop`; `sender` in flood's output): frames that circle "
                 "in XDP and send cloned copies out, no skb built, as with live frames; but "
                 f"each copy costs the shared CPU about {fmt(sn, 0)} ns to make (the bare "
                 "drop's whole time per frame, less its receiver's, below), several times "
                 "what a receiver takes, so the rates' ratios tend to 1. The receiver's own "
                 "time per frame is further down, and the absorbed targets are judged on it.")
        L.append("")
    L.append("One CPU both sends and takes in the flood, so 1/rate is the time of the whole "
             "loop per packet; less the bare drop's, it is the CPU time each system adds to "
             "take in and drop one SYN (ns, median of the within-run differences). "
             "\"Dropped\" is the share of the packets reaching each system that it dropped "
             "during the window, by its own counter: the measured path is the drop path.")
    L.append("")
    L.append("| sources | tidegate adds | nftables adds | iptables adds | nft / tidegate "
             "| iptables / tidegate | dropped: tidegate | nftables | iptables |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted(ab, key=int):
        r = ab[n]
        t, nf, ip = (r[x].get("extra_ns") for x in ("tidegate", "nft", "iptables"))
        L.append(f"| {int(n):,} | {fmt(t, 1)} | {fmt(nf, 1)} | {fmt(ip, 1)} "
                 f"| {fmt(t and nf and nf / t, 1, 'x')} | {fmt(t and ip and ip / t, 1, 'x')} "
                 f"| {fmt(r['tidegate']['drop_fraction'], 3)} "
                 f"| {fmt(r['nft']['drop_fraction'], 3)} | {fmt(r['iptables']['drop_fraction'], 3)} |")
    L.append("")
    if has_rx_ns(ab):
        have_compact = any(ab[n].get("compact", {}).get("rx_ns") for n in ab)
        L.append("**The receiver alone**, ns per frame: the server veth's NAPI polls' time "
                 "over the frames they took in, during the same floods (tg-bench sample "
                 "--napi-window, bpf/napi_time.bpf.c), which holds everything the receiver "
                 "does for a frame (off the ring, XDP, and for netfilter the skb, GRO and "
                 "the hook) and nothing of the sender. Its inverse is the rate one CPU "
                 "could absorb with nothing else to do; the ratios (within a run) are those "
                 "rates'.")
        L.append("")
        head = (["sources", "bare XDP drop"] + (["compact"] if have_compact else []) +
                ["tidegate", "nftables meter", "iptables hashlimit", "tidegate / drop"] +
                (["tidegate / compact"] if have_compact else []) +
                ["tidegate / nft", "tidegate / iptables",
                 "frames a poll (drop, tidegate, nft, iptables)", "full polls, nft"])
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "---:|" * len(head))
        for n in sorted(ab, key=int):
            r = ab[n]
            cells = [f"{int(n):,}", fmt(r["drop"].get("rx_ns"), 1)]
            if have_compact:
                cells.append(fmt(r.get("compact", {}).get("rx_ns"), 1))
            cells += [fmt(r[x].get("rx_ns"), 1) for x in ("tidegate", "nft", "iptables")]
            cells.append(fmt(r.get("tidegate_vs_drop_rx"), 2, "x"))
            if have_compact:
                cells.append(fmt(r.get("tidegate_vs_compact_rx"), 2, "x"))
            cells += [fmt(r.get("tidegate_vs_nft_rx"), 1, "x"),
                      fmt(r.get("tidegate_vs_iptables_rx"), 1, "x"),
                      ", ".join(fmt(r[x].get("rx_frames_per_poll"), 0)
                                for x in ("drop", "tidegate", "nft", "iptables")),
                      fmt(r["nft"].get("rx_full_polls"), 3)]
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
    L.append(f"**Per-packet cost**, ns, under BPF_PROG_TEST_RUN (median of {cost.get('runs')} x "
             f"{cost.get('repeat'):,} runs, this thread's CPU time: the program plus the "
             f"test-run loop). Bare XDP drop: **{fmt(cost.get('bare_drop_ns'))} ns**. "
             "\"Live\" is the attached program's own time per packet during the flood above "
             "(BPF_ENABLE_STATS, which adds its two clock reads: the bare drop reads "
             f"{fmt(ab.get('1', {}).get('drop', {}).get('ns_per_run'))} ns that way).")
    L.append("")
    prog = cost.get("program") or {}
    if prog:
        L.append(f"tidegate's program as the kernel runs it: {prog.get('xlated_insns')} "
                 f"instructions, {prog.get('jited_bytes')} bytes JITed; the verifier walked "
                 f"{prog.get('verified_insns')} instructions to prove it.")
        L.append("")
    L.append("| tracked sources | dropped SYN | dropped SYN near the edge | allowed SYN "
             "| non-SYN | dropped SYN, IPv4 | live, tidegate | live, bare drop |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in cost.get("by_sources", []):
        live = ab.get(str(row["sources"]), {})
        L.append(f"| {row['sources']:,} | {fmt(row.get('dropped_syn_v6'))} "
                 f"| {fmt(row.get('dropped_syn_v6_edge'))} | {fmt(row.get('allowed_syn_v6'))} "
                 f"| {fmt(row.get('non_syn_v6'))} | {fmt(row.get('dropped_syn_v4'))} "
                 f"| {fmt(live.get('tidegate', {}).get('ns_per_run'))} "
                 f"| {fmt(live.get('drop', {}).get('ns_per_run'))} |")
    L.append("")
    c1 = cost_row(cost, 1)
    ru = c1 and c1.get("rules")
    if ru:
        L.append(f"**With {ru['count']:,} rules loaded** (IPv4 /32 and /24, IPv6 /64 and /48, "
                 "deny and limit), at 1 tracked source, ns: the same SYNs from sources no rule "
                 "covers; from sources no rule covers in the /24 or /48 of one, which the "
                 "rule filter sends to the trie; and from sources a deny rule covers.")
        L.append("")
        L.append("| SYN | no rules | 10,000 rules | extra |".replace("10,000", f"{ru['count']:,}"))
        L.append("|---|---:|---:|---:|")
        for k in RULE_CASES:
            if k in ru and k in c1:
                L.append(f"| {k.replace('_', ' ')} | {fmt(c1[k])} | {fmt(ru[k])} "
                         f"| {fmt(ru[k] - c1[k])} |")
        for k in ("allowed_syn_v6", "allowed_syn_v4"):
            near = ru.get(k + "_near")
            if near is not None and k in c1:
                L.append(f"| {k.replace('_', ' ')}, from the /24 or /48 of a rule, no rule "
                         f"covering it | {fmt(c1[k])} | {fmt(near)} | {fmt(near - c1[k])} |")
        for k in ("denied_syn_v6", "denied_syn_v4"):
            if k in ru:
                L.append(f"| {k.replace('_', ' ')} (covered by a deny rule) | – | {fmt(ru[k])} | – |")
        L.append("")
    if any("compact" in ab[n] for n in ab):
        L.append("**The compact table's prototype** (`baseline_compact` in bpf/baseline.bpf.c: "
                 "64-byte lines of four keys and four GCRA arrival times, 16 B a way, sized "
                 "at half its ways, so 32 B a source; no rules, counters, log or fleet), "
                 "measured in the same runs: live ns per run, and what each adds to the bare "
                 "drop's. Under test run, a dropped SYN: "
                 f"{fmt(cost.get('compact_dropped_syn_ns'))} ns against the bare drop's "
                 f"{fmt(cost.get('bare_drop_ns'))} and tidegate's "
                 f"{fmt((cost_row(cost, 1) or {}).get('dropped_syn_v6'))}.")
        L.append("")
        L.append("| sources | live, bare drop | live, compact | live, tidegate | compact adds "
                 "| tidegate adds | compact / tidegate, added |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|")
        for n in sorted(ab, key=int):
            r = ab[n]
            d = r["drop"].get("ns_per_run")
            c = r.get("compact", {}).get("ns_per_run")
            t = r["tidegate"].get("ns_per_run")
            ca, ta = d and c and c - d, d and t and t - d
            L.append(f"| {int(n):,} | {fmt(d)} | {fmt(c)} | {fmt(t)} | {fmt(ca, 1)} "
                     f"| {fmt(ta, 1)} | {fmt(ca and ta and ca / ta, 2, 'x')} |")
        L.append("")
    mem = (res["memory"] or {}).get("tables", [])
    L.append("**Memory**, as the kernel accounts tg_buckets (memlock), per source slot: " +
             ", ".join(f"{t['bytes_per_source']:.1f} B at {t['max_sources']:,}" for t in mem) +
             (f"; the other maps hold {mem[0]['other_maps_bytes']:,} B whatever the size." if mem else "."))
    L.append("")
    ml = res.get("memlat") or []
    if ml:
        L.append("**A cache miss**, for reading the cost at many sources: one dependent load "
                 "at a random place in a buffer of " + ", ".join(
                     f"{m['mb']} MB takes {fmt(m.get('ns_4k_pages'), 0)} ns "
                     f"({fmt(m.get('ns_huge_pages'), 0)} with huge pages)" for m in ml) +
                 " (tg-bench memlat).")
        L.append("")
    L.append("**Connect latency**, µs, of sequential real connects through the server's veth: "
             "median and p99 are medians over rounds, each round measuring every system in "
             "turn; the ratio is the median of the within-round ratios of medians; min is the "
             "fastest connect of all.")
    L.append("")
    L.append("| XDP on the server | median | p99 | min | vs none | connects | failed |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for sysname, label in (("none", "none"), ("pass", "a pass-all program"),
                           ("tidegate", "tidegate (port limited, far under its rate)")):
        d = lat.get(sysname, {})
        ratio = lat.get(f"{sysname}_vs_none") if sysname != "none" else 1.0
        L.append(f"| {label} | {fmt(d.get('median_us'), 1)} | {fmt(d.get('p99_us'), 1)} "
                 f"| {fmt(d.get('min_us'), 2)} | {fmt(ratio, 2, 'x')} "
                 f"| {d.get('connects', 0)} | {d.get('failures', 0)} |")
    L.append("")
    L.append("**Targets**")
    L.append("")
    L.append("| target | measured | limit | |")
    L.append("|---|---:|---:|---|")
    for t in res["targets"]:
        mark = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        op = "≥" if t["target"].startswith("absorbed") else "≤"
        val = fmt_against(t["value"], t["limit"], 1 if t["unit"] == " B" else 2, t["unit"])
        note = f" ({t['note']})" if t.get("note") else ""
        L.append(f"| {t['target']}{note} | {val} | {op} {t['limit']}{t['unit']} | {mark} |")
    return "\n".join(L) + "\n"


def chart(res, out):
    ab = res["absorbed"]
    dat = os.path.join(out, "absorbed.dat")
    with open(dat, "w") as f:
        f.write("# sources " + " ".join(s for s, _ in SYSTEMS) + " (Mpps)\n")
        for n in sorted(ab, key=int):
            vals = [ab[n][s]["rx_pps"] for s, _ in SYSTEMS]
            f.write(n + " " + " ".join("NaN" if v is None else f"{v / 1e6:.4f}" for v in vals) + "\n")
    png = os.path.join(out, "absorbed.png")
    m = res["machine"]
    gp = os.path.join(out, "absorbed.gp")
    with open(gp, "w") as f:
        f.write(f"""set terminal pngcairo size 960,560 font ",11"
set output "{png}"
set title "SYN flood absorbed at one CPU: {m.get('nproc')}-core VM, Linux {m.get('kernel')}"
set xlabel "distinct flooding sources"
set ylabel "packets handled per second (millions)"
set logscale x
set xrange [0.5:*]
set yrange [0:*]
set grid
set key outside right top
set format x "10^{{%L}}"
""")
        f.write("plot " + ", \\\n     ".join(
            f'"{dat}" using 1:{i + 2} with linespoints lw 2 pt 7 title "{label}"'
            for i, (_, label) in enumerate(SYSTEMS)) + "\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write("bench_report: gnuplot: " + r.stderr)
        return None
    return png


def update_docs(root, md, png):
    path = os.path.join(root, "BENCHMARKS.md")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = md + "\n![Absorbed rate against the number of sources](docs/bench/absorbed.png)\n"
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + body + END + tail)
    if png:
        os.makedirs(os.path.join(root, "docs", "bench"), exist_ok=True)
        shutil.copyfile(png, os.path.join(root, "docs", "bench", "absorbed.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", help="the repository root, to update BENCHMARKS.md")
    a = ap.parse_args()
    raw = load_lines(os.path.join(a.out, "absorbed.jsonl"))
    res = {
        "machine": load_json(os.path.join(a.out, "machine.json"), {}),
        "absorbed": absorbed(raw),
        "cost": load_json(os.path.join(a.out, "cost.json"), {}),
        "memory": load_json(os.path.join(a.out, "memory.json"), {}),
        "memlat": load_json(os.path.join(a.out, "memlat.json"), []),
        "latency": latency(load_lines(os.path.join(a.out, "latency.jsonl"))),
        "raw": raw,
    }
    res["targets"] = targets(res)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    md = table_md(res)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(md)
    png = chart(res, a.out)
    sys.stdout.write(md)
    if a.docs:
        update_docs(a.docs, md, png)
    return 0 if raw else 1


if __name__ == "__main__":
    sys.exit(main())
