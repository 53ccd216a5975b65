#!/usr/bin/env bash
# stats --watch: as text, a header and one line of rounded per-second
# rates per interval, whose SYN column adds up to the SYNs sent; with
# --json, unchanged: the totals, then every counter's per_second rate.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
it_one_syn_per_connect

HEADER="TIME      PACKETS      SYN  ALLOWED  DROPPED  WOULD_DROP  NEW_SOURCE  COOKIE_SENT  DENY_ALL"
# A rate as `stats --watch` prints it: three significant digits at most.
RATE='-?[0-9]{1,3}(\.[0-9]{1,2})?[kMGTPE]?/s'

# watch SECONDS ARGS... : `stats IF --watch 1 ARGS`, interrupted (SIGINT)
# SECONDS after it starts; OUT its output, RC its exit code. Five
# connects 1.3 s in.
watch() {
	local secs=$1 pid
	shift
	sb_srv timeout --preserve-status -s INT "$secs" "$SB_TIDEGATE" stats "$IF" --watch 1 "$@" \
		>"$IT_TMP/watch" 2>"$IT_TMP/watch.err" &
	pid=$!
	sleep 1.3
	is "$(it_connects 5 "$SB_SRV_IP" 80)" 5 "  5 connects while it watches"
	wait "$pid"
	RC=$?
	OUT=$(cat "$IT_TMP/watch")
}

# column N : the Nth field of every line but the header, summed and
# rounded (rates over ~1 s intervals add up to counts).
column() {
	awk -v n="$1" 'NR > 1 { v = $n; sub(/\/s$/, "", v); m = 1
		if (v ~ /k$/) m = 1e3; if (v ~ /M$/) m = 1e6; sub(/[kM]$/, "", v); s += v * m }
		END { printf "%d\n", s + 0.5 }' <<<"$OUT"
}

test_text() {
	tg_ok "attach --ports 80" attach "$IF" --ports 80 --json
	watch 4.5
	is "$RC" 0 "stats --watch 1 exits 0 on SIGINT" || diag "$(cat "$IT_TMP/watch.err")"
	is "$(head -n1 <<<"$OUT")" "$HEADER" "  a header of the columns"
	between "$(($(nlines "$OUT") - 1))" 3 5 "  then a line a second"
	! tail -n +2 <<<"$OUT" | grep -Evq "^[0-9]{2}:[0-9]{2}:[0-9]{2}(  +$RATE){8}\$"
	ok $? "  each the time and 8 rounded rates" || diag "$OUT"
	is "$(column 3)" 5 "  the SYN column adds up to the 5 SYNs" || diag "$OUT"
	is "$(column 4)" 5 "  ALLOWED too"
	is "$(column 5)" 0 "  none DROPPED"
}

test_json() {
	local first last
	watch 3 --json
	is "$RC" 0 "stats --watch 1 --json exits 0 on SIGINT"
	first=$(head -n1 <<<"$OUT")
	last=$(tail -n1 <<<"$OUT")
	is "$(json per_second <<<"$first" 2>/dev/null)" "" "  first the totals, without per_second"
	is "$(json syn <<<"$last")" "$(($(json syn <<<"$first") + 5))" \
		"  then the totals again: the last, 5 SYNs on"
	is "$(python3 -c 'import json, sys
o = json.loads(sys.argv[1])
print(sorted(o["per_second"]) == sorted(k for k in o if k not in ("interface", "per_second", "port_groups", "fleet")))' \
		"$last")" True "  and a per_second rate of every counter"
}

test_text
test_json
done_testing
