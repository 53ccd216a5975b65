#!/usr/bin/env bash
# Rules live over the veth with real connects: allow, deny, limit and a
# shared limit, nested (the longest prefix wins), IPv4 and IPv6; rule
# list --json; and the CLI's refusals (exit 2 naming what is wrong).
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"

test_attach() {
	tg_ok "attach --rate 2/minute --burst 2 --ports 80" \
		attach "$IF" --rate 2/minute --burst 2 --ports 80 --json
}

test_allow() {
	tg_ok "rule add $SB_CLI_IP/32 allow" rule add "$IF" "$SB_CLI_IP/32" allow --json
	is "$(out rule.kind)" allow "  answers with the rule: kind allow"
	is "$(out rule.cidr)" "$SB_CLI_IP/32" "  and its CIDR"
	is "$(it_connects 6 "$SB_SRV_IP" 80)" 6 "an allowed client: 6 connects over a burst of 2 succeed"
	is "$(it_stat rule_allow)" 6 "  rule_allow counted 6"
	is "$(it_stat allowed)" 6 "  all 6 allowed"
	is "$(it_bucket_count)" 0 "  and no bucket was charged"
}

test_deny_nested() {
	tg_ok "rule add 198.18.0.0/24 deny (the allow /32 inside it)" \
		rule add "$IF" 198.18.0.0/24 deny --json
	is "$(it_connects 2 "$SB_SRV_IP" 80)" 2 "the /32 allow inside the /24 deny still wins"
	tg_ok "rule del $SB_CLI_IP/32" rule del "$IF" "$SB_CLI_IP/32" --json
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "with the allow gone, the /24 deny drops the client's SYN"
	is "$(it_stat rule_deny)" 1 "  rule_deny counted 1"
	is "$(it_connects 2 "$SB_SRV_IP6" 80)" 2 "the IPv4 deny leaves the client's IPv6 alone (its burst of 2)"
}

test_limit_nested() {
	tg_ok "rule add $SB_CLI_IP/32 limit 10/minute --burst 4 inside the deny" \
		rule add "$IF" "$SB_CLI_IP/32" limit 10/minute --burst 4 --json
	is "$(out rule.rate)" 10/minute "  rate 10/minute"
	is "$(out rule.burst)" 4 "  burst 4"
	is "$(it_connects 4 "$SB_SRV_IP" 80)" 4 "a /32 limit of burst 4 in a /24 deny: 4 connects succeed"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  the 5th is dropped by the rule's own limit"
	tg_run rule del "$IF" "$SB_CLI_IP/32"
	tg_run rule del "$IF" 198.18.0.0/24
}

test_ipv6() {
	tg_ok "rule add 2001:db8:18::/48 deny" rule add "$IF" 2001:db8:18::/48 deny --json
	it_connect "$SB_SRV_IP6" 80
	is "$?" 28 "an IPv6 /48 deny drops the client's IPv6 SYN"
	tg_ok "rule add 2001:db8:18::/64 limit 1/minute --shared" \
		rule add "$IF" 2001:db8:18::/64 limit 1/minute --shared --json
	is "$(out rule.shared)" true "  shared"
	sb_cli ip addr add 2001:db8:18::3/64 dev "$SB_CLI_IF" nodad
	is "$(it_connects 1 "$SB_SRV_IP6" 80)" 1 "the /64's one shared token: one connect succeeds"
	sb_cli curl -g -s -o /dev/null --connect-timeout 0.8 --interface 2001:db8:18::3 \
		"http://[$SB_SRV_IP6]:80/"
	is "$?" 28 "  another address of the /64 finds the shared bucket empty"
	is "$(it_connects 2 "$SB_SRV_IP" 80)" 2 "IPv4 is untouched by IPv6 rules"
}

test_list() {
	tg_ok "rule list --json" rule list "$IF" --json
	is "$(out 0.cidr)" 2001:db8:18::/48 "  the first rule: 2001:db8:18::/48"
	is "$(out 0.kind)" deny "  deny"
	is "$(out 1.cidr)" 2001:db8:18::/64 "  the second: 2001:db8:18::/64"
	is "$(out 1.kind)" limit "  limit"
	is "$(out 1.rate)" 1/minute "  1/minute"
	is "$(out 1.burst)" 1 "  burst 1"
	is "$(out 1.shared)" true "  shared"
	is "$(out 1.action)" default "  the interface's action"
	[ "$(out 1.id)" -gt "$(out 0.id)" ]
	ok $? "  ids are given in order" || diag "  ids $(out 0.id) $(out 1.id)"
	tg_ok "rule list (text)" rule list "$IF"
	is "$(nlines "$OUT")" 2 "  one line per rule"
}

# expect_fail CODE BAD ARGS... : exits CODE with one stderr line naming BAD.
expect_fail() {
	local code=$1 bad=$2
	shift 2
	tg_run "$@" --json
	is "$RC" "$code" "'$*' exits $code" || diag "  stderr: $ERR"
	[ "$(nlines "$ERR")" -eq 1 ] && [[ $ERR == *"$bad"* ]]
	ok $? "  one stderr line naming '$bad'" || diag "  stderr: $ERR"
	[[ $(out error) == *"$bad"* ]]
	ok $? "  and a JSON error naming it" || diag "  stdout: $OUT"
}

test_refusals() {
	expect_fail 2 "198.18.5.1/24" rule add "$IF" 198.18.5.1/24 deny
	expect_fail 2 "host bits" rule add "$IF" 2001:db8:18::1/64 allow
	expect_fail 2 "duplicate" rule add "$IF" 2001:db8:18::/48 allow
	expect_fail 2 "198.18.300.0/24" rule add "$IF" 198.18.300.0/24 deny
	expect_fail 2 "/33" rule add "$IF" 198.18.0.0/33 deny
	expect_fail 2 "block" rule add "$IF" 198.18.0.0/24 block
	expect_fail 2 "RATE" rule add "$IF" 198.18.0.0/24 limit
	expect_fail 2 "10/fortnight" rule add "$IF" 198.18.0.0/24 limit 10/fortnight
	expect_fail 2 "shared" rule add "$IF" 198.18.0.0/24 allow --shared
	expect_fail 2 "tgnosuch0" rule add "$IF" 198.18.0.0/24 deny --action redirect:tgnosuch0
	expect_fail 2 "tgnosuch0" rule list tgnosuch0
	expect_fail 2 "frob" rule frob "$IF"
	expect_fail 1 "198.18.9.0/24" rule del "$IF" 198.18.9.0/24
	expect_fail 2 "tgnosuch0" attach "$IF" --action redirect:tgnosuch0
	expect_fail 2 "reject" set "$IF" --action reject
}

test_attach
test_allow
test_deny_nested
test_limit_nested
test_ipv6
test_list
test_refusals
done_testing
