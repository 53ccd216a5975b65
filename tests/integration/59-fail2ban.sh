#!/usr/bin/env bash
# Debian's fail2ban with tidegate's action (packaging/fail2ban): three
# failures in a log ban the client's address, which tidegate then drops
# at XDP (a ping, any port); after the bantime fail2ban unbans it and the
# client is served again. fail2ban runs on its own configuration in a
# temporary directory and is stopped at exit.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
command -v fail2ban-server >/dev/null || bail "fail2ban is missing: run scripts/install-deps.sh"

F2B=$IT_TMP/f2b
BANTIME=4

pings() { sb_cli ping -c 1 -W 1 "$SB_SRV_IP" >/dev/null 2>&1; }
banned() {
	sb_tg rule list "$IF" --json |
		python3 -c 'import json,sys; print(sum(r["cidr"] == sys.argv[1] and r["all"] for r in json.load(sys.stdin)))' \
			"$SB_CLI_IP/32"
}
# wait_for WANT SECONDS : until banned says WANT, at most SECONDS.
wait_for() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(banned)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

f2b_setup() {
	mkdir -p "$F2B/action.d" "$F2B/filter.d" "$F2B/jail.d" || return 1
	cp "$IT_ROOT/packaging/fail2ban/action.d/tidegate.conf" "$F2B/action.d/" || return 1
	cat >"$F2B/fail2ban.conf" <<-CONF
		[Definition]
		loglevel = INFO
		logtarget = $F2B/fail2ban.log
		socket = $F2B/fail2ban.sock
		pidfile = $F2B/fail2ban.pid
		dbfile = :memory:
	CONF
	cat >"$F2B/filter.d/tgtest.conf" <<-CONF
		[Definition]
		failregex = ^auth failure from <HOST>\$
		datepattern = {NONE}
	CONF
	cat >"$F2B/jail.conf" <<-CONF
		[tgtest]
		enabled = true
		filter = tgtest
		logpath = $F2B/auth.log
		backend = polling
		maxretry = 3
		findtime = 60
		bantime = $BANTIME
		action = tidegate[iface=$IF, tidegate="nsenter --net=/run/netns/$SB_SRV_NS $SB_TIDEGATE"]
	CONF
	: >"$F2B/auth.log"
}

tg_ok "attach --ports 80" attach "$IF" --ports 80 --json
f2b_setup || it_abort "cannot write fail2ban's configuration"
sb_bg fail2ban-server -f -x -c "$F2B" start >"$F2B/server.out" 2>&1
sb_on_cleanup "fail2ban-client -c '$F2B' stop >/dev/null 2>&1"
for i in $(seq 100); do
	fail2ban-client -c "$F2B" status tgtest >/dev/null 2>&1 && break
	sleep 0.1
done
fail2ban-client -c "$F2B" status tgtest >/dev/null 2>&1 ||
	it_abort "fail2ban did not start: $(tail -3 "$F2B/fail2ban.log" 2>/dev/null)"

pings
is "$?" 0 "before any failure the client pings the server"
for i in 1 2 3; do echo "auth failure from $SB_CLI_IP" >>"$F2B/auth.log"; done
wait_for 1 15
ok $? "fail2ban bans $SB_CLI_IP through tidegate: a deny --all rule" ||
	diag "$(tail -5 "$F2B/fail2ban.log")"
pings
is "$?" 1 "  the banned client's ping is dropped at XDP"
[ "$(it_stat deny_all)" -ge 1 ]
ok $? "  counted in deny_all ($(it_stat deny_all))"
wait_for 0 $((BANTIME + 10))
ok $? "after the bantime ($BANTIME s) fail2ban unbans it: the rule is gone" ||
	diag "$(tail -5 "$F2B/fail2ban.log")"
pings
is "$?" 0 "  the client pings again"
grep -q "Unban $SB_CLI_IP" "$F2B/fail2ban.log"
ok $? "  fail2ban's log says it unbanned $SB_CLI_IP"
done_testing
