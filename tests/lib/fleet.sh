# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# fleet.sh - for the fleet tests (66, 67, 68): the three machines of
# scripts/lib/fleet.sh, with TAP checks, and the tests every store must
# pass alike (test_bound, test_propagation: 66 over a redis-server, 67
# over a Redis Cluster). Source it after integration.sh, call fl_setup,
# change T_MS FLEET PFX if need be, redefine the store's hooks
# (scripts/lib/fleet.sh) for another store, then call fl_init.
. "$IT_LIB/daemon.sh"
. "$IT_ROOT/scripts/lib/fleet.sh"

# fl_setup : the sandbox, what every fleet test needs of this machine,
# and the fleet's defaults.
fl_setup() {
	it_setup
	it_need_redis
	it_has_flood || it_abort "this tidegate has no flood command"
	T_MS=${FLEET_T_MS:-100}
	W_S=${FLEET_W:-3} # test_bound's flood, s; FLEET_W=10 for a longer window
	FLEET=t$SB_ID
	PFX=tgfleet
}

# fl_up : the machines made and readied for the store (fl_machines),
# three daemons running, each seeing a fleet of three.
fl_up() {
	local k
	fl_machines || it_abort "could not make the machines"
	for k in 1 2 3; do start_daemon "$k"; done
	for k in 1 2 3; do
		wait_log "$k" "running: protecting" 20
		ok $? "machine $k: tidegate run --fleet $FLEET runs" ||
			it_abort "$(cat "$IT_TMP/d$k.log")"
	done
	for k in 1 2 3; do
		wait_log "$k" "fleet $FLEET: 3 members" 10
		ok $? "machine $k: sees a fleet of 3" || diag "$(tail -5 "$IT_TMP/d$k.log")"
	done
}

# status and the metrics show the fleet of three, its store answering.
test_status() {
	is "$(fleet_status 1 size)" 3 "status: the fleet's size"
	is "$(fleet_status 2 redis)" up "status: Redis answers"
	m_srv 1 curl -s --max-time 2 http://127.0.0.1:19477/metrics >"$IT_TMP/metrics.txt"
	grep -q "^tidegate_fleet_members{interface=\"${IF_S[1]}\"} 3$" "$IT_TMP/metrics.txt"
	ok $? "metrics: tidegate_fleet_members 3"
	promtool check metrics <"$IT_TMP/metrics.txt" >"$IT_TMP/promtool.out" 2>&1
	is "$?" 0 "  promtool accepts the metrics" || diag "$(cat "$IT_TMP/promtool.out")"
}

# flood_three SRC1 SRC2 SRC3 : machine K floods from SRCK at 100 SYN/s
# for W_S s, all three at once (its output in $IT_TMP/floodK.json and
# .err); ADM[K] is what machine K admitted meanwhile, TOTAL their sum,
# W the wall time of the three floods.
flood_three() {
	local k t0 t1 a0=() fl=()
	for k in 1 2 3; do a0[k]=$(stat_of "$k" allowed); done
	t0=$(now_s)
	for k in 1 2 3; do
		flood "$k" "${!k}" 100 $((100 * W_S)) $((W_S + 1)) >"$IT_TMP/flood$k.json" \
			2>"$IT_TMP/flood$k.err" &
		fl+=($!)
	done
	wait "${fl[@]}"
	t1=$(now_s)
	sleep 0.3
	TOTAL=0
	for k in 1 2 3; do
		ADM[k]=$(($(stat_of "$k" allowed) - a0[k]))
		TOTAL=$((TOTAL + ADM[k]))
	done
	W=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# fleet_bound R B B_LOC W : b + r*W + (N-1) * (b_loc + r*Delta), with
# Delta = 2T + RTT + P and 50 ms for the round trip and the cycle on a
# loaded two-core machine.
fleet_bound() {
	awk -v r="$1" -v b="$2" -v bl="$3" -v w="$4" -v n="$N" -v t="$T_MS" \
		'BEGIN { d = (2 * t + 50) / 1000; printf "%d", b + r * w + (n - 1) * (bl + r * d) }'
}

# One source at 100 SYN/s on each machine for W_S (3) s: at most
# 20 + 20 W + 2 (7 + 20 Delta) admitted in all by the bound; 3 lone
# daemons would take 3 (20 + 20 W).
test_bound() {
	local src=198.19.7.7 k w total bound lone
	flood_three "$src" "$src" "$src"
	for k in 1 2 3; do
		is "$(json sent <"$IT_TMP/flood$k.json")" $((100 * W_S)) "machine $k: $((100 * W_S)) SYNs sent" ||
			diag "$(cat "$IT_TMP/flood$k.err")"
		diag "machine $k: admitted ${ADM[k]}, denied by the fleet's view $(stat_of "$k" fleet_denied)"
	done
	w=$W total=$TOTAL
	bound=$(fleet_bound "$RATE" "$BURST" "$BLOC" "$w")
	lone=$(awk -v w="$w" -v r="$RATE" -v b="$BURST" -v n="$N" 'BEGIN { printf "%d", n * (b + r * w) }')
	diag "T = $T_MS ms, W = $w s: admitted $total in all; b + r*W = $(awk -v w="$w" 'BEGIN { printf "%d", 20 + 20 * w }'), bound $bound, three lone daemons $lone"
	between "$total" 1 "$bound" "one source over three machines: $total admitted, within the bound $bound"
	between "$total" "$(awk -v w="$w" 'BEGIN { printf "%d", 20 * (w - 0.5) }')" "$bound" \
		"  and not starved: about r*W or more (the fleet's rate is r, not r/N)"
	[ "$(stat_of 1 fleet_denied)" -gt 0 ] || [ "$(stat_of 2 fleet_denied)" -gt 0 ] ||
		[ "$(stat_of 3 fleet_denied)" -gt 0 ]
	ok $? "  the fleet's view denied SYNs that the local shares would have let in"
	between "$(fleet_status 1 deltas_acked)" 1 100000 "status: deltas acknowledged"
	between "$(stat_of 1 fleet.deltas_acked)" 1 100000 "stats: deltas acknowledged too"
}

# Machines 1 and 2 flood a source past the fleet's limit; machine 3
# never saw it, and must learn the fleet's view by its next push cycle
# after the announcement (one interval and a round trip, which
# bench-fleet.sh times). A burst of b_loc (7) from that
# source then gets, of the 7 its own fresh bucket alone would admit, at
# most what the fleet refilled while machine 3's view aged (up to an
# interval and a round trip: r * 0.15 s = 3 tokens) and one more: the
# fleet's rate stays r throughout, its tokens going to whichever machine
# asks first, so a source at the limit is not banned but held to it.
test_propagation() {
	local src=198.19.8.8 id ms seen i pins d c0 c1 denied0 allowed0 f1 f2 a most
	denied0=$(stat_of 3 fleet_denied)
	allowed0=$(stat_of 3 allowed)
	flood 1 "$src" 200 600 3 >/dev/null 2>&1 &
	f1=$!
	flood 2 "$src" 200 600 3 >/dev/null 2>&1 &
	f2=$!
	pins=$(m_pins 3)
	id=
	for ((i = 0; i < 200; i++)); do
		id=$(fleet_cli XRANGE "$PFX:fleet:{$FLEET}:denials" - + | grep -B2 "198.19.8.8" | head -1)
		[ -n "$id" ] && break
		sleep 0.01
	done
	ok "$([ -n "$id" ]; echo $?)" "a denial of $src is announced on the stream" ||
		{ wait $f1 $f2; return; }
	ms=${id%-*}
	# Machine 3's cycle count now, read beside the poll so as not to
	# delay it (a status takes longer than the floor may).
	fleet_status 3 push_cycles >"$IT_TMP/c0" &
	seen=
	for ((i = 0; i < 200; i++)); do
		if bpftool -j map dump pinned "$pins/tg_floor" | tr -d ' ' | grep -q '255,255,198,19,8,8'; then
			seen=$(date +%s%3N)
			break
		fi
		sleep 0.005
	done
	ok "$([ -n "$seen" ]; echo $?)" "  machine 3, which never saw $src, has its floor"
	wait $!
	c0=$(cat "$IT_TMP/c0")
	c1=$(fleet_status 3 push_cycles)
	d=$((seen - ms))
	diag "announced at $ms ms (Redis), in machine 3's tg_floor $d ms later (polled); $((c1 - c0)) of its push cycles from when it was seen on the stream to after"
	# The cycle under way when it was announced, or the next, reads it:
	# counted in cycles, not ms (the time is bench-fleet.sh's to measure;
	# a loaded machine stretches it).
	between "$((c1 - c0))" 0 2 "  by machine 3's next push cycle ($((c1 - c0)) cycles later)"
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

# fl_logs_clean : no sanitizer report in any daemon's logs, all starts.
fl_logs_clean() {
	local k
	for k in 1 2 3; do
		! cat "$IT_TMP/d$k.log"* 2>/dev/null |
			grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:"
		ok $? "machine $k: no sanitizer report" ||
			diag "$(cat "$IT_TMP/d$k.log"* | grep -A12 ERROR)"
	done
}
