#!/usr/bin/env bash
# Ports with a limit of their own, set live: `set IFACE --port 8022 --rate
# 3/minute` gives the "SSH" port 3 connects a minute per source while the
# "HTTPS" port keeps the interface's 100/second, in buckets of their own,
# so the SSH attempts never spend the HTTPS budget. status, stats and the
# daemon's metrics show the group; --port 8022 --default ends it; bad
# input exits 2 naming the value and changes nothing.
. "$(dirname "$0")/../lib/integration.sh"
. "$(dirname "$0")/../lib/daemon.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_http_start 8022 || it_abort "no HTTP server on port 8022"
sb_on_cleanup 'dm_stop KILL'

SSH=8022

# bucket_of ADDR GROUP : the client's bucket of that port group (0: the
# interface's), as bpftool prints it (the key's rule word holds both).
bucket_of() {
	bpftool map dump pinned "$PIN_DIR/tg_buckets" -j 2>/dev/null | python3 -c '
import ipaddress, json, sys
a = ipaddress.IPv6Address(b"\0" * 10 + b"\xff\xff" + ipaddress.ip_address(sys.argv[1]).packed)
for e in json.load(sys.stdin):
    k = e["formatted"]["key"]
    g = k["group"]  # a bitfield: bpftool prints it in hex
    if k["addr"] == list(a.packed) and int(str(g), 0) == int(sys.argv[2]):
        print(json.dumps(e["formatted"]["value"]))
' "$1" "$2"
}

# group_stat GROUP FIELD : a port group's counter in `stats --json`.
group_stat() {
	sb_tg stats "$IF" --json | python3 -c '
import json, sys
for g in json.load(sys.stdin)["port_groups"]:
    if g["group"] == int(sys.argv[1]):
        print(g[sys.argv[2]])
' "$1" "$2"
}

port_limits() { sb_tg status "$IF" --json | json limits.port_limit; }

test_attach() {
	tg_ok "attach --rate 100/second --ports 80" attach "$IF" --rate 100/second --ports 80 \
		--syn-cookies off --json
	it_one_syn_per_connect
	it_connect "$SB_SRV_IP" "$SSH"
	is "$?" 0 "  :$SSH is not limited yet, and reachable"
	is "$(port_limits)" "[]" "  status: no port has a limit of its own"
}

test_set_port() {
	tg_ok "set --port $SSH --rate 3/minute" set "$IF" --port "$SSH" --rate 3/minute --json
	is "$(out 'limits.port_limit.0.ports')" "$SSH" "  set --json answers with the group's ports"
	is "$(sb_tg status "$IF" --json | json limits.port_limit.0.rate)" 3/minute \
		"  status --json: its rate 3/minute"
	is "$(sb_tg status "$IF" --json | json limits.port_limit.0.burst)" 3 \
		"  and burst 3 (the rate's count)"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 100/second \
		"  the interface's own limit is untouched"
	like "$(sb_tg status "$IF")" "$SSH" "  the text status names the port"
	is "$(it_connects 3 "$SB_SRV_IP" "$SSH")" 3 "3 connects to :$SSH succeed"
	it_connect "$SB_SRV_IP" "$SSH"
	is "$?" 28 "  the 4th is dropped"
	is "$(it_connects 5 "$SB_SRV_IP" 80)" 5 "  yet 5 connects to :80 succeed: another budget"
	is "$(bucket_of "$SB_CLI_IP" 2 | json admitted)" 3 "  the :$SSH bucket (group 2) admitted 3"
	is "$(bucket_of "$SB_CLI_IP" 0 | json admitted)" 5 "  the :80 bucket (group 0) admitted 5"
	is "$(group_stat 2 allowed) $(group_stat 2 dropped)" "3 1" \
		"  stats --json: group 2 allowed 3, dropped 1"
	is "$(group_stat 2 ports)" "$SSH" "  named by its ports"
	is "$(group_stat 1 allowed) $(group_stat 1 dropped) $(group_stat 1 ports)" "5 0 80" \
		"  group 1 (the interface's limit, :80) allowed 5, dropped 0"
	is "$(it_stat allowed) $(it_stat dropped)" "8 1" "  the totals hold both"
}

# A burst alone: the group keeps its rate and its bucket, rescaled.
test_set_burst() {
	tg_ok "set --port $SSH --burst 5" set "$IF" --port "$SSH" --burst 5 --json
	is "$(sb_tg status "$IF" --json | json limits.port_limit.0.rate) $(sb_tg status "$IF" --json | json limits.port_limit.0.burst)" \
		"3/minute 5" "  status: 3/minute, burst 5"
	is "$(bucket_of "$SB_CLI_IP" 2 | json admitted)" 3 "  the bucket is kept"
	# Rescaled as the interface's buckets are (README: "Changing a limit
	# live"): an exhausted source gains no token from a bigger burst.
	it_connect "$SB_SRV_IP" "$SSH"
	is "$?" 28 "  the exhausted source is still refused: no token from the change"
	is "$(it_connects 2 "$SB_SRV_IP" 80)" 2 "  while :80 still lets it in"
}

# Bad input: exit 2, the value named, nothing changed.
test_bad_input() {
	local before bad
	before=$(sb_tg status "$IF" --json | json limits)
	for bad in "--port 0 --rate 3/minute:'0'" "--port 22-10 --rate 1/second:'22-10'" \
		"--port 8000-8100 --rate 1/second:8022" "--port 22 --rate 3/fortnight:'3/fortnight'" \
		"--port 22:--rate" "--port 22 --default --rate 1/second:--default" \
		"--default:--port" "--port 22 --burst 0:'0'"; do
		# shellcheck disable=SC2086 # the words of the case
		tg_run set "$IF" ${bad%%:*}
		is "$RC" 2 "set ${bad%%:*}: exit 2"
		like "$ERR" "${bad#*:}" "  names ${bad#*:}: $ERR"
	done
	is "$(sb_tg status "$IF" --json | json limits)" "$before" "  the limits did not change"
}

test_default() {
	tg_ok "set --port $SSH --default" set "$IF" --port "$SSH" --default --json
	is "$(port_limits)" "[]" "  no port has a limit of its own now"
	is "$(sb_tg status "$IF" --json | json limits.ports)" "80,$SSH" \
		"  :$SSH is under the interface's limit, with :80"
	is "$(it_connects 3 "$SB_SRV_IP" "$SSH")" 3 "  3 connects to :$SSH succeed again"
	is "$(bucket_of "$SB_CLI_IP" 0 | json admitted)" 10 "  charged to the interface's bucket"
}

# The daemon: the file's port-limit, and the metrics of the groups.
test_metrics() {
	local conf=$IT_TMP/tidegate.conf m
	sb_tg detach "$IF" >/dev/null 2>&1
	cat >"$conf" <<CONF
[interface $IF]
rate = 100/second
ports = 80
syn-cookies = off
port-limit = $SSH 2/minute --burst 2
CONF
	tg_run check-config "$conf" --json
	is "$RC" 0 "check-config takes port-limit = $SSH 2/minute --burst 2" || diag "$ERR"
	dm_start --config "$conf"
	dm_running
	ok $? "the daemon runs with it" || it_abort "$(cat "$DM_LOG")"
	is "$(sb_tg status "$IF" --json | json limits.port_limit.0.rate)" 2/minute \
		"  status: the file's port limit is in force"
	is "$(it_connects 3 "$SB_SRV_IP" "$SSH")" 2 "  2 of 3 connects to :$SSH succeed"
	m=$(dm_metrics)
	like "$m" "tidegate_port_syn_total\\{interface=\"$IF\",group=\"2\",ports=\"$SSH\",verdict=\"allowed\"\\} 2" \
		"  metrics: group 2 allowed 2"
	like "$m" "tidegate_port_syn_total\\{interface=\"$IF\",group=\"2\",ports=\"$SSH\",verdict=\"dropped\"\\} 1" \
		"  metrics: group 2 dropped 1"
	like "$m" "tidegate_port_limit_rate_per_second\\{interface=\"$IF\",group=\"2\",ports=\"$SSH\"\\} 0.0333" \
		"  metrics: group 2's rate per second"
	like "$m" "tidegate_port_limit_burst\\{interface=\"$IF\",group=\"2\",ports=\"$SSH\"\\} 2" \
		"  metrics: group 2's burst"
	like "$m" "tidegate_port_syn_total\\{interface=\"$IF\",group=\"1\",ports=\"80\",verdict=\"allowed\"\\} 0" \
		"  metrics: group 1, the interface's ports"
	# A reload takes the file's new port limit live, as it does the rest.
	sed -i "s|^port-limit = .*|port-limit = $SSH 4/minute --burst 4|" "$conf"
	kill -HUP "$DM_PID"
	dm_wait_log "new limits in force"
	ok $? "SIGHUP: the daemon puts the changed port-limit in force" || diag "$(tail -3 "$DM_LOG")"
	is "$(sb_tg status "$IF" --json | json limits.port_limit.0.rate) $(sb_tg status "$IF" --json | json limits.port_limit.0.burst)" \
		"4/minute 4" "  status: 4/minute, burst 4"
	it_connect "$SB_SRV_IP" "$SSH"
	is "$?" 28 "  the drained source stays drained: no token from the change"
	is "$(it_connects 2 "$SB_SRV_IP" 80)" 2 "  and :80 still lets it in"
	dm_stop
}

test_attach
test_set_port
test_set_burst
test_bad_input
test_default
test_metrics
done_testing
