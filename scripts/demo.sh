#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# demo.sh TIDEGATE - tidegate against a SYN flood, live, in a sandbox.
#
# A web server in one network namespace, tidegate on its interface; in
# the other namespace a well-behaved client fetches a page every half
# second while `tidegate flood` sends SYNs from thousands of spoofed
# sources. Every second one line shows what tidegate dropped and let
# through and how the client fares. Everything is removed on exit,
# whatever happens (the sandbox's trap).
#
# Nothing leaves the sandbox: the two namespaces are joined only to each
# other, have no default route, and use 198.18.0.0/15 and 2001:db8::/32.
set -u

TIDEGATE=${1:-}
if [ -z "$TIDEGATE" ] || [ ! -x "$TIDEGATE" ]; then
	echo "usage: $0 /path/to/tidegate" >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (network namespaces, XDP)" >&2
	exit 1
fi

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib/sandbox.sh"

SECONDS_SHOWN=${DEMO_SECONDS:-15} # how long the live view runs
FLOOD_START=3                     # the flood starts this many seconds in...
FLOOD_SECONDS=$((SECONDS_SHOWN - 5)) # ...and stops 2 s before the end
FLOOD_SOURCES=4096                # spoofed sources, 198.19.0.0/20
FLOOD_CAP=200000000               # frames at most, whatever the speed
# The limit: a source may open 5 connections a second, 10 at once. The
# client opens 2 a second and is never limited; each flood source sends
# far more and is.
RATE=5/second
BURST=10
PORT=80
if ! [ "$SECONDS_SHOWN" -ge 8 ] 2>/dev/null; then
	echo "demo: DEMO_SECONDS must be a whole number, 8 or more" >&2
	exit 2
fi

num() { python3 -c 'import sys; print(format(int(sys.argv[1]), ","))' "$1"; } # 1,234,567
bold() { printf '\033[1m%s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }

# One call for several counters of `tidegate stats --json`.
counters() { # FIELD...
	sb_tg stats "$SB_SRV_IF" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(str(s[k]) for k in sys.argv[1:]))' "$@"
}

if ! "$TIDEGATE" help flood >/dev/null 2>&1; then
	echo "demo: this tidegate has no 'flood' command to make the SYN flood with" >&2
	exit 1
fi

sb_create || { echo "demo: could not build the sandbox" >&2; exit 1; }
WORK=$(mktemp -d /tmp/tidegate-demo.XXXXXX)
sb_on_cleanup "rm -rf '$WORK'"

bold "tidegate demo: per-source SYN limiting against a SYN flood"
say "  server  $SB_SRV_IP in namespace $SB_SRV_NS, interface $SB_SRV_IF"
say "  client  $SB_CLI_IP in namespace $SB_CLI_NS"
say "  flood   $FLOOD_SOURCES spoofed sources in $SB_SPOOF_NET/16 (routed nowhere)"
say ""

sb_http_start "$PORT" || exit 1
say "* web server listening on port $PORT"

if ! out=$(sb_tg attach "$SB_SRV_IF" --rate "$RATE" --burst "$BURST" --ports "$PORT" --json); then
	echo "demo: tidegate attach failed" >&2
	exit 1
fi
mode=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])' <<<"$out")
say "* tidegate attached ($mode XDP): each source may open $RATE, $BURST at once, on port $PORT"

# The well-behaved client: one page every 0.5 s, each outcome one line.
client() {
	while :; do
		if sb_cli curl -s -o /dev/null --max-time 2 "http://$SB_SRV_IP:$PORT/"; then
			echo ok >>"$WORK/client"
		else
			echo fail >>"$WORK/client"
		fi
		sleep 0.5
	done
}
: >"$WORK/client"
sb_bg client 2>/dev/null # (no "Terminated" when cleanup stops it)
say "* client fetching http://$SB_SRV_IP:$PORT/ every 0.5 s"
say "* the flood starts at second $((FLOOD_START + 1)) and lasts $FLOOD_SECONDS s (Ctrl-C stops the demo and cleans up)"
say ""

client_counts() { # prints "OK FAILED"
	local okn failn
	okn=$(grep -c '^ok' "$WORK/client")
	failn=$(grep -c '^fail' "$WORK/client")
	echo "$okn $failn"
}

# The flood leaves one CPU to the client and to this display.
FLOOD_THREADS=$(($(nproc) > 1 ? $(nproc) - 1 : 1))
FLOOD_PID=
start_flood() {
	local mac
	mac=$(sb_srv_mac)
	sb_bg sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$mac" \
		--port "$PORT" --sources "$FLOOD_SOURCES" --threads "$FLOOD_THREADS" \
		--count "$FLOOD_CAP" --duration "$FLOOD_SECONDS" --json \
		>"$WORK/flood.json" 2>"$WORK/flood.err"
	FLOOD_PID=$!
}

flood_state() {
	if [ -n "$FLOOD_PID" ] && kill -0 "$FLOOD_PID" 2>/dev/null; then
		echo FLOOD
	else
		echo quiet
	fi
}

printf '%5s  %-8s  %14s  %12s  %9s  %s\n' time flood "SYNs dropped/s" "allowed/s" sources \
	"client pages ok / failed"
read -r p_drop p_allow < <(counters dropped allowed)
t0=$EPOCHREALTIME
t_prev=$t0
for ((t = 1; t <= SECONDS_SHOWN; t++)); do
	[ "$t" -eq $((FLOOD_START + 1)) ] && start_flood
	# Wake on the second since the start, however long a line took.
	sleep "$(awk -v a="$t0" -v t="$t" -v n="$EPOCHREALTIME" \
		'BEGIN { d = a + t - n; print (d > 0 ? d : 0) }')"
	read -r drop allow srcs < <(counters dropped allowed new_source)
	now=$EPOCHREALTIME
	read -r c_ok c_fail < <(client_counts)
	state=$(flood_state)
	python3 -c '
import sys
t, state, d, a, pd, pa, now, prev, s, ok, fail = sys.argv[1:]
dt = float(now) - float(prev)
print("%4ss  %-8s  %14s  %12s  %9s  %6s / %s" % (
    t, state, format(round((int(d) - int(pd)) / dt), ","),
    format(round((int(a) - int(pa)) / dt), ","), s, ok, fail))' \
		"$t" "$state" "$drop" "$allow" "$p_drop" "$p_allow" "$now" "$t_prev" \
		"$srcs" "$c_ok" "$c_fail"
	p_drop=$drop p_allow=$allow t_prev=$now
done

# Let the flood finish and report before summing up.
for _ in $(seq 50); do
	[ -s "$WORK/flood.json" ] && break
	sleep 0.1
done
read -r syn allow drop srcs < <(counters syn allowed dropped new_source)
read -r csyn csent cover trips < <(counters cookie_syn cookie_sent cookie_budget_exceeded \
	cookie_auto_trips)
read -r c_ok c_fail < <(client_counts)
say ""
bold "summary"
say "  limited SYNs seen   $(num "$syn")"
say "  allowed             $(num "$allow")"
say "  dropped at XDP      $(num "$drop")  ($(python3 -c "print('%.1f%%' % (100 * $drop / max($syn, 1)))") of them)"
say "  sources tracked     $srcs"
# Once new sources outran --new-source-rate, auto mode's SYN cookies
# took the untracked ones: answered from XDP or, past the budget,
# dropped; none of them reached the kernel or took a bucket.
if [ "$csyn" -gt 0 ]; then
	say "  SYN cookies         $(num "$csyn") SYNs from untracked sources (auto tripped $trips time(s)):"
	say "                      $(num "$csent") answered from XDP, $(num "$cover") over the cookie budget, dropped"
fi
if [ -s "$WORK/flood.json" ]; then
	say "  the flood           $(tail -n1 "$WORK/flood.json" | python3 -c '
import json, sys
f = json.load(sys.stdin)
print("{:,} SYNs in {:.1f} s ({:.1f} million a second) from {:,} sources, {} to {}".format(
    f["sent"], f["seconds"], f["pps"] / 1e6, f["sources"], f["first_source"],
    f["last_source"]))')"
else
	say "  flood report        none ($(head -c 300 "$WORK/flood.err"))"
fi
say "  client pages        $c_ok served, $c_fail failed"
if [ "$c_fail" -eq 0 ]; then
	say "  the well-behaved client was never limited while the flood was dropped"
else
	say "  the client failed $c_fail times: a page took over 2 s (an overloaded machine?)"
fi
say ""
say "* removing the sandbox"
