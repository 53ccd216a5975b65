#!/usr/bin/env bash
# make install: the binary, a systemd unit that systemd accepts, a man
# page groff renders without a warning, bash and zsh completion, and an example
# config that check-config accepts (it names no interface yet: a
# warning; the daemon runs and waits for a section and a reload).
. "$(dirname "$0")/../lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/tidegate-install.XXXXXX)
trap 'rm -rf "$D"' EXIT

make -C "$ROOT" --no-print-directory install DESTDIR="$D" >"$D.log" 2>&1
is "$?" 0 "make install DESTDIR=... succeeds" || diag "$(cat "$D.log")"
rm -f "$D.log"
INSTALLED=(usr/local/sbin/tidegate usr/local/lib/systemd/system/tidegate.service
	usr/local/share/man/man8/tidegate.8 usr/local/share/bash-completion/completions/tidegate
	usr/local/share/zsh/vendor-completions/_tidegate
	usr/local/share/doc/tidegate/tidegate.conf.example
	usr/local/share/doc/tidegate/fail2ban/action.d/tidegate.conf etc/tidegate/tidegate.conf
	usr/local/share/doc/tidegate/prometheus/tidegate-alerts.yml
	usr/local/share/doc/tidegate/grafana/tidegate-dashboard.json)
for f in "${INSTALLED[@]}"; do
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
OUT=$(bash -c '. "$1"; COMP_WORDS=("$2" run --red); COMP_CWORD=2; _tidegate
	echo "${COMPREPLY[*]}"' _ "$D/usr/local/share/bash-completion/completions/tidegate" \
	"$D/usr/local/sbin/tidegate")
is "$OUT" "--redis --redis-prefix --redis-timeout" "bash completion completes run's options"
zsh -n "$D/usr/local/share/zsh/vendor-completions/_tidegate" 2>/dev/null
ok $? "zsh completion is installed where zsh looks (vendor-completions), and parses"
OUT=$("$D/usr/local/sbin/tidegate" check-config "$D/etc/tidegate/tidegate.conf")
is "$?" 0 "the example config passes check-config, so the unit starts on a fresh install"
[[ $OUT == *"warning"*"no interface to protect yet"* ]] && [[ $OUT == *"(0 errors"* ]]
ok $? "  warning that it names no interface yet" || diag "$OUT"

# make uninstall: every file make install put, and the directories that
# were tidegate's alone; an edited config stays, and says so.
uninstall() { make -C "$ROOT" --no-print-directory uninstall DESTDIR="$D" 2>&1; }
OUT=$(uninstall)
is "$?" 0 "make uninstall DESTDIR=... succeeds" || diag "$OUT"
LEFT=""
for f in "${INSTALLED[@]}" usr/local/share/doc/tidegate etc/tidegate; do
	[ -e "$D/$f" ] && LEFT+=" /$f"
done
is "$LEFT" "" "  removes every file installed, and tidegate's own directories"
[ -d "$D/usr/local/sbin" ]
ok $? "  and leaves the directories others share"
make -C "$ROOT" --no-print-directory install DESTDIR="$D" >/dev/null 2>&1
echo "rate = 5/second" >>"$D/etc/tidegate/tidegate.conf"
OUT=$(uninstall)
[ -f "$D/etc/tidegate/tidegate.conf" ] && [ ! -e "$D/usr/local/sbin/tidegate" ]
ok $? "an edited config survives make uninstall"
[[ $OUT == *"kept $D/etc/tidegate/tidegate.conf"* ]]
ok $? "  which names it" || diag "$OUT"
done_testing
