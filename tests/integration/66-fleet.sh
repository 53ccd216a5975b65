#!/usr/bin/env bash
# Fleet mode with a standalone Redis: three "machines" (three network
# namespaces, each with its own veth pair and its own `tidegate run
# --fleet`) and one redis-server on a unix socket. One source's SYNs
# spread over the three are admitted, in all, within the bound
#   b + r*W + (N-1) * (b_loc + r*Delta),  Delta = 2T + RTT + P
# (README, "One limit across a fleet"), where three lone daemons would
# admit three times the limit; and once the fleet denies a source, a
# machine that never saw it drops its SYNs within one push interval and
# a round trip.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/fleet.sh"
fl_setup
rd_start || it_abort "no redis-server"

N=3
RATE=20 # per second
BURST=20
BLOC=7  # ceil(BURST / N)
T_MS=${FLEET_T_MS:-100}
W_S=${FLEET_W:-3} # the bound test's flood, s; FLEET_W=10 for a longer window
FLEET=t$SB_ID
PFX=tgfleet
STREAM="$PFX:fleet:{$FLEET}:denials"

fl_init

setup() {
	fl_up
	is "$(m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json | json fleet.size)" 3 \
		"status: the fleet's size"
	is "$(m_srv 2 "$SB_TIDEGATE" status "${IF_S[2]}" --json | json fleet.redis)" up \
		"status: Redis answers"
	m_srv 1 curl -s --max-time 2 http://127.0.0.1:19477/metrics >"$IT_TMP/metrics.txt"
	grep -q "^tidegate_fleet_members{interface=\"${IF_S[1]}\"} 3$" "$IT_TMP/metrics.txt"
	ok $? "metrics: tidegate_fleet_members 3"
	promtool check metrics <"$IT_TMP/metrics.txt" >"$IT_TMP/promtool.out" 2>&1
	is "$?" 0 "  promtool accepts the metrics" || diag "$(cat "$IT_TMP/promtool.out")"
}

# One source at 100 SYN/s on each machine for W_S (3) s: at most
# 20 + 20 W + 2 (7 + 20 Delta) admitted in all by the bound; 3 lone
# daemons would take 3 (20 + 20 W).
test_bound() {
	local src=198.19.7.7 k t0 t1 w total=0 a bound lone fl=()
	t0=$(now_s)
	for k in 1 2 3; do
		flood "$k" "$src" 100 $((100 * W_S)) $((W_S + 1)) >"$IT_TMP/flood$k.json" \
			2>"$IT_TMP/flood$k.err" &
		fl+=($!)
	done
	wait "${fl[@]}"
	t1=$(now_s)
	sleep 0.3
	for k in 1 2 3; do
		is "$(json sent <"$IT_TMP/flood$k.json")" $((100 * W_S)) "machine $k: $((100 * W_S)) SYNs sent" ||
			diag "$(cat "$IT_TMP/flood$k.err")"
		a=$(stat_of "$k" allowed)
		diag "machine $k: admitted $a, denied by the fleet's view $(stat_of "$k" fleet_denied)"
		total=$((total + a))
	done
	w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	# Delta = 2T + RTT + P, with 50 ms for the round trip and the cycle
	# on a loaded two-core machine.
	bound=$(awk -v w="$w" -v r=$RATE -v b=$BURST -v n=$N -v bl=$BLOC -v t=$T_MS \
		'BEGIN { d = (2 * t + 50) / 1000; printf "%d", b + r * w + (n - 1) * (bl + r * d) }')
	lone=$(awk -v w="$w" -v r=$RATE -v b=$BURST -v n=$N 'BEGIN { printf "%d", n * (b + r * w) }')
	diag "T = $T_MS ms, W = $w s: admitted $total in all; b + r*W = $(awk -v w="$w" 'BEGIN { printf "%d", 20 + 20 * w }'), bound $bound, three lone daemons $lone"
	between "$total" 1 "$bound" "one source over three machines: $total admitted, within the bound $bound"
	between "$total" "$(awk -v w="$w" 'BEGIN { printf "%d", 20 * (w - 0.5) }')" "$bound" \
		"  and not starved: about r*W or more (the fleet's rate is r, not r/N)"
	[ "$(stat_of 1 fleet_denied)" -gt 0 ] || [ "$(stat_of 2 fleet_denied)" -gt 0 ] ||
		[ "$(stat_of 3 fleet_denied)" -gt 0 ]
	ok $? "  the fleet's view denied SYNs that the local shares would have let in"
	between "$(m_srv 1 "$SB_TIDEGATE" status "${IF_S[1]}" --json | json fleet.deltas_acked)" 1 100000 \
		"status: deltas acknowledged"
	between "$(stat_of 1 fleet.deltas_acked)" 1 100000 "stats: deltas acknowledged too"
}

# Machines 1 and 2 flood a source past the fleet's limit; machine 3
# never saw it, and must learn the fleet's view within one push interval
# and a round trip of its announcement. A burst of b_loc (7) from that
# source then gets, of the 7 its own fresh bucket alone would admit, at
# most what the fleet refilled while machine 3's view aged (up to an
# interval and a round trip: r * 0.15 s = 3 tokens) and one more: the
# fleet's rate stays r throughout, its tokens going to whichever machine
# asks first, so a source at the limit is not banned but held to it.
test_propagation() {
	local src=198.19.8.8 id ms seen i pins d denied0 allowed0 f1 f2 a most
	denied0=$(stat_of 3 fleet_denied)
	allowed0=$(stat_of 3 allowed)
	flood 1 "$src" 200 600 3 >/dev/null 2>&1 &
	f1=$!
	flood 2 "$src" 200 600 3 >/dev/null 2>&1 &
	f2=$!
	pins=$(m_pins 3)
	id=
	for ((i = 0; i < 200; i++)); do
		id=$(rd_cli XRANGE "$STREAM" - + | grep -B2 "198.19.8.8" | head -1)
		[ -n "$id" ] && break
		sleep 0.01
	done
	ok "$([ -n "$id" ]; echo $?)" "a denial of $src is announced on the stream" ||
		{ wait $f1 $f2; return; }
	ms=${id%-*}
	seen=
	for ((i = 0; i < 200; i++)); do
		if bpftool -j map dump pinned "$pins/tg_floor" | tr -d ' ' | grep -q '255,255,198,19,8,8'; then
			seen=$(date +%s%3N)
			break
		fi
		sleep 0.005
	done
	ok "$([ -n "$seen" ]; echo $?)" "  machine 3, which never saw $src, has its floor"
	d=$((seen - ms))
	diag "announced at $ms ms (Redis), in machine 3's tg_floor $d ms later (polled)"
	between "$d" -50 $((T_MS + 50)) "  within one push interval + a round trip ($d ms <= $T_MS + 50)"
	flood 3 "$src" "" $BLOC 1 >"$IT_TMP/burst.json" 2>&1
	sleep 0.2
	a=$(( $(stat_of 3 allowed) - allowed0 ))
	diag "machine 3: a burst of $(json sent <"$IT_TMP/burst.json") from $src: admitted $a, denied by the fleet's view $(( $(stat_of 3 fleet_denied) - denied0 ))"
	most=$(( 1 + RATE * (T_MS + 50) / 1000 ))
	between "$a" 0 "$most" "  a burst of $BLOC from $src: $a admitted, at most 1 + r * (T + 50 ms) = $most (alone: $BLOC)"
	between "$(( $(stat_of 3 fleet_denied) - denied0 ))" $((BLOC - a)) $((BLOC - a)) \
		"  the rest dropped by the fleet's view"
	wait $f1 $f2
}

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
	local src=198.19.9.9 a0 a w tok0 tok t0 t1 most
	rd_kill STOP
	wait_status 1 redis away 5
	ok $? "Redis stopped: machine 1 says so (status fleet.redis = away)"
	a0=$(stat_of 1 allowed)
	tok0=$(fleet_status 1 tokens_pushed)
	t0=$(now_s)
	flood 1 "$src" 100 200 2 >/dev/null 2>&1
	t1=$(now_s)
	a=$(( $(stat_of 1 allowed) - a0 ))
	w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	most=$(awk -v w="$w" -v r=$RATE -v n=$N -v bl=$BLOC 'BEGIN { printf "%d", bl + r * 2 / n * w + 1 }')
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
setup
test_bound
test_propagation
test_spoofed
test_outage
test_mismatch
fl_logs_clean
done_testing
