// SPDX-License-Identifier: GPL-2.0
/*
 * baseline.bpf.c - what the benchmark holds tidegate against: an XDP
 * program that drops everything (the ceiling of what any XDP filter can
 * absorb), one that passes everything (the cost of having XDP at all,
 * for connect latency), and an ideal filter that drops exactly the
 * packets from one source prefix, the flood's, because the benchmark
 * knows where its flood comes from and an operator would not (what
 * tidegate is held to in the operator's view, scripts/bench-operator.sh),
 * and one that sends every frame back where it came from with its ends
 * swapped (the least an XDP answer such as a SYN cookie's SYN-ACK can
 * cost: XDP_TX with no work to build it). All count what they saw per
 * CPU, so the receiving side's own counter says how much it handled.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bl_packets SEC(".maps");

static __always_inline void count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&bl_packets, &zero);

	if (n)
		(*n)++;
}

SEC("xdp")
int baseline_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int baseline_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

/* baseline_filter's prefix, set through the skeleton before load: the
 * address and mask as 32-bit words in network order (IPv4 in word 0). */
const volatile __u32 filter_family; /* 4 or 6; anything else drops nothing */
const volatile __u32 filter_net[4];
const volatile __u32 filter_mask[4];

static __always_inline int in_prefix(const __u32 *a, int words)
{
	int i;

	for (i = 0; i < words; i++)
		if ((a[i] & filter_mask[i]) != filter_net[i])
			return 0;
	return 1;
}

/* Ethernet, then IPv4 or IPv6 from the prefix's family: dropped if the
 * source is in the prefix. No VLAN: the benchmark's veth has none. */
SEC("xdp")
int baseline_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	count();
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (filter_family == 4 && eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		return in_prefix(&ip->saddr, 1) ? XDP_DROP : XDP_PASS;
	}
	if (filter_family == 6 && eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		return in_prefix(ip6->saddr.in6_u.u6_addr32, 4) ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

/* Swap MACs, addresses and TCP ports: checksums are sums, so they hold. */
SEC("xdp")
int baseline_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u8 mac[ETH_ALEN];
	__be16 port;

	count();
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__be32 a;

		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		th = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a;

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		th = (void *)(ip6 + 1);
	} else {
		return XDP_DROP;
	}
	if ((void *)(th + 1) > end)
		return XDP_DROP;
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return XDP_TX;
}
