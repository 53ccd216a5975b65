#!/usr/bin/env bash
# attach killed (SIGKILL) at every point where it talks to the kernel
# leaves a state the next command and the next daemon take as it is: the
# program is never on the interface without all its maps pinned, status
# and attach agree, and `tidegate run` starts on whatever was left. A
# program whose pins were lost anyway (an older tidegate, a hand) is
# adopted by the next run, its maps pinned again.
#
# The kill points: a preloaded syscall() (libbpf's way into bpf(2))
# counts bpf calls and raises SIGKILL at the K-th, for every K of one
# whole attach. A SIGKILL at a random time hits the narrow windows
# between two steps rarely; this hits each of them once.
. "$(dirname "$0")/../lib/integration.sh"
. "$IT_LIB/daemon.sh"
it_setup
command -v cc >/dev/null || skip_all "no C compiler to build the kill injector"

SHIM=$IT_TMP/kill-at.so
cat >"$IT_TMP/kill-at.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

/* libc's syscall(), but SIGKILL before the $KILL_AT_BPF_CALL-th bpf(2)
 * call; the number of bpf calls made goes to $BPF_CALLS_FILE at exit. */
static long calls;

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	const char *at = getenv("KILL_AT_BPF_CALL");
	long a[6];
	va_list ap;
	int i;

	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_bpf && ++calls == (at ? atol(at) : -1))
		raise(SIGKILL);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("BPF_CALLS_FILE");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f) {
		fprintf(f, "%ld\n", calls);
		fclose(f);
	}
}
C
cc -shared -fPIC -o "$SHIM" "$IT_TMP/kill-at.c" -ldl || it_abort "cannot build the kill injector"

# The attaches to be killed run the release build when there is one: a
# process killed with SIGKILL never gets to make a sanitizer report. The
# bpf calls are the same in both builds. Detach and status after a kill
# run the sanitized build on the first kill that leaves each state (and
# the daemon always does), the release build on the hundred others: the
# sanitized build took most of this test's time.
KILLED=$IT_ROOT/build/tidegate
[ -x "$KILLED" ] || KILLED=$SB_TIDEGATE

# attach_killed_at K : attach with SIGKILL before the K-th bpf call (none
# if K is 0); RC is its exit code. A small table: the kill points are
# the same, the preallocation of a large one is not worth its time here.
attach_killed_at() {
	sb_srv env LD_PRELOAD="$SHIM" KILL_AT_BPF_CALL="$1" BPF_CALLS_FILE="$IT_TMP/calls" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$KILLED" attach "$IF" --rate 5/second --max-sources 4096 --json >/dev/null \
		2>"$IT_TMP/stderr"
	RC=$?
}

npins() { find "$PIN_DIR" -maxdepth 1 -name 'tg_*' 2>/dev/null | wc -l; }

# What was left: the program there or not, and its maps pinned: none,
# some or all.
state() {
	local xdp=no pins=some n
	it_has_xdp "$IF" && xdp=yes
	n=$(npins)
	[ "$n" = 0 ] && pins=none
	[ "$n" = "$ALL" ] && pins=all
	echo "xdp=$xdp pins=$pins"
}

# clean [BINARY] : whatever the state, detach leaves nothing (exit 1 when
# there was nothing to detach). The sanitized build unless told.
clean() {
	local SB_TIDEGATE=${1:-$SB_TIDEGATE}
	tg_run detach "$IF" --json
	[ "$RC" = 0 ] || [ "$RC" = 1 ] || diag "  detach exited $RC: $ERR"
	! it_has_xdp "$IF" && [ ! -e "$PIN_DIR" ]
}

# The daemon starts on STATE and protects the interface.
daemon_takes() {
	dm_start "$IF" --rate 5/second
	dm_running 30
	ok $? "  $1: the next 'tidegate run' starts on it" || diag "$(grep -v libbpf "$DM_LOG" | tail -3)"
	dm_stop TERM
	is "$(state)" "xdp=yes pins=all" "  and leaves it attached with every map pinned"
}

test_count() {
	attach_killed_at 0
	is "$RC" 0 "attach with the kill injector preloaded, and no kill, works" ||
		it_abort "$(cat "$IT_TMP/stderr")"
	CALLS=$(cat "$IT_TMP/calls")
	ALL=$(npins)
	diag "one attach makes $CALLS bpf calls and pins $ALL maps"
	[ "$ALL" -ge 1 ] || it_abort "attach pinned nothing"
	clean || it_abort "detach left something behind: $(state)"
}

test_every_kill_point() {
	local k s bin bad=0 seen=" "
	for ((k = 1; k <= CALLS; k++)); do
		attach_killed_at "$k"
		[ "$RC" = 137 ] || diag "attach to be killed at bpf call $k exited $RC:" \
			"$(grep -v libbpf "$IT_TMP/stderr" | tail -1)"
		s=$(state)
		bin=$KILLED
		[[ $seen != *" $s "* ]] && bin=$SB_TIDEGATE
		if [[ $s == "xdp=yes"* && $s != "xdp=yes pins=all" ]]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && diag "  killed at bpf call $k of $CALLS: $s"
		fi
		if [[ $s == "xdp=yes"* ]]; then
			SB_TIDEGATE=$bin tg_run status "$IF" --json
			[ "$RC" = 0 ] || { bad=$((bad + 1)); diag "  killed at $k: $s, status: $OUT"; }
		fi
		if [[ $seen != *" $s "* ]]; then
			seen="$seen$s "
			diag "killed at bpf call $k of $CALLS: $s"
			daemon_takes "$s"
		fi
		clean "$bin" || { bad=$((bad + 1)); diag "  detach after a kill at $k left $(state)"; }
	done
	is "$bad" 0 "a SIGKILL at any of $CALLS bpf calls never leaves the program without its pins"
}

# What an older tidegate killed between attach and pin left, or pins
# removed by hand: the program runs with some or none of its maps
# pinned. The next run pins the running program's maps again and adopts
# it, buckets and all.
test_orphan_adopted() {
	local gone
	for gone in all one; do
		tg_ok "attach, then remove $gone of its pins" attach "$IF" --rate 5/second --json
		sb_cli curl -s -o /dev/null --max-time 2 "http://$SB_SRV_IP:80/"
		BUCKET=$(it_bucket "$SB_CLI_IP")
		if [ "$gone" = all ]; then
			rm -rf "$PIN_DIR"
		else
			rm -f "$PIN_DIR/tg_stats"
		fi
		dm_start "$IF" --rate 5/second
		dm_running 30
		ok $? "  the next 'tidegate run' starts on it" || diag "$(grep -v libbpf "$DM_LOG" | tail -3)"
		grep -q "pinned again the maps of the running program" "$DM_LOG"
		ok $? "  saying it pinned the running program's maps again"
		dm_stop TERM
		is "$(state)" "xdp=yes pins=all" "  and leaves it attached with every map pinned"
		is "$(it_bucket "$SB_CLI_IP")" "$BUCKET" "  the client's bucket kept"
		clean || it_abort "detach left something behind: $(state)"
	done
}

test_count
test_orphan_adopted
test_every_kill_point
dm_log_clean
ok $? "no sanitizer report in the daemon's logs" || diag "$(grep -h -A5 Sanitizer "$IT_TMP"/daemon.*.log)"
done_testing
