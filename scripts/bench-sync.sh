#!/usr/bin/env bash
# bench-sync.sh [TIDEGATE] [SOURCES] : what the Redis mirror costs.
#
# In the shared sandbox, with a private redis-server on a unix socket:
#  1. a flood from SOURCES spoofed sources (default 100000) fills the
#     table while the daemon is stopped; started again, its first cycle
#     writes every one of them (a resync): one cycle, all sources written;
#  2. the cycles after it find nothing changed: the cost of watching;
#  3. a flood that moves every source's bucket between two cycles: the
#     steady worst case, every live source rewritten every cycle.
# Sources come from 198.18.1.0 on (131071 at most, inside 198.18.0.0/15).
# Prints each cycle's duration and sources per second, from the daemon's
# own log (-v: "sync: wrote N buckets in S s") and its metrics.
set -u
TG=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/tidegate}
SOURCES=${2:-100000}
. "$(dirname "$0")/lib/sandbox.sh"
SB_TIDEGATE=$TG
sb_create || exit 1
T=$(mktemp -d /tmp/tidegate-bench.XXXXXX)
RD=
DM=
stop_all() {
	[ -n "$DM" ] && kill -TERM "$DM" 2>/dev/null && wait "$DM" 2>/dev/null
	[ -n "$RD" ] && kill -KILL "$RD" 2>/dev/null && wait "$RD" 2>/dev/null
	cp "$T/daemon.log" /tmp/bench-sync-daemon.log 2>/dev/null; rm -rf "$T"
}
sb_on_cleanup stop_all

redis-server --port 0 --unixsocket "$T/r.sock" --save '' --appendonly no --dir "$T" \
	>"$T/redis.log" 2>&1 &
RD=$!
for i in $(seq 50); do redis-cli -s "$T/r.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done

daemon() { # RATE BURST
	nsenter --net="/run/netns/$SB_SRV_NS" "$TG" run "$SB_SRV_IF" --rate "$1" --burst "$2" \
		--ports 80 --max-sources $((SOURCES * 2)) --redis "unix://$T/r.sock" \
		--sync-interval 250ms --metrics 127.0.0.1:19478 -v 2>>"$T/daemon.log" &
	DM=$!
	for i in $(seq 100); do grep -q "running: protecting" "$T/daemon.log" && break; sleep 0.1; done
}
flood() { # COUNT SECONDS
	sb_cli "$TG" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" --port 80 \
		--src 198.18.1.0 --sources "$SOURCES" --count "$1" --threads 1 --duration "$2" --json
}
cycles() { grep -o "sync: wrote [0-9]* buckets in [0-9.]* s" "$T/daemon.log"; }

echo "== 1. $SOURCES live sources, one cycle writes them all"
daemon 1/minute 100
kill -TERM "$DM"; wait "$DM"; DM=
flood $((SOURCES * 3)) 20 >/dev/null
echo "table: $(bpftool map show pinned "$SB_PIN_BASE/$SB_SRV_IF/tg_buckets" | head -1)"
: >"$T/daemon.log"
daemon 1/minute 100
sleep 3
cycles | head -3
echo "keys in Redis: $(redis-cli -s "$T/r.sock" dbsize)"
echo "== 2. nothing changed: each cycle reads and compares $SOURCES buckets"
sb_srv curl -s http://127.0.0.1:19478/metrics | grep -E "^tidegate_(sync_last_duration|tracked_sources|sync_sources_written)"
# 5/second, burst 1: a source sending ~15 SYNs/s is admitted every 200 ms,
# so its bucket is never full and has moved at every 250 ms cycle.
echo "== 3. every bucket moves every cycle (5/second, burst 1, flood 10 s)"
kill -TERM "$DM"; wait "$DM"; DM=
sb_srv "$TG" detach "$SB_SRV_IF" >/dev/null
redis-cli -s "$T/r.sock" flushall >/dev/null
: >"$T/daemon.log"
daemon 5/second 1
w0=$(sb_srv curl -s http://127.0.0.1:19478/metrics | awk '$1 == "tidegate_sync_sources_written_total" { print $2 }')
t0=$(date +%s%N)
flood 2000000000 10
t1=$(date +%s%N)
w1=$(sb_srv curl -s http://127.0.0.1:19478/metrics | awk '$1 == "tidegate_sync_sources_written_total" { print $2 }')
cycles | tail -n +3 | head -12
echo "written during the flood: $((w1 - w0)) in $(( (t1 - t0) / 1000000 )) ms = $(( (w1 - w0) * 1000000000 / (t1 - t0) )) sources/s"
