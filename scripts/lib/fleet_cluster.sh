# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fleet_cluster.sh - the store of scripts/lib/fleet.sh as a real Redis
# Cluster: 3 masters and 3 replicas in a namespace of their own, which
# every machine reaches over a veth. For 67-fleet-cluster.sh and
# bench-fleet.sh (BENCH_FLEET_STORE=cluster). Source it after fleet.sh,
# with SB_ID and IT_TMP set; it redefines the store's hooks. Then
# cluster_start, before fl_machines.

RNS=tg-frd-$SB_ID
RIP=198.18.250.1 # every node's address, on the cluster namespace's lo
PORTS=(7001 7002 7003 7004 7005 7006)
declare -A RPID

rcli() { # PORT ARGS...
	local p=$1; shift
	nsenter --net="/run/netns/$RNS" redis-cli -h "$RIP" -p "$p" "$@"
}

# The store's hooks (scripts/lib/fleet.sh), for the cluster.
fleet_cli() { nsenter --net="/run/netns/$RNS" redis-cli -c -h "$RIP" -p 7001 "$@"; }

fleet_store_cleanup() {
	local p
	for p in "${PORTS[@]}"; do
		[ -n "${RPID[$p]}" ] && kill -KILL "${RPID[$p]}" 2>/dev/null
	done
	for p in "${PORTS[@]}"; do
		[ -n "${RPID[$p]}" ] && wait "${RPID[$p]}" 2>/dev/null
	done
	ip netns del "$RNS" 2>/dev/null # its veths go with it
}

# Machine K reaches $RIP over a veth of its own: 198.18.25K.0/24.
fleet_machine_hook() {
	local k=$1 ns
	ns=/run/netns/${NS_S[k]}
	ip link add "tr$k$SB_ID" netns "$RNS" type veth peer name "tm$k$SB_ID" \
		netns "$(basename "$ns")" || return 1
	nsenter --net="/run/netns/$RNS" sh -c "ip addr add 198.18.25$k.1/24 dev tr$k$SB_ID &&
		ip link set tr$k$SB_ID up" &&
		nsenter --net="$ns" sh -c "ip addr add 198.18.25$k.2/24 dev tm$k$SB_ID &&
		ip link set tm$k$SB_ID up && ip route add $RIP/32 via 198.18.25$k.1"
}

# A cluster of PORTS, 3 masters each with its replica, every slot covered.
cluster_start() {
	local p i args=()
	ip netns add "$RNS" || return 1
	nsenter --net="/run/netns/$RNS" sh -c "ip link set lo up && ip addr add $RIP/32 dev lo" ||
		return 1
	mkdir -p "$IT_TMP/rc"
	for p in "${PORTS[@]}"; do
		nsenter --net="/run/netns/$RNS" redis-server --port "$p" --bind "$RIP" \
			--protected-mode no --cluster-enabled yes \
			--cluster-config-file "$IT_TMP/rc/nodes-$p.conf" --cluster-node-timeout 1000 \
			--cluster-require-full-coverage no --save '' --appendonly no \
			--dir "$IT_TMP/rc" --daemonize no >>"$IT_TMP/rc/$p.log" 2>&1 &
		RPID[$p]=$!
		args+=("$RIP:$p")
	done
	for p in "${PORTS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			[ "$(rcli "$p" PING 2>/dev/null)" = PONG ] && break
			sleep 0.1
		done
	done
	rcli 7001 --cluster create "${args[@]}" --cluster-replicas 1 --cluster-yes \
		>"$IT_TMP/rc/create.log" 2>&1 || return 1
	# Replicas take over only when told (CLUSTER FAILOVER FORCE): a
	# stopped master's shards then stay degraded until then, so the
	# test sees that state whatever the machine's load.
	for p in "${PORTS[@]}"; do
		rcli "$p" CONFIG SET cluster-replica-no-failover yes >/dev/null || return 1
	done
	for p in "${PORTS[@]}"; do
		for ((i = 0; i < 100; i++)); do
			rcli "$p" CLUSTER INFO | grep -q "cluster_state:ok" && break
			sleep 0.1
		done
		rcli "$p" CLUSTER INFO | grep -q "cluster_state:ok" || return 1
	done
}
