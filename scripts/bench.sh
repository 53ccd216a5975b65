#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench.sh - tidegate against a bare XDP drop, an nftables meter and
# iptables hashlimit, in one run, on the shared sandbox (two namespaces
# joined by a veth pair; scripts/lib/sandbox.sh).
#
#   scripts/bench.sh [TIDEGATE]     what `make bench` runs
#   BENCH_QUICK=1 scripts/bench.sh  a short run for the smoke test: two
#                                   source counts, one run, short windows;
#                                   BENCHMARKS.md is left alone
#
# Environment: BENCH_OUT (default build/bench), BENCH_RUNS, BENCH_SOURCES,
# BENCH_SYSTEMS ("drop compact tidegate nft iptables"; compact is the
# prototype of a compact per-source table, bpf/baseline.bpf.c),
# ("1 1000 100000 1000000"), BENCH_WINDOW (seconds), TG_BENCH (the
# helper, default next to TIDEGATE), BENCH_DOCS=0 to leave BENCHMARKS.md
# and docs/bench alone in a full run, BENCH_RATE and BENCH_BURST (the
# limit every system enforces, default 1/minute burst 1: a flood then
# sits far over it; at 4/second or faster, the default 100/second
# among them, it sits near its edge, which tidegate decides by the
# precise clock: README, "The flood's front cache").
#
# What is measured, and how (BENCHMARKS.md says why):
#  absorbed  one sending thread (tidegate flood) on CPU 0 sends IPv6 SYNs
#            from N sources out of the client's veth; the server's veth
#            takes them in on the same CPU, where the system under test
#            drops them. Absorbed = the server veth's rx_packets per
#            second: frames its NAPI took off the queue and handed to
#            XDP or the stack, the same counter for every system. Each
#            system limits SYNs to port 80 to 1/minute per /64 source,
#            burst 1 (BENCH_RATE, BENCH_BURST), and is warmed up first,
#            so that every source is over its limit and what is measured
#            is the drop path.
#  receiver  the server veth's own time per frame during the flood:
#            its NAPI polls' time over the frames they took in (tg-bench
#            sample --napi-window, bpf/napi_time.bpf.c), in a window of
#            its own after the rate's; what the receiver alone costs,
#            whatever the sender does
#  cost      tg-bench cost: ns per packet under BPF_PROG_TEST_RUN, with
#            no rules and with 10,000 rules loaded (--rules), and ns per
#            run of the attached program during the flood (BPF_ENABLE_STATS)
#  memory    tg-bench memory: tg_buckets' memlock per source slot; and
#            tg-bench memlat: ns per dependent load, what a miss costs
#  latency   tg-bench connect: sequential real connects through the
#            server's veth, with no XDP, a pass-all XDP program, tidegate
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIDEGATE=${1:-${TIDEGATE:-$ROOT/build/tidegate}}
export TIDEGATE
TGB=${TG_BENCH:-$(dirname "$TIDEGATE")/tg-bench}
QUICK=${BENCH_QUICK:-0}
OUT=${BENCH_OUT:-$ROOT/build/bench}

PORT=80
RATE=${BENCH_RATE:-1/minute}
BURST=${BENCH_BURST:-1}
LAT_PORT=8080
SYSTEMS=${BENCH_SYSTEMS:-"drop compact tidegate nft iptables"}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	SOURCES=${BENCH_SOURCES:-"1 1000"}
	WINDOW=${BENCH_WINDOW:-0.5}
	COST_WINDOW=0.3
	WARM_MIN=20000
	COST_ARGS="--sources 1,1000 --runs 3 --repeat 200000 --rules 1000"
	LAT_ROUNDS=2
	LAT_COUNT=50
else
	RUNS=${BENCH_RUNS:-5}
	SOURCES=${BENCH_SOURCES:-"1 1000 100000 1000000"}
	WINDOW=${BENCH_WINDOW:-2}
	COST_WINDOW=1
	WARM_MIN=300000
	COST_ARGS="--sources $(echo "$SOURCES" | tr ' ' ,) --runs 5 --repeat 2000000 --rules 10000"
	LAT_ROUNDS=15
	LAT_COUNT=200
fi
LEAD=0.3 # seconds of flood before the window opens

log() { echo "bench: $*" >&2; }
die() {
	log "$*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP, nftables)"
for t in ip nsenter nft ip6tables-legacy gnuplot python3 ethtool; do
	command -v "$t" >/dev/null || die "$t is missing: run scripts/install-deps.sh"
done
[ -x "$TIDEGATE" ] || die "no tidegate binary at $TIDEGATE (make)"
[ -x "$TGB" ] || die "no tg-bench at $TGB (make build/tg-bench)"

. "$ROOT/scripts/lib/sandbox.sh"
mkdir -p "$OUT" || die "cannot create $OUT"
TMP=$(mktemp -d /tmp/tidegate-bench.XXXXXX)
RAW=$OUT/absorbed.jsonl
LAT=$OUT/latency.jsonl
: >"$RAW"
: >"$LAT"

sb_create || die "could not create the sandbox"
sb_create_loop || die "could not create the flood's loop pair"
sb_on_cleanup "rm -rf '$TMP'"
IF=$SB_SRV_IF
MAC=$(sb_srv_mac)

# flood SOURCES COUNT SECONDS : tidegate flood from the client, one
# thread (on the first CPU it may use), JSON on stdout; through the
# loop pair where the kernel refuses live frames.
flood() {
	sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP6" --dst-mac "$MAC" \
		--port "$PORT" --sources "$1" --count "$2" --duration "$3" --threads 1 \
		--loop "$SB_LOOP_IF" --json
}

# Slots for N sources: the LRU must hold them all without evicting.
slots() { echo $(($1 + $1 / 4 > 65536 ? $1 + $1 / 4 : 65536)); }

# The same limit for everyone: SYNs to $PORT, $RATE per /64, burst $BURST.
sys_up() { # SYSTEM SOURCES
	local n=$2 size
	case $1 in
	drop) sb_srv "$TGB" xdp "$IF" drop ;;
	compact) sb_srv "$TGB" xdp "$IF" compact "$n" "$RATE" "$BURST" ;;
	tidegate)
		# The per-source limiter, as nftables and iptables are: with
		# cookies (auto) the warm-up's new sources would trip them,
		# and the flood would be answered, not dropped per source
		# (bench-cookies.sh measures that).
		sb_tg attach "$IF" --rate "$RATE" --burst "$BURST" --ports "$PORT" \
			--max-sources "$(slots "$n")" --syn-cookies off --json >/dev/null
		;;
	nft)
		# netdev ingress: the earliest nftables hook, before the IP
		# stack, as close to XDP as nftables gets.
		size=$(($(slots "$n") * 2))
		sb_srv nft -f - <<-EOF
			table netdev tgbench {
				set meter6 {
					type ipv6_addr
					size $size
					flags dynamic,timeout
					timeout 10m
				}
				chain ingress {
					type filter hook ingress device "$IF" priority filter; policy accept;
					tcp dport $PORT tcp flags & (syn | ack) == syn update @meter6 { ip6 saddr and ffff:ffff:ffff:ffff:: limit rate over $RATE burst $BURST packets } counter drop
				}
			}
		EOF
		;;
	iptables)
		# xt_hashlimit itself, through the legacy backend: Debian's
		# default ip6tables (nf_tables) turns hashlimit into an nft
		# meter, which the nft row already covers. raw PREROUTING is
		# the earliest iptables hook, before conntrack.
		size=1024
		while [ "$size" -lt "$n" ] && [ "$size" -lt 1048576 ]; do size=$((size * 2)); done
		sb_srv ip6tables-legacy -t raw -A PREROUTING -i "$IF" -p tcp --dport "$PORT" --syn \
			-m hashlimit --hashlimit-mode srcip --hashlimit-srcmask 64 \
			--hashlimit-above "${RATE%%ute}" --hashlimit-burst "$BURST" \
			--hashlimit-name tgbench --hashlimit-htable-size "$size" \
			--hashlimit-htable-max 1048576 --hashlimit-htable-expire 600000 -j DROP
		;;
	esac
}

sys_down() {
	case $1 in
	drop | compact) sb_srv "$TGB" xdp "$IF" off ;;
	tidegate) sb_tg detach "$IF" --json >/dev/null ;;
	nft) sb_srv nft delete table netdev tgbench ;;
	iptables) sb_srv ip6tables-legacy -t raw -F PREROUTING ;;
	esac
}

# snap SYSTEM : "DROPPED TAKEN-IN", both counted so far and read at the
# same moment: what the system dropped, and what reached it (tidegate's
# own counters; the veth's rx_packets for nftables and iptables, which
# see every frame the veth takes in).
snap() {
	case $1 in
	drop | compact) echo "- -" ;;
	tidegate)
		sb_tg stats "$IF" --json |
			python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dropped"], d["packets"])'
		;;
	nft)
		# Not nft's own counter: listing anything makes nft 1.0.6 fetch
		# the meter's elements, a minute for a million. What the veth
		# took in and IPv6 never saw is what the ingress hook dropped.
		sb_srv sh -c "cat /proc/net/snmp6; ip -j -s link show $IF" |
			python3 -c '
import json, sys
ip6 = None
for line in sys.stdin:
    f = line.split()
    if f and f[0] == "Ip6InReceives":
        ip6 = int(f[1])
    if line.startswith("["):
        rx = json.loads(line)[0]["stats64"]["rx"]["packets"]
        print(rx - ip6, rx)'
		;;
	iptables)
		sb_srv sh -c "ip6tables-legacy -t raw -L PREROUTING -v -x -n; ip -j -s link show $IF" |
			python3 -c '
import json, sys
drops = None
for line in sys.stdin:
    f = line.split()
    if drops is None and len(f) > 2 and f[2] == "DROP":
        drops = f[0]
    if line.startswith("["):
        print(drops, json.loads(line)[0]["stats64"]["rx"]["packets"])'
		;;
	esac
}

# measure RUN SYSTEM SOURCES : one absorbed-rate figure, a JSON line.
measure() {
	local run=$1 sys=$2 n=$3 warm costwin="" pid s0 s1
	sys_up "$sys" "$n" || {
		log "setting up $sys failed"
		return 1
	}
	# Warm-up: every source sends thrice, so all are over their limit.
	warm=$((n * 3 > WARM_MIN ? n * 3 : WARM_MIN))
	flood "$n" "$warm" 20 >"$TMP/warm.json" || log "warm-up flood for $sys failed"
	case $sys in
	drop | compact | tidegate) costwin="--cost-window $COST_WINDOW" ;;
	esac
	# Long enough for anything; stopped (SIGINT) once the windows close.
	flood "$n" 100000000000 60 >"$TMP/flood.json" &
	pid=$!
	SB_PIDS+=("$pid")
	sleep "$LEAD"
	s0=$(snap "$sys")
	# shellcheck disable=SC2086 # costwin is two words or none
	sb_srv "$TGB" sample "$IF" --window "$WINDOW" $costwin --napi-window "$COST_WINDOW" \
		>"$TMP/sample.json"
	s1=$(snap "$sys")
	pkill -INT -P "$pid"
	wait "$pid"
	sys_down "$sys"
	# shellcheck disable=SC2086 # two numbers each
	python3 - "$run" "$sys" "$n" $s0 $s1 "$TMP" >>"$RAW" <<-'EOF'
		import json, sys
		run, sysname, n, d0, r0, d1, r1, tmp = sys.argv[1:]
		def load(name):
		    try:
		        return json.load(open(f"{tmp}/{name}.json"))
		    except Exception:
		        return {}
		s, f, w = load("sample"), load("flood"), load("warm")
		try:
		    frac = round((int(d1) - int(d0)) / (int(r1) - int(r0)), 4)
		except (ValueError, ZeroDivisionError):
		    frac = None
		line = {
		    "run": int(run), "system": sysname, "sources": int(n),
		    "rx_pps": s.get("rx_pps"), "seconds": s.get("seconds"),
		    "prog_pps": s.get("prog_pps"), "ns_per_run": s.get("ns_per_run"),
		    "rx_dropped_pps": s.get("rx_dropped_pps"),
		    "rx_ns": s.get("napi_ns_per_frame"),
		    "rx_frames_per_poll": s.get("napi_frames_per_poll"),
		    "rx_full_polls": s.get("napi_full_polls"),
		    "drop_fraction": frac,
		    "offered_pps": f.get("pps"), "peer_dropped": f.get("peer_dropped"),
		    "sender": f.get("sender"),
		    "flood": {"sent": f.get("sent"), "seconds": f.get("seconds"), "error": f.get("error")},
		    "warmup": {"sent": w.get("sent"), "seconds": w.get("seconds")},
		}
		print(json.dumps(line))
	EOF
	log "$(tail -1 "$RAW")"
}

machine_json() {
	python3 - "$OUT/machine.json" <<-EOF
		import json, os, platform, subprocess, sys, time
		def sh(c):
		    try:
		        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
		    except Exception:
		        return ""
		cpu = ""
		for l in open("/proc/cpuinfo"):
		    if l.startswith("model name"):
		        cpu = l.split(":", 1)[1].strip()
		        break
		m = {
		    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
		    "cpu": cpu, "nproc": os.cpu_count(),
		    "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
		    "kernel": platform.release(),
		    "clocksource": sh("cat /sys/devices/system/clocksource/clocksource0/current_clocksource"),
		    "commit": sh("git -C '$ROOT' describe --always --dirty"),
		    "nft": sh("nft -v"), "iptables": sh("ip6tables-legacy -V"),
		    "quick": "$QUICK" == "1",
		    "settings": {"runs": $RUNS, "sources": [int(x) for x in "$SOURCES".split()],
		                 "window_s": $WINDOW, "rate": "$RATE", "burst": $BURST,
		                 "port": $PORT, "family": "ipv6", "flood_threads": 1},
		}
		json.dump(m, open(sys.argv[1], "w"), indent=1)
	EOF
}

latency() {
	local r sys
	sb_bg sb_srv "$TGB" serve "$LAT_PORT" 120
	for r in $(seq 50); do
		sb_srv ss -Hltn "sport = :$LAT_PORT" | grep -q LISTEN && break
		sleep 0.1
	done
	for r in $(seq "$LAT_ROUNDS"); do
		for sys in none pass tidegate; do
			case $sys in
			pass) sb_srv "$TGB" xdp "$IF" pass ;;
			tidegate)
				sb_tg attach "$IF" --rate 1000000/second --burst 1000000 \
					--ports "$LAT_PORT" --json >/dev/null
				;;
			esac
			sb_cli "$TGB" connect "$SB_SRV_IP" "$LAT_PORT" "$LAT_COUNT" --warmup 50 |
				python3 -c 'import json,sys; d=json.load(sys.stdin); d.update(round=int(sys.argv[1]), system=sys.argv[2]); print(json.dumps(d))' \
					"$r" "$sys" >>"$LAT"
			case $sys in
			pass) sb_srv "$TGB" xdp "$IF" off ;;
			tidegate) sb_tg detach "$IF" --json >/dev/null ;;
			esac
		done
	done
}

T0=$(date +%s)
machine_json
log "per-packet cost (BPF_PROG_TEST_RUN) ..."
# shellcheck disable=SC2086
"$TGB" cost $COST_ARGS >"$OUT/cost.json" || die "tg-bench cost failed"
"$TGB" memory >"$OUT/memory.json" || die "tg-bench memory failed"
# What one cache miss costs here, for reading the cost at many sources.
"$TGB" memlat "$([ "$QUICK" = 1 ] && echo 1,16 || echo 1,16,128)" >"$OUT/memlat.json" ||
	die "tg-bench memlat failed"

log "absorbed rate: $RUNS run(s) x sources {$SOURCES} x {$SYSTEMS} ..."
for run in $(seq "$RUNS"); do
	for n in $SOURCES; do
		for sys in $SYSTEMS; do
			measure "$run" "$sys" "$n" || die "measuring $sys with $n sources failed"
		done
	done
done

log "connect latency ..."
latency

DOCS=()
if [ "$QUICK" != 1 ] && [ "${BENCH_DOCS:-1}" != 0 ]; then
	DOCS=(--docs "$ROOT")
fi
python3 "$ROOT/scripts/lib/bench_report.py" --out "$OUT" "${DOCS[@]}" ||
	die "the report failed"
log "done in $(($(date +%s) - T0)) s: $OUT/results.json, $OUT/absorbed.png"
