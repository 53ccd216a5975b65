// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rule_filter.c - tg_rule_filter, the prefilter that spares a
 * source no rule covers the walk of the rule trie, never hides a rule:
 * a rule added applies to the very next SYN of a source that already
 * has a bucket (and takes the flood's fast path), a rule deleted stops
 * applying at once, the longest prefix still wins with more short
 * prefix lengths in use than the program probes one by one, and the
 * filter follows the rules exactly once they are gone.
 */
#include "xdp_env.h"

/* One SYN from src; its verdict. */
static int syn(struct env *e, bool v6, const char *src)
{
	struct fspec s = { .v6 = v6, .src = src, .seq = 1000 };
	__u8 frame[256];
	int len = fbuild(&s, frame);

	return env_run(e, frame, (__u32)len, NULL, NULL);
}

/* n SYNs from src, each with the verdict want: one check. */
static void syns(struct env *e, bool v6, const char *src, int n, int want, const char *what)
{
	int i, v, bad = 0;

	for (i = 0; i < n; i++) {
		v = syn(e, v6, src);
		if (v != want) {
			tap_diag("  SYN %d from %s: verdict %d, want %d", i + 1, src, v, want);
			bad++;
		}
	}
	tap_ok(!bad, "%s: %d SYN(s) from %s, verdict %s", what, n, src,
	       want == XDP_PASS ? "pass" : "drop");
}

static struct tg_rule_filter *filter_read(struct env *e)
{
	struct tg_rule_filter *f = malloc(sizeof(*f));
	__u32 zero = 0;

	if (f && bpf_map_lookup_elem(e->m.rfilter, &zero, f)) {
		free(f);
		return NULL;
	}
	return f;
}

/*
 * A source over the default limit by far (the fast path decides it in
 * tidegate_xdp, by the filter's word that no rule may cover it, and
 * then from its front slot, which is asked before the filter) gets a
 * rule: the next SYN follows the rule; the rule deleted, the next SYN
 * is the default limit's again. For each family, with other rules of
 * the same lengths loaded so the filter is not empty.
 */
static void test_live_change(bool v6)
{
	const char *fam = v6 ? "v6" : "v4";
	const char *src = v6 ? "2001:db8:5:7::1" : "198.18.5.7";
	const char *host = v6 ? "2001:db8:5:7::/64" : "198.18.5.7/32";
	const char *net = v6 ? "2001:db8:5::/48" : "198.18.5.0/24";
	const char *other = v6 ? "2001:db8:6::/48" : "198.18.6.0/24";
	const char *other_host = v6 ? "2001:db8:6:1::/64" : "198.18.6.1/32";
	const char *fresh = v6 ? "2001:db8:5:8::1" : "198.18.5.8";
	struct tg_counters before, after;
	char what[96];
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "%s live: load with 3/second burst 3", fam))
		return;
	tap_ok(env_rule(&e, other, "deny", NULL, 0, false, NULL) > 0 &&
	       env_rule(&e, other_host, "allow", NULL, 0, false, NULL) > 0,
	       "%s live: two rules elsewhere, of the lengths used below", fam);
	/* The burst, then far over: tat 1 1/3 s ahead, tolerance 2/3 s. */
	syns(&e, v6, src, 3, XDP_PASS, "live: the burst");
	/* Past the drops a bucket counts one by one: the source has a front
	 * slot (bpf/front.h), which the rule must void. */
	syns(&e, v6, src, 300, XDP_DROP, "live: over the default limit");

	tap_ok(env_rule(&e, host, "allow", NULL, 0, false, NULL) > 0, "%s live: allow %s", fam,
	       host);
	before = env_counters(&e);
	snprintf(what, sizeof(what), "%s live: the next SYN after the allow", fam);
	syns(&e, v6, src, 1, XDP_PASS, what);
	after = env_counters(&e);
	tap_is(after.rule_allow - before.rule_allow, 1, "%s live: counted in rule_allow", fam);
	tap_is(env_rule_del(&e, host), 0, "%s live: allow deleted", fam);
	snprintf(what, sizeof(what), "%s live: the next SYN after the delete", fam);
	syns(&e, v6, src, 1, XDP_DROP, what);

	/* A source under its limit, a deny on its network, and back. */
	syns(&e, v6, fresh, 1, XDP_PASS, "live: a fresh source's first SYN");
	tap_ok(env_rule(&e, net, "deny", NULL, 0, false, NULL) > 0, "%s live: deny %s", fam, net);
	snprintf(what, sizeof(what), "%s live: the next SYN after the deny", fam);
	syns(&e, v6, fresh, 1, XDP_DROP, what);
	before = after;
	after = env_counters(&e);
	tap_is(after.rule_deny - before.rule_deny, 1, "%s live: counted in rule_deny", fam);
	tap_is(env_rule_del(&e, net), 0, "%s live: deny deleted", fam);
	snprintf(what, sizeof(what), "%s live: the next SYN after the delete, under the limit",
		 fam);
	syns(&e, v6, fresh, 1, XDP_PASS, what);
	env_close(&e);
}

/*
 * Eight IPv6 prefix lengths shorter than the filter's cut (TG_RF_CUT6),
 * nested in 2001:db8::/33, deny and allow in turn; a lone /47 deny in
 * the other half of the /32, at a length the program does not probe
 * one by one (more than TG_RF_PROBES are in use), so its source is sent
 * to the trie only because lengths are left over; and a /64 deny filed
 * under its /48, with a neighbour /64 in the same /48 that no rule
 * covers. Each source gets the verdict of its longest prefix.
 */
static void test_many_lengths(void)
{
	static const struct {
		const char *cidr, *kind;
	} rules[] = {
		{ "2001:db8::/33", "deny" }, { "2001:db8::/34", "allow" },
		{ "2001:db8::/35", "deny" }, { "2001:db8::/36", "allow" },
		{ "2001:db8::/37", "deny" }, { "2001:db8::/38", "allow" },
		{ "2001:db8::/39", "deny" }, { "2001:db8::/40", "allow" },
		{ "2001:db8:8000::/47", "deny" }, { "2001:db8:9000:1::/64", "deny" },
	};
	static const struct {
		const char *src;
		int verdict;
	} steps[] = {
		{ "2001:db8::1", XDP_PASS },	    { "2001:db8:100::1", XDP_DROP },
		{ "2001:db8:200::1", XDP_PASS },    { "2001:db8:400::1", XDP_DROP },
		{ "2001:db8:800::1", XDP_PASS },    { "2001:db8:1000::1", XDP_DROP },
		{ "2001:db8:2000::1", XDP_PASS },   { "2001:db8:4000::1", XDP_DROP },
		{ "2001:db8:8000::1", XDP_DROP },   { "2001:db8:8002::1", XDP_PASS },
		{ "2001:db8:9000:1::5", XDP_DROP }, { "2001:db8:9000:2::5", XDP_PASS },
	};
	struct tg_rule_filter *f;
	__u64 lens = 0;
	size_t i;
	int bad = 0;
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "lengths: load"))
		return;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (env_rule(&e, rules[i].cidr, rules[i].kind, NULL, 0, false, NULL) <= 0)
			bad++;
	tap_ok(!bad, "lengths: 10 rules of 10 lengths added");
	for (i = 33; i <= 40; i++)
		lens |= 1ULL << i;
	f = filter_read(&e);
	tap_ok(f && f->lens[1] == (lens | 1ULL << 47) && !f->lens[0],
	       "lengths: the filter lists the 9 IPv6 lengths under /48, and no IPv4 one");
	free(f);
	for (bad = 0, i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int v = syn(&e, true, steps[i].src);

		if (v != steps[i].verdict) {
			tap_diag("  SYN from %s: verdict %d, want %d", steps[i].src, v,
				 steps[i].verdict);
			bad++;
		}
	}
	tap_ok(!bad, "lengths: %zu sources, each as its longest prefix says",
	       sizeof(steps) / sizeof(steps[0]));

	for (bad = 0, i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (env_rule_del(&e, rules[i].cidr))
			bad++;
	tap_ok(!bad, "lengths: every rule deleted");
	f = filter_read(&e);
	if (f) {
		struct tg_rule_filter zero;

		memset(&zero, 0, sizeof(zero));
		tap_ok(!memcmp(f, &zero, sizeof(zero)), "lengths: the filter is empty again");
	} else {
		tap_ok(0, "lengths: read the filter");
	}
	free(f);
	syns(&e, true, "2001:db8:8000::1", 1, XDP_PASS, "lengths: the lone /47's source, rule gone");
	env_close(&e);
}

/* A rule whose --ttl runs out stops applying in the data path, filter
 * bit and all, before anything deletes it. */
static void test_expiry(void)
{
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "expiry: load"))
		return;
	tap_ok(env_rule(&e, "198.18.9.0/24", "deny", NULL, 0, false, NULL) > 0,
	       "expiry: deny 198.18.9.0/24");
	syns(&e, false, "198.18.9.1", 1, XDP_DROP, "expiry: denied while in force");
	tap_is(env_rule_expire_at(&e, "198.18.9.0/24", T0 + SEC_NS), 0,
	       "expiry: the rule expires at T0 + 1 s");
	env_clock(&e, T0 + 2 * SEC_NS);
	syns(&e, false, "198.18.9.1", 1, XDP_PASS, "expiry: passed once it ran out");
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_live_change(false);
	test_live_change(true);
	test_many_lengths();
	test_expiry();
	return tap_done();
}
