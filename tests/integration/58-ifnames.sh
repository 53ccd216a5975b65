#!/usr/bin/env bash
# Interface names as the kernel takes them (dev_valid_name): an alias
# (IFACE:x), ".", "..", "", white space, '/', 16 characters are refused
# by every command with exit 2, before anything is touched (`detach ..`
# unlinked pins outside tidegate's root). And each network namespace
# keeps its own pins: attaching to an interface of the same name in a
# second namespace leaves the first one's live maps alone.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
# An old tidegate pinned an alias's maps under its name: remove them.
sb_on_cleanup "rm -rf '/sys/fs/bpf/tidegate/$IF:x' '$PIN_DIR:x'"
NS2="tg-n2-$SB_ID"
PEER2="tgm$SB_ID"
ns2() { nsenter --net="/run/netns/$NS2" "$@"; }

test_bad_names() {
	local name cmd
	tg_ok "attach $IF" attach "$IF" --rate 5/second --json
	for name in "$IF:x" . .. "" "a b" "a/b" "$(printf 'a\tb')" abcdefghijklmnop; do
		for cmd in status detach attach set stats log top "rule list"; do
			# Bounded: a name taken as valid could make log follow.
			# shellcheck disable=SC2086
			OUT=$(timeout 10 nsenter --net="/run/netns/$SB_SRV_NS" "$SB_TIDEGATE" \
				$cmd "$name" --json 2>"$IT_TMP/stderr")
			RC=$?
			ERR=$(cat "$IT_TMP/stderr")
			is "$RC" 2 "$cmd '$name': exit 2" || diag "  stderr: $ERR"
			[[ $ERR == *"not a valid interface name"* ]]
			ok $? "  and says the name is not valid" || diag "  stderr: $ERR"
		done
	done
	[ -d "$PIN_DIR" ] && [ -d /sys/fs/bpf/tidegate ]
	ok $? "$IF's pins and tidegate's root are still there"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 5/second "  and $IF is still limited"
	[ ! -e "$PIN_DIR:x" ] && [ ! -e "/sys/fs/bpf/tidegate/$IF:x" ]
	ok $? "no pins were made for the alias $IF:x"
}

test_config_names() {
	printf '[interface %s:x]\n' "$IF" >"$IT_TMP/alias.conf"
	tg_run check-config "$IT_TMP/alias.conf"
	is "$RC" 2 "check-config refuses [interface $IF:x]"
	tg_run run "$IF:x" --metrics off
	is "$RC" 2 "run refuses $IF:x" || diag "  stderr: $ERR"
}

test_second_namespace() {
	local base2
	ip netns add "$NS2" || { ok 1 "cannot make a second namespace"; return; }
	base2=/sys/fs/bpf/tidegate/netns:$(stat -L -c %i "/run/netns/$NS2")
	sb_on_cleanup "ip netns del '$NS2'; rm -rf '$base2'"
	ns2 ip link add "$IF" type veth peer name "$PEER2" &&
		ns2 ip link set "$IF" up && ns2 ip link set "$PEER2" up
	ok $? "a second namespace with an interface named $IF too" || return

	OUT=$(ns2 "$SB_TIDEGATE" attach "$IF" --mode skb --rate 7/second --json 2>"$IT_TMP/err")
	is "$?" 0 "attach $IF in the second namespace" || diag "  $(cat "$IT_TMP/err")"
	is "$(ns2 "$SB_TIDEGATE" status "$IF" --json | json limits.rate)" 7/second \
		"  its status shows its own limit"
	is "$(ns2 "$SB_TIDEGATE" status "$IF" --json | json pins)" "$base2/$IF" \
		"  pinned under $base2"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 5/second \
		"the first namespace's $IF keeps its own maps"
	[ -d "$PIN_DIR" ] && [ "$PIN_DIR" != "$base2/$IF" ]
	ok $? "  pinned apart, at $PIN_DIR"

	OUT=$(ns2 "$SB_TIDEGATE" detach "$IF" --json 2>"$IT_TMP/err")
	is "$?" 0 "detach $IF in the second namespace" || diag "  $(cat "$IT_TMP/err")"
	[ ! -e "$base2" ]
	ok $? "  its directory goes with its last interface"
	is "$(sb_tg status "$IF" --json | json limits.rate)" 5/second \
		"  the first namespace's $IF is still attached and limited"
	[[ $(it_stat packets) =~ ^[0-9]+$ ]]
	ok $? "  and its counters are readable"
}

test_root_listing() {
	# Read only: what the initial namespace lists never names another
	# namespace's directory as an interface.
	"$SB_TIDEGATE" status --json >"$IT_TMP/root.json" 2>/dev/null
	! grep -q '"interface":"netns:' "$IT_TMP/root.json"
	ok $? "status in the initial namespace lists no netns: directory"
}

test_bad_names
test_config_names
test_second_namespace
test_root_listing
done_testing
