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
# with 67-fleet-cluster.sh).
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

# Redis stops answering (SIGSTOP): each machine keeps enforcing with the
# outage's share, r * h / N (h = 2) and its burst share; what it admits
# meanwhile stays unpushed and is pushed when Redis answers again.
test_outage() {
	local src=198.19.9.9 a w tok0 tok most
	rd_kill STOP
	wait_status 1 redis away 5
	ok $? "Redis stopped: machine 1 says so (status fleet.redis = away)"
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
	tok=$(( $(fleet_status 1 tokens_pushed) - tok0 ))
	between "$tok" "$a" $((a + 5)) "  the $a admissions of the outage were pushed ($tok)"
}

# A member whose limits differ is reported, by it and by the others.
test_mismatch() {
	sed -i "s|^rate = .*|rate = 30/second|" "$IT_TMP/fleet3.conf"
	kill -HUP "${PIDS[2]}"
	wait_log 3 "do not hold one limit" 10
	ok $? "machine 3 with another rate reports the fleet's limits differ" ||
		diag "$(tail -3 "$IT_TMP/d3.log")"
	wait_log 1 "do not hold one limit" 10
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
test_spoofed
test_outage
test_mismatch
fl_logs_clean
done_testing
