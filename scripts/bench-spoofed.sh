#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-spoofed.sh [TIDEGATE] : a SYN flood from spoofed sources, every
# SYN from a source the receiver has not seen (or no longer tracks), as
# real SYN floods are, in the shared sandbox.
#
# Systems on the server's veth, side by side in one run:
#   drop       a bare XDP drop: the ceiling
#   kernel     no XDP program; the kernel's own SYN cookies (tcp_syncookies=1)
#   tg-off     tidegate, --syn-cookies off: per-source buckets only
#   tg-on      tidegate, --syn-cookies on: a cookie SYN-ACK for every untracked source
#   tg-auto    tidegate, --syn-cookies auto (the default), tripped by the flood
# Families: IPv6 (a new /64 for each SYN, from 2001:db8::/32) and IPv4
# (198.18.1.0 to 198.19.255.255, 131,000 sources: all the test range
# allows; the table is sized 65,536 so that it always evicts, and every
# SYN finds its source untracked, as with millions).
#
# Per row: absorbed (the server veth's rx_packets per second, medians of
# BENCH_RUNS), SYNs that reached the kernel's IP layer per second
# (/proc/net/snmp InReceives in the server's namespace: the stack's own
# count), and the sources tidegate tracks after the flood (its maps'
# memory is its table, which only tracked sources fill).
# Cookie SYN-ACKs go back over the veth to the client, where a bare XDP
# drop takes them (a veth hands XDP_TX frames only to a peer with XDP).
#
# Environment: BENCH_OUT (default build/bench), BENCH_RUNS (3),
# BENCH_WINDOW (seconds, 2), BENCH_QUICK=1 (one run, short windows).
# Writes OUT/spoofed.jsonl and OUT/spoofed.md (the table).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TIDEGATE=${1:-${TIDEGATE:-$ROOT/build/tidegate}}
TGB=${TG_BENCH:-$(dirname "$TIDEGATE")/tg-bench}
OUT=${BENCH_OUT:-$ROOT/build/bench}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	WINDOW=${BENCH_WINDOW:-0.5}
else
	RUNS=${BENCH_RUNS:-3}
	WINDOW=${BENCH_WINDOW:-2}
fi
SYSTEMS=${BENCH_SPOOF_SYSTEMS:-"drop kernel tg-off tg-on tg-auto"}
PORT=80
V4_SOURCES=131000
V6_SOURCES=8000000

log() { echo "bench-spoofed: $*" >&2; }
die() {
	log "$*"
	exit 1
}
[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x "$TIDEGATE" ] || die "no tidegate at $TIDEGATE"
[ -x "$TGB" ] || die "no tg-bench at $TGB (make build/tg-bench)"
"$TIDEGATE" help attach 2>&1 | grep -q -- --syn-cookies || die "this tidegate has no --syn-cookies"

. "$ROOT/scripts/lib/sandbox.sh"
SB_TIDEGATE=$TIDEGATE
mkdir -p "$OUT" || die "cannot create $OUT"
RAW=$OUT/spoofed.jsonl
: >"$RAW"
sb_create || die "could not create the sandbox"
IF=$SB_SRV_IF
MAC=$(sb_srv_mac)
TMP=$(mktemp -d /tmp/tidegate-bench.XXXXXX)
sb_on_cleanup "rm -rf '$TMP'"
sb_srv sysctl -qw net.ipv4.tcp_syncookies=1
sb_bg sb_srv "$TGB" serve "$PORT" 3600
sb_cli "$TGB" xdp "$SB_CLI_IF" drop || die "cannot put an XDP drop on the client's veth"

flood() { # FAMILY COUNT SECONDS
	if [ "$1" = 4 ]; then
		set -- "$SB_SRV_IP" --src 198.18.1.0 --sources "$V4_SOURCES" "$2" "$3"
	else
		set -- "$SB_SRV_IP6" --src 2001:db8:: --sources "$V6_SOURCES" "$2" "$3"
	fi
	sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$1" --dst-mac "$MAC" --port "$PORT" \
		"$2" "$3" "$4" "$5" --count "$6" --duration "$7" --threads 1 --json
}

sys_up() { # SYSTEM FAMILY
	local max=$((${2} == 4 ? 65536 : 262144))
	case $1 in
	drop) sb_srv "$TGB" xdp "$IF" drop ;;
	kernel) ;;
	tg-*)
		sb_tg attach "$IF" --ports "$PORT" --max-sources "$max" \
			--syn-cookies "${1#tg-}" --json >/dev/null
		;;
	esac
}

sys_down() {
	case $1 in
	drop) sb_srv "$TGB" xdp "$IF" off ;;
	tg-*) sb_tg detach "$IF" --json >/dev/null ;;
	esac
}

# IP-layer receives in the server's namespace, the family's own count.
in_receives() { # FAMILY
	if [ "$1" = 4 ]; then
		sb_srv awk '/^Ip: [0-9]/ {print $3}' /proc/net/snmp
	else
		sb_srv awk '$1 == "Ip6InReceives" {print $2}' /proc/net/snmp6
	fi
}

tracked() {
	sb_tg top "$IF" -n 1 --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("tracked", 0))' 2>/dev/null ||
		echo null
}

measure() { # RUN SYSTEM FAMILY
	local pid k0 k1 t0 t1 tr
	sys_up "$2" "$3" || return 1
	# A lead-in, so auto mode has tripped and the table is full.
	flood "$3" 2000000 5 >/dev/null
	flood "$3" 100000000000 60 >"$TMP/flood.json" &
	pid=$!
	SB_PIDS+=("$pid")
	sleep 0.3
	k0=$(in_receives "$3")
	t0=$(date +%s.%N)
	sb_srv "$TGB" sample "$IF" --window "$WINDOW" >"$TMP/sample.json"
	t1=$(date +%s.%N)
	k1=$(in_receives "$3")
	pkill -INT -P "$pid"
	wait "$pid"
	tr=null
	case $2 in tg-*) tr=$(tracked) ;; esac
	sb_tg stats "$IF" --json >"$TMP/stats.json" 2>/dev/null || echo '{}' >"$TMP/stats.json"
	sys_down "$2"
	python3 - "$1" "$2" "$3" "$k0" "$k1" "$t0" "$t1" "$tr" "$TMP" >>"$RAW" <<-'PY'
		import json, sys
		run, sysname, fam, k0, k1, t0, t1, tracked, tmp = sys.argv[1:]
		s = json.load(open(f"{tmp}/sample.json"))
		st = json.load(open(f"{tmp}/stats.json"))
		line = {"run": int(run), "system": sysname, "family": "ipv" + fam,
		        "rx_pps": s.get("rx_pps"),
		        "kernel_pps": round((int(k1) - int(k0)) / (float(t1) - float(t0))),
		        "tracked": None if tracked == "null" else int(tracked),
		        "cookies_sent": st.get("cookie_sent")}
		print(json.dumps(line))
	PY
	log "$(tail -1 "$RAW")"
}

for run in $(seq "$RUNS"); do
	for fam in 6 4; do
		for sys in $SYSTEMS; do
			measure "$run" "$sys" "$fam" || die "measuring $sys (IPv$fam) failed"
		done
	done
done

python3 - "$RAW" "$OUT/spoofed.md" <<-'PY'
	import json, statistics, sys
	rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
	def med(xs):
	    xs = [x for x in xs if x is not None]
	    return statistics.median(xs) if xs else None
	out = ["| family | system | absorbed Mpps | vs bare drop | SYNs to the kernel /s | tracked after |",
	       "|---|---|---:|---:|---:|---:|"]
	for fam in ("ipv6", "ipv4"):
	    drop = med(r["rx_pps"] for r in rows if r["family"] == fam and r["system"] == "drop")
	    for sysname in dict.fromkeys(r["system"] for r in rows):
	        sel = [r for r in rows if r["family"] == fam and r["system"] == sysname]
	        if not sel:
	            continue
	        rx = med(r["rx_pps"] for r in sel)
	        k = med(r["kernel_pps"] for r in sel)
	        tr = med(r["tracked"] for r in sel)
	        ratio = f"{rx / drop:.2f}x" if rx and drop else "-"
	        out.append(f"| {fam} | {sysname} | {rx / 1e6:.2f} | {ratio} | {k:,.0f} | "
	                   f"{'-' if tr is None else f'{tr:,.0f}'} |")
	open(sys.argv[2], "w").write("\n".join(out) + "\n")
	print("\n".join(out))
PY
