#!/usr/bin/env bash
# What flood's frames meet on the far side of the veth. Against a
# tidegate that answers with RSTs, every frame flood says it sent reaches
# the server as a SYN: the RST+ACK is built in the SYN's own page, and
# live frames come back to flood's page pool with what was written in
# them, so flood must make each frame whole again. And a peer enslaved
# to a bridge (which could have a physical port) is refused: the forged
# sources could leave the machine through it.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_has_flood || it_abort "this tidegate has no flood command"
sb_xdp_pass sb_cli "$SB_CLI_IF" || it_abort "cannot give the client's veth an XDP program"
N=2000

tg_ok "attach --action rst --rst-budget 1000000" attach "$IF" --rate 1/minute --burst 1 \
	--ports 80 --action rst --rst-budget 1000000 --json
OUT=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
	--port 80 --count "$N" --json 2>"$IT_TMP/stderr")
is "$?" 0 "flood --count $N" || diag "  $(cat "$IT_TMP/stderr")"
sent=$(out sent)
is "$sent" "$N" "  says it sent $N"
is "$(it_stat syn)" "$sent" "  and tidegate saw $N SYNs to port 80"
is "$(it_stat rst_sent)" $((sent - 1)) "  answering all but the first with an RST"

BR="tgb$SB_ID"
sb_srv ip link add "$BR" type bridge && sb_srv ip link set "$IF" master "$BR"
ok $? "the server's veth enslaved to a bridge, $BR" || done_testing
OUT=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
	--port 80 --count 10 --json 2>"$IT_TMP/stderr")
is "$?" 2 "flood to a peer with a master: exit 2" || diag "  $OUT"
[[ $(cat "$IT_TMP/stderr") == *master* ]]
ok $? "  saying the peer has a master" || diag "  $(cat "$IT_TMP/stderr")"
is "$(it_stat syn)" "$sent" "  and nothing was sent"
sb_srv ip link set "$IF" nomaster
done_testing
