#!/usr/bin/env bash
# attach --mode: native by default, skb on request; status --json and the
# kernel (ip -j link) agree on which.
. "$(dirname "$0")/../lib/integration.sh"
it_setup

# The kernel's view: ip -j link shows xdp.mode 1 (driver) or 2 (generic).
kernel_xdp_mode() {
	sb_srv ip -j link show "$IF" | python3 -c '
import json, sys
x = json.load(sys.stdin)[0].get("xdp")
print({1: "native", 2: "skb", 3: "hw"}.get(x["mode"], x["mode"]) if x else "none")'
}

# check_mode ARGS EXPECTED : attach with ARGS, see EXPECTED everywhere, detach.
check_mode() {
	local want=$1
	shift
	tg_ok "attach $*" attach "$IF" "$@" --json
	is "$(out mode)" "$want" "  attach --json reports mode $want"
	tg_run status "$IF" --json
	is "$(out mode)" "$want" "  status IFACE --json shows mode $want"
	is "$(it_listed "$IF" | json mode)" "$want" "  status --json lists it with mode $want"
	is "$(kernel_xdp_mode)" "$want" "  the kernel has it in $want mode"
	tg_ok "  detach" detach "$IF" --json
	is "$(kernel_xdp_mode)" none "  and the kernel has no XDP program after"
}

check_mode native
check_mode native --mode native
check_mode skb --mode skb
check_mode skb --mode generic
done_testing
