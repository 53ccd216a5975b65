#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench-ab.sh - two builds of tidegate (or two ways to run one) against
# each other at the receiver, in alternated rounds over the same flood.
#
#   scripts/bench-ab.sh TIDEGATE_A TIDEGATE_B [ROUNDS [SOURCES]]
#
# Each round floods the sandbox's server veth from SOURCES sources (one
# per /64, default 1), into the bare XDP drop, then A, then B, each
# limiting SYNs to port 80 to 1/minute per source after a warm-up that
# puts every source over it; and prints the receiver's own ns per frame
# (its NAPI polls' time, tg-bench sample --napi-window: BENCHMARKS.md,
# "The receiver alone") and the absorbed Mpps of each. A or B may be a
# wrapper script that runs tidegate with other options. Rounds, not
# one long run each: this shared machine drifts by more than most
# changes are worth, so only a difference that holds round after round
# says anything.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || {
	echo "usage: $0 TIDEGATE_A TIDEGATE_B [ROUNDS [SOURCES]]" >&2
	exit 2
}
BIN_A=$1 BIN_B=$2 ROUNDS=${3:-5} SOURCES=${4:-1}
TIDEGATE=${TIDEGATE:-$ROOT/build/tidegate} # the flood's
TGB=${TG_BENCH:-$ROOT/build/tg-bench}
[ "$(id -u)" -eq 0 ] || {
	echo "$0: must run as root" >&2
	exit 1
}
for b in "$BIN_A" "$BIN_B" "$TIDEGATE" "$TGB"; do
	[ -x "$b" ] || {
		echo "$0: $b is not executable (make build/tg-bench?)" >&2
		exit 1
	}
done

# shellcheck source=scripts/lib/sandbox.sh
. "$ROOT/scripts/lib/sandbox.sh"
# shellcheck source=scripts/lib/receiver.sh
. "$ROOT/scripts/lib/receiver.sh"
rx_create || exit 1

# measure : "NS_PER_FRAME MPPS" of whatever the server veth runs now.
measure() {
	rx_flood_start
	rx_sample
	rx_flood_stop
}

with() { # TIDEGATE : measure it attached
	rx_attach "$1" || return 1
	measure
	rx_detach "$1"
}

echo "round: ns per frame at the receiver, Mpps absorbed; $SOURCES source(s)"
for r in $(seq 1 "$ROUNDS"); do
	sb_srv "$TGB" xdp "$RX_IF" drop >/dev/null
	d=$(measure)
	sb_srv "$TGB" xdp "$RX_IF" off
	a=$(with "$BIN_A")
	b=$(with "$BIN_B")
	echo "round $r: drop $d | A $a | B $b"
done
