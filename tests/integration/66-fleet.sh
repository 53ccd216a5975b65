#!/usr/bin/env bash
# Fleet mode with a standalone Redis: three "machines" (three network
# namespaces, each with its own veth pair and its own `tidegate run
# --fleet`) and one redis-server on a unix socket. One source's SYNs
# spread over the three are admitted, in all, within the bound
#   b + r*W + (N-1) * (b_loc + r*Delta),  Delta = 2T + RTT + P
# (README, "One limit across a fleet"), where three lone daemons would
# admit three times the limit; and once the fleet denies a source, a
# machine that never saw it drops its SYNs within one push interval and
# a round trip (test_bound, test_propagation: tests/lib/fleet.sh, shared
# with 67-fleet-cluster.sh). The limit rules likewise, named in Redis by
# their prefix.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/fleet.sh"
fl_setup
rd_start || it_abort "no redis-server"
fl_init

# A spoofed flood: 2,000 sources, one SYN each. None is pushed: no key
# in Redis, no delta, whatever the number of sources.
test_spoofed() {
	local pushed0 keys n a0
	sleep 0.3 # the pushes of the tests before
	pushed0=$(fleet_status 1 deltas_pushed)
	a0=$(stat_of 1 allowed)
	flood 1 198.19.100.0 "" 2000 3 2000 >"$IT_TMP/spoof.json" 2>&1
	n=$(json sources <"$IT_TMP/spoof.json")
	sleep 0.5
	keys=$(rd_cli --scan --pattern "$PFX:fleet:$FLEET:web:*:v4:198.19.1[0-9][0-9].*" | wc -l)
	between "$(( $(stat_of 1 allowed) - a0 ))" 1900 2000 \
		"a spoofed flood from $n sources, one SYN each: (almost) all admitted, each a first SYN"
	is "$keys" 0 "  no key in Redis"
	is "$(( $(fleet_status 1 deltas_pushed) - pushed0 ))" 0 "  and no delta pushed"
}

# front_epoch K : machine K's front epoch (tg_config_gen[TG_GEN_FRONT]).
front_epoch() {
	bpftool -j map lookup pinned "$(m_pins "$1")/tg_config_gen" key 2 0 0 0 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"])'
}

# epoch_moved K BEFORE WHAT : machine K's daemon voided its front slots
# once (tg_front_void moves the epoch two on) since the epoch was
# BEFORE, within 2 s: it does so just after it publishes the new share,
# which status shows. EPOCH is the epoch then.
epoch_moved() {
	local i
	for i in $(seq 20); do
		EPOCH=$(front_epoch "$1")
		[ "$((EPOCH - $2))" -ge 2 ] && break
		sleep 0.1
	done
	is "$((EPOCH - $2))" 2 "$3 (front epoch $2 -> $EPOCH)"
}

# Redis stops answering (SIGSTOP): each machine keeps enforcing with the
# outage's share, r * h / N (h = 2) and its burst share; what it admits
# meanwhile stays unpushed and is pushed when Redis answers again. As
# the outage begins the daemon voids the front slots filled under the
# whole fleet's share, whose tolerance the outage's may exceed; as it
# ends there are none to void (no slot is filled in an outage).
test_outage() {
	local src=198.19.9.9 a w tok0 tok most e0
	e0=$(front_epoch 1)
	rd_kill STOP
	wait_status 1 redis away 5
	ok $? "Redis stopped: machine 1 says so (status fleet.redis = away)"
	epoch_moved 1 "$e0" "  its front slots of the whole fleet's share were voided"
	tok0=$(fleet_status 1 tokens_pushed)
	flood_timed 1 "$src" 100 200 2
	a=$ADMITTED w=$WALL
	most=$(outage_share "$w")
	diag "Redis away for a flood of $w s at 100/s: machine 1 admitted $a (b_loc + r*2/N*W = $most; r*W = $(awk -v w="$w" 'BEGIN { printf "%d", 20 * w }'))"
	between "$a" 1 "$most" "  it enforces the outage's share: $a admitted, at most $most"
	rd_kill CONT
	wait_status 1 redis up 5
	ok $? "Redis answers again: machine 1 says so"
	sleep 0.5
	is "$(front_epoch 1)" "$EPOCH" "  no front slot to void as it ends: the epoch stays"
	tok=$(( $(fleet_status 1 tokens_pushed) - tok0 ))
	between "$tok" "$a" $((a + 5)) "  the $a admissions of the outage were pushed ($tok)"
}

# The limit rules are one limit across the fleet too: each machine
# numbers its rules itself, and the fleet names a rule by its prefix
# (README, "One limit across a fleet"). The same rules on all three:
# a /24 limited per source, and a /24 with one --shared bucket.
RULE=198.19.32.0/24 SHARED=198.19.33.0/24 RRATE=30 RBURST=30 RBLOC=10
test_rules() {
	local k src=198.19.32.7 lone bound
	for k in 1 2 3; do
		m_srv "$k" "$SB_TIDEGATE" rule add "${IF_S[k]}" "$RULE" limit "$RRATE/second" \
			--burst "$RBURST" >/dev/null &&
			m_srv "$k" "$SB_TIDEGATE" rule add "${IF_S[k]}" "$SHARED" limit \
				"$RRATE/second" --burst "$RBURST" --shared >/dev/null
		ok $? "machine $k: the same two limit rules (rule ids are each machine's own)"
	done
	# One source of the rule over the three machines.
	flood_three "$src" "$src" "$src"
	bound=$(fleet_bound "$RRATE" "$RBURST" "$RBLOC" "$W")
	lone=$(awk -v w="$W" -v r="$RRATE" -v b="$RBURST" 'BEGIN { printf "%d", 3 * (b + r * w) }')
	diag "rule $RULE ($RRATE/s, burst $RBURST), W = $W s: admitted $TOTAL over three machines (${ADM[*]}); bound $bound, three lone daemons $lone"
	between "$TOTAL" "$(awk -v w="$W" -v r="$RRATE" 'BEGIN { printf "%d", r * (w - 0.5) }')" "$bound" \
		"a limit rule's source over three machines: $TOTAL admitted, within the bound $bound"
	is "$(rd_cli --scan --pattern "$PFX:fleet:$FLEET:web@$RULE:{s:*}:v4:$src" | wc -l)" 1 \
		"  its key in Redis names the rule by its prefix (web@$RULE)"

	# The --shared rule: one bucket for its /24, each machine a source.
	flood_three 198.19.33.1 198.19.33.2 198.19.33.3
	bound=$(fleet_bound "$RRATE" "$RBURST" "$RBLOC" "$W")
	diag "--shared rule $SHARED, three sources, one a machine, W = $W s: admitted $TOTAL (${ADM[*]}); bound $bound"
	between "$TOTAL" "$(awk -v w="$W" -v r="$RRATE" 'BEGIN { printf "%d", r * (w - 0.5) }')" "$bound" \
		"a --shared rule over three machines: $TOTAL admitted, within the bound $bound"
}

# group_on PORT : the port a group of its own (RRATE, RBURST) on the three
# machines, in order, each checked.
group_on() {
	local k
	for k in 1 2 3; do
		m_srv "$k" "$SB_TIDEGATE" set "${IF_S[k]}" --port "$1" --rate "$RRATE/second" \
			--burst "$RBURST" >/dev/null 2>&1
		ok $? "machine $k: port $1 a group of its own, $RRATE/second burst $RBURST"
	done
}

# group_off PORT : back under the interface's limit, machine 1 last:
# while the members differ, its own line names the group, which
# test_rule_mismatch's match of its log cannot take.
group_off() {
	local k
	for k in 3 2 1; do
		m_srv "$k" "$SB_TIDEGATE" set "${IF_S[k]}" --port "$1" --default >/dev/null 2>&1
	done
}

# A port group is one limit across the fleet too, named by its ports
# (its id is each machine's own); then it goes, for the tests after.
test_port_group() {
	local src=198.19.35.7 bound
	group_on 81
	FL_PORT=81
	flood_three "$src" "$src" "$src"
	FL_PORT=80
	bound=$(fleet_bound "$RRATE" "$RBURST" "$RBLOC" "$W")
	diag "port 81's group ($RRATE/s, burst $RBURST), W = $W s: admitted $TOTAL over three machines (${ADM[*]}); bound $bound"
	between "$TOTAL" "$(awk -v w="$W" -v r="$RRATE" 'BEGIN { printf "%d", r * (w - 0.5) }')" "$bound" \
		"a port group's source over three machines: $TOTAL admitted, within the bound $bound"
	is "$(rd_cli --scan --pattern "$PFX:fleet:$FLEET:web#81:{s:*}:v4:$src" | wc -l)" 1 \
		"  its key in Redis names the group by its ports (web#81)"
	group_off 81
}

# Group ids are reused: port 82's group takes the id port 81's had, and
# its buckets go to Redis under its own ports at once, not the old ones.
test_port_group_reuse() {
	local src=198.19.35.9
	group_on 82
	is "$(m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json | json limits.port_limit.0.group)" 2 \
		"port 82 a group of its own: the id port 81's group had"
	FL_PORT=82
	flood 1 "$src" 100 20 1 >/dev/null 2>&1
	FL_PORT=80
	sleep 0.3
	is "$(rd_cli --scan --pattern "$PFX:fleet:$FLEET:web#82:{s:*}:v4:$src" | wc -l)" 1 \
		"  its source's bucket is pushed under web#82"
	is "$(rd_cli --scan --pattern "$PFX:fleet:$FLEET:web#81:{s:*}:v4:$src" | wc -l)" 0 \
		"  and not under the old group's name"
	group_off 82
}

# A rule's denial reaches a machine that never saw the source.
test_rule_propagation() {
	local src=198.19.32.99 f1 f2 i seen= a0 a
	a0=$(stat_of 3 allowed)
	flood 1 "$src" 200 600 3 >/dev/null 2>&1 &
	f1=$!
	flood 2 "$src" 200 600 3 >/dev/null 2>&1 &
	f2=$!
	for ((i = 0; i < 300; i++)); do
		if bpftool -j map dump pinned "$(m_pins 3)/tg_floor" | tr -d ' ' |
			grep -q '255,255,198,19,32,99\],"rule":"0x[1-9a-f]'; then
			seen=1
			break
		fi
		sleep 0.01
	done
	ok "$([ -n "$seen" ]; echo $?)" "machine 3, which never saw $src, has its floor under its own rule's id" || {
		diag "$(bpftool -j map dump pinned "$(m_pins 3)/tg_floor" | tr -d ' ' | grep -o '"formatted":{"key":{[^}]*}' | grep 198,19,32)"
		diag "$(fleet_cli XRANGE "$PFX:fleet:{$FLEET}:denials" - + | grep 198.19.32 | tail -2)"
	}
	flood 3 "$src" "" $RBLOC 1 >/dev/null 2>&1
	sleep 0.2
	a=$(( $(stat_of 3 allowed) - a0 ))
	between "$a" 0 $(( 1 + RRATE * (T_MS + 50) / 1000 )) \
		"  a burst of $RBLOC from it there: $a admitted (alone: $RBLOC)"
	wait $f1 $f2
}

# A member whose rules differ is reported; once they agree, it stops.
test_rule_mismatch() {
	m_srv 3 "$SB_TIDEGATE" rule add "${IF_S[3]}" 198.19.34.0/24 limit 5/second >/dev/null
	wait_log 1 "this one ([^)]*) .*; 2 limit rules #" 10
	ok $? "machine 3 with a limit rule more: machine 1 reports the fleet's limits differ" ||
		diag "$(tail -3 "$IT_TMP/d1.log")"
	m_srv 3 "$SB_TIDEGATE" rule del "${IF_S[3]}" 198.19.34.0/24 >/dev/null
}

# A member whose limits differ is reported, by it and by the others.
test_mismatch() {
	sed -i "s|^rate = .*|rate = 30/second|" "$IT_TMP/fleet3.conf"
	kill -HUP "${PIDS[2]}"
	wait_log 3 "this one ([^)]*) rate 30 per" 10
	ok $? "machine 3 with another rate reports the fleet's limits differ" ||
		diag "$(tail -3 "$IT_TMP/d3.log")"
	wait_log 1 "enforces rate 30 per" 10
	ok $? "  and so does machine 1"
	between "$(fleet_status 1 limit_mismatches)" 1 100000 "  status counts it"
}

test_bad_input() {
	tg_run run "$IF" --fleet "$FLEET" --metrics off
	is "$RC" 2 "--fleet without --redis: exit 2" || diag "$ERR"
	like "$ERR" "needs the Redis" "  and says a fleet needs Redis"
	tg_run run "$IF" --fleet 'a b' --redis "unix://$RD_SOCK" --metrics off
	is "$RC" 2 "--fleet 'a b': exit 2"
	tg_run run "$IF" --fleet x --redis "unix://$RD_SOCK" --fleet-burst-share 0 --metrics off
	is "$RC" 2 "--fleet-burst-share 0: exit 2"
	tg_run run "$IF" --fleet x --redis "unix://$RD_SOCK" --fleet-interval 5ms --metrics off
	is "$RC" 2 "--fleet-interval 5ms: exit 2"
}

test_bad_input
fl_up
test_status
test_bound
test_propagation
test_rules
test_port_group
test_port_group_reuse
test_rule_propagation
test_rule_mismatch
test_spoofed
test_outage
test_mismatch
fl_logs_clean
done_testing
