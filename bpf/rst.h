/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rst.h - turn a SYN into the RST+ACK that refuses it, in place.
 *
 * The reply is what a closed port would send (RFC 9293 3.10.7.1): the
 * SYN carries no ACK, so the RST has seq 0 and acknowledges everything
 * the SYN occupied: seq + 1 (SYN) + 1 if FIN + its payload (TFO data).
 * MACs, addresses and ports are swapped; VLAN tags are left as they
 * are, so the reply goes back on the tagged network it came from.
 * TCP options and payload are cut with bpf_xdp_adjust_tail.
 *
 * Not answered, on purpose (the caller drops and counts rst_skipped):
 *  - IPv4 with options and IPv6 with extension headers. Echoing a source
 *    route or a routing header back would be wrong, and stripping them
 *    means moving the TCP header; a SYN carrying them is rare and suspect.
 *  - a SYN not sent to one host, or sent from a group: see rst_unicast().
 */
#ifndef TG_RST_H
#define TG_RST_H

#include "parse.h"

#define TG_RST_TTL 64
#define TG_IP_DF   0x4000

struct tg_pseudo4 {
	__be32 saddr;
	__be32 daddr;
	__u8 zero;
	__u8 proto;
	__be16 len;
};

struct tg_pseudo6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__u8 zero[3];
	__u8 nexthdr;
};

/* IPv4 multicast (224.0.0.0/4) or the limited broadcast. */
static __always_inline bool ipv4_group(__be32 a)
{
	return (a & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000) ||
	       a == bpf_htonl(0xffffffff);
}

/*
 * Whether the SYN went from one host to one host, so that an RST may
 * answer it. A SYN to a multicast or broadcast address, IP or Ethernet,
 * is never answered: RFC 1122 4.2.3.10 has TCP discard it silently
 * (Linux does), and the RST would go out from a group address. Nor one
 * from a group address (no stack sends one; Linux drops it as a martian),
 * whose RST would go to the whole group. Directed broadcasts (x.y.z.255
 * of some subnet) cannot be told from here.
 */
static __always_inline bool rst_unicast(const void *data, const void *end, const void *l3,
					bool v6)
{
	const struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end || (eth->h_dest[0] & 1))
		return false;
	if (v6) {
		const struct ipv6hdr *ip6 = l3;

		return (void *)(ip6 + 1) <= end && ip6->daddr.in6_u.u6_addr8[0] != 0xff &&
		       ip6->saddr.in6_u.u6_addr8[0] != 0xff; /* ff00::/8 */
	} else {
		const struct iphdr *ip = l3;

		return (void *)(ip + 1) <= end && !ipv4_group(ip->daddr) &&
		       !ipv4_group(ip->saddr);
	}
}

/*
 * The ones' complement sum of n 32-bit words, added to acc, in the
 * words' own byte order (the sum does not care which, so long as the
 * fold keeps it). Open-coded: a bpf_csum_diff call costs more than the
 * few words a header has. n is a constant, so the loop unrolls.
 */
typedef __u32 __attribute__((__may_alias__)) tg_csum_word;

static __always_inline __u64 csum_words(const void *p, const int n, __u64 acc)
{
	/* may_alias: the words were just written as header fields, and
	 * must be read after those writes. */
	const tg_csum_word *w = p;
	int i;

#pragma unroll
	for (i = 0; i < n; i++)
		acc += w[i];
	return acc;
}

/* A sum from csum_words in 32 bits, as bpf_csum_diff takes a seed. */
static __always_inline __u32 csum_fold32(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)sum;
}

/* The checksum field of a sum from csum_words. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = csum_fold32(sum);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* What the SYN occupied in sequence space besides SYN itself. */
static __always_inline __u32 syn_extent(const struct tcphdr *th, __u32 l4_len)
{
	__u32 hlen = th->doff * 4;

	return 1 + th->fin + (l4_len > hlen ? l4_len - hlen : 0);
}

/* Rewrite the 20-byte TCP header; l4_len is TCP header + payload. */
static __always_inline void rst_tcp(struct tcphdr *th, __u32 l4_len)
{
	__u32 ack = bpf_ntohl(th->seq) + syn_extent(th, l4_len);
	__be16 port = th->source;

	th->source = th->dest;
	th->dest = port;
	th->ack_seq = bpf_htonl(ack);
	th->seq = 0;
	/* doff 5, no reserved bits, flags RST|ACK */
	((__be16 *)th)[6] = bpf_htons(5 << 12 | 0x14);
	th->window = 0;
	th->check = 0;
	th->urg_ptr = 0;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* The whole TCP header right after an IPv4 header without options, or
 * after an IPv6 header without extensions: the SYN a reply can answer
 * in place; NULL otherwise. Found from ip, not taken from the parser,
 * so the verifier sees its bounds checked on the pointer that is used. */
static __always_inline struct tcphdr *reply_tcp_v4(void *data, void *end, struct iphdr *ip)
{
	struct tcphdr *th = (void *)(ip + 1);

	if ((void *)(data + ETH_HLEN) > end || (void *)(ip + 1) > end || ip->ihl != 5 ||
	    (void *)(th + 1) > end)
		return NULL;
	return th;
}

static __always_inline struct tcphdr *reply_tcp_v6(void *data, void *end, struct ipv6hdr *ip6)
{
	struct tcphdr *th = (void *)(ip6 + 1);

	if ((void *)(data + ETH_HLEN) > end || (void *)(ip6 + 1) > end ||
	    ip6->nexthdr != IPPROTO_TCP || (void *)(th + 1) > end)
		return NULL;
	return th;
}

/* Turn the SYN's IPv4 header around for a reply of l4_len bytes of TCP:
 * addresses swapped, no TOS, DF, our TTL, its checksum. */
static __always_inline void reply_ipv4(struct iphdr *ip, __u32 l4_len)
{
	__be32 addr = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = addr;
	ip->tos = 0;
	ip->tot_len = bpf_htons(sizeof(*ip) + l4_len);
	ip->id = 0;
	ip->frag_off = bpf_htons(TG_IP_DF);
	ip->ttl = TG_RST_TTL;
	ip->check = 0;
	ip->check = csum_fold(csum_words(ip, sizeof(*ip) / 4, 0));
}

/* The same for IPv6: no class or flow label either. */
static __always_inline void reply_ipv6(struct ipv6hdr *ip6, __u32 l4_len)
{
	struct in6_addr addr;

	__builtin_memcpy(&addr, &ip6->saddr, sizeof(addr));
	__builtin_memcpy(&ip6->saddr, &ip6->daddr, sizeof(addr));
	__builtin_memcpy(&ip6->daddr, &addr, sizeof(addr));
	*(__be32 *)ip6 = bpf_htonl(0x60000000); /* version 6, no class, no flow label */
	ip6->payload_len = bpf_htons(l4_len);
	ip6->hop_limit = TG_RST_TTL;
}

/*
 * The frame from data to end is a SYN: Ethernet (and tags), then IPv4
 * at ip; without options, TCP follows at once. Rewrite it into its RST
 * and return the new frame length, or -1 if it cannot be answered.
 */
static __always_inline int rst_v4(void *data, void *end, struct iphdr *ip)
{
	struct tg_pseudo4 ph = {};
	struct tcphdr *th;
	__u32 tot, l4_len;
	__u64 sum;

	th = reply_tcp_v4(data, end, ip);
	if (!th)
		return -1;
	tot = bpf_ntohs(ip->tot_len);
	l4_len = tot > sizeof(*ip) ? tot - sizeof(*ip) : 0;

	swap_macs(data);
	rst_tcp(th, l4_len);
	reply_ipv4(ip, sizeof(*th));

	ph.saddr = ip->saddr;
	ph.daddr = ip->daddr;
	ph.proto = IPPROTO_TCP;
	ph.len = bpf_htons(sizeof(*th));
	sum = csum_words(&ph, sizeof(ph) / 4, 0);
	th->check = csum_fold(csum_words(th, sizeof(*th) / 4, sum));
	return (int)((void *)(th + 1) - data);
}

/* The same for IPv6 without extension headers. */
static __always_inline int rst_v6(void *data, void *end, struct ipv6hdr *ip6)
{
	struct tg_pseudo6 ph = {};
	struct tcphdr *th;
	__u32 l4_len;
	__u64 sum;

	th = reply_tcp_v6(data, end, ip6);
	if (!th)
		return -1;
	l4_len = bpf_ntohs(ip6->payload_len);

	swap_macs(data);
	rst_tcp(th, l4_len);
	reply_ipv6(ip6, sizeof(*th));

	__builtin_memcpy(&ph.saddr, &ip6->saddr, sizeof(ph.saddr));
	__builtin_memcpy(&ph.daddr, &ip6->daddr, sizeof(ph.daddr));
	ph.len = bpf_htonl(sizeof(*th));
	ph.nexthdr = IPPROTO_TCP;
	sum = csum_words(&ph, sizeof(ph) / 4, 0);
	th->check = csum_fold(csum_words(th, sizeof(*th) / 4, sum));
	return (int)((void *)(th + 1) - data);
}

#endif /* TG_RST_H */
