# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# tap.sh - TAP for the shell tests. Every failure says what was
# expected and what was seen.

TAP_N=0
TAP_FAILED=0
TAP_LAST=0

ok() { # CONDITION-EXIT-CODE DESCRIPTION
	local rc=$1
	shift
	TAP_N=$((TAP_N + 1))
	TAP_LAST=$rc
	if [ "$rc" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		echo "#   Failed test $TAP_N - $*" >&2
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$rc"
}

is() { # GOT WANT DESCRIPTION
	local got=$1 want=$2
	shift 2
	[ "$got" = "$want" ]
	ok $? "$*" && return 0
	diag "  got '$got', want '$want'"
	return 1
}

# GOT matches the extended regular expression RE
like() { # GOT RE DESCRIPTION
	local got=$1 re=$2
	shift 2
	grep -Eq -- "$re" <<<"$got"
	ok $? "$*" && return 0
	diag "  got '$got', want a match of /$re/"
	return 1
}

# NUMBER within [LO, HI]
between() { # GOT LO HI DESCRIPTION
	local got=$1 lo=$2 hi=$3
	shift 3
	[ "$got" -ge "$lo" ] 2>/dev/null && [ "$got" -le "$hi" ] 2>/dev/null
	ok $? "$*" && return 0
	diag "  got '$got', want $lo..$hi"
	return 1
}

# After a failed test, to stderr as Test::More does: prove shows it even
# without -v, so a CI log says why, not only which.
diag() {
	if [ "$TAP_LAST" -eq 0 ]; then
		echo "# $*"
	else
		echo "# $*" >&2
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces, BPF)"
}

# json FIELD < JSON (scripts/lib/json.sh)
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/json.sh"
