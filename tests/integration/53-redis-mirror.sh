#!/usr/bin/env bash
# The Redis mirror: a bucket that is not full is in Redis under the
# documented key, its TAT converted to Redis' clock, expiring when the
# bucket is full again. Then the daemon is SIGKILLed and restarted in
# the middle of floods, and no source's bucket is reset: thousands of
# sources get exactly their burst, and one source is admitted exactly
# what GCRA allows over the whole flood.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
it_need_redis
it_has_flood || it_abort "this tidegate has no flood command"
rd_start || it_abort "no redis-server"
sb_http_start 80 || it_abort "no HTTP server on port 80"
CONF=$IT_TMP/tidegate.conf
PFX=tgtest
# The client's connects in the first test: 2/s leaves its bucket not full
# for 3 s, time enough for the probes on a loaded machine (each a Python).
CLIENT_CONNECTS=6

write_conf() { # RATE BURST
	cat >"$CONF" <<CONF
[daemon]
redis = unix://$RD_SOCK
sync-interval = 100ms
redis-prefix = $PFX
[interface $IF]
rate = $1
burst = $2
ports = 80
# Every source of its floods is to get a bucket, which auto mode's
# cookies would keep from a flood of new sources.
syn-cookies = off
CONF
}

test_key_and_expiry() {
	local key tat off
	write_conf 2/second 10
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs with a Redis mirror" || it_abort "$(cat "$DM_LOG")"
	dm_wait_log "connected; writing every live bucket"
	ok $? "  and connects to Redis" || diag "$(cat "$DM_LOG")"
	key=$(rd_key4 "$PFX" "$IF" "$SB_CLI_IP")
	is "$(it_connects $CLIENT_CONNECTS "$SB_SRV_IP" 80)" $CLIENT_CONNECTS \
		"$CLIENT_CONNECTS connects from the client pass"
	sleep 0.4
	is "$(rd_cli exists "$key")" 1 "  its bucket is in Redis as $key"
	# The value: the TAT in µs of Redis' clock, converted with an offset
	# measured as the daemon measures it; the TTL: until the TAT.
	tat=$(it_bucket "$SB_CLI_IP" | json tat_ns)
	python3 "$IT_LIB/redis_probe.py" "$RD_SOCK" "$key" "$tat" >"$IT_TMP/probe.json"
	diag "probe: $(cat "$IT_TMP/probe.json")"
	between "$(json value_error_us <"$IT_TMP/probe.json" | cut -d. -f1)" -1000 1000 \
		"  its value is the bucket's TAT in Redis µs (within 1 ms)"
	between "$(json ttl_error_ms <"$IT_TMP/probe.json" | cut -d. -f1)" -2 2 \
		"  its TTL ends when the bucket is full again (within 2 ms)"
	it_sleep_past "$tat" 0.2
	is "$(rd_cli exists "$key")" 0 "  once the bucket is full the key is gone"
	is "$(dm_metric tidegate_redis_up)" 1 "metrics: Redis is up"
	# Redis runs on this machine, on its clock: the offset is the
	# measurement's error, within half a round trip.
	off=$(dm_metric tidegate_redis_clock_offset_seconds)
	awk -v o="$off" 'BEGIN { exit !(o != "" && o > -0.05 && o < 0.05) }'
	ok $? "  Redis' clock offset is measured against the wall clock: ${off:-absent} s, near 0"
	between "$(dm_metric tidegate_sync_sources_written_total)" 1 100 \
		"  some sources written"
}

# 1/minute, burst 2, floods far shorter than a minute: every source gets
# exactly 2, whatever happens to the daemon. A reset bucket would give
# its source 2 more.
test_many_sources_kill() {
	local sources=2000 s allowed new
	write_conf 1/minute 2
	kill -HUP "$DM_PID"
	dm_wait_log "new limits in force"
	ok $? "SIGHUP: 1/minute, burst 2" || diag "$(tail -3 "$DM_LOG")"
	dm_restart_bg 1.5 0.5 --config "$CONF"
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--port 80 --src 198.19.100.0 --sources "$sources" --count 400000 --threads 1 --duration 5 --json \
		>"$IT_TMP/flood.json" 2>"$IT_TMP/flood.err"
	is "$?" 0 "a flood from $sources sources ran" || diag "$(cat "$IT_TMP/flood.err")"
	diag "flood: $(cat "$IT_TMP/flood.json")"
	dm_restart_join
	dm_running
	ok $? "  the daemon was SIGKILLed and started again during it" ||
		it_abort "$(cat "$DM_LOG")"
	grep -q "adopted the running limiter, buckets kept" "$DM_LOG"
	ok $? "  it adopted the running limiter" || diag "$(tail -3 "$DM_LOG")"
	sleep 0.3
	s=$(it_stats)
	diag "stats: $s"
	allowed=$(it_field "$s" allowed)
	new=$(it_field "$s" new_source)
	# The client's bucket from the first test is one more source.
	is "$new" $((sources + 1)) "  every source got a bucket once: none was made again"
	is "$((allowed - CLIENT_CONNECTS))" $((2 * sources)) "  every source was admitted exactly its burst of 2"
	sleep 0.5
	is "$(rd_count "$PFX:$IF")" "$sources" "  and after the restart all $sources are in Redis"
}

# One source, every CPU, 6 seconds, the daemon SIGKILLed at 2 s and back
# at 3 s: admitted exactly burst + rate x elapsed (a reset would add a
# burst: 50 more than the ~650 the flood may have).
test_one_source_kill() {
	write_conf 100/second 50
	kill -HUP "$DM_PID"
	dm_wait_log "new limits in force"
	ok $? "SIGHUP: 100/second, burst 50"
	dm_restart_bg 2 1 --config "$CONF"
	it_flood_exact "$SB_SRV_IP" 50 6 4
	dm_restart_join
	dm_running
	ok $? "  the daemon was SIGKILLed at 2 s and back at 3 s" || diag "$(tail -3 "$DM_LOG")"
	grep -q "adopted the running limiter, buckets kept" "$DM_LOG"
	ok $? "  adopting the running limiter"
}

# dm_wait_count PATTERN N : until the daemon's log has N lines with PATTERN.
dm_wait_count() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c -- "$1" "$DM_LOG")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# 'tidegate set --v4-prefix 24' under the daemon: set warns that the
# daemon's next reload or restart puts the file's limits back; until
# then the mirror keys buckets by the prefix in force, read from the
# maps (not the file's /32); SIGHUP puts the file's /32 back, and the
# keys follow it again.
test_set_under_daemon() {
	local key24 key32 reloads
	# The buckets 4 connects leave not full for 2 s, long enough to see
	# on a loaded machine; the keys are made before the connects.
	key24="$PFX:$IF:{s:$(rd_shard4 198.18.0.0)}:v4:198.18.0.0/24"
	key32=$(rd_key4 "$PFX" "$IF" "$SB_CLI_IP")
	reloads=$(grep -c "new limits in force" "$DM_LOG")
	write_conf 2/second 10
	kill -HUP "$DM_PID"
	dm_wait_count "new limits in force" $((reloads + 1))
	ok $? "SIGHUP: 2/second, burst 10" || diag "$(tail -3 "$DM_LOG")"
	tg_run set "$IF" --v4-prefix 24 --json
	is "$RC" 0 "set --v4-prefix 24 while the daemon runs" || diag "  stderr: $ERR"
	[[ $ERR == *"managed by a tidegate daemon"*"next reload (SIGHUP) or restart"* ]]
	ok $? "  warns that the daemon's next reload or restart puts the file's limits back" ||
		diag "  stderr: $ERR"
	is "$(it_connects 4 "$SB_SRV_IP" 80)" 4 "4 connects from the client"
	sleep 0.3
	is "$(rd_cli exists "$key24")" 1 "  its bucket is in Redis under its /24: $key24"
	is "$(rd_cli --scan --pattern "$PFX:$IF:*:v4:198.18.*" | grep -vc '/24$')" 0 \
		"  and under no other prefix"
	kill -HUP "$DM_PID"
	dm_wait_count "new limits in force" $((reloads + 2))
	ok $? "SIGHUP puts the file's limits back" || diag "$(tail -3 "$DM_LOG")"
	is "$(sb_tg status "$IF" --json | json limits.v4_prefix)" 32 "  /32, as the file has it"
	is "$(it_connects 4 "$SB_SRV_IP" 80)" 4 "4 connects from the client"
	sleep 0.3
	is "$(rd_cli exists "$key32")" 1 "  its bucket is in Redis under its /32 again: $key32"
}

test_key_and_expiry
test_many_sources_kill
test_one_source_kill
test_set_under_daemon
dm_stop TERM
is "$?" 0 "SIGTERM stops the daemon cleanly"
tg_run set "$IF" --v4-prefix 24 --json
is "$RC:$ERR" "0:" "with the daemon gone, set has nothing to warn about" || diag "  stderr: $ERR"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
