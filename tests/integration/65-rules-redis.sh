#!/usr/bin/env bash
# Rules outlive the disk: with Redis configured, the daemon copies each
# interface's rule state file to PREFIX:ZONE:rules:HOST whenever it
# changes. A machine that lost its state directory and its pins (a
# rebuilt machine, a wiped disk) gets its rules back from that copy
# before it attaches: the denied client is dropped again, a --ttl ban
# keeps its expiry. When the file is newer than the copy (Redis was away
# while the rules changed), the file wins, and the copy catches up.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
. "$IT_LIB/rule_list.sh"
it_setup
it_need_redis
rd_start || it_abort "no redis-server"
sb_http_start 80 || it_abort "no HTTP server on port 80"
CONF=$IT_TMP/tidegate.conf
PFX=tgrules
# The daemon runs in the server's namespace, which `ip netns` named: its
# interface names are its own, and so is its directory of rules.
STATE=$IT_TMP/state/rules/netns-$SB_SRV_NS/$IF
KEY=$PFX:$IF:rules:$(hostname | tr -c 'A-Za-z0-9._\n-' _):netns-$SB_SRV_NS

cat >"$CONF" <<CONF
[daemon]
redis = unix://$RD_SOCK
sync-interval = 100ms
redis-prefix = $PFX
[interface $IF]
rate = 100/second
ports = 80
CONF

# copy_has N : until the copy in Redis holds N rules (5 s at most).
copy_has() { until_rules "$1" rd_cli --raw GET "$KEY"; }

reboot_without_disk() {
	dm_stop TERM
	is "$?" 0 "the daemon stops"
	tg_ok "detach (pins gone, as after a reboot)" detach "$IF" --json
	rm -rf "$IT_TMP/state"
}

test_copied() {
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs with Redis" || it_abort "$(cat "$DM_LOG")"
	tg_ok "rule add $SB_CLI_IP deny" rule add "$IF" "$SB_CLI_IP" deny --json
	tg_ok "rule add 198.19.0.9 deny --ttl 1h" rule add "$IF" 198.19.0.9 deny --ttl 1h --json
	tg_ok "rule add 198.19.7.0/24 limit" rule add "$IF" 198.19.7.0/24 limit 5/minute --json
	copy_has 3
	ok $? "the 3 rules are copied to $KEY" || diag "$(rd_cli --raw GET "$KEY")"
	is "$(rd_cli --raw GET "$KEY")" "$(cat "$STATE")" "  the copy is the state file, header and all"
	tg_ok "rule del 198.19.7.0/24" rule del "$IF" 198.19.7.0/24 --json
	copy_has 2
	ok $? "  a rule deleted: the copy follows (2)" || diag "$(rd_cli --raw GET "$KEY")"
	BEFORE=$(rules)
}

test_disk_lost() {
	local ttl0 t0 ttl elapsed
	ttl0=$(ttl_of 198.19.0.9/32)
	t0=$(date +%s%N)
	reboot_without_disk
	[ -e "$STATE" ]
	is "$?" 1 "  and the state directory is gone"
	sleep 1
	dm_start --config "$CONF"
	dm_running
	ok $? "started again" || it_abort "$(cat "$DM_LOG")"
	grep -q "$IF: put back 2 rules kept in Redis (the pinned maps were gone)" "$DM_LOG"
	ok $? "  it put back the 2 rules from Redis" || diag "$(grep -v libbpf "$DM_LOG")"
	is "$(rules)" "$BEFORE" "  the same rules are in force"
	ttl=$(ttl_of 198.19.0.9/32)
	elapsed=$((($(date +%s%N) - t0) / 1000000000))
	between "$ttl" $((ttl0 - elapsed - 2)) $((ttl0 - elapsed + 1)) \
		"  the 1 h ban keeps its expiry: ${ttl}s left (${ttl0}s ${elapsed}s ago)"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "the denied client is dropped again"
	for ((i = 0; i < 50; i++)); do
		[ -f "$STATE" ] && break
		sleep 0.1
	done
	[ -f "$STATE" ]
	ok $? "  and the state file is written anew" || diag "$(grep -v libbpf "$DM_LOG")"
}

test_file_newer() {
	rd_kill STOP
	tg_ok "rule add 198.19.8.0/24 allow (Redis stopped)" rule add "$IF" 198.19.8.0/24 allow --json
	for ((i = 0; i < 50; i++)); do
		grep -q "198.19.8.0/24 allow" "$STATE" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "198.19.8.0/24 allow" "$STATE"
	ok $? "  the file has it" || diag "$(cat "$STATE")"
	dm_stop TERM
	is "$?" 0 "the daemon stops while Redis is stopped"
	rd_kill CONT
	rd_cli --raw GET "$KEY" | grep -q "198.19.8.0/24"
	is "$?" 1 "  the copy in Redis is older: it lacks the rule"
	tg_ok "detach" detach "$IF" --json
	dm_start --config "$CONF"
	dm_running
	ok $? "started again" || it_abort "$(cat "$DM_LOG")"
	grep -q "$IF: put back 3 rules kept in $STATE" "$DM_LOG"
	ok $? "  the newer file's 3 rules are put back" || diag "$(grep -v libbpf "$DM_LOG")"
	copy_has 3
	ok $? "  and the copy catches up" || diag "$(rd_cli --raw GET "$KEY")"
	dm_stop TERM
}

test_copied
test_disk_lost
test_file_newer
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
