/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pkt.h - craft Ethernet frames for BPF_PROG_TEST_RUN.
 *
 * A frame is described by a struct pkt_spec, plain data, so a test table
 * states each packet on a line or two; pkt_build() writes the bytes:
 * Ethernet, any number of VLAN tags, IPv4 (options, fragments) or IPv6
 * (an extension header chain), then TCP (options), UDP or a bare L4
 * stub. Lengths and the IPv4 header checksum are filled in; L4
 * checksums are left zero, XDP does not look at them. No padding is
 * added unless asked for (pad_to), so the frame ends exactly where its
 * last header ends and every shorter prefix cuts a header.
 */
#ifndef TG_TEST_PKT_H
#define TG_TEST_PKT_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/types.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

#define PKT_MAX       2048
#define PKT_MAX_VLANS 4
#define PKT_MAX_EXT   12

/* TCP flags, byte 13 of the header */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10
#define PKT_URG 0x20
#define PKT_ECE 0x40
#define PKT_CWR 0x80

/* IPv4 frag_off field, host order */
#define PKT_IP_DF 0x4000
#define PKT_IP_MF 0x2000

/* IPv6 fragment header frag_off field, host order */
#define PKT_IP6_MF 0x0001
#define PKT_IP6_OFF(bytes) ((__u16)((bytes) & 0xfff8))

/*
 * One IPv6 extension header. hdrlen is the header's own length field:
 * hop-by-hop, routing and destination options are (hdrlen + 1) * 8
 * bytes, AH is (hdrlen + 2) * 4. A fragment header is always 8 bytes
 * and carries frag_off (offset in bytes | PKT_IP6_MF), host order.
 */
struct pkt_ext {
	__u8 type;
	__u8 hdrlen;
	__u16 frag_off;
};

struct pkt_spec {
	__u16 vlan[PKT_MAX_VLANS];  /* TPIDs, outermost first; 0 ends */
	__u16 ethertype;            /* after the tags; host order */
	__u8 ip_version;            /* version field; 0: 4 or 6 by ethertype */
	__u8 ihl;                   /* IPv4 header in words; 0: 5 */
	__u16 frag_off;             /* IPv4 flags and offset, host order */
	__u32 saddr4;               /* host order */
	struct in6_addr saddr6;
	struct pkt_ext ext[PKT_MAX_EXT]; /* IPv6 extension chain, in order */
	unsigned int n_ext;
	__u8 l4;                    /* IPv4 protocol / last next header; 0: TCP */
	__u8 tcp_flags;             /* PKT_SYN, ... */
	__u8 doff;                  /* TCP header in words; 0: 5 */
	__u16 dport;                /* TCP or UDP destination port */
	__u16 l4_len;               /* cut L4 to this many bytes, as a first
				     * fragment carries its start; 0: whole */
	__u16 pad_to;               /* Ethernet padding: the frame grows to this
				     * many bytes, the IP lengths do not */
	__u8 pad_byte;              /* what the padding holds */
};

/* .ext and .n_ext together: PKT_EXTS({ IPPROTO_HOPOPTS, 0 }, ...) */
#define PKT_EXTS(...)                                                   \
	.ext = { __VA_ARGS__ },                                         \
	.n_ext = sizeof((struct pkt_ext[]){ __VA_ARGS__ }) / sizeof(struct pkt_ext)

struct pkt_buf {
	__u8 *data;
	size_t len;
	size_t size;
};

/* Room for n more bytes, zeroed; NULL when the frame would overflow. */
static inline __u8 *pkt_put(struct pkt_buf *b, size_t n)
{
	__u8 *p;

	if (n > b->size - b->len)
		return NULL;
	p = b->data + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static inline void pkt_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void pkt_be32(__u8 *p, __u32 v)
{
	pkt_be16(p, v >> 16);
	pkt_be16(p + 2, v & 0xffff);
}

static inline __u16 pkt_csum(const __u8 *p, size_t n)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static inline int pkt_eth(struct pkt_buf *b, const struct pkt_spec *s)
{
	static const __u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const __u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	__u8 *p = pkt_put(b, ETH_HLEN);
	int i;

	if (!p)
		return -ENOSPC;
	memcpy(p, dst, ETH_ALEN);
	memcpy(p + ETH_ALEN, src, ETH_ALEN);
	for (i = 0; i < PKT_MAX_VLANS && s->vlan[i]; i++) {
		/* The previous type field says a tag follows. */
		pkt_be16(b->data + b->len - 2, s->vlan[i]);
		p = pkt_put(b, 4);
		if (!p)
			return -ENOSPC;
		pkt_be16(p, 100 + i); /* TCI: VLAN id */
	}
	pkt_be16(b->data + b->len - 2, s->ethertype);
	return 0;
}

static inline int pkt_tcp(struct pkt_buf *b, const struct pkt_spec *s)
{
	unsigned int doff = s->doff ? s->doff : 5;
	size_t len = doff < 5 ? 20 : doff * 4;
	__u8 *p = pkt_put(b, len);

	if (!p)
		return -ENOSPC;
	pkt_be16(p, 40000);	/* source port */
	pkt_be16(p + 2, s->dport);
	pkt_be32(p + 4, 0x01020304); /* sequence */
	p[12] = (__u8)(doff << 4);
	p[13] = s->tcp_flags;
	pkt_be16(p + 14, 64240); /* window */
	memset(p + 20, 1, len - 20); /* options: NOPs */
	return 0;
}

/* The transport header, or a stub of 8 bytes for anything not TCP/UDP. */
static inline int pkt_l4_whole(struct pkt_buf *b, const struct pkt_spec *s, __u8 proto)
{
	__u8 *p;

	if (proto == IPPROTO_TCP)
		return pkt_tcp(b, s);
	p = pkt_put(b, 8);
	if (!p)
		return -ENOSPC;
	if (proto == IPPROTO_UDP) {
		pkt_be16(p, 40000);
		pkt_be16(p + 2, s->dport);
		pkt_be16(p + 4, 8);
	} else if (proto == IPPROTO_ICMP) {
		p[0] = 8; /* echo request */
	} else if (proto == IPPROTO_ICMPV6) {
		p[0] = 128; /* echo request */
	}
	return 0;
}

static inline int pkt_l4(struct pkt_buf *b, const struct pkt_spec *s, __u8 proto)
{
	size_t start = b->len;
	int err = pkt_l4_whole(b, s, proto);

	if (!err && s->l4_len && start + s->l4_len < b->len)
		b->len = start + s->l4_len;
	return err;
}

static inline __u8 pkt_l4_proto(const struct pkt_spec *s)
{
	return s->l4 ? s->l4 : IPPROTO_TCP;
}

static inline int pkt_ipv4(struct pkt_buf *b, const struct pkt_spec *s)
{
	unsigned int ihl = s->ihl ? s->ihl : 5;
	size_t start = b->len, hlen = (ihl < 5 ? 5 : ihl) * 4;
	__u8 *p = pkt_put(b, hlen);
	int err;

	if (!p)
		return -ENOSPC;
	p[0] = (__u8)((s->ip_version ? s->ip_version : 4) << 4 | (ihl & 0xf));
	pkt_be16(p + 4, 0x1234); /* id */
	pkt_be16(p + 6, s->frag_off);
	p[8] = 64;
	p[9] = pkt_l4_proto(s);
	pkt_be32(p + 12, s->saddr4);
	pkt_be32(p + 16, 0xc6336401); /* 198.51.100.1 */
	memset(p + 20, 1, hlen - 20); /* options: NOPs */

	err = pkt_l4(b, s, p[9]);
	if (err)
		return err;
	p = b->data + start;
	pkt_be16(p + 2, (__u16)(b->len - start));
	pkt_be16(p + 10, pkt_csum(p, hlen));
	return 0;
}

static inline size_t pkt_ext_len(const struct pkt_ext *e)
{
	switch (e->type) {
	case IPPROTO_FRAGMENT:
		return 8;
	case IPPROTO_AH:
		return (e->hdrlen + 2) * 4;
	default:
		return (e->hdrlen + 1) * 8;
	}
}

static inline int pkt_ext(struct pkt_buf *b, const struct pkt_ext *e, __u8 next)
{
	size_t len = pkt_ext_len(e);
	__u8 *p = pkt_put(b, len);

	if (!p)
		return -ENOSPC;
	p[0] = next;
	switch (e->type) {
	case IPPROTO_FRAGMENT:
		pkt_be16(p + 2, e->frag_off);
		pkt_be32(p + 4, 0xcafe);
		break;
	case IPPROTO_AH:
		p[1] = e->hdrlen;
		pkt_be32(p + 4, 0x100); /* SPI */
		pkt_be32(p + 8, 1);	/* sequence */
		break;
	case IPPROTO_ROUTING:
		p[1] = e->hdrlen; /* type 0, no segments left */
		break;
	default:
		/* Options headers: one PadN option fills the rest. */
		p[1] = e->hdrlen;
		p[2] = 1;
		p[3] = (__u8)(len - 4);
		break;
	}
	return 0;
}

static inline int pkt_ipv6(struct pkt_buf *b, const struct pkt_spec *s)
{
	static const struct in6_addr dst = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };
	size_t start = b->len;
	__u8 *p = pkt_put(b, 40);
	unsigned int i;
	int err;

	if (!p)
		return -ENOSPC;
	p[0] = (__u8)((s->ip_version ? s->ip_version : 6) << 4);
	p[6] = s->n_ext ? s->ext[0].type : pkt_l4_proto(s);
	p[7] = 64;
	memcpy(p + 8, &s->saddr6, 16);
	memcpy(p + 24, &dst, 16);

	for (i = 0; i < s->n_ext; i++) {
		__u8 next = i + 1 < s->n_ext ? s->ext[i + 1].type : pkt_l4_proto(s);

		err = pkt_ext(b, &s->ext[i], next);
		if (err)
			return err;
	}
	err = pkt_l4(b, s, pkt_l4_proto(s));
	if (err)
		return err;
	pkt_be16(b->data + start + 4, (__u16)(b->len - start - 40));
	return 0;
}

/* An ARP request; for any other ethertype, 46 bytes of zeros. */
static inline int pkt_other(struct pkt_buf *b, const struct pkt_spec *s)
{
	__u8 *p;

	if (s->ethertype != ETH_P_ARP)
		return pkt_put(b, 46) ? 0 : -ENOSPC;
	p = pkt_put(b, 28);
	if (!p)
		return -ENOSPC;
	pkt_be16(p, 1);		/* Ethernet */
	pkt_be16(p + 2, ETH_P_IP);
	p[4] = ETH_ALEN;
	p[5] = 4;
	pkt_be16(p + 6, 1);	/* request */
	pkt_be32(p + 14, s->saddr4);
	pkt_be32(p + 24, 0xc6336401);
	return 0;
}

/* Write the frame s describes into buf. Returns its length or -ENOSPC. */
static inline int pkt_build(const struct pkt_spec *s, void *buf, size_t size)
{
	struct pkt_buf b = { .data = buf, .size = size };
	int err;

	err = pkt_eth(&b, s);
	if (err)
		return err;
	switch (s->ethertype) {
	case ETH_P_IP:
		err = pkt_ipv4(&b, s);
		break;
	case ETH_P_IPV6:
		err = pkt_ipv6(&b, s);
		break;
	default:
		err = pkt_other(&b, s);
		break;
	}
	if (!err && s->pad_to > b.len) {
		size_t n = s->pad_to - b.len;
		__u8 *p = pkt_put(&b, n);

		if (!p)
			return -ENOSPC;
		memset(p, s->pad_byte, n);
	}
	return err ? err : (int)b.len;
}

/* A plain SYN to dport from an IPv4 source (host order). */
static inline struct pkt_spec pkt_syn4(__u32 saddr, __u16 dport)
{
	return (struct pkt_spec){
		.ethertype = ETH_P_IP,
		.saddr4 = saddr,
		.tcp_flags = PKT_SYN,
		.dport = dport,
	};
}

/* A plain SYN to dport from an IPv6 source. */
static inline struct pkt_spec pkt_syn6(const struct in6_addr *saddr, __u16 dport)
{
	return (struct pkt_spec){
		.ethertype = ETH_P_IPV6,
		.saddr6 = *saddr,
		.tcp_flags = PKT_SYN,
		.dport = dport,
	};
}

/* 192.0.2.1 as 0xc0000201 */
#define PKT_IP4(a, b, c, d) \
	((__u32)(a) << 24 | (__u32)(b) << 16 | (__u32)(c) << 8 | (__u32)(d))

/* An IPv6 address from text; the tests only pass literals. */
static inline struct in6_addr pkt_ip6(const char *text)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, text, &a);
	return a;
}

#endif /* TG_TEST_PKT_H */
