#!/usr/bin/env bash
# --action rst with a real client: over the limit, connect() fails at
# once with "connection refused" (curl exit 7, ConnectionRefusedError)
# instead of timing out, for IPv4, IPv6 and IPv4 over a VLAN; the RST
# budget; and set switching the action live.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_xdp_pass sb_cli "$SB_CLI_IF" || it_abort "cannot give the client's veth an XDP program"
VLAN=7
VLAN_SRV=
# Kernels without 802.1Q (CONFIG_VLAN_8021Q) skip the VLAN case; the
# tagged RST is also checked byte for byte in tests/bpf/test_rst.c.
sb_create_vlan "$VLAN" 2>/dev/null && VLAN_SRV=198.18.$VLAN.1

# py_connect HOST : one connect() from the client; prints what became
# of it (ok, refused, timeout) and how long it took, in ms.
py_connect() {
	sb_cli python3 -c '
import socket, sys, time
host = sys.argv[1]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(3)
t = time.monotonic()
try:
    s.connect((host, 80))
    r = "ok"
except ConnectionRefusedError:
    r = "refused"
except socket.timeout:
    r = "timeout"
print(r, int((time.monotonic() - t) * 1000))' "$1"
}

test_attach() {
	tg_ok "attach --rate 1/minute --burst 1 --action rst" \
		attach "$IF" --rate 1/minute --burst 1 --ports 80 --action rst --json
	is "$(out limits.action)" rst "  action in force: rst"
	is "$(out limits.rst_budget)" 1000 "  RST budget 1000/s by default"
}

# refused HOST : the first connect succeeds, the next is refused at once.
refused() {
	local host=$1 r ms
	is "$(it_connects 1 "$host" 80)" 1 "[$host]: the burst of 1 connects"
	it_connect "$host" 80
	is "$?" 7 "  then curl exits 7, couldn't connect: refused, not timed out"
	read -r r ms <<<"$(py_connect "$host")"
	is "$r" refused "  python's connect() raises ConnectionRefusedError"
	between "$ms" 0 500 "  within half a second ($ms ms), no SYN retransmitted"
}

test_refused() {
	local before
	before=$(it_stat rst_sent)
	local n=2
	refused "$SB_SRV_IP"
	refused "$SB_SRV_IP6"
	if [ -n "$VLAN_SRV" ]; then
		refused "$VLAN_SRV"
		n=3
	else
		ok 0 "refused over VLAN $VLAN # SKIP this kernel has no 802.1Q VLANs"
	fi
	is "$(( $(it_stat rst_sent) - before ))" $((2 * n)) "rst_sent counted the $((2 * n)) refusals"
	is "$(it_stat rst_budget_exceeded)" 0 "  none over the budget"
	is "$(it_stat dropped)" $((2 * n)) "  all of them in dropped: not passed to the stack"
}

# A budget of 1 RST per second: of 5 refusals at once, 1 is answered.
test_budget() {
	local rc refused=0 timedout=0
	tg_ok "set --rst-budget 1" set "$IF" --rst-budget 1 --json
	is "$(out limits.rst_budget)" 1 "  RST budget 1/s"
	sleep 1.1
	for _ in 1 2 3 4 5; do
		sb_cli curl -s -o /dev/null --connect-timeout 0.3 "http://$SB_SRV_IP:80/"
		rc=$?
		[ "$rc" -eq 7 ] && refused=$((refused + 1))
		[ "$rc" -eq 28 ] && timedout=$((timedout + 1))
	done
	between "$refused" 1 2 "5 over-limit connects within ~1.5 s: 1 or 2 refused by RST"
	between "$timedout" 3 4 "  the others' SYNs dropped silently (timed out)"
	[ "$(it_stat rst_budget_exceeded)" -ge 3 ]
	ok $? "  rst_budget_exceeded counted them" || diag "  $(it_stats)"
}

test_set_drop() {
	tg_ok "set --action drop" set "$IF" --action drop --rst-budget 1000 --json
	is "$(out limits.action)" drop "  action in force: drop"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  an over-limit connect times out again"
}

test_attach
test_refused
test_budget
test_set_drop
done_testing
