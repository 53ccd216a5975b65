#!/usr/bin/env bash
# The same real-SYN limit with the program in generic (skb) mode, where
# it runs after the kernel has built an skb: the burst passes, the rest
# is dropped, and the counters agree.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"

tg_ok "attach --mode skb --rate 3/minute --ports 80" \
	attach "$IF" --mode skb --rate 3/minute --ports 80 --json
is "$(out mode)" skb "  in skb mode"
is "$(out limits.burst)" 3 "  burst defaults to the rate's count, 3"
is "$(it_connects 3 "$SB_SRV_IP" 80)" 3 "3 connects succeed"
it_connect "$SB_SRV_IP" 80
is "$?" 28 "  the 4th times out (its SYN was dropped)"
is "$(it_connects 3 "$SB_SRV_IP6" 80)" 3 "3 IPv6 connects succeed (own bucket)"
it_connect "$SB_SRV_IP6" 80
is "$?" 28 "  the 4th times out"
s=$(it_stats)
is "$(it_field "$s" allowed)" 6 "stats: 6 allowed"
is "$(it_field "$s" dropped)" 2 "stats: 2 dropped"
is "$(it_field "$s" syn)" 8 "stats: 8 SYNs, allowed + dropped"
done_testing
