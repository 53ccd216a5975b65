#!/usr/bin/env bash
# The operator's view, briefly (BENCH_QUICK=1: one round of one-second
# windows): it runs to the end, leaves nothing behind, and writes a row
# for every system, flood shape and family, in which the flood ran and
# stayed within its --pps (and reached the stack with no XDP or a
# pass-all one, not with the ideal filter), nginx answered requests
# wherever something kept the flood from the stack, and the medians
# hold a ratio to the ideal filter with an interval about it (the
# ideal filter again, the control, among them). It judges no target
# and no timing; `make bench` is the benchmark.
. "$(dirname "$0")/../lib/bench_smoke.sh"
for t in ab nginx; do
	command -v "$t" >/dev/null || skip_all "$t is missing: run scripts/install-deps.sh"
done

OUTDIR=$(mktemp -d /tmp/tidegate-bench-operator-smoke.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT
# The sandbox's names, so that what is left behind is ours to find.
export SB_ID=bo$$
PPS=1000000

BENCH_QUICK=1 BENCH_PPS=$PPS BENCH_OUT=$OUTDIR timeout 180 "$ROOT/scripts/bench-operator.sh" "$TG" \
	>"$OUTDIR/stdout" 2>"$OUTDIR/stderr"
rc=$?
is "$rc" 0 "BENCH_QUICK=1 scripts/bench-operator.sh exits 0" || {
	diag "stderr:"
	while IFS= read -r l; do diag "  $l"; done < <(tail -15 "$OUTDIR/stderr")
}
grep -q "^| family | flood | system | req/s" "$OUTDIR/stdout"
ok $? "  it printed the table"

no_sandbox_left
pgrep -f "tidegate-bench-operator-$SB_ID" >/dev/null && left=1 || left=0
is "$left" 0 "no nginx left running"
[ -z "$(ls -d /tmp/tidegate-bench-operator-"$SB_ID".* 2>/dev/null)" ]
ok $? "no temporary directory left"

python3 - "$OUTDIR/operator.jsonl" "$PPS" >"$OUTDIR/check" 2>&1 <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pps = int(sys.argv[2])
bad = []
# The cells whose flood reaches the stack whole: no XDP, an XDP program
# that passes everything, and tidegate without cookies against sources
# its table cannot hold (bench-operator.sh: tg-off). A window in which
# nginx answers nothing there is what is measured, not a fault.
def open_to(shape, system):
    if shape == "quiet":
        return False
    return system in ("none", "pass") or (system, shape) == ("tg-off", "spoofed")
def check(cond, what):
    print(("ok   " if cond else "BAD  ") + what)
    if not cond:
        bad.append(what)
cells = {(r["family"], r["shape"], r["system"]): r for r in rows if r["kind"] == "cell"}
meds = {(r["family"], r["shape"], r["system"]): r for r in rows if r["kind"] == "median"}
want = [(f, s, y) for f in ("ipv4", "ipv6") for s in ("spoofed", "ten")
        for y in ("none", "pass", "filter", "filter-again", "tg-auto", "tg-on", "tg-off")]
want += [(f, "quiet", y) for f in ("ipv4", "ipv6") for y in ("none", "tg-auto")]
for k in want:
    r = cells.get(k)
    check(r is not None, "a cell for %s" % (k,))
    if r is None:
        continue
    done, failed = r["complete"] or 0, (r["failed"] or 0) + (r["non2xx"] or 0)
    if open_to(k[1], k[2]):
        # ab must still have run and said how it went.
        check(r["complete"] is not None or r.get("ab_error"),
              "%s: ab reported (%d requests answered, error %s)"
              % (k, done, r.get("ab_error")))
    else:
        # The kernel's own SYN cookies take the load generator's SYNs when
        # no XDP program stops the flood: a rare failure is not ours to judge.
        check(done >= 100 and failed <= done / 100,
              "%s: %d requests answered, %d failed" % (k, done, failed))
    if k[1] != "quiet":
        check(r["flood_sent"] > 0, "%s: the flood ran (%d SYNs)" % (k, r["flood_sent"]))
        check(r["flood_pps"] <= pps * 1.25,
              "%s: the flood kept to --pps %d: %d" % (k, pps, r["flood_pps"]))
        # A request is 5 datagrams in (SYN, ACK, GET, FIN, ACK); allow 8.
        # The ideal filter lets none of the flood in, nor does tidegate
        # with cookies on against spoofed sources; no XDP lets in all of it.
        if k[2] in ("filter", "filter-again") or (k[2] == "tg-on" and k[1] == "spoofed"):
            check(r["to_stack"] <= 8 * done + r["flood_sent"] / 50,
                  "%s: the flood was kept from the stack: %d datagrams in, "
                  "%d requests, %d SYNs" % (k, r["to_stack"], done, r["flood_sent"]))
        if open_to(k[1], k[2]):
            check(r["to_stack"] >= r["flood_sent"] / 2,
                  "%s: with nothing to stop it the flood reached the stack: "
                  "%d datagrams in, %d SYNs"
                  % (k, r["to_stack"], r["flood_sent"]))
for k in want:
    m = meds.get(k)
    starved_ok = open_to(k[1], k[2])
    check(m is not None and (m["rps"] > 0 or starved_ok), "a median for %s" % (k,))
    if m and k[1] != "quiet":
        check(m["vs_filter"] is not None and (m["vs_filter"] > 0 or starved_ok),
              "%s: a ratio to the ideal filter: %s" % (k, m["vs_filter"]))
        ci = m.get("vs_filter_ci95")
        check(ci is not None and m["vs_filter"] is not None and ci[0] <= m["vs_filter"] <= ci[1],
              "%s: an interval about that ratio: %s" % (k, ci))
mach = [r for r in rows if r["kind"] == "machine"]
check(len(mach) == 1 and mach[0]["nproc"] >= 1 and mach[0]["loadavg_before"],
      "the machine and its load recorded")
sys.exit(1 if bad else 0)
EOF
# What failed last, where a CI log's tail shows it.
ok $? "operator.jsonl is sane" ||
	while IFS= read -r l; do diag "  $l"; done < <(grep -v "^BAD" "$OUTDIR/check"; grep "^BAD" "$OUTDIR/check")
diag "$(grep -c "^ok" "$OUTDIR/check") checks passed"
done_testing
