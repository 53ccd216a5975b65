#!/usr/bin/env bash
# A simulated reboot: the limiter detached and its pins removed (what a
# reboot leaves), then the daemon started again with Redis. The
# attacker's bucket is restored before the program is attached, to
# within one token plus rate x sync interval, so the reboot gains it
# nothing; without the restore (a control) it gets a whole new burst.
# Then hostile keys and values planted in Redis are rejected, counted,
# and change no bucket.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
it_need_redis
it_has_flood || it_abort "this tidegate has no flood command"
rd_start || it_abort "no redis-server"
CONF=$IT_TMP/tidegate.conf
PFX=tgtest
RATE=5
BURST=50
INTERVAL_NS=200000000 # 1/RATE
SYNC_MS=100
ATTACKER=198.19.5.5

cat >"$CONF" <<CONF
[daemon]
redis = unix://$RD_SOCK
sync-interval = ${SYNC_MS}ms
redis-prefix = $PFX
[interface $IF]
rate = $RATE/second
burst = $BURST
ports = 80
CONF

mono_ns() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))'; }

# syn_burst SRC COUNT : COUNT SYNs from SRC, at once. Prints the allowed
# counter's increase.
syn_burst() {
	local before after
	before=$(it_stat allowed)
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--port 80 --src "$1" --sources 1 --count "$2" --threads 1 --duration 5 --json \
		>"$IT_TMP/flood.json" 2>"$IT_TMP/flood.err" || diag "flood: $(cat "$IT_TMP/flood.err")"
	sleep 0.2
	after=$(it_stat allowed)
	echo $((after - before))
}

# What GCRA admits at once at time NOW from a bucket at TAT:
# floor((NOW + tolerance - TAT) / interval) + 1, at most the burst.
gcra_now() { # TAT NOW
	python3 -c '
import sys
tat, now, i, b = map(int, sys.argv[1:])
tol = (b - 1) * i
n = (now + tol - max(tat, now)) // i + 1
print(max(0, min(b, n)))' "$1" "$2" "$INTERVAL_NS" "$BURST"
}

reboot() {
	dm_stop TERM
	tg_ok "  detach: the program and the pins are gone, as after a reboot" detach "$IF" --json
	[ -e "$PIN_DIR" ]
	is "$?" 1 "  no pins left"
}

test_restore() {
	local tat0 tat1 t0 t1 lo hi got tol
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs with Redis" || it_abort "$(cat "$DM_LOG")"
	is "$(syn_burst "$ATTACKER" 30)" 30 "the attacker spends 30 of its burst of $BURST"
	sleep 0.3
	tat0=$(it_bucket "$ATTACKER" | json tat_ns)
	is "$(rd_cli exists "$(rd_key4 "$PFX" "$IF" "$ATTACKER")")" 1 "  its bucket is in Redis"
	reboot
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon starts on an empty table" || it_abort "$(cat "$DM_LOG")"
	grep -q "restored 1 buckets from Redis" "$DM_LOG"
	ok $? "  and restores 1 bucket before attaching" || diag "$(grep -v libbpf "$DM_LOG")"
	tat1=$(it_bucket "$ATTACKER" | json tat_ns)
	tol=$((INTERVAL_NS + SYNC_MS * 1000000))
	between "$((tat1 - tat0))" "-$tol" "$tol" \
		"  the restored TAT is the old one within one token plus rate x interval"
	diag "restored TAT - old TAT = $((tat1 - tat0)) ns"
	is "$(it_stat new_source)" 0 "  no packet has made a bucket yet"
	# Now the attacker comes back with everything it has.
	t0=$(mono_ns)
	got=$(syn_burst "$ATTACKER" 200)
	t1=$(mono_ns)
	lo=$(gcra_now "$tat0" "$t0")
	hi=$(gcra_now "$tat0" "$t1")
	diag "after the reboot the attacker got $got; its remaining budget was $lo..$hi"
	between "$got" $((lo - 2)) $((hi + 2)) \
		"  it gets only what was left of its budget (within 1 token + rate x interval)"
	ok $((got >= BURST)) "  not a fresh burst of $BURST"
}

# The same reboot without the restore (another key prefix): the attacker
# gets a whole burst. Shows the test above can fail.
test_control() {
	local got
	reboot
	dm_start --config "$CONF" --redis-prefix nothing-here
	dm_running
	ok $? "control: started again reading another prefix" || it_abort "$(cat "$DM_LOG")"
	got=$(syn_burst "$ATTACKER" 200)
	is "$got" "$BURST" "  without a restore the attacker gets a fresh burst of $BURST"
}

plant() { rd_cli set "$1" "$2" >/dev/null; }

test_hostile() {
	local now_us s good far tat t0 t1 lo hi got
	reboot
	rd_cli flushall >/dev/null
	now_us=$(rd_cli time | python3 -c 'import sys; s, u = sys.stdin.read().split(); print(int(s) * 10**6 + int(u))')
	good=198.19.7.7
	# 9 s ahead with a 9.8 s tolerance: 5 tokens left.
	plant "$(rd_key4 "$PFX" "$IF" $good)" $((now_us + 9000000))
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.8)" abc
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.9)" -5
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.10)" 99999999999999999999
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.11)" $((now_us + 86400000000))
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.12)" 0
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.13)" 1.5e15
	plant "$(rd_key4 "$PFX" "$IF" 198.19.7.14)" "$(head -c 100000 /dev/zero | tr '\0' 7)"
	rd_cli hset "$(rd_key4 "$PFX" "$IF" 198.19.7.15)" tat 1 >/dev/null
	s=$(rd_shard4 198.19.7.16)
	plant "$PFX:$IF:{s:$(printf %04d $(( (10#$s + 1) % 1024 )))}:v4:198.19.7.16" $((now_us + 9000000))
	plant "$PFX:$IF:{s:$s}:v4:198.19.7.300" $((now_us + 9000000))
	plant "$PFX:$IF:{s:$s}:v4:198.19.7.16/24" $((now_us + 9000000))
	plant "$PFX:$IF:{s:$s}:v9:198.19.7.16" $((now_us + 9000000))
	dm_start --config "$CONF"
	dm_running
	ok $? "with hostile keys and values planted, the daemon starts" ||
		it_abort "$(cat "$DM_LOG")"
	grep -q "restored 1 buckets from Redis" "$DM_LOG"
	ok $? "  and restores only the one good bucket" || diag "$(grep -v libbpf "$DM_LOG")"
	is "$(dm_metric 'tidegate_redis_rejected_total{reason="value"}')" 7 \
		"  7 values refused (abc, -5, 20 digits, 0, 1.5e15, 100 kB, a hash)"
	is "$(dm_metric 'tidegate_redis_rejected_total{reason="future"}')" 1 \
		"  1 TAT a day ahead refused"
	is "$(dm_metric 'tidegate_redis_rejected_total{reason="key"}')" 4 \
		"  4 keys refused (wrong shard tag, bad address, wrong prefix, bad family)"
	is "$(dm_metric 'tidegate_restore_sources_total{result="restored"}')" 1 \
		"  1 restored, in the metrics too"
	is "$(it_bucket_count)" 1 "  the table holds that one bucket only"
	far=$(syn_burst 198.19.7.11 20)
	is "$far" 20 "the source whose TAT was a day ahead is not blocked: 20 of 20 pass"
	tat=$(it_bucket $good | json tat_ns)
	t0=$(mono_ns)
	got=$(syn_burst $good 60)
	t1=$(mono_ns)
	lo=$(gcra_now "$tat" "$t0")
	hi=$(gcra_now "$tat" "$t1")
	between "$got" $((lo - 1)) $((hi + 1)) \
		"the good bucket was restored: what is left of it passes ($got of $lo..$hi)"
	ok $((got >= BURST)) "  not a fresh burst"
	kill -0 "$DM_PID"
	ok $? "the daemon runs on"
}

test_restore
test_control
test_hostile
dm_stop TERM
is "$?" 0 "SIGTERM stops the daemon cleanly"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
