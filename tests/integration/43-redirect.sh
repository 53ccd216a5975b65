#!/usr/bin/env bash
# --action redirect:IFACE over veth: an over-limit SYN leaves by another
# interface and arrives in a third namespace, and so does the rest of
# its flow (an ACK of the same 5-tuple), but not another flow; counters
# say so. The third namespace has no addresses: what arrives there was
# redirected.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_create_redirect || it_abort "cannot create the redirect namespace"
sb_xdp_pass sb_red "$SB_RED_PEER" || it_abort "cannot give the redirect peer an XDP program"
command -v tcpdump >/dev/null || it_abort "tcpdump is missing: run scripts/install-deps.sh"
RAWSYN="$IT_LIB/rawsyn.py"
SRV_MAC=$(sb_srv_mac)
CAP="$IT_TMP/red.pcap"

# capture_start : tcpdump on the redirect peer, TCP only, for at most
# 15 s; returns once it says it is listening (a loaded machine can take
# more than a second to get there).
capture_start() {
	rm -f "$CAP" "$IT_TMP/tcpdump.err"
	# --immediate-mode: each packet handed over as it comes, not with the
	# ring's block when its timer (a second) retires it: a block not yet
	# retired when tcpdump is stopped is lost, whatever -U says.
	sb_bg sb_red timeout 15 tcpdump -i "$SB_RED_PEER" -n -U --immediate-mode -w "$CAP" tcp \
		2>"$IT_TMP/tcpdump.err"
	CAP_PID=${SB_PIDS[-1]}
	for _ in $(seq 100); do
		grep -q "listening on" "$IT_TMP/tcpdump.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.5
}

# capture_stop : the captured segments, one "SRC.PORT > DST.PORT FLAGS" a line.
capture_stop() {
	sleep 0.5
	pkill -INT -P "$CAP_PID" tcpdump 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	tcpdump -r "$CAP" -n 2>/dev/null |
		awk '{ sub(/:$/, "", $5); sub(/,$/, "", $7); print $3, $4, $5, $7 }'
}

# send FLAGS SPORT : one hand-made segment from the client to :80.
send() {
	sb_cli python3 "$RAWSYN" "$SB_CLI_IF" --dst-mac "$SRV_MAC" --dst "$SB_SRV_IP" \
		--src "$SB_CLI_IP" --flags "$1" --sport "$2" --seq 1000 >/dev/null
}

test_attach() {
	tg_ok "attach --rate 1/minute --burst 1 --action redirect:$SB_RED_IF" \
		attach "$IF" --rate 1/minute --burst 1 --ports 80 --action "redirect:$SB_RED_IF" --json
	is "$(out limits.action)" "redirect:$SB_RED_IF" "  action in force: redirect:$SB_RED_IF"
}

test_redirected_syn() {
	local seen
	capture_start
	send S 41000 # the burst: admitted, to the local stack
	send S 41001 # over the limit: redirected
	send A 41001 # the rest of that flow: follows it
	send A 41002 # another flow: stays
	seen=$(capture_stop)
	diag "seen on $SB_RED_PEER:"
	while read -r l; do diag "  $l"; done <<<"$seen"
	grep -q "^$SB_CLI_IP.41001 > $SB_SRV_IP.80 \[S\]" <<<"$seen"
	ok $? "the over-limit SYN arrived on the other interface"
	grep -q "^$SB_CLI_IP.41001 > $SB_SRV_IP.80 \[\.\]" <<<"$seen"
	ok $? "  and its flow's ACK after it"
	! grep -q "$SB_CLI_IP.41000 " <<<"$seen"
	ok $? "  the admitted SYN did not go there"
	! grep -q "$SB_CLI_IP.41002 " <<<"$seen"
	ok $? "  nor another flow's ACK"
	is "$(it_stat redirected)" 1 "redirected counted the SYN"
	is "$(it_stat flow_redirected)" 1 "flow_redirected counted the ACK"
	is "$(it_stat redirect_failed)" 0 "no redirect failed"
	is "$(it_stat dropped)" 1 "the redirected SYN is in dropped (not passed here)"
}

# A deny rule with its own redirect, over an interface action of drop.
test_rule_redirect() {
	local seen
	tg_ok "set --action drop" set "$IF" --action drop --json
	tg_ok "rule add $SB_CLI_IP6/128 deny --action redirect:$SB_RED_IF" \
		rule add "$IF" "$SB_CLI_IP6/128" deny --action "redirect:$SB_RED_IF" --json
	is "$(out rule.action)" "redirect:$SB_RED_IF" "  the rule's action"
	capture_start
	sb_cli curl -g -s -o /dev/null --connect-timeout 0.5 "http://[$SB_SRV_IP6]:80/"
	seen=$(capture_stop)
	grep -q "^$SB_CLI_IP6\.[0-9]* > $SB_SRV_IP6.80 \[S" <<<"$seen"
	ok $? "a denied IPv6 SYN arrived on the other interface" || diag "  seen: $seen"
	tg_ok "rule del" rule del "$IF" "$SB_CLI_IP6/128" --json
	[ -z "$(bpftool map dump pinned "$PIN_DIR/tg_redirect" -j 2>/dev/null | tr -d '[]')" ]
	ok $? "no action names $SB_RED_IF any more: tg_redirect is empty"
}

test_attach
test_redirected_syn
test_rule_redirect
done_testing
