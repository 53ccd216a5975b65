#!/usr/bin/env bash
# Rules survive a reboot: rules added with the CLI while the daemon runs
# are kept in its state file (STATE_DIR/rules/IFACE) within a second or
# two, rewritten when they change; after the daemon stops and the
# limiter is detached and its pins removed, as a reboot would, the next
# start puts them back before attaching: the denied client is dropped
# again, a --ttl ban keeps its expiry (the time that passed is taken
# off), and one whose time ran out meanwhile stays away. With the pins
# still there (a plain restart) nothing is put back: the pinned rules are
# the rules.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
. "$IT_LIB/rule_list.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
CONF=$IT_TMP/tidegate.conf
# The daemon runs in the server's namespace, which `ip netns` named: its
# interface names are its own, and so is its directory of rules.
STATE=$IT_TMP/state/rules/netns-$SB_SRV_NS/$IF

cat >"$CONF" <<CONF
[interface $IF]
rate = 100/second
ports = 80
CONF

# state_has N : until the state file holds N rules (5 s at most).
state_has() { until_rules "$1" cat "$STATE"; }

test_kept() {
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs" || it_abort "$(cat "$DM_LOG")"
	tg_ok "rule add $SB_CLI_IP deny" rule add "$IF" "$SB_CLI_IP" deny --json
	tg_ok "rule add 198.19.100.0/24 deny --all" rule add "$IF" 198.19.100.0/24 deny --all --json
	tg_ok "rule add 2001:db8:18::/64 limit" \
		rule add "$IF" 2001:db8:18::/64 limit 10/minute --burst 2 --shared --json
	tg_ok "rule add 198.19.0.9 deny --ttl 1h" rule add "$IF" 198.19.0.9 deny --ttl 1h --json
	tg_ok "rule add 198.19.0.10 deny --ttl 3s" rule add "$IF" 198.19.0.10 deny --ttl 3s --json
	T_ADD=$(date +%s%N)
	state_has 5
	ok $? "the daemon keeps the 5 rules in $STATE" || diag "$(cat "$STATE" 2>&1)"
	grep -qx "198.19.100.0/24 deny --all" "$STATE"
	ok $? "  in the words of 'rule list'" || diag "$(cat "$STATE")"
	is "$(stat -c %a "$STATE")" 640 "  mode 0640"
	[ ! -e "$IT_TMP/state/rules/$IF" ]
	ok $? "  not under rules/$IF, which is the initial namespace's interface of that name"
	[ ! -e "$STATE.tmp" ]
	ok $? "  no temporary file left"
	tg_ok "rule del 198.19.100.0/24" rule del "$IF" 198.19.100.0/24 --json
	state_has 4
	ok $? "a rule deleted: the file follows (4 rules)" || diag "$(cat "$STATE")"
	tg_ok "rule add 198.19.100.0/24 deny --all again" \
		rule add "$IF" 198.19.100.0/24 deny --all --json
	state_has 5
	ok $? "  and added back (5)" || diag "$(cat "$STATE")"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "the denied client's connect is dropped"
	BEFORE=$(rules | grep -v 198.19.0.10)
}

test_reboot() {
	local ttl0 t0 ttl ms elapsed
	ttl0=$(ttl_of 198.19.0.9/32)
	t0=$(date +%s%N)
	dm_stop TERM
	is "$?" 0 "the daemon stops, leaving the limiter attached"
	tg_ok "detach (pins and maps gone, as after a reboot)" detach "$IF" --json
	[ -e "$PIN_DIR" ]
	is "$?" 1 "  nothing pinned"
	# Past the 3 s ban's end, and a second or more off the hour's.
	ms=$(((4000000000 - ($(date +%s%N) - T_ADD)) / 1000000))
	[ "$ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	sleep 1
	dm_start --config "$CONF"
	dm_running
	ok $? "started again" || it_abort "$(cat "$DM_LOG")"
	grep -q "$IF: put back 4 rules kept in $STATE (the pinned maps were gone)" "$DM_LOG"
	ok $? "  it put back the 4 rules still in force" || diag "$(grep -v libbpf "$DM_LOG")"
	grep -q "$IF: attached" "$DM_LOG"
	ok $? "  into new maps, then attached" || diag "$(grep -v libbpf "$DM_LOG")"
	is "$(rules)" "$BEFORE" "  the same rules are in force"
	rules | grep -q 198.19.0.10
	is "$?" 1 "  the 3 s ban that ran out meanwhile is not"
	ttl=$(ttl_of 198.19.0.9/32)
	elapsed=$((($(date +%s%N) - t0) / 1000000000))
	between "$ttl" $((ttl0 - elapsed - 2)) $((ttl0 - elapsed + 1)) \
		"  the 1 h ban keeps its expiry: ${ttl}s left (${ttl0}s ${elapsed}s ago)"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "the denied client is dropped again"
	between "$(it_stat rule_deny)" 1 2 "  by its deny rule (a SYN, and perhaps its retransmission)"
}

test_restart_keeps_pins() {
	dm_stop TERM
	sb_tg rule add "$IF" 198.19.2.0/24 allow >/dev/null
	dm_start --config "$CONF"
	dm_running
	ok $? "a plain restart, the pins kept" || it_abort "$(cat "$DM_LOG")"
	grep -q "put back" "$DM_LOG"
	is "$?" 1 "  puts nothing back: the pinned rules are in force"
	rules | grep -q "198.19.2.0/24 allow"
	ok $? "  a rule added while it was stopped stays"
	state_has 5
	ok $? "  and is kept in the file too" || diag "$(cat "$STATE")"
	dm_stop TERM
}

test_kept
test_reboot
test_restart_keeps_pins
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
