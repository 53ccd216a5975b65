#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The Debian package on this machine: built by dpkg-buildpackage from a
# clean copy of the tree, lintian without errors, installed, its unit
# verified and started -- by systemd where systemd is PID 1, else its
# ExecStartPre and ExecStart run as the unit runs them -- on the
# sandbox's veth, stopped, purged, and nothing of it left.
#
# It changes the real system, so it refuses to run where tidegate is
# installed already (by dpkg or by make install), and whatever happens
# it purges the package it installed and restores what it moved.
. "$(dirname "$0")/../lib/integration.sh"

require_root
# What the package puts on the system, all of which the purge takes away.
PKG_PATHS=(/usr/sbin/tidegate /lib/systemd/system/tidegate.service
	/usr/lib/systemd/system/tidegate.service /usr/share/man/man8/tidegate.8.gz
	/usr/share/bash-completion/completions/tidegate /usr/share/zsh/vendor-completions/_tidegate
	/usr/share/doc/tidegate /etc/tidegate)
# The daemon's state, which a purge removes too; kept aside if it is there.
STATE=/var/lib/tidegate

pkg_status() { dpkg-query -W -f='${db:Status-Status}' tidegate 2>/dev/null; }

st=$(pkg_status)
[ -z "$st" ] || [ "$st" = not-installed ] ||
	skip_all "a tidegate package is on this machine ($st): this test would replace and purge it"
for p in "${PKG_PATHS[@]}"; do
	[ -e "$p" ] && skip_all "$p exists (make install?): the package would overwrite it and the purge remove it"
done
have_tools() {
	command -v dpkg-buildpackage && command -v dh && command -v lintian
} >/dev/null
have_tools || "$IT_ROOT/scripts/install-deps.sh" >/dev/null 2>&1
have_tools || skip_all "dpkg-buildpackage, debhelper or lintian missing, and scripts/install-deps.sh could not install them"
it_have_veth || skip_all "this kernel cannot create network namespaces with veth pairs"

SB_TIDEGATE=/usr/sbin/tidegate
sb_create || bail "could not create the sandbox"
IF=$SB_SRV_IF
W=$(mktemp -d /tmp/tidegate-pkg.XXXXXX)
INSTALLED=
DAEMON_PID=
DROPIN=
[ -e "$STATE" ] && cp -a "$STATE" "$W/state.saved"
SYSTEMD_STATE_BEFORE=$(find /etc/systemd /var/lib/systemd -name '*tidegate*' 2>/dev/null | sort)

# dpkg_wait ARGS... : dpkg, waiting up to 2 minutes while apt or another
# dpkg holds its lock. Not apt-get: it refuses to purge a package whose
# install was interrupted, which is when the cleanup needs it most.
dpkg_wait() {
	local i rc
	for ((i = 0; i < 120; i++)); do
		DEBIAN_FRONTEND=noninteractive dpkg "$@" 2>"$W/dpkg.err"
		rc=$?
		grep -q "lock" "$W/dpkg.err" || break
		sleep 1
	done
	cat "$W/dpkg.err" >&2
	return $rc
}

pkg_cleanup() {
	if [ -n "$DROPIN" ]; then
		systemctl stop tidegate.service
		rm -rf "$DROPIN"
		systemctl daemon-reload
	fi
	if [ -n "$DAEMON_PID" ]; then
		kill -KILL "$DAEMON_PID"
		wait "$DAEMON_PID"
	fi
	[ -x /usr/sbin/tidegate ] && sb_tg detach "$IF"
	[ -n "$INSTALLED" ] && dpkg_wait --purge tidegate
	[ -e "$W/state.saved" ] && [ ! -e "$STATE" ] && cp -a "$W/state.saved" "$STATE"
	rm -rf "$W"
}
sb_on_cleanup pkg_cleanup

# The tree as it is, uncommitted edits included (git stash create makes
# a commit of it and touches no ref), exported as a release tarball is:
# git archive writes the version into VERSION. Outside git, a copy.
copy_tree() {
	local rev
	mkdir "$W/src"
	if git -C "$IT_ROOT" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		rev=$(git -C "$IT_ROOT" stash create)
		git -C "$IT_ROOT" archive "${rev:-HEAD}" | tar -x -C "$W/src"
	else
		tar -C "$IT_ROOT" -c --exclude=./build --exclude=./debian/tidegate \
			--exclude=./debian/.debhelper . | tar -x -C "$W/src"
	fi
}

# Every pkg-config library the Makefile links has its -dev package in
# Build-Depends: a library added to PKGS and not there would build here,
# where it is installed, and nowhere clean.
test_build_depends() {
	local pkgs bdeps m pc owner missing=""
	pkgs=$(printf 'print-pkgs:\n\t@echo $(PKGS)\n' |
		make -s --no-print-directory -C "$IT_ROOT" -f Makefile -f - print-pkgs)
	bdeps=$(awk '/^Build-Depends:/ { f = 1; next } /^[^ ]/ { f = 0 } f' "$IT_ROOT/debian/control" |
		tr -d ' ,' | sed 's/(.*//')
	for m in $pkgs; do
		pc=$(pkg-config --variable=pcfiledir "$m")/$m.pc
		owner=$(dpkg -S "$pc" 2>/dev/null | cut -d: -f1)
		grep -qx "${owner:-?}" <<<"$bdeps" || missing+=" $m (${owner:-no package owns $pc})"
	done
	is "$missing" "" "Build-Depends has the -dev package of each library in the Makefile's PKGS ($pkgs)"
}

# as_builder COMMAND... : as nobody, in a network namespace of its own
# (nothing in it but lo, down): a build needs neither root nor network.
as_builder() {
	unshare --net setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$W" TMPDIR="$W" "$@"
}

test_build() {
	local t0=$SECONDS
	copy_tree
	chown -R 65534:65534 "$W"
	VERSION=$("$W/src/scripts/version.sh")
	if git -C "$IT_ROOT" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		[[ $VERSION != *unknown* ]]
		ok $? "the exported tree knows its version from git ($VERSION)"
	fi
	(cd "$W/src" && as_builder dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
	is "$?" 0 "dpkg-buildpackage -us -uc -b builds the package, as nobody, offline" ||
		it_abort "$(tail -30 "$W/build.log")"
	diag "built in $((SECONDS - t0)) s"
	DEB=$W/tidegate_${VERSION}_$(dpkg --print-architecture).deb
	[ -f "$DEB" ]
	ok $? "  tidegate_${VERSION}_*.deb, versioned by scripts/version.sh" ||
		it_abort "$(ls "$W")"
	as_builder lintian --fail-on error "$W"/tidegate_*.changes >"$W/lintian.out" 2>&1
	is "$?" 0 "lintian finds no error" || diag "$(cat "$W/lintian.out")"
	diag "lintian: $(grep -c '^[EWIP]: ' "$W/lintian.out") tags, $(grep -c '^E: ' "$W/lintian.out") errors"
	local deps
	deps=$(dpkg-deb -f "$DEB" Depends)
	[[ $deps == *libbpf1* ]] && [[ $deps == *libxdp1* ]] && [[ $deps == *libjson-c5* ]]
	ok $? "  it depends on the libraries the binary links (shlibs)" || diag "Depends: $deps"
}

test_install() {
	INSTALLED=1
	dpkg_wait -i "$DEB" >"$W/install.log" 2>&1
	is "$?" 0 "the package installs" || it_abort "$(tail -20 "$W/install.log")"
	is "$(pkg_status)" installed "  dpkg has it installed"
	/usr/sbin/tidegate help >"$W/help.out" 2>&1
	is "$?" 0 "  /usr/sbin/tidegate help runs" || diag "$(cat "$W/help.out")"
	if /usr/sbin/tidegate --version >"$W/version.out" 2>&1; then
		grep -qF -- "$VERSION" "$W/version.out"
		ok $? "  tidegate --version prints the package's version" ||
			diag "got '$(cat "$W/version.out")', want '$VERSION' in it"
	else
		ok 0 "  tidegate --version prints the package's version # SKIP no --version in this tree"
	fi
	# The builder's flags reached the compiler and the linker: -z now
	# from LDFLAGS, _FORTIFY_SOURCE from CPPFLAGS (dpkg-buildflags).
	readelf -d /usr/sbin/tidegate | grep -q BIND_NOW
	ok $? "  linked with dpkg-buildflags' LDFLAGS (-z now)"
	nm -D /usr/sbin/tidegate | grep -q '_chk@'
	ok $? "  compiled with dpkg-buildflags' CPPFLAGS (_FORTIFY_SOURCE)"
	dpkg-query -W -f='${Conffiles}' tidegate | grep -q ' /etc/tidegate/tidegate.conf '
	ok $? "  /etc/tidegate/tidegate.conf is a conffile"
	[ -f /usr/share/man/man8/tidegate.8.gz ] && [ -f /usr/share/bash-completion/completions/tidegate ] &&
		[ -f /usr/share/zsh/vendor-completions/_tidegate ]
	ok $? "  the man page, bash and zsh completion are in place"
	UNIT=$(dpkg -L tidegate | grep '/systemd/system/tidegate.service$')
	[ -f "$UNIT" ]
	ok $? "  the unit is in place ($UNIT)"
	[ ! -e /etc/systemd/system/multi-user.target.wants/tidegate.service ]
	ok $? "  and not enabled: the example config names no interface yet"
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify "$UNIT" >"$W/verify.out" 2>&1
		# Without systemd running, the default dependencies are not there.
		! grep -v -e "sysinit.target" -e "^$" "$W/verify.out" | grep -q .
		ok $? "  systemd-analyze verify accepts it" || diag "$(cat "$W/verify.out")"
	fi
}

write_conf() { # RATE
	cat >/etc/tidegate/tidegate.conf <<CONF
[daemon]
metrics = 127.0.0.1:19478
[interface $IF]
rate = $1
ports = 80
CONF
}

# unit_values KEY : every KEY= line of the unit's [Service] section.
unit_values() {
	awk -v k="$1" '/^\[/ { s = $0 } s == "[Service]" && index($0, k "=") == 1 {
		print substr($0, length(k) + 2) }' "$UNIT"
}

# unit_caps KEY : a capability list of the unit (KEY=CAP_A CAP_B) as
# setpriv takes it: -all,+a,+b.
unit_caps() {
	local caps
	caps=$(unit_values "$1" | tr ' ' '\n' | grep . |
		sed 's/^CAP_//' | tr '[:upper:]' '[:lower:]' | sed 's/^/+/' | paste -sd,)
	case $caps in
	*~*) diag "$1=~... (a deny list) is not emulated" ;;
	?*) echo "-all,$caps" ;;
	esac
}

# unit_exec COMMAND-LINE : become one Exec line, run as the unit runs
# it, in the sandbox's network namespace: systemd's prefixes (-@:+!)
# dropped; the unit's user (DynamicUser= as nobody, an unprivileged uid
# with no groups, which is what a dynamic user is), its ambient and
# bounding capability sets, no_new_privs, memlock limit and umask. The
# rest of its sandboxing is systemd's alone. It execs: call it in a
# subshell, or with & (then $! is the command's own pid).
unit_exec() {
	local line=$1 v memlock setpriv=(setpriv)
	local -a argv
	while [[ $line == [-@:+!]* ]]; do line=${line:1}; done
	read -ra argv <<<"$line"
	v=$(unit_values User)
	case $(unit_values DynamicUser) in
	yes | true | 1) setpriv+=(--reuid=65534 --regid=65534 --clear-groups) ;;
	*) [ -n "$v" ] && setpriv+=(--reuid="$v" --regid="$(id -g "$v")" --init-groups) ;;
	esac
	v=$(unit_caps AmbientCapabilities)
	[ -n "$v" ] && setpriv+=(--inh-caps="$v" --ambient-caps="$v")
	v=$(unit_caps CapabilityBoundingSet)
	[ -n "$v" ] && setpriv+=(--bounding-set="$v")
	case $(unit_values NoNewPrivileges) in yes | true | 1) setpriv+=(--no-new-privs) ;; esac
	memlock=$(unit_values LimitMEMLOCK)
	[ "$memlock" = infinity ] && memlock=unlimited
	[ -n "$memlock" ] && ulimit -l "$memlock"
	v=$(unit_values UMask)
	[ -n "$v" ] && umask "$v"
	exec nsenter --net="/run/netns/$SB_SRV_NS" "${setpriv[@]}" -- "${argv[@]}" </dev/null
}

# wait_rate RATE : RATE in force on the sandbox's veth, as the config
# says: the daemon read it and attached, or reloaded it.
wait_rate() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(sb_tg status "$IF" --json 2>/dev/null | json limits.rate 2>/dev/null)" = "$1" ] &&
			return 0
		[ -n "$DAEMON_PID" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null && return 1
		sleep 0.2
	done
	return 1
}

test_service_systemd() {
	DROPIN=/run/systemd/system/tidegate.service.d
	mkdir -p "$DROPIN"
	printf '[Service]\nNetworkNamespacePath=/run/netns/%s\n' "$SB_SRV_NS" >"$DROPIN/50-test-sandbox.conf"
	systemctl daemon-reload
	systemctl start tidegate.service >"$W/start.out" 2>&1
	is "$?" 0 "systemctl start tidegate (in the sandbox's namespace)" ||
		diag "$(journalctl -u tidegate.service -n 20 --no-pager 2>&1)"
	wait_rate 7/minute
	ok $? "  the daemon attached with the config's limit" ||
		diag "$(journalctl -u tidegate.service -n 20 --no-pager 2>&1)"
	write_conf 9/minute
	systemctl reload tidegate.service
	is "$?" 0 "systemctl reload tidegate"
	wait_rate 9/minute
	ok $? "  the daemon applied the edited config" ||
		diag "$(journalctl -u tidegate.service -n 20 --no-pager 2>&1)"
	systemctl stop tidegate.service
	is "$(systemctl show -p Result --value tidegate.service)" success "  systemctl stop: it stops cleanly"
	rm -rf "$DROPIN"
	DROPIN=
	systemctl daemon-reload
}

test_service_exec() {
	local line rc sig want
	diag "systemd is not PID 1 here: running the unit's Exec lines as it would"
	while read -r line; do
		(unit_exec "$line") >"$W/pre.out" 2>&1
		is "$?" 0 "ExecStartPre succeeds: ${line:0:60}" || diag "$(cat "$W/pre.out")"
	done < <(unit_values ExecStartPre)
	line=$(unit_values ExecStart)
	[ -n "$line" ]
	ok $? "the unit has an ExecStart line" || return
	unit_exec "$line" >"$W/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_rate 7/minute
	ok $? "ExecStart's daemon attached with the config's limit" || diag "$(tail -20 "$W/daemon.log")"
	case $(unit_values DynamicUser) in
	yes | true | 1) want=65534 ;;
	*) want=$(id -u "$(unit_values User)" 2>/dev/null || echo 0) ;;
	esac
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$DAEMON_PID/status")" "$want" "  as the unit's user (uid $want)"
	write_conf 9/minute
	while read -r line; do
		(unit_exec "${line//\$MAINPID/$DAEMON_PID}") >"$W/reload.out" 2>&1
		is "$?" 0 "ExecReload succeeds: ${line:0:60}" || diag "$(cat "$W/reload.out")"
	done < <(unit_values ExecReload)
	wait_rate 9/minute
	ok $? "  the daemon applied the edited config" || diag "$(tail -20 "$W/daemon.log")"
	sig=$(unit_values KillSignal)
	kill "-${sig:-SIGTERM}" "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=
	is "$rc" 0 "  ${sig:-SIGTERM} (the unit's KillSignal) stops it cleanly" || diag "$(tail -20 "$W/daemon.log")"
}

test_service() {
	write_conf 7/minute
	if [ -d /run/systemd/system ]; then
		test_service_systemd
	else
		test_service_exec
	fi
	# Stopping leaves the limiter attached, by design: detach it here.
	sb_tg detach "$IF" >/dev/null 2>&1
}

test_purge() {
	local left="" p
	dpkg_wait --purge tidegate >"$W/purge.log" 2>&1
	is "$?" 0 "the package purges" || diag "$(tail -20 "$W/purge.log")"
	case $(pkg_status) in '' | not-installed) INSTALLED= ;; esac
	case $(pkg_status) in '' | not-installed) st=gone ;; *) st=$(pkg_status) ;; esac
	is "$st" gone "  dpkg has it no more"
	for p in "${PKG_PATHS[@]}"; do
		[ -e "$p" ] && left+=" $p"
	done
	[ -e "$W/state.saved" ] || { [ -e "$STATE" ] && left+=" $STATE"; }
	is "$left" "" "  nothing of it is left: binary, unit, man page, config, docs"
	is "$(find /etc/systemd /var/lib/systemd -name '*tidegate*' 2>/dev/null | sort)" \
		"$SYSTEMD_STATE_BEFORE" "  nor any systemd state of its unit"
}

test_build_depends
test_build
test_install
test_service
test_purge
done_testing
