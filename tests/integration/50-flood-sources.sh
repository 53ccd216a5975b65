#!/usr/bin/env bash
# A flood from thousands of spoofed sources, each sending a few SYNs: at
# 1/minute with a burst of 2, and a flood far shorter than a minute,
# every source gets exactly its burst and nothing more. Each source has
# its own bucket; allowed, dropped and syn add up.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_has_flood || it_abort "this tidegate has no flood command"

SOURCES=5000
# 10 SYNs a source. The flood can outrun the veth, whose peer drops
# what its queue has no room for (in bursts), so each source is sent
# several for all to get their burst through whatever is lost.
COUNT=50000
BURST=2

tg_ok "attach --rate 1/minute --burst $BURST --ports 80" \
	attach "$IF" --rate 1/minute --burst "$BURST" --ports 80 --syn-cookies off --json

FLOOD=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" \
	--dst-mac "$(sb_srv_mac)" --port 80 --sources "$SOURCES" --count "$COUNT" \
	--threads 2 --duration 10 --json 2>"$IT_TMP/flood.err")
is "$?" 0 "flood --sources $SOURCES --count $COUNT exits 0" ||
	it_abort "the flood failed: $(cat "$IT_TMP/flood.err")"
diag "flood: $FLOOD"
sent=$(json sent <<<"$FLOOD")
received=$(json peer_received <<<"$FLOOD")
is "$sent" "$COUNT" "  it sent $COUNT frames"
sleep 0.3 # let the veth queue drain into the program

S=$(it_stats)
diag "stats: $S"
syn=$(it_field "$S" syn)
allowed=$(it_field "$S" allowed)
dropped=$(it_field "$S" dropped)
new=$(it_field "$S" new_source)
diag "the server's veth took in $received of $COUNT frames ($((received * 100 / COUNT))%)"
# What the veth took in is what tidegate saw, give or take the odd
# neighbour discovery packet.
between "$(it_field "$S" packets)" "$received" $((received + 10)) \
	"tidegate saw every frame the server's veth took in"
between "$syn" $((received - 10)) "$received" "  and they were limited SYNs"
is "$new" "$SOURCES" "new_source: each of the $SOURCES sources got a bucket"
is "$(it_bucket_count)" "$SOURCES" "  tg_buckets holds $SOURCES sources"
is "$allowed" $((BURST * SOURCES)) "allowed: exactly the burst of $BURST per source"
is "$dropped" $((syn - BURST * SOURCES)) "dropped: all the rest"
is "$((allowed + dropped))" "$syn" "allowed + dropped == syn"
is "$(it_field "$S" table_full)" 0 "no source was evicted (table_full 0)"

# Every bucket: a spoofed source, admitted exactly its burst.
it_buckets_all 198.19.0.0/16 32 "$BURST" >"$IT_TMP/bad"
ok $? "every bucket is a 198.19.0.0/16 source that admitted $BURST" ||
	diag "  for example: $(cat "$IT_TMP/bad")"
done_testing
