#!/usr/bin/env bash
# The daemon keeps watch over what it protects: `detach` of one of its
# interfaces refuses without --force, naming the daemon; a second daemon
# does not adopt it; a program removed from outside (detach --force, or
# another XDP loader) is noticed within 2 s, logged and exported as
# tidegate_attached 0, and put back, buckets kept, by a reload. An
# interface missing at start is waited for and attached when it appears;
# one deleted is attached again, with the same maps, when it comes back.
# The shipped config passes check-config and the daemon starts on it.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
CONF=$IT_TMP/tidegate.conf
LATE="tgw$SB_ID" # made and deleted by the test
sb_on_cleanup "rm -rf '$SB_PIN_BASE/$LATE'"

attached_metric() { dm_metric "tidegate_attached{interface=\"$1\"}"; }

# noticed PATTERN WHAT [N] [MS] : the daemon logs PATTERN (its N-th
# time, default 1) within MS ms of T0 (default 2000). Attaching takes
# the tidegate lock, which other tidegates on the machine may hold, and
# loads the program: an attach is given 5 s.
noticed() {
	local ms i n=${3:-1} limit=${4:-2000}
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c -- "$1" "$DM_LOG")" -ge "$n" ] && break
		sleep 0.1
	done
	ms=$((($(date +%s%N) - T0) / 1000000))
	[ "$i" -lt 100 ]
	ok $? "  the daemon notices $2" || { diag "$(grep -v libbpf "$DM_LOG" | tail -3)"; return 1; }
	diag "  noticed in $ms ms (log polled every 100 ms)"
	[ "$ms" -le "$limit" ]
	ok $? "  within $((limit / 1000)) s ($ms ms)"
}

# wait_metric IFACE VALUE : until tidegate_attached says VALUE (5 s).
wait_metric() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(attached_metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

test_shipped_config() {
	tg_run check-config "$IT_ROOT/packaging/tidegate.conf" --json
	is "$RC" 0 "the shipped tidegate.conf passes check-config" || diag "  $OUT"
	dm_start --config "$IT_ROOT/packaging/tidegate.conf"
	dm_running
	ok $? "  the daemon starts on it, with no interface yet" || diag "$(tail -3 "$DM_LOG")"
	dm_metrics | grep -q '^tidegate_redis_configured '
	ok $? "  and serves metrics"
	dm_stop TERM
	is "$?" 0 "  and stops cleanly"
}

test_start() {
	printf '[interface %s]\nrate = 5/minute\nburst = 3\nports = 80\n[interface %s]\n' \
		"$IF" "$LATE" >"$CONF"
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon starts with $LATE missing" || it_abort "$(tail -5 "$DM_LOG")"
	grep -q "$LATE: no such interface yet; waiting for it" "$DM_LOG"
	ok $? "  saying it waits for it" || diag "$(grep -v libbpf "$DM_LOG" | tail -3)"
	is "$(attached_metric "$IF")" 1 "  tidegate_attached{interface=\"$IF\"} is 1"
	is "$(attached_metric "$LATE")" 0 "  tidegate_attached{interface=\"$LATE\"} is 0"
	sb_cli curl -s -o /dev/null --max-time 2 "http://$SB_SRV_IP:80/"
	BUCKET=$(it_bucket "$SB_CLI_IP")
	[ -n "$BUCKET" ] || diag "  no bucket for the client"
}

test_detach_refused() {
	tg_run detach "$IF" --json
	is "$RC" 1 "detach of an interface the daemon manages exits 1"
	[[ $ERR == *"managed by the tidegate daemon (pid $DM_PID: tidegate run"*"--force"* ]]
	ok $? "  naming the daemon and --force" || diag "  stderr: $ERR"
	it_has_xdp "$IF"
	ok $? "  the program stays"
}

test_second_daemon() {
	local rc
	timeout 60 nsenter --net="/run/netns/$SB_SRV_NS" "$SB_TIDEGATE" run "$IF" --rate 1/minute \
		--metrics 127.0.0.1:$((DM_PORT + 1)) 2>"$IT_TMP/second.log"
	rc=$?
	is "$rc" 1 "a second daemon for $IF exits 1"
	grep -q "$IF is managed by another tidegate daemon (pid $DM_PID: " "$IT_TMP/second.log"
	ok $? "  naming the one that manages it" || diag "$(grep -v libbpf "$IT_TMP/second.log" | tail -3)"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 5/minute "  whose limits stay in force"
}

test_force_detach() {
	T0=$(date +%s%N)
	tg_run detach "$IF" --force --json
	is "$RC" 0 "detach --force detaches" || diag "  stderr: $ERR"
	noticed "$IF: tidegate's program was removed" "that its program is gone"
	wait_metric "$IF" 0
	ok $? "  tidegate_attached{interface=\"$IF\"} is 0" || diag "  got '$(attached_metric "$IF")'"
	kill -HUP "$DM_PID"
	dm_wait_log "reloaded: protecting 1 interface"
	ok $? "a reload puts it back" || diag "$(grep -v libbpf "$DM_LOG" | tail -3)"
	it_has_xdp "$IF"
	ok $? "  the program is on $IF again"
	is "$(it_bucket "$SB_CLI_IP")" "$BUCKET" "  with the client's bucket as it was"
	wait_metric "$IF" 1
	ok $? "  tidegate_attached is 1 again"
}

test_other_loader() {
	T0=$(date +%s%N)
	sb_srv ip link set dev "$IF" xdp off
	noticed "$IF: tidegate's program was removed" "a program removed by 'ip link set xdp off'" 2
	kill -HUP "$DM_PID"
	wait_metric "$IF" 1
	ok $? "  and a reload puts it back" || diag "$(grep -v libbpf "$DM_LOG" | tail -3)"
}

buckets_id() { bpftool map show pinned "$SB_PIN_BASE/$1/tg_buckets" -j | json id; }

test_late_interface() {
	local id rate
	T0=$(date +%s%N)
	sb_srv ip link add "$LATE" type veth peer name "tgv$SB_ID"
	noticed "$LATE: attached (" "$LATE appearing, and attaches it" 1 5000
	wait_metric "$LATE" 1
	ok $? "  tidegate_attached{interface=\"$LATE\"} is 1"
	it_has_xdp "$LATE"
	ok $? "  the program is on it"
	id=$(buckets_id "$LATE")
	rate=$(sb_tg status "$LATE" --json | json limits.rate)
	T0=$(date +%s%N)
	sb_srv ip link del "$LATE"
	noticed "$LATE: the interface is gone" "$LATE going away"
	wait_metric "$LATE" 0
	ok $? "  tidegate_attached{interface=\"$LATE\"} is 0"
	T0=$(date +%s%N)
	sb_srv ip link add "$LATE" type veth peer name "tgv$SB_ID"
	noticed "$LATE: attached with the pinned maps, buckets kept" "$LATE coming back" 1 5000
	it_has_xdp "$LATE"
	ok $? "  the program is on it again"
	is "$(buckets_id "$LATE")" "$id" "  with the same bucket table"
	is "$(sb_tg status "$LATE" --json | json limits.rate)" "$rate" "  and the same limits"
}

test_shipped_config
test_start
test_detach_refused
test_second_daemon
test_force_detach
test_other_loader
test_late_interface
dm_stop TERM
is "$?" 0 "SIGTERM stops the daemon"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
