#!/usr/bin/env bash
# `tidegate log` while the interface changes under it: one follower per
# interface (a second is refused, naming the first: each line goes to
# one reader); a detach ends the follower within about a second with
# exit 1 and says why, instead of waiting forever on a ring buffer
# nothing writes; so does a detach and attach in between two checks.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
command -v flock >/dev/null || skip_all "no flock(1) to see the follower's lock"

# follow : `tidegate log --json` in the background; FPID, its stderr in FERR.
follow() {
	local i
	FERR=$IT_TMP/follow.$RANDOM.err
	# nsenter execs tidegate: $! is its pid
	nsenter --net="/run/netns/$SB_SRV_NS" "$SB_TIDEGATE" log "$IF" --json >/dev/null 2>"$FERR" &
	FPID=$!
	sb_on_cleanup "kill -KILL $FPID"
	for ((i = 0; i < 100; i++)); do
		flock -n "$PIN_DIR" true 2>/dev/null || return 0
		sleep 0.05
	done
	it_abort "the follower did not start: $(cat "$FERR")"
}

# ends_within SECONDS : the follower exits within SECONDS; FRC its status.
ends_within() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		kill -0 "$FPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$FPID" 2>/dev/null && return 1
	wait "$FPID"
	FRC=$?
}

test_one_follower() {
	tg_ok "attach" attach "$IF" --json
	follow
	tg_run log "$IF" --json
	is "$RC" 1 "a second 'tidegate log' on $IF exits 1" || diag "  stderr: $ERR"
	[[ $(out error) == *"already followed (by pid $FPID: tidegate log $IF --json)"* ]]
	ok $? "  saying who follows it" || diag "  stdout: $OUT"
}

test_detach_ends_it() {
	local t0 ms
	t0=$(date +%s%N)
	tg_ok "detach while it follows" detach "$IF" --json
	ends_within 5
	ok $? "  the follower ends by itself" || return
	ms=$((($(date +%s%N) - t0) / 1000000))
	is "$FRC" 1 "  with exit 1 (after $ms ms)"
	[ "$ms" -lt 3000 ]
	ok $? "  within a second or two"
	grep -q "tidegate was detached" "$FERR"
	ok $? "  saying tidegate was detached" || diag "  stderr: $(cat "$FERR")"
}

test_reattach_ends_it() {
	tg_ok "attach again" attach "$IF" --json
	follow
	sb_tg detach "$IF" >/dev/null && sb_tg attach "$IF" >/dev/null
	ok $? "detach and attach at once while it follows"
	ends_within 5
	ok $? "  the follower of the old drop log ends" || return
	is "$FRC" 1 "  with exit 1"
	grep -q "attached again" "$FERR"
	ok $? "  saying to follow the new one" || diag "  stderr: $(cat "$FERR")"
	follow
	ok 0 "  a follower of the new drop log starts"
	kill "$FPID"
	wait "$FPID"
	is "$?" 0 "  and exits 0 when interrupted"
	tg_ok "detach" detach "$IF" --json
}

test_one_follower
test_detach_ends_it
test_reattach_ends_it
done_testing
