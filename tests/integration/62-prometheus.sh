#!/usr/bin/env bash
# The shipped Prometheus and Grafana files against the real thing: the
# alert rules pass `promtool check rules` and their own `promtool test
# rules`; Debian's prometheus, started on loopback in the sandbox, scrapes
# the daemon and loads the rules, and its query API returns the build
# info, the attached interface, the limit in force and the SYNs dropped
# by real connects over the limit; every query of the Grafana dashboard
# is one Prometheus accepts, over metrics the daemon exports. /healthz
# says 200, then 503 with a reason once the program is detached.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
PKG=$IT_ROOT/packaging
command -v prometheus >/dev/null || bail "prometheus is missing: run scripts/install-deps.sh"
command -v promtool >/dev/null || bail "promtool is missing: run scripts/install-deps.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
CONF=$IT_TMP/tidegate.conf
PROM_PID=

test_rules_offline() {
	promtool check rules "$PKG/prometheus/tidegate-alerts.yml" >"$IT_TMP/check.out" 2>&1
	is "$?" 0 "promtool check rules accepts tidegate-alerts.yml" || diag "$(cat "$IT_TMP/check.out")"
	(cd "$PKG/prometheus" && promtool test rules tidegate-alerts.test.yml) >"$IT_TMP/test.out" 2>&1
	is "$?" 0 "promtool test rules: every alert fires where it should, only there" ||
		diag "$(cat "$IT_TMP/test.out")"
}

prom_stop() {
	[ -n "$PROM_PID" ] || return 0
	# $! is the subshell that runs sb_srv; prometheus is its child, and
	# the subshell ends when it does (killed first, it would leave
	# prometheus running).
	pkill -TERM -P "$PROM_PID" 2>/dev/null || kill -TERM "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
	PROM_PID=
}
sb_on_cleanup prom_stop

# Prometheus in the server namespace, on a free loopback port, scraping
# the daemon every second with the shipped rules, in a storage dir of
# its own under $IT_TMP.
prom_start() {
	PROM_PORT=$(sb_srv python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$IT_TMP/prom-data"
	cat >"$IT_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PKG/prometheus/tidegate-alerts.yml
scrape_configs:
  - job_name: tidegate
    static_configs:
      - targets: ['$DM_METRICS']
YML
	sb_srv prometheus --config.file="$IT_TMP/prometheus.yml" \
		--storage.tsdb.path="$IT_TMP/prom-data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" >"$IT_TMP/prometheus.log" 2>&1 &
	PROM_PID=$!
}

# prom_query EXPR : one line per series, "LABELS VALUE", labels sorted
# and without __name__, job and instance; "error: ..." if refused.
prom_query() {
	sb_srv curl -s --max-time 5 --data-urlencode "query=$1" \
		"http://127.0.0.1:$PROM_PORT/api/v1/query" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("status") != "success":
    print("error:", r.get("error")); sys.exit(0)
for s in r["data"]["result"]:
    m = {k: v for k, v in s["metric"].items() if k not in ("__name__", "job", "instance")}
    print(",".join("%s=%s" % kv for kv in sorted(m.items())), s["value"][1])' 2>/dev/null
}

# The value of EXPR, once a single series.
prom_value() { prom_query "$1" | awk 'NF == 2 { print $2 } NF == 1 { print $1 }'; }

# prom_wait EXPR WANT [SECONDS] : until EXPR's value is WANT.
prom_wait() {
	local i
	for ((i = 0; i < ${3:-30} * 5; i++)); do
		[ "$(prom_value "$1")" = "$2" ] && return 0
		kill -0 "$PROM_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

health() { sb_srv curl -s --max-time 2 -w '%{http_code}' "http://$DM_METRICS/healthz"; }

test_scrape() {
	cat >"$CONF" <<CONF
[daemon]
metrics = $DM_METRICS
[interface $IF]
rate = 2/minute
burst = 2
ports = 80
CONF
	dm_start --config "$CONF"
	dm_running
	ok $? "the daemon runs, metrics on $DM_METRICS" || it_abort "$(cat "$DM_LOG")"
	prom_start
	prom_wait 'up{job="tidegate"}' 1 60
	ok $? "Debian's prometheus scrapes it (up == 1)" ||
		it_abort "$(tail -5 "$IT_TMP/prometheus.log")"
	is "$(prom_query tidegate_build_info)" \
		"kernel=$(uname -r),libbpf=v$(pkg-config --modversion libbpf | cut -d. -f1,2),version=$("$SB_TIDEGATE" --version | awk '{print $NF}') 1" \
		"  tidegate_build_info: 1, with this binary's version, libbpf's and the kernel's"
	is "$(prom_query tidegate_attached)" "interface=$IF 1" "  tidegate_attached{interface=\"$IF\"} 1"
	is "$(prom_value "tidegate_limit_burst{interface=\"$IF\"}")" 2 "  the burst in force"
	is "$(prom_value "tidegate_limit_rate_per_second{interface=\"$IF\"} * 60")" 2 \
		"  the rate in force: 2 a minute"
	is "$(prom_value 'tidegate_config_last_reload_successful')" 1 "  the config was taken"
	sb_srv curl -s "http://127.0.0.1:$PROM_PORT/api/v1/rules" | python3 -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
rules = [r for x in g for r in x["rules"]]
bad = [r["name"] for r in rules if r["health"] != "ok"]
print(len(rules), "bad:" + ",".join(bad) if bad else "")' >"$IT_TMP/rules.out"
	is "$(cat "$IT_TMP/rules.out")" "$(grep -c -- '- alert:' "$PKG/prometheus/tidegate-alerts.yml") " \
		"  it loaded every alert rule, each evaluated without error"
}

test_drops() {
	local dropped
	is "$(it_connects 5 "$SB_SRV_IP" 80)" 2 "5 connects from the client: 2 pass (burst 2)"
	dropped=$(it_stat dropped)
	between "$dropped" 3 20 "  the rest are dropped ($dropped SYNs, retransmissions included)"
	prom_wait "sum(tidegate_syn_total{interface=\"$IF\",verdict=\"dropped\"})" "$dropped" 10
	ok $? "  Prometheus has the same drops as stats: $dropped" ||
		diag "got $(prom_query "tidegate_syn_total{interface=\"$IF\"}" | tr '\n' ' ')"
	is "$(prom_value "tidegate_syn_total{interface=\"$IF\",family=\"ipv4\",verdict=\"allowed\"}")" 2 \
		"  and the 2 allowed, as IPv4"
	is "$(prom_value "sum(tidegate_action_total{interface=\"$IF\",action=\"drop\"})")" "$dropped" \
		"  every one dropped silently (action drop)"
}

# Every query of the dashboard, its variables given values, is one
# Prometheus accepts; every metric it names is one the daemon exports
# (a typo would draw an empty panel, silently).
test_dashboard() {
	local bad=0 n=0 e m
	python3 - "$PKG/grafana/tidegate-dashboard.json" >"$IT_TMP/exprs" 2>"$IT_TMP/dash.err" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [p["id"] for p in d["panels"]]
assert len(ids) == len(set(ids)), "panel ids repeat"
assert d["uid"] and d["title"] and d["schemaVersion"] >= 30
for p in d["panels"]:
    assert "gridPos" in p, p["title"]
    for t in p.get("targets", []):
        print(t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*")
              .replace("$interface", ".*").replace("$job", ".*"))
PY
	is "$?" 0 "the Grafana dashboard is JSON with unique panel ids and a grid position each" ||
		diag "$(cat "$IT_TMP/dash.err")"
	dm_metrics >"$IT_TMP/metrics.txt"
	while read -r e; do
		n=$((n + 1))
		if prom_query "$e" | grep -q '^error:'; then
			diag "refused: $e: $(prom_query "$e")"
			bad=$((bad + 1))
		fi
		for m in $(grep -oE '\b(tidegate|process)_[a-z_]+' <<<"$e"); do
			grep -qE "^# TYPE $m " "$IT_TMP/metrics.txt" && continue
			diag "not exported: $m in $e"
			bad=$((bad + 1))
		done
	done <"$IT_TMP/exprs"
	is "$bad" 0 "  its $n queries are valid PromQL over metrics the daemon exports"
}

test_health() {
	is "$(health)" "ok: 1 interface attached
200" "/healthz: 200 while $IF is attached"
	sb_tg detach "$IF" --force >/dev/null 2>&1
	is "$?" 0 "detach --force from under the daemon"
	dm_wait_log "NOT PROTECTED" 5
	is "$(health)" "$IF: not attached: the program was removed or replaced from outside; a reload puts it back
503" "  /healthz: 503, naming the interface and why"
	prom_wait "tidegate_attached{interface=\"$IF\"}" 0 10
	ok $? "  Prometheus sees tidegate_attached 0"
	prom_wait 'count(ALERTS{alertname="TidegateLimiterDetached",alertstate="pending"})' 1 10
	ok $? "  and the shipped TidegateLimiterDetached alert is pending" ||
		diag "$(prom_query ALERTS | tr '\n' ' ')"
}

test_rules_offline
test_scrape
test_drops
test_dashboard
test_health
prom_stop
dm_stop TERM
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
