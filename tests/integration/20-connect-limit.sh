#!/usr/bin/env bash
# Real TCP connects through the limiter: a source gets its burst, then
# its SYNs are dropped; IPv6 is another source with its own bucket; an
# unlimited port stays open; the counters add up exactly (each dropped
# connect sends exactly one SYN: it_one_syn_per_connect).
. "$(dirname "$0")/../lib/integration.sh"
it_setup
it_one_syn_per_connect || it_abort "cannot make the client send each SYN once (nft)"
sb_http_start 80 || it_abort "no HTTP server on port 80"
sb_http_start 8080 || it_abort "no HTTP server on port 8080"

test_attach() {
	tg_ok "attach --rate 5/minute --burst 5 --ports 80" \
		attach "$IF" --rate 5/minute --burst 5 --ports 80 --json
	is "$(out limits.rate)" 5/minute "  rate in force is 5/minute"
	is "$(out limits.burst)" 5 "  burst in force is 5"
	is "$(out limits.ports)" 80 "  only port 80 is limited"
}

# limit_source ADDRESS : the burst passes, the next SYN is dropped.
limit_source() {
	local host=$1 rc
	is "$(it_connects 5 "$host" 80)" 5 "5 connects from the client to [$host]:80 succeed"
	it_connect "$host" 80
	rc=$?
	is "$rc" 28 "  the 6th times out (curl exit 28: its SYN was dropped)"
	it_connect "$host" 80
	is "$?" 28 "  and so does a 7th"
}

test_unlimited_port() {
	is "$(it_connects 3 "$SB_SRV_IP" 8080)" 3 "port 8080 is not limited: 3 IPv4 connects succeed"
	is "$(it_connects 3 "$SB_SRV_IP6" 8080)" 3 "  and 3 IPv6 connects"
}

test_counters() {
	local s
	s=$(it_stats)
	is "$(it_field "$s" syn)" 14 "stats: 14 SYNs to a limited port (7 per family)"
	is "$(it_field "$s" allowed)" 10 "stats: 10 allowed (burst 5 per source)"
	is "$(it_field "$s" dropped)" 4 "stats: 4 dropped"
	is "$(it_field "$s" would_drop)" 0 "stats: none would_drop"
	is "$(( $(it_field "$s" allowed) + $(it_field "$s" dropped) ))" "$(it_field "$s" syn)" \
		"stats: allowed + dropped == syn"
	is "$(it_field "$s" new_source)" 2 "stats: 2 new sources (one IPv4, one IPv6 /64)"
	is "$(it_field "$s" cas_exhausted)" 0 "stats: no SYN lost to contention"
	is "$(it_bucket_count)" 2 "tg_buckets holds 2 sources"
	is "$(it_bucket "$SB_CLI_IP" | json admitted)" 5 "  the IPv4 client's bucket admitted 5"
	is "$(it_bucket 2001:db8:18:: | json admitted)" 5 "  the IPv6 client's /64 admitted 5"
}

test_attach
limit_source "$SB_SRV_IP"
limit_source "$SB_SRV_IP6"
test_unlimited_port
test_counters
done_testing
