#!/usr/bin/env bash
# Fleet mode over a Redis Cluster: the three machines of 66-fleet.sh
# (tests/lib/fleet.sh; the store's hooks from
# scripts/lib/fleet_cluster.sh) and a real cluster of 3 masters and 3
# replicas in a namespace of its own, which every machine reaches over a
# veth. The same bound and propagation tests as with one server; a slot
# resharded under traffic; then one master stops (SIGSTOP): only its
# shards degrade, their sources alone held to the outage share, the
# others keep pushing at the full rate; its replica takes over (CLUSTER
# FAILOVER FORCE) and the daemons, never restarted, push there again.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/fleet.sh"
fl_setup
redis-server --help 2>&1 | grep -q cluster || redis-server --version >/dev/null ||
	it_abort "no redis-server"

. "$IT_ROOT/scripts/lib/fleet_cluster.sh"

fl_init
# shellcheck disable=SC2034 # start_daemon reads it
for k in 1 2 3; do FL_REDIS[k]=redis+cluster://$RIP:7001,$RIP:7002,$RIP:7003; done


# The master (port) that owns KEY's slot.
owner_of() {
	local slot
	slot=$(rcli 7001 CLUSTER KEYSLOT "$1")
	rcli 7001 CLUSTER NODES | awk -v s="$slot" '
		$3 ~ /master/ && $3 !~ /(^|,)fail/ {
			for (i = 9; i <= NF; i++) {
				n = split($i, r, "-"); lo = r[1]; hi = (n > 1 ? r[2] : r[1])
				if (s + 0 >= lo + 0 && s + 0 <= hi + 0) { split($2, a, "[:@]"); print a[2] }
			}
		}'
}

# The replica (port) of the master at PORT.
replica_of() {
	local id
	id=$(rcli "$1" CLUSTER MYID)
	rcli 7001 CLUSTER NODES | awk -v m="$id" '$4 == m { split($2, a, "[:@]"); print a[2] }'
}

# The SKIP+1th source (198.19.20.X) whose shard the master at PORT owns.
source_on() { # PORT [SKIP]
	local x ip skip=${2:-0}
	for ((x = 1; x < 200; x++)); do
		ip=198.19.20.$x
		[ "$(owner_of "{s:$(rd_shard4 "$ip")}")" = "$1" ] || continue
		[ "$skip" -eq 0 ] && { echo "$ip"; return 0; }
		skip=$((skip - 1))
	done
	return 1
}

test_bad_input() {
	tg_run run "$IF" --fleet "$FLEET" --redis "redis+cluster://" --metrics off
	is "$RC" 2 "a malformed cluster URL: exit 2" || diag "$ERR"
	like "$ERR" "expected a host" "  and says what is missing"
	tg_run run "$IF" --redis "redis+cluster://$RIP:7001" --metrics off
	is "$RC" 2 "a cluster URL without --fleet: exit 2 (the mirror needs one server)"
	like "$ERR" "serves fleet mode only" "  and says so"
}

test_cluster_status() {
	local n
	n=$(m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json | json fleet.masters | grep -o '"up": *true' | wc -l)
	is "$n" 3 "status: the cluster's 3 masters, each up"
	is "$(fleet_status 1 shards_degraded)" 0 "  no shard degraded"
	m_srv 1 curl -s --max-time 2 http://127.0.0.1:19477/metrics >"$IT_TMP/metrics.txt"
	is "$(grep -c '^tidegate_fleet_redis_master_up{.*} 1$' "$IT_TMP/metrics.txt")" 3 \
		"metrics: tidegate_fleet_redis_master_up 1 for each master"
	grep -q "^tidegate_fleet_shards_degraded{interface=\"${IF_S[1]}\"} 0$" "$IT_TMP/metrics.txt"
	ok $? "metrics: tidegate_fleet_shards_degraded 0"
	is "$(fleet_cli FUNCTION LIST LIBRARYNAME tgfleet | grep -c tgfleet)" 1 \
		"the library is loaded (asked of one master)"
}

wait_acked() { # K SINCE SECONDS: deltas acked past SINCE
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(fleet_status "$1" deltas_acked)" -gt "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# A reshard under traffic: the slot of a source's shard moves to another
# master (SETSLOT IMPORTING and MIGRATING, MIGRATE, SETSLOT NODE, as
# redis-cli --cluster reshard does) while machine 1 floods the source.
# The daemon follows ASK and then MOVED: every delta pushed meanwhile is
# acknowledged, no shard degrades, and the source's key ends on the new
# master.
test_reshard() {
	local src=198.19.23.1 tag key slot from to from_id to_id k p q0 p0 r0 a0 fb i
	tag="{s:$(rd_shard4 "$src")}"
	key="$PFX:fleet:$FLEET:web:$tag:v4:$src"
	slot=$(rcli 7001 CLUSTER KEYSLOT "$tag")
	from=$(owner_of "$tag")
	for to in "${PORTS[@]}"; do
		[ "$(rcli "$to" ROLE | head -1)" = master ] && [ "$to" != "$from" ] && break
	done
	from_id=$(rcli "$from" CLUSTER MYID)
	to_id=$(rcli "$to" CLUSTER MYID)
	fleet_quiet
	q0=$(fleet_status 1 deltas_pushed)
	p0=$(fleet_status 1 deltas_acked)
	r0=$(fleet_status 1 deltas_resent)
	flood 1 "$src" 50 200 4 >/dev/null 2>&1 &
	fb=$!
	wait_acked 1 "$p0" 3
	ok $? "$src (slot $slot on :$from) is pushed" || diag "$(tail -3 "$IT_TMP/d1.log")"
	rcli "$to" CLUSTER SETSLOT "$slot" IMPORTING "$from_id" >/dev/null &&
		rcli "$from" CLUSTER SETSLOT "$slot" MIGRATING "$to_id" >/dev/null
	ok $? "  slot $slot migrating from :$from to :$to"
	sleep 0.5 # pushes meet the migration
	for k in $(rcli "$from" CLUSTER GETKEYSINSLOT "$slot" 1000); do
		rcli "$from" MIGRATE "$RIP" "$to" "$k" 0 5000 >/dev/null
	done
	a0=$(fleet_status 1 deltas_acked)
	sleep 0.5 # and the keys moved (ASK)
	wait_acked 1 "$a0" 3
	ok $? "  its keys moved: pushes go on (ASK)" || diag "$(tail -3 "$IT_TMP/d1.log")"
	for p in "$to" "$from" "${PORTS[@]}"; do
		[ "$(rcli "$p" ROLE | head -1)" = master ] &&
			rcli "$p" CLUSTER SETSLOT "$slot" NODE "$to_id" >/dev/null
	done
	a0=$(fleet_status 1 deltas_acked)
	wait_acked 1 "$a0" 3
	ok $? "  the slot is :$to's: pushes go on (MOVED)" || diag "$(tail -3 "$IT_TMP/d1.log")"
	is "$(rcli "$to" EXISTS "$key")" 1 "  the source's key is on :$to"
	wait $fb
	fleet_quiet
	# deltas_pushed counts sends: a call the reshard left unanswered (a
	# TRYAGAIN while a slot's keys are split between two masters) is
	# sent again, as it was, and counted again, and its answer then
	# counts in deltas_resent too (a CI run read 42 sends, 41 answers).
	# Every delta answered once: each send unanswered is one resent.
	for ((i = 0; i < 20; i++)); do
		[ "$(( $(fleet_status 1 deltas_pushed) - q0 ))" = \
			"$(( $(fleet_status 1 deltas_acked) - p0 + $(fleet_status 1 deltas_resent) - r0 ))" ] &&
			break
		sleep 0.3
	done
	is "$(( $(fleet_status 1 deltas_pushed) - q0 ))" \
		"$(( $(fleet_status 1 deltas_acked) - p0 + $(fleet_status 1 deltas_resent) - r0 ))" \
		"  every delta pushed during the reshard was acknowledged"
	is "$(fleet_status 1 shards_degraded)" 0 "  no shard degraded"
	is "$(fleet_status 1 redis)" up "  Redis up"
}

# A master stops: its shards degrade alone, its replica takes over, and
# the daemons push there again, never restarted.
test_failover() {
	local fslot_m victim rep bad bad2 good good2 acked0 t0 t1 a0 a w most ttl pids0 fb k i
	fslot_m=$(owner_of "$PFX:fleet:{$FLEET}:nodes")
	for victim in 7001 7002 7003 7004 7005 7006; do
		[ "$(rcli "$victim" ROLE | head -1)" = master ] && [ "$victim" != "$fslot_m" ] && break
	done
	rep=$(replica_of "$victim")
	bad=$(source_on "$victim")
	bad2=$(source_on "$victim" 1)
	good=$(source_on "$fslot_m")
	good2=$(source_on "$fslot_m" 1)
	[ -n "$bad" ] && [ -n "$bad2" ] && [ -n "$good" ] && [ -n "$good2" ] && [ -n "$rep" ] ||
		{ ok 1 "a source on the stopped master and one elsewhere"; diag "$(rcli 7001 CLUSTER NODES)"; return; }
	diag "the fleet's keys on :$fslot_m; stopping master :$victim (replica :$rep); $bad is on it, $good is not"
	pids0="${PIDS[*]}"
	kill -STOP "${RPID[$victim]}"
	a0=$(stat_of 1 allowed)
	t0=$(now_s)
	flood 1 "$bad" 100 300 3 >/dev/null 2>&1 &
	fb=$!
	wait_status 1 shards_degraded 1 5
	ok $? "master :$victim stopped: machine 1 reports 1 shard degraded" ||
		diag "$(fleet_status 1 shards_degraded) $(tail -3 "$IT_TMP/d1.log")"
	is "$(fleet_status 1 redis)" degraded "  status fleet.redis = degraded"
	m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json | json fleet.masters >"$IT_TMP/masters.json"
	grep -q '"up": *false' "$IT_TMP/masters.json"
	ok $? "  and shows a master down" || diag "$(cat "$IT_TMP/masters.json")"
	acked0=$(fleet_status 2 deltas_acked)
	flood 2 "$good" 50 50 1 >/dev/null 2>&1
	wait_acked 2 "$acked0" 3
	ok $? "  the other shards keep pushing (machine 2, $good: acked)"
	wait $fb
	t1=$(now_s)
	a=$(( $(stat_of 1 allowed) - a0 ))
	w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	# The outage share (r*h/N, h = 2) from the first failed push on; at
	# the full rate r before it (a push interval and a timeout, 300 ms).
	most=$(outage_share "$w" 0.3)
	diag "$bad at 100/s for $w s with its master stopped: machine 1 admitted $a (b_loc + r*2/N*W + r*0.3 = $most; r*W = $(awk -v w="$w" 'BEGIN { printf "%d", 20 * w }'))"
	between "$a" 1 "$most" "  its sources are held to the outage share: $a admitted, at most $most"
	# Only its shards: a source of another master, flooded from machine 1
	# while the master is still away, keeps the fleet's full rate.
	flood_timed 1 "$good2" 100 300 3
	a=$ADMITTED w=$WALL
	most=$(outage_share "$w")
	diag "$good2 (another master's) at 100/s for $w s meanwhile: machine 1 admitted $a (the outage share would allow $most; b_loc + r*W = $(awk -v w="$w" -v bl="$BLOC" 'BEGIN { printf "%d", bl + 20 * w }'))"
	[ "$a" -gt "$most" ]
	ok $? "  a source of another master keeps the full rate: $a admitted, more than the outage share's $most"
	t0=$(now_s)
	rcli "$rep" CLUSTER FAILOVER FORCE >/dev/null
	for ((i = 0; i < 100; i++)); do
		[ "$(rcli "$rep" ROLE | head -1)" = master ] && break
		sleep 0.1
	done
	is "$(rcli "$rep" ROLE | head -1)" master "CLUSTER FAILOVER FORCE: :$rep is master"
	kill -KILL "${RPID[$victim]}"
	wait "${RPID[$victim]}" 2>/dev/null
	RPID[$victim]=
	acked0=$(fleet_status 1 deltas_acked)
	flood 1 "$bad2" 100 300 3 >/dev/null 2>&1 &
	fb=$!
	wait_status 1 shards_degraded 0 10
	ok $? "  machine 1 pushes every shard again" || diag "$(tail -5 "$IT_TMP/d1.log")"
	t1=$(now_s)
	wait_status 1 redis up 5
	ok $? "  status fleet.redis = up"
	wait_acked 1 "$acked0" 3
	ok $? "  $bad2, on the failed-over shards, is pushed and acked"
	ttl=$(rcli "$rep" PTTL "$(rd_key4 "$PFX:fleet:$FLEET" web "$bad2")")
	between "$ttl" 1 20000 "  its TAT is on the new master :$rep (PTTL $ttl ms)"
	wait $fb
	diag "failover to pushes again: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
	is "${PIDS[*]}" "$pids0" "  no daemon restarted"
	for k in 1 2 3; do
		kill -0 "${PIDS[k - 1]}" 2>/dev/null
		ok $? "  machine $k's daemon still runs"
	done
}

# Many sources, paced: 4,000 sources of 4 SYNs each from machine 1 at
# 8,000 SYN/s for 2 s, round robin, so every push cycle has about 800
# changed sources (each pushed at its 2nd, 3rd and 4th SYN: the first
# alone is never pushed). Every delta reaches its master; the changed
# sources pushed per second and the push cycles polled meanwhile are
# figures for README (a shared 2-core machine, polled through the CLI).
# fleet_quiet : until machine 1 has pushed nothing new for 0.3 s and had
# all it pushed acked (6 s at most).
fleet_quiet() {
	local i q p
	for ((i = 0; i < 20; i++)); do
		q=$(fleet_status 1 deltas_pushed)
		p=$(fleet_status 1 deltas_acked)
		sleep 0.3
		[ "$q" = "$p" ] && [ "$(fleet_status 1 deltas_pushed)" = "$q" ] && return 0
	done
	return 1
}

test_throughput() {
	local n=4000 p0 q0 t0 t1 i c=0 last=-1 cyc=() max sent
	# From a quiet fleet, so neither count moves under the snapshot (a
	# CI run counted one of the earlier test's deltas in this flood's).
	fleet_quiet
	q0=$(fleet_status 1 deltas_pushed)
	p0=$(fleet_status 1 deltas_acked)
	t0=$(now_s)
	flood 1 198.19.120.0 8000 $((4 * n)) 3 $n >"$IT_TMP/many.json" 2>&1 &
	for ((i = 0; i < 60 && c != last; i++)); do
		m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json >"$IT_TMP/st.json"
		cyc+=("$(json fleet.last_cycle_ms <"$IT_TMP/st.json")")
		kill -0 $! 2>/dev/null || { last=$c; sleep 0.3; }
		c=$(( $(json fleet.deltas_acked <"$IT_TMP/st.json") - p0 ))
	done
	wait $!
	# The poll stops once acks stand still for 0.3 s; a cycle slowed
	# past that by a loaded machine still pushes after it. Count both
	# once machine 1 is quiet.
	fleet_quiet || diag "machine 1 still pushing after 6 s"
	c=$(($(fleet_status 1 deltas_acked) - p0))
	t1=$(awk -v t="$t0" 'BEGIN { printf "%.3f", t + 2 }') # the flood's 2 s
	max=$(printf '%s\n' "${cyc[@]}" | sort -g | tail -1)
	diag "$n sources x 4 SYNs at 8000/s: $(json sent <"$IT_TMP/many.json") sent; $c deltas acked (about $((c / 2))/s over the flood's 2 s); push cycles polled ${#cyc[@]} times: median $(printf '%s\n' "${cyc[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') ms, max $max ms (interval $T_MS ms)"
	# A source's SYNs after its first are pushed, one delta a cycle at
	# most: sent - n deltas when the flood's 0.5 s between a source's
	# SYNs holds, fewer if a loaded machine bunches them.
	sent=$(json sent <"$IT_TMP/many.json")
	between "$c" $(((sent - n) / 2)) $((sent - n)) "many sources: $c deltas acked (sent - n = $((sent - n)))"
	is "$(( $(fleet_status 1 deltas_pushed) - q0 ))" "$c" "  every delta pushed was acked"
	is "$(fleet_status 1 shards_degraded)" 0 "  no shard degraded"
}

# A master without the library (FUNCTION FLUSH on every master, as a
# replica promoted before it had it would be): the next push loads it
# again and its FCALLs go through.
test_reload() {
	local p k acked0
	# No push in flight, and the daemons stopped while the library is
	# gone: any FCALL, a push or one of the heartbeats every member sends
	# each second, loads it back at once (CI runs found it there right
	# after the flush).
	fleet_quiet
	for k in 1 2 3; do kill -STOP "${PIDS[k - 1]}"; done
	for p in "${PORTS[@]}"; do
		[ "$(rcli "$p" ROLE | head -1)" = master ] && rcli "$p" FUNCTION FLUSH >/dev/null
	done
	is "$(fleet_cli FUNCTION LIST | grep -c tgfleet)" 0 "FUNCTION FLUSH: no master has the library"
	for k in 1 2 3; do kill -CONT "${PIDS[k - 1]}"; done
	acked0=$(fleet_status 1 deltas_acked)
	flood 1 198.19.21.1 50 50 1 4 >/dev/null 2>&1
	wait_acked 1 "$acked0" 3
	ok $? "  pushes go on: the library loaded again and the FCALLs sent once more"
	is "$(fleet_cli FUNCTION LIST LIBRARYNAME tgfleet | grep -c tgfleet)" 1 "  the library is back"
}

cluster_start || it_abort "could not start a Redis cluster: $(tail -5 "$IT_TMP/rc/create.log" 2>/dev/null)"
test_bad_input
fl_up
test_status
test_cluster_status
test_bound
test_propagation
test_throughput
test_reload
test_reshard
test_failover
fl_logs_clean
done_testing
