/* SPDX-License-Identifier: GPL-2.0 */
/*
 * actions.h - what a SYN over its limit gets (drop, RST, redirect), and passes by reason.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_ACTIONS_H
#define TG_ACTIONS_H

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

#endif /* TG_ACTIONS_H */
