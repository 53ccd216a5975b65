#!/usr/bin/env bash
# The floods again over IPv6, shorter: sources are /64s, each its own
# bucket (1000 sources get exactly their burst each), and one source
# flooded from two CPUs is admitted exactly burst + rate x elapsed.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_has_flood || it_abort "this tidegate has no flood command"

SOURCES=1000
COUNT=10000
BURST=2

test_many_sources() {
	local flood s syn allowed received
	tg_ok "attach --rate 1/minute --burst $BURST --ports 80 (IPv6 sources per /64)" \
		attach "$IF" --rate 1/minute --burst "$BURST" --ports 80 --syn-cookies off --json
	is "$(out limits.v6_prefix)" 64 "  IPv6 sources share a bucket per /64"
	flood=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP6" \
		--dst-mac "$(sb_srv_mac)" --port 80 --sources "$SOURCES" --count "$COUNT" \
		--threads 2 --duration 10 --json 2>"$IT_TMP/flood.err")
	is "$?" 0 "flood [$SB_SRV_IP6] from $SOURCES sources, $COUNT SYNs" ||
		it_abort "the flood failed: $(cat "$IT_TMP/flood.err")"
	diag "flood: $flood"
	is "$(json family <<<"$flood")" ipv6 "  it sent IPv6"
	received=$(json peer_received <<<"$flood")
	sleep 0.3
	s=$(it_stats)
	diag "stats: $s"
	syn=$(it_field "$s" syn)
	allowed=$(it_field "$s" allowed)
	between "$syn" $((received - 10)) "$received" "tidegate saw the SYNs the veth took in"
	is "$(it_field "$s" new_source)" "$SOURCES" "new_source: $SOURCES /64s got a bucket"
	is "$allowed" $((BURST * SOURCES)) "allowed: exactly $BURST per source"
	is "$(( allowed + $(it_field "$s" dropped) ))" "$syn" "allowed + dropped == syn"
	it_buckets_all 2001:db8:19::/48 64 "$BURST" >"$IT_TMP/bad"
	ok $? "every bucket is a /64 of 2001:db8:19::/48 that admitted $BURST" ||
		diag "  for example: $(cat "$IT_TMP/bad")"
	tg_ok "detach" detach "$IF" --json
}

test_exact() {
	tg_ok "attach --rate 1000/second --burst 100 --ports 80" \
		attach "$IF" --rate 1000/second --burst 100 --ports 80 --syn-cookies off --json
	it_flood_exact "$SB_SRV_IP6" 100 1.5 1
}

test_many_sources
test_exact
done_testing
