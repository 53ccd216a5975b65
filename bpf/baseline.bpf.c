// SPDX-License-Identifier: GPL-2.0
/*
 * baseline.bpf.c - what the benchmark holds tidegate against: an XDP
 * program that drops everything (the ceiling of what any XDP filter can
 * absorb), one that passes everything (the cost of having XDP at
 * all, for connect latency), and one that sends every frame back where
 * it came from with its ends swapped (the least an XDP answer such as a
 * SYN cookie's SYN-ACK can cost: XDP_TX with no work to build it). All
 * count what they saw per CPU, so the receiving side's own counter says
 * how much it handled.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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
