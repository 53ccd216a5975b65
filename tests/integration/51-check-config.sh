#!/usr/bin/env bash
# tidegate check-config: a good file passes (exit 0), a bad one fails
# (exit 2) naming the line of every error, in text and in JSON.
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIDEGATE=${TIDEGATE:-$ROOT/build/san/tidegate}
T=$(mktemp -d /tmp/tidegate-cc.XXXXXX)
trap 'rm -rf "$T"' EXIT

cat >"$T/good.conf" <<'CONF'
# The example of the README.
[daemon]
metrics = 127.0.0.1:9477
redis = redis://127.0.0.1:6379/0
sync-interval = 250ms

[defaults]
rate = 100/second
ports = 80,443

[interface eth1]
burst = 200
v6-prefix = 56

[interface eth2]
rate = "10 per minute"
dry-run = yes
CONF

cat >"$T/bad.conf" <<'CONF'
[daemon]
metrics = 127.0.0.1
redis = http://127.0.0.1
[interface eth1]
rate = 10/fortnight
burst = 0
ports = 80,,443
limit everything
frobnicate = yes
[interface eth1]
CONF

OUT=$("$TIDEGATE" check-config "$T/good.conf")
is "$?" 0 "a good file: exit 0"
[[ $OUT == *"valid (0 errors, 2 interfaces)"* ]]
ok $? "  and says it is valid, with 2 interfaces" || diag "  $OUT"

OUT=$("$TIDEGATE" check-config "$T/bad.conf")
is "$?" 2 "a bad file: exit 2"
for want in "bad.conf:2: error: metrics '127.0.0.1'" \
	"bad.conf:3: error: redis 'http://127.0.0.1'" \
	"bad.conf:5: error: rate '10/fortnight'" \
	"bad.conf:6: error: burst '0'" \
	"bad.conf:7: error: ports '80,,443'" \
	"bad.conf:8: error: expected KEY = VALUE" \
	"bad.conf:9: error: unknown key 'frobnicate'" \
	"bad.conf:10: error: [interface eth1] again"; do
	[[ $OUT == *"$want"* ]]
	ok $? "  names line and error: $want" || diag "  $OUT"
done
[[ $OUT == *"invalid (8 errors"* ]]
ok $? "  8 errors in all" || diag "  $OUT"

OUT=$("$TIDEGATE" check-config "$T/bad.conf" --json)
is "$?" 2 "--json: exit 2 too"
is "$(json valid <<<"$OUT")" false "  valid: false"
is "$(json errors <<<"$OUT" | python3 -c 'import json,sys; print(",".join(str(e["line"]) for e in json.load(sys.stdin)))')" \
	"2,3,5,6,7,8,9,10" "  the errors' lines, in order"

OUT=$("$TIDEGATE" check-config "$T/good.conf" --json)
is "$(json interfaces.0.limits.burst <<<"$OUT")" 200 "the file's burst reaches the limits"
is "$(json interfaces.1.limits.rate <<<"$OUT")" 10/minute "a quoted rate"
is "$(json interfaces.1.limits.dry_run <<<"$OUT")" true "dry-run = yes"

# Ports with a limit of their own: port-limit = PORTS RATE [--burst N].
cat >"$T/ports.conf" <<'CONF'
[interface eth1]
ports = 443
port-limit = 22 3/minute
port-limit = 8000-8099 20/second --burst 40
CONF
OUT=$("$TIDEGATE" check-config "$T/ports.conf" --json)
is "$?" 0 "port-limit lines: exit 0"
is "$(json interfaces.0.limits.port_limit.0.ports <<<"$OUT") $(json interfaces.0.limits.port_limit.0.rate <<<"$OUT") $(json interfaces.0.limits.port_limit.0.burst <<<"$OUT")" \
	"22 3/minute 3" "  22 at 3/minute, burst 3"
is "$(json interfaces.0.limits.port_limit.1.ports <<<"$OUT") $(json interfaces.0.limits.port_limit.1.burst <<<"$OUT")" \
	"8000-8099 40" "  8000-8099 with burst 40"
printf '[interface eth1]\nport-limit = 22 3/minute\nport-limit = 20-30 1/second\n' >"$T/overlap.conf"
OUT=$("$TIDEGATE" check-config "$T/overlap.conf")
is "$?" 2 "a port-limit cutting another's: exit 2"
[[ $OUT == *"overlap.conf:3: error: port-limit '20-30 1/second'"*"--port 22 --default"* ]]
ok $? "  names the line and the group in the way" || diag "  $OUT"

"$TIDEGATE" check-config "$T/missing.conf" >/dev/null 2>&1
is "$?" 2 "a missing file: exit 2"

# Not a regular file: refused at once, not read (a FIFO would hang).
mkfifo "$T/fifo.conf"
mkdir "$T/dir.conf"
for f in fifo dir; do
	OUT=$(timeout 5 "$TIDEGATE" check-config "$T/$f.conf" 2>&1)
	is "$?" 2 "a $f as the config: exit 2, at once"
	[[ $OUT == *"not a regular file"* ]]
	ok $? "  saying it is not a regular file" || diag "  $OUT"
done
done_testing
