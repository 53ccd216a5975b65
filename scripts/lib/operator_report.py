#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""operator_report.py - medians of scripts/bench-operator.sh's cells.

  operator_report.py OPERATOR.JSONL

Reads the "cell" rows (one per round, family, flood shape and system)
and the "machine" row; rewrites the file with them followed by one
"median" row per family, shape and system; prints the Markdown table.

A system's ratio to the ideal filter is taken within each round (the
two cells ran within a minute of each other, under the same flood and
the same background load of this shared machine), and the median of
those ratios is reported, as bench_report.py does for the absorbed
rows. The control, the ideal filter measured again in a cell of its
own ("filter-again"), gets its ratio the same way: its spread is what
the machine's noise makes of two identical systems. Beside each median
ratio, a 95% interval for it: the 2.5th and 97.5th percentiles of the
medians of 4,000 resamples of the rounds (a percentile bootstrap, with
a fixed seed so a file always reads the same). The median
requests/s of each system is reported beside it, and the flood's
datagrams that reached the server's stack per second: the
cell's to_stack less the load's own 5 per request (SYN, ACK, GET, FIN,
ACK), over the load's seconds and the flood's lead before it.
"""
import json
import random
import statistics
import sys

NAMES = {"none": "no XDP", "pass": "pass-all XDP", "filter": "ideal filter",
         "filter-again": "ideal filter again (control)",
         "tg-auto": "tidegate (auto)", "tg-off": "tidegate (cookies off)",
         "tg-on": "tidegate (cookies on)", "tg-budget": "tidegate (auto, low budget)",
         "tg-tight": "tidegate (auto, tight limit)"}
SHAPES = ["spoofed", "ten", "quiet"]
REQUEST_DATAGRAMS = 5


def rank(lst, v):
    return lst.index(v) if v in lst else len(lst)


def median_interval(xs, resamples=4000):
    """The 95% percentile-bootstrap interval of the median of xs."""
    rng = random.Random(1)
    meds = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(resamples))
    return meds[int(0.025 * resamples)], meds[int(0.975 * resamples) - 1]


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    cells = [r for r in rows if r["kind"] == "cell"]
    machine = next((r for r in rows if r["kind"] == "machine"), {})
    by_key, ideal = {}, {}
    for r in cells:
        by_key.setdefault((r["family"], r["shape"], r["system"]), []).append(r)
        if r["system"] == "filter":
            ideal[(r["run"], r["family"], r["shape"])] = r["rps"]
    lead = machine.get("lead_s", 0.5)
    meds = []
    for (fam, shape, system), rs in by_key.items():
        rps = [r["rps"] or 0 for r in rs]
        leaked = [max(0, r["to_stack"] - REQUEST_DATAGRAMS * (r["complete"] or 0)) /
                  ((r["ab_seconds"] or 0) + lead) for r in rs if "to_stack" in r]
        ratios = [(r["rps"] or 0) / ideal[(r["run"], fam, shape)] for r in rs
                  if ideal.get((r["run"], fam, shape))]
        meds.append({"kind": "median", "family": fam, "shape": shape, "system": system,
                     "rounds": len(rs), "rps": round(statistics.median(rps)),
                     "rps_min": round(min(rps)), "rps_max": round(max(rps)),
                     "vs_filter": round(statistics.median(ratios), 3) if ratios else None,
                     "vs_filter_min": round(min(ratios), 3) if ratios else None,
                     "vs_filter_max": round(max(ratios), 3) if ratios else None,
                     "vs_filter_ci95": ([round(x, 3) for x in median_interval(ratios)]
                                        if ratios else None),
                     "complete": sum(int(r["complete"] or 0) for r in rs),
                     "failed": sum(int(r["failed"] or 0) for r in rs),
                     "non2xx": sum(int(r["non2xx"] or 0) for r in rs),
                     "flood_pps": round(statistics.median([r["flood_pps"] for r in rs])),
                     "flood_to_stack_pps": round(statistics.median(leaked)) if leaked else None})
    meds.sort(key=lambda o: (o["family"], rank(SHAPES, o["shape"]),
                             rank(list(NAMES), o["system"])))
    with open(path, "w") as f:
        for r in cells + ([machine] if machine else []) + meds:
            f.write(json.dumps(r) + "\n")

    print("| family | flood | system | req/s, median (min–max) | vs ideal filter, "
          "median of rounds (min–max) | 95% interval of that median | failed | flood, pps "
          "| flood to the stack, /s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for o in meds:
        vs, ci = "–", "–"
        if o["vs_filter"] is not None and o["system"] != "filter":
            vs = "%.2fx (%.2f–%.2f)" % (o["vs_filter"], o["vs_filter_min"], o["vs_filter_max"])
            ci = "%.2f–%.2f" % tuple(o["vs_filter_ci95"])
        elif o["system"] == "filter":
            vs = "1.00x"
        print(f"| {o['family']} | {o['shape']} | {NAMES.get(o['system'], o['system'])} | "
              f"{o['rps']:,} ({o['rps_min']:,}–{o['rps_max']:,}) | {vs} | {ci} | "
              f"{o['failed'] + o['non2xx']} of {o['complete']:,} | {o['flood_pps']:,} | "
              f"{'–' if o['flood_to_stack_pps'] is None else format(o['flood_to_stack_pps'], ',')} |")
    if machine:
        print(f"\n{machine.get('rounds')} rounds of {machine.get('window_s')} s, flood --pps "
              f"{machine.get('pps')}; {machine.get('nproc')} CPUs, Linux "
              f"{machine.get('kernel')}; load average before {machine.get('loadavg_before')}, "
              f"after {machine.get('loadavg_after')}")


if __name__ == "__main__":
    main(sys.argv[1])
