#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-fleet.sh - fleet mode (issue 12): three "machines"
# (scripts/lib/fleet.sh: three namespace pairs, each its own veth and
# `tidegate run --fleet`), one redis-server on a unix socket or, with
# BENCH_FLEET_STORE=cluster, a Redis Cluster of 3 masters and 3 replicas
# (scripts/lib/fleet_cluster.sh), r = 20/s, b = 20 (b_loc = 7), for each
# push interval T:
#  accuracy     one fresh source at 100 SYN/s on each machine for W s:
#               admitted in all against b + r*W, its excess against the
#               bound's (N-1)*(b_loc + r*Delta), Delta = 2T + 50 ms, and
#               the long-run rate (admitted - b) / W / r
#  propagation  a source flooded past the limit on machines 1 and 2: from
#               its denial's entry on the stream (Redis' clock, ms) to its
#               floor in machine 3's tg_floor (polled every ~5 ms)
#  throughput   machine 1 alone, SOURCES sources each sending at about
#               its rate (so that every source changes every cycle):
#               deltas Redis acknowledged per second (of wall time, and
#               of push cycle: acked / (cycles x their mean duration)),
#               the push cycles (sampled from status every ~10-30 ms;
#               the p99 of the samples, and the longest of all) and
#               Redis' CPU per acknowledged delta (INFO CPU)
#  push         the push cycle alone: machine 1, each of PUSH_ROUNDS
#               rounds SOURCES sources sending 2 SYNs each at once, then
#               no traffic while the cycles push them: changed sources
#               acked per second of the cycles that carried them, those
#               cycles' durations, and the store's CPU per delta (every
#               node's, in a cluster), and the keys that remember the
#               calls applied (one per node and shard pushed to)
#
#   scripts/bench-fleet.sh [TIDEGATE]     (make bench-fleet)
#   BENCH_QUICK=1 ...                     one interval, W = 1 s, a small
#                                         throughput run: the smoke test's
# Environment: BENCH_OUT (build/bench), BENCH_FLEET_T ("50 100 200", ms),
# BENCH_FLEET_W ("1 3 10", s), BENCH_FLEET_SOURCES (60000, under tg_floor's 65,536),
# BENCH_FLEET_PPS (400000), BENCH_FLEET_SECONDS (5), BENCH_FLEET_PROP (3),
# BENCH_FLEET_PUSH_ROUNDS (3), BENCH_FLEET_STORE (redis, or cluster).
# Results: build/bench/fleet.jsonl (one JSON line per measure, and the
# machine), the table on stdout and in build/bench/fleet.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIDEGATE=${1:-${TIDEGATE:-$ROOT/build/tidegate}}
SB_TIDEGATE=$TIDEGATE
OUT=${BENCH_OUT:-$ROOT/build/bench}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	TS="100" WS="1" SOURCES=2000 PPS=40000 SECONDS_TP=1 PROP=1 BENCH_FLEET_PUSH_ROUNDS=1
else
	TS=${BENCH_FLEET_T:-"50 100 200"} WS=${BENCH_FLEET_W:-"1 3 10"}
	SOURCES=${BENCH_FLEET_SOURCES:-60000} PPS=${BENCH_FLEET_PPS:-400000}
	SECONDS_TP=${BENCH_FLEET_SECONDS:-5} PROP=${BENCH_FLEET_PROP:-3}
fi
PUSH_ROUNDS=${BENCH_FLEET_PUSH_ROUNDS:-3}
STORE=${BENCH_FLEET_STORE:-redis} # or cluster: 3 masters, 3 replicas
PFX=tgbench

log() { echo "bench-fleet: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
for t in redis-server redis-cli python3 bpftool; do
	command -v "$t" >/dev/null || { log "$t is missing: run scripts/install-deps.sh"; exit 1; }
done
[ -x "$TIDEGATE" ] || { log "no tidegate binary at $TIDEGATE (make)"; exit 1; }
. "$ROOT/scripts/lib/sandbox.sh"
. "$ROOT/scripts/lib/json.sh"
. "$ROOT/scripts/lib/fleet.sh"
mkdir -p "$OUT"
RES=$OUT/fleet.jsonl
: >"$RES"
sb_create || { log "could not create the sandbox"; exit 1; }
IT_TMP=$(mktemp -d "/tmp/tidegate-bench-fleet-$SB_ID.XXXXXX")
sb_on_cleanup "rm -rf '$IT_TMP'"

RD_PID=
RD_SOCK=$IT_TMP/redis.sock
rd_cli() { redis-cli -s "$RD_SOCK" "$@"; }
rd_kill() { [ -n "$RD_PID" ] && kill -KILL "$RD_PID" 2>/dev/null && wait "$RD_PID" 2>/dev/null; RD_PID=; }
if [ "$STORE" = redis ]; then
	redis-server --port 0 --unixsocket "$RD_SOCK" --unixsocketperm 700 --save '' \
		--appendonly no --dir "$IT_TMP" >"$IT_TMP/redis.log" 2>&1 &
	RD_PID=$!
	for i in $(seq 50); do rd_cli ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
	rd_cli ping 2>/dev/null | grep -q PONG || { log "redis-server did not start"; exit 1; }
fi

FLEET=b$SB_ID T_MS=100
fl_init
# The store's CPU seconds, every process of it.
store_cpu() { rd_cli INFO cpu | awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { print s }'; }
# The keys the store holds that match PATTERN, every master's.
store_keys() { rd_cli --scan --pattern "$1" | wc -l; }
if [ "$STORE" = cluster ]; then
	. "$ROOT/scripts/lib/fleet_cluster.sh"
	cluster_start || { log "could not start a Redis cluster: $(tail -3 "$IT_TMP/rc/create.log")"; exit 1; }
	for k in 1 2 3; do FL_REDIS[k]=redis+cluster://$RIP:7001,$RIP:7002,$RIP:7003; done
	store_cpu() {
		local p
		for p in "${PORTS[@]}"; do rcli "$p" INFO cpu; done |
			awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { print s }'
	}
	store_keys() {
		local p
		for p in "${PORTS[@]}"; do
			[ "$(rcli "$p" ROLE | head -1)" = master ] && rcli "$p" --scan --pattern "$1"
		done | wc -l
	}
fi
fl_machines || { log "could not make machines 2 and 3"; exit 1; }

python3 - "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u +%FT%TZ)" "$(redis-server --version | grep -o 'v=[^ ]*')" "$STORE" >>"$RES" <<'PY'
import json, sys
print(json.dumps({"kind": "machine", "nproc": int(sys.argv[1]), "loadavg_before": sys.argv[2],
                  "date": sys.argv[3], "redis": sys.argv[4], "store": sys.argv[5]}))
PY

fleet_up() { # T_MS
	local k p
	for p in "${PIDS[@]}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	T_MS=$1
	for k in 1 2 3; do start_daemon "$k"; done
	for k in 1 2 3; do
		wait_log "$k" "fleet $FLEET: 3 members" 20 || { log "machine $k: $(tail -3 "$IT_TMP/d$k.log")"; return 1; }
	done
}

SRC_N=0
# fresh_src : SRC, a source no measure has used (not in $(...): a subshell
# would not count).
fresh_src() { SRC_N=$((SRC_N + 1)); SRC="198.19.$((SRC_N / 250 + 1)).$((SRC_N % 250 + 1))"; }

accuracy() { # T W
	local src k a0=() total=0 t0 t1 fl=()
	fresh_src
	src=$SRC
	for k in 1 2 3; do a0[k]=$(stat_of "$k" allowed); done
	t0=$(now_s)
	for k in 1 2 3; do
		flood "$k" "$src" 100 $((100 * $2)) $(($2 + 2)) >/dev/null 2>&1 &
		fl+=($!)
	done
	wait "${fl[@]}"
	t1=$(now_s)
	sleep 0.3
	for k in 1 2 3; do total=$((total + $(stat_of "$k" allowed) - a0[k])); done
	python3 - "$1" "$2" "$t0" "$t1" "$total" "$RATE" "$BURST" "$BLOC" "$N" >>"$RES" <<'PY'
import json, sys
t, w, t0, t1, total, r, b, bl, n = (float(x) for x in sys.argv[1:])
W = t1 - t0
bound_excess = (n - 1) * (bl + r * (2 * t + 50) / 1000)
print(json.dumps({"kind": "accuracy", "t_ms": int(t), "w_s": int(w), "wall_s": round(W, 3),
                  "admitted": int(total), "b_rW": round(b + r * W, 1),
                  "excess": round(total - (b + r * W), 1), "bound_excess": round(bound_excess, 1),
                  "rate_over_r": round((total - b) / W / r, 3)}))
PY
}

propagation() { # T
	local src id ms seen i pins f1 f2
	fresh_src
	src=$SRC
	flood 1 "$src" 200 600 3 >/dev/null 2>&1 &
	f1=$!
	flood 2 "$src" 200 600 3 >/dev/null 2>&1 &
	f2=$!
	pins=$(m_pins 3)
	id='' seen=''
	for ((i = 0; i < 300; i++)); do
		id=$(fleet_cli XRANGE "$PFX:fleet:{$FLEET}:denials" - + | grep -B2 -x ".*:v4:${src//./\\.}" | head -1)
		[ -n "$id" ] && break
		sleep 0.01
	done
	local key
	key=$(echo "$src" | awk -F. '{ printf "255,255,%d,%d,%d,%d", $1, $2, $3, $4 }')
	for ((i = 0; i < 400 && ${#id}; i++)); do
		if bpftool -j map dump pinned "$pins/tg_floor" | tr -d ' ' | grep -q "$key"; then
			seen=$(date +%s%3N)
			break
		fi
		sleep 0.005
	done
	wait "$f1" "$f2"
	local ms=null
	[ -n "$seen" ] && ms=$((seen - ${id%-*}))
	echo "{\"kind\": \"propagation\", \"t_ms\": $1, \"ms\": $ms}" >>"$RES"
}

# Machine 1's daemon restarted, so that its longest cycle is this run's.
throughput() { # T
	local k cpu0 cpu1 ack0 ack1 t0 t1 cyc calls
	kill -TERM "${PIDS[0]}" && wait "${PIDS[0]}" 2>/dev/null
	start_daemon 1
	wait_log 1 "fleet $FLEET: 3 members" 20 || return 1
	cpu0=$(store_cpu)
	ack0=$(fleet_status 1 deltas_acked)
	t0=$(now_s)
	flood 1 198.19.64.0 "$PPS" $((PPS * SECONDS_TP)) $((SECONDS_TP + 2)) "$SOURCES" >"$IT_TMP/tp.json" 2>&1 &
	k=$!
	# One python polls status (a process per poll, no interpreter per
	# poll) while the flood runs: each new cycle's duration, once.
	python3 - "$k" "${NS_S[1]}" "$SB_TIDEGATE" "${IF_S[1]}" >"$IT_TMP/cycles" <<'PY'
import json, os, subprocess, sys, time
pid, ns, tg, ifname = sys.argv[1:]
last = None
while os.path.exists("/proc/%s" % pid):
    try:
        f = json.loads(subprocess.run(["nsenter", "--net=/run/netns/" + ns, tg, "status", ifname,
                                       "--json"], capture_output=True, text=True).stdout)["fleet"]
    except (ValueError, KeyError):
        continue
    if f["push_cycles"] != last:
        print(f["push_cycles"], f["last_cycle_ms"], flush=True)
        last = f["push_cycles"]
    time.sleep(0.01)
PY
	wait "$k"
	t1=$(now_s)
	sleep "$(awk -v t="$1" 'BEGIN { print 3 * t / 1000 }')"
	ack1=$(fleet_status 1 deltas_acked)
	cyc=$(fleet_status 1 max_cycle_ms)
	cpu1=$(store_cpu)
	calls=$(store_keys "$PFX:fleet:$FLEET:*:calls:*")
	python3 - "$1" "$SOURCES" "$t0" "$t1" "$ack0" "$ack1" "$cpu0" "$cpu1" "$cyc" "$calls" "$IT_TMP/cycles" "$IT_TMP/tp.json" >>"$RES" <<'PY'
import json, sys
t, sources, t0, t1, a0, a1, c0, c1, cmax, calls = (float(x) for x in sys.argv[1:11])
polls = [l.split() for l in open(sys.argv[11]) if l.strip()]
cyc = sorted(float(p[1]) for p in polls)
ncyc = int(polls[-1][0]) - int(polls[0][0]) + 1 if polls else 0
fl = json.load(open(sys.argv[12]))
acked = a1 - a0
p99 = cyc[min(len(cyc) - 1, int(0.99 * len(cyc)))] if cyc else None
print(json.dumps({"kind": "throughput", "t_ms": int(t), "sources": int(sources),
                  "flood_pps": fl.get("pps"), "flood_sent": fl.get("sent"),
                  "acked": int(acked), "acked_per_s": round(acked / (t1 - t0)),
                  "cycles": ncyc, "cycles_sampled": len(cyc),
                  "acked_per_cycle_s": round(acked / (ncyc * sum(cyc) / len(cyc) / 1000)) if cyc and ncyc else None,
                  "cycle_p50_ms": cyc[len(cyc) // 2] if cyc else None,
                  "cycle_p99_ms": p99, "cycle_max_ms": cmax,
                  "redis_cpu_us_per_delta": round((c1 - c0) * 1e6 / acked, 2) if acked else None,
                  "call_keys": int(calls)}))
PY
}

# push T : the push cycle alone, no flood running while it works:
# machine 1 alone, each round SOURCES sources send 2 SYNs each as fast as
# the flood can, then the daemon's cycles push them while nothing else
# runs. Every cycle's duration and deltas are taken from status (polled
# every ~10 ms); the rate is the deltas acked over the time of the cycles
# that carried them, and Redis' CPU per delta comes from INFO cpu.
push() { # T
	local r cpu0 cpu1 n calls
	kill -TERM "${PIDS[0]}" && wait "${PIDS[0]}" 2>/dev/null
	start_daemon 1
	wait_log 1 "fleet $FLEET: 3 members" 20 || return 1
	cpu0=$(store_cpu)
	: >"$IT_TMP/push"
	for ((r = 0; r < PUSH_ROUNDS; r++)); do
		# Until a cycle carries nothing after those that carried the round.
		# The first poll comes before the flood, so every cycle is seen.
		python3 - "${NS_S[1]}" "$SB_TIDEGATE" "${IF_S[1]}" "$1" "$IT_TMP/pf.json" \
			"${NS_C[1]}" "$SB_TIDEGATE" flood "${IF_C[1]}" --dst-ip "$SB_SRV_IP" \
			--dst-mac "$(m_srv 1 ip -br link show "${IF_S[1]}" | awk '{print $3}')" \
			--port 80 --src 198.19.64.0 --sources "$SOURCES" --count $((2 * SOURCES)) \
			--duration 10 --threads 1 --json >>"$IT_TMP/push" <<'PY'
import json, subprocess, sys, time
ns, tg, ifname, t_ms, flood_out, cli_ns = sys.argv[1:7]
flood = sys.argv[7:]

def status():
    while True:
        try:
            f = json.loads(subprocess.run(["nsenter", "--net=/run/netns/" + ns, tg, "status",
                                           ifname, "--json"], capture_output=True,
                                          text=True).stdout)["fleet"]
            return (f["push_cycles"], f["deltas_acked"], f["last_cycle_ms"])
        except (ValueError, KeyError):
            time.sleep(0.01)

last = status()
with open(flood_out, "w") as out:
    subprocess.run(["nsenter", "--net=/run/netns/" + cli_ns] + flood, stdout=out, check=True)
worked = False
end = time.monotonic() + 60
while time.monotonic() < end:
    now = status()
    if now[0] != last[0]:
        print(now[0] - last[0], now[1] - last[1], now[2], flush=True)
        if now[1] == last[1] and worked:
            break
        worked = worked or now[1] != last[1]
    last = now
    time.sleep(0.01)
PY
	done
	cpu1=$(store_cpu)
	n=$(fleet_status 1 max_cycle_ms)
	calls=$(store_keys "$PFX:fleet:$FLEET:*:calls:*")
	python3 - "$1" "$SOURCES" "$cpu0" "$cpu1" "$n" "$calls" "$IT_TMP/push" >>"$RES" <<'PY'
import json, sys
t, sources, c0, c1, cmax, calls = (float(x) for x in sys.argv[1:7])
rows = [[float(x) for x in l.split()] for l in open(sys.argv[7]) if l.strip()]
# A row: cycles since the last poll, deltas acked in them, the last's ms.
# Only rows of one cycle can be timed; a row of more is counted as missed.
work = [r for r in rows if r[1] > 0]
timed = [r for r in work if r[0] == 1]
acked = sum(r[1] for r in work)
ms = sorted(r[2] for r in timed)
print(json.dumps({"kind": "push", "t_ms": int(t), "sources": int(sources),
                  "acked": int(acked), "cycles_with_work": len(work), "cycles_timed": len(timed),
                  "acked_per_cycle_s": round(sum(r[1] for r in timed) / (sum(ms) / 1000)) if ms else None,
                  "cycle_p50_ms": ms[len(ms) // 2] if ms else None,
                  "cycle_max_ms": cmax,
                  "redis_cpu_us_per_delta": round((c1 - c0) * 1e6 / acked, 2) if acked else None,
                  "call_keys": int(calls)}))
PY
}

for t in $TS; do
	log "T = $t ms"
	fleet_up "$t" || exit 1
	for w in $WS; do accuracy "$t" "$w"; done
	for ((i = 0; i < PROP; i++)); do propagation "$t"; done
	throughput "$t" || { log "throughput at T = $t ms failed"; exit 1; }
	push "$t" || { log "the push cycle at T = $t ms failed"; exit 1; }
done
echo "{\"kind\": \"machine_after\", \"loadavg_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$RES"

python3 - "$RES" >"$OUT/fleet.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| T | W | admitted | b + r·W | excess | bound's excess | (admitted − b)/W/r |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if r["kind"] == "accuracy":
        print("| %d ms | %d s (%.2f) | %d | %.0f | %+.0f | %.0f | %.2f |" % (r["t_ms"], r["w_s"], r["wall_s"],
              r["admitted"], r["b_rW"], r["excess"], r["bound_excess"], r["rate_over_r"]))
print()
print("| T | propagation to a machine that never saw the source (ms) |")
print("|---|---|")
for t in sorted({r["t_ms"] for r in rows if r["kind"] == "propagation"}):
    print("| %d ms | %s |" % (t, ", ".join(str(r["ms"]) for r in rows if r["kind"] == "propagation" and r["t_ms"] == t)))
print()
print("| T | sources | flood pps | deltas acked/s | per second of cycle | cycles sampled | p50 | p99 | max | Redis CPU per delta | call keys |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["kind"] == "throughput":
        print("| %d ms | %d | %s | %d | %s | %d of %d | %.1f ms | %.1f ms | %.1f ms | %s µs | %d |" % (r["t_ms"],
              r["sources"], r["flood_pps"], r["acked_per_s"], r["acked_per_cycle_s"], r["cycles_sampled"],
              r["cycles"], r["cycle_p50_ms"], r["cycle_p99_ms"],
              r["cycle_max_ms"], r["redis_cpu_us_per_delta"], r["call_keys"]))
print()
print("| T | sources | rounds' deltas acked | per second of cycle | cycles timed | p50 | max | store CPU per delta | call keys |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if r["kind"] == "push":
        print("| %d ms | %d | %d | %s | %d of %d | %s ms | %.1f ms | %s µs | %d |" % (r["t_ms"], r["sources"],
              r["acked"], r["acked_per_cycle_s"], r["cycles_timed"], r["cycles_with_work"],
              "%.1f" % r["cycle_p50_ms"] if r["cycle_p50_ms"] is not None else "-",
              r["cycle_max_ms"], r["redis_cpu_us_per_delta"], r["call_keys"]))
PY
cat "$OUT/fleet.md"
