#!/usr/bin/env bash
# `set` changes the limits of a running limiter in place: the sources'
# buckets are kept with their tokens (an exhausted source stays blocked
# until its bucket allows it again, under a looser limit as under a
# tighter one), status follows every change, --dry-run passes over-limit
# SYNs while counting them, --enforce drops them again.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_http_start 8080 || it_abort "no HTTP server on port 8080"

# status_is FIELD WANT : the limit FIELD as `status IFACE --json` shows it.
status_is() {
	local got
	got=$(sb_tg status "$IF" --json | json "limits.$1")
	is "$got" "$2" "  status --json shows $1 $2"
}

test_exhaust() {
	tg_ok "attach --rate 5/minute --burst 5 --ports 80" \
		attach "$IF" --rate 5/minute --burst 5 --ports 80 --json
	is "$(it_connects 5 "$SB_SRV_IP" 80)" 5 "5 connects to :80 succeed"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  the 6th is dropped"
	BUCKET=$(it_bucket "$SB_CLI_IP")
	is "$(json admitted <<<"$BUCKET")" 5 "  the client's bucket admitted 5"
}

# Same rate and burst, one more port: nothing about the bucket changes.
test_set_ports_keeps_bucket() {
	tg_ok "set --rate 5/minute --burst 5 --ports 80,8080" \
		set "$IF" --rate 5/minute --burst 5 --ports 80,8080 --json
	is "$(out limits.ports)" 80,8080 "  set --json answers with ports 80,8080"
	status_is ports 80,8080
	status_is rate 5/minute
	status_is burst 5
	is "$(it_bucket "$SB_CLI_IP")" "$BUCKET" "  the client's bucket survived the set unchanged"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  the client is still blocked on :80 (bucket kept, not reset)"
	it_connect "$SB_SRV_IP" 8080
	is "$?" 28 "  and now on :8080 too, which shares its bucket"
	# Only tat_ns and admitted are the bucket's state; dropped and
	# logged_ns count drops for top and the drop log.
	is "$(it_bucket "$SB_CLI_IP" | json tat_ns) $(it_bucket "$SB_CLI_IP" | json admitted)" \
		"$(json tat_ns <<<"$BUCKET") $(json admitted <<<"$BUCKET")" \
		"  dropped SYNs did not move the bucket"
}

# 600/minute and, with no --burst, a burst of 600 (tolerance 59.9 s):
# the bucket, still ~60 s ahead, conforms again within 0.1 s.
# The exhausted source keeps no token from the change: it earns them at
# the new rate, 10 a second, so 6 are there a second later.
test_raise_rate() {
	tg_ok "set --rate 600/minute" set "$IF" --rate 600/minute --json
	status_is rate 600/minute
	status_is burst 600
	status_is ports 80,8080
	sleep 1
	is "$(it_connects 3 "$SB_SRV_IP" 80)" 3 "  a second later 3 connects to :80 succeed"
	is "$(it_connects 3 "$SB_SRV_IP" 8080)" 3 "  and 3 to :8080"
	is "$(it_bucket "$SB_CLI_IP" | json admitted)" 11 "  the same bucket has now admitted 11"
	is "$(it_stat new_source)" 1 "  still one source ever created: no set reset it"
}

# 1/minute, burst 1 in dry-run: the bucket, far ahead, is over the limit.
test_dry_run() {
	local before after
	tg_ok "set --rate 1/minute --burst 1 --dry-run" \
		set "$IF" --rate 1/minute --burst 1 --dry-run --json
	status_is dry_run true
	status_is rate 1/minute
	before=$(it_stats)
	is "$(it_connects 3 "$SB_SRV_IP" 80)" 3 "  3 over-limit connects succeed in dry-run"
	after=$(it_stats)
	is "$(( $(it_field "$after" would_drop) - $(it_field "$before" would_drop) ))" 3 \
		"  would_drop counted all 3"
	is "$(( $(it_field "$after" dropped) - $(it_field "$before" dropped) ))" 0 \
		"  dropped did not move"
	is "$(( $(it_field "$after" allowed) - $(it_field "$before" allowed) ))" 0 \
		"  allowed did not move"
	is "$(it_bucket "$SB_CLI_IP" | json admitted)" 11 "  the bucket did not charge them"
}

test_enforce() {
	local before after
	tg_ok "set --enforce" set "$IF" --enforce --json
	status_is dry_run false
	status_is rate 1/minute
	status_is ports 80,8080
	before=$(it_stat dropped)
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  an over-limit connect is dropped again"
	after=$(it_stat dropped)
	is "$((after - before))" 1 "  dropped counted it"
}

# Dropping a port from the list frees it at once; the others stay limited.
test_remove_port() {
	tg_ok "set --ports 80" set "$IF" --ports 80 --json
	status_is ports 80
	it_connect "$SB_SRV_IP" 8080
	is "$?" 0 "  :8080 is reachable again"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  :80 still drops the over-limit client"
}

test_totals() {
	local s
	s=$(it_stats)
	is "$(( $(it_field "$s" allowed) + $(it_field "$s" dropped) + $(it_field "$s" would_drop) ))" \
		"$(it_field "$s" syn)" "allowed + dropped + would_drop == syn"
	is "$(it_field "$s" allowed)" 11 "allowed 11 in all"
	is "$(it_field "$s" dropped)" 5 "dropped 5 in all"
}

# Tightened during a flood, a drained source stays drained: its bucket's
# debt of up to 5 s under 10/second burst 50 is not read as a nearly full
# bucket of 1/minute burst 5 (which would admit 4 more at once). The
# tokens it earns while set starts up (10 a second, a 50th of its bucket
# each) carry over as their share, well under one token of the new limit.
test_tighten_keeps_drained() {
	local before got
	tg_ok "set --rate 10/second --burst 50" set "$IF" --rate 10/second --burst 50 --json
	sleep 1
	before=$(it_bucket "$SB_CLI_IP" | json admitted)
	sb_cli python3 "$IT_LIB/rawsyn.py" "$SB_CLI_IF" --dst-mac "$(sb_srv_mac)" \
		--dst "$SB_SRV_IP" --src "$SB_CLI_IP" --count 60 --duration 10 >/dev/null
	got=$(( $(it_bucket "$SB_CLI_IP" | json admitted) - before ))
	between "$got" 1 50 "  60 SYNs at once drain the bucket ($got admitted)"
	tg_ok "set --rate 1/minute --burst 5" set "$IF" --rate 1/minute --burst 5 --json
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  the drained source's next connect is dropped"
	it_connect "$SB_SRV_IP" 80
	is "$?" 28 "  and the one after it"
}

test_exhaust
test_set_ports_keeps_bucket
test_raise_rate
test_dry_run
test_enforce
test_remove_port
test_totals
test_tighten_keeps_drained
done_testing
