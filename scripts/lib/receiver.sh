# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# receiver.sh - the server veth of the sandbox under a flood it can be
# timed in (scripts/bench-ab.sh, scripts/profile-xdp.sh): the flood from
# the client's veth loop (tidegate flood --loop), every source over a
# limit of 1/minute, so that what is timed is the drop path.
#
# Set SOURCES, TIDEGATE (the flood's) and TGB (tg-bench), source this
# file after sandbox.sh, and call rx_create.

rx_create() {
	sb_create || return 1
	sb_create_loop || return 1
	RX_MAC=$(sb_srv_mac)
	RX_IF=$SB_SRV_IF
	# Enough warm-up SYNs to put every source over its limit, and a
	# table that holds every source.
	RX_WARM=$((SOURCES * 3 > 300000 ? SOURCES * 3 : 300000))
	RX_SLOTS=$((SOURCES * 2 > 65536 ? SOURCES * 2 : 65536))
}

rx_flood() { # COUNT SECONDS : one source per /64
	sb_cli "$TIDEGATE" flood "$SB_CLI_IF" --dst-mac "$RX_MAC" --dst-ip "$SB_SRV_IP6" \
		--sources "$SOURCES" --count "$1" --duration "$2" --loop "$SB_LOOP_IF" --json
}

# rx_flood_start [SECONDS] : the warm-up, then a flood of up to SECONDS
# (default 30) in the background, whose pid is RX_FLOOD_PID;
# rx_flood_stop ends it.
rx_flood_start() {
	rx_flood "$RX_WARM" 20 >/dev/null
	rx_flood 100000000000 "${1:-30}" >/dev/null &
	RX_FLOOD_PID=$!
	SB_PIDS+=("$RX_FLOOD_PID")
	sleep 0.3
}

rx_flood_stop() {
	local p keep=()
	pkill -INT -P "$RX_FLOOD_PID" 2>/dev/null
	kill -INT "$RX_FLOOD_PID" 2>/dev/null
	wait "$RX_FLOOD_PID" 2>/dev/null
	# Gone: sb_cleanup must not signal a pid the system may reuse.
	for p in "${SB_PIDS[@]}"; do
		[ "$p" = "$RX_FLOOD_PID" ] || keep+=("$p")
	done
	SB_PIDS=("${keep[@]}")
}

# RX_ATTACH_ARGS: more of attach's options, to try one (e.g.
# "--log-budget 100000").
rx_attach() { # TIDEGATE
	# shellcheck disable=SC2086 # words, as an operator would type them
	sb_srv "$1" attach "$RX_IF" --rate 1/minute --burst 1 --ports 80 \
		--syn-cookies off --max-sources "$RX_SLOTS" ${RX_ATTACH_ARGS:-} --json >/dev/null
}

rx_detach() { # TIDEGATE
	sb_srv "$1" detach "$RX_IF" --json >/dev/null
}

# rx_sample : "NS_PER_FRAME MPPS" of the receiver during the flood.
rx_sample() {
	sb_srv "$TGB" sample "$RX_IF" --window 0.5 --napi-window 1 |
		python3 -c 'import json, sys; d = json.load(sys.stdin)
print(d.get("napi_ns_per_frame"), round(d["rx_pps"] / 1e6, 2))'
}
