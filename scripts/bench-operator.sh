#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-operator.sh - the operator's view of issues 9 and 10: nginx
# serving a load generator that opens a new connection per request,
# while a bounded SYN flood arrives, on the shared sandbox
# (scripts/lib/sandbox.sh), with each system side by side in
# interleaved rounds.
#
#   scripts/bench-operator.sh [TIDEGATE]   (make bench runs it after bench-cookies.sh)
#   BENCH_QUICK=1 ...                      a short run, for the smoke test
#
# Environment: BENCH_OUT (default build/bench), BENCH_RUNS (rounds, 5),
# BENCH_WINDOW (seconds of load per cell, 5), BENCH_PPS (flood rate,
# 1000000), BENCH_FAMILIES ("4 6"), BENCH_SHAPES ("spoofed ten"),
# BENCH_SYSTEMS ("none pass filter filter-again tg-auto tg-on tg-off"),
# BENCH_LOW_BUDGET,
# BENCH_TIGHT_RATE, BENCH_TIGHT_BURST,
# TG_BENCH.
#
# Systems, on the server's veth:
#  none     no XDP program: the kernel takes every SYN (its own SYN
#           cookies once the listener's queue is full)
#  pass     a pass-all XDP program (tg-bench xdp pass): XDP's own cost
#  filter   the ideal filter (tg-bench xdp filter): drops exactly the
#           flood's prefix, 198.19.0.0/16 or 2001:db8:19::/48, which an
#           operator would not know; the ceiling tidegate is held to
#  filter-again  the ideal filter again, as a cell of its own in each
#           round: the control. Its ratio to the filter is what this
#           machine's noise makes of two identical systems, so a
#           system whose ratio lies within its spread cannot be told
#           from the ideal filter by this run
#  tg-auto  tidegate attach with default settings (--syn-cookies auto)
#  tg-on    tidegate attach --syn-cookies on: every untracked source
#           challenged from the first SYN, so none of the flood's first
#           burst gets a bucket (auto's leak, README: auto)
#  tg-budget tidegate (auto) with --cookie-budget BENCH_LOW_BUDGET
#           (default 250000/second): what answering fewer of the
#           flood's SYNs buys the server, at the price of real clients'
#           SYNs dropped over the budget (not in the default list)
#  tg-tight tidegate (auto) with --rate BENCH_TIGHT_RATE --burst
#           BENCH_TIGHT_BURST (default 10/second, burst 10): the same
#           program, fewer of each flooding source's SYNs admitted (the
#           default limit lets each of the ten 100 a second reach the
#           stack, which the ideal filter drops), so the difference from
#           tg-auto is what the limit lets in, not what the program costs
#           (not in the default list)
#  tg-off   tidegate attach --syn-cookies off; against the spoofed shape
#           with --max-sources 16384, fewer than the flood's 65,536
#           sources, so each SYN still comes from a source the table
#           does not hold, as in issue 9's flood of millions (with the
#           default 262,144 every source would be tracked after 65 ms,
#           and at 15 SYNs/s each, under the default 100/s, admitted:
#           a botnet under the limit, not a spoofed flood)
# Both tidegate systems allowlist the load generator's address (tidegate
# rule add IFACE 198.18.0.2/32 allow, and 2001:db8:18::2/128): one
# address opening thousands of connections a second is no browser.
#
# Flood shapes (tidegate flood from the client's namespace, one thread,
# --pps BENCH_PPS, to port 80 where nginx listens):
#  spoofed  issue 9's: every SYN from another of 65,536 rotating sources
#           (198.19.0.0/16 is all there is to rotate through: each SYN
#           is from a source unseen for 65 ms)
#  ten      issue 10's: from 10 sources
#  quiet    no flood, with systems none and tg-auto only: the reference
#
# Load: ab -c 16 (apache2-utils), keep-alive off, so every request is a
# new connection, from 198.18.0.2 (or 2001:db8:18::2), for BENCH_WINDOW
# seconds, starting half a second into the flood. nginx (2 workers, its
# own config, pid, log and temp files under a temporary directory) runs
# in the server's namespace and answers every request with 3 bytes.
#
# The flood's generator and the server's veth share a CPU: a live frame
# is received, and dropped or handed to the stack, on the CPU that sent
# it, before the generator sends the next batch. So a system whose
# receive path costs more slows the flood itself: the flood_pps of each
# row says what arrived, and rows whose flood fell well short of
# BENCH_PPS (no XDP, where the stack takes every SYN) are easier on
# nginx than the same flood from a wire would be.
#
# The SYN-ACKs the server's kernel sends to the spoofed range have no
# route and die in its namespace; those tidegate's cookies send back out
# of the veth are dropped by the client's veth, which has no XDP program
# (as a blackholed range would never see them).
#
# Results: build/bench/operator.jsonl, one JSON line per cell ("kind":
# "cell"; to_stack: IP datagrams the server's stack took in during the
# cell, the flood's that got past the system and the load's), the machine, then the medians ("kind": "median") with each
# system's ratio to the ideal filter under the same flood, taken within
# each round (scripts/lib/operator_report.py); the table on stdout and
# in build/bench/operator.md.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIDEGATE=${1:-${TIDEGATE:-$ROOT/build/tidegate}}
SB_TIDEGATE=$TIDEGATE
TGB=${TG_BENCH:-$(dirname "$TIDEGATE")/tg-bench}
OUT=${BENCH_OUT:-$ROOT/build/bench}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=1 WINDOW=1
else
	RUNS=${BENCH_RUNS:-5} WINDOW=${BENCH_WINDOW:-5}
fi
PPS=${BENCH_PPS:-1000000}
FAMILIES=${BENCH_FAMILIES:-"4 6"}
SHAPES=${BENCH_SHAPES:-"spoofed ten"}
SYSTEMS=${BENCH_SYSTEMS:-"none pass filter filter-again tg-auto tg-on tg-off"}
PORT=80
CONCURRENCY=16
SPOOFED_SOURCES=65536
TG_OFF_MAX_SOURCES=16384
LEAD=0.5 # seconds of flood before the load starts

log() { echo "bench-operator: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "must run as root"; exit 1; }
for t in ab nginx python3; do
	command -v "$t" >/dev/null || { log "$t is missing: run scripts/install-deps.sh"; exit 1; }
done
[ -x "$TIDEGATE" ] || { log "no tidegate binary at $TIDEGATE (make)"; exit 1; }
[ -x "$TGB" ] || { log "no tg-bench at $TGB (make build/tg-bench)"; exit 1; }
. "$ROOT/scripts/lib/sandbox.sh"
mkdir -p "$OUT"
RES=$OUT/operator.jsonl
: >"$RES"
sb_create || { log "could not create the sandbox"; exit 1; }
IF=$SB_SRV_IF
MAC=$(sb_srv_mac)
TMPD=$(mktemp -d "/tmp/tidegate-bench-operator-$SB_ID.XXXXXX")
sb_on_cleanup "rm -rf '$TMPD'"

mkdir -p "$TMPD/nginx"
sb_nginx_start "$TMPD/nginx" "$PORT" ok 2 || exit 1

dst_of() { [ "$1" = 6 ] && echo "$SB_SRV_IP6" || echo "$SB_SRV_IP"; }
url_of() { [ "$1" = 6 ] && echo "http://[$SB_SRV_IP6]:$PORT/" || echo "http://$SB_SRV_IP:$PORT/"; }
prefix_of() { [ "$1" = 6 ] && echo "$SB_SPOOF_NET6/48" || echo "$SB_SPOOF_NET/16"; }

sys_up() { # SYSTEM FAMILY SHAPE
	local a=()
	case $1 in
	none) ;;
	pass) sb_srv "$TGB" xdp "$IF" pass || return 1 ;;
	filter | filter-again) sb_srv "$TGB" xdp "$IF" filter "$(prefix_of "$2")" || return 1 ;;
	tg-auto | tg-off | tg-on | tg-budget | tg-tight)
		[ "$1" = tg-off ] && a=(--syn-cookies off)
		[ "$1" = tg-on ] && a=(--syn-cookies on)
		[ "$1" = tg-budget ] && a=(--cookie-budget "${BENCH_LOW_BUDGET:-250000}/second")
		[ "$1" = tg-tight ] && a=(--rate "${BENCH_TIGHT_RATE:-10/second}"
			--burst "${BENCH_TIGHT_BURST:-10}")
		[ "$1" = tg-off ] && [ "$3" = spoofed ] && a+=(--max-sources "$TG_OFF_MAX_SOURCES")
		sb_tg attach "$IF" "${a[@]}" --json >/dev/null || return 1
		sb_tg rule add "$IF" "$SB_CLI_IP/32" allow >/dev/null || return 1
		sb_tg rule add "$IF" "$SB_CLI_IP6/128" allow >/dev/null || return 1
		;;
	esac
}

sys_down() {
	case $1 in
	none) ;;
	pass | filter | filter-again) sb_srv "$TGB" xdp "$IF" off ;;
	*) sb_tg detach "$IF" >/dev/null ;;
	esac
}

# IP datagrams the server's stack received (nstat IpInReceives or
# Ip6InReceives): the flood's SYNs that got past the system, and the
# load's own packets.
in_receives() { # FAMILY
	local k=IpInReceives
	[ "$1" = 6 ] && k=Ip6InReceives
	sb_srv nstat -az "$k" | awk -v k="$k" '$1 == k {print $2}'
}

# ab's summary as JSON: requests/s, complete, failed, non-2xx, mean ms.
ab_json() {
	python3 -c '
import json, re, sys
t = sys.stdin.read()
def num(label):
    m = re.search(r"^" + re.escape(label) + r":\s+([0-9.]+)", t, re.M)
    return float(m.group(1)) if m else None
print(json.dumps({"rps": num("Requests per second"), "complete": num("Complete requests"),
                  "failed": num("Failed requests"), "non2xx": num("Non-2xx responses") or 0,
                  "ms_mean": num("Time per request"), "ab_seconds": num("Time taken for tests")}))'
}

cell() { # RUN FAMILY SHAPE SYSTEM
	local run=$1 fam=$2 shape=$3 sys=$4 fpid="" sources=10 in0 in1
	if ! sys_up "$sys" "$fam" "$shape"; then
		log "could not set up $sys"
		sys_down "$sys"
		return 1
	fi
	: >"$TMPD/flood.json"
	in0=$(in_receives "$fam")
	if [ "$shape" != quiet ]; then
		[ "$shape" = spoofed ] && sources=$SPOOFED_SOURCES
		sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$(dst_of "$fam")" --dst-mac "$MAC" \
			--port "$PORT" --sources "$sources" --pps "$PPS" --count 100000000000 \
			--duration "$(awk -v w="$WINDOW" -v l="$LEAD" 'BEGIN {print w + l + 5}')" --threads 1 --json \
			>"$TMPD/flood.json" &
		fpid=$!
		SB_PIDS+=("$fpid")
		sleep "$LEAD"
	fi
	sb_cli ab -q -r -s 10 -c "$CONCURRENCY" -t "$WINDOW" -n 100000000 "$(url_of "$fam")" \
		2>"$TMPD/ab.err" | ab_json >"$TMPD/ab.json"
	if [ -n "$fpid" ]; then
		pkill -INT -P "$fpid"
		wait "$fpid"
	fi
	in1=$(in_receives "$fam")
	sys_down "$sys"
	python3 - "$run" "$fam" "$shape" "$sys" "$TMPD" "$((in1 - in0))" >>"$RES" <<-'PY'
		import json, sys
		run, fam, shape, system, tmp, to_stack = sys.argv[1:]
		row = {"kind": "cell", "run": int(run), "family": "ipv" + fam, "shape": shape,
		       "system": system}
		row.update(json.load(open(tmp + "/ab.json")))
		if row["complete"] is None:
		    # ab printed no report: keep why, as ab said it.
		    err = [l.strip() for l in open(tmp + "/ab.err") if l.strip()]
		    row["ab_error"] = err[-1] if err else "ab printed nothing"
		row["to_stack"] = int(to_stack)
		try:
		    f = json.load(open(tmp + "/flood.json"))
		    row.update({"flood_sent": f["sent"], "flood_pps": f["pps"],
		                "flood_peer_received": f.get("peer_received"),
		                "flood_peer_dropped": f.get("peer_dropped")})
		except (OSError, ValueError, KeyError):
		    row.update({"flood_sent": 0, "flood_pps": 0})
		print(json.dumps(row))
	PY
	log "$(tail -1 "$RES")"
}

# Each round measures every cell once; the systems' order turns by one
# each round, so none is always first after a flood or a setup.
cells() { # RUN
	local fam shape sys list i n
	read -ra list <<<"$SYSTEMS"
	n=${#list[@]}
	for fam in $FAMILIES; do
		for shape in $SHAPES quiet; do
			for i in $(seq 0 $((n - 1))); do
				sys=${list[$(((i + $1) % n))]}
				if [ "$shape" = quiet ] && [ "$sys" != none ] && [ "$sys" != tg-auto ]; then
					continue
				fi
				cell "$1" "$fam" "$shape" "$sys"
			done
		done
	done
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq "$RUNS"); do
	cells "$run"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$PPS" "$WINDOW" "$RUNS" "$LOAD_BEFORE" "$LOAD_AFTER" "$LEAD" >>"$RES" <<'PY'
import json, os, sys
pps, window, runs, lb, la, lead = sys.argv[1:]
print(json.dumps({"kind": "machine", "nproc": os.cpu_count(), "kernel": os.uname().release,
                  "loadavg_before": lb, "loadavg_after": la, "pps": int(pps),
                  "window_s": float(window), "rounds": int(runs), "lead_s": float(lead)}))
PY
python3 "$ROOT/scripts/lib/operator_report.py" "$RES" | tee "$OUT/operator.md"
log "results in $RES"
