# shellcheck shell=bash
# Fleet mode's test machinery, shared by 66-fleet.sh (a standalone Redis)
# and 67-fleet-cluster.sh (a Redis Cluster): three "machines" (network
# namespaces, each with its own veth pair and `tidegate run --fleet`),
# and the tests both stores must pass alike. Sourced after
# integration.sh and daemon.sh; the test defines, before setup:
#   FLEET_REDIS            the daemons' redis URL
#   fleet_store_cleanup    stops the store (from the cleanup trap)
#   fleet_machine_hook K   readies machine K to reach the store (may be :)
#   fleet_cli ARGS...      redis-cli against the store (the fleet's keys)

N=3
RATE=20 # per second
BURST=20
BLOC=7  # ceil(BURST / N)
T_MS=${FLEET_T_MS:-100}
W_S=${FLEET_W:-3} # the bound test's flood, s; FLEET_W=10 for a longer window
FLEET=t$SB_ID
PFX=tgfleet
STREAM="$PFX:fleet:{$FLEET}:denials"
PIDS=()

# Machine 1 is the sandbox's; 2 and 3 are made here, alike.
NS_S=("" "$SB_SRV_NS") NS_C=("" "$SB_CLI_NS") IF_S=("" "$SB_SRV_IF") IF_C=("" "$SB_CLI_IF")
for k in 2 3; do
	NS_S[k]="tg-f${k}s-$SB_ID" NS_C[k]="tg-f${k}c-$SB_ID"
	IF_S[k]="tf${k}s$SB_ID" IF_C[k]="tf${k}c$SB_ID"
done

m_srv() { local k=$1; shift; nsenter --net="/run/netns/${NS_S[k]}" "$@"; }
m_cli() { local k=$1; shift; nsenter --net="/run/netns/${NS_C[k]}" "$@"; }
m_pins() { echo "/sys/fs/bpf/tidegate/netns:$(stat -L -c %i "/run/netns/${NS_S[$1]}")/${IF_S[$1]}"; }

fleet_cleanup() {
	local p k
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for k in 1 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] && m_srv "$k" "$SB_TIDEGATE" detach "${IF_S[k]}" >/dev/null 2>&1
	done
	for k in 2 3; do
		[ -e "/run/netns/${NS_S[k]}" ] && rm -rf "$(dirname "$(m_pins "$k")")"
		ip netns del "${NS_S[k]}" 2>/dev/null
		ip netns del "${NS_C[k]}" 2>/dev/null
	done
	fleet_store_cleanup
}
sb_on_cleanup fleet_cleanup

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

start_daemon() { # K
	local k=$1
	fleet_machine_hook "$k" || return 1
	cat >"$IT_TMP/fleet$k.conf" <<CONF
[daemon]
redis = $FLEET_REDIS
redis-prefix = $PFX
fleet = $FLEET
fleet-interval = ${T_MS}ms
metrics = 127.0.0.1:19477
state-dir = $IT_TMP/state$k
[interface ${IF_S[k]}]
zone = web
rate = $RATE/second
burst = $BURST
ports = 80
syn-cookies = off
CONF
	# nsenter execs the daemon: $! is the daemon's pid, for the cleanup.
	nsenter --net="/run/netns/${NS_S[k]}" "$SB_TIDEGATE" run --config "$IT_TMP/fleet$k.conf" \
		>"$IT_TMP/d$k.out" 2>"$IT_TMP/d$k.log" &
	PIDS+=($!)
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

flood() { # K SRC PPS('' : at once) COUNT SECONDS [SOURCES]
	m_cli "$1" "$SB_TIDEGATE" flood "${IF_C[$1]}" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(m_srv "$1" ip -br link show "${IF_S[$1]}" | awk '{print $3}')" \
		--port 80 --src "$2" --sources "${6:-1}" ${3:+--pps "$3"} --count "$4" --duration "$5" \
		--threads 1 --json
}

now_s() { date +%s.%N; }

setup() {
	local k
	for k in 2 3; do
		make_machine "$k" || it_abort "could not make machine $k"
	done
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
		id=$(fleet_cli XRANGE "$STREAM" - + | grep -B2 "198.19.8.8" | head -1)
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

fleet_status() { m_srv "$1" "$SB_TIDEGATE" status "${IF_S[$1]}" --json | json "fleet.$2"; }

wait_status() { # K FIELD VALUE SECONDS
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(fleet_status "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}


# The daemons' logs hold no sanitizer report (the san build).
fleet_no_sanitizer_report() {
	local k
	for k in 1 2 3; do
		! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$IT_TMP/d$k.log"
		ok $? "machine $k: no sanitizer report" || diag "$(grep -A12 ERROR "$IT_TMP/d$k.log")"
	done
}
