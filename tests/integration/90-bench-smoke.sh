#!/usr/bin/env bash
# The benchmark, briefly (BENCH_QUICK=1: two source counts, one run,
# half-second windows): it runs to the end, leaves nothing behind, and
# what it writes is sane: every system measured and every figure
# positive, tidegate dropping what it should, a chart. It judges no
# target; `make bench` is the benchmark.
. "$(dirname "$0")/../lib/bench_smoke.sh"
for t in nft ip6tables-legacy gnuplot; do
	command -v "$t" >/dev/null || skip_all "$t is missing: run scripts/install-deps.sh"
done

OUTDIR=$(mktemp -d /tmp/tidegate-bench-smoke.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT
# The sandbox's names, so that what is left behind is ours to find.
export SB_ID=bs$$

start=$(date +%s)
BENCH_QUICK=1 BENCH_OUT=$OUTDIR timeout 120 "$ROOT/scripts/bench.sh" "$TG" \
	>"$OUTDIR/stdout" 2>"$OUTDIR/stderr"
rc=$?
secs=$(($(date +%s) - start))
is "$rc" 0 "BENCH_QUICK=1 scripts/bench.sh exits 0" || {
	diag "stderr:"
	while IFS= read -r l; do diag "  $l"; done < <(tail -15 "$OUTDIR/stderr")
}
between "$secs" 1 60 "  within a minute (${secs}s)"
grep -q "^| sources | bare XDP drop | tidegate" "$OUTDIR/stdout"
ok $? "  it printed the table"

no_sandbox_left
pgrep -f "tg-bench serve" | while read -r p; do
	grep -qa "$SB_ID" "/proc/$p/environ" 2>/dev/null && echo "$p"
done | grep -q . && left=1 || left=0
is "$left" 0 "no tg-bench server left running"

python3 - "$OUTDIR/results.json" >"$OUTDIR/check" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
def check(cond, what):
    print(("ok   " if cond else "BAD  ") + what)
    if not cond:
        bad.append(what)
ab = r["absorbed"]
check(sorted(ab, key=int) == ["1", "1000"], "absorbed has 1 and 1000 sources: %s" % sorted(ab))
for n, row in ab.items():
    for s in ("drop", "tidegate", "nft", "iptables"):
        v = row[s]["rx_pps"]
        check(isinstance(v, (int, float)) and v > 10000, f"{s} at {n} sources absorbed {v} pps")
    for s in ("tidegate", "nft", "iptables"):
        f = row[s]["drop_fraction"]
        check(f is not None and f > 0.8, f"{s} at {n} sources dropped {f} of what it took in")
    check(row["tidegate_vs_drop"] is not None and 0.02 < row["tidegate_vs_drop"] <= 2.0,
          f"tidegate / drop at {n} sources is a ratio: {row['tidegate_vs_drop']}")
    check(row["tidegate"]["ns_per_run"] and row["tidegate"]["ns_per_run"] > 0,
          f"tidegate's live ns per packet at {n} sources: {row['tidegate']['ns_per_run']}")
    # The receiver's own time: about the bare drop's or more for every
    # filter (a fifth under it allowed: one run, a noisy machine).
    d = row["drop"]["rx_ns"]
    check(d and d > 0, f"the bare drop's receiver takes {d} ns a frame at {n} sources")
    for s in ("tidegate", "nft", "iptables"):
        v = row[s]["rx_ns"]
        check(v and d and v > d * 0.8,
              f"{s}'s receiver takes {v} ns a frame at {n} sources (bare drop {d})")
c = r["cost"]
check(c.get("bare_drop_ns", 0) > 0, f"bare drop costs {c.get('bare_drop_ns')} ns")
for row in c.get("by_sources", []):
    for k in ("dropped_syn_v6", "dropped_syn_v6_edge", "allowed_syn_v6", "non_syn_v6"):
        check(row.get(k, 0) > 0, f"{k} with {row['sources']} sources: {row.get(k)} ns")
    check(row["present"] == row["sources"], f"all {row['sources']} prefilled sources present")
mem = r["memory"]["tables"]
check(all(0 < t["bytes_per_source"] < 1024 for t in mem),
      "bytes per source: %s" % [t["bytes_per_source"] for t in mem])
lat = r["latency"]
for s in ("none", "pass", "tidegate"):
    check(lat[s]["median_us"] and lat[s]["median_us"] > 0 and lat[s]["failures"] == 0,
          f"connect latency with {s}: {lat[s]['median_us']} us, {lat[s]['failures']} failed")
check(len(r["targets"]) >= 8, "targets judged: %d" % len(r["targets"]))
check(r["machine"].get("nproc", 0) >= 1 and r["machine"].get("kernel"), "machine recorded")
sys.exit(1 if bad else 0)
EOF
ok $? "results.json is sane" || while IFS= read -r l; do diag "  $l"; done <"$OUTDIR/check"
while IFS= read -r l; do diag "  $l"; done < <(grep -c "^ok" "$OUTDIR/check" | sed 's/^/checks passed: /')

[ -s "$OUTDIR/absorbed.png" ] && file "$OUTDIR/absorbed.png" 2>/dev/null | grep -q PNG ||
	head -c 8 "$OUTDIR/absorbed.png" | grep -q PNG
ok $? "the chart is a PNG"
done_testing
