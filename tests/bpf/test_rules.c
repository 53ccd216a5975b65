// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rules.c - allow, deny and limit rules in the real XDP program:
 * the longest prefix wins, for IPv4 and IPv6; shared and per-source
 * buckets; the flags that keep rule lookups off the default path; dry
 * run; and that an IPv6 ::/0 never covers IPv4.
 */
#include "xdp_env.h"

struct step {
	const char *src;
	int verdict; /* XDP_PASS or XDP_DROP */
};

/* Send one SYN from each step's source, in order, at the same instant. */
static void run_steps(struct env *e, bool v6, const struct step *steps, int n, const char *what)
{
	__u8 frame[256];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		struct fspec s = { .v6 = v6, .src = steps[i].src, .seq = 1000 };
		int len = fbuild(&s, frame), v;

		v = env_run(e, frame, (__u32)len, NULL, NULL);
		if (v != steps[i].verdict) {
			tap_diag("  step %d, SYN from %s: verdict %d, want %d", i, steps[i].src, v,
				 steps[i].verdict);
			bad++;
		}
	}
	tap_ok(!bad, "%s: %d SYNs, each verdict as the longest prefix says", what, n);
}

static int bucket_get(struct env *e, const char *addr, __u32 rule, struct tg_bucket *b)
{
	struct tg_source k = { .rule = rule };
	__u8 a[16];

	if (inet_pton(AF_INET, addr, a) == 1) {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		memcpy(k.addr + 12, a, 4);
	} else if (inet_pton(AF_INET6, addr, k.addr) != 1) {
		return -EINVAL;
	}
	return bpf_map_lookup_elem(e->m.buckets, &k, b) ? -errno : 0;
}

static void test_precedence_v4(void)
{
	struct tg_counters before, want = { 0 };
	struct tg_bucket b;
	int deny, allow, lim, shared;
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "v4: load with 3/second burst 3"))
		return;
	tap_is(env_config(&e).flags & (TG_F_RULES | TG_F_FLOWS), 0, "v4: no rules: no rule flag");
	deny = env_rule(&e, "198.51.100.0/24", "deny", NULL, 0, false, NULL);
	allow = env_rule(&e, "198.51.100.128/25", "allow", NULL, 0, false, NULL);
	lim = env_rule(&e, "198.51.100.200/32", "limit", "1/second", 1, false, NULL);
	shared = env_rule(&e, "203.0.113.0/24", "limit", "2/second", 2, true, NULL);
	tap_ok(deny > 0 && allow > deny && lim > allow && shared > lim,
	       "v4: four rules added, ids rising (%d %d %d %d)", deny, allow, lim, shared);
	tap_is(env_config(&e).flags & TG_F_RULES, TG_F_RULES, "v4: rules set the rule flag");

	before = env_counters(&e);
	{
		const struct step steps[] = {
			/* /24 deny */
			{ "198.51.100.7", XDP_DROP },
			{ "198.51.100.7", XDP_DROP },
			/* /25 allow inside the /24 deny: never limited */
			{ "198.51.100.130", XDP_PASS }, { "198.51.100.130", XDP_PASS },
			{ "198.51.100.130", XDP_PASS }, { "198.51.100.130", XDP_PASS },
			{ "198.51.100.130", XDP_PASS },
			/* /32 limit 1 inside the allow inside the deny */
			{ "198.51.100.200", XDP_PASS },
			{ "198.51.100.200", XDP_DROP },
			/* a shared /24 of 2: two sources share it */
			{ "203.0.113.1", XDP_PASS },
			{ "203.0.113.2", XDP_PASS },
			{ "203.0.113.3", XDP_DROP },
			{ "203.0.113.1", XDP_DROP },
			/* no rule: the default limit, 3 */
			{ "192.0.2.9", XDP_PASS }, { "192.0.2.9", XDP_PASS },
			{ "192.0.2.9", XDP_PASS }, { "192.0.2.9", XDP_DROP },
		};

		run_steps(&e, false, steps, sizeof(steps) / sizeof(steps[0]), "v4 precedence");
	}
	want.packets = 17;
	want.syn = 17;
	want.allowed = 5 + 1 + 2 + 3;
	want.dropped = 2 + 1 + 2 + 1;
	want.act_drop = want.dropped;
	want.rule_deny = 2;
	want.rule_allow = 5;
	want.rule_limit = 2 + 4;
	/* buckets: the denied source, the /32, the shared /24, 192.0.2.9 */
	want.new_source = 4;
	want.log_emitted = 4; /* each bucket's first drop */
	env_moved(&e, &before, &want, "v4 precedence");

	tap_is(bucket_get(&e, "203.0.113.0", (__u32)shared, &b), 0,
	       "v4: the shared bucket is keyed by the /24's network and the rule id");
	tap_is(b.admitted, 2, "  it admitted 2");
	tap_is(b.dropped, 2, "  and counts 2 drops");
	tap_is(bucket_get(&e, "203.0.113.1", (__u32)shared, &b), -ENOENT,
	       "  no per-source bucket under a shared rule");
	tap_is(bucket_get(&e, "198.51.100.7", (__u32)deny, &b), 0,
	       "v4: the denied source has a bucket for its drops");
	tap_is(b.dropped, 2, "  with 2 drops");
	tap_is(b.admitted, 0, "  and nothing admitted");
	tap_is(bucket_get(&e, "192.0.2.9", 0, &b), 0, "v4: a source with no rule: rule 0");
	tap_is(bucket_get(&e, "198.51.100.130", (__u32)allow, &b), -ENOENT,
	       "v4: allowed sources take no bucket");

	/* Delete the deny: its sources fall to the default limit. */
	tap_is(env_rule_del(&e, "198.51.100.0/24"), 0, "v4: rule del /24");
	before = env_counters(&e);
	{
		const struct step steps[] = {
			{ "198.51.100.7", XDP_PASS }, { "198.51.100.7", XDP_PASS },
			{ "198.51.100.7", XDP_PASS }, { "198.51.100.7", XDP_DROP },
			{ "198.51.100.130", XDP_PASS },
		};

		run_steps(&e, false, steps, 5, "v4 after the deny is gone");
	}
	tap_is(env_rule_del(&e, "198.51.100.0/24"), -ENOENT, "v4: deleting it again: ENOENT");
	tap_is(env_rule_del(&e, "198.51.100.128/25"), 0, "v4: rule del /25");
	tap_is(env_rule_del(&e, "198.51.100.200/32"), 0, "v4: rule del /32");
	tap_is(env_rule_del(&e, "203.0.113.0/24"), 0, "v4: rule del shared /24");
	tap_is(env_config(&e).flags & TG_F_RULES, 0, "v4: the last rule gone clears the rule flag");
	tap_is(env_rule(&e, "198.51.100.0/24", "allow", NULL, 0, false, NULL), shared + 1,
	       "v4: a new rule gets a new id, never a reused one");
	env_close(&e);
}

static void test_precedence_v6(void)
{
	struct tg_counters before, want = { 0 };
	struct tg_bucket b;
	int shared;
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "v6: load with 3/second burst 3"))
		return;
	env_rule(&e, "2001:db8:100::/48", "deny", NULL, 0, false, NULL);
	env_rule(&e, "2001:db8:100:1::/64", "allow", NULL, 0, false, NULL);
	env_rule(&e, "2001:db8:100:1::5/128", "limit", "1/second", 1, false, NULL);
	shared = env_rule(&e, "2001:db8:200::/48", "limit", "2/second", 2, true, NULL);
	tap_ok(shared == 4, "v6: four rules added");

	before = env_counters(&e);
	{
		const struct step steps[] = {
			{ "2001:db8:100:7::1", XDP_DROP },
			{ "2001:db8:100:1::9", XDP_PASS }, { "2001:db8:100:1::9", XDP_PASS },
			{ "2001:db8:100:1::9", XDP_PASS }, { "2001:db8:100:1::9", XDP_PASS },
			{ "2001:db8:100:1::5", XDP_PASS },
			{ "2001:db8:100:1::5", XDP_DROP },
			{ "2001:db8:200:1::1", XDP_PASS },
			{ "2001:db8:200:ffff::2", XDP_PASS },
			{ "2001:db8:200:5::3", XDP_DROP },
			{ "2001:db8:300::1", XDP_PASS }, { "2001:db8:300::2", XDP_PASS },
			{ "2001:db8:300::3", XDP_PASS }, /* the same /64: one bucket */
			{ "2001:db8:300::4", XDP_DROP },
		};

		run_steps(&e, true, steps, sizeof(steps) / sizeof(steps[0]), "v6 precedence");
	}
	want.packets = 14;
	want.syn = 14;
	want.allowed = 4 + 1 + 2 + 3;
	want.dropped = 1 + 1 + 1 + 1;
	want.act_drop = 4;
	want.rule_deny = 1;
	want.rule_allow = 4;
	want.rule_limit = 2 + 3;
	want.new_source = 4;
	want.log_emitted = 4;
	env_moved(&e, &before, &want, "v6 precedence");
	tap_is(bucket_get(&e, "2001:db8:200::", (__u32)shared, &b), 0,
	       "v6: the shared bucket is keyed by the /48 and the rule id");
	tap_is(b.dropped, 1, "  with its one drop");
	env_close(&e);
}

/* An IPv6 ::/0 is all of IPv6, and no IPv4; 0.0.0.0/0 all of IPv4. */
static void test_families_apart(void)
{
	struct env e;

	if (!tap_ok(!env_open(&e, "100/second", 100), "families: load"))
		return;
	env_rule(&e, "::/0", "deny", NULL, 0, false, NULL);
	{
		const struct step v4[] = { { "192.0.2.1", XDP_PASS } };
		const struct step v6[] = { { "2001:db8::77", XDP_DROP } };

		run_steps(&e, false, v4, 1, "::/0 deny leaves IPv4 alone");
		run_steps(&e, true, v6, 1, "::/0 deny covers IPv6");
	}
	env_rule(&e, "0.0.0.0/0", "deny", NULL, 0, false, NULL);
	{
		const struct step v4[] = { { "192.0.2.1", XDP_DROP } };

		run_steps(&e, false, v4, 1, "0.0.0.0/0 deny covers IPv4");
	}
	env_close(&e);
}

/*
 * Per-source buckets under a limit rule are apart from the default
 * ones: a source spent under the default limit starts afresh under a
 * new rule, and its default bucket is still there when the rule goes.
 */
static void test_rule_buckets_apart(void)
{
	struct tg_bucket b;
	int id;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/second", 1), "apart: load with 1/second burst 1"))
		return;
	{
		const struct step s[] = { { "192.0.2.5", XDP_PASS }, { "192.0.2.5", XDP_DROP } };

		run_steps(&e, false, s, 2, "apart: the default bucket spent");
	}
	id = env_rule(&e, "192.0.2.0/24", "limit", "2/second", 2, false, NULL);
	{
		const struct step s[] = { { "192.0.2.5", XDP_PASS }, { "192.0.2.5", XDP_PASS },
					  { "192.0.2.5", XDP_DROP } };

		run_steps(&e, false, s, 3, "apart: a new limit rule, a bucket of its own");
	}
	tap_is(bucket_get(&e, "192.0.2.5", (__u32)id, &b), 0, "apart: keyed by source and rule");
	tap_is(b.admitted, 2, "  it admitted 2");
	env_rule_del(&e, "192.0.2.0/24");
	{
		const struct step s[] = { { "192.0.2.5", XDP_DROP } };

		run_steps(&e, false, s, 1, "apart: rule gone, the spent default bucket again");
	}
	env_close(&e);
}

/* In dry run a deny drops nothing, counts would_drop, and the rule. */
static void test_dry_run(void)
{
	struct tg_counters before, want = { 0 };
	struct tg_limits l;
	struct env e;

	if (!tap_ok(!env_open(&e, "100/second", 100), "dry run: load"))
		return;
	l = e.lim;
	l.dry_run = true;
	env_limits(&e, &l);
	env_rule(&e, "192.0.2.0/24", "deny", NULL, 0, false, "rst");
	before = env_counters(&e);
	{
		const struct step s[] = { { "192.0.2.1", XDP_PASS }, { "192.0.2.1", XDP_PASS } };

		run_steps(&e, false, s, 2, "dry run: denied SYNs pass");
	}
	want.packets = want.syn = 2;
	want.would_drop = 2;
	want.rule_deny = 2;
	want.new_source = 1;
	want.log_emitted = 1;
	env_moved(&e, &before, &want, "dry run deny");
	env_close(&e);
}

/* set keeps the rule flags: rewriting the config must not hide rules. */
static void test_set_keeps_flags(void)
{
	struct tg_limits l;
	struct env e;

	if (!tap_ok(!env_open(&e, "100/second", 100), "set: load"))
		return;
	env_rule(&e, "192.0.2.0/24", "deny", NULL, 0, false, NULL);
	l = e.lim;
	tg_rate_parse("50/second", &l.rate, (char[64]){ 0 }, 64);
	tap_is(env_limits(&e, &l), 0, "set: a new rate written");
	tap_is(env_config(&e).flags & TG_F_RULES, TG_F_RULES, "set: the rule flag survives");
	tap_is(env_config(&e).rule_seq, 1, "set: the rule sequence survives");
	env_close(&e);
}

/*
 * A bucket's drop count: exact for the first 256, then sampled (so a
 * flood does not write its bucket on every SYN) and within a few
 * percent, for one source and for sixteen sources in rotation.
 */
static void test_drop_counts(void)
{
	static __u8 frames[16][256];
	int lens[16], i, r, worst = 0;
	struct tg_bucket b;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "drop counts: load"))
		return;
	for (i = 0; i < 16; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 9000 };

		snprintf(src, sizeof(src), "192.0.2.%d", 10 + i);
		lens[i] = fbuild(&s, frames[i]);
		env_run(&e, frames[i], (__u32)lens[i], NULL, NULL); /* the burst */
	}
	env_run_n(&e, frames[0], (__u32)lens[0], 256);
	bucket_get(&e, "192.0.2.10", 0, &b);
	tap_is(b.dropped, 256, "drop counts: 256 drops counted exactly");
	env_run_n(&e, frames[0], (__u32)lens[0], 200000 - 256);
	bucket_get(&e, "192.0.2.10", 0, &b);
	tap_ok(b.dropped > 190000 && b.dropped < 210000,
	       "drop counts: 200000 drops of one source counted within 5%% (%llu)",
	       (unsigned long long)b.dropped);
	/* Sixteen sources in strict rotation: no source is favoured. */
	for (r = 0; r < 4000; r++)
		for (i = 1; i < 16; i++)
			env_run(&e, frames[i], (__u32)lens[i], NULL, NULL);
	for (i = 1; i < 16; i++) {
		char src[32];
		int err;

		snprintf(src, sizeof(src), "192.0.2.%d", 10 + i);
		bucket_get(&e, src, 0, &b);
		err = (int)((b.dropped > 4000 ? b.dropped - 4000 : 4000 - b.dropped) * 100 / 4000);
		if (err > worst)
			worst = err;
	}
	tap_ok(worst <= 20, "drop counts: 15 sources in rotation, 4000 drops each, "
	       "each counted within 20%% (worst %d%%)", worst);
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_precedence_v4();
	test_precedence_v6();
	test_families_apart();
	test_rule_buckets_apart();
	test_dry_run();
	test_set_keeps_flags();
	test_drop_counts();
	return tap_done();
}
