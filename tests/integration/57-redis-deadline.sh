#!/usr/bin/env bash
# Redis that answers too slowly, never finishes, or is still loading:
# every exchange with it ends by a deadline, the restore at attach by
# its 10 s bound, SIGTERM is never held, and a restore cut short is
# finished later by the sync thread instead of being given up.
#   - a fake that trickles an endless reply one byte per 100 ms (each read
#     comes well within the 1 s timeout: only an overall deadline ends it)
#   - a fake whose SCAN never ends (the 10 s bound of the restore)
#   - a fake that answers -LOADING for 3 s, in front of a real Redis
#   - a real redis-server blocked by DEBUG SLEEP
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
it_need_redis
rd_start --enable-debug-command local || it_abort "no redis-server"
PFX=tgtest
FAKE_SOCK=$IT_TMP/fake.sock
FAKE_PID=
ATTACKER=198.19.5.5

fake_stop() {
	[ -n "$FAKE_PID" ] || return 0
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
	FAKE_PID=
}
sb_on_cleanup fake_stop

fake_start() { # MODE ARGS...
	fake_stop
	rm -f "$FAKE_SOCK"
	python3 "$IT_LIB/redis_fake.py" "$1" "$FAKE_SOCK" "${@:2}" 2>>"$IT_TMP/fake.log" &
	FAKE_PID=$!
	for _ in $(seq 50); do
		[ -S "$FAKE_SOCK" ] && return 0
		sleep 0.1
	done
	return 1
}

conf() { # SOCKET [REDIS_TIMEOUT]
	cat >"$IT_TMP/tidegate.conf" <<CONF
[daemon]
redis = unix://$1
sync-interval = 100ms
redis-timeout = ${2:-1s}
redis-prefix = $PFX
[interface $IF]
rate = 5/second
burst = 50
ports = 80
CONF
}

mono_ms() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 10**6)'; }

# A clean slate: no daemon, nothing attached, so the next start restores.
fresh() {
	dm_stop TERM
	sb_tg detach "$IF" --json >/dev/null 2>&1
}

# Plant the attacker's bucket in the real Redis: 11 s ahead of its clock
# (within tolerance + interval + 2 s, so it is taken), most of a burst
# spent.
plant() {
	local now_us
	rd_cli flushall >/dev/null
	now_us=$(rd_cli time | python3 -c 'import sys; s, u = sys.stdin.read().split(); print(int(s) * 10**6 + int(u))')
	rd_cli set "$(rd_key4 "$PFX" "$IF" "$ATTACKER")" $((now_us + 11000000)) >/dev/null
}

test_trickle() {
	local t0 t1 t2 t3
	fake_start trickle 0.1 || it_abort "the fake Redis did not start"
	conf "$FAKE_SOCK"
	t0=$(mono_ms)
	dm_start --config "$IT_TMP/tidegate.conf"
	dm_running 30
	ok $? "a Redis that trickles its replies: the daemon starts" || it_abort "$(cat "$DM_LOG")"
	t1=$(mono_ms)
	diag "started in $((t1 - t0)) ms with a Redis sending a byte every 100 ms, redis-timeout 1 s"
	between $((t1 - t0)) 0 6000 "  within the exchange deadline (1 s) and attach, not held by the trickle"
	grep -q "restore stopped early.*no complete reply in time" "$DM_LOG"
	ok $? "  and says the restore stopped early, and why" || diag "$(grep -v libbpf "$DM_LOG")"
	t2=$(mono_ms)
	dm_metrics 1 >"$IT_TMP/m.txt"
	ok $? "  /metrics answers while the sync thread waits on the trickle"
	t3=$(mono_ms)
	diag "scrape took $((t3 - t2)) ms"
	sleep 3
	between "$(dm_metric 'tidegate_redis_connects_total{result="ok"}')" 2 100 \
		"  the sync thread keeps trying, each try ended by the deadline"
	t0=$(mono_ms)
	dm_stop TERM
	is "$?" 0 "  SIGTERM stops it cleanly"
	t1=$(mono_ms)
	diag "SIGTERM to exit: $((t1 - t0)) ms"
	between $((t1 - t0)) 0 4000 "  promptly: the last cycle is bounded by the deadline too"
	sb_tg detach "$IF" --json >/dev/null 2>&1
}

test_endless_scan() {
	local t0 t1 took
	fake_start endless-scan || it_abort "the fake Redis did not start"
	# A long timeout per exchange, so only the restore's own bound ends it.
	conf "$FAKE_SOCK" 5s
	t0=$(mono_ms)
	dm_start --config "$IT_TMP/tidegate.conf"
	dm_running 30
	ok $? "a SCAN that never ends: the daemon starts" || it_abort "$(cat "$DM_LOG")"
	t1=$(mono_ms)
	diag "started in $((t1 - t0)) ms (the attach included); the restore's bound is 10 s"
	grep -q "restore stopped early.*ran out of time" "$DM_LOG"
	ok $? "  and says the restore ran out of time" || diag "$(grep -v libbpf "$DM_LOG")"
	took=$(sed -n 's/.*restore stopped early after [0-9]* buckets and \([0-9]*\)\.\([0-9]\{3\}\) s.*/\1\2/p' "$DM_LOG" | head -1)
	between "${took:-0}" 9500 10500 "  the restore itself took its 10 s bound, not more ($took ms)"
	fresh
}

test_loading() {
	local tat
	fresh
	plant
	fake_start loading 3 "$RD_SOCK" || it_abort "the fake Redis did not start"
	conf "$FAKE_SOCK"
	dm_start --config "$IT_TMP/tidegate.conf"
	dm_running 30
	ok $? "a Redis still loading its data: the daemon starts" || it_abort "$(cat "$DM_LOG")"
	grep -q "restore stopped early.*LOADING" "$DM_LOG"
	ok $? "  the restore stops at -LOADING, and says so" || diag "$(grep -v libbpf "$DM_LOG")"
	is "$(it_bucket "$ATTACKER")" "" "  nothing restored yet"
	dm_wait_log "restored 1 buckets from Redis (late" 15
	ok $? "  once loaded, the sync thread restores the bucket" || diag "$(grep -v libbpf "$DM_LOG")"
	tat=$(it_bucket "$ATTACKER" | json tat_ns)
	between $(( ${tat:-0} / 1000000 - $(mono_ms) )) 1 11000 \
		"  the attacker's bucket is there, its TAT ahead of now by what Redis held (ms)"
	kill -HUP "$DM_PID"
	dm_wait_log "reloaded:" 10
	sleep 1
	is "$(grep -c "buckets from Redis (late" "$DM_LOG")" 1 \
		"  a reload does not run the finished restore again"
	fresh
	fake_stop
}

test_debug_sleep() {
	local t0 t1 tat
	plant
	rd_cli debug sleep 6 >/dev/null &
	local sleeper=$!
	sleep 0.3
	conf "$RD_SOCK"
	t0=$(mono_ms)
	dm_start --config "$IT_TMP/tidegate.conf"
	dm_running 30
	ok $? "a real Redis blocked (DEBUG SLEEP 6): the daemon starts" || it_abort "$(cat "$DM_LOG")"
	t1=$(mono_ms)
	kill -0 "$sleeper" 2>/dev/null
	ok $? "  before Redis wakes (in $((t1 - t0)) ms)"
	grep -q "restore stopped early" "$DM_LOG"
	ok $? "  the restore stopped at the deadline" || diag "$(grep -v libbpf "$DM_LOG")"
	wait "$sleeper"
	dm_wait_log "restored 1 buckets from Redis (late" 15
	ok $? "  and is finished when Redis wakes" || diag "$(grep -v libbpf "$DM_LOG")"
	tat=$(it_bucket "$ATTACKER" | json tat_ns)
	between $(( ${tat:-0} / 1000000 - $(mono_ms) )) 1 11000 \
		"  the attacker's bucket is there, its TAT ahead of now by what Redis held (ms)"
	dm_stop TERM
	is "$?" 0 "SIGTERM stops the daemon cleanly"
}

test_trickle
test_endless_scan
test_loading
test_debug_sleep
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
