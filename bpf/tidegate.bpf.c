// SPDX-License-Identifier: GPL-2.0
/*
 * tidegate.bpf.c - per-source SYN rate limiting at XDP.
 *
 * Every TCP SYN aimed at a limited port is charged to its source (the
 * source address cut to a prefix) in a GCRA bucket. A SYN that does not
 * conform is dropped before the kernel allocates anything for it.
 * Everything else passes, counted by why.
 */
#include "parse.h"
#include "rst.h"
#include <xdp/xdp_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

/* Retries of the bucket's compare-and-swap before giving up. Each retry
 * means another CPU admitted a SYN from the same source meanwhile. */
#define TG_CAS_TRIES 32

/* Set by the test loader only: read the clock from test_now_ns so tests
 * can check bucket arithmetic exactly. The verifier removes the branch
 * when it is false, so production pays nothing. */
const volatile bool test_clock = false;
__u64 test_now_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* --max-sources, set before load */
	__type(key, struct tg_source);
	__type(value, struct tg_bucket);
} tg_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_config);
} tg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_PORTS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} tg_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_counters);
} tg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TG_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* LPM tries require it */
	__type(key, struct tg_rule_key);
	__type(value, struct tg_rule);
} tg_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_state);
} tg_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, TG_MAX_REDIRECTS);
	__type(key, __u32);
	__type(value, __u32);
} tg_redirect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_MAX_FLOWS);
	__type(key, struct tg_flow);
	__type(value, __u32);
} tg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TG_LOG_RING_BYTES);
} tg_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TG_NR_FAMILIES);
	__type(key, __u32);
	__type(value, struct tg_fam_counters);
} tg_fam_stats SEC(".maps");

/*
 * The number of sources in tg_buckets, to tell a table-full insertion
 * (kernel 6.6+; without it table_full counts only failed insertions).
 * libbpf matches the kfunc's prototype against the kernel's BTF and
 * wants a struct, not a forward declaration, for its argument.
 */
struct bpf_map {
	int opaque;
};
extern __s64 bpf_map_sum_elem_count(struct bpf_map *map) __ksym __weak;

/* Let libxdp chain the next program on the interface when we pass. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(tidegate_xdp);

enum tg_verdict {
	TG_ADMIT,
	TG_DENY,
	TG_CONTENDED,
};

/* The limit a SYN is charged against: the interface's or a rule's. */
struct tg_limit {
	__u64 interval_ns;
	__u64 tolerance_ns;
};

/*
 * One global GCRA word (the RST and log budgets): take a token, or say
 * there is none. Losing every race counts as none: a budget errs on
 * the side of sending less.
 */
static __always_inline bool budget_take(__u64 *word, __u64 now, __u64 interval,
					__u64 tolerance)
{
	int i;

	for (i = 0; i < TG_CAS_TRIES; i++) {
		__u64 old = READ_ONCE(*word);
		__u64 tat = old > now ? old : now;

		if (tat - now > tolerance)
			return false;
		if (__sync_val_compare_and_swap(word, old, tat + interval) == old)
			return true;
	}
	return false;
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
 * Whether the coarse clock alone may deny a SYN to a bucket with this
 * tat: it owes more than the slack beyond its tolerance, and no more
 * than the limit can owe at all (tolerance + interval, see
 * gcra_charge). A tat beyond that was left by an earlier, slower limit;
 * only the precise path caps it, so a fast denial there would keep the
 * source out for as long as the old debt lasted. In the steady state a
 * tat lies beyond the cap by the coarse clock only in the tick after an
 * admission, whose SYNs then take the precise path to the same
 * decision; with an interval no longer than the slack the fast path
 * never decides, which costs nothing new: such a limit's buckets never
 * owe more than one interval beyond the tolerance anyway.
 * charge_source and the flood's fast path in tidegate_xdp both ask this,
 * and only this. No overflow: tolerance + interval is under 2^62
 * (limits.h), and so is the clock for the first 146 years of uptime; a
 * tat under the tolerance makes over wrap far above any interval.
 */
static __always_inline bool coarse_deny(__u64 tat, __u64 coarse, __u64 tolerance,
					__u64 interval)
{
	__u64 over = tat - (coarse + tolerance);

	return over > TG_COARSE_SLACK_NS && over <= interval;
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
static __always_inline int gcra_charge(struct tg_bucket *b, __u64 now,
				       const struct tg_limit *lim,
				       struct tg_counters *cnt)
{
	int i;

	for (i = 0; i < TG_CAS_TRIES; i++) {
		__u64 old = READ_ONCE(b->tat_ns);
		__u64 tat = old > now ? old : now;

		if (tat - now > lim->tolerance_ns) {
			__u64 cap = now + lim->tolerance_ns + lim->interval_ns;

			/* Lost to another CPU's write: its SYN saw to it. */
			if (old > cap + TG_CAP_SLACK_NS)
				__sync_val_compare_and_swap(&b->tat_ns, old, cap);
			return TG_DENY;
		}
		if (__sync_val_compare_and_swap(&b->tat_ns, old,
						tat + lim->interval_ns) == old) {
			__sync_fetch_and_add(&b->admitted, 1);
			return TG_ADMIT;
		}
		cnt->cas_retry++;
	}
	return TG_CONTENDED;
}

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

/*
 * Charge one SYN to its bucket, creating it on first sight. *bp is the
 * bucket when the SYN is denied, for the drop log and top; *nowp the
 * time the decision was taken at (the coarse clock's, when the bucket
 * is so far over its limit that the precise clock is not read at all).
 */
static __always_inline int charge_source(const struct tg_source *src,
					 const struct tg_limit *lim,
					 const struct tg_config *cfg,
					 struct tg_counters *cnt, struct tg_bucket **bp,
					 __u64 *nowp)
{
	struct tg_bucket *b = *bp;
	__u64 now;

	/* *bp: the bucket the caller already found, or NULL to look. */
	if (!b)
		b = bpf_map_lookup_elem(&tg_buckets, src);
	if (b) {
		now = clock_coarse_ns();
		if (coarse_deny(READ_ONCE(b->tat_ns), now, lim->tolerance_ns, lim->interval_ns)) {
			*bp = b;
			*nowp = now;
			return TG_DENY;
		}
	}
	now = clock_ns();
	*nowp = now;
	if (!b) {
		/* A new source's bucket is full, so its first SYN conforms
		 * (burst >= 1); store the state after admitting it. */
		struct tg_bucket fresh = {
			.tat_ns = now + lim->interval_ns,
			.admitted = 1,
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

static __always_inline void make_source_v4(struct tg_source *src, __be32 saddr,
					   const struct tg_config *cfg)
{
	__be32 *w = (__be32 *)src->addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = saddr & cfg->v4_mask;
	src->rule = 0;
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
	src->rule = 0;
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

static __always_inline void count_drop(struct tg_bucket *b, const struct tg_counters *cnt)
{
	__u64 d = READ_ONCE(b->dropped);
	__u32 shift;

	if (d < TG_DROPS_EXACT) {
		__sync_fetch_and_add(&b->dropped, 1);
		return;
	}
	shift = d < (1ULL << 16) ? 6 : 10;
	if (((__u32)cnt->syn * TG_GOLDEN32) >> (32 - shift))
		return;
	__sync_fetch_and_add(&b->dropped, 1ULL << shift);
}

/*
 * A SYN to a limited port is counted once it is decided, in one call:
 * in syn and in exactly one of allowed, dropped and would_drop, overall
 * and for its family. limit_syn and the flood's fast path in
 * tidegate_xdp count through this and no other way, so syn == allowed +
 * dropped + would_drop holds in one place. A SYN dropped silently
 * counts in act_drop too (drop_silently).
 */
enum tg_counted {
	TG_COUNT_ALLOWED,
	TG_COUNT_DROPPED,
	TG_COUNT_WOULD_DROP,
};

static __always_inline void count_verdict(__u64 *syn, __u64 *allowed, __u64 *dropped,
					  __u64 *would_drop, enum tg_counted verdict)
{
	(*syn)++;
	if (verdict == TG_COUNT_ALLOWED)
		(*allowed)++;
	else if (verdict == TG_COUNT_DROPPED)
		(*dropped)++;
	else
		(*would_drop)++;
}

static __always_inline void count_syn(struct tg_counters *cnt, bool v6, enum tg_counted verdict)
{
	__u32 fam = v6 ? TG_FAM_V6 : TG_FAM_V4;
	struct tg_fam_counters *f;

	count_verdict(&cnt->syn, &cnt->allowed, &cnt->dropped, &cnt->would_drop, verdict);
	/* A NULL (impossible for an array of two) just leaves the
	 * per-family split uncounted. */
	f = bpf_map_lookup_elem(&tg_fam_stats, &fam);
	if (f)
		count_verdict(&f->syn, &f->allowed, &f->dropped, &f->would_drop, verdict);
}

static __always_inline int drop_silently(struct tg_counters *cnt)
{
	cnt->act_drop++;
	return XDP_DROP;
}

/* Whether the bucket had a drop log line within the log interval: then
 * no line is due for it yet. */
static __always_inline bool logged_lately(__u64 last, __u64 now, const struct tg_config *cfg)
{
	return last && (__s64)(now - last) < (__s64)cfg->log_interval_ns;
}

/* A packet's IP and TCP headers, as the parsers left them. */
struct tg_pkt {
	void *data;
	void *end;
	void *l3; /* struct iphdr or struct ipv6hdr */
	struct tcphdr *th;
	bool tcp;    /* th is where TCP starts, so its ports may be read: not
		      * so behind more than TG_MAX_EXTHDRS extension headers,
		      * nor in a first fragment cut inside them */
	bool v6;
	bool frag;   /* a first fragment: the rest of the datagram is not here */
	__u16 dport;
};

/* The whole source address in tg_source form (IPv4-mapped). */
static __always_inline int pkt_saddr(const struct tg_pkt *p, __u8 addr[16], bool src)
{
	__be32 *w = (__be32 *)addr;

	if (p->v6) {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > p->end)
			return -1;
		__builtin_memcpy(addr, src ? &ip6->saddr : &ip6->daddr, 16);
	} else {
		struct iphdr *ip = p->l3;

		if ((void *)(ip + 1) > p->end)
			return -1;
		w[0] = 0;
		w[1] = 0;
		w[2] = bpf_htonl(0xffff);
		w[3] = src ? ip->saddr : ip->daddr;
	}
	return 0;
}

/* The longest rule covering the packet's source, or NULL. */
static __always_inline struct tg_rule *find_rule(const struct tg_pkt *p)
{
	struct tg_rule_key k = {};

	if (p->v6) {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > p->end)
			return NULL;
		k.prefixlen = TG_RULE_KEY_BITS(128);
		k.family = 6;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
	} else {
		struct iphdr *ip = p->l3;

		if ((void *)(ip + 1) > p->end)
			return NULL;
		k.prefixlen = TG_RULE_KEY_BITS(32);
		k.family = 4;
		__builtin_memcpy(k.addr, &ip->saddr, 4);
	}
	return bpf_map_lookup_elem(&tg_rules, &k);
}

/* Whether a rule's --ttl has run out: it no longer applies. */
static __always_inline bool rule_expired(const struct tg_rule *rule)
{
	return rule->expires_ns && clock_coarse_ns() >= rule->expires_ns;
}

/*
 * A deny --all rule drops every packet from its prefix, whatever it is,
 * as a ban from fail2ban means; looked up only while such a rule exists
 * (TG_F_DENY_ALL). Counted in deny_all; in dry run, passed.
 */
static __always_inline bool denied_all(const struct tg_pkt *p, const struct tg_config *cfg,
				       struct tg_counters *cnt)
{
	struct tg_rule *rule = find_rule(p);

	if (!rule || rule->kind != TG_RULE_DENY || !(rule->flags & TG_RULE_F_ALL) ||
	    rule_expired(rule))
		return false;
	cnt->deny_all++;
	return !(cfg->flags & TG_F_DRY_RUN);
}

static __always_inline int flow_key(const struct tg_pkt *p, struct tg_flow *f)
{
	if (!p->tcp || (void *)(p->th + 1) > p->end)
		return -1;
	if (pkt_saddr(p, f->saddr, true) || pkt_saddr(p, f->daddr, false))
		return -1;
	f->sport = p->th->source;
	f->dport = p->th->dest;
	return 0;
}

/*
 * A packet of a flow whose SYN was redirected goes where the SYN went.
 * Returns XDP_REDIRECT, or -1 when it is not such a flow (or its
 * interface has left tg_redirect): the packet goes on as any other.
 */
static __always_inline int follow_flow(const struct tg_pkt *p, struct tg_counters *cnt)
{
	struct tg_flow f = {};
	__u32 *ifindex;
	int ret;

	if (flow_key(p, &f))
		return -1;
	ifindex = bpf_map_lookup_elem(&tg_flows, &f);
	if (!ifindex)
		return -1;
	ret = bpf_redirect_map(&tg_redirect, *ifindex, XDP_PASS);
	if (ret != XDP_REDIRECT)
		return -1;
	cnt->flow_redirected++;
	return ret;
}

/* A SYN passed locally ends any redirection of an earlier SYN of its
 * flow. Looked up first: a lookup takes no lock, a delete does. */
static __always_inline void forget_flow(const struct tg_pkt *p)
{
	struct tg_flow f = {};

	if (!flow_key(p, &f) && bpf_map_lookup_elem(&tg_flows, &f))
		bpf_map_delete_elem(&tg_flows, &f);
}

/* The prefix length a bucket's address was cut to, for the log. */
static __always_inline __u8 bucket_prefix(const struct tg_pkt *p, const struct tg_rule *rule,
					  const struct tg_config *cfg)
{
	if (rule && (rule->flags & TG_RULE_F_SHARED))
		return rule->prefixlen;
	return p->v6 ? cfg->v6_prefix : cfg->v4_prefix;
}

/*
 * The drop log: a bucket's first drop, then at most one line per
 * log_interval_ns, and every line under the global budget, so a flood
 * from a million sources costs at most the budget in lines. The budget
 * is asked first: a bucket keeps its turn until it gets a line, so the
 * budget's whole rate is used (had the turn been spent on a refusal,
 * sources refused at once would all wait out the interval together and
 * leave the budget idle in between). Then logged_ns is claimed with a
 * compare-and-swap, so two CPUs never both log a bucket; the loser's
 * token is spent for nothing, which only makes the log quieter.
 */
static __always_inline void drop_log(struct tg_bucket *b, __u64 now, const struct tg_pkt *p,
				     const struct tg_source *src, const struct tg_rule *rule,
				     const struct tg_config *cfg, struct tg_counters *cnt,
				     __u32 action, __u8 why)
{
	__u64 last = READ_ONCE(b->logged_ns);
	struct tg_log_event *ev;
	struct tg_state *st;
	__u32 zero = 0;

	if (logged_lately(last, now, cfg))
		return;
	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (!st || !budget_take(&st->log_tat_ns, now, cfg->log_budget_interval_ns,
				cfg->log_budget_tolerance_ns)) {
		cnt->log_budget_exceeded++;
		return;
	}
	if (__sync_val_compare_and_swap(&b->logged_ns, last, now) != last)
		return;
	ev = bpf_ringbuf_reserve(&tg_log, sizeof(*ev), 0);
	if (!ev) {
		cnt->log_lost++;
		return;
	}
	ev->time_ns = now;
	ev->since_ns = last ? now - last : 0;
	ev->dropped = READ_ONCE(b->dropped);
	ev->admitted = READ_ONCE(b->admitted);
	if (why == TG_WHY_DENY) {
		ev->rate_period_ns = 0;
		ev->rate_count = 0;
	} else if (rule) {
		ev->rate_period_ns = rule->rate_period_ns;
		ev->rate_count = rule->rate_count;
	} else {
		ev->rate_period_ns = cfg->rate_period_ns;
		ev->rate_count = cfg->rate_count;
	}
	ev->rule_id = src->rule;
	if (pkt_saddr(p, ev->addr, true))
		__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	__builtin_memcpy(ev->bucket, src->addr, sizeof(ev->bucket));
	ev->dport = p->dport;
	ev->prefixlen = bucket_prefix(p, rule, cfg);
	ev->family = p->v6 ? 6 : 4;
	ev->action = action;
	ev->why = why;
	ev->flags = (cfg->flags & TG_F_DRY_RUN ? TG_EV_DRY_RUN : 0) |
		    (rule && (rule->flags & TG_RULE_F_SHARED) ? TG_EV_SHARED : 0);
	ev->reserved = 0;
	bpf_ringbuf_submit(ev, 0);
	cnt->log_emitted++;
}

/*
 * Whether rst.h can answer this SYN: not with IPv4 options or IPv6
 * extension headers, nor to or from a group address (rst.h says why),
 * nor one carrying RST, nor in a first fragment, whose SYN's length, which the RST must
 * acknowledge, is the whole datagram's and whose TCP header may be cut
 * short.
 */
static __always_inline bool rst_answerable(const struct tg_pkt *p)
{
	if (p->frag || !rst_unicast(p->data, p->end, p->l3, p->v6))
		return false;
	/* Never answer a segment carrying RST (parse.h charges none). */
	if (!p->tcp || (void *)(p->th + 1) > p->end || p->th->rst)
		return false;
	if (p->v6) {
		struct ipv6hdr *ip6 = p->l3;

		return (void *)(ip6 + 1) <= p->end && ip6->nexthdr == IPPROTO_TCP;
	} else {
		struct iphdr *ip = p->l3;

		return (void *)(ip + 1) <= p->end && ip->ihl == 5;
	}
}

/* Refuse the SYN with an RST+ACK, within the global RST budget. */
static __always_inline int act_rst(struct xdp_md *ctx, const struct tg_pkt *p, __u64 now,
				   const struct tg_config *cfg, struct tg_counters *cnt)
{
	struct tg_state *st;
	__u32 zero = 0;
	int len;

	/* Checked before a token of the budget is spent on it. */
	if (!rst_answerable(p)) {
		cnt->rst_skipped++;
		return XDP_DROP;
	}
	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (!st || !budget_take(&st->rst_tat_ns, now, cfg->rst_interval_ns,
				cfg->rst_tolerance_ns)) {
		cnt->rst_budget_exceeded++;
		return XDP_DROP;
	}
	len = p->v6 ? rst_v6(p->data, p->end, p->l3) : rst_v4(p->data, p->end, p->l3);
	if (len < 0) {
		cnt->rst_skipped++;
		return XDP_DROP;
	}
	/* Cut TCP options and payload; packet pointers are void after. */
	if (len < p->end - p->data &&
	    bpf_xdp_adjust_tail(ctx, len - (int)(p->end - p->data))) {
		cnt->rst_skipped++;
		return XDP_DROP;
	}
	cnt->rst_sent++;
	return XDP_TX;
}

/* Send the SYN, and then its flow, to another interface. */
static __always_inline int act_redirect(const struct tg_pkt *p, __u32 ifindex,
					struct tg_counters *cnt)
{
	struct tg_flow f = {};
	int ret;

	ret = bpf_redirect_map(&tg_redirect, ifindex, XDP_DROP);
	if (ret != XDP_REDIRECT) {
		cnt->redirect_failed++;
		return XDP_DROP;
	}
	/* A retransmitted SYN finds its flow already there: no update. */
	if (!flow_key(p, &f)) {
		__u32 *was = bpf_map_lookup_elem(&tg_flows, &f);

		if (!was || *was != ifindex)
			bpf_map_update_elem(&tg_flows, &f, &ifindex, BPF_ANY);
	}
	cnt->redirected++;
	return XDP_REDIRECT;
}

/* Count a packet we pass without limiting it, by why. */
static __always_inline int pass_by_reason(struct tg_counters *cnt, int reason)
{
	switch (reason) {
	case TG_P_NOT_IP:
		cnt->pass_not_ip++;
		break;
	case TG_P_NOT_TCP:
		cnt->pass_not_syn++;
		break;
	case TG_P_TRUNC:
		cnt->pass_trunc++;
		break;
	case TG_P_BADHDR:
		cnt->pass_badhdr++;
		break;
	case TG_P_EXTHDR:
		cnt->pass_exthdr++;
		break;
	case TG_P_TUNNEL:
		cnt->pass_tunnel++;
		break;
	case TG_P_VLAN:
		cnt->pass_vlan++;
		break;
	case TG_P_FRAG:
		cnt->fragment++;
		break;
	}
	return XDP_PASS;
}

/* Not a SYN to a limited port: passed, unless it is a later packet of a
 * flow whose SYN was redirected. */
static __always_inline int pass_not_syn(const struct tg_pkt *p, const struct tg_config *cfg,
					struct tg_counters *cnt)
{
	if (cfg->flags & TG_F_FLOWS) {
		int ret = follow_flow(p, cnt);

		if (ret >= 0)
			return ret;
	}
	return pass_by_reason(cnt, TG_P_NOT_TCP);
}

/*
 * What the parser found, for tg_decide: the offsets of the IP and TCP
 * headers from the start of the frame, the family, whether this is a
 * first fragment, and the destination port. A TCP offset of 0 (where
 * Ethernet is) says TCP's place is not known: tg_pkt.tcp is false.
 * Extension headers can put TCP thousands of bytes in, so its offset
 * gets 16 bits, which every offset the parsers can produce fits.
 */
#define TG_META_L3_MASK    0xffULL   /* bits 0-7: IP header offset */
#define TG_META_L4_SHIFT   8         /* bits 8-23: TCP header offset */
#define TG_META_L4_MASK    0xffffULL
#define TG_META_V6         (1ULL << 24)
#define TG_META_FRAG       (1ULL << 25)
#define TG_META_LOOKED     (1ULL << 26) /* the caller looked the bucket up */
#define TG_META_PORT_SHIFT 32        /* bits 32-47: destination port */

/* tg_decide's verdict for a SYN the cookie mode covers: its caller
 * answers it with tg_cookie_syn. No XDP action has this value. */
#define TG_RET_COOKIE 0x100

/* With room for a TCP header beyond the furthest offset: the verifier
 * checks th + 1 against the packet's end only for offsets up to 64 KiB. */
_Static_assert(TG_L4_OFF_MAX + sizeof(struct tcphdr) <= TG_META_L4_MASK,
	       "a TCP offset the parsers produce does not fit tg_decide's meta");

/* The SYN cookie path: it uses the maps and helpers above. */
#include "handshake.h"

/*
 * A SYN to a limited port: find its rule and bucket, decide, and act.
 * Every SYN here is counted by count_syn, once, as allowed, dropped or
 * would_drop.
 */
static __always_inline int limit_syn(struct xdp_md *ctx, const struct tg_pkt *p,
				     struct tg_source *src, const struct tg_config *cfg,
				     struct tg_counters *cnt, struct tg_bucket *found, __u64 meta)
{
	struct tg_limit lim = { cfg->interval_ns, cfg->tolerance_ns };
	__u32 action = cfg->action, ifindex = cfg->action_ifindex;
	struct tg_bucket *b = found;
	struct tg_rule *rule = NULL;
	__u8 why = TG_WHY_LIMIT;
	__u64 now;
	int verdict;

	if (cfg->flags & TG_F_RULES)
		rule = find_rule(p);
	if (rule && rule_expired(rule))
		rule = NULL;
	if (rule) {
		if (rule->kind == TG_RULE_ALLOW) {
			cnt->rule_allow++;
			count_syn(cnt, p->v6, TG_COUNT_ALLOWED);
			if (cfg->flags & TG_F_FLOWS)
				forget_flow(p);
			return XDP_PASS;
		}
		src->rule = rule->id;
		b = NULL; /* another key: the caller's bucket is not this one */
		if (rule->action) {
			action = rule->action;
			ifindex = rule->action_ifindex;
		}
		if (rule->kind == TG_RULE_DENY) {
			cnt->rule_deny++;
			why = TG_WHY_DENY;
		} else {
			cnt->rule_limit++;
			lim.interval_ns = rule->interval_ns;
			lim.tolerance_ns = rule->tolerance_ns;
			if (rule->flags & TG_RULE_F_SHARED)
				__builtin_memcpy(src->addr, rule->net, sizeof(src->addr));
		}
	}

	/* An untracked source the cookie mode covers proves itself first:
	 * no bucket until its cookie comes back (handshake.h). */
	if (!rule && cfg->cookie_mode != TG_COOKIES_OFF) {
		if (!b && !(meta & TG_META_LOOKED))
			b = bpf_map_lookup_elem(&tg_buckets, src);
		if (!b && cookie_covers(cfg, cnt, clock_coarse_ns()))
			return TG_RET_COOKIE;
	}

	if (why == TG_WHY_DENY) {
		/* Only the drop log and the RST budget want the time here:
		 * the coarse clock serves them. */
		now = clock_coarse_ns();
		b = deny_bucket(src, cfg, cnt);
		verdict = TG_DENY;
	} else {
		verdict = charge_source(src, &lim, cfg, cnt, &b, &now);
	}
	if (verdict == TG_ADMIT) {
		count_syn(cnt, p->v6, TG_COUNT_ALLOWED);
		if (cfg->flags & TG_F_FLOWS)
			forget_flow(p);
		return XDP_PASS;
	}
	if (verdict == TG_CONTENDED)
		cnt->cas_exhausted++;
	if (action == TG_ACT_DEFAULT)
		action = TG_ACT_DROP;
	if (b) {
		count_drop(b, cnt);
		drop_log(b, now, p, src, rule, cfg, cnt, action, why);
	}
	if (cfg->flags & TG_F_DRY_RUN) {
		count_syn(cnt, p->v6, TG_COUNT_WOULD_DROP);
		return XDP_PASS;
	}
	count_syn(cnt, p->v6, TG_COUNT_DROPPED);
	if (action == TG_ACT_RST)
		return act_rst(ctx, p, now, cfg, cnt);
	if (action == TG_ACT_REDIRECT)
		return act_redirect(p, ifindex, cnt);
	return drop_silently(cnt);
}

/*
 * The decision and the action for a SYN to a limited port, as a global
 * function: the verifier checks it once, on its own, instead of once
 * for every way through the parser (VLAN tags, IP options, extension
 * headers, fragments), which multiplied past its limit of a million
 * instructions once rules, actions and the log were added. It costs a
 * call. Pointers from the caller arrive as possibly NULL memory of
 * their type's size; the packet is found again from ctx and meta, the
 * config and counters by lookups (an array's is a few instructions);
 * b is the source's bucket when the caller has looked it up already.
 */
__noinline int tg_decide(struct xdp_md *ctx, struct tg_source *src, struct tg_bucket *b,
			 __u64 meta)
{
	void *data = (void *)(long)ctx->data;
	__u64 l4 = (meta >> TG_META_L4_SHIFT) & TG_META_L4_MASK;
	struct tg_counters *cnt;
	struct tg_config *cfg;
	__u32 zero = 0;
	struct tg_pkt p;

	/* Never so from tidegate_xdp (see TG_L4_OFF_MAX); said for the
	 * verifier, which must see th's bounds. Unknown is safe: the SYN
	 * is still charged, only its ports are not read. */
	if (l4 > TG_L4_OFF_MAX)
		l4 = 0;
	p = (struct tg_pkt){
		.data = data,
		.end = (void *)(long)ctx->data_end,
		.l3 = data + (meta & TG_META_L3_MASK),
		.th = data + l4,
		.tcp = l4 != 0,
		.v6 = !!(meta & TG_META_V6),
		.frag = !!(meta & TG_META_FRAG),
		.dport = (__u16)(meta >> TG_META_PORT_SHIFT),
	};

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = bpf_map_lookup_elem(&tg_config, &zero);
	if (!src || !cfg || !cnt)
		return XDP_PASS;
	return limit_syn(ctx, &p, src, cfg, cnt, b, meta);
}

/*
 * tg_decide, and the cookie SYN-ACK when it says so: called from here,
 * not from within tg_decide, so the two global functions' stacks are
 * never on top of each other.
 */
static __always_inline int decide(struct xdp_md *ctx, struct tg_source *src, struct tg_bucket *b,
				  __u64 meta)
{
	int ret = tg_decide(ctx, src, b, meta);

	return ret == TG_RET_COOKIE ? tg_cookie_syn(ctx, meta) : ret;
}

static __always_inline __u64 pkt_meta(const struct tg_pkt *p, bool first_frag, __u16 dport)
{
	__u64 l4 = p->tcp ? (__u64)((void *)p->th - p->data) : 0;

	return (__u64)(p->l3 - p->data) | l4 << TG_META_L4_SHIFT | (p->v6 ? TG_META_V6 : 0) |
	       (first_frag ? TG_META_FRAG : 0) | (__u64)dport << TG_META_PORT_SHIFT;
}

/*
 * A packet whose TCP header we cannot read whole, though the kernel
 * will (why):
 *  - TG_P_TRUNC: a first fragment cut inside its TCP header (at_tcp) or
 *    inside the extension headers after its fragment header; reassembly
 *    completes it (a "tiny fragment", counted in frag_tiny);
 *  - TG_P_LONG: TCP behind more IPv6 extension headers than we walk,
 *    which the kernel walks (counted in exthdr_long).
 * What is visible may rule out a SYN (a flags byte without SYN) or a
 * limited port; anything else is charged as a SYN to a limited port,
 * from its source, and only then counted by why. Off the path of whole
 * SYNs, and past the flood's fast path: no real stack sends these.
 */
static __always_inline int charge_unseen(struct xdp_md *ctx, struct tg_pkt *p, struct cursor *c,
					 struct tg_source *src, const struct tg_config *cfg,
					 struct tg_counters *cnt, int why, bool at_tcp,
					 bool first_frag)
{
	bool syn = true, port_known = false;
	__u16 dport = 0;

	if (at_tcp)
		port_known = parse_tcp_tiny(c, &dport, &syn);
	/* Ports that are there may be read; bytes past the datagram never. */
	p->tcp = port_known;
	if (!syn)
		return pass_not_syn(p, cfg, cnt);
	/* A tiny fragment that hides its port counts as limited. */
	if (port_known) {
		__u32 dport32 = dport;
		__u8 *limited = bpf_map_lookup_elem(&tg_ports, &dport32);

		if (!limited || !*limited)
			return pass_by_reason(cnt, TG_P_NOT_TCP);
	}
	if (why == TG_P_LONG)
		cnt->exthdr_long++;
	else
		cnt->frag_tiny++;
	return decide(ctx, src, NULL, pkt_meta(p, first_frag, dport));
}

SEC("xdp")
int tidegate_xdp(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
		.ip_end = (void *)(long)ctx->data_end,
	};
	struct tg_pkt p = { .data = c.pos, .end = c.end, .tcp = true };
	struct tg_counters *cnt;
	struct tg_config *cfg;
	struct tg_source src;
	__u32 zero = 0, dport32;
	__u16 proto, dport = 0;
	__u8 *limited;
	bool syn = false, first_frag = false;
	struct tg_bucket *b = NULL;
	int ret, unseen = TG_P_OK;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = bpf_map_lookup_elem(&tg_config, &zero);
	if (!cnt || !cfg)
		return XDP_PASS;
	cnt->packets++;

	ret = parse_eth(&c, &proto);
	if (ret)
		return pass_by_reason(cnt, ret);

	p.l3 = c.pos;
	p.v6 = proto == bpf_htons(ETH_P_IPV6);
	if ((cfg->flags & TG_F_DENY_ALL) && (p.v6 || proto == bpf_htons(ETH_P_IP)) &&
	    denied_all(&p, cfg, cnt))
		return XDP_DROP;
	if (proto == bpf_htons(ETH_P_IP)) {
		__be32 saddr;

		ret = parse_ipv4(&c, &saddr, &first_frag);
		if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v4(&src, saddr, cfg);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6;

		ret = parse_ipv6(&c, &ip6, &first_frag);
		/* A first fragment may cut the extension headers that follow
		 * its fragment header; reassembly completes them too. A chain
		 * longer than we walk the kernel walks on. TCP is unseen. */
		if ((ret == TG_P_TRUNC && first_frag) || ret == TG_P_LONG)
			unseen = ret;
		else if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v6(&src, ip6, cfg);
	} else {
		return pass_by_reason(cnt, TG_P_NOT_IP);
	}

	p.th = c.pos;
	ret = unseen ?: parse_tcp(&c, &dport, &syn);
	if (ret) {
		if (ret == TG_P_LONG || (ret == TG_P_TRUNC && first_frag))
			return charge_unseen(ctx, &p, &c, &src, cfg, cnt, ret, !unseen,
					     first_frag);
		return pass_by_reason(cnt, ret);
	}
	if (!syn) {
		if (cookie_ack_due(&p, dport, cfg) &&
		    tg_cookie_ack(ctx, &src, pkt_meta(&p, first_frag, dport)) == XDP_DROP)
			return XDP_DROP;
		return pass_not_syn(&p, cfg, cnt);
	}
	dport32 = dport;
	limited = bpf_map_lookup_elem(&tg_ports, &dport32);
	if (!limited || !*limited)
		return pass_by_reason(cnt, TG_P_NOT_TCP);
	/*
	 * A flood's SYN, decided here without a call: no rules, the drop
	 * action, enforcing, a bucket so far over its limit that the coarse
	 * clock decides (coarse_deny, as charge_source), and no log line to
	 * write. The counters move as limit_syn moves them, through the
	 * same helpers. Anything else, and every SYN that is not denied,
	 * goes on to tg_decide.
	 */
	if (!(cfg->flags & TG_F_RULES))
		b = bpf_map_lookup_elem(&tg_buckets, &src);
	if (b && !(cfg->flags & TG_F_DRY_RUN) && cfg->action == TG_ACT_DROP) {
		__u64 now = clock_coarse_ns();

		if (coarse_deny(READ_ONCE(b->tat_ns), now, cfg->tolerance_ns, cfg->interval_ns)) {
			struct tg_state *st;
			bool quiet;

			/* No line due: logged lately, or (the usual case for
			 * the sources of a big flood) a line due but the log
			 * budget spent, which a read of its word tells. By
			 * the coarse clock, up to a tick behind: it may count
			 * in log_budget_exceeded a line the precise clock's
			 * budget_take would have let through. Harmless: the
			 * bucket keeps its turn (logged_ns is not moved), so
			 * its line comes with a later drop, and the budget only
			 * errs on the side of fewer lines. */
			quiet = logged_lately(READ_ONCE(b->logged_ns), now, cfg);
			if (!quiet) {
				st = bpf_map_lookup_elem(&tg_state, &zero);
				if (st && READ_ONCE(st->log_tat_ns) >
						  now + cfg->log_budget_tolerance_ns) {
					cnt->log_budget_exceeded++;
					quiet = true;
				}
			}
			if (quiet) {
				count_drop(b, cnt);
				count_syn(cnt, p.v6, TG_COUNT_DROPPED);
				return drop_silently(cnt);
			}
		}
	}
	return decide(ctx, &src, b,
		      pkt_meta(&p, first_frag, dport) |
			      (cfg->flags & TG_F_RULES ? 0 : TG_META_LOOKED));
}

/*
 * TC ingress: the ACK that carries a valid cookie becomes a connection
 * of its listener (handshake.h). Everything passes; only ACKs to a
 * limited port while a cookie may be alive are looked at.
 */
SEC("tc")
int tidegate_tc(struct __sk_buff *skb)
{
	struct cursor c = {
		.pos = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
	};
	struct tg_pkt p = { .data = c.pos, .end = c.end, .tcp = true };
	struct tg_counters *cnt;
	struct tg_config *cfg;
	bool syn, first_frag = false;
	__u32 zero = 0;
	__u16 proto, dport;
	int ret;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = bpf_map_lookup_elem(&tg_config, &zero);
	if (!cnt || !cfg || cfg->cookie_mode == TG_COOKIES_OFF)
		return TC_ACT_OK;
	if (parse_eth(&c, &proto))
		return TC_ACT_OK;
	p.l3 = c.pos;
	if (proto == bpf_htons(ETH_P_IP)) {
		__be32 saddr;

		ret = parse_ipv4(&c, &saddr, &first_frag);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6;

		ret = parse_ipv6(&c, &ip6, &first_frag);
		p.v6 = true;
	} else {
		return TC_ACT_OK;
	}
	if (ret || first_frag)
		return TC_ACT_OK;
	p.th = c.pos;
	if (parse_tcp(&c, &dport, &syn) || syn || !cookie_ack_due(&p, dport, cfg))
		return TC_ACT_OK;
	return tg_tc_ack(skb, pkt_meta(&p, false, dport));
}
