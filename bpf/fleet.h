/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fleet.h - fleet mode in the data path: the fleet's view first, then
 * this machine's share of the limit (tidegate.h: struct tg_floor).
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 *
 * Outside a fleet (tg_fleet.size 0) a SYN pays one array lookup, which
 * the verifier inlines to a few instructions, and nothing else.
 */
#ifndef TG_BPF_FLEET_H
#define TG_BPF_FLEET_H

#include "shard.h"

/* Unpushed admissions past this are as many: the floor already denies. */
#define TG_FLEET_UNPUSHED_MAX (1ULL << 20)

/* The fleet's state when this machine is in one, else NULL. */
static __always_inline const struct tg_fleet *fleet_on(void)
{
	__u32 zero = 0;
	struct tg_fleet *f = bpf_map_lookup_elem(&tg_fleet, &zero);

	return f && READ_ONCE(f->size) ? f : NULL;
}

/*
 * Whether the fleet's view denies the SYN: the TAT Redis last answered,
 * plus what this machine admitted since the snapshot that TAT includes,
 * beyond the limit's whole tolerance. b may be NULL (a source this
 * machine never saw: only the others' admissions count). A bucket
 * admitted fewer than mark was evicted and made again: none unpushed.
 */
static __always_inline bool fleet_denies(const struct tg_source *src, const struct tg_bucket *b,
					 const struct tg_limit *lim, __u64 now)
{
	struct tg_floor *f = bpf_map_lookup_elem(&tg_floor, src);
	__u64 tat, mark, unpushed = 0;

	if (!f)
		return false;
	tat = READ_ONCE(f->tat_ns);
	mark = READ_ONCE(f->mark);
	if (b) {
		__u64 adm = READ_ONCE(b->admitted);

		unpushed = adm > mark ? adm - mark : 0;
	}
	if (unpushed > TG_FLEET_UNPUSHED_MAX)
		unpushed = TG_FLEET_UNPUSHED_MAX;
	return tat + unpushed * lim->interval_ns > now + lim->tolerance_ns;
}

/*
 * The local burst: ceil(k * b / N) SYNs (at least 1, at most b) of
 * interval iv, as a tolerance.
 */
static __always_inline __u64 fleet_tolerance(const struct tg_fleet *fl, const struct tg_limit *lim,
					     __u64 n, __u64 iv)
{
	__u64 k = READ_ONCE(fl->burst_k), burst = lim->tolerance_ns / lim->interval_ns + 1, loc;

	loc = (k * burst + n - 1) / n;
	if (loc > burst)
		loc = burst;
	if (loc < 1)
		loc = 1;
	return (loc - 1) * iv;
}

/*
 * This machine's share of a limit: the burst cut to ceil(k * b / N)
 * (at least 1, at most b), and while Redis is away (fallback_h), or the
 * Redis Cluster master of the source's shard is (shard_h), the rate cut
 * to r * h / N (never above r), so N machines that cannot see each other
 * admit about h times the limit between them, not N times.
 */
static __always_inline void fleet_share(const struct tg_fleet *fl, const struct tg_source *src,
					struct tg_limit *lim)
{
	__u64 n = READ_ONCE(fl->size), h = READ_ONCE(fl->fallback_h);
	__u64 iv = lim->interval_ns;

	if (!iv || !n)
		return;
	if (!h && READ_ONCE(fl->shard_h) && tg_shard_bit(fl->shards_away, tg_source_shard(src)))
		h = READ_ONCE(fl->shard_h);
	if (h && n > h)
		iv = iv * n / h;
	lim->tolerance_ns = fleet_tolerance(fl, lim, n, iv);
	lim->interval_ns = iv;
}

/*
 * The limit the entry point's fast path may deny by: the limit itself
 * outside a fleet, the local share while the fleet is whole (the
 * limit's rate, the burst cut, so what the share denies by the bucket
 * alone); false while Redis or a master is away, when the share's
 * tolerance may exceed the limit's (the rate is cut, the burst's count
 * is not) and tg_decide decides every SYN. The daemon voids
 * the front slots when the share changes so that it could admit what
 * a slot denies (user/fleet.c), a grace period after it writes it.
 */
static __always_inline bool fleet_fast_limit(struct tg_limit *lim)
{
	const struct tg_fleet *fl = fleet_on();

	if (!fl)
		return true;
	if (READ_ONCE(fl->fallback_h) || READ_ONCE(fl->shard_h))
		return false;
	if (lim->interval_ns)
		lim->tolerance_ns = fleet_tolerance(fl, lim, READ_ONCE(fl->size), lim->interval_ns);
	return true;
}

#endif /* TG_BPF_FLEET_H */
