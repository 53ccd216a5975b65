/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * synack.h - turn a SYN into the SYN-ACK that carries its cookie, in
 * place, as rst.h turns one into an RST: MACs, addresses and ports
 * swapped, VLAN tags kept, full checksums, payload cut.
 *
 * Only the options the SYN offered (and the listener allows) are
 * answered, packed as Linux packs them:
 *
 *     MSS                      4 bytes, if the SYN had one
 *     SACK_PERM TS | NOP NOP TS 12, with timestamps
 *     NOP NOP SACK_PERM         4, SACK without timestamps
 *     NOP WS                    4, with window scale
 *
 * Each takes no more room than the SYN needed for the same option, so
 * the SYN-ACK is never longer than the SYN: no amplification, and the
 * frame only ever shrinks (bpf_xdp_adjust_tail), never grows.
 *
 * Not answered, as rst.h: IPv4 options, IPv6 extension headers, group
 * and broadcast addresses, first fragments (tg_cookie_syn checks).
 */
#ifndef TG_SYNACK_H
#define TG_SYNACK_H

#include "cookies.h"
#include "rst.h"

#define TG_SYNACK_WINDOW 65535
#define TG_TCP_HDR_WORDS 10 /* the longest TCP header we write: 40 bytes */

/* What the SYN-ACK answers with. */
struct tg_synack {
	struct tg_tcpopts opts; /* the SYN's, cut to what is answered */
	__u32 isn;              /* the cookie */
	__u32 tsval;            /* with opts.ts */
	__u16 mss;              /* ours */
	__u8 wscale;            /* ours, with opts.wscale != WS_NONE */
};

/*
 * The TCP header of the SYN-ACK for the SYN th, in words, network
 * order, the unused ones zero (they add nothing to a checksum). Returns
 * its length in bytes.
 */
static __always_inline __u32 synack_header(const struct tcphdr *th, const struct tg_synack *a,
					   __be32 hdr[TG_TCP_HDR_WORDS])
{
	const struct tg_tcpopts *o = &a->opts;
	__be16 *ports = (__be16 *)hdr;
	__u32 n = 5;

	ports[0] = th->dest;
	ports[1] = th->source;
	hdr[1] = bpf_htonl(a->isn);
	hdr[2] = bpf_htonl(bpf_ntohl(th->seq) + 1);
	hdr[4] = 0;
	if (o->mss)
		hdr[n++] = bpf_htonl(TCPOPT_MSS_ << 24 | 4 << 16 | a->mss);
	if (o->ts) {
		hdr[n++] = bpf_htonl((o->sack ? (TCPOPT_SACKOK_ << 24 | 2 << 16)
					      : (TCPOPT_NOP_ << 24 | TCPOPT_NOP_ << 16)) |
				     TCPOPT_TS_ << 8 | 10);
		hdr[n++] = bpf_htonl(a->tsval);
		hdr[n++] = bpf_htonl(o->tsval);
	} else if (o->sack) {
		hdr[n++] = bpf_htonl(TCPOPT_NOP_ << 24 | TCPOPT_NOP_ << 16 | TCPOPT_SACKOK_ << 8 | 2);
	}
	if (o->wscale != TG_COOKIE_WS_NONE && n < TG_TCP_HDR_WORDS)
		hdr[n++] = bpf_htonl(TCPOPT_NOP_ << 24 | TCPOPT_WINDOW_ << 16 | 3 << 8 | a->wscale);
	/* doff, flags SYN|ACK, window */
	hdr[3] = bpf_htonl(n << 28 | 0x12 << 16 | TG_SYNACK_WINDOW);
	return n * 4;
}

/* Copy the header over the SYN's: never past the frame's end. */
static __always_inline int synack_write(struct tcphdr *th, void *end,
					const __be32 hdr[TG_TCP_HDR_WORDS], __u32 len)
{
	__be32 *w = (__be32 *)th;
	int i;

#pragma unroll
	for (i = 0; i < TG_TCP_HDR_WORDS; i++) {
		if ((__u32)i * 4 < len) {
			if ((void *)(w + i + 1) > end)
				return -1;
			w[i] = hdr[i];
		}
	}
	return 0;
}

/* Fill in hdr's checksum, given the pseudo-header's sum. */
static __always_inline void synack_csum(__be32 hdr[TG_TCP_HDR_WORDS], __u64 pseudo)
{
	__u16 *check = (__u16 *)&hdr[4];

	*check = csum_fold(csum_words(hdr, TG_TCP_HDR_WORDS, pseudo));
}

/*
 * The frame from data to end is a SYN, IPv4 without options at ip:
 * rewrite it into its SYN-ACK; return the new frame length, or -1.
 */
static __always_inline int synack_v4(void *data, void *end, struct iphdr *ip,
				     const struct tg_synack *a)
{
	__be32 hdr[TG_TCP_HDR_WORDS] = {};
	struct tcphdr *th;
	__u32 len;

	th = reply_tcp_v4(data, end, ip);
	if (!th)
		return -1;
	len = synack_header(th, a, hdr);

	/* The pseudo-header's words: both addresses, then 0, proto, len. */
	synack_csum(hdr, (__u64)ip->saddr + ip->daddr + bpf_htonl(IPPROTO_TCP << 16 | len));
	if (synack_write(th, end, hdr, len))
		return -1;

	swap_macs(data);
	reply_ipv4(ip, len);
	return (int)((void *)th - data) + (int)len;
}

/* The same for IPv6 without extension headers. */
static __always_inline int synack_v6(void *data, void *end, struct ipv6hdr *ip6,
				     const struct tg_synack *a)
{
	__be32 hdr[TG_TCP_HDR_WORDS] = {};
	struct tcphdr *th;
	__u32 len;

	th = reply_tcp_v6(data, end, ip6);
	if (!th)
		return -1;
	len = synack_header(th, a, hdr);

	/* The pseudo-header's words: both addresses, len, then 0 and
	 * next header. */
	synack_csum(hdr, csum_words(&ip6->saddr, 8, bpf_htonl(len) + bpf_htonl(IPPROTO_TCP)));
	if (synack_write(th, end, hdr, len))
		return -1;

	swap_macs(data);
	reply_ipv6(ip6, len);
	return (int)((void *)th - data) + (int)len;
}

#endif /* TG_SYNACK_H */
