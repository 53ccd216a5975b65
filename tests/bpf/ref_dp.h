/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ref_dp.h - a reference of what tidegate does with one frame, written
 * from the README ("What is limited", "Parsing, and what passes on
 * purpose", the counter table, "Actions") and not from bpf/parse.h: a
 * plain walk over bytes, with offsets, no shared code. The differential
 * fuzzer (test_fuzz_datapath.c) holds the real program to it.
 *
 * The classifier says whether a frame is passed (and which counter
 * says why) or charged as a SYN to a limited port (and, for a SYN the
 * program cannot see whole, which counter says so), from which source,
 * and whether an RST may answer it. The bucket arithmetic is in
 * ref_gcra.h.
 *
 * When the README changes what tidegate does with a frame, change it
 * here first: the fuzzer then shows where the program still differs.
 */
#ifndef TG_REF_DP_H
#define TG_REF_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "tidegate.h"

#define REF_MAX_VLANS   2 /* README: up to two VLAN tags */
#define REF_MAX_EXTHDRS 8 /* README: up to 8 extension headers walked */

#define REF_CNT(field) offsetof(struct tg_counters, field)
#define REF_NO_CNT     ((size_t)-1)

enum ref_kind {
	REF_PASSED,  /* passed untouched, counted in .counter */
	REF_CHARGED, /* a SYN to a limited port: charged to its source */
};

struct ref_verdict {
	enum ref_kind kind;
	size_t counter;  /* PASSED: the counter saying why; CHARGED: frag_tiny,
			  * exthdr_long or REF_NO_CNT for a whole SYN */
	bool v6;
	__u8 saddr[16];  /* the whole source, IPv4 as ::ffff:a.b.c.d */
	bool rst_ok;     /* an RST may answer it (README, Actions) */
	/* The source field of an IPv4 or IPv6 header whose fixed part is in
	 * the frame, whatever else it says: what a deny --all rule matches
	 * ("every packet from the prefix"). hdr_family 0: none. */
	unsigned int hdr_family;
	__u8 hdr_saddr[16];
};

/* The frame, with the end that headers are bounded by. */
struct ref_frame {
	const __u8 *b;
	size_t end;
};

static inline bool ref_has(const struct ref_frame *f, size_t off, size_t n)
{
	return off + n <= f->end;
}

static inline unsigned int ref_u16(const struct ref_frame *f, size_t off)
{
	return (unsigned int)f->b[off] << 8 | f->b[off + 1];
}

static inline int ref_pass(struct ref_verdict *v, size_t counter)
{
	v->kind = REF_PASSED;
	v->counter = counter;
	return 0;
}

/*
 * What the frame's TCP header says, at off. first_frag: the datagram
 * goes on in later fragments, so a header cut here is completed by
 * reassembly (README: "a tiny fragment", charged unless what it shows
 * rules out a SYN to a limited port).
 */
static inline int ref_tcp(const struct ref_frame *f, size_t off, bool first_frag,
			  const __u8 *limited, struct ref_verdict *v)
{
	unsigned int doff;
	bool whole;

	if (ref_has(f, off, 20)) {
		doff = f->b[off + 12] >> 4;
		if (doff < 5)
			return ref_pass(v, REF_CNT(pass_badhdr));
		whole = ref_has(f, off, doff * 4);
	} else {
		whole = false;
	}
	if (!whole && !first_frag)
		return ref_pass(v, REF_CNT(pass_trunc));
	/* SYN set, ACK and RST clear, whatever else is set; in a cut
	 * header only a flags byte that is there can say otherwise. */
	if (ref_has(f, off + 13, 1) && (f->b[off + 13] & 0x16) != 0x02)
		return ref_pass(v, REF_CNT(pass_not_syn));
	if (ref_has(f, off + 2, 2) && !limited[ref_u16(f, off + 2)])
		return ref_pass(v, REF_CNT(pass_not_syn));
	v->kind = REF_CHARGED;
	v->counter = whole ? REF_NO_CNT : REF_CNT(frag_tiny);
	return 0;
}

/* IPv4 multicast (224.0.0.0/4) or the limited broadcast. */
static inline bool ref_v4_group(const __u8 *a)
{
	return (a[0] & 0xf0) == 0xe0 || (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff &&
					 a[3] == 0xff);
}

/* IPv4 or IPv6 in IP (4, 41), GRE (47): README, "Tunnels". */
static inline bool ref_tunnel(unsigned int proto)
{
	return proto == 4 || proto == 41 || proto == 47;
}

static inline int ref_ipv4(struct ref_frame *f, size_t l3, const __u8 *limited,
			   struct ref_verdict *v)
{
	const __u8 *ip = f->b + l3;
	unsigned int ihl, frag;

	if (!ref_has(f, l3, 20))
		return ref_pass(v, REF_CNT(pass_trunc));
	ihl = ip[0] & 0xf;
	if (ip[0] >> 4 != 4 || ihl < 5)
		return ref_pass(v, REF_CNT(pass_badhdr));
	/* Headers end where the datagram does, never in the padding after
	 * it; a datagram longer than its frame is truncated. */
	if (ref_u16(f, l3 + 2) < ihl * 4)
		return ref_pass(v, REF_CNT(pass_badhdr));
	if (!ref_has(f, l3, ref_u16(f, l3 + 2)))
		return ref_pass(v, REF_CNT(pass_trunc));
	f->end = l3 + ref_u16(f, l3 + 2);
	frag = ref_u16(f, l3 + 6);
	if (frag & 0x1fff) /* a non-first fragment: no TCP header */
		return ref_pass(v, REF_CNT(fragment));
	if (ref_tunnel(ip[9]))
		return ref_pass(v, REF_CNT(pass_tunnel));
	if (ip[9] != 6)
		return ref_pass(v, REF_CNT(pass_not_syn));
	memset(v->saddr, 0, 10);
	v->saddr[10] = v->saddr[11] = 0xff;
	memcpy(v->saddr + 12, ip + 12, 4);
	/* README, Actions: no RST to a SYN with options, in a first
	 * fragment, or to or from a group address. */
	v->rst_ok = v->rst_ok && ihl == 5 && !(frag & 0x2000) && !ref_v4_group(ip + 12) &&
		    !ref_v4_group(ip + 16);
	return ref_tcp(f, l3 + ihl * 4, frag & 0x2000, limited, v);
}

static inline bool ref_v4mapped(const __u8 *a)
{
	static const __u8 pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pre, sizeof(pre));
}

/*
 * IPv6: the extension headers the README says are walked (hop-by-hop
 * 0, routing 43, fragment 44, AH 51, destination options 60), up to 8,
 * then TCP (6). Behind more than 8 the kernel walks on: charged as a
 * SYN whose TCP is not seen (exthdr_long). A first fragment cut inside
 * the headers after its fragment header is a tiny fragment.
 */
static inline int ref_ipv6(struct ref_frame *f, size_t l3, const __u8 *limited,
			   struct ref_verdict *v)
{
	const __u8 *ip = f->b + l3;
	bool first_frag = false;
	size_t off = l3 + 40;
	unsigned int nh, n;

	if (!ref_has(f, l3, 40))
		return ref_pass(v, REF_CNT(pass_trunc));
	if (ip[0] >> 4 != 6 || ref_v4mapped(ip + 8))
		return ref_pass(v, REF_CNT(pass_badhdr));
	/* The payload length bounds the headers, but for a jumbogram
	 * (length 0, a hop-by-hop header first), which the frame bounds. */
	if (ref_u16(f, l3 + 4) || ip[6] != 0) {
		if (!ref_has(f, l3 + 40, ref_u16(f, l3 + 4)))
			return ref_pass(v, REF_CNT(pass_trunc));
		f->end = l3 + 40 + ref_u16(f, l3 + 4);
	}
	memcpy(v->saddr, ip + 8, 16);
	v->v6 = true;
	/* No RST past extension headers, nor to or from ff00::/8. */
	v->rst_ok = v->rst_ok && ip[6] == 6 && ip[8] != 0xff && ip[24] != 0xff;
	nh = ip[6];
	for (n = 0;; n++) {
		bool walkable = nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;

		if (nh == 6 && n <= REF_MAX_EXTHDRS)
			return ref_tcp(f, off, first_frag, limited, v);
		if (!walkable) {
			if (ref_tunnel(nh))
				return ref_pass(v, REF_CNT(pass_tunnel));
			/* UDP, ICMPv6, no next header, SCTP, ESP: not TCP.
			 * Anything else cannot be walked. */
			if (nh == 17 || nh == 58 || nh == 59 || nh == 132 || nh == 50)
				return ref_pass(v, REF_CNT(pass_not_syn));
			return ref_pass(v, REF_CNT(pass_exthdr));
		}
		/* One more header than are walked: that it begins is enough. */
		if (!ref_has(f, off, nh == 44 && n < REF_MAX_EXTHDRS ? 8 : 2)) {
			if (!first_frag)
				return ref_pass(v, REF_CNT(pass_trunc));
			v->kind = REF_CHARGED;
			v->counter = REF_CNT(frag_tiny);
			return 0;
		}
		if (n == REF_MAX_EXTHDRS) {
			v->kind = REF_CHARGED;
			v->counter = REF_CNT(exthdr_long);
			return 0;
		}
		if (nh == 44) {
			unsigned int fo = ref_u16(f, off + 2);

			if (fo & 0xfff8)
				return ref_pass(v, REF_CNT(fragment));
			first_frag = fo & 1;
			v->rst_ok = false;
			nh = f->b[off];
			off += 8;
		} else if (nh == 51) {
			nh = f->b[off];
			off += (f->b[off + 1] + 2) * 4;
		} else {
			nh = f->b[off];
			off += (f->b[off + 1] + 1) * 8;
		}
	}
}

/*
 * Classify a frame of len bytes (at least an Ethernet header): limited
 * is 1 for each limited port. Returns 0; v says what tidegate does.
 */
static inline int ref_classify(const __u8 *frame, size_t len, const __u8 *limited,
			       struct ref_verdict *v)
{
	struct ref_frame f = { frame, len };
	unsigned int type, tags;
	size_t off = 12;

	memset(v, 0, sizeof(*v));
	/* No RST to a group Ethernet destination (README, Actions). */
	v->rst_ok = !(frame[0] & 1);
	type = ref_u16(&f, off);
	for (tags = 0; type == 0x8100 || type == 0x88a8; tags++) {
		if (tags == REF_MAX_VLANS)
			return ref_pass(v, REF_CNT(pass_vlan));
		if (!ref_has(&f, off + 2, 4))
			return ref_pass(v, REF_CNT(pass_trunc));
		off += 4;
		type = ref_u16(&f, off);
	}
	off += 2;
	if (type == 0x0800 && ref_has(&f, off, 20)) {
		v->hdr_family = 4;
		v->hdr_saddr[10] = v->hdr_saddr[11] = 0xff;
		memcpy(v->hdr_saddr + 12, frame + off + 12, 4);
	} else if (type == 0x86dd && ref_has(&f, off, 40)) {
		v->hdr_family = 6;
		memcpy(v->hdr_saddr, frame + off + 8, 16);
	}
	if (type == 0x0800)
		return ref_ipv4(&f, off, limited, v);
	if (type == 0x86dd)
		return ref_ipv6(&f, off, limited, v);
	return ref_pass(v, REF_CNT(pass_not_ip));
}

#endif /* TG_REF_DP_H */
