#!/usr/bin/env bash
# A SYN split into two IPv4 fragments, the first carrying only 8 bytes
# of TCP and zero-padded to the Ethernet minimum, is still a SYN once
# the kernel reassembles it: each first fragment must be charged, so a
# source at burst 2 gets 2 such SYNs into the listener, not 50. The
# padding must never be read as the rest of the TCP header.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
RAWSYN="$IT_LIB/rawsyn.py"
# An on-link address no host holds: the server's SYN-ACKs to it go
# nowhere (a static neighbour entry sends them to the client, which is
# not that address and drops them), so every SYN the listener took in
# stays half-open, where ss counts it.
PHANTOM=198.18.0.77
N=50

sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_srv ip neigh replace "$PHANTOM" lladdr "$(sb_cli_mac)" dev "$SB_SRV_IF" nud permanent ||
	it_abort "cannot add a neighbour entry for $PHANTOM"

reasm_ok() { sb_srv nstat -az IpReasmOKs | awk '/IpReasmOKs/ {print $2}'; }
half_open() { sb_srv ss -Htn state syn-recv "sport = :80" | wc -l; }

tg_ok "attach --rate 1/minute --burst 2" attach "$IF" --rate 1/minute --burst 2 --ports 80
before=$(reasm_ok)
sb_cli python3 "$RAWSYN" "$SB_CLI_IF" --dst-mac "$(sb_srv_mac)" --dst "$SB_SRV_IP" \
	--src "$PHANTOM" --count "$N" --tiny-frag --duration 10 >/dev/null ||
	it_abort "rawsyn.py could not send the fragments"
sleep 0.5

s=$(it_stats)
is "$(it_field "$s" syn)" "$N" "$N tiny first fragments are charged as SYNs"
is "$(it_field "$s" frag_tiny)" "$N" "  each counted in frag_tiny"
is "$(it_field "$s" allowed)" 2 "  2 allowed (burst 2)"
is "$(it_field "$s" dropped)" $((N - 2)) "  $((N - 2)) dropped"
is "$(it_field "$s" pass_badhdr)" 0 "  none passed as a bad header (padding read as TCP)"
is "$(( $(reasm_ok) - before ))" 2 "the server's kernel reassembled 2 SYNs"
is "$(half_open)" 2 "the listener holds 2 half-open connections, not $N"
done_testing
