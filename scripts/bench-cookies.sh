#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-cookies.sh - the spoofed flood of issue 9 (every SYN from a
# source not tracked) against a bare XDP drop, a bare XDP_TX (every
# frame sent back, the least an answer from XDP costs) and tidegate
# with SYN cookies off and on, IPv4 and IPv6, in one run on the shared
# sandbox; and new clients' connects during that flood.
#
#   scripts/bench-cookies.sh [TIDEGATE]     (make bench runs it after bench.sh)
#   BENCH_QUICK=1 ...                       a short run
#
# Each row, per system and family:
#  absorbed  the server veth's rx_packets per second (tg-bench sample)
#            while one thread of `tidegate flood` sends SYNs to port 80
#            from SOURCES rotating sources (each SYN from a source the
#            table does not hold: SOURCES is above --max-sources);
#  to_stack  IP datagrams the server's stack received per second in the
#            same window (nstat IpInReceives / Ip6InReceives): the SYNs
#            that reached the kernel, plus the little else there is;
#  synack, over_budget  of those, SYNs tidegate answered with a cookie
#            and SYNs refused by --cookie-budget (default 1,000,000/s),
#            per second; cookies-unbudgeted lifts the budget (100M/s) to
#            show what the SYN-ACK path itself absorbs;
#  buckets   sources in tg_buckets after the flood.
# Then connect: CONNECTS new client addresses connect once each (python,
# a fresh source each, so each goes through a cookie with cookies on),
# with and without the flood running; median, p99, failures, and those
# over a second (a SYN retransmitted).
# Results: build/bench/cookies.jsonl, one JSON line per row.
#
# SOURCES is 65,536 at most: the sources rotate through 198.19.0.0/16
# (one per /32), the sandbox's spoofed range, and more would run past
# 198.18.0.0/15, the range tests may use. With cookies on, repeating
# sources change nothing (a spoofed SYN never creates a bucket). With
# cookies off, all 65,536 would fit in a 262,144-source table and be
# tracked after one pass, no longer a flood of new sources; so the
# cookies-off rows attach with --max-sources COOKIES_OFF_MAX_SOURCES,
# fewer than SOURCES, and every SYN still comes from an untracked source
# (and evicts one). IPv6 rotates through /64s of 2001:db8:19::/48, the
# same 65,536 at most.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIDEGATE=${1:-${TIDEGATE:-$ROOT/build/tidegate}}
export SB_TIDEGATE=$TIDEGATE
TGB=${TG_BENCH:-$(dirname "$TIDEGATE")/tg-bench}
OUT=${BENCH_OUT:-$ROOT/build/bench}
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	RUNS=1 WINDOW=0.5 SOURCES=65536 CONNECTS=10
else
	RUNS=${BENCH_RUNS:-3} WINDOW=${BENCH_WINDOW:-2} SOURCES=${BENCH_SOURCES:-65536}
	CONNECTS=${BENCH_CONNECTS:-1000}
fi
PORT=80
MAX_SOURCES=262144
COOKIES_OFF_MAX_SOURCES=16384

log() { echo "bench-cookies: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
[ -x "$TGB" ] || { log "no tg-bench at $TGB (make build/tg-bench)"; exit 1; }
. "$ROOT/scripts/lib/sandbox.sh"
mkdir -p "$OUT"
RES=$OUT/cookies.jsonl
: >"$RES"
sb_create || { log "could not create the sandbox"; exit 1; }
IF=$SB_SRV_IF
MAC=$(sb_srv_mac)
# The connecting clients: CONNECTS addresses of 198.18.16.0/20, on-link
# both ways (the server answers them on its veth, never by a default
# route, which the sandbox does not have).
client_addr() { echo "198.18.$((16 + $1 / 256)).$(($1 % 256))"; }
for i in $(seq 1 "$CONNECTS"); do
	echo "addr add $(client_addr "$i")/20 dev $SB_CLI_IF"
done | sb_cli ip -batch -
sb_srv ip route add 198.18.16.0/20 dev "$SB_SRV_IF"
sb_http_start "$PORT" >/dev/null || { log "no HTTP server"; exit 1; }

dst_of() { [ "$1" = 6 ] && echo "$SB_SRV_IP6" || echo "$SB_SRV_IP"; }

# flood FAMILY COUNT SECONDS
flood() {
	sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$(dst_of "$1")" --dst-mac "$MAC" \
		--port "$PORT" --sources "$SOURCES" --count "$2" --duration "$3" --threads 1 --json
}

# cookies-on: the SYN-ACKs go back to a client veth without NAPI, which
# drops them as it takes them (as a blackholed range would never see
# them); cookies-on-rx: the client veth has a pass-all XDP program, so
# every SYN-ACK is received by the client's stack (on the same 2 CPUs),
# as connect needs.
client_rx() { # on|off
	if [ "$1" = on ]; then
		sb_xdp_pass sb_cli "$SB_CLI_IF"
	else
		sb_cli ip link set dev "$SB_CLI_IF" xdpdrv off
	fi
}

sys_up() { # SYSTEM
	case $1 in
	drop | tx) sb_srv "$TGB" xdp "$IF" "$1" ;;
	cookies-unbudgeted)
		sb_tg attach "$IF" --ports "$PORT" --max-sources "$MAX_SOURCES" \
			--syn-cookies on --cookie-budget 100000000/second --json >/dev/null
		;;
	cookies-off | cookies-on | cookies-on-rx)
		sb_tg attach "$IF" --ports "$PORT" \
			--max-sources "$( [ "$1" = cookies-off ] && echo "$COOKIES_OFF_MAX_SOURCES" || echo "$MAX_SOURCES")" \
			--syn-cookies "$( [ "$1" = cookies-off ] && echo off || echo on)" \
			--json >/dev/null
		;;
	esac
	[ "$1" = cookies-on-rx ] && client_rx on
	return 0
}

sys_down() {
	case $1 in
	drop | tx) sb_srv "$TGB" xdp "$IF" off ;;
	*) sb_tg detach "$IF" >/dev/null ;;
	esac
	[ "$1" = cookies-on-rx ] && client_rx off
	return 0
}

in_receives() { # FAMILY
	local k=IpInReceives
	[ "$1" = 6 ] && k=Ip6InReceives
	sb_srv nstat -az "$k" | awk -v k="$k" '$1 == k {print $2}'
}

buckets() {
	[ -e "$SB_PIN_BASE/$IF/tg_buckets" ] || { echo null; return; }
	bpftool map dump pinned "$SB_PIN_BASE/$IF/tg_buckets" -j 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# "COOKIE_SENT COOKIE_BUDGET_EXCEEDED" so far, "0 0" without tidegate.
cookie_counts() {
	sb_tg stats "$IF" --json 2>/dev/null | python3 -c '
import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o and isinstance(o[k], int):
            return o[k]
        for v in o.values():
            r = find(v, k)
            if r is not None:
                return r
    return None
try:
    d = json.load(sys.stdin)
except ValueError:
    d = {}
print(find(d, "cookie_sent") or 0, find(d, "cookie_budget_exceeded") or 0)'
}

measure() { # RUN SYSTEM FAMILY
	local pid i0 i1 n c0 c1
	sys_up "$2"
	flood "$3" 100000000000 60 >"$OUT/cookies-flood.json" &
	pid=$!
	SB_PIDS+=("$pid")
	sleep 0.5
	i0=$(in_receives "$3")
	c0=$(cookie_counts)
	sb_srv "$TGB" sample "$IF" --window "$WINDOW" >"$OUT/cookies-sample.json"
	c1=$(cookie_counts)
	i1=$(in_receives "$3")
	pkill -INT -P "$pid"
	wait "$pid"
	n=$(buckets)
	python3 - "$1" "$2" "$3" "$i0" "$i1" "$n" "$OUT" "$c0" "$c1" >>"$RES" <<-'PY'
		import json, sys
		run, sysname, fam, i0, i1, n, out, c0, c1 = sys.argv[1:]
		s = json.load(open(f"{out}/cookies-sample.json"))
		secs = s.get("seconds") or 1
		d = [(int(b) - int(a)) / secs for a, b in zip(c0.split(), c1.split())]
		print(json.dumps({"run": int(run), "system": sysname, "family": "ipv" + fam,
		                  "rx_pps": s.get("rx_pps"),
		                  "to_stack_pps": round((int(i1) - int(i0)) / secs),
		                  # of the absorbed: answered, and refused by the budget
		                  "synack_pps": round(d[0]) if len(d) == 2 else None,
		                  "over_budget_pps": round(d[1]) if len(d) == 2 else None,
		                  "buckets_after": None if n == "null" else int(n)}))
	PY
	log "$(tail -1 "$RES")"
	sys_down "$2"
}

# connect_series LABEL : CONNECTS new sources connect once each.
connect_series() {
	sb_cli python3 - "$SB_SRV_IP" "$PORT" "$CONNECTS" "$1" <<-'PY' >>"$RES"
		import json, socket, statistics, sys, time
		host, port, n, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
		ms, failed = [], 0
		for i in range(n):
		    s = socket.socket()
		    j = i + 1  # as client_addr
		    s.bind(("198.18.%d.%d" % (16 + j // 256, j % 256), 0))
		    s.settimeout(3)
		    t = time.monotonic()
		    try:
		        s.connect((host, port))
		        ms.append((time.monotonic() - t) * 1000)
		    except OSError:
		        failed += 1
		    s.close()
		ms.sort()
		q = lambda f: round(ms[min(len(ms) - 1, int(f * len(ms)))], 3) if ms else None
		print(json.dumps({"connect": label, "n": n, "failed": failed,
		                  "median_ms": round(statistics.median(ms), 3) if ms else None,
		                  "p99_ms": q(0.99), "max_ms": round(max(ms), 3) if ms else None,
		                  # a retransmitted SYN waits a second first
		                  "over_1s": sum(1 for x in ms if x >= 1000)}))
	PY
	log "$(tail -1 "$RES")"
}

for run in $(seq "$RUNS"); do
	for fam in 4 6; do
		for sys in drop tx cookies-off cookies-on cookies-unbudgeted cookies-on-rx; do
			measure "$run" "$sys" "$fam"
		done
	done
done

sys_up cookies-on-rx
connect_series "cookies on, no flood"
sys_down cookies-on-rx
sys_up cookies-on-rx
flood 4 100000000000 60 >/dev/null &
fpid=$!
SB_PIDS+=("$fpid")
sleep 0.5
connect_series "cookies on, during the flood"
pkill -INT -P "$fpid"
wait "$fpid"
sys_down cookies-on-rx
log "results in $RES"
