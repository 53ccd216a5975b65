/* SPDX-License-Identifier: GPL-2.0 */
/*
 * front.h - the flood's front cache: a source the fast path denied is
 * denied again, for a while, without the hash map.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 *
 * A source far over its limit is denied by the coarse clock alone
 * (gcra.h, coarse_deny) until its tat comes within the slack of its
 * tolerance, and no SYN moves its tat before then: only an admitted SYN
 * does, and none is. Its quiet (no drop log line due) holds as long:
 * until its log interval ends, or until the log budget has a token
 * again, which no CPU can take earlier. So the fast path's decision
 * holds, unchanged, until a time it can compute once; this CPU keeps it
 * in a slot of tg_front (tidegate.h) keyed by the source, and the
 * source's next SYNs are dropped from that slot. The hash map's jhash,
 * bucket walk and key compare are what a dropped SYN saved.
 *
 * What could make the slot wrong is void by the slot's own stamps: a
 * config written since (a limit, the action, dry run, the log, a port
 * group's limit) moves the config generation; a bucket lowered by
 * anything but a SYN (a limit changed live, bpf/rescale.bpf.c) moves
 * the front epoch (tg_config_gen[TG_GEN_FRONT]). A rule that may cover
 * the source is asked before the slot is. A bucket the LRU evicts stays
 * denied from the slot for what is left of TG_FRONT_TTL_NS, stricter
 * than the table, never looser.
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

/*
 * Whether the slot denies this SYN quietly, as the fast path would: the
 * same source, config and epoch, before the slot's time, and not the
 * SYN count_drop would take. Counts what the fast path counts beyond
 * count_syn: a line the spent log budget kept back.
 */
static __always_inline bool front_denies(const struct tg_front_slot *fs,
					 const struct tg_source *src, __u32 gen, __u32 epoch,
					 struct tg_counters *cnt)
{
	if (!fs || front_other(fs, src) || front_stale(fs, gen, epoch) ||
	    front_ticks() >= fs->until_tick)
		return false;
	if (drop_sampled(cnt, fs->drop_shift))
		return false;
	if (fs->log_budget)
		cnt->log_budget_exceeded++;
	return true;
}

/*
 * Keep the fast path's quiet denial of a source, decided at now by the
 * coarse clock (one by the precise clock is within the slack: no slot),
 * in its slot: until its bucket b comes within the coarse
 * clock's slack (by lim), its quiet ends (quiet_until), or
 * TG_FRONT_TTL_NS, whichever is first, in whole ticks less one: jiffies
 * and the coarse clock move at the same tick, but the two are not read
 * at one instant. Not while the bucket counts its drops one by one, nor
 * while a lowering is under way, nor for less than two ticks. The
 * epoch, then b's tat, are read here, not kept from the decision (the
 * entry point's stack is short), and the tat must still deny: a
 * lowering since is either in the tat read or voids the slot by the
 * epoch read before it.
 */
static __always_inline void front_fill(struct tg_front_slot *fs, const struct tg_source *src,
				       __u32 gen, __u64 now, struct tg_bucket *b,
				       const struct tg_limit *lim, __u64 quiet_until,
				       bool log_budget)
{
	__u32 epoch = front_epoch();
	__u64 tat = READ_ONCE(b->tat_ns), dropped = READ_ONCE(b->dropped);
	__u64 until = tat - lim->tolerance_ns - TG_COARSE_SLACK_NS, ticks;

	/* tat - until: the tolerance and the slack, written so that the
	 * compiler keeps no more registers alive (the stack is short). */
	if (!fs || (epoch & 1) || dropped < TG_DROPS_EXACT || tat <= now + (tat - until))
		return;
	if (until > now + TG_FRONT_TTL_NS)
		until = now + TG_FRONT_TTL_NS;
	if (until > quiet_until)
		until = quiet_until;
	if (until < now + 2 * TG_FRONT_TICK_NS)
		return;
	/* A slot another source holds, still live, stays its own: with more
	 * flooding sources than slots, each would otherwise take the slot of
	 * another before either came back, and none would be found. */
	ticks = front_ticks();
	if (front_other(fs, src) && !front_stale(fs, gen, epoch) && ticks < fs->until_tick)
		return;
	fs->src = *src;
	fs->config_gen = gen;
	fs->epoch = epoch;
	fs->until_tick = ticks + (until - now) / TG_FRONT_TICK_NS - 1;
	fs->drop_shift = drop_step(dropped);
	fs->log_budget = log_budget;
}

#endif /* TG_FRONT_H */
