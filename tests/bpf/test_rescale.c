// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rescale.c - a limit changed live hands no source fresh tokens:
 * user/rescale.c runs bpf/rescale.bpf.c on the real program's buckets
 * around the write of the new limit, with the test clock, and the real
 * XDP program then decides SYNs under the new limit. A drained source
 * stays drained, a full one full, a half-full one half full.
 */
#include "harness.h"
#include "pkt.h"
#include "rescale.h"

#define NOW_NS (5000ULL * TG_NSEC_PER_SEC)
#define MS     (1000ULL * 1000)

struct reconfigure {
	struct tg_harness *h;
	const char *rate;
	__u64 burst;
	__u32 watch;     /* a source (IPv4, host order) whose bucket is read */
	__u64 watch_tat; /* ...between the passes, as the new limit is written */
};

static int apply_limit(void *arg)
{
	struct reconfigure *r = arg;
	struct tg_source src = tg_source_v4(r->watch);
	struct tg_bucket b = { 0 };

	if (r->watch && !tg_bucket_get(r->h, &src, &b))
		r->watch_tat = b.tat_ns;
	return tg_configure(r->h, r->rate, r->burst, 32, 128, false);
}

static __u64 tat_of(struct tg_harness *h, __u32 addr)
{
	struct tg_source src = tg_source_v4(addr);
	struct tg_bucket b = { 0 };

	tg_bucket_get(h, &src, &b);
	return b.tat_ns;
}

/* From the limit in force to "to" burst tb at NOW_NS, through the real
 * two-pass change; res gets its counts. */
static int change(struct tg_harness *h, const char *to, __u64 tb, struct tg_rescale_result *res,
		  struct reconfigure *watched)
{
	struct tg_gcra old = { h->cfg.interval_ns, h->cfg.tolerance_ns }, new;
	struct reconfigure own = { h, to, tb, 0, 0 }, *rc = watched ? watched : &own;
	struct tg_config was = h->cfg;
	int err;

	/* What the new limit's config says, without writing it yet. */
	err = tg_configure(h, to, tb, 32, 128, false);
	if (err)
		return err;
	new = (struct tg_gcra){ h->cfg.interval_ns, h->cfg.tolerance_ns };
	err = tg_write_config(h, &was);
	if (err)
		return err;
	rc->h = h;
	rc->rate = to;
	rc->burst = tb;
	return tg_rescale_change(bpf_map__fd(h->skel->maps.tg_buckets),
				 bpf_map__fd(h->skel->maps.tg_config_gen), 0, 0, &old, &new, NOW_NS,
				 apply_limit, rc, res);
}

static void test_tighten(struct tg_harness *h)
{
	const __u32 drained = PKT_IP4(198, 18, 1, 1), half = PKT_IP4(198, 18, 1, 2);
	const __u32 full = PKT_IP4(198, 18, 1, 3);
	struct reconfigure rc = { .watch = drained };
	struct tg_rescale_result res;

	tg_set_clock(h, NOW_NS - 10 * TG_NSEC_PER_SEC);
	tg_configure(h, "100/second", 50, 32, 128, false);
	tap_is(tg_syns4(h, full, 1), 1, "tighten: a source sends one SYN, 10 s before");
	tg_set_clock(h, NOW_NS);
	tap_is(tg_syns4(h, drained, 60), 50, "tighten: 100/second burst 50: 50 of 60 SYNs pass");
	tap_is(tg_syns4(h, half, 25), 25, "tighten: another source spends half its bucket (25)");

	tap_is(change(h, "1/minute", 5, &res, &rc), 0,
	       "tighten to 1/minute burst 5, live");
	/* A debt that grows is raised before the new limit is written:
	 * no SYN between the two reads the old, smaller debt under it. */
	tap_is(rc.watch_tat, tat_of(h, drained),
	       "  the drained source's debt was raised before the new limit was written");
	tap_is(res.seen, 3, "  3 buckets of the default limit seen");
	tap_is(res.contended, 0, "  none left contended");

	tap_is(tg_syns4(h, drained, 5), 0, "  the drained source stays drained: 0 of 5 pass");
	tap_is(tg_syns4(h, half, 5), 2, "  the half-full one gets half of 5 (2 whole tokens)");
	tap_is(tg_syns4(h, full, 6), 5, "  the full one stays full: 5 of 6 pass");

	tg_set_clock(h, NOW_NS + 60 * TG_NSEC_PER_SEC);
	tap_is(tg_syns4(h, drained, 3), 1, "  a minute on, the drained source earns 1 token");
}

static void test_loosen(struct tg_harness *h)
{
	const __u32 drained = PKT_IP4(198, 18, 2, 1), full = PKT_IP4(198, 18, 2, 2);
	struct reconfigure rc = { .watch = drained };
	struct tg_rescale_result res;
	__u64 before;

	tg_buckets_clear(h);
	tg_set_clock(h, NOW_NS - 3600 * TG_NSEC_PER_SEC);
	tg_configure(h, "1/minute", 5, 32, 128, false);
	tap_is(tg_syns4(h, full, 1), 1, "loosen: a source sends one SYN an hour before");
	tg_set_clock(h, NOW_NS);
	tap_is(tg_syns4(h, drained, 8), 5, "loosen: 1/minute burst 5: 5 of 8 pass");

	before = tat_of(h, drained);
	tap_is(change(h, "100/second", 50, &res, &rc), 0,
	       "loosen to 100/second burst 50, live");
	/* A debt that shrinks is lowered only once the new limit is in
	 * force: before, the old limit would read it as fresh tokens. */
	tap_is(rc.watch_tat, before,
	       "  the drained source's debt was still the old one as the new limit was written");
	tap_is(tg_syns4(h, drained, 3), 0, "  the drained source gains no token from the change");
	tap_is(tg_syns4(h, full, 60), 5, "  the full one keeps its 5 tokens, not 50");
	tg_set_clock(h, NOW_NS + 10 * MS);
	tap_is(tg_syns4(h, drained, 3), 1, "  10 ms on, the drained source earns 1 (the new rate)");
}

/* Only the buckets of the changed limit move. */
static void test_other_rule_untouched(struct tg_harness *h)
{
	struct tg_gcra from = { 10 * MS, 490 * MS }, to = { 60000 * MS, 240000 * MS };
	struct tg_source src = tg_source_v4(PKT_IP4(198, 18, 3, 1));
	struct tg_rescale_result res;
	struct tg_bucket b0 = { 0 }, b1 = { 0 };
	struct reconfigure rc = { h, "100/second", 50, 0, 0 };

	tg_buckets_clear(h);
	tg_set_clock(h, NOW_NS);
	tg_configure(h, "100/second", 50, 32, 128, false);
	tg_syns4(h, PKT_IP4(198, 18, 3, 1), 60);
	tg_bucket_get(h, &src, &b0);
	tap_is(tg_rescale_change(bpf_map__fd(h->skel->maps.tg_buckets),
				 bpf_map__fd(h->skel->maps.tg_config_gen), 7, 0, &from, &to, NOW_NS,
				 apply_limit, &rc, &res),
	       0, "a change of rule 7's limit");
	tap_is(res.seen, 0, "  sees no bucket of rule 7");
	tg_bucket_get(h, &src, &b1);
	tap_is(b1.tat_ns, b0.tat_ns, "  and leaves the default limit's bucket alone");
}

/* The factor: the smaller of the interval's and the cap's ratio. */
static void test_factor(void)
{
	struct tg_gcra a = { 10 * MS, 490 * MS }, b = { 60000 * MS, 240000 * MS };

	/* 100/s b50 -> 1/min b5: intervals x6000, caps x600: the share. */
	tap_is(tg_rescale_factor(&a, &b), 600ULL << 32, "factor 100/s b50 -> 1/min b5 is 600");
	/* Back: intervals /6000, caps /600: the count. */
	tap_is(tg_rescale_factor(&b, &a), (1ULL << 32) / 6000 + 1,
	       "factor 1/min b5 -> 100/s b50 is 1/6000");
}

int main(void)
{
	struct tg_harness h;
	int err;

	tg_require_bpf();
	test_factor();
	err = tg_open(&h, 4096);
	if (!tap_ok(!err, "load the XDP program with the test clock"))
		return tap_done();
	if (tap_ok(!tg_set_port(&h, 80, true), "limit port 80")) {
		test_tighten(&h);
		test_loosen(&h);
		test_other_rule_untouched(&h);
	}
	tg_close(&h);
	return tap_done();
}
