#!/usr/bin/env bash
# attach fails after the program is attached and its maps pinned (the
# pins cannot be opened again): it takes back both, so nothing stays
# half-attached, and a plain attach works right after. The failure is
# injected with a preloaded bpf_obj_get() that refuses tidegate's pins.
. "$(dirname "$0")/../lib/integration.sh"
it_setup
command -v cc >/dev/null || skip_all "no C compiler to build the fault injector"

SHIM=$IT_TMP/refuse-pins.so
cat >"$IT_TMP/refuse-pins.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

/* libbpf's bpf_obj_get(), but EACCES for anything under tidegate's pin
 * root (libxdp's own pins pass). */
int bpf_obj_get(const char *path)
{
	int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "bpf_obj_get");

	if (!strncmp(path, "/sys/fs/bpf/tidegate/", 21)) {
		errno = EACCES;
		return -1;
	}
	return real(path);
}
C
cc -shared -fPIC -o "$SHIM" "$IT_TMP/refuse-pins.c" -ldl ||
	it_abort "cannot build the fault injector"

test_undo() {
	# The sanitized build wants its runtime first; preloading the shim
	# too is fine once the check is off.
	OUT=$(sb_srv env LD_PRELOAD="$SHIM" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$SB_TIDEGATE" attach "$IF" --json 2>"$IT_TMP/stderr")
	RC=$?
	ERR=$(cat "$IT_TMP/stderr")
	is "$RC" 1 "attach whose pins cannot be reopened exits 1" || diag "  stderr: $ERR"
	[[ $ERR == *"reopening the pinned maps"*"detached the program and removed its pins"* ]]
	ok $? "  saying what failed and what it took back" || diag "  stderr: $ERR"
	! it_has_xdp "$IF"
	ok $? "  no XDP program is left on $IF" || diag "  $(sb_srv ip -j link show "$IF")"
	[ ! -e "$PIN_DIR" ]
	ok $? "  no pins are left at $PIN_DIR" || diag "  left: $(ls -A "$PIN_DIR" 2>&1)"
	is "$(it_listed "$IF")" "" "  status does not list $IF"
}

test_attach_after() {
	tg_ok "a plain attach works right after" attach "$IF" --json
	tg_ok "  and detach" detach "$IF" --json
}

test_undo
test_attach_after
done_testing
