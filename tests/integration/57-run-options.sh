#!/usr/bin/env bash
# Every limit option of `tidegate run IFACE` takes effect: --action rst,
# --rst-budget, --log-interval and --log-budget (once parsed and dropped)
# as well as the rest reach the maps the XDP program reads, and a SYN
# over the limit is refused at once by the RST the daemon asked for.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
# XDP_TX on a veth needs an XDP program on its peer.
sb_xdp_pass sb_cli "$SB_CLI_IF" || it_abort "cannot give the client's veth an XDP program"

dm_start "$IF" --rate 1/minute --burst 1 --ports 80 --v4-prefix 32 --v6-prefix 56 \
	--action rst --rst-budget 7 --log-interval 3 --log-budget 5 --max-sources 1000 \
	--zone web
dm_running
ok $? "run IFACE with every limit option starts" || it_abort "$(cat "$DM_LOG")"

tg_ok "status reads the limits back from the maps" status "$IF" --json
for kv in action=rst rst_budget=7 log_interval=3 log_budget=5 rate=1/minute burst=1 \
	ports=80 v6_prefix=56 max_sources=1000 dry_run=false; do
	is "$(out "limits.${kv%%=*}")" "${kv#*=}" "  ${kv%%=*} is ${kv#*=}" ||
		diag "  $OUT"
done
grep -q "zone web" "$DM_LOG"
ok $? "  the zone is web" || diag "$(cat "$DM_LOG")"

# The limit at work: one connect, then a refusal, not a timeout.
is "$(it_connects 1 "$SB_SRV_IP" 80)" 1 "the burst of 1 connects"
it_connect "$SB_SRV_IP" 80
is "$?" 7 "  the next is refused at once (curl exit 7), by --action rst"
between "$(it_stat rst_sent)" 1 2 "  rst_sent counts it"

dm_stop
is "$?" 0 "the daemon stops cleanly"
dm_log_clean
ok $? "no sanitizer report in the daemon's log"
done_testing
