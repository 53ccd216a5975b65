#!/usr/bin/env bash
# tidegate flood, the load generator: it sends only out of a veth, stops
# at its count and at its deadline, says what it sent, and every frame it
# makes is a SYN the server's real TCP stack accepts (the checksums are
# right) from as many distinct sources as asked; and, where the kernel
# refuses live frames, the same through a veth loop (--loop).
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_has_flood || it_abort "this tidegate has no flood command"

MAC=$(sb_srv_mac)

# fl ARGS... : flood from the client namespace; RC, OUT, ERR as tg_run.
fl() {
	OUT=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-mac "$MAC" --json "$@" \
		2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
}

# srv_counter NAME : one of the server namespace's SNMP counters.
srv_counter() { sb_srv nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'; }

test_refusals() {
	OUT=$(sb_cli "$SB_TIDEGATE" flood lo --dst-ip "$SB_SRV_IP" --dst-mac "$MAC" \
		--json 2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
	is "$RC" 2 "flood out of lo is refused (exit 2)" || diag "  stderr: $ERR"
	[[ $ERR == *veth* ]]
	ok $? "  saying it sends only out of a veth" || diag "  stderr: $ERR"
	[[ $(out error) == *veth* ]]
	ok $? "  and a JSON error" || diag "  stdout: $OUT"

	fl --count 10
	is "$RC" 2 "without --dst-ip: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --dst-mac 02:00:00:00:00 --count 10
	is "$RC" 2 "a short --dst-mac: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --src 2001:db8:19:: --count 10
	is "$RC" 2 "an IPv6 --src to an IPv4 --dst-ip: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --src 255.255.255.200 --sources 100 --count 10
	is "$RC" 2 "100 sources after 255.255.255.200 do not exist: exit 2" ||
		diag "  stderr: $ERR"
	[[ $ERR == *"do not fit"* ]]
	ok $? "  saying they do not fit" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --duration 0 --count 10
	is "$RC" 2 "--duration 0: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --threads 0 --count 10
	is "$RC" 2 "--threads 0: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --pps 0 --count 10
	is "$RC" 2 "--pps 0: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --pps 1 --threads 2 --count 10
	is "$RC" 2 "--pps 1 on 2 threads: exit 2" || diag "  stderr: $ERR"
	[[ $ERR == *"at least one SYN per second"* ]]
	ok $? "  saying each thread needs one a second" || diag "  stderr: $ERR"
}

# Every SYN reaches the server's TCP and is answered: with nothing
# listening, by a RST, which has nowhere to go (no route to the spoofed
# sources) and is dropped there. A bad checksum would show as
# InCsumErrors and no answer. IPv4 counts the RST as sent before its
# route fails (TcpOutRsts), IPv6 only the failed route (Ip6OutNoRoutes).
check_accepted() { # FAMILY DST ANSWER-COUNTER
	local fam=$1 dst=$2 answer=$3 n=2000 segs0 rsts0 csum0 segs rsts csum received
	segs0=$(srv_counter TcpInSegs)
	rsts0=$(srv_counter "$answer")
	csum0=$(srv_counter TcpInCsumErrors)
	fl --dst-ip "$dst" --port 9 --sources 100 --count "$n"
	is "$RC" 0 "$fam flood of $n SYNs from 100 sources exits 0" || diag "  stderr: $ERR"
	diag "flood: $OUT"
	is "$(out sent)" "$n" "  it sent $n"
	is "$(out family)" "$fam" "  family $fam"
	is "$(out sources)" 100 "  from 100 sources"
	received=$(out peer_received)
	# Give or take a neighbour discovery packet or two.
	between "$received" "$n" $((n + 5)) "  the server's veth took in all $n"
	sleep 0.2
	segs=$(($(srv_counter TcpInSegs) - segs0))
	rsts=$(($(srv_counter "$answer") - rsts0))
	csum=$(($(srv_counter TcpInCsumErrors) - csum0))
	is "$segs" "$n" "  the server's TCP accepted every one (TcpInSegs +$n)"
	is "$csum" 0 "  no checksum errors"
	is "$rsts" "$n" "  and answered every one with a RST ($answer +$n)"
}

test_frames_are_valid() {
	check_accepted ipv4 "$SB_SRV_IP" TcpOutRsts
	check_accepted ipv6 "$SB_SRV_IP6" Ip6OutNoRoutes
}

test_bounds() {
	local t0 t1 secs
	t0=$(date +%s%N)
	fl --dst-ip "$SB_SRV_IP" --count 100000000000 --duration 0.5
	t1=$(date +%s%N)
	is "$RC" 0 "a 0.5 s flood with a huge count exits 0" || diag "  stderr: $ERR"
	diag "flood: $OUT"
	secs=$(out seconds)
	python3 -c "import sys; sys.exit(0 if 0.45 <= $secs <= 0.75 else 1)"
	ok $? "  it reports about 0.5 s ($secs)"
	between $(((t1 - t0) / 1000000)) 400 3000 "  and returned within 3 s (ms)"
	[ "$(out sent)" -gt 1000 ] && [ "$(out pps)" -gt 0 ]
	ok $? "  having sent something ($(out sent) at $(out pps) pps)"

	fl --dst-ip "$SB_SRV_IP" --count 12345 --threads 2 --duration 30
	is "$RC" 0 "a counted flood on two threads exits 0" || diag "  stderr: $ERR"
	is "$(out sent)" 12345 "  it sent exactly --count"
	is "$(out threads)" 2 "  on 2 threads"

	# --pps: 500 SYNs at 1000/s take half a second (unpaced, they take
	# milliseconds); 2 s at 20,000/s send no more than 2 s and the
	# pacer's 100 ms lag allow.
	fl --dst-ip "$SB_SRV_IP" --count 500 --pps 1000 --duration 30
	is "$RC" 0 "500 SYNs at --pps 1000 exit 0" || diag "  stderr: $ERR"
	is "$(out sent)" 500 "  all 500 sent"
	is "$(out pps_limit)" 1000 "  reported as pps_limit"
	python3 -c "import sys; sys.exit(0 if $(out seconds) >= 0.45 else 1)"
	ok $? "  over at least 0.45 s ($(out seconds))"
	fl --dst-ip "$SB_SRV_IP" --count 100000000000 --pps 20000 --duration 2 --threads 2
	is "$RC" 0 "a 2 s flood at --pps 20000 on 2 threads exits 0" || diag "  stderr: $ERR"
	between "$(out sent)" 1000 $((20000 * 2 + 2000 + 2)) "  sent at most 2 s worth and the lag"

	# SIGINT ends it early, still with a report.
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-mac "$MAC" --dst-ip "$SB_SRV_IP" \
		--count 100000000000 --duration 30 --json >"$IT_TMP/int.json" 2>&1 &
	local pid=$!
	sleep 0.5
	pkill -INT -P "$pid" 2>/dev/null
	t0=$(date +%s)
	wait "$pid"
	is "$?" 0 "SIGINT stops a 30 s flood, exit 0"
	OUT=$(tail -1 "$IT_TMP/int.json")
	python3 -c "import sys; sys.exit(0 if $(out seconds) < 5 else 1)"
	ok $? "  after $(out seconds) s, with its report"
}

# Sources are distinct, as tidegate counts them: with a burst of 1, each
# source's first SYN passes and every other is dropped.
test_distinct_sources() {
	tg_ok "attach --rate 1/minute --burst 1" attach "$IF" --rate 1/minute --burst 1 \
		--ports 80 --syn-cookies off --json
	fl --dst-ip "$SB_SRV_IP" --sources 777 --count 7770
	is "$RC" 0 "a flood from 777 sources exits 0" || diag "  stderr: $ERR"
	sleep 0.2
	is "$(it_stat new_source)" 777 "  tidegate saw 777 new sources"
	is "$(it_stat allowed)" 777 "  and let one SYN of each through"
	is "$(it_bucket_count)" 777 "  tg_buckets holds 777"
	tg_ok "detach" detach "$IF" --json
}

# --loop: a veth pair of the client's own. Where live frames are
# refused the flood goes through it (sender "veth loop"), with the same
# guarantees: the count exact, every frame a SYN TCP accepts, the
# sources distinct; and the loop's programs gone when the flood is.
test_loop() {
	local expect n=30000 segs0 csum0 segs csum t0 t1
	sb_create_loop || it_abort "could not create the loop pair"
	fl --dst-ip "$SB_SRV_IP" --loop "$SB_LOOP_IF" --threads 2 --count 10
	is "$RC" 2 "--loop with --threads 2: exit 2" || diag "  stderr: $ERR"
	[[ $ERR == *"one CPU"* ]]
	ok $? "  saying the loop runs on one CPU" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --loop "$SB_LOOP_IF" --pps 100 --count 10
	is "$RC" 2 "--loop with --pps: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --loop "$SB_CLI_IF" --count 10
	is "$RC" 2 "--loop on the flooded veth, whose peer is elsewhere: exit 2" ||
		diag "  stderr: $ERR"
	[[ $ERR == *"another namespace"* ]]
	ok $? "  saying the loop needs both ends here" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --loop lo --count 10
	is "$RC" 2 "--loop lo: exit 2" || diag "  stderr: $ERR"
	fl --dst-ip "$SB_SRV_IP" --loop nosuchif0 --count 10
	is "$RC" 2 "--loop on no such interface: exit 2" || diag "  stderr: $ERR"

	# Which sender this kernel gets without the loop says which to expect.
	fl --dst-ip "$SB_SRV_IP" --count 10
	if [ "$(out sender)" = "packet socket" ]; then expect="veth loop"; else expect="live frames"; fi
	segs0=$(srv_counter TcpInSegs)
	csum0=$(srv_counter TcpInCsumErrors)
	fl --dst-ip "$SB_SRV_IP" --port 9 --sources 100 --count "$n" --loop "$SB_LOOP_IF"
	is "$RC" 0 "a flood of $n SYNs with --loop exits 0" || diag "  stderr: $ERR"
	diag "flood: $OUT"
	is "$(out sender)" "$expect" "  sent by $expect"
	is "$(out sent)" "$n" "  exactly $n of them"
	between "$(out peer_received)" "$n" $((n + 5)) "  the server's veth took in all $n"
	sleep 0.2
	segs=$(($(srv_counter TcpInSegs) - segs0))
	csum=$(($(srv_counter TcpInCsumErrors) - csum0))
	is "$segs" "$n" "  the server's TCP accepted every one (TcpInSegs +$n)"
	is "$csum" 0 "  no checksum errors"
	sb_cli ip -d link show "$SB_LOOP_IF" | grep -q 'prog/xdp' ||
		sb_cli ip -d link show "$SB_LOOP_PEER" | grep -q 'prog/xdp'
	ok $((!$?)) "  and no XDP program is left on the loop pair"

	t0=$(date +%s%N)
	fl --dst-ip "$SB_SRV_IP" --count 100000000000 --duration 0.5 --loop "$SB_LOOP_IF"
	t1=$(date +%s%N)
	is "$RC" 0 "a 0.5 s flood with --loop and a huge count exits 0" || diag "  stderr: $ERR"
	diag "flood: $OUT"
	between $(((t1 - t0) / 1000000)) 400 3000 "  returned within 3 s (ms)"
	[ "$(out sent)" -gt 1000 ]
	ok $? "  having sent something ($(out sent) at $(out pps) pps)"

	tg_ok "attach --rate 1/minute --burst 1" attach "$IF" --rate 1/minute --burst 1 \
		--ports 80 --syn-cookies off --json
	fl --dst-ip "$SB_SRV_IP6" --sources 777 --count 7770 --loop "$SB_LOOP_IF"
	is "$RC" 0 "an IPv6 flood from 777 sources with --loop exits 0" || diag "  stderr: $ERR"
	sleep 0.2
	is "$(it_stat new_source)" 777 "  tidegate saw 777 new sources"
	is "$(it_stat allowed)" 777 "  and let one SYN of each through"
	tg_ok "detach" detach "$IF" --json
}

test_refusals
test_frames_are_valid
test_bounds
test_distinct_sources
test_loop
done_testing
