#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# profile-xdp.sh - where tidegate's XDP program spends a flood's time,
# line by line of bpf/, on a machine where perf cannot annotate a BPF
# program (perf built without libopcode, bpftool without libbfd).
#
#   scripts/profile-xdp.sh [TIDEGATE [SOURCES [SECONDS]]]
#
# On the sandbox's server veth, TIDEGATE (default build/tidegate)
# limits SYNs to port 80 to 1/minute per source, and the client's veth
# loop floods it from SOURCES sources (default 1; scripts/lib/
# receiver.sh, as scripts/bench-ab.sh does). `perf record -a -e
# cpu-clock` samples every CPU for SECONDS (default 2) of the flood; the
# program's JIT line table (tg-bench lines) puts each sample that fell
# in the program on the source line whose code holds it
# (scripts/lib/xdp_profile.py). Printed: the receiver's ns per frame and
# rate, the program's share of the samples and its ns per frame by
# them, the kernel functions around it, and the program's lines.
#
# cpu-clock is a timer, not a cycle counter: a sample lands on the
# instruction after the one that waited, often the next line. Read a
# line's share as "at or just before here". The frames' rate that
# turns samples into ns per frame is sampled just before perf's window.
#
# Environment: TG_BENCH (default build/tg-bench), PROFILE_TOP (lines
# shown, 40), PROFILE_ANNOTATE (the instructions of the N heaviest lines
# with their samples, from the JIT image objdump disassembles; 0),
# PROFILE_HZ (samples a second, 4999), PROFILE_KEEP (a directory to keep
# perf.data, lines.json and image.bin in).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/tidegate} SOURCES=${2:-1} SECONDS_=${3:-2}
TIDEGATE=$BIN
TGB=${TG_BENCH:-$ROOT/build/tg-bench}
HZ=${PROFILE_HZ:-4999}
[ "$(id -u)" -eq 0 ] || {
	echo "$0: must run as root" >&2
	exit 1
}
for b in "$BIN" "$TGB"; do
	[ -x "$b" ] || {
		echo "$0: $b is not executable (make all build/tg-bench?)" >&2
		exit 1
	}
done
TOOLS=(perf)
[ "${PROFILE_ANNOTATE:-0}" = 0 ] || TOOLS+=(objdump)
for t in "${TOOLS[@]}"; do
	command -v "$t" >/dev/null || {
		echo "$0: $t is missing: run scripts/install-deps.sh" >&2
		exit 1
	}
done
case $SECONDS_ in
[1-9] | [1-5][0-9] | 60) ;;
*)
	echo "$0: SECONDS: 1 to 60, not '$SECONDS_'" >&2
	exit 2
	;;
esac

# shellcheck source=scripts/lib/sandbox.sh
. "$ROOT/scripts/lib/sandbox.sh"
# shellcheck source=scripts/lib/receiver.sh
. "$ROOT/scripts/lib/receiver.sh"
rx_create || exit 1
OUT=${PROFILE_KEEP:-$(mktemp -d /tmp/tidegate-profile.XXXXXX)}
mkdir -p "$OUT"
[ -n "${PROFILE_KEEP:-}" ] || sb_on_cleanup "rm -rf '$OUT'"

rx_attach "$BIN" || exit 1
sb_srv "$TGB" lines "$RX_IF" --image "$OUT/image.bin" >"$OUT/lines.json" || exit 1
# The flood outlasts the window: the warm-up, the rate's sample, perf.
rx_flood_start $((SECONDS_ + 5))
read -r ns mpps < <(rx_sample)
perf record -q -a -e cpu-clock -F "$HZ" -o "$OUT/perf.data" -- sleep "$SECONDS_" \
	2>"$OUT/perf.err" || {
	echo "$0: perf record failed:" >&2
	cat "$OUT/perf.err" >&2
	exit 1
}
# Throttled below HZ, perf would make every ns figure below too low.
grep -i "throttl\|max_sample_rate" "$OUT/perf.err" >&2 && exit 1
rx_flood_stop
rx_detach "$BIN"

echo "$SOURCES source(s): the receiver takes $ns ns a frame, at $mpps Mpps"
perf script -i "$OUT/perf.data" -F ip,sym 2>/dev/null |
	python3 "$ROOT/scripts/lib/xdp_profile.py" "$OUT/lines.json" \
		--hz "$HZ" --seconds "$SECONDS_" --mpps "$mpps" --top "${PROFILE_TOP:-40}" \
		--annotate "${PROFILE_ANNOTATE:-0}"
