/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gcra.h - GCRA on one word: the clocks, global budgets and a bucket's charge.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_GCRA_H
#define TG_GCRA_H

/* Retries of the bucket's compare-and-swap before giving up. Each retry
 * means another CPU admitted a SYN from the same source meanwhile. */
#define TG_CAS_TRIES 32

enum tg_verdict {
	TG_ADMIT,
	TG_DENY,
	TG_CONTENDED,
};

/* The limit a SYN is charged against: the interface's, a rule's or a
 * port group's. */
struct tg_limit {
	__u64 interval_ns;
	__u64 tolerance_ns;
};

/*
 * The limit of a port group (tg_ports' value): a group of its own's, or
 * the interface's for TG_PG_DEFAULT, and for a group the config does not
 * hold (none is pointed at before it is live: only a bug would).
 */
static __always_inline struct tg_limit port_limit(const struct tg_config *cfg, __u32 group)
{
	const struct tg_port_group *pg = &cfg->port_groups[group & (TG_PORT_GROUPS - 1)];

	if (group >= TG_PG_FIRST && group < TG_PORT_GROUPS && pg->interval_ns)
		return (struct tg_limit){ pg->interval_ns, pg->tolerance_ns };
	return (struct tg_limit){ cfg->interval_ns, cfg->tolerance_ns };
}

/* The group a bucket key carries for a port of group g: its own, or 0. */
static __always_inline __u32 key_group(__u32 g)
{
	return g >= TG_PG_FIRST && g < TG_PORT_GROUPS ? g : 0;
}

/*
 * One try at a global GCRA word's token: 1 taken, 0 none left, -1 lost
 * the compare-and-swap to another CPU (try again).
 */
static __always_inline int budget_try(__u64 *word, __u64 now, __u64 interval, __u64 tolerance)
{
	__u64 old = READ_ONCE(*word);
	__u64 tat = old > now ? old : now;

	if (tat - now > tolerance)
		return 0;
	return __sync_val_compare_and_swap(word, old, tat + interval) == old ? 1 : -1;
}

/*
 * budget_take's tries after the first, lost to another CPU: a global
 * function, so the verifier checks its loop once, not unrolled
 * TG_CAS_TRIES times on every path that takes from a budget.
 */
__noinline int tg_budget_retry(__u64 *word, __u64 now, __u64 interval, __u64 tolerance)
{
	int i, r;

	if (!word)
		return 0;
	for (i = 1; i < TG_CAS_TRIES; i++) {
		r = budget_try(word, now, interval, tolerance);
		if (r >= 0)
			return r;
	}
	return 0;
}

/*
 * One global GCRA word (the RST and log budgets): take a token, or say
 * there is none. Losing every race counts as none: a budget errs on
 * the side of sending less. The first try inline: the uncontended
 * case, all but always, pays no call.
 */
static __always_inline bool budget_take(__u64 *word, __u64 now, __u64 interval,
					__u64 tolerance)
{
	int r = budget_try(word, now, interval, tolerance);

	if (r >= 0)
		return r;
	return tg_budget_retry(word, now, interval, tolerance);
}

static __always_inline __u64 clock_ns(void)
{
	if (test_clock)
		return test_now_ns;
	return bpf_ktime_get_ns();
}

/*
 * The precise clock reads the TSC behind a serialising fence; on the
 * benchmark's VM that was more than half of what a dropped SYN cost
 * (BENCHMARKS.md). The coarse clock is a load of the time at the last
 * tick: never ahead of the precise one, and behind it by a tick or two,
 * a few more at worst (the kernel lets another CPU take over a tick
 * stalled for five). A bucket more than TG_COARSE_SLACK_NS beyond the
 * tolerance by the coarse clock is beyond it by the precise clock too,
 * so that SYN is denied without reading the latter: the same decision,
 * cheaper for the sources far over their limit, which is what a flood
 * at a low rate is. Every SYN nearer the edge is decided by the precise
 * clock. Were the coarse clock ever more than the slack behind, a SYN
 * could be denied that much early: the direction gcra_charge already
 * accepts from a clock that seems to go backwards, never one admitted
 * too many.
 */
#define TG_COARSE_SLACK_NS (250ULL * 1000 * 1000)

static __always_inline __u64 clock_coarse_ns(void)
{
	if (test_clock)
		return test_now_ns;
	return bpf_ktime_get_coarse_ns();
}

/*
 * Whether a clock reading now denies a SYN to a bucket with this tat
 * without gcra_charge's write: it owes more than margin beyond its
 * tolerance, and no more than the limit can owe at all (tolerance +
 * interval, see gcra_charge). A tat beyond that was left by an earlier,
 * slower limit; only gcra_charge caps it, so a denial here would keep
 * the source out for as long as the old debt lasted. No overflow:
 * tolerance + interval is under 2^62 (limits.h), and so is the clock
 * for the first 146 years of uptime; a tat under the tolerance makes
 * over wrap far above any interval.
 */
static __always_inline bool denies_beyond(__u64 tat, __u64 now, __u64 tolerance,
					  __u64 interval, __u64 margin)
{
	__u64 over = tat - (now + tolerance);

	return over > margin && over <= interval;
}

/*
 * Whether the coarse clock alone may deny: beyond the slack, so the
 * precise clock denies too. In the steady state a tat lies beyond the
 * cap by the coarse clock only in the tick after an admission, whose
 * SYNs then take the precise path to the same decision. charge_source
 * and the flood's fast path in tidegate_xdp both ask this, and only
 * this, where coarse_may_deny says it can be true.
 */
static __always_inline bool coarse_deny(__u64 tat, __u64 coarse, __u64 tolerance,
					__u64 interval)
{
	return denies_beyond(tat, coarse, tolerance, interval, TG_COARSE_SLACK_NS);
}

/* Whether the coarse clock could deny under this limit at all:
 * denies_beyond wants a debt beyond the slack and within an interval,
 * so under a limit whose interval is within the slack (4 a second or
 * faster) coarse_deny is never true, and the coarse clock is not read. */
static __always_inline bool coarse_may_deny(const struct tg_limit *lim)
{
	return lim->interval_ns > TG_COARSE_SLACK_NS;
}

/* gcra_try's denial by the precise clock, for a tat under the cap: the
 * same answer, with nothing to write. */
static __always_inline bool gcra_denies(__u64 tat, __u64 now, __u64 tolerance, __u64 interval)
{
	return denies_beyond(tat, now, tolerance, interval, 0);
}

/* How far beyond what the limit can owe a tat may lie before
 * gcra_charge caps it: more than clocks of two CPUs ever disagree by. */
#define TG_CAP_SLACK_NS (1000ULL * 1000)

/*
 * GCRA on one word: admit when the bucket's theoretical arrival time is
 * at most tolerance ahead of now, and move it one interval later. A
 * clock that seems to go backwards only makes tat look further ahead,
 * which can deny one SYN early but never admit one too many. Only
 * admitted SYNs move tat on: a dropped SYN costs its source nothing more.
 *
 * A limit changed live meets tats charged under the old one. Under the
 * current limit no bucket owes more than tolerance + interval (just
 * after a SYN admitted at the edge), so tat is taken as at most now +
 * tolerance + interval: a source a slower limit left a minute ahead is
 * served one new interval after its first SYN under a faster one, not a
 * minute later. That first SYN is denied all the same (the capped debt
 * is an interval over the tolerance) and writes the cap back, so the
 * source's next SYN one interval on is admitted and moves tat on from
 * there. The write only lowers tat, to a state the current limit can
 * reach by itself, from which it is exact: never more admitted than it
 * allows. In the steady state tat never lies beyond the cap, but by the
 * few ns or us this CPU's clock may read behind the one that admitted:
 * a tat less than TG_CAP_SLACK_NS beyond the cap is left alone, so such
 * a clock still only ever denies early, as above. A limit change whose
 * cap is that close keeps its debt: at most a millisecond longer.
 */
static __always_inline int gcra_try(struct tg_bucket *b, __u64 now, __u64 interval,
				    __u64 tolerance)
{
	__u64 old = READ_ONCE(b->tat_ns);
	__u64 tat = old > now ? old : now;

	if (tat - now > tolerance) {
		__u64 cap = now + tolerance + interval;

		/* Lost to another CPU's write: its SYN saw to it. */
		if (old > cap + TG_CAP_SLACK_NS)
			__sync_val_compare_and_swap(&b->tat_ns, old, cap);
		return TG_DENY;
	}
	if (__sync_val_compare_and_swap(&b->tat_ns, old, tat + interval) == old) {
		__sync_fetch_and_add(&b->admitted, 1);
		return TG_ADMIT;
	}
	return TG_CONTENDED;
}

/*
 * gcra_charge's tries after the first, lost to another CPU's admission
 * from the same source: a global function, so the verifier checks its
 * loop once, not unrolled TG_CAS_TRIES times on every path that charges.
 */
__noinline int tg_gcra_retry(struct tg_bucket *b, __u64 now, __u64 interval, __u64 tolerance,
			     struct tg_counters *cnt)
{
	int i, v;

	if (!b || !cnt)
		return TG_CONTENDED;
	for (i = 1; i < TG_CAS_TRIES; i++) {
		v = gcra_try(b, now, interval, tolerance);
		if (v != TG_CONTENDED)
			return v;
		cnt->cas_retry++;
	}
	return TG_CONTENDED;
}

static __always_inline int gcra_charge(struct tg_bucket *b, __u64 now,
				       const struct tg_limit *lim,
				       struct tg_counters *cnt)
{
	int v = gcra_try(b, now, lim->interval_ns, lim->tolerance_ns);

	if (v != TG_CONTENDED)
		return v;
	/* The first try inline: an uncontended SYN pays no call. */
	cnt->cas_retry++;
	return tg_gcra_retry(b, now, lim->interval_ns, lim->tolerance_ns, cnt);
}

#endif /* TG_GCRA_H */
