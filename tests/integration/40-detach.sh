#!/usr/bin/env bash
# detach removes everything attach made: the XDP program, the pinned
# maps and their directory, the entry in status; traffic flows again. An
# interface deleted under tidegate leaves pins that detach still cleans.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
sb_http_start 80 || it_abort "no HTTP server on port 80"

test_attached() {
	tg_ok "attach --rate 2/minute --ports 80" attach "$IF" --rate 2/minute --ports 80 --json
	[ -d "$PIN_DIR" ]
	ok $? "  its maps are pinned under $PIN_DIR"
	it_has_xdp "$IF"
	ok $? "  the interface has an XDP program"
	is "$(it_listed "$IF" | json attached)" true "  status --json lists it as attached"
	is "$(it_connects 3 "$SB_SRV_IP" 80)" 2 "  the client gets its burst of 2 of 3 connects"
}

test_detach() {
	tg_ok "detach" detach "$IF" --json
	is "$(out detached)" true "  detach --json says detached"
	[ ! -e "$PIN_DIR" ]
	ok $? "  $PIN_DIR is gone" || diag "  left: $(ls -A "$PIN_DIR" 2>&1)"
	! it_has_xdp "$IF"
	ok $? "  ip -j link shows no XDP program on $IF" ||
		diag "  $(sb_srv ip -j link show "$IF")"
	is "$(it_listed "$IF")" "" "  status --json no longer lists it"
	tg_run status "$IF" --json
	is "$RC" 1 "  status $IF exits 1: not attached"
	is "$(it_connects 3 "$SB_SRV_IP" 80)" 3 "  the client connects freely again"
}

test_reattach_is_fresh() {
	tg_ok "attach again" attach "$IF" --rate 2/minute --ports 80 --json
	is "$(it_stat syn)" 0 "  with fresh counters"
	is "$(it_bucket_count)" 0 "  and no buckets"
	tg_ok "  detach again" detach "$IF" --json
	[ ! -e "$PIN_DIR" ] && ! it_has_xdp "$IF"
	ok $? "  nothing left behind"
}

# The interface goes away with tidegate on it: the program goes with it,
# the pins stay, status points at them, detach removes them.
test_interface_deleted() {
	local gone="tgx$SB_ID"
	sb_on_cleanup "rm -rf '$SB_PIN_BASE/$gone'"
	sb_srv ip link add "$gone" type veth peer name "tgy$SB_ID" &&
		sb_srv ip link set "$gone" up && sb_srv ip link set "tgy$SB_ID" up
	tg_ok "attach to a second veth, $gone" attach "$gone" --json
	sb_srv ip link del "$gone"
	tg_run status "$gone" --json
	is "$RC" 1 "  after it is deleted, status $gone exits 1"
	is "$(out attached)" false "  and reports it not attached"
	[[ $(out problem) == *detach* ]]
	ok $? "  with a problem telling what to do" || diag "  stdout: $OUT"
	tg_ok "  detach $gone cleans up" detach "$gone" --json
	[ ! -e "$SB_PIN_BASE/$gone" ]
	ok $? "  its pins are gone"
	tg_run detach "$gone" --json
	is "$RC" 2 "  a second detach: unknown interface, exit 2"
}

test_attached
test_detach
test_reattach_is_fresh
test_interface_deleted
done_testing
