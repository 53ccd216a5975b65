# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fleet.sh - for the fleet tests (tests/lib/fleet.sh) and bench-fleet.sh:
# three "machines", each a pair of network namespaces with its own veth
# and its own `tidegate run --fleet`, against one store: a redis-server,
# or a Redis Cluster once the store's hooks below are redefined. Source
# it after sandbox.sh (sb_create done), json.sh and something that
# defines rd_cli, rd_kill and RD_SOCK (tests/lib/daemon.sh); set IT_TMP
# (a private directory), T_MS FLEET PFX, then call fl_init and
# fl_machines.
#
# Machine 1 is the sandbox's; 2 and 3 are made here, alike. Per machine K:
#   FL_REDIS[K]      its --redis URL (default unix://$RD_SOCK)
#   FL_EXTRA         more [daemon] lines for every machine's config
#   FL_V             options for every daemon's run, e.g. -v for its debug lines
#   PIDS[K-1]        its daemon's pid (nsenter execs it)
#   $IT_TMP/dK.log   its daemon's stderr (the previous start's: dK.log.N)
#
# The store's hooks, for a standalone redis-server unless the user
# redefines them after sourcing this (67-fleet-cluster.sh does):
#   fleet_machine_hook K   readies machine K to reach the store
#   fleet_cli ARGS...      redis-cli against the store (the fleet's keys)
#   fleet_store_cleanup    stops the store (from the cleanup)

# The limits every machine holds: r = 20/s, b = 20, b_loc = ceil(b / N);
# N and BLOC are for the bounds the sourcing scripts check.
# shellcheck disable=SC2034
N=3
RATE=20 # per second
BURST=20
# shellcheck disable=SC2034
BLOC=7

fleet_machine_hook() { :; }
fleet_cli() { rd_cli "$@"; }
fleet_store_cleanup() { rd_kill KILL; }

fl_init() {
	local k
	PIDS=()
	FL_REDIS=()
	FL_READY=()
	NS_S=("" "$SB_SRV_NS") NS_C=("" "$SB_CLI_NS") IF_S=("" "$SB_SRV_IF") IF_C=("" "$SB_CLI_IF")
	for k in 2 3; do
		NS_S[k]="tg-f${k}s-$SB_ID" NS_C[k]="tg-f${k}c-$SB_ID"
		IF_S[k]="tf${k}s$SB_ID" IF_C[k]="tf${k}c$SB_ID"
	done
	sb_on_cleanup fleet_cleanup
}

m_srv() { local k=$1; shift; nsenter --net="/run/netns/${NS_S[k]}" "$@"; }
m_cli() { local k=$1; shift; nsenter --net="/run/netns/${NS_C[k]}" "$@"; }
m_pins() { echo "/sys/fs/bpf/tidegate/netns:$(stat -L -c %i "/run/netns/${NS_S[$1]}")/${IF_S[$1]}"; }

fleet_cleanup() {
	local p k
	for p in "${PIDS[@]}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	for k in 1 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] && m_srv "$k" "$SB_TIDEGATE" detach "${IF_S[k]}" >/dev/null 2>&1
	done
	fleet_store_cleanup
	for k in 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] && rm -rf "$(dirname "$(m_pins "$k")")"
		ip netns del "${NS_S[k]}" 2>/dev/null
		ip netns del "${NS_C[k]}" 2>/dev/null
	done
}

make_machine() { # K
	local k=$1
	ip netns add "${NS_S[k]}" && ip netns add "${NS_C[k]}" || return 1
	ip link add "${IF_S[k]}" netns "${NS_S[k]}" type veth peer name "${IF_C[k]}" \
		netns "${NS_C[k]}" || return 1
	m_srv "$k" ip link set lo up && m_cli "$k" ip link set lo up &&
		m_srv "$k" ip addr add "$SB_SRV_IP/24" dev "${IF_S[k]}" &&
		m_cli "$k" ip addr add "$SB_CLI_IP/24" dev "${IF_C[k]}" &&
		m_srv "$k" ip link set "${IF_S[k]}" up && m_cli "$k" ip link set "${IF_C[k]}" up
}

# fl_machines : machines 2 and 3 made, unless made already, and each
# machine readied for the store (fleet_machine_hook) once.
fl_machines() {
	local k
	for k in 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] || make_machine "$k" || return 1
	done
	for k in 1 2 3; do
		[ -n "${FL_READY[k]:-}" ] || fleet_machine_hook "$k" || return 1
		FL_READY[k]=1
	done
}

start_daemon() { # K
	local k=$1 n
	cat >"$IT_TMP/fleet$k.conf" <<CONF
[daemon]
redis = ${FL_REDIS[k]:-unix://$RD_SOCK}
redis-prefix = $PFX
fleet = $FLEET
fleet-interval = ${T_MS}ms
metrics = 127.0.0.1:19477
state-dir = $IT_TMP/state$k
${FL_EXTRA:-}
[interface ${IF_S[k]}]
zone = web
rate = $RATE/second
burst = $BURST
ports = 80
syn-cookies = off
CONF
	if [ -e "$IT_TMP/d$k.log" ]; then
		n=$(ls "$IT_TMP/d$k.log".* 2>/dev/null | wc -l)
		mv "$IT_TMP/d$k.log" "$IT_TMP/d$k.log.$n"
	fi
	# nsenter execs the daemon: $! is the daemon's pid, for the cleanup.
	nsenter --net="/run/netns/${NS_S[k]}" "$SB_TIDEGATE" run ${FL_V:-} --config "$IT_TMP/fleet$k.conf" \
		>>"$IT_TMP/d$k.out" 2>"$IT_TMP/d$k.log" &
	PIDS[k - 1]=$!
}

wait_log() { # K PATTERN SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q -- "$2" "$IT_TMP/d$1.log" && return 0
		sleep 0.1
	done
	return 1
}

stat_of() { m_srv "$1" "$SB_TIDEGATE" stats "${IF_S[$1]}" --json | json "$2"; }

flood() { # K SRC PPS('' : at once) COUNT SECONDS [SOURCES]; to port FL_PORT (80)
	m_cli "$1" "$SB_TIDEGATE" flood "${IF_C[$1]}" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(m_srv "$1" ip -br link show "${IF_S[$1]}" | awk '{print $3}')" \
		--port "${FL_PORT:-80}" --src "$2" --sources "${6:-1}" ${3:+--pps "$3"} --count "$4" --duration "$5" \
		--threads 1 --json
}

now_s() { date +%s.%N; }

# flood_timed K SRC PPS COUNT SECONDS : flood from machine K; ADMITTED is
# what machine K admitted meanwhile, WALL the flood's seconds.
flood_timed() {
	local a0 t0 t1
	a0=$(stat_of "$1" allowed)
	t0=$(now_s)
	flood "$@" >/dev/null 2>&1
	t1=$(now_s)
	ADMITTED=$(($(stat_of "$1" allowed) - a0))
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# outage_share W [GRACE] : the most one machine admits from a source in W
# seconds at the outage's share, b_loc + r * h / N * W (h = 2), with GRACE
# seconds at the full rate r before it took hold, and one for rounding.
outage_share() {
	awk -v w="$1" -v g="${2:-0}" -v r="$RATE" -v n="$N" -v bl="$BLOC" \
		'BEGIN { printf "%d", bl + r * 2 / n * w + r * g + 1 }'
}

fleet_status() { m_srv "$1" "$SB_TIDEGATE" status "${IF_S[$1]}" --json | json "fleet.$2"; }

wait_status() { # K FIELD VALUE SECONDS
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(fleet_status "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

