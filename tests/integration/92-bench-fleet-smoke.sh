#!/usr/bin/env bash
# The fleet's benchmark, briefly (BENCH_QUICK=1: one interval, one
# window, a small throughput run): it runs to the end, leaves nothing
# behind, and writes a row of each kind with sane fields. It judges no
# target; `make bench` (scripts/bench-fleet.sh) is the benchmark.
. "$(dirname "$0")/../lib/bench_smoke.sh"
command -v redis-server >/dev/null || skip_all "redis-server is missing: run scripts/install-deps.sh"

OUTDIR=$(mktemp -d /tmp/tidegate-bench-fleet-smoke.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT
export SB_ID=bf$$

BENCH_QUICK=1 BENCH_OUT=$OUTDIR timeout 120 "$ROOT/scripts/bench-fleet.sh" "$TG" \
	>"$OUTDIR/stdout" 2>"$OUTDIR/stderr"
is "$?" 0 "BENCH_QUICK=1 scripts/bench-fleet.sh exits 0" || {
	diag "stderr:"
	while IFS= read -r l; do diag "  $l"; done < <(tail -15 "$OUTDIR/stderr")
}
grep -q "^| T | W | admitted" "$OUTDIR/stdout"
ok $? "  it printed the tables"

no_sandbox_left 't[gf]*'"$SB_ID"
pgrep -f "tidegate-bench-fleet-$SB_ID" >/dev/null && left=1 || left=0
is "$left" 0 "no redis-server left running"
[ -z "$(ls -d /tmp/tidegate-bench-fleet-"$SB_ID".* 2>/dev/null)" ]
ok $? "no temporary directory left"

python3 - "$OUTDIR/fleet.jsonl" >"$OUTDIR/check" 2>&1 <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = []
def check(cond, what):
    print(("ok   " if cond else "BAD  ") + what)
    if not cond:
        bad.append(what)
kinds = lambda k: [r for r in rows if r["kind"] == k]
check(len(kinds("machine")) == 1 and kinds("machine")[0]["nproc"] >= 1, "the machine recorded")
check(len(kinds("machine_after")) == 1, "the load after recorded")
for r in kinds("accuracy"):
    check(r["admitted"] > 0 and r["wall_s"] > 0 and r["bound_excess"] > 0,
          "accuracy at T = %d ms, W = %d s: %d admitted" % (r["t_ms"], r["w_s"], r["admitted"]))
check(len(kinds("accuracy")) >= 1, "an accuracy row")
check(len(kinds("propagation")) >= 1 and all(r["ms"] is not None for r in kinds("propagation")),
      "a propagation row, with a time")
for r in kinds("throughput"):
    check(r["acked"] > 0 and r["cycles_sampled"] > 0 and r["cycle_max_ms"] > 0,
          "throughput at T = %d ms: %d acked, %d cycles sampled" % (r["t_ms"], r["acked"], r["cycles_sampled"]))
    check(r["redis_cpu_us_per_delta"] is not None and r["redis_cpu_us_per_delta"] >= 0,
          "  Redis CPU per delta: %s us" % r["redis_cpu_us_per_delta"])
check(len(kinds("throughput")) >= 1, "a throughput row")
sys.exit(1 if bad else 0)
PY
ok $? "fleet.jsonl is sane" || while IFS= read -r l; do diag "  $l"; done <"$OUTDIR/check"
diag "$(grep -c "^ok" "$OUTDIR/check") checks passed"
done_testing
