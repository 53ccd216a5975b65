/* SPDX-License-Identifier: GPL-2.0 */
/*
 * front.h - the flood's front cache: a source the fast path denied is
 * denied again, for a while, without the hash map.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 *
 * A source over its limit is denied until its bucket conforms again,
 * and no SYN moves its tat before then: only an admitted SYN does, and
 * none is. Its quiet (no drop log line due) holds as long: until its
 * log interval ends, or until the log budget has a token again, which
 * no CPU can take earlier. So the fast path's decision holds, unchanged,
 * until a time it can compute once; this CPU keeps it in a slot of
 * tg_front (tidegate.h) keyed by the source, and the source's next SYNs
 * are dropped from that slot. The hash map's jhash, bucket walk and key
 * compare are what a dropped SYN saved. A source far over its limit
 * (beyond the coarse clock's slack, gcra.h) gets a slot whose time is
 * in jiffies, which costs no clock at all; one nearer the edge, where
 * a flood at any limit of 4 a second or faster always is, a slot that
 * ends at the exact nanosecond, by the precise clock (front_fill).
 *
 * What could make the slot wrong is void by the slot's own stamps: a
 * config written since (a limit, the action, dry run, the log, a port
 * group's limit) moves the config generation; a bucket lowered by
 * anything but a SYN (a limit changed live, bpf/rescale.bpf.c) moves
 * the front epoch (tg_config_gen[TG_GEN_FRONT]), and so does the daemon
 * when a fleet's share of the limit (bpf/fleet.h) changes so that it
 * could admit what a slot denies, once every packet that read the old
 * share has returned (user/fleet.c, tg_front_void). A rule that may
 * cover the source is asked before the slot is. A bucket the LRU evicts
 * stays denied from the slot for what is left of TG_FRONT_TTL_NS,
 * stricter than the table, never looser.
 *
 * The bucket's drop count moves as count_drop moves it: the slot is
 * filled only past the exact drops, and a SYN count_drop would take to
 * count a step is never dropped from the slot but goes to the bucket;
 * the step only grows with the count, so the slot's (taken when filled)
 * takes every SYN the bucket's own would.
 */
#ifndef TG_FRONT_H
#define TG_FRONT_H

/*
 * Now, in ticks: a slot's time is kept in jiffies because the verifier
 * turns bpf_jiffies64() into a load, where the coarse clock's helper is
 * a call, and on a kernel that sends every return through a
 * safe-return thunk (SRSO) a call was a third of a dropped SYN's time
 * (BENCHMARKS.md, "The front cache"). A tick is counted as the longest
 * any kernel has, TG_FRONT_TICK_NS (HZ 100), so a slot never outlives
 * its time whatever the kernel's HZ; a faster tick only ends it sooner.
 * With the test clock, ticks of that length.
 */
static __always_inline __u64 front_ticks(void)
{
	if (test_clock)
		return test_now_ns / TG_FRONT_TICK_NS;
	return bpf_jiffies64();
}

/* Whether the config lets the fast path drop quietly at all: the drop
 * action, enforcing. (Whether a rule may cover the source is the
 * caller's to ask.) */
static __always_inline bool front_quick(const struct tg_config *cfg)
{
	return !(cfg->flags & TG_F_DRY_RUN) && cfg->action == TG_ACT_DROP;
}

/* This CPU's slot for a source. */
static __always_inline struct tg_front_slot *front_slot(const struct tg_source *src)
{
	const __u32 *k = (const __u32 *)src;
	__u32 zero = 0, h;
	struct tg_front *fr;

	/* The lookup first: key words read before it would be spilled
	 * across the call, into the entry point's stack. */
	fr = bpf_map_lookup_elem(&tg_front, &zero);
	if (!fr)
		return NULL;
	h = (k[0] ^ k[1] ^ k[2] ^ k[3] ^ k[4]) * TG_GOLDEN32;
	return &fr->slot[h >> (32 - TG_FRONT_BITS)];
}

/* The front epoch (TG_GEN_FRONT): odd while a live limit change lowers
 * buckets, when no slot is filled. Read before the bucket a slot is
 * filled from: a slot filled from a tat read after a lowering began
 * carries a later epoch. (Read, then the tat, in that order: the
 * order of the loads is the CPU's, which x86 keeps.) */
static __always_inline __u32 front_epoch(void)
{
	__u32 key = TG_GEN_FRONT, *epoch = bpf_map_lookup_elem(&tg_config_gen, &key);

	return epoch ? READ_ONCE(*epoch) : 0;
}

/* Whether the slot is another source's (nonzero): by words, no branch. */
static __always_inline __u32 front_other(const struct tg_front_slot *fs,
					 const struct tg_source *src)
{
	const __u32 *a = (const __u32 *)&fs->src, *k = (const __u32 *)src;

	return (a[0] ^ k[0]) | (a[1] ^ k[1]) | (a[2] ^ k[2]) | (a[3] ^ k[3]) | (a[4] ^ k[4]);
}

/* Whether the slot was filled under another config or epoch: void. */
static __always_inline __u32 front_stale(const struct tg_front_slot *fs, __u32 gen, __u32 epoch)
{
	return (fs->config_gen ^ gen) | (fs->epoch ^ epoch);
}

/* Whether the slot still stands at this time, read on the slot's own
 * clock: jiffies for a far slot, the precise clock's ns for a precise
 * one (the caller reads only that one). */
static __always_inline bool front_live(const struct tg_front_slot *fs, __u64 at)
{
	return at < fs->until;
}

/*
 * Whether the slot denies this SYN quietly, as the fast path would: the
 * same source, config and epoch, before the slot's time, and not the
 * SYN count_drop would take. Counts what the fast path counts beyond
 * count_syn: a line the spent log budget kept back. A precise slot has
 * the precise clock read; its time is not kept for the caller, which
 * would hold it across the bucket's lookup on a stack with no room:
 * that read is made twice only for the SYN that finds a slot ended (at
 * its bucket's conformance, its TTL or its quiet's end), about once per
 * conformance on each CPU the source's SYNs come to.
 */
static __always_inline bool front_denies(const struct tg_front_slot *fs,
					 const struct tg_source *src, __u32 gen, __u32 epoch,
					 struct tg_counters *cnt)
{
	if (!fs || front_other(fs, src) || front_stale(fs, gen, epoch) ||
	    !front_live(fs, fs->precise ? clock_ns() : front_ticks()))
		return false;
	if (drop_sampled(cnt, fs->drop_shift))
		return false;
	if (fs->log_budget)
		cnt->log_budget_exceeded++;
	return true;
}

/*
 * Keep the fast path's quiet denial of a source, decided at now (by
 * either clock), in its slot: until its bucket b conforms again, its
 * quiet ends (quiet_until), or TG_FRONT_TTL_NS, whichever is first. Not
 * while the bucket counts its drops one by one, nor while a lowering is
 * under way. The epoch, then b's tat, are read here, not kept from the
 * decision (the entry point's stack is short), and the tat must still
 * deny: a lowering since is either in the tat read or voids the slot by
 * the epoch read before it.
 *
 * Two kinds of slot:
 *  - far: while the bucket is beyond the coarse clock's slack, for two
 *    ticks at least, in whole ticks less one (jiffies and the coarse
 *    clock move at the same tick, but the two are not read at one
 *    instant). Its check reads no clock, only jiffies.
 *  - precise, for anything shorter: until the exact time the bucket
 *    conforms, which its check reads the precise clock to compare
 *    (front_live), whatever clock now is from (either is never ahead of
 *    the precise clock, so it only shortens the slot). A flood at any
 *    limit of one SYN per TG_COARSE_SLACK_NS or faster (the default's
 *    100 a second among them) lives within the slack, where only these
 *    stand in for the hash map.
 */
static __always_inline void front_fill(struct tg_front_slot *fs, const struct tg_source *src,
				       __u32 gen, __u64 now, struct tg_bucket *b,
				       const struct tg_limit *lim, __u64 quiet_until,
				       bool log_budget)
{
	__u32 epoch = front_epoch();
	__u64 tat = READ_ONCE(b->tat_ns), dropped = READ_ONCE(b->dropped);
	__u64 conforms = tat - lim->tolerance_ns, until = conforms, far, ticks;
	bool precise;

	/* tat against now + tolerance, not conforms against now: a tat
	 * under the tolerance would wrap conforms. */
	if (!fs || (epoch & 1) || dropped < TG_DROPS_EXACT || tat <= now + lim->tolerance_ns)
		return;
	if (until > now + TG_FRONT_TTL_NS)
		until = now + TG_FRONT_TTL_NS;
	if (until > quiet_until)
		until = quiet_until;
	if (until <= now)
		return;
	precise = conforms < now + TG_COARSE_SLACK_NS + 2 * TG_FRONT_TICK_NS ||
		  until < now + 2 * TG_FRONT_TICK_NS;
	/* A slot another source holds, still live, stays its own: with more
	 * flooding sources than slots, each would otherwise take the slot of
	 * another before either came back, and none would be found. (A
	 * precise one is judged by now, which may find it live for a tick
	 * after its end.) */
	ticks = front_ticks();
	if (front_other(fs, src) && !front_stale(fs, gen, epoch) &&
	    front_live(fs, fs->precise ? now : ticks))
		return;
	fs->precise = precise;
	if (precise) {
		fs->until = until;
	} else {
		far = conforms - TG_COARSE_SLACK_NS;
		fs->until = ticks + ((far < until ? far : until) - now) / TG_FRONT_TICK_NS - 1;
	}
	fs->src = *src;
	fs->config_gen = gen;
	fs->epoch = epoch;
	fs->drop_shift = drop_step(dropped);
	fs->log_budget = log_budget;
}

#endif /* TG_FRONT_H */
