#!/usr/bin/env bash
# Rules and actions from the daemon's config file: run puts the file's
# rules and action in force when it attaches, keeps rules added with
# 'tidegate rule add', and on SIGHUP deletes the rules gone from the
# file, replaces changed ones and leaves unchanged ones (their ids and
# buckets) alone.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_xdp_pass sb_cli "$SB_CLI_IF" || it_abort "cannot give the client's veth an XDP program"
CONF=$IT_TMP/tidegate.conf

# rule_of CIDR FIELD : a field of IF's rule for CIDR ("" if none).
rule_of() {
	sb_tg rule list "$IF" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["cidr"] == sys.argv[1]:
        v = r[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"
}

nrules() { sb_tg rule list "$IF" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

test_start() {
	cat >"$CONF" <<CONF
[daemon]
metrics = $DM_METRICS
[interface $IF]
rate = 100/second
ports = 80
action = rst
rule = $SB_CLI_IP/32 deny
rule = 2001:db8:18::/64 limit 10/minute --burst 2 --shared
rule = 198.51.100.0/24 allow
CONF
	tg_ok "check-config accepts rules and an action" check-config "$CONF" --json
	is "$(out valid)" true "  valid"
	is "$(out warnings | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 \
		"  with no warning that they are not enforced"
	tg_ok "attach by hand first" attach "$IF" --json
	tg_ok "a rule added by hand before the daemon" rule add "$IF" 203.0.113.0/24 deny --json
	dm_start --config "$CONF"
	dm_running
	ok $? "run --config starts, adopting the running limiter" || it_abort "$(cat "$DM_LOG")"
	is "$(nrules)" 4 "the file's three rules are in force, and the hand-made one stays"
	is "$(rule_of 2001:db8:18::/64 shared)" true "  the /64 limit is shared"
	is "$(rule_of 2001:db8:18::/64 burst)" 2 "  with burst 2"
	is "$(sb_tg status "$IF" --json | json limits.action)" rst "the file's action is in force"
	sb_cli curl -s -o /dev/null --connect-timeout 1 "http://$SB_SRV_IP:80/"
	is "$?" 7 "the denied client is refused at once (deny, answered by the action rst)"
	is "$(it_connects 2 "$SB_SRV_IP6" 80)" 2 "its IPv6 /64 gets the shared burst of 2"
	sb_cli curl -g -s -o /dev/null --connect-timeout 1 "http://[$SB_SRV_IP6]:80/"
	is "$?" 7 "  then is refused"
	is "$(dm_metric "tidegate_action_total{interface=\"$IF\",action=\"rst\"}")" \
		"$(it_stat rst_sent)" "the metrics count the RSTs as stats does"
	is "$(dm_metric "tidegate_rule_syn_total{interface=\"$IF\",kind=\"deny\"}")" 1 \
		"  and the SYN a deny rule met"
	is "$(dm_metric "tidegate_rules{interface=\"$IF\"}")" 4 "  and the 4 rules in force"
	is "$(rule_of 2001:db8:18::/64 rate_count),$(rule_of 2001:db8:18::/64 rate_period_s)" 10,60 \
		"rule list --json: the /64's rate as numbers too, 10 per 60 s"
	dm_metrics >"$IT_TMP/metrics.txt"
	promtool check metrics <"$IT_TMP/metrics.txt" >"$IT_TMP/promtool.out" 2>&1
	is "$?" 0 "  promtool accepts the metrics" || diag "$(cat "$IT_TMP/promtool.out")"
}

test_reload() {
	local id_allow id_v6
	id_allow=$(rule_of 198.51.100.0/24 id)
	id_v6=$(rule_of 2001:db8:18::/64 id)
	cat >"$CONF" <<CONF
[daemon]
metrics = $DM_METRICS
[interface $IF]
rate = 100/second
ports = 80
rule = 2001:db8:18::/64 limit 10/minute --burst 2 --shared
rule = 198.51.100.0/24 deny
rule = 192.0.2.0/24 allow
CONF
	kill -HUP "$DM_PID"
	dm_wait_log "rules: .* put in force"
	ok $? "SIGHUP applies the rules" || diag "$(tail -5 "$DM_LOG")"
	is "$(rule_of "$SB_CLI_IP/32" kind)" "" "the rule gone from the file is deleted"
	is "$(rule_of 198.51.100.0/24 kind)" deny "a changed rule is replaced"
	[ "$(rule_of 198.51.100.0/24 id)" -gt "$id_allow" ]
	ok $? "  with a new id"
	is "$(rule_of 2001:db8:18::/64 id)" "$id_v6" "an unchanged rule keeps its id (and buckets)"
	is "$(rule_of 192.0.2.0/24 kind)" allow "a new rule is added"
	is "$(rule_of 203.0.113.0/24 kind)" deny "the hand-made rule is left alone"
	is "$(sb_tg status "$IF" --json | json limits.action)" drop "the action is drop again"
	is "$(it_connects 2 "$SB_SRV_IP" 80)" 2 "the IPv4 client, no longer denied, connects"
	sb_cli curl -g -s -o /dev/null --connect-timeout 0.8 "http://[$SB_SRV_IP6]:80/"
	is "$?" 28 "the IPv6 /64's shared bucket was kept: still empty, now dropped silently"
}

test_bad_reload() {
	printf '[daemon]\nmetrics = %s\n[interface %s]\nrule = 10.0.0.1/8 allow\n' \
		"$DM_METRICS" "$IF" >"$CONF"
	kill -HUP "$DM_PID"
	dm_wait_log "config has errors"
	ok $? "a file with a bad rule is refused on SIGHUP" || diag "$(tail -5 "$DM_LOG")"
	is "$(rule_of 192.0.2.0/24 kind)" allow "  and the rules in force stay"
	dm_stop
	ok $? "SIGTERM stops the daemon"
	dm_log_clean
	ok $? "no sanitizer report in the daemon's log"
}

test_start
test_reload
test_bad_reload
done_testing
