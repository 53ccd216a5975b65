#!/usr/bin/env bash
# Least privilege: tidegate runs as an unprivileged user given only the
# capabilities the shipped systemd unit grants (read from the unit), and
# without one of them each command names the one it misses. The daemon,
# so run, tells readiness as systemd's Type=notify expects, makes no
# system call outside the unit's SystemCallFilter, and the unit scores
# <= 3.5 in `systemd-analyze security`.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is missing"
UNIT_IN=$IT_ROOT/packaging/tidegate.service.in
UID_NOBODY=65534
SCORE_MAX=3.5

# The unit's ambient capabilities, as setpriv spells them: +bpf,+net_admin,...
UNIT_CAPS=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT_IN" | tr ' ' '\n' |
	sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,)

# as_user CAPS ARGS... : tidegate as uid 65534 in the server namespace
# with exactly CAPS (setpriv syntax, "" for none): RC, OUT, ERR.
as_user() {
	local caps=${1:--all}
	shift
	OUT=$(sb_srv setpriv --reuid=$UID_NOBODY --regid=$UID_NOBODY --clear-groups \
		--inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" --bounding-set=-all,"$caps" \
		"$SB_TIDEGATE" "$@" 2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
}

without() { # CAP : the unit's capabilities but CAP
	tr ',' '\n' <<<"$UNIT_CAPS" | grep -vx "+$1" | paste -sd,
}

test_commands_with_unit_caps() {
	diag "the unit's capabilities: $UNIT_CAPS"
	as_user "$UNIT_CAPS" attach "$IF" --rate 5/second --json
	is "$RC" 0 "as uid $UID_NOBODY with the unit's capabilities, attach works" || diag "$ERR"
	as_user "$UNIT_CAPS" status "$IF" --json
	is "$(out attached)" true "  status sees it attached"
	as_user "$UNIT_CAPS" set "$IF" --rate 7/second --json
	is "$(out limits.rate)" 7/second "  set changes the rate"
	as_user "$UNIT_CAPS" stats "$IF" --json
	is "$RC" 0 "  stats reads the counters" || diag "$ERR"
	as_user "$UNIT_CAPS" detach "$IF" --json
	is "$(out detached)" true "  detach removes it"
}

# expect_missing CAPS CAP ARGS... : fails, exit 1, one line naming CAP.
expect_missing() {
	local caps=$1 cap=$2
	shift 2
	as_user "$caps" "$@" --json
	is "$RC" 1 "'$*' without $cap exits 1" || diag "$ERR"
	[[ $(out error) == *"$cap"* ]] && [ "$(nlines "$ERR")" -eq 1 ]
	ok $? "  and one line names $cap: $(out error)" || diag "  stderr: $ERR"
}

test_missing_caps() {
	sb_tg attach "$IF" --json >/dev/null || it_abort "attach as root failed"
	expect_missing "" CAP_BPF stats "$IF"
	expect_missing "$(without sys_admin)" CAP_SYS_ADMIN status "$IF"
	expect_missing "$(without net_admin)" CAP_NET_ADMIN detach "$IF"
	expect_missing "$(without dac_override)" CAP_DAC_OVERRIDE stats "$IF"
	# CAP_SYS_ADMIN grants what CAP_BPF and CAP_PERFMON do, as in the kernel.
	as_user "$(without bpf | tr ',' '\n' | grep -vx +perfmon | paste -sd,)" stats "$IF" --json
	is "$RC" 0 "CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON" || diag "$ERR"
	sb_tg detach "$IF" --json >/dev/null
}

test_daemon() {
	local listen strace_out used allowed extra tgpid
	listen=$IT_TMP/notify.sock
	python3 "$IT_LIB/notify_listen.py" "$listen" 30 >"$IT_TMP/notify.txt" &
	local lpid=$!
	sb_on_cleanup "kill $lpid 2>/dev/null"
	sleep 0.3
	strace_out=$IT_TMP/daemon.strace
	DM_N=$((DM_N + 1))
	DM_LOG=$IT_TMP/daemon.$DM_N.log
	# Under strace LeakSanitizer cannot run; ASan still does.
	sb_srv env NOTIFY_SOCKET="$listen" ASAN_OPTIONS=detect_leaks=0 \
		setpriv --reuid=$UID_NOBODY --regid=$UID_NOBODY --clear-groups \
		--inh-caps=-all,"$UNIT_CAPS" --ambient-caps=-all,"$UNIT_CAPS" \
		--bounding-set=-all,"$UNIT_CAPS" \
		strace -f -qq -o "$strace_out" \
		"$SB_TIDEGATE" run "$IF" --rate 5/second --metrics "$DM_METRICS" --detach-on-exit \
		2>>"$DM_LOG" &
	DM_PID=$!
	dm_running 30
	ok $? "the daemon runs as uid $UID_NOBODY with the unit's capabilities" ||
		it_abort "$(cat "$DM_LOG")"
	for _ in $(seq 50); do grep -q READY=1 "$IT_TMP/notify.txt" && break; sleep 0.1; done
	is "$(head -1 "$IT_TMP/notify.txt")" "READY=1;STATUS=protecting 1 interface" \
		"  it tells systemd it is ready (sd_notify READY=1)"
	dm_metrics | grep -q "^tidegate_syn_total{interface=\"$IF\""
	ok $? "  and serves metrics"
	# $DM_PID is a subshell running strace; the daemon is strace's child.
	tgpid=$(pgrep -n -x -u $UID_NOBODY tidegate)
	kill -HUP "$tgpid"
	dm_wait_log "reloaded:" 10
	ok $? "  SIGHUP reloads" || diag "$(cat "$DM_LOG")"
	kill -TERM "$tgpid"
	wait "$DM_PID"
	is "$?" 0 "  SIGTERM stops it, exit 0"
	DM_PID=
	wait "$lpid"
	diag "notifications: $(paste -sd' ' "$IT_TMP/notify.txt")"
	is "$(sed -n 2,4p "$IT_TMP/notify.txt" | paste -sd' ')" \
		"RELOADING=1 READY=1;STATUS=protecting 1 interface STOPPING=1" \
		"  RELOADING=1 and READY=1 around the reload, STOPPING=1 at the end"
	[ -e "$PIN_DIR" ]
	is "$?" 1 "  --detach-on-exit detached it"

	# Every system call it made, against the unit's filter as systemd
	# expands it.
	used=$(sed -E 's/^[0-9]+ +//; s/\(.*//' "$strace_out" | grep -E '^[a-z_0-9]+$' | sort -u)
	allowed=$(expand_filter $(sed -n 's/^SystemCallFilter=//p' "$UNIT_IN"))
	extra=$(comm -23 <(echo "$used") <(echo "$allowed") | paste -sd' ')
	diag "$(wc -l <<<"$used") distinct system calls made"
	is "$extra" "" "every system call the daemon made is in the unit's SystemCallFilter"
}

# expand_filter ITEMS... : the system calls of systemd filter groups and names.
expand_filter() {
	local item
	for item in "$@"; do
		if [[ $item == @* ]]; then
			# The first line is the group's own name.
			systemd-analyze syscall-filter "$item" | tail -n +2 | sed 's/^ *//' |
				grep -v '^#' |
				while read -r s; do
					[ -z "$s" ] && continue
					if [[ $s == @* ]]; then expand_filter "$s"; else echo "$s"; fi
				done
		else
			echo "$item"
		fi
	done | sort -u
}

test_unit_score() {
	local unit=$IT_TMP/tidegate.service score
	if ! systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
		ok 0 "# SKIP systemd-analyze has no --offline (systemd < 250)"
		return
	fi
	sed -e "s|@SBINDIR@|/usr/sbin|g" -e "s|@SYSCONFDIR@|/etc|g" "$UNIT_IN" >"$unit"
	score=$(systemd-analyze security --offline=true "$unit" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	diag "systemd-analyze security --offline=true: $score"
	python3 -c "import sys; sys.exit(0 if float('${score:-99}') <= $SCORE_MAX else 1)"
	ok $? "the shipped unit's exposure is <= $SCORE_MAX (got ${score:-none})"
	grep -qx "Type=notify" "$unit"
	ok $? "  and it is Type=notify"
}

test_commands_with_unit_caps
test_missing_caps
test_daemon
test_unit_score
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
