#!/usr/bin/env bash
# Redis goes away in the middle of a flood: first hung (SIGSTOP), then
# dead (SIGKILL), then back (a new redis-server). Throughout, the data
# path admits exactly rate x sources and keeps dropping the rest at the
# same pace; the daemon notices within its timeout, counts what it
# could not write, keeps serving metrics, reconnects with backoff and
# writes every live bucket again when Redis returns.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
it_need_redis
it_has_flood || it_abort "this tidegate has no flood command"
rd_start || it_abort "no redis-server"
CONF=$IT_TMP/tidegate.conf
PFX=tgtest
SOURCES=100
RATE=10

cat >"$CONF" <<CONF
[daemon]
redis = unix://$RD_SOCK
sync-interval = 100ms
redis-timeout = 200ms
redis-prefix = $PFX
[interface $IF]
rate = $RATE/second
burst = 10
ports = 80
CONF

SAMPLES=$IT_TMP/samples
sample() { # NAME
	echo "$1 $(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))') $(sb_tg stats "$IF" --json)" >>"$SAMPLES"
}

# rates FROM TO : allowed/s and dropped/s between two samples.
rates() {
	python3 - "$SAMPLES" "$1" "$2" <<'PY'
import json, sys
s = {}
for line in open(sys.argv[1]):
    name, t, js = line.split(" ", 2)
    s[name] = (int(t), json.loads(js))
(t0, a), (t1, b) = s[sys.argv[2]], s[sys.argv[3]]
dt = (t1 - t0) / 1e9
print("%d %d" % ((b["allowed"] - a["allowed"]) / dt, (b["dropped"] - a["dropped"]) / dt))
PY
}

dm_start --config "$CONF"
dm_running
ok $? "the daemon runs with Redis" || it_abort "$(cat "$DM_LOG")"
dm_wait_log "connected; writing"
ok $? "  connected"

sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
	--port 80 --src 198.19.50.0 --sources "$SOURCES" --count 2000000000 --threads 1 \
	--duration 24 --json >"$IT_TMP/flood.json" 2>"$IT_TMP/flood.err" &
FLOOD=$!
sleep 1.5 # past the bursts
sample a0
sleep 2.5
sample a1
is "$(rd_count "$PFX:$IF")" "$SOURCES" "before the outage: all $SOURCES sources are in Redis"

# Hung: connections open, no answers.
kill -STOP "$RD_PID"
sleep 0.5
sample b0
t0=$(date +%s%N)
dm_metrics 1 >"$IT_TMP/m.txt"
ok $? "Redis hung: /metrics still answers"
diag "  in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
sleep 2
sample b1
is "$(dm_metric tidegate_redis_up)" 0 "  and says Redis is down"

# Dead: connections refused.
rd_kill KILL
sleep 0.5
sample c0
sleep 2
sample c1
kill -0 "$DM_PID"
ok $? "Redis killed: the daemon runs on"
between "$(dm_metric tidegate_sync_sources_unwritten_total)" 1 100000000 \
	"  counting what it could not write"
between "$(dm_metric 'tidegate_redis_connects_total{result="failed"}')" 1 1000 \
	"  and its failed reconnects"

# Back: an empty Redis. The backoff may have reached its 5 s (+20%)
# cap during the outage: the reconnect comes by then.
rd_start || it_abort "redis-server did not come back"
for ((i = 0; i < 80; i++)); do
	[ "$(dm_metric tidegate_redis_up)" = 1 ] && break
	sleep 0.1
done
is "$(dm_metric tidegate_redis_up)" 1 "Redis back: the daemon reconnects within its backoff"
sleep 0.5
sample d0
sleep 2
sample d1
# Checked while the flood runs: once it ends the buckets fill, their keys expire.
kill -0 "$FLOOD" 2>/dev/null
ok $? "  the flood still runs: it covers every phase" || diag "flood stopped before the last sample"
is "$(rd_count "$PFX:$IF")" "$SOURCES" "after the outage: all $SOURCES live buckets are back in Redis"
is "$(dm_metric tidegate_redis_up)" 1 "  and Redis is up in the metrics"
wait "$FLOOD"
is "$?" 0 "the flood ran its 24 s" || diag "$(cat "$IT_TMP/flood.err")"
diag "flood: $(cat "$IT_TMP/flood.json")"

read -r aa ad <<<"$(rates a0 a1)"
read -r ba bd <<<"$(rates b0 b1)"
read -r ca cd <<<"$(rates c0 c1)"
read -r da dd <<<"$(rates d0 d1)"
diag "allowed/s: up $aa, hung $ba, dead $ca, back $da (want $((SOURCES * RATE)))"
diag "dropped/s: up $ad, hung $bd, dead $cd, back $dd"
want=$((SOURCES * RATE))
for p in "up $aa" "hung $ba" "dead $ca" "back $da"; do
	set -- $p
	between "$2" $((want * 9 / 10)) $((want * 11 / 10)) \
		"Redis $1: the data path admits rate x sources ($2/s)"
done
for p in "hung $bd" "dead $cd" "back $dd"; do
	set -- $p
	between "$2" $((ad / 2)) $((ad * 2)) \
		"Redis $1: it drops at the pace it did with Redis up ($2/s against $ad/s)"
done
grep -q "reconnecting with backoff" "$DM_LOG"
ok $? "  the log tells the outage"
between "$(dm_metric 'tidegate_sync_cycles_total{result="failed"}')" 1 1000 "  failed cycles counted"
dm_stop TERM
is "$?" 0 "SIGTERM stops the daemon cleanly"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
