#!/usr/bin/env bash
# The CLI's contract on bad input: exit 2 for usage and bad values
# (unknown interface included), 1 for a runtime failure, 0 for help; every
# error one line on stderr naming the bad value, and {"error": ...} on
# stdout with --json.
. "$(dirname "$0")/../lib/integration.sh"
it_setup

# expect_fail CODE BAD COMMAND ARGS... : COMMAND --json ARGS exits CODE,
# says so in one stderr line naming BAD, and in a JSON error naming BAD.
expect_fail() {
	local code=$1 bad=$2 cmd=$3 err
	shift 3
	tg_run "$cmd" --json "$@"
	is "$RC" "$code" "'$cmd $*' exits $code" || diag "  stderr: $ERR"
	[ "$(nlines "$ERR")" -eq 1 ] && [[ $ERR == *"$bad"* ]]
	ok $? "  one stderr line naming '$bad'" || diag "  stderr: $ERR"
	err=$(out error)
	[[ $err == *"$bad"* ]]
	ok $? "  a JSON error naming '$bad'" || diag "  stdout: $OUT"
}

test_unknown_option() {
	expect_fail 2 --frobnicate attach "$IF" --frobnicate
	expect_fail 2 --frobnicate set "$IF" --frobnicate
	expect_fail 2 --frobnicate stats "$IF" --frobnicate
	expect_fail 2 --rate detach "$IF" --rate 10/s # a known option, not for detach
	expect_fail 2 rate attach "$IF" --rate           # missing value
	expect_fail 2 extra attach "$IF" extra
	expect_fail 2 frob frob
	expect_fail 2 "did you mean 'status'" stattus
	expect_fail 2 "did you mean 'attach'" atach "$IF"
	tg_run rule list "$IF" --json
	[[ $OUT == *"/sys/fs/bpf/tidegate/"*"$IF"* && $OUT != *'\/'* ]]
	ok $? "JSON keeps slashes as they are (no \\/)" || diag "  stdout: $OUT"
}

test_bad_rate() {
	local r
	for r in 10/fortnight 0/s abc 10/ /s "10 minute" 1/0s; do
		expect_fail 2 "$r" attach "$IF" --rate "$r"
	done
	expect_fail 2 10/fortnight set "$IF" --rate 10/fortnight
	expect_fail 2 0 attach "$IF" --burst 0
}

test_bad_ports() {
	local p
	for p in 0 70000 80-70 80,,443 "80," http; do
		expect_fail 2 "$p" attach "$IF" --ports "$p"
	done
	expect_fail 2 70000 set "$IF" --ports 70000
}

# --port PORTS with its own --rate/--burst, or --default.
test_bad_port_limit() {
	local p
	for p in 0 70000 22-10 22,23 ssh "22-"; do
		expect_fail 2 "$p" attach "$IF" --port "$p" --rate 3/minute
	done
	expect_fail 2 3/fortnight attach "$IF" --port 22 --rate 3/fortnight
	expect_fail 2 "'0'" set "$IF" --port 22 --burst 0
	expect_fail 2 --rate attach "$IF" --port 22           # neither a limit nor --default
	expect_fail 2 --default attach "$IF" --port 22 --default --rate 3/minute
	expect_fail 2 --port set "$IF" --default               # --default of what
	expect_fail 2 "port 22" attach "$IF" --port 22 --rate 1/day --burst 999999999
}

test_bad_prefix() {
	expect_fail 2 0 attach "$IF" --v4-prefix 0
	expect_fail 2 33 attach "$IF" --v4-prefix 33
	expect_fail 2 129 attach "$IF" --v6-prefix 129
	expect_fail 2 0 attach "$IF" --v6-prefix 0
	expect_fail 2 bogus attach "$IF" --mode bogus
}

test_unknown_interface() {
	local cmd
	for cmd in attach set detach status stats; do
		expect_fail 2 tgnosuch0 "$cmd" tgnosuch0
	done
}

# Runtime failures, exit 1: the interface exists, tidegate is not on it.
test_not_attached() {
	expect_fail 1 "$IF" set "$IF" --rate 10/second
	expect_fail 1 "$IF" detach "$IF"
	expect_fail 1 "$IF" stats "$IF"
	expect_fail 1 "$IF" status "$IF"
}

test_attach_twice() {
	tg_ok "attach" attach "$IF" --json
	expect_fail 1 "$IF" attach "$IF"
	[[ $ERR == *"already attached"* ]]
	ok $? "  and the message says it is already attached" || diag "  stderr: $ERR"
	tg_run status "$IF" --json
	is "$(out attached)" true "the first attach is still in force"
	tg_ok "detach" detach "$IF" --json
}

test_not_root() {
	local cmd
	for cmd in "status" "stats $IF" "attach $IF" "detach $IF"; do
		# shellcheck disable=SC2086 # split into command and argument
		tg_run_as_nobody $cmd --json
		if [ "$RC" = skip ]; then
			ok 0 "# SKIP neither setpriv nor runuser is installed"
			return
		fi
		is "$RC" 1 "'$cmd' as nobody exits 1" || diag "  stderr: $ERR"
		[ "$(nlines "$ERR")" -eq 1 ] && [[ $ERR == *root* ]]
		ok $? "  one stderr line saying it needs root" || diag "  stderr: $ERR"
	done
}

test_help() {
	local cmd cmds
	tg_run help
	is "$RC" 0 "'help' exits 0"
	[[ $OUT == "Usage: tidegate"* ]]
	ok $? "  and prints the usage on stdout" || diag "  stdout: $OUT"
	for cmd in --help -h; do
		tg_run "$cmd"
		is "$RC" 0 "'$cmd' exits 0"
	done
	# Every command help lists, and at least the ones we know of.
	cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p' <<<"$OUT")
	for cmd in attach set detach status stats help; do
		grep -qx "$cmd" <<<"$cmds"
		ok $? "'help' lists $cmd"
	done
	for cmd in $cmds; do
		tg_run help "$cmd"
		[ "$RC" -eq 0 ] && [[ $OUT == "Usage: tidegate $cmd"* ]]
		ok $? "'help $cmd' exits 0 with its usage" || diag "  rc $RC, stdout: $OUT"
		tg_run "$cmd" --help
		[ "$RC" -eq 0 ] && [[ $OUT == "Usage: tidegate $cmd"* ]]
		ok $? "'$cmd --help' exits 0 with its usage" || diag "  rc $RC, stdout: $OUT"
	done
	tg_run help frob
	is "$RC" 2 "'help frob' exits 2"
}

test_unknown_option
test_bad_rate
test_bad_ports
test_bad_port_limit
test_bad_prefix
test_unknown_interface
test_not_attached
test_attach_twice
test_not_root
test_help
done_testing
