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
#include <xdp/xdp_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Retries of the bucket's compare-and-swap before giving up. Each retry
 * means another CPU admitted a SYN from the same source meanwhile. */
#define TG_CAS_TRIES 8

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
 * GCRA on one word: admit when the bucket's theoretical arrival time is
 * at most tolerance ahead of now, and move it one interval later. A
 * clock that seems to go backwards only makes tat look further ahead,
 * which can deny one SYN early but never admit one too many. Only
 * admitted SYNs move tat: a dropped SYN costs its source nothing more.
 */
static __always_inline int gcra_charge(struct tg_bucket *b, __u64 now,
				       const struct tg_config *cfg,
				       struct tg_counters *cnt)
{
	int i;

	for (i = 0; i < TG_CAS_TRIES; i++) {
		__u64 old = READ_ONCE(b->tat_ns);
		__u64 tat = old > now ? old : now;

		if (tat - now > cfg->tolerance_ns)
			return TG_DENY;
		if (__sync_val_compare_and_swap(&b->tat_ns, old,
						tat + cfg->interval_ns) == old) {
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

/* Charge one SYN to its source, creating the bucket on first sight. */
static __always_inline int charge_source(const struct tg_source *src,
					 const struct tg_config *cfg,
					 struct tg_counters *cnt)
{
	struct tg_bucket *b;
	__u64 now;

	b = bpf_map_lookup_elem(&tg_buckets, src);
	/* No overflow: the tolerance is under 2^62 (limits.h), and so is
	 * the clock for the first 146 years of uptime. */
	if (b && READ_ONCE(b->tat_ns) >
			 clock_coarse_ns() + cfg->tolerance_ns + TG_COARSE_SLACK_NS)
		return TG_DENY;
	now = clock_ns();
	if (!b) {
		/* A new source's bucket is full, so its first SYN conforms
		 * (burst >= 1); store the state after admitting it. */
		struct tg_bucket fresh = {
			.tat_ns = now + cfg->interval_ns,
			.admitted = 1,
		};
		int err;

		__s64 before = tracked_sources();

		err = bpf_map_update_elem(&tg_buckets, src, &fresh, BPF_NOEXIST);
		if (!err) {
			cnt->new_source++;
			/* A full LRU frees a batch of its least recently
			 * used nodes at once (16 to 128); count the batch. */
			if (before >= cfg->max_sources) {
				__s64 freed = before + 1 - tracked_sources();

				cnt->table_full++;
				if (freed > 0)
					cnt->evicted += (__u64)freed;
			}
			return TG_ADMIT;
		}
		/* Another CPU created it between our lookup and insert. */
		b = bpf_map_lookup_elem(&tg_buckets, src);
		if (!b) {
			/* The LRU could not give us a node: untracked, let
			 * it through rather than punish a stranger. */
			cnt->table_full++;
			return TG_ADMIT;
		}
	}
	return gcra_charge(b, now, cfg, cnt);
}

static __always_inline void make_source_v4(struct tg_source *src, __be32 saddr,
					   const struct tg_config *cfg)
{
	__be32 *w = (__be32 *)src->addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = saddr & cfg->v4_mask;
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
	case TG_P_VLAN:
		cnt->pass_vlan++;
		break;
	case TG_P_FRAG:
		cnt->fragment++;
		break;
	}
	return XDP_PASS;
}

SEC("xdp")
int tidegate_xdp(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct tg_fam_counters *fcnt;
	struct tg_counters *cnt;
	struct tg_config *cfg;
	struct tg_source src;
	__u32 zero = 0, dport32, fam = TG_FAM_V4;
	__u16 proto, dport;
	__u8 *limited;
	bool syn = false, first_frag = false, port_known = true, cut = false;
	int ret, verdict;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = bpf_map_lookup_elem(&tg_config, &zero);
	if (!cnt || !cfg)
		return XDP_PASS;
	cnt->packets++;

	ret = parse_eth(&c, &proto);
	if (ret)
		return pass_by_reason(cnt, ret);

	if (proto == bpf_htons(ETH_P_IP)) {
		__be32 saddr;

		ret = parse_ipv4(&c, &saddr, &first_frag);
		if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v4(&src, saddr, cfg);
		fam = TG_FAM_V4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6;

		ret = parse_ipv6(&c, &ip6, &first_frag);
		/* A first fragment may cut the extension headers that follow
		 * its fragment header; reassembly completes them too. */
		if (ret == TG_P_TRUNC && first_frag)
			cut = true;
		else if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v6(&src, ip6, cfg);
		fam = TG_FAM_V6;
	} else {
		return pass_by_reason(cnt, TG_P_NOT_IP);
	}

	ret = cut ? TG_P_TRUNC : parse_tcp(&c, &dport, &syn);
	if (ret == TG_P_TRUNC && first_frag) {
		/* Reassembly will complete what the fragment cuts short. */
		cnt->frag_tiny++;
		syn = true;
		port_known = !cut && parse_tcp_tiny(&c, &dport, &syn);
		ret = TG_P_OK;
	}
	if (ret)
		return pass_by_reason(cnt, ret);
	if (!syn)
		return pass_by_reason(cnt, TG_P_NOT_TCP);
	dport32 = dport;
	limited = bpf_map_lookup_elem(&tg_ports, &dport32);
	/* A tiny fragment that hides its port counts as limited. */
	if (port_known && (!limited || !*limited))
		return pass_by_reason(cnt, TG_P_NOT_TCP);

	cnt->syn++;
	/* Only limited SYNs pay for this lookup; a NULL (impossible for an
	 * array of two) just leaves the per-family split uncounted. */
	fcnt = bpf_map_lookup_elem(&tg_fam_stats, &fam);
	if (fcnt)
		fcnt->syn++;
	verdict = charge_source(&src, cfg, cnt);
	if (verdict == TG_ADMIT) {
		cnt->allowed++;
		if (fcnt)
			fcnt->allowed++;
		return XDP_PASS;
	}
	if (verdict == TG_CONTENDED)
		cnt->cas_exhausted++;
	if (cfg->flags & TG_F_DRY_RUN) {
		cnt->would_drop++;
		if (fcnt)
			fcnt->would_drop++;
		return XDP_PASS;
	}
	cnt->dropped++;
	if (fcnt)
		fcnt->dropped++;
	return XDP_DROP;
}
