#!/usr/bin/env bash
# tidegate top against a million tracked sources: it answers (how long it
# takes is printed, not checked), ranks the loudest by drops correctly,
# and finds the source flooding right now by its rate. Also the memory
# a tracked source costs.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_has_flood || it_abort "this tidegate has no flood command"
N=1000000
PLAIN=$IT_ROOT/build/tidegate # the optimised build, as shipped; the suite's is sanitized

# timed COMMAND... : run it; MS is how long it took, OUT its output, RC its status.
timed() {
	local t0 t1
	t0=$(date +%s%N)
	OUT=$("$@" 2>"$IT_TMP/stderr")
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

test_fill() {
	local f per
	tg_ok "attach --max-sources 1048576" attach "$IF" --max-sources 1048576 --ports 80 --syn-cookies off --json
	f=$(python3 "$IT_LIB/fill_buckets.py" "$PIN_DIR" "$N")
	is "$(json filled <<<"$f")" "$N" "a million sources written by batched updates" ||
		it_abort "cannot fill the table"
	diag "filled in $(json seconds <<<"$f") s"
	per=$(bpftool map show pinned "$PIN_DIR/tg_buckets" -j |
		python3 -c 'import json,sys; m=json.load(sys.stdin); print(m["bytes_memlock"] // m["max_entries"])')
	diag "tg_buckets: $per bytes of memory per tracked source"
	between "$per" 1 128 "a tracked source costs at most 128 bytes of map memory ($per)"
}

test_timing() {
	local t tsan
	if [ -x "$PLAIN" ]; then
		timed sb_srv "$PLAIN" top "$IF" --json
		t=$MS
		is "$RC" 0 "top (optimised build) exits 0" || diag "  $(cat "$IT_TMP/stderr")"
		# A figure, not a check: how long it takes is the benchmark's
		# business (a loaded machine makes any bound here flaky).
		diag "top over $N sources, optimised build: $t ms"
		is "$(out tracked)" "$N" "  it saw all $N sources"
	else
		ok 0 "top, optimised build # SKIP no optimised build at $PLAIN"
	fi
	timed sb_tg top "$IF" --json
	tsan=$MS
	is "$RC" 0 "top (sanitized build) exits 0" || diag "  $(cat "$IT_TMP/stderr")"
	diag "top over $N sources, ASan+UBSan build: $tsan ms"
	is "$(out tracked)" "$N" "  it saw all $N sources"
	is "$(out by_drops.0.source)" "2001:db8:f:423f::/64" "  the loudest by drops first (source 999,999)"
	is "$(out by_drops.0.dropped)" 1000010 "  with its 1000010 drops"
	is "$(out by_drops.9.dropped)" 1000001 "  the tenth with 1000001"
	is "$(out by_drops.0.rule_is)" default "  under the default limit"
	tg_ok "top -n 3" top "$IF" -n 3 --json
	is "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["by_drops"]))' <<<"$OUT")" 3 \
		"  -n 3: three entries"
}

# A real flood from one source while top samples: that source tops the rates.
test_rate() {
	local rate
	sb_bg sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(sb_srv_mac)" --src 198.19.7.7 --sources 1 --count 100000000 \
		--duration 3 --json >/dev/null
	sleep 0.5
	tg_ok "top during a flood from 198.19.7.7" top "$IF" --json
	is "$(out by_rate.0.source)" 198.19.7.7 "  the flooding source has the highest rate"
	rate=$(out by_rate.0.rate_per_s | cut -d. -f1)
	[ "${rate:-0}" -gt 1000 ]
	ok $? "  at over 1000 SYN/s ($rate)"
	tg_ok "top (text)" top "$IF"
	[[ $OUT == *"198.19.7.7"* && $OUT == *"Most drops:"* ]]
	ok $? "  the text view names it too"
	wait
}

test_fill
test_timing
test_rate
done_testing
