# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fleet.sh - for the fleet tests (66, 68): the three machines of
# scripts/lib/fleet.sh, with TAP checks. Source it after integration.sh,
# call fl_setup, set N RATE BURST T_MS FLEET PFX, then call fl_init.
. "$IT_LIB/daemon.sh"
. "$IT_ROOT/scripts/lib/fleet.sh"

# fl_setup : the sandbox, and what every fleet test needs of this machine.
fl_setup() {
	it_setup
	it_need_redis
	it_has_flood || it_abort "this tidegate has no flood command"
}

# fl_up : machines 2 and 3 made (unless made already), three daemons
# running, each seeing a fleet of three.
fl_up() {
	local k
	for k in 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] || make_machine "$k" || it_abort "could not make machine $k"
	done
	for k in 1 2 3; do start_daemon "$k"; done
	for k in 1 2 3; do
		wait_log "$k" "running: protecting" 20
		ok $? "machine $k: tidegate run --fleet $FLEET runs" ||
			it_abort "$(cat "$IT_TMP/d$k.log")"
	done
	for k in 1 2 3; do
		wait_log "$k" "fleet $FLEET: 3 members" 10
		ok $? "machine $k: sees a fleet of 3" || diag "$(tail -5 "$IT_TMP/d$k.log")"
	done
}

# fl_logs_clean : no sanitizer report in any daemon's logs, all starts.
fl_logs_clean() {
	local k
	for k in 1 2 3; do
		! cat "$IT_TMP/d$k.log"* 2>/dev/null |
			grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:"
		ok $? "machine $k: no sanitizer report" ||
			diag "$(cat "$IT_TMP/d$k.log"* | grep -A12 ERROR)"
	done
}
