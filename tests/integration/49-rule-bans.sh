#!/usr/bin/env bash
# Bans as fail2ban and CrowdSec make them: deny --all drops every packet
# of a prefix (ping, any port), not only SYNs to limited ports; adding
# the same ban again succeeds unchanged, deleting an absent one with
# --missing-ok too; --ttl expires in the data path with no daemon; and
# rule import applies a whole file, all or nothing, rule list's text
# feeding it back unchanged.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_http_start 8080 || it_abort "no HTTP server on port 8080"

pings() { sb_cli ping -c 1 -W 1 "$SB_SRV_IP" >/dev/null 2>&1; }
nrules() { sb_tg rule list "$IF" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# The rules in force, less the seconds a --ttl counts down.
rules_now() {
	sb_tg rule list "$IF" --json |
		python3 -c 'import json,sys; print([{k: v for k, v in r.items() if k != "ttl"} for r in json.load(sys.stdin)])'
}

test_deny_all() {
	tg_ok "attach --ports 80" attach "$IF" --ports 80 --json
	pings
	is "$?" 0 "before the ban the client pings the server"
	tg_ok "rule add $SB_CLI_IP deny --all" rule add "$IF" "$SB_CLI_IP" deny --all --json
	is "$(out rule.all)" true "  the rule says all"
	is "$(out changed)" true "  and that it changed something"
	pings
	is "$?" 1 "  the banned client's ping is dropped"
	it_connect "$SB_SRV_IP" 8080
	is "$?" 28 "  so is its connect to :8080, a port tidegate does not limit"
	is "$(it_connects 2 "$SB_SRV_IP6" 8080)" 2 "  its IPv6 address is another prefix: served"
	[ "$(it_stat deny_all)" -ge 2 ]
	ok $? "  deny_all counted the dropped packets ($(it_stat deny_all))"
	tg_ok "the same ban again" rule add "$IF" "$SB_CLI_IP" deny --all --json
	is "$(out changed)" false "  succeeds and says it changed nothing"
	tg_run rule add "$IF" "$SB_CLI_IP" deny --json
	is "$RC" 2 "  another rule for the prefix is refused (exit 2): delete it first"
	tg_ok "rule del" rule del "$IF" "$SB_CLI_IP" --json
	pings
	is "$?" 0 "  unbanned, the client pings again"
	tg_ok "rule del of an absent rule with --missing-ok" \
		rule del "$IF" "$SB_CLI_IP" --missing-ok --json
	is "$(out changed)" false "  says it changed nothing"
	tg_run rule del "$IF" "$SB_CLI_IP" --json
	is "$RC" 1 "  without --missing-ok it exits 1"
}

test_ttl() {
	tg_ok "rule add deny --all --ttl 2s" rule add "$IF" "$SB_CLI_IP" deny --all --ttl 2s --json
	between "$(out rule.ttl)" 1 2 "  the rule says 1-2 s are left ($(out rule.ttl))"
	pings
	is "$?" 1 "  banned for now"
	sleep 2.5
	pings
	is "$?" 0 "  2.5 s later the ban has expired in the data path: the client pings"
	tg_ok "rule list --json" rule list "$IF" --json
	is "$(out 0.expired)" true "  rule list shows it expired"
	tg_ok "the next rule command" rule add "$IF" 198.18.77.0/24 deny --json
	is "$(nrules)" 1 "  removes the expired rule from the table"
	tg_run rule del "$IF" 198.18.77.0/24
}

test_import() {
	local f=$IT_TMP/rules bad=$IT_TMP/bad before
	cat >"$f" <<-RULES
		# bans from a list, and a limit
		198.18.100.0/24 deny --all

		198.18.101.7 deny --ttl 1h   # a temporary one
		2001:db8:99::/48 deny
		198.18.102.0/24 limit 20/minute --burst 5 --shared
	RULES
	tg_ok "rule import FILE" rule import "$IF" "$f" --json
	is "$(out added)" 4 "  4 rules added"
	is "$(nrules)" 4 "  4 rules in force"
	tg_ok "rule list (text)" rule list "$IF"
	is "$(awk '{ print index($0, " " $2 " "), index($0, "# id") }' <<<"$OUT" | sort -u | wc -l)" 1 \
		"  in columns: every kind and every '# id' where the others are" || diag "$OUT"
	printf '%s\n' "$OUT" >"$IT_TMP/listed"
	tg_ok "rule list's output imported back" rule import "$IF" "$IT_TMP/listed" --json
	is "$(out unchanged)" 3 "  3 rules unchanged"
	is "$(out changed)" 1 "  the one with a --ttl is refreshed"
	cp "$f" "$bad"
	echo "198.18.103.0/24 limit 10/fortnight" >>"$bad"
	before=$(rules_now)
	tg_run rule import "$IF" "$bad" --json
	is "$RC" 2 "a file with a bad line 7 exits 2"
	[[ $(out error) == *":7:"* && $(out error) == *fortnight* ]]
	ok $? "  naming the line and the bad word" || diag "  $(out error)"
	is "$(rules_now)" "$before" "  and nothing changed"
	printf '198.18.104.0/24 deny\n198.18.104.0/24 allow\n' >"$bad"
	tg_run rule import "$IF" "$bad" --json
	is "$RC" 2 "a prefix given twice exits 2"
	mkfifo "$IT_TMP/fifo"
	sb_srv timeout 10 "$SB_TIDEGATE" rule import "$IF" "$IT_TMP/fifo" --json >/dev/null 2>&1
	is "$?" 2 "a FIFO is refused, not waited on"
	echo "198.18.100.0/24 deny --all" | sb_tg rule import "$IF" - --replace --json >"$IT_TMP/out"
	OUT=$(cat "$IT_TMP/out")
	is "$(out deleted)" 3 "import - --replace: the 3 rules not in it deleted"
	is "$(nrules)" 1 "  one rule left"
}

# 10,000 rules at once (the time is printed, not checked); then a file
# that cannot fit in the table fails half-way and is undone whole.
test_import_many() {
	local f=$IT_TMP/many t0 t1
	python3 - "$f" <<-'PY'
		import sys
		with open(sys.argv[1], "w") as f:
		    for i in range(10000):
		        f.write("198.%d.%d.0/24 deny --all\n" % (20 + i // 256, i % 256))
	PY
	t0=$(date +%s%N)
	tg_ok "rule import of 10,000 rules" rule import "$IF" "$f" --json
	t1=$(date +%s%N)
	diag "10,000 rules imported in $(( (t1 - t0) / 1000000 )) ms"
	is "$(out added)" 10000 "  10,000 added"
	python3 - "$f" <<-'PY'
		import sys
		with open(sys.argv[1], "w") as f:
		    for i in range(7000):
		        f.write("198.%d.%d.0/24 deny\n" % (80 + i // 256, i % 256))
	PY
	tg_run rule import "$IF" "$f" --json
	is "$RC" 1 "7,000 more do not fit the 16,384-rule table: exit 1"
	[[ $(out error) == *"nothing changed"* ]]
	ok $? "  saying nothing changed" || diag "  $(out error)"
	is "$(nrules)" 10001 "  and the 10,001 rules in force are all still there, no more"
}

test_deny_all
test_ttl
test_import
test_import_many
done_testing
