# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# sandbox.sh - a two-namespace network for tests, the demo and the bench.
#
#   [ns $SB_CLI_NS]  $SB_CLI_IF ==== veth ==== $SB_SRV_IF  [ns $SB_SRV_NS]
#    198.18.0.2/24                              198.18.0.1/24   <- tidegate here
#    2001:db8:18::2/64                          2001:db8:18::1/64
#
# Neither namespace has a default route and neither is linked to the
# root namespace, so no packet, and no SYN-ACK to a spoofed source, can
# reach this machine's real interface. Addresses come from 198.18.0.0/15
# and 2001:db8::/32, which nothing on the host uses; spoofed flood
# sources come from 198.19.0.0/16 and 2001:db8:19::/48, which are routed
# nowhere inside the sandbox either.
#
# Commands run in a namespace with `nsenter --net=` (sb_srv, sb_cli), not
# `ip netns exec`: the latter gives each command a private mount
# namespace, and the bpffs pins tidegate makes would vanish with it.
#
# Source this file, call sb_create, and everything it made is removed by
# sb_cleanup on exit, on failure and on interrupt.

SB_ID=${SB_ID:-$$}
SB_SRV_NS="tg-srv-$SB_ID"
SB_CLI_NS="tg-cli-$SB_ID"
SB_SRV_IF="tgs$SB_ID"
SB_CLI_IF="tgc$SB_ID"
SB_SRV_IP=198.18.0.1
SB_CLI_IP=198.18.0.2
SB_SRV_IP6=2001:db8:18::1
SB_CLI_IP6=2001:db8:18::2
SB_SPOOF_NET=198.19.0.0
SB_SPOOF_NET6=2001:db8:19::
# One queue per CPU on each veth end: a frame sent on CPU n is received
# on queue n % SB_QUEUES, each queue with its own NAPI, so a flood from
# several CPUs is taken in by as many CPUs at once, as a multi-queue NIC
# would. With one queue every frame funnels through one NAPI instance.
SB_QUEUES=${SB_QUEUES:-$(nproc)}
SB_PIDS=()
SB_CLEANUPS=()
SB_TIDEGATE=${TIDEGATE:-tidegate}

sb_srv() { nsenter --net="/run/netns/$SB_SRV_NS" "$@"; }
sb_cli() { nsenter --net="/run/netns/$SB_CLI_NS" "$@"; }

# The tidegate binary, run in the server's namespace.
sb_tg() { sb_srv "$SB_TIDEGATE" "$@"; }

# A daemon run here keeps its interfaces' rules under its state-dir
# (default /var/lib/tidegate/rules/IFACE): the sandbox's are removed at
# cleanup, and the directories too if the sandbox was the first to make them.
SB_STATE_DIR=/var/lib/tidegate
SB_STATE_NEW=

sb_create() {
	trap sb_cleanup EXIT
	trap 'exit 130' INT TERM
	[ -e "$SB_STATE_DIR" ] || SB_STATE_NEW=1
	ip netns add "$SB_SRV_NS" || return 1
	ip netns add "$SB_CLI_NS" || return 1
	# tidegate pins apart the maps of each network namespace but the
	# initial one (README, "Network namespaces"): the server's go here.
	SB_PIN_BASE=/sys/fs/bpf/tidegate/netns:$(stat -L -c %i "/run/netns/$SB_SRV_NS")
	ip link add "$SB_SRV_IF" netns "$SB_SRV_NS" \
		numtxqueues "$SB_QUEUES" numrxqueues "$SB_QUEUES" type veth \
		peer name "$SB_CLI_IF" netns "$SB_CLI_NS" \
		numtxqueues "$SB_QUEUES" numrxqueues "$SB_QUEUES" || return 1
	sb_srv ip link set lo up
	sb_cli ip link set lo up
	sb_srv ip addr add "$SB_SRV_IP/24" dev "$SB_SRV_IF"
	sb_cli ip addr add "$SB_CLI_IP/24" dev "$SB_CLI_IF"
	sb_srv ip addr add "$SB_SRV_IP6/64" dev "$SB_SRV_IF" nodad
	sb_cli ip addr add "$SB_CLI_IP6/64" dev "$SB_CLI_IF" nodad
	# GRO on both ends, as a NIC would have it. It does not, on the
	# kernels we run, give a veth end the NAPI context that frames
	# XDP_TX'd or redirected into it need: an XDP program does (the
	# tidegate under test, or sb_xdp_pass below).
	sb_srv ethtool -K "$SB_SRV_IF" gro on >/dev/null 2>&1
	sb_cli ethtool -K "$SB_CLI_IF" gro on >/dev/null 2>&1
	sb_srv ip link set "$SB_SRV_IF" up
	sb_cli ip link set "$SB_CLI_IF" up
	# Let the server answer its clients' spoofed-range SYNs nowhere:
	# no route, so the kernel discards the SYN-ACK in the namespace.
	sb_srv sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	sb_srv sysctl -qw "net.ipv4.conf.$SB_SRV_IF.rp_filter=0"
	# Enough backlog that a flood of admitted SYNs never trips SYN
	# cookies or drops that would confuse a test.
	sb_srv sysctl -qw net.ipv4.tcp_max_syn_backlog=65536 net.core.somaxconn=4096
	sb_cli ping -c1 -W2 "$SB_SRV_IP" >/dev/null 2>&1 || sleep 0.5
}

sb_mac() { # NS-function IFACE
	"$1" cat "/sys/class/net/$2/address" 2>/dev/null ||
		"$1" ip -br link show "$2" | awk '{print $3}'
}

sb_srv_mac() { sb_srv ip -br link show "$SB_SRV_IF" | awk '{print $3}'; }
sb_cli_mac() { sb_cli ip -br link show "$SB_CLI_IF" | awk '{print $3}'; }

# Run a command in the background (in whichever namespace it names) and
# kill it at cleanup.
sb_bg() {
	"$@" &
	SB_PIDS+=($!)
}

# A real HTTP server in the server namespace on PORT (default 80).
sb_http_start() {
	local port=${1:-80} i
	sb_bg sb_srv python3 -m http.server --bind :: "$port" >/dev/null 2>&1
	for i in $(seq 50); do
		sb_srv ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "sandbox: HTTP server on port $port did not start" >&2
	return 1
}

# nginx in the server namespace on PORT, IPv4 and IPv6, answering every
# request with BODY, from WORKERS processes (default 1); its config,
# pid, log and temp files in DIR, which must exist; killed at cleanup.
sb_nginx_start() { # DIR PORT BODY [WORKERS]
	local dir=$1 port=$2 body=$3 workers=${4:-1} i
	cat >"$dir/nginx.conf" <<-CONF
		daemon off;
		worker_processes $workers;
		pid $dir/nginx.pid;
		error_log $dir/error.log;
		events { worker_connections 4096; }
		http {
			access_log off;
			client_body_temp_path $dir/body;
			proxy_temp_path $dir/proxy;
			fastcgi_temp_path $dir/fastcgi;
			server {
				listen $port;
				listen [::]:$port;
				location / { return 200 "$body\n"; }
			}
		}
	CONF
	sb_bg sb_srv nginx -c "$dir/nginx.conf" -e "$dir/error.log"
	for i in $(seq 50); do
		sb_srv ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "sandbox: nginx on port $port did not start: $(tail -3 "$dir/error.log" 2>/dev/null)" >&2
	return 1
}

# Register a command to run at cleanup, before the namespaces go.
sb_on_cleanup() { SB_CLEANUPS+=("$*"); }

sb_cleanup() {
	local rc=$? p c
	trap - EXIT INT TERM
	for c in "${SB_CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
	for p in "${SB_PIDS[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${SB_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if ip netns list | grep -qw "$SB_SRV_NS"; then
		sb_tg detach "$SB_SRV_IF" >/dev/null 2>&1
	fi
	ip netns del "$SB_SRV_NS" 2>/dev/null
	ip netns del "$SB_CLI_NS" 2>/dev/null
	# The namespace is gone; make sure its pins are too.
	[ -n "$SB_PIN_BASE" ] && rm -rf "$SB_PIN_BASE" 2>/dev/null
	for c in "$SB_SRV_IF" "$SB_CLI_IF" "$SB_RED_IF" "$SB_RED_PEER"; do
		rm -f "$SB_STATE_DIR/rules/$c" "$SB_STATE_DIR/rules/$c.tmp"
	done
	[ -n "$SB_STATE_NEW" ] && rmdir "$SB_STATE_DIR/rules" "$SB_STATE_DIR" 2>/dev/null
	return $rc
}

# A third namespace behind a second veth of the server, where
# `--action redirect:$SB_RED_IF` sends SYNs and their flows:
#
#   [ns $SB_SRV_NS]  $SB_RED_IF ==== veth ==== $SB_RED_PEER  [ns $SB_RED_NS]
#
# Neither end has an address and IPv6 is off on both, so the link is
# silent: whatever arrives on $SB_RED_PEER was redirected. The peer
# needs an XDP program (sb_xdp_pass) to take redirected frames in.
SB_RED_NS="tg-red-$SB_ID"
SB_RED_IF="tgr$SB_ID"
SB_RED_PEER="tgq$SB_ID"

sb_red() { nsenter --net="/run/netns/$SB_RED_NS" "$@"; }

sb_create_redirect() {
	ip netns add "$SB_RED_NS" || return 1
	sb_on_cleanup "ip netns del '$SB_RED_NS'"
	ip link add "$SB_RED_IF" netns "$SB_SRV_NS" type veth \
		peer name "$SB_RED_PEER" netns "$SB_RED_NS" || return 1
	sb_red ip link set lo up
	sb_srv sysctl -qw "net.ipv6.conf.$SB_RED_IF.disable_ipv6=1"
	sb_red sysctl -qw "net.ipv6.conf.$SB_RED_PEER.disable_ipv6=1"
	sb_srv ethtool -K "$SB_RED_IF" gro on >/dev/null 2>&1
	sb_red ethtool -K "$SB_RED_PEER" gro on >/dev/null 2>&1
	sb_srv ip link set "$SB_RED_IF" up
	sb_red ip link set "$SB_RED_PEER" up
}

# A veth pair of the client's own, for `tidegate flood --loop
# $SB_LOOP_IF` where the kernel refuses live frames: the flood's frames
# circle between its ends (user/flood_loop.h). No addresses, and no
# IPv6, so that nothing but the flood goes round; it goes with the
# namespace.
SB_LOOP_IF="tgl${SB_ID}a"
SB_LOOP_PEER="tgl${SB_ID}b"

sb_create_loop() {
	sb_cli ip link add "$SB_LOOP_IF" type veth peer name "$SB_LOOP_PEER" || return 1
	sb_cli sysctl -qw "net.ipv6.conf.$SB_LOOP_IF.disable_ipv6=1" \
		"net.ipv6.conf.$SB_LOOP_PEER.disable_ipv6=1"
	sb_cli ip link set "$SB_LOOP_IF" up
	sb_cli ip link set "$SB_LOOP_PEER" up
}

# An 802.1Q VLAN ID over the veth pair, 198.18.ID.1 (server) and
# 198.18.ID.2 (client): tidegate on $SB_SRV_IF sees the tagged frames.
sb_create_vlan() {
	local id=$1
	sb_srv ip link add link "$SB_SRV_IF" name "$SB_SRV_IF.$id" type vlan id "$id" || return 1
	sb_cli ip link add link "$SB_CLI_IF" name "$SB_CLI_IF.$id" type vlan id "$id" || return 1
	sb_srv ip addr add "198.18.$id.1/24" dev "$SB_SRV_IF.$id"
	sb_cli ip addr add "198.18.$id.2/24" dev "$SB_CLI_IF.$id"
	sb_srv ip link set "$SB_SRV_IF.$id" up
	sb_cli ip link set "$SB_CLI_IF.$id" up
}

# sb_xdp_pass NS-FUNCTION IFACE : put a do-nothing XDP program (XDP_PASS)
# on IFACE. A veth end receives XDP_TX'd and redirected frames only when
# it has NAPI; on the kernels we run, GRO alone does not give it one,
# an XDP program does. Use it on the end that must receive what
# tidegate sends back (the client, for --action rst) or on to (the
# redirect peer). It goes with the namespace.
sb_xdp_pass() {
	local ns_fn=$1 dev=$2 obj="/tmp/tg-xdp-pass-$SB_ID.o"
	if [ ! -s "$obj" ]; then
		printf '%s\n' \
			'__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }' \
			'char _license[] __attribute__((section("license"), used)) = "GPL";' |
			clang -O2 -target bpf -c -x c - -o "$obj" || return 1
		sb_on_cleanup "rm -f '$obj'"
	fi
	"$ns_fn" ip link set dev "$dev" xdpdrv obj "$obj" sec xdp
}
