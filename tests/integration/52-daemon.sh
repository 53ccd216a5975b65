#!/usr/bin/env bash
# tidegate run without Redis: attaches from a config file, logs for
# journald, serves metrics that promtool and prometheus_client accept and
# that agree with `stats`, applies a changed file on SIGHUP with buckets
# kept, survives a bad one, leaves the limiter attached on SIGTERM, adopts
# it (buckets and all) when started again, detaches with --detach-on-exit,
# and refuses pinned maps of another layout.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_http_start 8080 || it_abort "no HTTP server on port 8080"
CONF=$IT_TMP/tidegate.conf

write_conf() { # RATE BURST PORTS
	cat >"$CONF" <<CONF
[daemon]
metrics = $DM_METRICS
[interface $IF]
rate = $1
burst = $2
ports = $3
CONF
}

test_start() {
	write_conf 5/minute 3 80
	dm_start --config "$CONF"
	dm_running
	ok $? "run --config starts and says it is running" || it_abort "$(cat "$DM_LOG")"
	grep -q "^<6>$IF: attached" "$DM_LOG"
	ok $? "  its log lines carry sd-daemon levels (<6> info)" || diag "$(cat "$DM_LOG")"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 5/minute "  status shows the file's rate"
	is "$(it_connects 4 "$SB_SRV_IP" 80)" 3 "  3 of 4 connects pass (burst 3)"
}

test_metrics() {
	local m
	dm_metrics >"$IT_TMP/metrics.txt"
	[ -s "$IT_TMP/metrics.txt" ]
	ok $? "GET /metrics answers" || return
	promtool check metrics <"$IT_TMP/metrics.txt" >"$IT_TMP/promtool.out" 2>&1
	is "$?" 0 "  promtool check metrics accepts it" || diag "$(cat "$IT_TMP/promtool.out")"
	# Debian's python3-prometheus-client is for Debian's python3.
	if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
		/usr/bin/python3 - "$IT_TMP/metrics.txt" "$IF" >"$IT_TMP/pc.out" 2>&1 <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
syn = fams["tidegate_syn"]
assert syn.type == "counter", syn.type
got = {(s.labels["family"], s.labels["verdict"]): s.value for s in syn.samples
       if s.labels.get("interface") == sys.argv[2] and s.name == "tidegate_syn_total"}
print(int(got[("ipv4", "allowed")]), int(got[("ipv4", "dropped")]))
PY
		is "$?" 0 "  prometheus_client's parser reads it" || diag "$(cat "$IT_TMP/pc.out")"
		is "$(cat "$IT_TMP/pc.out")" "3 1" "  and finds 3 IPv4 SYNs allowed and 1 dropped"
	fi
	m=$(dm_metric "tidegate_syn_total{interface=\"$IF\",family=\"ipv4\",verdict=\"dropped\"}")
	is "$m" "$(it_stat dropped)" "  the dropped counter agrees with stats"
	is "$(dm_metric "tidegate_tracked_sources{interface=\"$IF\"}")" 1 "  one tracked source"
	is "$(dm_metric tidegate_redis_configured)" 0 "  no Redis configured"
	grep -q '^tidegate_redis_clock_offset_seconds' "$IT_TMP/metrics.txt"
	is "$?" 1 "  and no clock offset to a Redis that never answered"
	# Gauges as their shortest text: 5/minute is 1/12 per second.
	is "$(dm_metric "tidegate_limit_rate_per_second{interface=\"$IF\"}")" 0.08333333333333333 \
		"  the rate in force, per second, every digit and no more"
	is "$(dm_metric "tidegate_limit_burst{interface=\"$IF\"}")" 3 "  the burst in force"
	is "$(dm_metric "tidegate_rules{interface=\"$IF\"}")" 0 "  no rules"
	# libbpf_version_string(): "v" MAJOR "." MINOR of the library run.
	is "$(grep '^tidegate_build_info' "$IT_TMP/metrics.txt")" \
		"tidegate_build_info{version=\"$("$SB_TIDEGATE" --version | awk '{print $NF}')\",libbpf=\"v$(pkg-config --modversion libbpf | cut -d. -f1,2)\",kernel=\"$(uname -r)\"} 1" \
		"  build info: this binary's version, libbpf's, the kernel's release"
	between "$(dm_metric process_open_fds)" 5 1000 "  process metrics: open fds"
	between "$(dm_metric process_start_time_seconds | cut -d. -f1)" $(($(date +%s) - 600)) \
		"$(date +%s)" "  and a start time within the last minutes"
	sb_srv curl -s -w '%{http_code}' "http://$DM_METRICS/healthz" >"$IT_TMP/health"
	is "$(cat "$IT_TMP/health")" "ok: 1 interface attached
200" "  /healthz: 200, every interface attached"
	sb_srv curl -s -o /dev/null -w '%{http_code}' "http://$DM_METRICS/nope" >"$IT_TMP/code"
	is "$(cat "$IT_TMP/code")" 404 "  another path is a 404"
}

test_reload() {
	local before reloaded
	before=$(it_bucket "$SB_CLI_IP")
	write_conf 600/minute 600 80,8080
	kill -HUP "$DM_PID"
	dm_wait_log "new limits in force"
	ok $? "SIGHUP applies a changed file" || diag "$(tail -5 "$DM_LOG")"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 600/minute "  the new rate is in force"
	is "$(sb_tg status "$IF" --json | json limits.ports)" 80,8080 "  and the new ports"
	is "$(dm_metric tidegate_config_last_reload_successful)" 1 "  the reload is a success in the metrics"
	reloaded=$(dm_metric tidegate_config_last_reload_success_timestamp_seconds)
	between "$(cut -d. -f1 <<<"$reloaded")" $(($(date +%s) - 30)) "$(date +%s)" "  at the time it was"
	is "$(dm_metric "tidegate_limit_rate_per_second{interface=\"$IF\"}")" 10 \
		"  and the metrics have the new rate: 10 per second"
	# Kept, not reset (its TAT is rescaled to the new limit: README,
	# "A limit changed live").
	is "$(it_bucket "$SB_CLI_IP" | json admitted)" "$(json admitted <<<"$before")" \
		"  the client's bucket is kept: the same admitted count"
	is "$(it_bucket "$SB_CLI_IP" | json dropped)" "$(json dropped <<<"$before")" \
		"  and the same drop count"
	cat >"$CONF" <<CONF
[interface $IF]
rate = 10/fortnight
CONF
	kill -HUP "$DM_PID"
	dm_wait_log "keeping the running configuration"
	ok $? "a bad file on SIGHUP is refused" || diag "$(tail -5 "$DM_LOG")"
	grep -q "tidegate.conf:2: rate '10/fortnight'" "$DM_LOG"
	ok $? "  naming the line" || diag "$(tail -5 "$DM_LOG")"
	kill -0 "$DM_PID"
	ok $? "  the daemon runs on"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 600/minute "  with the old limits"
	is "$(dm_metric tidegate_config_last_reload_successful)" 0 "  the metrics say the reload failed"
	is "$(dm_metric tidegate_config_last_reload_success_timestamp_seconds)" "$reloaded" \
		"  and keep the time of the last good one"
	write_conf 600/minute 600 80,8080
}

test_stop_and_adopt() {
	local bucket new
	bucket=$(it_bucket "$SB_CLI_IP")
	new=$(it_stat new_source)
	dm_stop TERM
	is "$?" 0 "SIGTERM stops the daemon with exit 0"
	grep -q "left attached" "$DM_LOG"
	ok $? "  saying the limiter stays"
	it_has_xdp "$IF"
	ok $? "  the program is still on $IF"
	is "$(it_bucket "$SB_CLI_IP")" "$bucket" "  the bucket is still pinned"
	dm_start --config "$CONF"
	dm_running
	ok $? "started again" || it_abort "$(tail -5 "$DM_LOG")"
	grep -q "adopted the running limiter, buckets kept" "$DM_LOG"
	ok $? "  it adopts the running limiter" || diag "$(grep -v libbpf "$DM_LOG" | tail -4)"
	is "$(it_bucket "$SB_CLI_IP")" "$bucket" "  the bucket is the same"
	is "$(it_stat new_source)" "$new" "  no source was created again"
	dm_stop KILL
	dm_start --config "$CONF" --detach-on-exit
	dm_running
	ok $? "after a SIGKILL, started again with --detach-on-exit" || it_abort "$(tail -5 "$DM_LOG")"
	is "$(it_bucket "$SB_CLI_IP")" "$bucket" "  the bucket survived the SIGKILL"
	dm_stop TERM
	it_has_xdp "$IF"
	is "$?" 1 "  SIGTERM now detaches"
	[ -e "$PIN_DIR" ]
	is "$?" 1 "  and removes the pins"
}

test_refuse_other_layout() {
	mkdir -p "$PIN_DIR"
	bpftool map create "$PIN_DIR/tg_buckets" type lru_hash key 20 value 24 entries 16 \
		name tg_buckets
	dm_start --config "$CONF"
	wait "$DM_PID"
	is "$?" 1 "pinned maps of another layout: the daemon stops with exit 1"
	DM_PID=
	grep -q "another layout" "$DM_LOG"
	ok $? "  saying the layout differs" || diag "$(cat "$DM_LOG")"
	it_has_xdp "$IF"
	is "$?" 1 "  and attaches nothing"
	rm -f "$PIN_DIR/tg_buckets"
	rmdir "$PIN_DIR"
}

test_start
test_metrics
test_reload
test_stop_and_adopt
test_refuse_other_layout
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
