#!/usr/bin/env bash
# Every command that reads or writes the pinned maps checks them first:
# type, key and value size, max_entries and tg_config's layout_version
# (read from the copy tg_config_gen names).
# A pin swapped for a map that differs in only one of those is refused
# by stats, top, log, set and rule alike (exit 1, saying another version
# of tidegate made it), and status names the problem.
. "$(dirname "$0")/../lib/integration.sh"
it_setup

# refused WHAT : every reader and writer refuses the pins, saying why.
refused() {
	local what=$1 args
	for args in "stats $IF" "top $IF" "log $IF" "set $IF --rate 5/second" "rule list $IF"; do
		# shellcheck disable=SC2086 # the words of a command line
		tg_run $args --json
		is "$RC" 1 "$what: '$args' exits 1" || diag "  stderr: $ERR"
		[[ $ERR == *"another version of tidegate"* ]]
		ok $? "  saying another version of tidegate made the maps" || diag "  stderr: $ERR"
	done
	tg_run status "$IF" --json
	[[ $(out problem) == *"another version"* ]]
	ok $? "  status names the problem" || diag "  stdout: $OUT"
}

# swap_pin MAP BPFTOOL-CREATE-ARGS... : pin a new map under MAP's name.
# The program keeps its own map; only the pin changes (restore_pin puts
# the program's map back).
swap_pin() {
	local map=$1
	shift
	ORIG_ID=$(bpftool map show pinned "$PIN_DIR/$map" -j | json id)
	rm -f "$PIN_DIR/$map"
	bpftool map create "$PIN_DIR/$map" "$@" name "$map"
}

restore_pin() { # MAP
	rm -f "$PIN_DIR/$1"
	bpftool map pin id "$ORIG_ID" "$PIN_DIR/$1"
	tg_ok "  with the program's own $1 pinned again, stats reads the pins" stats "$IF" --json
}

test_attach() {
	tg_ok "attach" attach "$IF" --json
	tg_ok "  stats reads the pins" stats "$IF" --json
}

# What an operator reads with bpftool: both copies of the config, field
# by field (BTF), equal at rest, and the generation naming one of them.
test_bpftool_dump() {
	local dump
	dump=$(bpftool -j map dump pinned "$PIN_DIR/tg_config")
	is "$(json 0.formatted.value.layout_version <<<"$dump")" \
		"$(sed -n 's/^#define TG_LAYOUT_VERSION \([0-9]*\).*/\1/p' "$IT_ROOT/include/tidegate.h")" \
		"bpftool dump of tg_config shows layout_version by name"
	is "$(json 0.formatted.value <<<"$dump")" "$(json 1.formatted.value <<<"$dump")" \
		"  both copies are equal at rest"
	bpftool map lookup pinned "$PIN_DIR/tg_config_gen" key 0 0 0 0 >/dev/null
	ok $? "  tg_config_gen's key 0 can be looked up"
}

# The same type, key, value and copies as tg_config, all zeros: only
# layout_version (0) differs.
test_layout_version() {
	local vsize copies
	vsize=$(bpftool map show pinned "$PIN_DIR/tg_config" -j | json bytes_value)
	copies=$(bpftool map show pinned "$PIN_DIR/tg_config" -j | json max_entries)
	is "$copies" 2 "tg_config holds two copies"
	swap_pin tg_config type array key 4 value "$vsize" entries "$copies" ||
		it_abort "cannot pin a map of our own"
	refused "tg_config of layout version 0"
	restore_pin tg_config
}

# tg_config as layout 5 had it, one copy rewritten in place: refused
# before its layout_version is even read.
test_one_copy() {
	local vsize
	vsize=$(bpftool map show pinned "$PIN_DIR/tg_config" -j | json bytes_value)
	swap_pin tg_config type array key 4 value "$vsize" entries 1 ||
		it_abort "cannot pin a map of our own"
	refused "tg_config of one copy"
	restore_pin tg_config
}

# The generation that names the live copy, without its second word.
test_generation() {
	swap_pin tg_config_gen type array key 4 value 4 entries 1 ||
		it_abort "cannot pin a map of our own"
	refused "tg_config_gen of one entry"
	restore_pin tg_config_gen
}

# tg_ports of 1024 entries, not 65536: only max_entries differs.
test_max_entries() {
	swap_pin tg_ports type array key 4 value 1 entries 1024 ||
		it_abort "cannot pin a map of our own"
	refused "tg_ports of 1024 entries"
	restore_pin tg_ports
}

test_detach() {
	tg_ok "detach cleans up all the same" detach "$IF" --json
	[ ! -e "$PIN_DIR" ] && ! it_has_xdp "$IF"
	ok $? "  nothing left behind"
}

test_attach
test_bpftool_dump
test_layout_version
test_one_copy
test_generation
test_max_entries
test_detach
done_testing
