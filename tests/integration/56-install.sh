#!/usr/bin/env bash
# make install: the binary, a systemd unit that systemd accepts, a man
# page groff renders without a warning, bash completion, and an example
# config that check-config accepts (it names no interface yet: a
# warning; the daemon runs and waits for a section and a reload).
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/tidegate-install.XXXXXX)
trap 'rm -rf "$D"' EXIT

make -C "$ROOT" --no-print-directory install DESTDIR="$D" >"$D.log" 2>&1
is "$?" 0 "make install DESTDIR=... succeeds" || diag "$(cat "$D.log")"
rm -f "$D.log"
for f in usr/local/sbin/tidegate usr/local/lib/systemd/system/tidegate.service \
	usr/local/share/man/man8/tidegate.8 usr/local/share/bash-completion/completions/tidegate \
	etc/tidegate/tidegate.conf; do
	[ -f "$D/$f" ]
	ok $? "  installs /$f"
done
UNIT=$D/usr/local/lib/systemd/system/tidegate.service
grep -q '^ExecStart=/usr/local/sbin/tidegate run --config /etc/tidegate/tidegate.conf$' "$UNIT"
ok $? "the unit runs the daemon on /etc/tidegate/tidegate.conf"
grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' "$UNIT"
ok $? "  and reloads it with SIGHUP"
if command -v systemd-analyze >/dev/null; then
	# Verify a copy whose binary is the one just installed.
	sed "s|/usr/local/sbin/tidegate|$D/usr/local/sbin/tidegate|" "$UNIT" >"$D/tidegate.service"
	systemd-analyze verify "$D/tidegate.service" >"$D/verify.out" 2>&1
	! grep -v -e "man tidegate" -e "sysinit.target" -e "^$" "$D/verify.out" | grep -q .
	ok $? "  systemd-analyze verify finds nothing wrong with it" || diag "$(cat "$D/verify.out")"
fi
if command -v groff >/dev/null; then
	groff -man -Tutf8 -ww -P-cbou "$D/usr/local/share/man/man8/tidegate.8" >"$D/man.txt" 2>"$D/man.err"
	[ ! -s "$D/man.err" ] && grep -q "CONFIGURATION FILE" "$D/man.txt"
	ok $? "the man page renders without warnings" || diag "$(cat "$D/man.err")"
fi
OUT=$(bash -c '. "$1"; COMP_WORDS=(tidegate run --red); COMP_CWORD=2; _tidegate
	echo "${COMPREPLY[*]}"' _ "$D/usr/local/share/bash-completion/completions/tidegate")
is "$OUT" "--redis --redis-timeout --redis-prefix" "bash completion completes run's options"
OUT=$("$D/usr/local/sbin/tidegate" check-config "$D/etc/tidegate/tidegate.conf")
is "$?" 0 "the example config passes check-config, so the unit starts on a fresh install"
[[ $OUT == *"warning"*"no interface to protect yet"* ]] && [[ $OUT == *"(0 errors"* ]]
ok $? "  warning that it names no interface yet" || diag "$OUT"
done_testing
