#!/usr/bin/env bash
# SYN cookies from XDP with real clients: Python sockets, curl and nginx, IPv4
# and IPv6, connect through the cookie mode; the server's socket has the
# options the client offered (ss -ti: mss, wscale, sack, ts) and data
# flows both ways; the source is then tracked and takes its bucket. A
# spoofed flood and ACKs with random cookies reach nothing of the
# stack; auto trips and recovers; bad input changes nothing.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
ECHO_PORT=8080
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_xdp_pass sb_cli "$SB_CLI_IF" || it_abort "cannot give the client's veth an XDP program"
sb_cli ip addr add 198.18.0.3/24 dev "$SB_CLI_IF"
sb_cli ip addr add 2001:db8:18::3/64 dev "$SB_CLI_IF" nodad

NGINX_PORT=8081
sb_cli ip addr add 198.18.0.4/24 dev "$SB_CLI_IF"
sb_srv ip addr add 2001:db8:1a::1/64 dev "$IF" nodad
sb_cli ip addr add 2001:db8:1a::2/64 dev "$SB_CLI_IF" nodad

# An echo server: each connection's bytes come back. It logs what the
# kernel says of each accepted socket (TCP_INFO, what ss -ti prints):
# peer, tcpi_options (1 ts, 2 sack, 4 wscale), snd/rcv wscale, snd_mss.
sb_bg sb_srv python3 -c '
import socket, struct, sys, threading, time
log = open(sys.argv[1], "a", buffering=1)
def serve(c):
    i = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    opts, ws = i[5], i[6]
    mss = struct.unpack_from("I", i, 16)[0]
    log.write("%s %d %d %d %d\n" % (c.getpeername()[0], opts, ws & 15, ws >> 4, mss))
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b)
    time.sleep(1)
    c.close()
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", '"$ECHO_PORT"'))
s.listen(64)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()' "$IT_TMP/accepted"
for _ in $(seq 50); do
	sb_srv ss -Hltn "sport = :$ECHO_PORT" | grep -q LISTEN && break
	sleep 0.1
done

# echo_client HOST [SRC] : 1 MiB there and back, compared; holds the
# connection 1.5 s after. Prints "ok MS" or what went wrong.
echo_client() {
	sb_cli python3 -c '
import hashlib, os, socket, sys, time
host, src = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
if src:
    s.bind((src, 0))
s.settimeout(5)
t = time.monotonic()
try:
    s.connect((host, '"$ECHO_PORT"'))
except Exception as e:
    print("connect-failed", e); sys.exit(0)
ms = int((time.monotonic() - t) * 1000)
data = os.urandom(1 << 20)
s.sendall(data)
got = b""
while len(got) < len(data):
    b = s.recv(65536)
    if not b:
        break
    got += b
print("ok" if hashlib.sha256(got).digest() == hashlib.sha256(data).digest() else "mismatch", ms)
sys.stdout.flush()
time.sleep(1.5)
s.close()' "$1" "${2:-}"
}

# server_tcp_info CLIENT : ss -ti of the server's socket from CLIENT.
server_tcp_info() {
	sb_srv ss -Htin state established "( sport = :$ECHO_PORT )" | grep -A1 -F "$1" | tail -1
}

# accepted CLIENT : the echo server's TCP_INFO line of CLIENT's last
# connection: options snd_wscale rcv_wscale snd_mss.
accepted() { grep -F "$1 " "$IT_TMP/accepted" | tail -1 | cut -d' ' -f2-; }

# The client's own view, from a connection without tidegate's cookies:
# what it offers is what the server must end up with.
CLI_WSCALE=$(sb_cli python3 -c 'import math; m=max(int(open("/proc/sys/net/ipv4/tcp_rmem").read().split()[2]), int(open("/proc/sys/net/core/rmem_max").read())); print(max(0, min(14, int(math.log2(m)) - 15)))')

srv_nstat() { sb_srv nstat -az "$1" | awk -v k="$1" '$1 == k {print $2}'; }

# nginx in the server namespace, if installed, on NGINX_PORT.
nginx_start() {
	command -v nginx >/dev/null || return 1
	mkdir -p "$IT_TMP/nginx"
	sb_nginx_start "$IT_TMP/nginx" "$NGINX_PORT" tidegate
}
HAVE_NGINX=0
nginx_start && HAVE_NGINX=1

test_attach() {
	tg_ok "attach --syn-cookies on" attach "$IF" --ports "80,$ECHO_PORT,$NGINX_PORT" \
		--syn-cookies on --json
	is "$(out limits.syn_cookies)" on "  mode on"
	tg_ok "status" status "$IF" --json
	is "$(out syn_cookies.in_force)" on "  status: cookies in force" ||
		diag "  $(out syn_cookies.why)"
	like "$(out syn_cookies.handshake)" "bpf_sk_assign_tcp_reqsk" "  handshakes completed at TC"
	sb_srv tc filter show dev "$IF" ingress | grep -q tidegate_tc
	ok $? "  the TC ingress filter is there"
}

# through_cookie HOST CLIENT_ADDR : a new source connects by a cookie,
# with its options, data both ways; then it is tracked.
through_cookie() {
	local host=$1 src=$2 before_sent before_valid info r ms opts snd_ws rcv_ws mss
	before_sent=$(it_stat cookie_sent)
	before_valid=$(it_stat cookie_ack_valid)
	echo_client "$host" "$src" >"$IT_TMP/echo" &
	sleep 0.7
	info=$(server_tcp_info "$src")
	wait "$!"
	read -r r ms <"$IT_TMP/echo"
	is "$r" ok "[$src -> $host]: connected by a cookie, 1 MiB echoed intact"
	between "${ms:-9999}" 0 900 "  connect in $ms ms: no SYN retransmitted"
	is "$(( $(it_stat cookie_sent) - before_sent ))" 1 "  one cookie SYN-ACK sent"
	is "$(( $(it_stat cookie_ack_valid) - before_valid ))" 1 "  its ACK made the connection"
	read -r opts snd_ws rcv_ws mss <<<"$(accepted "$src")"
	is "$opts" 7 "  the accepted socket has timestamps, SACK and window scaling (TCP_INFO)"
	is "$snd_ws" "$CLI_WSCALE" "  the client's window scale"
	is "$rcv_ws" "$(sb_srv python3 -c 'import math; m=max(int(open("/proc/sys/net/ipv4/tcp_rmem").read().split()[2]), int(open("/proc/sys/net/core/rmem_max").read())); print(max(0, min(14, int(math.log2(m)) - 15)))')" \
		"  and the one the server's kernel chooses, as advertised"
	is "$mss" "$4" "  MSS $4: the client's, less 12 bytes of timestamps"
	like "$info" "wscale:$CLI_WSCALE,$rcv_ws .*mss:$4" "  ss -ti agrees: wscale and mss" ||
		diag "  $info"
	is "$(it_bucket_count)" "$3" "  the source is now tracked: $3 bucket(s)"
	before_sent=$(it_stat cookie_sent)
	read -r r ms <<<"$(echo_client "$host" "$src")"
	is "$r" ok "  its next connect works"
	is "$(( $(it_stat cookie_sent) - before_sent ))" 0 "  and takes its bucket, no cookie"
}

test_clients() {
	local before
	through_cookie "$SB_SRV_IP" "$SB_CLI_IP" 1 1448
	through_cookie "$SB_SRV_IP6" "$SB_CLI_IP6" 2 1428
	before=$(it_stat cookie_ack_valid)
	sb_cli curl -s -o /dev/null --interface 198.18.0.3 --connect-timeout 2 -w '%{http_code}' \
		"http://$SB_SRV_IP/" >"$IT_TMP/code"
	is "$(cat "$IT_TMP/code")" 200 "curl from a new IPv4 source: HTTP 200 through a cookie"
	sb_cli curl -g -s -o /dev/null --interface 2001:db8:18::3 --connect-timeout 2 \
		-w '%{http_code}' "http://[$SB_SRV_IP6]/" >"$IT_TMP/code"
	is "$(cat "$IT_TMP/code")" 200 \
		"curl from another address of a tracked /64: HTTP 200, by the /64's bucket"
	is "$(( $(it_stat cookie_ack_valid) - before ))" 1 "  only the new IPv4 source by a cookie"
	is "$(it_stat cookie_verified)" 3 "cookie_verified: the 3 sources"
	is "$(srv_nstat TcpExtSyncookiesSent)" 0 "the kernel sent no cookie of its own"
}

# curl from new sources to nginx, IPv4 and IPv6, through cookies.
test_nginx() {
	local before body
	if [ "$HAVE_NGINX" != 1 ]; then
		ok 0 "nginx through cookies # SKIP nginx is not installed (scripts/install-deps.sh)"
		return
	fi
	before=$(it_stat cookie_ack_valid)
	body=$(sb_cli curl -s --interface 198.18.0.4 --connect-timeout 2 \
		"http://$SB_SRV_IP:$NGINX_PORT/")
	is "$body" tidegate "curl from a new IPv4 source gets nginx's answer"
	body=$(sb_cli curl -g -s --interface 2001:db8:1a::2 --connect-timeout 2 \
		"http://[2001:db8:1a::1]:$NGINX_PORT/")
	is "$body" tidegate "curl from a new IPv6 /64 gets nginx's answer"
	is "$(( $(it_stat cookie_ack_valid) - before ))" 2 "  both through cookies"
}

# cookie_lines WHY : the drop log's lines of that kind, in $CLOG.
cookie_lines() { grep -c "\"why\":\"$1\"" "$CLOG"; }

# A spoofed flood from 198.19.0.0/16 and ACKs with random cookies.
test_flood() {
	local buckets drops0 synrecv flood
	CLOG=$IT_TMP/invalid-log.json
	it_log_follow 5 "$CLOG"
	buckets=$(it_bucket_count)
	drops0=$(srv_nstat TcpExtListenDrops)
	flood=$(sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" \
		--dst-mac "$(sb_srv_mac)" --sources 20000 --count 20000 --duration 10 --json)
	diag "flood: $flood"
	sb_cli python3 "$IT_LIB/rawsyn.py" "$SB_CLI_IF" --dst-mac "$(sb_srv_mac)" \
		--dst "$SB_SRV_IP" --src 198.19.200.1 --sources 500 --count 500 --flags A \
		--seq 77 >/dev/null
	sleep 0.3
	between "$(it_stat cookie_syn)" 20000 100000 "the flood's SYNs were all covered"
	is "$(it_bucket_count)" "$buckets" "  no bucket for any spoofed source"
	between "$(it_stat cookie_ack_invalid)" 500 100000 "  500 random-cookie ACKs dropped"
	it_log_wait
	between "$(cookie_lines cookie_invalid)" 1 2 "  the drop log says so, in one line" ||
		diag "$(cat "$CLOG")"
	like "$(grep '"cookie_invalid"' "$CLOG" | head -1 | json dropped)" "^[0-9]+$" \
		"  with the interface's count of them"
	synrecv=$(sb_srv ss -Htn state syn-recv | wc -l)
	is "$synrecv" 0 "  no SYN-RECV socket on the server"
	is "$(( $(srv_nstat TcpExtListenDrops) - drops0 ))" 0 "  no listen drop"
	is "$(srv_nstat TcpExtSyncookiesSent)" 0 "  the kernel answered nothing itself"
	read -r r ms <<<"$(echo_client "$SB_SRV_IP" "$SB_CLI_IP")"
	is "$r" ok "a tracked client still connects"
}

test_budget() {
	local sent0 over0
	tg_ok "set --cookie-budget 100/second" set "$IF" --cookie-budget 100/second --json
	sleep 1.1
	sent0=$(it_stat cookie_sent)
	over0=$(it_stat cookie_budget_exceeded)
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--src 198.19.100.0 --sources 5000 --count 5000 --duration 10 --json >/dev/null
	between "$(( $(it_stat cookie_sent) - sent0 ))" 100 400 \
		"budget 100/s: $(( $(it_stat cookie_sent) - sent0 )) SYN-ACKs for 5000 SYNs"
	between "$(( $(it_stat cookie_budget_exceeded) - over0 ))" 4600 4900 "  the rest dropped"
}

test_auto() {
	tg_ok "set --syn-cookies auto --new-source-rate 50/second" \
		set "$IF" --syn-cookies auto --new-source-rate 50/second --cookie-budget 1000000/second --json
	sleep 11
	tg_ok "status" status "$IF" --json
	is "$(out syn_cookies.in_force)" off "auto, quiet: cookies off ($(out syn_cookies.why))"
	CLOG=$IT_TMP/cookie-log.json
	# Long enough for what follows on a loaded machine; stopped after it.
	it_log_follow 60 "$CLOG"
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--src 198.19.150.0 --sources 3000 --count 3000 --duration 10 --json >/dev/null
	tg_ok "status" status "$IF" --json
	is "$(out syn_cookies.in_force)" on "auto: 3000 new sources at once trip it"
	like "$(out syn_cookies.why)" "faster than 50/second" "  and says why" ||
		diag "  $(out syn_cookies.why)"
	between "$(it_stat cookie_auto_trips)" 1 1 "  cookie_auto_trips 1"
	# The burst (50/10) and the rate while the flood lasts (about 2 s).
	between "$(it_stat new_source)" 0 $((4 + 5 + 100)) "  at most the budget's burst got buckets"
	# Those came before the trip: unverified, challenged while it lasts.
	local tracked
	tracked=$(it_stat new_source)
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--src 198.19.150.0 --sources 3000 --count 3000 --duration 10 --json >/dev/null
	between "$(it_stat cookie_unverified)" 1 "$tracked" \
		"  the same flood again: its tracked sources are challenged ($(it_stat cookie_unverified))"
	is "$(it_stat new_source)" "$tracked" "  and no source got a bucket"
	sleep 11
	tg_ok "status" status "$IF" --json
	is "$(out syn_cookies.in_force)" off "  10 s after the flood, off again"
	# The end of a trip is logged when the next new source comes.
	sb_cli "$SB_TIDEGATE" flood "$SB_CLI_IF" --dst-ip "$SB_SRV_IP" --dst-mac "$(sb_srv_mac)" \
		--src 198.19.160.0 --sources 1 --count 1 --duration 5 --json >/dev/null
	it_log_stop
	is "$IT_LOG_RC" 0 "tidegate log followed the trip" || diag "  $(cat "$CLOG.err")"
	is "$(cookie_lines cookies_on)" 1 "  one cookies_on line" || diag "$(cat "$CLOG")"
	LINE=$(grep '"cookies_on"' "$CLOG")
	is "$(json limit <<<"$LINE")" 50/second "  it says the new-source rate it beat"
	like "$(json source <<<"$LINE")" "^198\.19\.15[0-9]\." "  and a source of the flood"
	is "$(cookie_lines cookies_off)" 1 "  one cookies_off line"
	between "$(grep '"cookies_off"' "$CLOG" | json since_s | cut -d. -f1)" 10 12 \
		"  it says how long cookies were on (10 s hold after the flood)"
}

test_bad_input() {
	tg_run set "$IF" --syn-cookies maybe
	is "$RC" 2 "--syn-cookies maybe: exit 2"
	like "$ERR" "maybe" "  naming the value"
	tg_run set "$IF" --cookie-budget 0/second
	is "$RC" 2 "--cookie-budget 0/second: exit 2"
	tg_run set "$IF" --new-source-rate fast
	is "$RC" 2 "--new-source-rate fast: exit 2"
	like "$ERR" "fast" "  naming the value"
	tg_ok "status" status "$IF" --json
	is "$(out limits.syn_cookies)" auto "  nothing changed"
}

test_detach() {
	tg_ok "detach" detach "$IF"
	sb_srv tc filter show dev "$IF" ingress | grep -q tidegate_tc
	is "$?" 1 "  the TC filter went with it"
}

test_attach
test_clients
test_nginx
test_flood
test_budget
test_auto
test_bad_input
test_detach
done_testing
