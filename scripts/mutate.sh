#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# mutate.sh [NAME...] - how many small bugs in the data path the fast
# tests catch. Each mutant below is one sed edit of bpf/; it is applied
# to a copy of the tree (the tree itself is never touched), the BPF
# program and the fast tests (tests/bpf, tests/unit) are rebuilt, and
# the mutant is killed when a check that passes unmutated fails, or a
# test dies without its plan. Prints one TAP-like line per mutant, then
# the score. Needs root (the BPF tests load the program).
#
#   scripts/mutate.sh                 every mutant
#   scripts/mutate.sh cas-no-retry    just those named
#   MUTATE_KEEP=1 scripts/mutate.sh   keep the copy, to look at a survivor
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

# name | file | sed script: one small bug each, as a careless edit
# would make it. A mutant whose sed no longer changes its file is
# reported as stale: update its line when the code moves on.
MUTANTS='
cas-no-retry          | bpf/gcra.h         | s/^#define TG_CAS_TRIES [0-9]*/#define TG_CAS_TRIES 1/
ipv4-frag-mask        | bpf/parse.h        | s/^#define TG_IP_OFFSET 0x1FFF/#define TG_IP_OFFSET 0x0FFF/
ipv6-frag-mask        | bpf/parse.h        | s/^#define TG_IP6_OFFSET 0xFFF8/#define TG_IP6_OFFSET 0x7FF8/
ipv4-first-frag-lost  | bpf/parse.h        | s/\*first_frag = !!(ip->frag_off & bpf_htons(TG_IP_MF));/*first_frag = false;/
family-swapped        | bpf/verdict.h      | s/__u32 fam = v6 ? TG_FAM_V6 : TG_FAM_V4;/__u32 fam = v6 ? TG_FAM_V4 : TG_FAM_V6;/
gcra-edge-flipped     | bpf/gcra.h         | /gcra_charge(struct tg_bucket/,/^}/s/if (tat - now > lim->tolerance_ns)/if (tat - now >= lim->tolerance_ns)/
gcra-no-max           | bpf/gcra.h         | /gcra_charge(struct tg_bucket/,/^}/s/__u64 tat = old > now ? old : now;/__u64 tat = old;/
gcra-cap-no-slack     | bpf/gcra.h         | s/if (old > cap + TG_CAP_SLACK_NS)/if (old > cap)/
new-bucket-not-charged| bpf/bucket.h       | s/\.tat_ns = now + lim->interval_ns,/.tat_ns = now,/
coarse-deny-no-cap    | bpf/gcra.h         | s/return over > TG_COARSE_SLACK_NS \&\& over <= interval;/return over > TG_COARSE_SLACK_NS;/
budget-edge-flipped   | bpf/gcra.h         | /budget_take(__u64/,/^}/s/if (tat - now > tolerance)/if (tat - now >= tolerance)/
syn-ignores-ack       | bpf/parse.h        | s/(TG_TCP_SYN | TG_TCP_ACK | TG_TCP_RST)) == TG_TCP_SYN/(TG_TCP_SYN | TG_TCP_RST)) == TG_TCP_SYN/
syn-ignores-rst       | bpf/parse.h        | s/(TG_TCP_SYN | TG_TCP_ACK | TG_TCP_RST)) == TG_TCP_SYN/(TG_TCP_SYN | TG_TCP_ACK)) == TG_TCP_SYN/
padding-read-as-header| bpf/parse.h        | s/return p + n <= c->end \&\& p + n <= c->ip_end;/return p + n <= c->end;/
total-length-unchecked| bpf/parse.h        | s/if (tot < hlen)/if (tot < 20)/
jumbogram-unbounded   | bpf/parse.h        | s/if (plen || nexthdr != IPPROTO_HOPOPTS) {/if (plen) {/
gre-not-a-tunnel      | bpf/parse.h        | s/ || proto == IPPROTO_GRE;/;/
ihl-bound-off-by-one  | bpf/parse.h        | s/ip->ihl < 5/ip->ihl < 4/
doff-bound-off-by-one | bpf/parse.h        | s/th->doff < 5/th->doff < 4/
one-vlan-only         | bpf/parse.h        | s/^#define TG_MAX_VLANS   2/#define TG_MAX_VLANS   1/
ah-length-as-options  | bpf/parse.h        | s/c->pos += (oh->hdrlen + 2) \* 4;/c->pos += (oh->hdrlen + 1) * 8;/
v4mapped-accepted     | bpf/parse.h        | s/ip6->version != 6 || ipv6_v4mapped(&ip6->saddr)/ip6->version != 6/
port-value-ignored    | bpf/tidegate.bpf.c | s/if (!limited || !\*limited)/if (!limited)/
dry-run-drops         | bpf/tidegate.bpf.c | /limit_syn(struct xdp_md/,/^}/s/if (cfg->flags \& TG_F_DRY_RUN) {/if (0) {/
syn-not-counted       | bpf/verdict.h      | /count_verdict(__u64/,/^}/s/(\*syn)++;/;/
log-interval-edge     | bpf/verdict.h      | s/(__s64)(now - last) < (__s64)cfg->log_interval_ns/(__s64)(now - last) <= (__s64)cfg->log_interval_ns/
rst-to-group-mac      | bpf/rst.h          | s/(eth->h_dest\[0\] \& 1)/(eth->h_dest[0] \& 2)/
ban-ttl-ignored       | bpf/rules.h        | s/return rule->expires_ns \&\& clock_coarse_ns() >= rule->expires_ns;/return false;/
ban-ttl-edge-flipped  | bpf/rules.h        | s/clock_coarse_ns() >= rule->expires_ns;/clock_coarse_ns() > rule->expires_ns;/
ban-any-deny-rule     | bpf/rules.h        | s/ || !(rule->flags \& TG_RULE_F_ALL) ||/ ||/
ban-dry-run-drops     | bpf/rules.h        | /denied_all(const/,/^}/s/return !(cfg->flags \& TG_F_DRY_RUN);/return true;/
rescale-passes-swapped| bpf/rescale.bpf.c  | s/if (r->raise ? want <= debt : want >= debt)/if (r->raise ? want >= debt : want <= debt)/
rescale-every-rule    | bpf/rescale.bpf.c  | s/if (key->rule != r->rule)/if (0)/
rescale-debt-unclamped| bpf/rescale.bpf.c  | s/__u64 left = debt < r->old_cap_ns ? r->old_cap_ns - debt : 0;/__u64 left = r->old_cap_ns - debt;/
'

say() { printf '%s\n' "$*"; }
die() { say "mutate.sh: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "needs root: the BPF tests load the program"
WORK=$(mktemp -d /tmp/tidegate-mutate.XXXXXX) || die "mktemp failed"
cleanup() { [ -n "${MUTATE_KEEP:-}" ] && say "# the copy is kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The copy: every file git knows, as it is in the working tree now.
(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$WORK") || die "copying the tree failed"
mkdir -p "$WORK/.pristine"
(cd "$WORK" && cp --parents bpf/*.h bpf/*.c .pristine/)

# The BPF tests first, the likeliest to catch a bug in bpf/ the soonest.
TESTS() {
	local first="test_parse test_fuzz_datapath test_bucket test_rules test_rst" t
	for t in $first; do echo "$WORK/build/san/tests/bpf/$t"; done
	ls "$WORK"/build/san/tests/bpf/* "$WORK"/build/san/tests/unit/* 2>/dev/null |
		grep -vxF -f <(for t in $first; do echo "$WORK/build/san/tests/bpf/$t"; done)
}

# Build the program and the fast tests; the userspace objects are built
# once, and then taken as up to date: only the programs change. Those
# that carry a program (they include a skeleton, as rescale.c does) are
# built again with it.
build() {
	local keep=() o
	if [ "${1:-}" = again ]; then
		for o in "$WORK"/build/san/user/*.o; do
			o=${o##*/}
			grep -q 'skel\.h' "$WORK/user/${o%.o}.c" 2>/dev/null ||
				keep+=(-o "build/san/user/$o")
		done
	fi
	local srcs targets=()
	for srcs in "$WORK"/tests/bpf/*.c "$WORK"/tests/unit/*.c; do
		srcs=${srcs#"$WORK"/tests/}
		targets+=("build/san/tests/${srcs%.c}")
	done
	make -C "$WORK" -j"$JOBS" "${keep[@]}" "${targets[@]}" >"$WORK/build.log" 2>&1
}

# The checks of file $1 that the unmutated tree passes; with "solid",
# only those of tests that pass whole unmutated (a test with a failing
# check there may be timing-sensitive: a kill by it alone is weak).
new_failures() {
	if [ "${2:-}" = solid ]; then
		grep -vxF -f "$WORK/baseline" "$1" | grep -vF -f "$WORK/flaky"
	else
		grep -vxF -f "$WORK/baseline" "$1"
	fi
}

# Run the fast tests; write "binary: description" of each failed check
# (numbers dropped), and "binary: died" for a test without its plan. For
# a mutant, stop at the first test that solidly kills it, unless
# MUTATE_ALL is set: one is enough.
run_tests() {
	local t out name
	: >"$1"
	for t in $(TESTS); do
		name=${t#"$WORK"/build/san/tests/}
		out=$(cd "$WORK" && timeout "$TEST_TIMEOUT" "$t" 2>&1)
		grep -q '^1\.\.' <<<"$out" || say "$name: died" >>"$1"
		grep '^not ok' <<<"$out" | sed "s/^not ok [0-9]* - /$(sed 's/[\/&]/\\&/g' <<<"$name"): /" >>"$1"
		if [ "${2:-}" = mutant ] && [ -z "${MUTATE_ALL:-}" ] &&
		   [ -n "$(new_failures "$1" solid)" ]; then
			break
		fi
	done
}

say "# building the unmutated copy in $WORK"
build || { tail -20 "$WORK/build.log"; die "the unmutated tree does not build"; }
run_tests "$WORK/baseline"
sed 's/: .*//' "$WORK/baseline" | sort -u | sed 's/$/: /' >"$WORK/flaky"
if [ -s "$WORK/baseline" ]; then
	say "# failing unmutated (not counted against mutants; their tests kill only weakly):"
	sed 's/^/#   /' "$WORK/baseline"
fi

killed=0 weak=0 survived=0 stale=0 n=0
while IFS='|' read -r name file script; do
	name=$(echo $name) file=$(echo $file) script=${script# }
	[ -n "$name" ] || continue
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
	n=$((n + 1))
	sed -i -e "$script" "$WORK/$file"
	if cmp -s "$WORK/$file" "$WORK/.pristine/$file"; then
		stale=$((stale + 1))
		say "not ok $n - $name: STALE, its edit no longer applies to $file"
		continue
	fi
	if ! build again; then
		verdict="killed (does not build: $(grep -m1 -i 'error' "$WORK/build.log" | cut -c1-80))"
	else
		run_tests "$WORK/mutant" mutant
		caught=$(new_failures "$WORK/mutant" solid | head -3)
		verdict=
		if [ -n "$caught" ]; then
			verdict="killed by: $(paste -sd';' <<<"$caught" | cut -c1-160)"
		elif caught=$(new_failures "$WORK/mutant" | head -3) && [ -n "$caught" ]; then
			weak=$((weak + 1))
			verdict="killed WEAKLY, only by a test that fails unmutated too: $(paste -sd';' <<<"$caught" | cut -c1-120)"
		fi
	fi
	cp "$WORK/.pristine/$file" "$WORK/$file"
	if [ -n "$verdict" ]; then
		killed=$((killed + 1))
		say "ok $n - $name $verdict"
	else
		survived=$((survived + 1))
		say "not ok $n - $name SURVIVED"
	fi
done <<<"$MUTANTS"
# Leave the copy's program as it was, for MUTATE_KEEP.
build again >/dev/null 2>&1
say "1..$n"
say "# mutation score: $killed killed of $((killed + survived)) ($weak of them weakly; $survived survived, $stale stale)"
[ "$survived" -eq 0 ] && [ "$stale" -eq 0 ]
