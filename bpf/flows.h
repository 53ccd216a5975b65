/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flows.h - redirected flows followed after their SYN.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_FLOWS_H
#define TG_FLOWS_H

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

#endif /* TG_FLOWS_H */
