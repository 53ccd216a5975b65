# shellcheck shell=bash
# The rules in force on $IF, for the tests of rules kept across reboots.

# The rules in force, "CIDR KIND" a line, sorted. A reader that stops
# early (grep -q) ends it quietly, as it would any filter.
rules() {
	sb_tg rule list "$IF" --json | python3 -c '
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
for r in sorted(json.load(sys.stdin), key=lambda r: r["cidr"]):
    print(r["cidr"], r["kind"])'
}

# ttl_of CIDR : the seconds its rule has left.
ttl_of() {
	sb_tg rule list "$IF" --json | python3 -c '
import json, sys
print(next(r["ttl"] for r in json.load(sys.stdin) if r["cidr"] == sys.argv[1]))' "$1"
}

# until_rules N CMD... : until the rule state text CMD prints (a state
# file, or its copy in Redis) holds N rules, 5 s at most.
until_rules() {
	local n=$1 i
	shift
	for ((i = 0; i < 50; i++)); do
		[ "$("$@" 2>/dev/null | grep -v '^#' | grep -c .)" = "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
