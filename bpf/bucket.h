/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bucket.h - a source's bucket: found, created, charged, its drops counted.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_BUCKET_H
#define TG_BUCKET_H

/* Sources in tg_buckets, or -1 where the kernel cannot tell us. */
static __always_inline __s64 tracked_sources(void)
{
	if (!bpf_map_sum_elem_count)
		return -1;
	return bpf_map_sum_elem_count((struct bpf_map *)&tg_buckets);
}

/*
 * A bucket for a new source, its first SYN already charged to it (a
 * deny rule's buckets charge nothing: tat 0, admitted 0). Returns the
 * bucket (NULL when the LRU has no node for it, or when we created it
 * and the caller does not want it back: want_created).
 */
static __always_inline struct tg_bucket *new_bucket(const struct tg_source *src,
						    const struct tg_bucket *fresh,
						    const struct tg_config *cfg,
						    struct tg_counters *cnt, bool *created,
						    bool want_created)
{
	struct tg_state *st;
	struct tg_bucket *b;
	__s64 before = 0, after;
	__u32 zero = 0;
	bool walk;

	/*
	 * The table is counted (a walk over every CPU's count) only when
	 * the room known to be left is spent: on a table with room, never;
	 * on a full one, once per batch the LRU frees, not once per source.
	 * Inserts here take room and deletes only add some, so
	 * tg_state.room errs low and a full table is not missed; buckets
	 * userspace writes after the first count (a restore into a running
	 * table) are the exception, missed for as many new sources.
	 */
	st = bpf_map_lookup_elem(&tg_state, &zero);
	walk = !st || __sync_fetch_and_add(&st->room, -1) <= 0;
	if (walk)
		before = tracked_sources();

	if (!bpf_map_update_elem(&tg_buckets, src, fresh, BPF_NOEXIST)) {
		cnt->new_source++;
		*created = true;
		after = before + 1;
		/* A full LRU frees a batch of its least recently used
		 * nodes at once (16 to 128); count the batch. */
		if (walk && before >= cfg->max_sources) {
			__s64 freed;

			after = tracked_sources();
			freed = before + 1 - after;
			cnt->table_full++;
			if (freed > 0)
				cnt->evicted += (__u64)freed;
		}
		if (walk && st)
			WRITE_ONCE(st->room, (__s64)cfg->max_sources - after);
		if (!want_created)
			return NULL;
	} else if (walk && st) {
		WRITE_ONCE(st->room, (__s64)cfg->max_sources - before);
	}
	/* Ours, or another CPU's created between our lookup and insert. */
	b = bpf_map_lookup_elem(&tg_buckets, src);
	if (!b && !*created)
		cnt->table_full++;
	return b;
}

/* Cookies may be sent at all: a mode that has them, the TC program that
 * completes the handshake, and not a dry run. */
static __always_inline bool cookies_usable(const struct tg_config *cfg)
{
	return cfg->cookie_mode != TG_COOKIES_OFF && (cfg->cookie_opts & TG_COPT_READY) &&
	       !(cfg->flags & TG_F_DRY_RUN);
}

/*
 * A new source's bucket made while new sources came fast, where a cookie
 * could have been asked (auto mode, its cookies off for now): a quarter
 * of auto's burst spent, and then some. Such a source may be one of a
 * spoofed flood's first, come before auto trips: TG_BUCKET_UNVERIFIED.
 * Sources that come at the usual pace, the clients the interface knows
 * from calm times, are trusted as before: a trip never challenges them.
 * Not a rule's: rules are never challenged.
 */
static __always_inline bool unverified_source(const struct tg_source *src,
					      const struct tg_config *cfg, __u64 now)
{
	struct tg_state *st;
	__u32 zero = 0;

	if (src->rule || cfg->cookie_mode != TG_COOKIES_AUTO || !cookies_usable(cfg))
		return false;
	st = bpf_map_lookup_elem(&tg_state, &zero);
	return st && READ_ONCE(st->newsrc_tat_ns) >
			     now + cfg->newsrc_interval_ns + cfg->newsrc_tolerance_ns / 4;
}

/*
 * Charge one SYN to its bucket, creating it on first sight. *bp is the
 * bucket when the SYN is denied, for the drop log and top; *nowp the
 * time the decision was taken at (the coarse clock's, when the bucket
 * is so far over its limit that the precise clock is not read at all).
 * now_in: the precise clock's time the caller read for this SYN, which
 * then decides at once (the shortcut only ever denies what the precise
 * clock denies too, so skipping it changes no verdict, and the time is
 * read already); 0 to read the clocks here.
 */
static __always_inline int charge_source(const struct tg_source *src,
					 const struct tg_limit *lim,
					 const struct tg_config *cfg,
					 struct tg_counters *cnt, struct tg_bucket **bp,
					 __u64 *nowp, __u64 now_in)
{
	struct tg_bucket *b = *bp;
	const struct tg_fleet *fl;
	struct tg_limit share;
	__u64 now;

	/* *bp: the bucket the caller already found, or NULL to look. */
	if (!b)
		b = bpf_map_lookup_elem(&tg_buckets, src);
	if (b && !now_in && coarse_may_deny(lim)) {
		now = clock_coarse_ns();
		if (coarse_deny(READ_ONCE(b->tat_ns), now, lim->tolerance_ns, lim->interval_ns)) {
			*bp = b;
			*nowp = now;
			return TG_DENY;
		}
	}
	now = now_in ?: clock_ns();
	*nowp = now;
	/* Fleet mode: the fleet's view may deny a source this machine
	 * never saw; what it lets through is charged to the local share.
	 * Every bucket: the default limit's, a limit rule's, a port
	 * group's (the fleet names rules by prefix and groups by ports:
	 * user/fleet_rules.h). */
	fl = fleet_on();
	if (fl) {
		if (fleet_denies(src, b, lim, now)) {
			cnt->fleet_denied++;
			*bp = b;
			return TG_DENY;
		}
		share = *lim;
		fleet_share(fl, src, &share);
		lim = &share;
	}
	if (!b) {
		/* A new source's bucket is full, so its first SYN conforms
		 * (burst >= 1); store the state after admitting it. */
		struct tg_bucket fresh = {
			.tat_ns = now + lim->interval_ns,
			.admitted = 1,
			.logged_ns = unverified_source(src, cfg, now) ? TG_BUCKET_UNVERIFIED : 0,
		};
		bool created = false;

		b = new_bucket(src, &fresh, cfg, cnt, &created, false);
		/* Created, or the LRU could not give us a node: untracked,
		 * let it through rather than punish a stranger. */
		if (created || !b)
			return TG_ADMIT;
	}
	*bp = b;
	return gcra_charge(b, now, lim, cnt);
}

/* A deny rule's bucket: nothing to charge, only drops to count. */
static __always_inline struct tg_bucket *deny_bucket(const struct tg_source *src,
						     const struct tg_config *cfg,
						     struct tg_counters *cnt)
{
	struct tg_bucket *b = bpf_map_lookup_elem(&tg_buckets, src);
	struct tg_bucket fresh = {};
	bool created = false;

	if (b)
		return b;
	return new_bucket(src, &fresh, cfg, cnt, &created, true);
}

/*
 * The key's last word: the rule id and the port group share it
 * (tidegate.h). Assigned as bitfields, a field is stored alone (the
 * group as one byte), and the key's whole words, loaded right after by
 * the front slot's hash and the hash map, would then straddle two
 * stores, which the store buffer cannot forward: each load would wait
 * for both to reach the cache. So the word is built in a register, by
 * the bitfields' layout for this byte order, and stored whole.
 */
static __always_inline void source_set_word(struct tg_source *src, __u32 rule, __u32 group)
{
	__u32 *word = (__u32 *)((char *)src + offsetof(struct tg_source, addr) + sizeof(src->addr));

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	WRITE_ONCE(*word, (rule & TG_RULE_ID_MAX) | group << TG_RULE_ID_BITS);
#else
	WRITE_ONCE(*word, (rule & TG_RULE_ID_MAX) << (32 - TG_RULE_ID_BITS) | group);
#endif
}

/* The group of a source make_source_v4/v6 made (no rule yet), for a
 * port of group g: its own, or 0 (key_group). */
static __always_inline void source_set_group(struct tg_source *src, __u32 g)
{
	source_set_word(src, 0, key_group(g));
}

static __always_inline void make_source_v4(struct tg_source *src, __be32 saddr,
					   const struct tg_config *cfg)
{
	__be32 *w = (__be32 *)src->addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = saddr & cfg->v4_mask;
	source_set_word(src, 0, 0);
}

static __always_inline void make_source_v6(struct tg_source *src,
					   const struct ipv6hdr *ip6,
					   const struct tg_config *cfg)
{
	__be32 *w = (__be32 *)src->addr;

	w[0] = ip6->saddr.in6_u.u6_addr32[0] & cfg->v6_mask[0];
	w[1] = ip6->saddr.in6_u.u6_addr32[1] & cfg->v6_mask[1];
	w[2] = ip6->saddr.in6_u.u6_addr32[2] & cfg->v6_mask[2];
	w[3] = ip6->saddr.in6_u.u6_addr32[3] & cfg->v6_mask[3];
	source_set_word(src, 0, 0);
}

/*
 * Count a drop in its bucket without writing the bucket on every drop:
 * a source flooding from several CPUs would bounce the bucket's cache
 * line between them on each SYN, where the decision itself only reads
 * it. Exact for the first TG_DROPS_EXACT drops, then in steps of 64
 * taken for one SYN in 64, and past 2^16 drops in steps of 1024 for one
 * in 1024: a heavy flood writes its bucket once every 1024 SYNs (with
 * steps of 16 a flood from 1,000 sources over two CPUs was absorbed
 * some 15% slower than with no count at all, the line bouncing between
 * the CPUs), and the count stays within a few percent (tests/bpf:
 * test_rules.c, drop counts). Which SYNs are taken is decided
 * by a Weyl sequence over this CPU's SYN count (n times the golden
 * ratio, mod 2^32, falling in the lowest 1/64th or 1/1024th): no helper call, no
 * shared state, and no period a flood rotating over k sources could
 * line up with. top and the drop log read these counts.
 */
#define TG_DROPS_EXACT 256
#define TG_GOLDEN32    0x9E3779B1U

/* The step a bucket that has dropped d SYNs counts its drops in, past
 * the exact ones: 2^6, then 2^10. */
static __always_inline __u32 drop_step(__u64 d)
{
	return d < (1ULL << 16) ? 6 : 10;
}

/* Whether this CPU's SYN is the one in 2^shift taken to count a step. */
static __always_inline bool drop_sampled(const struct tg_counters *cnt, __u32 shift)
{
	return !(((__u32)cnt->syn * TG_GOLDEN32) >> (32 - shift));
}

static __always_inline void count_drop(struct tg_bucket *b, const struct tg_counters *cnt)
{
	__u64 d = READ_ONCE(b->dropped);
	__u32 shift;

	if (d < TG_DROPS_EXACT) {
		__sync_fetch_and_add(&b->dropped, 1);
		return;
	}
	shift = drop_step(d);
	if (drop_sampled(cnt, shift))
		__sync_fetch_and_add(&b->dropped, 1ULL << shift);
}

#endif /* TG_BUCKET_H */
