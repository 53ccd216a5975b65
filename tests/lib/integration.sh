# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# integration.sh - what every tests/integration/*.sh sources: TAP, the
# shared sandbox (scripts/lib/sandbox.sh), and small helpers that drive
# the real CLI and read its --json output.
#
#   . "$(dirname "$0")/../lib/integration.sh"
#   it_setup              root, tools, the sandbox (removed on any exit)
#   tg_run ARGS...        tidegate in the server namespace: RC, OUT, ERR
#   it_connect HOST PORT  one TCP connect from the client: exactly one SYN
#   it_stat FIELD         one counter of `stats --json`
#   it_bucket ADDR        a source's bucket from tg_buckets, as JSON

IT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=$(cd "$IT_LIB/../.." && pwd)
TIDEGATE=${TIDEGATE:-$IT_ROOT/build/san/tidegate}

. "$IT_LIB/tap.sh"
. "$IT_ROOT/scripts/lib/sandbox.sh"

# The machine cannot run any test at all: stop the whole suite.
bail() {
	echo "Bail out! $*"
	exit 1
}

# This test cannot go on: fail with why, close the plan, exit. Unlike a
# bail-out, the other test files still run.
it_abort() {
	ok 1 "cannot go on: $*"
	done_testing
	exit 1
}

# Can this kernel make a veth pair at all? Probed in a throwaway
# namespace so nothing outside it is touched.
it_have_veth() {
	local ns="tg-probe-$$" ok=1
	ip netns add "$ns" 2>/dev/null || return 1
	nsenter --net="/run/netns/$ns" ip link add tgp0 type veth peer name tgp1 \
		2>/dev/null && ok=0
	ip netns del "$ns" 2>/dev/null
	return $ok
}

it_setup() {
	local t
	require_root
	for t in ip nsenter python3 curl bpftool; do
		command -v "$t" >/dev/null || bail "$t is missing: run scripts/install-deps.sh"
	done
	[ -x "$TIDEGATE" ] || bail "no tidegate binary at $TIDEGATE (make build/san/tidegate)"
	it_have_veth || skip_all "this kernel cannot create network namespaces with veth pairs"
	sb_create || bail "could not create the sandbox"
	IT_TMP=$(mktemp -d /tmp/tidegate-it.XXXXXX)
	sb_on_cleanup "rm -rf '$IT_TMP'"
	IF=$SB_SRV_IF
	PIN_DIR=$SB_PIN_BASE/$IF
}

# tg_run ARGS... : the CLI in the server namespace. Sets RC, OUT (stdout)
# and ERR (stderr), so a test can assert on each.
tg_run() {
	OUT=$(sb_tg "$@" 2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
}

# The same, as an unprivileged user (uid 65534), through setpriv or
# runuser, whichever there is; RC=skip if there is neither.
tg_run_as_nobody() {
	local drop
	if command -v setpriv >/dev/null; then
		drop=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	elif command -v runuser >/dev/null; then
		drop=(runuser -u "$(id -nu 65534)" --)
	else
		RC=skip
		return
	fi
	OUT=$(sb_srv "${drop[@]}" "$SB_TIDEGATE" "$@" 2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
}

# A field of the last tg_run's JSON output ("" if there is none).
out() { json "$1" <<<"$OUT" 2>/dev/null; }

# tg_ok DESCRIPTION ARGS... : run the CLI, assert exit 0, print why not.
tg_ok() {
	local what=$1
	shift
	tg_run "$@"
	is "$RC" 0 "$what" || diag "  stderr: $ERR"
}

# Count the lines of a string (0 for an empty one).
nlines() { [ -z "$1" ] && echo 0 || printf '%s\n' "$1" | wc -l; }

# The URL of HOST:PORT, brackets around an IPv6 address.
it_url() {
	case $1 in
	*:*) echo "http://[$1]:$2/" ;;
	*) echo "http://$1:$2/" ;;
	esac
}

# it_connect HOST PORT : fetch / from the client namespace. The connect
# gives up after 0.8 s, before the kernel's first SYN retransmission at
# 1 s, so a refused attempt usually costs one SYN; a test that counts
# SYNs exactly makes sure with it_one_syn_per_connect.
it_connect() {
	sb_cli curl -g -s -o /dev/null --connect-timeout 0.8 --max-time 5 "$(it_url "$1" "$2")"
}

# it_one_syn_per_connect : from now on every connect from the client
# sends its SYN once. A retransmitted SYN (the same addresses and ports
# within 5 s) is dropped on its way out of the client namespace, so a
# connect that is dropped costs exactly one SYN however late curl gives
# up (under load it can miss the 1 s retransmission). The key holds the
# addresses, not the ports alone: an IPv4 and an IPv6 connect may draw
# the same source port, and the second one's SYN would never leave.
# net.ipv4.tcp_syn_retries cannot do it: the kernel refuses 0 (its
# minimum is 1, one retransmission).
it_one_syn_per_connect() {
	sb_cli nft -f - <<'NFT'
table inet tg_one_syn {
	set sent4 {
		type ipv4_addr . ipv4_addr . inet_service . inet_service
		flags dynamic, timeout
		timeout 5s
	}
	set sent6 {
		type ipv6_addr . ipv6_addr . inet_service . inet_service
		flags dynamic, timeout
		timeout 5s
	}
	chain out {
		type filter hook output priority filter; policy accept;
		tcp flags & (syn | ack) != syn accept
		ip saddr . ip daddr . tcp sport . tcp dport @sent4 drop
		ip6 saddr . ip6 daddr . tcp sport . tcp dport @sent6 drop
		add @sent4 { ip saddr . ip daddr . tcp sport . tcp dport }
		add @sent6 { ip6 saddr . ip6 daddr . tcp sport . tcp dport }
	}
}
NFT
}

# it_connects N HOST PORT : N connects in a row; prints how many succeeded.
it_connects() {
	local n=$1 i ok=0
	for ((i = 0; i < n; i++)); do
		it_connect "$2" "$3" && ok=$((ok + 1))
	done
	echo "$ok"
}

# it_stat FIELD : one of the interface's counters (stats --json).
it_stat() { sb_tg stats "$IF" --json | json "$1"; }

# it_stats : all counters as one JSON object, for it_field.
it_stats() { sb_tg stats "$IF" --json; }

# it_field JSON FIELD
it_field() { json "$2" <<<"$1"; }

# it_log_follow SECONDS FILE : `tidegate log IFACE --json` for SECONDS
# into FILE (stderr in FILE.err), in the background; it_log_wait waits
# for it and sets IT_LOG_RC.
it_log_follow() {
	sb_srv timeout --preserve-status -s INT "$1" "$SB_TIDEGATE" log "$IF" --json \
		>"$2" 2>"$2.err" &
	IT_LOG_PID=$!
	sleep 0.5
}

it_log_wait() {
	wait "$IT_LOG_PID"
	IT_LOG_RC=$?
}

# it_log_stop : stop the follower now, a moment after the last event it
# is to see: SIGINT, as its timeout would send, to tidegate itself (a
# background job of this shell has SIGINT ignored, and so has timeout,
# which would not pass it on); then as it_log_wait.
it_log_stop() {
	sleep 0.5
	pkill -INT -f -x -- "$SB_TIDEGATE log $IF --json"
	it_log_wait
}

# it_bucket ADDR : the bucket tg_buckets holds for source ADDR, as
# {"tat_ns": ..., "admitted": ...}, or nothing. ADDR is the key as the
# program stores it: the address cut to its prefix (2001:db8:18:: for a
# /64), IPv4 as itself.
it_bucket() {
	bpftool map dump pinned "$PIN_DIR/tg_buckets" -j 2>/dev/null | python3 -c '
import ipaddress, json, sys
a = ipaddress.ip_address(sys.argv[1])
if a.version == 4:
    a = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + a.packed)
want = list(a.packed)
for e in json.load(sys.stdin):
    f = e["formatted"]
    if f["key"]["addr"] == want:
        print(json.dumps(f["value"]))
' "$1"
}

# it_sleep_past TAT_NS [SECONDS] : until CLOCK_MONOTONIC (the clock of a
# bucket's tat_ns) is SECONDS (0) past TAT_NS: the bucket is full again.
it_sleep_past() {
	python3 -c '
import sys, time
left = int(sys.argv[1]) / 1e9 + float(sys.argv[2]) - time.clock_gettime(time.CLOCK_MONOTONIC)
time.sleep(max(left, 0))' "$1" "${2:-0}"
}

# it_bucket_count : how many sources tg_buckets tracks.
it_bucket_count() {
	bpftool map dump pinned "$PIN_DIR/tg_buckets" -j 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# it_buckets_all NET PREFIX BURST : check every tracked source: inside
# NET, cut to PREFIX bits (of its IPv4 or IPv6 form, nothing below), and
# admitted exactly BURST. Prints up to five offenders; 0 if none.
it_buckets_all() {
	bpftool map dump pinned "$PIN_DIR/tg_buckets" -j | python3 -c '
import ipaddress, json, sys
net = ipaddress.ip_network(sys.argv[1])
prefix, burst = int(sys.argv[2]), int(sys.argv[3])
bad = []
for e in json.load(sys.stdin):
    f = e["formatted"]
    a = ipaddress.IPv6Address(bytes(f["key"]["addr"]))
    if net.version == 4:
        a = a.ipv4_mapped
    host = int(a) & ((1 << (a.max_prefixlen - prefix)) - 1)
    if a not in net or host or f["value"]["admitted"] != burst:
        bad.append("%s admitted %d" % (a, f["value"]["admitted"]))
print("\n".join(bad[:5]))
sys.exit(1 if bad else 0)' "$1" "$2" "$3"
}

# it_listed IFACE : IFACE's entry in `status --json` (which lists every
# interface on the machine, other tests' too), or nothing.
it_listed() {
	sb_tg status --json | python3 -c '
import json, sys
for e in json.load(sys.stdin)["interfaces"]:
    if e["interface"] == sys.argv[1]:
        print(json.dumps(e))' "$1"
}

# it_has_xdp IFACE : 0 if an XDP program is on IFACE in the server namespace.
it_has_xdp() {
	# ip prints a "prog/xdp id N" line for a program in any mode (no
	# python3 here: 17-attach-kill asks this some 400 times).
	sb_srv ip link show "$1" | grep -q "^ *prog/xdp "
}

# it_has_flood : 0 if this tidegate has the flood command.
it_has_flood() { "$SB_TIDEGATE" help flood >/dev/null 2>&1; }

# it_flood_exact DST_IP BURST SECONDS MIN_SECONDS : flood one source at
# DST_IP from every CPU for SECONDS while syn_window.py watches the data
# path, then check with gcra_verdict.py that the source was admitted
# exactly BURST + rate x elapsed, the flood having lasted MIN_SECONDS at
# least. tidegate must be attached with that burst. Emits the TAP lines,
# and the measured figures as diagnostics.
it_flood_exact() {
	local dst=$1 burst=$2 secs=$3 min=$4 interval src kind text
	interval=$(sb_tg status "$IF" --json | json limits.interval_ns)
	python3 "$IT_LIB/syn_window.py" "$PIN_DIR" -- \
		nsenter --net="/run/netns/$SB_CLI_NS" "$SB_TIDEGATE" flood "$SB_CLI_IF" \
		--dst-ip "$dst" --dst-mac "$(sb_srv_mac)" --port 80 --sources 1 \
		--threads "$(nproc)" --duration "$secs" --count 100000000 --json \
		>"$IT_TMP/window.json" 2>"$IT_TMP/flood.err"
	is "$(json flood_exit <"$IT_TMP/window.json" 2>/dev/null)" 0 \
		"flood [$dst] from one source ran ${secs}s" ||
		it_abort "the flood failed: $(cat "$IT_TMP/flood.err")"
	diag "flood: $(json flood <"$IT_TMP/window.json")"
	src=$(json flood.first_source <"$IT_TMP/window.json")
	it_bucket "$src" >"$IT_TMP/bucket.json"
	[ -s "$IT_TMP/bucket.json" ]
	ok $? "  its source $src has a bucket" || it_abort "no bucket for $src"
	python3 "$IT_LIB/gcra_verdict.py" "$IT_TMP/window.json" "$IT_TMP/bucket.json" \
		"$interval" "$burst" "$min" >"$IT_TMP/verdict"
	is "$?" 0 "  the measured figures add up to a verdict" || diag "  $(cat "$IT_TMP/verdict")"
	while IFS=$'\t' read -r kind text; do
		case $kind in
		diag) diag "$text" ;;
		ok) ok 0 "  $text" ;;
		*) ok 1 "  $text" ;;
		esac
	done <"$IT_TMP/verdict"
}
