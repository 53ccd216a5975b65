#!/usr/bin/env bash
# The drop log: `tidegate log --json` follows it; a source's first
# over-limit SYN gives one line with source, prefix, rule, action and
# limit; a flood from 100,000 sources stays within the global budget
# (lines <= burst + rate x time), and every line is accounted for.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
it_has_flood || it_abort "this tidegate has no flood command"
LOG="$IT_TMP/log.json"
BUDGET=100
SOURCES=100000

log_follow() { it_log_follow "$1" "$LOG"; }
log_wait() {
	it_log_wait
	LOG_RC=$IT_LOG_RC
}

# line N FIELD : a field of the Nth line (from 0).
line() { sed -n "$(($1 + 1))p" "$LOG" | json "$2"; }

test_one_source() {
	tg_ok "attach --rate 1/minute --burst 1 --log-budget $BUDGET" \
		attach "$IF" --rate 1/minute --burst 1 --ports 80 --log-budget "$BUDGET" --json
	is "$(out limits.log_budget)" "$BUDGET" "  log budget $BUDGET lines/s"
	is "$(out limits.log_interval)" 10 "  log interval 10 s by default"
	log_follow 4
	it_connect "$SB_SRV_IP" 80 # the burst
	it_connect "$SB_SRV_IP" 80 # dropped: the first line
	it_connect "$SB_SRV_IP" 80 # dropped: within the interval, no line
	log_wait
	is "$LOG_RC" 0 "log exits 0 when interrupted" || diag "  $(cat "$IT_TMP/log.err")"
	is "$(wc -l <"$LOG")" 1 "two drops of one source: one line"
	is "$(line 0 source)" "$SB_CLI_IP" "  source $SB_CLI_IP"
	is "$(line 0 prefix)" "$SB_CLI_IP" "  its bucket: the address itself (/32)"
	is "$(line 0 rule)" 0 "  rule 0: the default limit"
	is "$(line 0 why)" limit "  why: limit"
	is "$(line 0 action)" drop "  action drop"
	is "$(line 0 limit)" 1/minute "  against 1/minute"
	is "$(line 0 dropped)" 1 "  its first drop"
	is "$(line 0 dport)" 80 "  to port 80"
	[[ $(line 0 time) =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z$ ]]
	ok $? "  a wall-clock time ($(line 0 time))"
}

# 100,000 sources from a denied range: each source's first drop asks
# for a line (and asks again with its next drop while the budget says
# no), the budget allows 100 a second (burst 100). The flood goes
# round the sources 3 times: it outruns the veth, whose receive ring
# drops what the program has no time for, and the later rounds bring in
# the sources the first lost (a source asks once per log interval).
test_budget() {
	local flood secs emitted exceeded lost buckets max lines before
	tg_ok "rule add 198.18.0.0/15 deny" rule add "$IF" 198.18.0.0/15 deny --json
	tg_ok "rule add 198.18.0.0/24 allow (the sandbox's own subnet)" \
		rule add "$IF" 198.18.0.0/24 allow --json
	before=$(it_stat new_source)
	log_follow 12
	flood=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(sb_srv_mac)" --src 198.18.64.0 --sources "$SOURCES" \
		--count $((3 * SOURCES)) --duration 8 --json 2>"$IT_TMP/flood.err")
	is "$?" 0 "flood from $SOURCES sources" || diag "  $(cat "$IT_TMP/flood.err")"
	diag "flood: $flood"
	secs=$(json seconds <<<"$flood")
	log_wait
	emitted=$(it_stat log_emitted)
	exceeded=$(it_stat log_budget_exceeded)
	lost=$(it_stat log_lost)
	buckets=$(($(it_stat new_source) - before))
	lines=$(wc -l <"$LOG")
	# one line, and its counts, from test_one_source before
	emitted=$((emitted - 1))
	diag "sources seen $buckets, lines $emitted, over the budget $exceeded, lost $lost," \
		"denied SYNs $(it_stat rule_deny), flood ${secs}s"
	[ "$buckets" -ge $((SOURCES * 9 / 10)) ]
	ok $? "at least 90% of the $SOURCES sources reached the program ($buckets)"
	[ "$exceeded" -ge $((buckets - emitted - lost)) ]
	ok $? "every source not logged asked and was refused by the budget ($exceeded refusals)"
	max=$(python3 -c "import math,sys; print(int($BUDGET + $BUDGET * (float(sys.argv[1]) + 0.5)))" "$secs")
	between "$emitted" "$BUDGET" "$max" \
		"lines within the budget: $BUDGET burst + $BUDGET/s over ${secs}s (+0.5 s)"
	is "$lost" 0 "  none lost: the ring buffer had room"
	is "$lines" "$emitted" "  and 'tidegate log' printed every one of them"
	is "$(grep -vc '"why":"deny"' "$LOG")" 0 "  the flood's lines all say: deny"
	is "$(line 0 prefix)" "$(line 0 source)" "  per source (/32)"
	[[ $(line 0 source) == 198.1[89].* ]]
	ok $? "  a flood source ($(line 0 source))"
}

# Sources asking again every second (--log-interval 1) through a flood
# of some 3 seconds: the budget's rate holds, not only its burst.
test_budget_rate() {
	local flood secs e0 e1 emitted max min
	tg_ok "set --log-interval 1" set "$IF" --log-interval 1 --json
	sleep 1.2 # the budget refills
	e0=$(it_stat log_emitted)
	log_follow 8
	flood=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(sb_srv_mac)" --src 198.18.64.0 --sources "$SOURCES" \
		--count 100000000 --duration 3 --json 2>"$IT_TMP/flood.err")
	is "$?" 0 "flood from $SOURCES sources for 3 s" || diag "  $(cat "$IT_TMP/flood.err")"
	secs=$(json seconds <<<"$flood")
	log_wait
	e1=$(it_stat log_emitted)
	emitted=$((e1 - e0))
	diag "flood: $(json sent <<<"$flood") SYNs in ${secs}s; lines $emitted; $(wc -l <"$LOG") printed"
	max=$(python3 -c "import sys; print(int($BUDGET + $BUDGET * (float(sys.argv[1]) + 0.5)))" "$secs")
	# Sources refused by the budget keep asking, so its whole rate is used.
	min=$(python3 -c "import sys; print(int($BUDGET + $BUDGET * float(sys.argv[1]) * 0.8))" "$secs")
	between "$emitted" "$min" "$max" \
		"lines: burst $BUDGET + $BUDGET/s over ${secs}s, no more (and the budget was used)"
	is "$(wc -l <"$LOG")" "$emitted" "  'tidegate log' printed every one"
}

test_one_source
test_budget
test_budget_rate
done_testing
