#!/usr/bin/env bash
# log = journal: the daemon reads the drop log and sends each line to the
# journal with its fields. A real systemd-journald runs for the test in a
# mount namespace of its own (tmpfs over /run/systemd, /run/log and
# /var/log/journal: the host's journal is neither seen nor written), the
# daemon in the same one; real SYNs over the limit, from the client and
# from a second source, then journalctl finds each source's line by
# TIDEGATE_SOURCE, with the fields `tidegate log` prints. While the daemon
# reads the log, `tidegate log` is refused, naming the daemon; with the
# journal turned off by a reload it is allowed again.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip_all "no $JOURNALD (Debian's systemd package)"
for t in journalctl unshare; do
	command -v "$t" >/dev/null || skip_all "$t is missing"
done
it_setup
CONF=$IT_TMP/tidegate.conf
SRC2=198.19.0.5 # a second source, sent by rawsyn.py: routed nowhere
SRC3=198.19.0.7 # a denied one
JD_PID=

jd_in() { nsenter --mount="/proc/$JD_PID/ns/mnt" "$@"; }

# journald in a new mount namespace; gone with its last process, which
# takes the tmpfs mounts along.
jd_start() {
	local i
	unshare --mount --propagation private sh -ec '
		for d in /run/systemd /run/log /var/log/journal; do
			[ -d "$d" ] && mount -t tmpfs -o mode=0755 tg-journal-test "$d"
		done
		mkdir -p /run/systemd/journal /run/log/journal /run/systemd/journald.conf.d
		# Its own files only: no kernel log, nothing forwarded, no
		# rate limit to hide a line.
		printf "%s\n" "[Journal]" Storage=volatile ReadKMsg=no ForwardToSyslog=no \
			ForwardToKMsg=no ForwardToConsole=no ForwardToWall=no \
			RateLimitIntervalSec=0 RateLimitBurst=0 \
			>/run/systemd/journald.conf.d/tidegate-test.conf
		exec "$1"' sh "$JOURNALD" >"$IT_TMP/journald.out" 2>&1 &
	JD_PID=$!
	sb_on_cleanup "kill -TERM $JD_PID; wait $JD_PID"
	for ((i = 0; i < 100; i++)); do
		jd_in test -S /run/systemd/journal/socket 2>/dev/null && return 0
		kill -0 "$JD_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# jd_lines FIELD=VALUE : the journal's entries that match, as JSON lines.
jd_lines() { jd_in journalctl -q -D /run/log/journal -o json "$@" 2>/dev/null; }

# jd_wait N FIELD=VALUE : until at least N entries match (5 s at most).
jd_wait() {
	local n=$1 i
	shift
	for ((i = 0; i < 50; i++)); do
		[ "$(jd_lines "$@" | wc -l)" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# entry FIELD : a field of the entry in $ENTRY.
entry() { json "$1" <<<"$ENTRY"; }

# syns SRC COUNT : COUNT real SYNs to port 80 from SRC, out of the client.
syns() {
	sb_cli python3 "$IT_LIB/rawsyn.py" "$SB_CLI_IF" --dst-mac "$(sb_srv_mac)" \
		--dst "$SB_SRV_IP" --src "$1" --count "$2" --duration 10 >/dev/null
}

write_conf() { # LOG
	cat >"$CONF" <<CONF
[daemon]
log = $1
[interface $IF]
rate = 1/minute
burst = 1
ports = 80
CONF
}

test_start() {
	jd_start
	ok $? "systemd-journald runs in a mount namespace of its own" ||
		it_abort "journald did not start: $(cat "$IT_TMP/journald.out")"
	write_conf journal
	DM_ENTER=(--mount="/proc/$JD_PID/ns/mnt")
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs with log = journal, in journald's mount namespace" ||
		it_abort "$(cat "$DM_LOG")"
	dm_wait_log "$IF: the drop log goes to the journal"
	ok $? "  and says the drop log goes to the journal" || diag "$(cat "$DM_LOG")"
}

test_log_refused() {
	tg_run log "$IF" --json
	is "$RC" 1 "'tidegate log' is refused while the daemon reads the drop log"
	[[ $(out error) == *"the tidegate daemon (pid $DM_PID: tidegate run"*"log = journal"* ]]
	ok $? "  naming the daemon and log = journal" || diag "  stdout: $OUT"
	[[ $(out error) == *"journalctl TIDEGATE_INTERFACE=$IF"* ]]
	ok $? "  and saying how to read it" || diag "  stdout: $OUT"
}

# The fields of MESSAGE (key=value, as `tidegate log` prints them) are the
# entry's TIDEGATE_ fields, "-" (null) ones left out: prints what differs.
message_vs_fields() {
	python3 -c '
import json, shlex, sys
e = json.loads(sys.argv[1])
bad = []
words = dict(w.split("=", 1) for w in shlex.split(e["MESSAGE"]))
for k, v in words.items():
    f = e.get("TIDEGATE_" + k.upper())
    if (v == "-" and f is not None) or (v != "-" and f != v):
        bad.append("%s=%s vs %s" % (k, v, f))
extra = [k for k in e if k.startswith("TIDEGATE_") and k != "TIDEGATE_INTERFACE"
         and k[9:].lower() not in words]
print(" ".join(bad + extra))' "$1"
}

test_lines() {
	local n
	it_connects 3 "$SB_SRV_IP" 80 >/dev/null # the burst, then drops
	syns "$SRC2" 3
	jd_wait 1 "TIDEGATE_SOURCE=$SRC2"
	ok $? "journalctl TIDEGATE_SOURCE=$SRC2 finds its line" || {
		diag "$(jd_lines TIDEGATE_INTERFACE="$IF" | head -5)"
		return
	}
	n=$(jd_lines "TIDEGATE_SOURCE=$SRC2" | wc -l)
	is "$n" 1 "  one line: its first drop (the others within the log interval)"
	ENTRY=$(jd_lines "TIDEGATE_SOURCE=$SRC2" | head -1)
	is "$(entry TIDEGATE_SOURCE)" "$SRC2" "  TIDEGATE_SOURCE"
	is "$(entry TIDEGATE_PREFIX)" "$SRC2" "  TIDEGATE_PREFIX: its bucket, the /32"
	is "$(entry TIDEGATE_RULE)" 0 "  TIDEGATE_RULE 0: the interface's limit"
	is "$(entry TIDEGATE_WHY)" limit "  TIDEGATE_WHY limit"
	is "$(entry TIDEGATE_ACTION)" drop "  TIDEGATE_ACTION drop"
	is "$(entry TIDEGATE_DPORT)" 80 "  TIDEGATE_DPORT 80"
	is "$(entry TIDEGATE_DROPPED)" 1 "  TIDEGATE_DROPPED 1"
	is "$(entry TIDEGATE_LIMIT)" 1/minute "  TIDEGATE_LIMIT 1/minute"
	is "$(entry TIDEGATE_INTERFACE)" "$IF" "  TIDEGATE_INTERFACE $IF"
	is "$(entry PRIORITY)" 5 "  PRIORITY 5 (notice)"
	is "$(entry SYSLOG_IDENTIFIER)" tidegate "  SYSLOG_IDENTIFIER tidegate"
	is "$(entry _PID)" "$DM_PID" "  sent by the daemon"
	[[ $(entry MESSAGE) == "time="*" source=$SRC2 prefix=$SRC2 rule=0 why=limit action=drop "* ]]
	ok $? "  MESSAGE is the line 'tidegate log' prints" || diag "  $(entry MESSAGE)"
	is "$(message_vs_fields "$ENTRY")" "" "  and its fields are the entry's TIDEGATE_ fields"
	is "$(jd_lines "TIDEGATE_SOURCE=$SB_CLI_IP" | wc -l)" 1 \
		"journalctl TIDEGATE_SOURCE=$SB_CLI_IP finds the client's line alone"
	ENTRY=$(jd_lines "TIDEGATE_SOURCE=$SB_CLI_IP" | head -1)
	is "$(entry TIDEGATE_SOURCE)" "$SB_CLI_IP" "  its source"
	is "$(jd_lines TIDEGATE_INTERFACE="$IF" | wc -l)" 2 "  two lines of $IF in all"
}

test_deny_rule() {
	local id
	tg_ok "rule add $SRC3 deny" rule add "$IF" "$SRC3" deny --json
	id=$(out rule.id)
	syns "$SRC3" 1
	jd_wait 1 "TIDEGATE_SOURCE=$SRC3"
	ok $? "a SYN from a denied source: a line" || return
	ENTRY=$(jd_lines "TIDEGATE_SOURCE=$SRC3" | head -1)
	is "$(entry TIDEGATE_WHY)" deny "  TIDEGATE_WHY deny"
	is "$(entry TIDEGATE_RULE)" "$id" "  TIDEGATE_RULE: the rule's id ($id)"
	is "$(entry TIDEGATE_LIMIT)" deny "  TIDEGATE_LIMIT deny"
	is "$(jd_lines TIDEGATE_WHY=deny | wc -l)" 1 "journalctl TIDEGATE_WHY=deny finds it alone"
}

test_journal_off() {
	write_conf off
	kill -HUP "$DM_PID"
	dm_wait_log "$IF: the drop log no longer goes to the journal"
	ok $? "log = off on SIGHUP: the daemon stops reading the drop log" ||
		diag "$(tail -5 "$DM_LOG")"
	it_log_follow 2 "$IT_TMP/follow.json"
	it_connect "$SB_SRV_IP" 80
	it_log_wait
	is "$IT_LOG_RC" 0 "  'tidegate log' follows it again" ||
		diag "  $(cat "$IT_TMP/follow.json.err")"
	write_conf journal
	kill -HUP "$DM_PID"
	dm_wait_log "reloaded" && sleep 1
	grep -c "$IF: the drop log goes to the journal" "$DM_LOG" | grep -qx 2
	ok $? "log = journal again: the daemon reads it again" || diag "$(tail -5 "$DM_LOG")"
}

test_start
test_log_refused
test_lines
test_deny_rule
test_journal_off
dm_stop TERM
is "$?" 0 "the daemon stops with exit 0"
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
