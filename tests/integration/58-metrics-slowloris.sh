#!/usr/bin/env bash
# The metrics endpoint under slow clients (slowloris): 80 connections from
# 10 other local addresses, each sending a byte every 5 s, for 12 s. Every
# scrape in the meantime must answer within 1 s; the server refuses what
# is over its per-address limit, closes the slow ones at its idle timeout,
# and libmicrohttpd's messages about it come through tidegate's logger
# (every line of the daemon's stderr carries its level).
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
SOURCES=$(seq -s, -f '127.0.0.%g' 2 11)
PER_SOURCE=8
PER_ADDRESS=8 # metrics_http.c's limit
IDLE_TIMEOUT=3

dm_start "$IF" --rate 10/second
dm_running
ok $? "the daemon runs, metrics on $DM_METRICS" || it_abort "$(cat "$DM_LOG")"

mono_ms() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 10**6)'; }

# Over the per-address limit from one address, the rest from nine more.
sb_srv python3 "$IT_LIB/slowloris.py" 127.0.0.1 "$DM_PORT" "$SOURCES" "$PER_SOURCE" 5 12 \
	>"$IT_TMP/slow.json" 2>"$IT_TMP/slow.err" &
SLOW=$!
sb_on_cleanup "kill $SLOW 2>/dev/null"
# A burst over the limit from one more address.
sb_srv python3 "$IT_LIB/slowloris.py" 127.0.0.1 "$DM_PORT" 127.0.0.12 $((PER_ADDRESS + 8)) 5 12 \
	>"$IT_TMP/over.json" 2>"$IT_TMP/over.err" &
OVER=$!
sb_on_cleanup "kill $OVER 2>/dev/null"
sleep 0.5

worst=0
fails=0
for i in $(seq 10); do
	t0=$(mono_ms)
	if dm_metrics 2 | grep -q '^tidegate_syn_total'; then
		t1=$(mono_ms)
		[ $((t1 - t0)) -gt "$worst" ] && worst=$((t1 - t0))
	else
		fails=$((fails + 1))
	fi
	sleep 1
done
diag "10 scrapes under slowloris: the slowest took $worst ms"
is "$fails" 0 "every scrape under slowloris answers"
between "$worst" 0 1000 "  each within 1 s"

wait "$SLOW"
wait "$OVER"
diag "slow clients: $(cat "$IT_TMP/slow.json") $(cat "$IT_TMP/slow.err")"
diag "over the limit: $(cat "$IT_TMP/over.json") $(cat "$IT_TMP/over.err")"
is "$(json connected <"$IT_TMP/slow.json")" $((10 * PER_SOURCE)) "the slow clients all connected"
is "$(json open_at_end <"$IT_TMP/slow.json")" 0 "  none was held to the end"
between "$(json timed_out_after_max_ms <"$IT_TMP/slow.json")" 1000 $(((IDLE_TIMEOUT + 2) * 1000)) \
	"  each closed at the idle timeout (${IDLE_TIMEOUT} s), not after the 12 s they asked for"
is "$(json refused <"$IT_TMP/over.json")" 8 \
	"from one address, the 8 connections over the limit of $PER_ADDRESS are refused at once"

grep -q "metrics: .*limit" "$DM_LOG"
ok $? "libmicrohttpd's refusals are logged through tidegate's logger" || diag "$(cat "$DM_LOG")"
unprefixed=$(grep -vc '^<[0-7]>' "$DM_LOG")
is "$unprefixed" 0 "every line on the daemon's stderr carries its level" ||
	diag "$(grep -v '^<[0-7]>' "$DM_LOG" | head -5)"
kill -0 "$DM_PID"
ok $? "the daemon runs on"
dm_stop TERM
is "$?" 0 "SIGTERM stops it cleanly"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
