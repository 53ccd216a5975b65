# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bench_smoke.sh - what the benchmarks' smoke tests (90-93) share: TAP,
# root, and the release build of tidegate and tg-bench, made if needed
# (the sanitized one would measure ASan, not tidegate): $ROOT, $TG, $TGB.
#
#   . "$(dirname "$0")/../lib/bench_smoke.sh"

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
require_root

TG=$ROOT/build/tidegate
TGB=$ROOT/build/tg-bench
make -C "$ROOT" --no-print-directory -s build/tidegate build/tg-bench >/dev/null 2>&1
[ -x "$TG" ] && [ -x "$TGB" ] || { ok 1 "build/tidegate and build/tg-bench build"; done_testing; exit 1; }

# That the run left no namespace, and no pin of an interface matching
# GLOB (default the sandbox's server veth, tgs$SB_ID), behind.
no_sandbox_left() { # [GLOB]
	local glob=${1:-tgs$SB_ID}
	is "$(ip netns list | grep -c -- "-$SB_ID\b")" 0 "no namespace left behind"
	# shellcheck disable=SC2086 # the glob is meant to expand
	[ -z "$(ls -d /sys/fs/bpf/tidegate/{,netns:*/}$glob 2>/dev/null)" ]
	ok $? "no pins left under /sys/fs/bpf/tidegate"
}
