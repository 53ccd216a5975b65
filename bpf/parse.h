/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - bounds-checked header parsing for the XDP program.
 *
 * A cursor walks the frame; each helper checks its header against the
 * end of the packet, advances the cursor and says what comes next. A
 * helper that cannot go on returns a TG_P_* reason and the program
 * passes the packet, counted by that reason: tidegate never drops what
 * it does not understand.
 *
 * Known bypasses, on purpose:
 *  - a non-first fragment carries no TCP header; it is passed (counted
 *    as a fragment). The first fragment carries it and is limited.
 *  - a SYN whose TCP header (options included) is cut short is passed as
 *    truncated: the kernel's TCP discards it before allocating anything.
 *    Not so a first fragment cut inside the TCP header (a "tiny
 *    fragment", RFC 1858; RFC 7112 forbids it for IPv6): reassembly
 *    completes it, so it is no bypass: see parse_tcp_tiny().
 *  - more than TG_MAX_VLANS tags is passed and counted (pass_vlan). The
 *    kernel hands such a frame to IP only through a stack of as many
 *    VLAN devices, one per tag; without that stack it is dropped, and
 *    tidegate does not support one.
 *  - an extension header we cannot walk (mobility, HIP, shim6, the
 *    experimental numbers) is passed and counted (pass_exthdr). Linux
 *    registers no protocol handler for any of them: it hands the packet
 *    to a raw socket at most (else answers with an ICMPv6 error), and
 *    never what follows to TCP, so there is no SYN behind them to
 *    limit. ESP is encrypted: not TCP to us.
 *
 *  - IP in IP (IPv4 or IPv6 inside, protocols 4 and 41) and GRE are
 *    passed and counted (pass_tunnel): the inner SYN is the business of
 *    the host that decapsulates it, where it arrives on the tunnel's
 *    own device (README: tunnels).
 *
 * Never read as header: bytes past the IP datagram. Every bound is the
 * nearer of the frame's end and the end the IP header states (IPv4
 * total length, IPv6 payload length), so Ethernet padding after a short
 * datagram is never taken for TCP (cursor_room). A datagram longer than
 * its frame is passed as truncated: the kernel drops it.
 *
 * Not a bypass: a chain still walkable after TG_MAX_EXTHDRS headers.
 * The bound is ours, for the verifier; the kernel walks any number of
 * them to TCP. parse_exthdrs says TG_P_LONG, and the packet is charged as
 * a SYN to a port we cannot see, as a tiny fragment is (exthdr_long).
 */
#ifndef TG_PARSE_H
#define TG_PARSE_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tidegate.h"

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif

#define TG_MAX_VLANS   2
#define TG_MAX_EXTHDRS 8

/*
 * The furthest from the frame's start the parsers can leave the cursor:
 * Ethernet, TG_MAX_VLANS tags, IPv6 and TG_MAX_EXTHDRS extension headers
 * of at most (255 + 1) * 8 bytes each (IPv4 with options, AH and the
 * fragment header are shorter). It holds whatever the frame's length: a
 * cut first fragment may leave the cursor past the end.
 */
#define TG_IP6_PAYLOAD_OFF (ETH_HLEN + TG_MAX_VLANS * 4 + 40) /* the chain's start */
#define TG_L4_OFF_MAX (TG_IP6_PAYLOAD_OFF + TG_MAX_EXTHDRS * 256 * 8)

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define TG_IP_MF     0x2000
#define TG_IP_OFFSET 0x1FFF
#define TG_IP6_OFFSET 0xFFF8 /* fragment offset bits of frag_off */
#define TG_IP6_MF     0x0001 /* more fragments follow */
#define TG_TCP_FLAGS_OFF 13  /* byte of the TCP header holding SYN and ACK */
#define TG_TCP_SYN    0x02
#define TG_TCP_RST    0x04
#define TG_TCP_ACK    0x10

enum tg_parse {
	TG_P_OK = 0,
	TG_P_NOT_IP,
	TG_P_NOT_TCP,
	TG_P_TRUNC,
	TG_P_BADHDR,
	TG_P_EXTHDR,
	TG_P_VLAN,
	TG_P_FRAG,
	TG_P_LONG, /* IPv6: walkable headers past TG_MAX_EXTHDRS, TCP unseen */
	TG_P_TUNNEL, /* IP in IP or GRE: the inner packet is not ours */
};

/*
 * end is the frame's end, the bound the verifier knows; ip_end is where
 * the IP datagram ends (end until an IP header says otherwise). Every
 * header is checked against both: cursor_room.
 */
struct cursor {
	void *pos;
	void *end;
	void *ip_end;
};

/* Whether n bytes from p lie inside the frame and the IP datagram. */
static __always_inline bool cursor_room(const struct cursor *c, const void *p, __u32 n)
{
	return p + n <= c->end && p + n <= c->ip_end;
}

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ipv6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

/* Ethernet, then up to TG_MAX_VLANS 802.1Q/802.1ad tags in any order. */
static __always_inline int parse_eth(struct cursor *c, __u16 *proto)
{
	struct ethhdr *eth = c->pos;
	__u16 p;
	int i;

	if ((void *)(eth + 1) > c->end)
		return TG_P_TRUNC;
	c->pos = eth + 1;
	p = eth->h_proto;

#pragma unroll
	for (i = 0; i < TG_MAX_VLANS; i++) {
		struct vlan_hdr *vh = c->pos;

		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return TG_P_TRUNC;
		c->pos = vh + 1;
		p = vh->proto;
	}
	if (p == bpf_htons(ETH_P_8021Q) || p == bpf_htons(ETH_P_8021AD))
		return TG_P_VLAN;
	*proto = p;
	return TG_P_OK;
}

/* IPv4 in IP, IPv6 in IP, GRE: tunnels whose inner SYN tidegate does not
 * see here (the README says where to limit it). */
static __always_inline bool ip_tunnel(__u8 proto)
{
	return proto == IPPROTO_IPIP || proto == IPPROTO_IPV6 || proto == IPPROTO_GRE;
}

/* IPv4 with options. Leaves the cursor on the L4 header, bounded by the
 * total length, and says whether this is the first of several fragments. */
static __always_inline int parse_ipv4(struct cursor *c, __be32 *saddr, bool *first_frag)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, tot;

	if ((void *)(ip + 1) > c->end)
		return TG_P_TRUNC;
	if (ip->version != 4 || ip->ihl < 5)
		return TG_P_BADHDR;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen)
		return TG_P_BADHDR;
	if (c->pos + tot > c->end)
		return TG_P_TRUNC;
	c->ip_end = c->pos + tot;
	/* A non-first fragment has no TCP header to look at. */
	if (ip->frag_off & bpf_htons(TG_IP_OFFSET))
		return TG_P_FRAG;
	if (ip->protocol != IPPROTO_TCP)
		return ip_tunnel(ip->protocol) ? TG_P_TUNNEL : TG_P_NOT_TCP;
	*first_frag = !!(ip->frag_off & bpf_htons(TG_IP_MF));
	*saddr = ip->saddr;
	c->pos += hlen;
	return TG_P_OK;
}

/* The extension headers parse_exthdrs walks. */
static __always_inline bool exthdr_walkable(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH ||
	       nexthdr == IPPROTO_FRAGMENT;
}

/* An IPv4-mapped address, ::ffff:a.b.c.d. Word 2 first: a real IPv6
 * address almost never has 0x0000ffff there, so one compare decides. */
static __always_inline bool ipv6_v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[2] == bpf_htonl(0xffff) &&
	       !(a->in6_u.u6_addr32[0] | a->in6_u.u6_addr32[1]);
}

/*
 * What an IPv6 next header that is not an extension we walk says about
 * the packet: TCP, another upper layer, a tunnel, or an extension we
 * cannot walk. The same inside the chain and at its bound.
 */
static __always_inline int ipv6_upper(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_TCP:
		return TG_P_OK;
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
	case IPPROTO_NONE:
	case IPPROTO_SCTP:
	case IPPROTO_ESP: /* encrypted: whatever is inside is not ours */
		return TG_P_NOT_TCP;
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
	case IPPROTO_GRE:
		return TG_P_TUNNEL;
	default:
		/* Mobility, HIP, shim6, experimental: an extension we
		 * cannot walk could hide TCP behind it; say so. */
		return TG_P_EXTHDR;
	}
}

/*
 * IPv6's own header. Leaves the cursor after it, bounded by the payload
 * length, and *nexthdr on what follows: TCP, or the extension headers
 * parse_exthdrs walks (exthdr_walkable), or ipv6_upper tells.
 *
 * An IPv4-mapped source is a bad header here: no such packet comes off
 * the wire from a real stack, Linux's TCP discards a SYN from one
 * (tcp_v6_conn_request), and with a long enough --v6-prefix its key
 * would be the IPv4 source's bucket (IPv4 keys are IPv4-mapped).
 *
 * A payload length of 0 before a hop-by-hop header announces a
 * jumbogram (RFC 2675), whose length is in that header's option: the
 * frame's end bounds it then, as the kernel's own check does.
 */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **hdr, __u8 *nexthdr)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen;

	if ((void *)(ip6 + 1) > c->end)
		return TG_P_TRUNC;
	if (ip6->version != 6 || ipv6_v4mapped(&ip6->saddr))
		return TG_P_BADHDR;
	*hdr = ip6;
	*nexthdr = ip6->nexthdr;
	plen = bpf_ntohs(ip6->payload_len);
	if (plen || *nexthdr != IPPROTO_HOPOPTS) {
		if ((void *)(ip6 + 1) + plen > c->end)
			return TG_P_TRUNC;
		c->ip_end = (void *)(ip6 + 1) + plen;
	}
	c->pos = ip6 + 1;
	return TG_P_OK;
}

/*
 * The bounded chain of extension headers after IPv6's, from the cursor,
 * nexthdr the first: hop-by-hop, routing, destination options, fragment
 * and AH. Leaves the cursor on TCP, or for TG_P_LONG on the first header
 * past the bound, everything bounded by the payload length.
 */
static __always_inline int parse_exthdrs(struct cursor *c, __u8 nexthdr, bool *first_frag)
{
	int i;

	for (i = 0; i < TG_MAX_EXTHDRS; i++) {
		struct ipv6_opt_hdr *oh = c->pos;
		struct ipv6_frag *fh = c->pos;

		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (!cursor_room(c, oh, sizeof(*oh)))
				return TG_P_TRUNC;
			nexthdr = oh->nexthdr;
			c->pos += (oh->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if (!cursor_room(c, oh, sizeof(*oh)))
				return TG_P_TRUNC;
			nexthdr = oh->nexthdr;
			c->pos += (oh->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (!cursor_room(c, fh, sizeof(*fh)))
				return TG_P_TRUNC;
			if (fh->frag_off & bpf_htons(TG_IP6_OFFSET))
				return TG_P_FRAG;
			*first_frag = !!(fh->frag_off & bpf_htons(TG_IP6_MF));
			nexthdr = fh->nexthdr;
			c->pos = fh + 1;
			break;
		default:
			return ipv6_upper(nexthdr);
		}
	}
	if (!exthdr_walkable(nexthdr))
		return ipv6_upper(nexthdr);
	/* One more the kernel would walk, if it is there at all. */
	if (!cursor_room(c, c->pos, sizeof(struct ipv6_opt_hdr)))
		return TG_P_TRUNC;
	return TG_P_LONG;
}

/*
 * parse_exthdrs run by a global function of each entry point
 * (tg_exthdrs_xdp, tg_exthdrs_tc), which the verifier checks once:
 * inlined, every way through the chain (each header's kind, length and
 * fragment bits) was a state of its own that the verifier carried
 * through all the code after the parser. What goes in and comes out,
 * as offsets from the frame's start.
 */
struct tg_exthdrs {
	__u32 pos;       /* in: the first header after IPv6's; out: the cursor */
	__u32 ip_end;    /* in: where the datagram ends */
	__u8 nexthdr;    /* in: IPv6's next header */
	__u8 first_frag; /* out: as parse_exthdrs's */
};

/* The furthest parse_ipv6 puts the datagram's end. */
#define TG_IP_END_OFF_MAX (TG_IP6_PAYLOAD_OFF + 0xffff)

/*
 * IPv6's header (parse_ipv6) and what follows it: false when *ret says
 * already (TCP, another upper protocol, the header's fault), true when
 * a chain of extension headers follows, to be walked with w.
 */
static __always_inline bool parse_ipv6_head(struct cursor *c, void *data, struct ipv6hdr **ip6,
					    struct tg_exthdrs *w, int *ret)
{
	__u8 nexthdr;

	*ret = parse_ipv6(c, ip6, &nexthdr);
	if (*ret)
		return false;
	if (!exthdr_walkable(nexthdr)) {
		*ret = ipv6_upper(nexthdr);
		return false;
	}
	w->pos = c->pos - data;
	w->ip_end = c->ip_end - data;
	w->nexthdr = nexthdr;
	w->first_frag = false;
	return true;
}

/* The global function's body, on the frame from data to end. */
static __always_inline int exthdrs_walk(void *data, void *end, struct tg_exthdrs *w)
{
	struct cursor c = { .end = end };
	bool first_frag = false;
	int ret;

	/* Never so (parse_ipv6); said for the verifier. */
	if (!w || w->pos > TG_IP6_PAYLOAD_OFF)
		return TG_P_TRUNC;
	c.pos = data + w->pos;
	/* Further than a payload length reaches, it is a jumbogram's: the
	 * frame's end, which cursor_room checks anyway. */
	c.ip_end = w->ip_end > TG_IP_END_OFF_MAX ? end : data + w->ip_end;
	ret = parse_exthdrs(&c, w->nexthdr, &first_frag);
	w->pos = c.pos - data;
	w->first_frag = first_frag;
	return ret;
}

/* The cursor where the walk left it. */
static __always_inline int exthdrs_out(struct cursor *c, void *data, const struct tg_exthdrs *w,
				       int ret, bool *first_frag)
{
	/* Never so (TG_L4_OFF_MAX); said for the verifier. */
	if (w->pos > TG_L4_OFF_MAX)
		return TG_P_TRUNC;
	c->pos = data + w->pos;
	*first_frag = w->first_frag;
	return ret;
}

/*
 * Whether TCP flags make a SYN that opens a connection: SYN set, ACK
 * and RST clear, whatever else (ECE, CWR, FIN, PSH, URG) is set. A
 * listener discards a segment with RST before it looks at SYN
 * (tcp_rcv_state_process), so SYN+RST opens nothing and is not charged;
 * nor is it ever answered.
 */
static __always_inline bool tcp_flags_syn(__u8 flags)
{
	return (flags & (TG_TCP_SYN | TG_TCP_ACK | TG_TCP_RST)) == TG_TCP_SYN;
}

/* TCP, options included. Returns the destination port (host order) and
 * whether this is a SYN (tcp_flags_syn). */
static __always_inline int parse_tcp(struct cursor *c, __u16 *dport, bool *syn)
{
	struct tcphdr *th = c->pos;
	__u32 hlen;

	if (!cursor_room(c, th, sizeof(*th)))
		return TG_P_TRUNC;
	if (th->doff < 5)
		return TG_P_BADHDR;
	hlen = th->doff * 4;
	if (!cursor_room(c, th, hlen))
		return TG_P_TRUNC;
	*dport = bpf_ntohs(th->dest);
	*syn = tcp_flags_syn(((__u8 *)th)[TG_TCP_FLAGS_OFF]);
	return TG_P_OK;
}

/*
 * A first fragment whose TCP header is cut short: what is visible may
 * rule out a SYN (the flags byte is there and says otherwise) or a
 * limited port (the ports are there); anything else must be charged as
 * a SYN, since reassembly may make one. Returns whether *dport is known.
 */
static __always_inline bool parse_tcp_tiny(struct cursor *c, __u16 *dport, bool *syn)
{
	__u8 *p = c->pos;

	*dport = 0;
	*syn = true;
	if (!cursor_room(c, p, 4))
		return false;
	*dport = bpf_ntohs(((struct tcphdr *)p)->dest);
	if (cursor_room(c, p, TG_TCP_FLAGS_OFF + 1))
		*syn = tcp_flags_syn(p[TG_TCP_FLAGS_OFF]);
	return true;
}

#endif /* TG_PARSE_H */
