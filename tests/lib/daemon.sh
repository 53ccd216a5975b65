# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# daemon.sh - for the tests of `tidegate run`: a private redis-server and
# the daemon, both killed at cleanup whatever happens. Source it after
# integration.sh and it_setup.
#
#   rd_start [ARGS...]    redis-server on a unix socket in $IT_TMP (RD_SOCK),
#                         with ARGS added to its options
#   rd_cli ARGS...        redis-cli on it
#   dm_start ARGS...      tidegate run ARGS in the server namespace (DM_PID,
#                         its stderr in DM_LOG), metrics on $DM_METRICS, its
#                         state (the rules it keeps) under $IT_TMP/state
#                         (and in the namespaces DM_ENTER adds: nsenter's
#                         options, e.g. --mount=/proc/PID/ns/mnt)
#   dm_stop [SIGNAL]      signal it (TERM) and wait for it
#   dm_metrics            GET /metrics from inside the server namespace
#   dm_metric SERIES      one sample's value

RD_PID=
DM_PID=
DM_BG=
DM_ENTER=()
DM_PORT=${DM_PORT:-19477}
DM_METRICS=127.0.0.1:$DM_PORT

it_need_redis() {
	command -v redis-server >/dev/null || bail "redis-server is missing: run scripts/install-deps.sh"
	command -v redis-cli >/dev/null || bail "redis-cli is missing: run scripts/install-deps.sh"
}

# Unix socket only (no TCP port): nothing outside this machine can see it.
rd_start() {
	local i
	RD_SOCK=$IT_TMP/redis.sock
	redis-server --port 0 --unixsocket "$RD_SOCK" --unixsocketperm 700 --save '' \
		--appendonly no --dir "$IT_TMP" --daemonize no "$@" >>"$IT_TMP/redis.log" 2>&1 &
	RD_PID=$!
	for i in $(seq 50); do
		rd_cli ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "redis-server did not start: $(tail -3 "$IT_TMP/redis.log")" >&2
	return 1
}

rd_cli() { redis-cli -s "$RD_SOCK" "$@"; }

rd_kill() { # SIGNAL
	[ -n "$RD_PID" ] || return 0
	kill "-${1:-KILL}" "$RD_PID" 2>/dev/null
	if [ "${1:-KILL}" = KILL ] || [ "${1:-KILL}" = TERM ]; then
		wait "$RD_PID" 2>/dev/null
		RD_PID=
	fi
}

# The daemon, in the server namespace. nsenter execs it, so $! is its pid.
DM_N=0
dm_start() {
	# A log per start, so waiting for a line never finds an earlier run's.
	DM_N=$((DM_N + 1))
	DM_LOG=$IT_TMP/daemon.$DM_N.log
	nsenter --net="/run/netns/$SB_SRV_NS" "${DM_ENTER[@]}" "$SB_TIDEGATE" run \
		--metrics "$DM_METRICS" --state-dir "$IT_TMP/state" "$@" \
		>>"$IT_TMP/daemon.out" 2>>"$DM_LOG" &
	DM_PID=$!
}

# dm_wait_log PATTERN [SECONDS] : until the daemon's log has PATTERN.
dm_wait_log() {
	local i n=$(( ${2:-10} * 10 ))
	for ((i = 0; i < n; i++)); do
		grep -q -- "$1" "$DM_LOG" 2>/dev/null && return 0
		kill -0 "$DM_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# dm_running : the daemon is up and serving metrics.
dm_running() { dm_wait_log "running: protecting" "${1:-20}"; }

# dm_stop [SIGNAL] : signal the daemon (TERM) and wait until it is gone.
# Its exit code, or for a daemon restarted by dm_restart_bg (not our
# child), 0 if it logged a clean stop.
dm_stop() {
	local rc i
	[ -n "$DM_PID" ] || return 0
	kill "-${1:-TERM}" "$DM_PID" 2>/dev/null
	wait "$DM_PID" 2>/dev/null
	rc=$?
	if [ "$rc" = 127 ]; then
		for ((i = 0; i < 200; i++)); do
			kill -0 "$DM_PID" 2>/dev/null || break
			sleep 0.05
		done
		rc=1
		grep -qE "left attached|detached" "$DM_LOG" && rc=0
		if kill -0 "$DM_PID" 2>/dev/null; then
			echo "# daemon $DM_PID still running 10 s after SIG${1:-TERM}" >&2
			rc=1
		fi
	fi
	DM_PID=
	return $rc
}

dm_metrics() { sb_srv curl -s --max-time "${1:-2}" "http://$DM_METRICS/metrics"; }

# dm_metric SERIES : the value of the sample named exactly SERIES.
dm_metric() {
	dm_metrics | awk -v s="$1" '$1 == s { print $2 }'
}

# The daemon's log must be free of sanitizer reports.
dm_log_clean() {
	! cat "$IT_TMP"/daemon.*.log 2>/dev/null |
		grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:"
}

it_daemon_cleanup() {
	# A daemon restarted by dm_restart_bg is not our child: its pid is
	# in a file until dm_restart_join takes it.
	if [ -s "$IT_TMP/dm.pid" ] && [ "$(cat "$IT_TMP/dm.pid")" != "$DM_PID" ]; then
		kill -KILL "$(cat "$IT_TMP/dm.pid")" 2>/dev/null
	fi
	if [ -n "$DM_BG" ]; then
		kill -KILL "$DM_BG" 2>/dev/null
		wait "$DM_BG" 2>/dev/null
	fi
	if [ -n "$DM_PID" ]; then
		kill -KILL "$DM_PID" 2>/dev/null
		wait "$DM_PID" 2>/dev/null
	fi
	if [ -n "$RD_PID" ]; then
		kill -KILL "$RD_PID" 2>/dev/null
		kill -CONT "$RD_PID" 2>/dev/null
		wait "$RD_PID" 2>/dev/null
	fi
}

# First of the cleanups, before $IT_TMP (which has the pid file) and the
# namespaces go.
SB_CLEANUPS=(it_daemon_cleanup "${SB_CLEANUPS[@]}")

# dm_restart_bg KILL_AFTER START_AFTER ARGS... : in the background, SIGKILL
# the daemon after KILL_AFTER seconds and start it again with ARGS
# START_AFTER seconds later; dm_restart_join waits for that and adopts
# the new daemon.
dm_restart_bg() {
	local k=$1 s=$2 old=$DM_PID
	shift 2
	DM_N=$((DM_N + 1))
	DM_LOG=$IT_TMP/daemon.$DM_N.log
	DM_OLD=$old
	(
		sleep "$k"
		kill -KILL "$old"
		sleep "$s"
		nsenter --net="/run/netns/$SB_SRV_NS" "$SB_TIDEGATE" run --metrics "$DM_METRICS" \
			--state-dir "$IT_TMP/state" "$@" >>"$IT_TMP/daemon.out" 2>>"$DM_LOG" &
		echo $! >"$IT_TMP/dm.pid"
	) &
	DM_BG=$!
}

dm_restart_join() {
	wait "$DM_BG"
	DM_BG=
	wait "$DM_OLD" 2>/dev/null
	DM_PID=$(cat "$IT_TMP/dm.pid")
	rm -f "$IT_TMP/dm.pid"
}

# The shard tag of an IPv4 source, as the daemon computes it.
rd_shard4() {
	python3 -c '
import ipaddress, sys
h = 2166136261
for b in ipaddress.IPv4Address(sys.argv[1]).packed:
    h = ((h ^ b) * 16777619) & 0xffffffff
print("%04d" % (h % 1024))' "$1"
}

# rd_key4 PREFIX ZONE ADDR : the key of an IPv4 /32 source.
rd_key4() { echo "$1:$2:{s:$(rd_shard4 "$3")}:v4:$3"; }

# The zone's keys in Redis.
rd_count() { rd_cli --scan --pattern "$1:*" | wc -l; }
