#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""gcra_verdict.py WINDOW_JSON BUCKET_JSON INTERVAL_NS BURST MIN_SECONDS

Decide whether one flooded source was admitted exactly
    burst + elapsed / interval
SYNs, from what syn_window.py measured on the data path (WINDOW_JSON)
and the source's bucket (BUCKET_JSON: tat_ns, admitted). Prints one
line per finding, "ok<TAB>text", "not ok<TAB>text" or "diag<TAB>text",
for the calling test to turn into TAP.
"""
import json
import sys


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    w = json.load(open(sys.argv[1]))
    b = json.load(open(sys.argv[2]))
    interval, burst = int(sys.argv[3]), int(sys.argv[4])
    min_ns = float(sys.argv[5]) * 1e9
    rate = 1e9 / interval
    if interval < 1_000_000:
        sys.exit("syn_window.py records gaps over 1 ms: the interval must be 1 ms or more")
    t = w["total"]
    admitted = b["admitted"]

    # The flood window, bracketed: the first SYN came in [first_lo,
    # first_hi], the last in [last_lo, last_hi].
    el_lo = w["last_lo"] - w["first_hi"]
    el_hi = w["last_hi"] - w["first_lo"]
    elapsed = (el_lo + el_hi) / 2
    exp_lo = burst + el_lo / interval
    exp_hi = burst + el_hi / interval
    expected = burst + elapsed / interval
    tol = max(0.01 * expected, 2)
    err = admitted - expected
    # GCRA's own record of when the first SYN came: a fresh bucket
    # starts at t_first + interval and every admitted SYN adds one
    # interval while the source stays over its limit.
    # A gap between SYNs that outlasts the bucket's credit (tat_ns less
    # now, one interval at least after an admitted SYN) moves tat_ns on by
    # what the gap has left over. The flood's start-up can leave such
    # gaps, before its SYNs have pushed tat_ns far ahead. A gap ending by
    # hi with A SYNs admitted before it leaves over no more than its
    # length less one interval, nor than hi less first_lo + A x interval
    # (the least tat_ns can be then).
    t_first = b["tat_ns"] - admitted * interval
    slack = sum(max(0, min(hi - lo - interval, hi - w["first_lo"] - a * interval))
                for lo, hi, a in w["gaps"])
    first_mid = (w["first_lo"] + w["first_hi"]) / 2
    cpus = [c["syn"] for c in w["per_cpu"]]
    tolerance = (burst - 1) * interval
    stalls = [hi - lo for lo, hi in w["stalls"]]
    longest = max(stalls, default=0)
    secs = elapsed / 1e9

    def line(ok, text):
        print(("ok" if ok else "not ok") + "\t" + text)

    def diag(text):
        print("diag\t" + text)

    diag("admitted %d, expected %.1f (burst %d + %.0f/s x elapsed), error %+.1f SYNs = %+.3f%%"
         % (admitted, expected, burst, rate, err, 100 * err / expected))
    diag("elapsed %.6f s on the data path (bracket %.6f..%.6f s); the flood says it ran %.3f s"
         % (secs, el_lo / 1e9, el_hi / 1e9, w["flood"]["seconds"]))
    diag("SYNs %d = %.0f/s = %.0fx the rate; allowed %d, dropped %d; SYNs per CPU %s"
         % (t["syn"], t["syn"] / secs, t["syn"] / secs / rate, t["allowed"], t["dropped"],
            cpus))
    diag("cas_retry %d, cas_exhausted %d; first SYN at %d ns (+-%.3f ms), by the bucket %d"
         % (t["cas_retry"], t["cas_exhausted"], first_mid,
            (w["first_hi"] - w["first_lo"]) / 2e6, t_first))
    diag("%d gaps of over 1 ms may have held no SYN; beyond the bucket's credit they add up to %.3f ms"
         % (len(w["gaps"]), slack / 1e6))
    diag("the flood paused %d times for 5 ms or more, at most %.1f ms (the burst covers %.0f ms)"
         % (len(stalls), longest / 1e6, tolerance / 1e6))

    # Each pause is seen from inside (the counter stood still at least
    # that long); a sample period or two more is all it could have been.
    line(longest + 2e6 < tolerance,
         "the flood never paused as long as the burst covers (%.1f ms < %.0f ms)"
         % (longest / 1e6, tolerance / 1e6))
    line(el_lo >= min_ns, "the flood lasted at least %.1f s on the data path (%.3f s)"
         % (min_ns / 1e9, el_lo / 1e9))
    line(t["syn"] >= 10 * rate * el_hi / 1e9,
         "it came at >= 10x the rate (%.0fx)" % (t["syn"] / (el_hi / 1e9) / rate))
    line(sum(1 for c in cpus if c > 0) >= 2,
         "the program ran on two CPUs (SYNs per CPU %s)" % cpus)
    line(t["allowed"] == admitted, "stats allowed (%d) == the bucket's admitted (%d)"
         % (t["allowed"], admitted))
    line(t["allowed"] + t["dropped"] == t["syn"], "allowed + dropped == syn")
    # A lost compare-and-swap is retried: no SYN is refused for losing.
    line(t["cas_exhausted"] == 0, "no SYN refused for losing its races (cas_exhausted %d)"
         % t["cas_exhausted"])
    line(exp_lo - tol <= admitted <= exp_hi + tol,
         "admitted %d == burst + rate x elapsed = %.1f (%.1f..%.1f), within %.1f"
         % (admitted, expected, exp_lo, exp_hi, tol))
    line(w["first_lo"] - interval <= t_first <= w["first_hi"] + interval + slack,
         "the bucket's tat_ns - admitted x interval is the first SYN's time"
         " (off by %.3f ms; the gaps allow %.3f ms)" % ((t_first - first_mid) / 1e6, slack / 1e6))


if __name__ == "__main__":
    main()
