/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verdict.h - how a decided SYN is counted, and the packet the decision reads.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_VERDICT_H
#define TG_VERDICT_H

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

/* The port group a bucket key's SYNs count under (tg_port_stats): its
 * own, or the interface's. */
static __always_inline __u32 src_port_group(const struct tg_source *src)
{
	return src->group ? src->group : TG_PG_DEFAULT;
}

static __always_inline void count_syn(struct tg_counters *cnt, bool v6, __u32 group,
				      enum tg_counted verdict)
{
	__u32 fam = v6 ? TG_FAM_V6 : TG_FAM_V4;
	struct tg_fam_counters *f;
	struct tg_port_counters *pc;

	count_verdict(&cnt->syn, &cnt->allowed, &cnt->dropped, &cnt->would_drop, verdict);
	/* A NULL (impossible for an array of two) just leaves the
	 * per-family split uncounted; so for a group id out of range. */
	f = bpf_map_lookup_elem(&tg_fam_stats, &fam);
	if (f)
		count_verdict(&f->syn, &f->allowed, &f->dropped, &f->would_drop, verdict);
	pc = bpf_map_lookup_elem(&tg_port_stats, &group);
	if (pc)
		count_verdict(&pc->syn, &pc->allowed, &pc->dropped, &pc->would_drop, verdict);
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

#endif /* TG_VERDICT_H */
