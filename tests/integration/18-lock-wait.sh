#!/usr/bin/env bash
# The lock around attach, set, rule and detach: a command that finds it
# held says once who holds it (pid and command) and waits; once it is
# free the command goes on. A wait that runs out (TIDEGATE_LOCK_TIMEOUT
# seconds, 30 by default) fails with exit 1 and says so.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
command -v flock >/dev/null || skip_all "no flock(1) to hold the lock"
LOCK_DIR=/sys/fs/bpf/tidegate

# hold SECONDS : hold the lock from another process (flock(1)) for
# SECONDS; HOLDER is its pid. Returns once it is held. -o: sleep does
# not inherit the lock, so killing HOLDER frees it.
hold() {
	local i
	sb_bg flock -o "$LOCK_DIR" sleep "$1"
	HOLDER=${SB_PIDS[-1]}
	for ((i = 0; i < 50; i++)); do
		flock -n "$LOCK_DIR" true || return 0
		sleep 0.05
	done
	it_abort "flock(1) did not take the lock"
}

test_waits() {
	local t0 t1
	tg_ok "attach" attach "$IF" --rate 5/second --json
	hold 2
	t0=$(date +%s%N)
	tg_run set "$IF" --rate 7/second --json
	t1=$(date +%s%N)
	is "$RC" 0 "set with the lock held waits for it, then succeeds" || diag "  stderr: $ERR"
	is "$(out limits.rate)" 7/second "  and sets the rate"
	[[ $ERR == *"waiting for the tidegate lock (held by pid $HOLDER: flock -o $LOCK_DIR sleep 2)"* ]]
	ok $? "  saying on stderr who holds the lock" || diag "  stderr: $ERR"
	is "$(grep -c "waiting for the tidegate lock" <<<"$ERR")" 1 "  once"
	[ $(((t1 - t0) / 1000000)) -ge 1000 ]
	ok $? "  it waited ($(((t1 - t0) / 1000000)) ms)"
	wait "$HOLDER" 2>/dev/null
}

test_gives_up() {
	local t0 t1
	hold 5
	export TIDEGATE_LOCK_TIMEOUT=1
	t0=$(date +%s%N)
	tg_run rule add "$IF" 192.0.2.0/24 allow --json
	t1=$(date +%s%N)
	unset TIDEGATE_LOCK_TIMEOUT
	is "$RC" 1 "rule add gives up after TIDEGATE_LOCK_TIMEOUT=1 s with exit 1" ||
		diag "  stderr: $ERR"
	[[ $(out error) == *"gave up after 1 s waiting for the tidegate lock"*"held by pid $HOLDER: flock"* ]]
	ok $? "  saying why in the JSON error" || diag "  stdout: $OUT"
	[ $(((t1 - t0) / 1000000)) -lt 4000 ]
	ok $? "  well before the holder lets go ($(((t1 - t0) / 1000000)) ms)"
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	tg_run rule list "$IF" --json
	is "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" 0 \
		"  and added nothing" || diag "  stdout: $OUT stderr: $ERR"
	[[ $ERR != *waiting* ]]
	ok $? "  (the lock is free again: no wait)" || diag "  stderr: $ERR"
}

test_detach() {
	tg_ok "detach, the lock free" detach "$IF" --json
}

test_waits
test_gives_up
test_detach
done_testing
