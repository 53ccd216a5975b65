/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * frame_gen.h - random frames for the differential fuzzer, from a
 * seeded PRNG so any frame can be made again from (seed, index).
 *
 * Mostly well-formed frames of the kinds tidegate must tell apart (VLAN
 * stacks, IPv4 options, lengths and fragment bits, IPv6 chains of every
 * header type, TCP flags and data offsets, Ethernet padding), each
 * field now and then out of its range, then sometimes cut short or with
 * a few bytes flipped. Sources come mostly from a small pool, so
 * buckets fill and SYNs are dropped, not only admitted.
 */
#ifndef TG_FRAME_GEN_H
#define TG_FRAME_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

/* Under what BPF_PROG_TEST_RUN takes for XDP (a page less head and
 * tailroom) with room to spare. */
#define GEN_FRAME_MAX 3000
#define GEN_MIN_FRAME 60 /* Ethernet's minimum, without the FCS */

struct gen {
	__u64 s;
	const __u16 *extra_ports; /* limited ports besides 80 and 443 */
	unsigned int n_extra;
};

/* splitmix64: small, fast, and every seed is a good one. */
static inline __u64 gen_next(struct gen *g)
{
	__u64 z = (g->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline unsigned int gen_below(struct gen *g, unsigned int n)
{
	return (unsigned int)(gen_next(g) % n);
}

static inline bool gen_pct(struct gen *g, unsigned int pct)
{
	return gen_below(g, 100) < pct;
}

static inline unsigned int gen_pick(struct gen *g, const unsigned int *v, size_t n)
{
	return v[gen_below(g, (unsigned int)n)];
}

#define GEN_PICK(g, ...)                                                              \
	gen_pick((g), (const unsigned int[]){ __VA_ARGS__ },                          \
		 sizeof((const unsigned int[]){ __VA_ARGS__ }) / sizeof(unsigned int))

/* A frame being written; writes past the buffer are dropped (the
 * frame is then cut there, which is one more case). */
struct gen_buf {
	__u8 b[GEN_FRAME_MAX];
	size_t len;
};

static inline size_t gen_put(struct gen_buf *f, const void *p, size_t n)
{
	size_t at = f->len;

	if (n > GEN_FRAME_MAX - f->len)
		n = GEN_FRAME_MAX - f->len;
	memcpy(f->b + f->len, p, n);
	f->len += n;
	return at;
}

static inline size_t gen_zero(struct gen_buf *f, size_t n)
{
	static const __u8 zeros[GEN_FRAME_MAX];

	return gen_put(f, zeros, n);
}

static inline void gen_random(struct gen *g, struct gen_buf *f, size_t n)
{
	while (n--) {
		__u8 c = (__u8)gen_next(g);

		gen_put(f, &c, 1);
	}
}

static inline void gen_set16(struct gen_buf *f, size_t at, unsigned int v)
{
	if (at + 2 <= f->len) {
		f->b[at] = (__u8)(v >> 8);
		f->b[at + 1] = (__u8)v;
	}
}

static inline void gen_be16(struct gen_buf *f, unsigned int v)
{
	__u8 p[2] = { (__u8)(v >> 8), (__u8)v };

	gen_put(f, p, 2);
}

static inline void gen_be32(struct gen_buf *f, __u32 v)
{
	gen_be16(f, v >> 16);
	gen_be16(f, v & 0xffff);
}

static inline unsigned int gen_dport(struct gen *g)
{
	unsigned int r = gen_below(g, 100);

	if (r < 40)
		return 80;
	if (r < 60)
		return 443;
	if (r < 70 && g->n_extra)
		return g->extra_ports[gen_below(g, g->n_extra)];
	if (r < 85)
		return 22;
	return gen_below(g, 65536);
}

static inline __u8 gen_tcp_flags(struct gen *g)
{
	unsigned int r = gen_below(g, 100);

	if (r < 50) /* a SYN, now and then with FIN, RST, PSH, URG, ECE, CWR */
		return (__u8)(0x02 | (gen_pct(g, 30) ? gen_next(g) & 0xed : 0));
	if (r < 65)
		return 0x12; /* SYN+ACK */
	return (__u8)gen_next(g);
}

/*
 * TCP: header, options, payload. cut: if not (size_t)-1, the segment is
 * cut to that many bytes (a tiny first fragment). Returns its length.
 */
static inline size_t gen_tcp(struct gen *g, struct gen_buf *f, size_t cut)
{
	unsigned int doff = gen_pct(g, 70) ? 5 : gen_pct(g, 67) ? 6 + gen_below(g, 10) : gen_below(g, 5);
	size_t start = f->len, hlen = doff < 5 ? 20 : doff * 4;
	unsigned int payload = gen_pct(g, 20) ? gen_below(g, 41) : 0;

	gen_be16(f, 1024 + gen_below(g, 64512));
	gen_be16(f, gen_dport(g));
	gen_be32(f, (__u32)gen_next(g));
	gen_be32(f, gen_pct(g, 80) ? 0 : (__u32)gen_next(g));
	gen_be16(f, doff << 12 | gen_tcp_flags(g));
	gen_be16(f, 64240);
	gen_be32(f, 0); /* checksum, urgent pointer: XDP reads neither */
	gen_random(g, f, hlen - 20 + payload);
	if (cut != (size_t)-1 && start + cut < f->len)
		f->len = start + cut;
	return f->len - start;
}

/* Another upper layer: 8 bytes, as UDP or ICMP would start. */
static inline size_t gen_other_l4(struct gen *g, struct gen_buf *f)
{
	gen_be16(f, 1024 + gen_below(g, 64512));
	gen_be16(f, gen_dport(g));
	gen_be32(f, (__u32)gen_next(g));
	return 8;
}

/* How long a tiny first fragment's share of TCP is, or (size_t)-1. */
static inline size_t gen_tiny_cut(struct gen *g, bool first_frag)
{
	return first_frag && gen_pct(g, 40) ? gen_below(g, 24) : (size_t)-1;
}

/* A length field: right mostly, else short, long, zero or anything. */
static inline unsigned int gen_len_field(struct gen *g, unsigned int right)
{
	unsigned int r = gen_below(g, 100);

	if (r < 85)
		return right;
	if (r < 90)
		return right > 0 ? right - 1 - gen_below(g, right) : 0;
	if (r < 94)
		return right + 1 + gen_below(g, 64);
	if (r < 96)
		return 0;
	return gen_below(g, 65536);
}

static inline __u32 gen_src4(struct gen *g)
{
	unsigned int r = gen_below(g, 100);

	if (r < 85) /* 4 /24s of 4 hosts in 198.18.0.0/15 */
		return 0xc6120000 | gen_below(g, 4) << 8 | (1 + gen_below(g, 4));
	if (r < 88)
		return 0xe0000001; /* 224.0.0.1 */
	if (r < 90)
		return 0xffffffff;
	return (__u32)gen_next(g);
}

static inline __u32 gen_dst4(struct gen *g)
{
	unsigned int r = gen_below(g, 100);

	if (r < 90)
		return 0xc6336401; /* 198.51.100.1 */
	if (r < 94)
		return 0xe0000000 | (__u32)gen_below(g, 1 << 28);
	if (r < 97)
		return 0xffffffff;
	return (__u32)gen_next(g);
}

static inline void gen_ipv4(struct gen *g, struct gen_buf *f)
{
	unsigned int ihl = gen_pct(g, 80) ? 5 : gen_pct(g, 60) ? 6 + gen_below(g, 10) : gen_below(g, 5);
	unsigned int version = gen_pct(g, 97) ? 4 : gen_below(g, 16);
	unsigned int proto = gen_pct(g, 85) ? 6 : GEN_PICK(g, 17, 1, 4, 41, 47, 50, 132, 0) ;
	unsigned int frag, r = gen_below(g, 100), sum, i;
	size_t ip = f->len, hlen = ihl < 5 ? 20 : ihl * 4, l4;
	bool first_frag;

	if (gen_pct(g, 1))
		proto = gen_below(g, 256);
	if (r < 55)
		frag = 0;
	else if (r < 70)
		frag = 0x4000; /* DF */
	else if (r < 85)
		frag = 0x2000; /* MF, offset 0: a first fragment */
	else /* a later fragment, offsets up to the largest, 65528 bytes */
		frag = (gen_pct(g, 50) ? 0x2000 : 0) |
		       GEN_PICK(g, 1, 2, 185, 0x0800, 0x1000, 0x1001, 0x1fff, gen_below(g, 0x2000));
	first_frag = (frag & 0x3fff) == 0x2000;

	gen_be16(f, version << 12 | ihl << 8 | (gen_pct(g, 90) ? 0 : gen_below(g, 256)));
	gen_be16(f, 0); /* total length, below */
	gen_be16(f, gen_below(g, 65536));
	gen_be16(f, frag);
	gen_be16(f, (64 << 8) | proto);
	gen_be16(f, 0); /* checksum, below */
	gen_be32(f, gen_src4(g));
	gen_be32(f, gen_dst4(g));
	if (gen_pct(g, 50)) /* options: NOPs, or anything */
		for (i = 20; i < hlen; i++)
			gen_put(f, (const __u8[]){ 1 }, 1);
	else
		gen_random(g, f, hlen - 20);
	l4 = proto == 6 ? gen_tcp(g, f, gen_tiny_cut(g, first_frag)) : gen_other_l4(g, f);
	gen_set16(f, ip + 2, gen_len_field(g, (unsigned int)(hlen + l4)));
	for (sum = 0, i = 0; i < hlen && ip + i + 1 < f->len; i += 2)
		sum += (unsigned int)f->b[ip + i] << 8 | f->b[ip + i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	gen_set16(f, ip + 10, ~sum & 0xffff);
}

static inline void gen_addr6(struct gen *g, struct gen_buf *f, bool src)
{
	/* 2001:db8:0:N::H: 4 /64s of 4 hosts, or 2001:db8::1 */
	__u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	unsigned int r = gen_below(g, 100);

	if (r < 88) {
		if (src) {
			a[7] = (__u8)gen_below(g, 4);
			a[15] = (__u8)(1 + gen_below(g, 4));
			a[8] = gen_pct(g, 10) ? (__u8)gen_next(g) : 0; /* inside the /64 */
		} else {
			a[15] = 1;
		}
	} else if (r < 92) {
		memset(a, 0, sizeof(a)); /* ::ffff:198.18.0.1, IPv4-mapped */
		a[10] = a[11] = 0xff;
		a[12] = 198, a[13] = 18, a[15] = 1;
	} else if (r < 96) {
		memset(a, 0, sizeof(a)); /* ff02::1 */
		a[0] = 0xff, a[1] = 0x02, a[15] = 1;
	} else {
		for (r = 0; r < 16; r++)
			a[r] = (__u8)gen_next(g);
	}
	gen_put(f, a, sizeof(a));
}

/* The next header of an IPv6 chain: mostly walkable ones. */
static inline unsigned int gen_exthdr_type(struct gen *g)
{
	if (gen_pct(g, 90))
		return GEN_PICK(g, 0, 43, 60, 60, 51, 44);
	/* mobility, HIP, shim6, experimental, IPv4 and IPv6 in IPv6, anything */
	return GEN_PICK(g, 135, 139, 140, 253, 254, 4, 41, gen_below(g, 256));
}

static inline unsigned int gen_upper_type(struct gen *g)
{
	if (gen_pct(g, 85))
		return 6;
	return GEN_PICK(g, 17, 58, 59, 132, 47, 50, 4, 41, 135, gen_below(g, 256));
}

/* One extension header whose own next header is nh. first_frag is set
 * by a fragment header at offset 0 with M. */
static inline void gen_exthdr(struct gen *g, struct gen_buf *f, unsigned int type,
			      unsigned int nh, bool *first_frag)
{
	unsigned int hdrlen = gen_pct(g, 80) ? gen_below(g, 3) :
			      gen_pct(g, 90) ? gen_below(g, 16) : gen_below(g, 256);
	unsigned int fo;

	gen_put(f, (const __u8[]){ (__u8)nh }, 1);
	switch (type) {
	case 44: /* fragment: offset 0 or any other, up to 65528 bytes */
		fo = gen_pct(g, 60) ? 0 : GEN_PICK(g, 8, 1448, 0x8000, 0x8008, 0xfff8,
						   gen_below(g, 0x2000) << 3);
		fo |= gen_pct(g, 60) ? 1 : 0;
		if (gen_pct(g, 5))
			fo |= 6; /* reserved bits */
		*first_frag = (fo & 0xfff9) == 1;
		gen_put(f, (const __u8[]){ 0 }, 1);
		gen_be16(f, fo);
		gen_be32(f, (__u32)gen_next(g));
		break;
	case 51: /* AH: (hdrlen + 2) x 4 bytes */
		gen_put(f, (const __u8[]){ (__u8)hdrlen }, 1);
		gen_random(g, f, (hdrlen + 2) * 4 - 2);
		break;
	default: /* options, routing, and the unwalkable: (hdrlen + 1) x 8 */
		gen_put(f, (const __u8[]){ (__u8)hdrlen }, 1);
		if (gen_pct(g, 70))
			gen_zero(f, (hdrlen + 1) * 8 - 2); /* Pad1s */
		else
			gen_random(g, f, (hdrlen + 1) * 8 - 2);
		break;
	}
}

static inline void gen_ipv6(struct gen *g, struct gen_buf *f)
{
	unsigned int types[16], n, i, r = gen_below(g, 100), upper;
	size_t ip = f->len, l4;
	bool first_frag = false;

	n = r < 45 ? 0 : r < 80 ? 1 + gen_below(g, 3) : r < 92 ? 4 + gen_below(g, 5) :
							     8 + gen_below(g, 5);
	for (i = 0; i < n; i++)
		types[i] = gen_exthdr_type(g);
	upper = gen_upper_type(g);

	gen_be32(f, (gen_pct(g, 97) ? 6U : gen_below(g, 16)) << 28 | gen_below(g, 1 << 20));
	gen_be16(f, 0); /* payload length, below */
	gen_put(f, (const __u8[]){ (__u8)(n ? types[0] : upper), 64 }, 2);
	gen_addr6(g, f, true);
	gen_addr6(g, f, false);
	for (i = 0; i < n; i++)
		gen_exthdr(g, f, types[i], i + 1 < n ? types[i + 1] : upper, &first_frag);
	if (upper == 6)
		gen_tcp(g, f, gen_tiny_cut(g, first_frag));
	else
		gen_other_l4(g, f);
	l4 = f->len - ip - 40;
	gen_set16(f, ip + 4, gen_len_field(g, (unsigned int)l4));
}

/*
 * A frame from g's next numbers (the caller seeds g per frame, so frame
 * i of a seed is always the same). Returns its length: at least an
 * Ethernet header, which is all BPF_PROG_TEST_RUN requires.
 */
static inline size_t gen_frame(struct gen *g, struct gen_buf *f)
{
	static const __u8 src_mac[6] = { 0x02, 0xc1, 0, 0, 0, 0x02 };
	unsigned int tags = GEN_PICK(g, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3), i, r;
	__u8 dst_mac[6] = { 0x02, 0x5e, 0, 0, 0, 0x01 };

	f->len = 0;
	if (gen_pct(g, 4))
		dst_mac[0] = gen_pct(g, 50) ? 0x01 : 0xff; /* multicast, broadcast */
	gen_put(f, dst_mac, 6);
	gen_put(f, src_mac, 6);
	for (i = 0; i < tags; i++) {
		gen_be16(f, GEN_PICK(g, 0x8100, 0x88a8));
		gen_be16(f, 100 + i);
	}
	r = gen_below(g, 100);
	if (r < 45) {
		gen_be16(f, 0x0800);
		gen_ipv4(g, f);
	} else if (r < 90) {
		gen_be16(f, 0x86dd);
		gen_ipv6(g, f);
	} else {
		gen_be16(f, GEN_PICK(g, 0x0806, 0x88cc, 0x8847, gen_below(g, 65536)));
		gen_random(g, f, gen_below(g, 64));
	}

	/* Ethernet padding, zeros or not, and trailing bytes. */
	if (f->len < GEN_MIN_FRAME && gen_pct(g, 70)) {
		if (gen_pct(g, 70))
			gen_zero(f, GEN_MIN_FRAME - f->len);
		else
			gen_random(g, f, GEN_MIN_FRAME - f->len);
	} else if (gen_pct(g, 5)) {
		gen_random(g, f, 1 + gen_below(g, 40));
	}

	/* Mutations: a few bytes changed, or the frame cut short. */
	if (gen_pct(g, 12))
		for (i = 1 + gen_below(g, 4); i > 0; i--)
			f->b[gen_below(g, (unsigned int)f->len)] ^= (__u8)(1 + gen_below(g, 255));
	if (gen_pct(g, 8))
		f->len = 14 + gen_below(g, (unsigned int)(f->len - 14 + 1));
	return f->len;
}

#endif /* TG_FRAME_GEN_H */
