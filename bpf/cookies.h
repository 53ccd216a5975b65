/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cookies.h - SYN cookies of our own: made for a SYN at XDP, checked for
 * its ACK at XDP and again at TC, where the handshake is completed into
 * the listener with bpf_sk_assign_tcp_reqsk.
 *
 * The kernel does no cookie check on that path (it trusts the program),
 * so this check is all that stands between a forged ACK and accept().
 *
 * The cookie is the SYN-ACK's sequence number:
 *
 *     | 31 ... 8 | 7 | 6 5    | 4    | 3 2 1 0 |
 *     | H[23:0]  | t | mssidx | sack | wscale  |   (wscale 0xf: none)
 *
 * and, when timestamps are on, the SYN-ACK's TSval carries 8 more bits:
 * milliseconds & ~0xff | H[31:24]. H is SipHash-2-4, keyed per attach,
 * of both addresses, both ports, the client's ISN, the family, the
 * cookie's low byte and a counter that moves every 2^36 ns (68.7 s) whose parity is
 * t: an ACK names which of the current and previous counters made it,
 * so one hash checks it, and a cookie lives 69 to 137 s.
 *
 * The low byte is hashed with the rest, so an ACK cannot claim options
 * its SYN did not have. The options themselves are the client's: MSS
 * (to the kernel's table, as its own cookies do), SACK and window scale
 * are restored whether or not the client offered timestamps.
 */
#ifndef TG_COOKIES_H
#define TG_COOKIES_H

#include "parse.h"

#define TG_COOKIE_PERIOD_SHIFT 36
/* How long after the last cookie an ACK may still carry one: two
 * counter periods, and a little for clocks of two CPUs. */
#define TG_COOKIE_LIFE_NS ((2ULL << TG_COOKIE_PERIOD_SHIFT) + 1000000000ULL)
#define TG_COOKIE_WS_NONE 0xf
#define TG_COOKIE_SACK    (1U << 4)
#define TG_COOKIE_T       (1U << 7)

#define TCPOPT_NOP_      1
#define TCPOPT_MSS_      2
#define TCPOPT_WINDOW_   3
#define TCPOPT_SACKOK_   4
#define TCPOPT_TS_       8
#define TG_TCPOPT_MAX    40

/*
 * The kernel's own MSS tables for cookies (net/ipv4/syncookies.c,
 * net/ipv6/syncookies.c): what a client's MSS is rounded down to.
 * const volatile, not static const: a constant table lands in a
 * .rodata.cst section whose BTF the kernel rejects.
 */
const volatile __u16 tg_msstab4[4] = { 536, 1300, 1440, 1460 };
const volatile __u16 tg_msstab6[4] = { 1220, 1420, 1440, 8940 };

/* What a SYN or an ACK carried, from its TCP options. */
struct tg_tcpopts {
	__u32 tsval;
	__u32 tsecr;
	__u16 mss;   /* 0: none offered */
	__u8 wscale; /* TG_COOKIE_WS_NONE: none offered */
	bool sack;
	bool ts;
};

/* The option bytes, copied from the packet, and where the walk is. */
struct tg_optwalk {
	__u8 buf[TG_TCPOPT_MAX];
	__u32 pos;
	__u32 len;
	struct tg_tcpopts o; /* what was found */
};

/*
 * One option per call, for bpf_loop: an open-coded walk of 40 bytes
 * branches past the verifier's limit. Malformed options end the walk
 * with what was read so far, as the kernel's tcp_parse_options does.
 */
static long tg_opt_step(__u32 index, void *arg)
{
	struct tg_optwalk *w = arg;
	__u32 pos = w->pos, size;
	__u8 kind;

	if (pos >= w->len || pos >= TG_TCPOPT_MAX - 1)
		return 1;
	kind = w->buf[pos];
	if (kind == 0)
		return 1;
	if (kind == TCPOPT_NOP_) {
		w->pos = pos + 1;
		return 0;
	}
	size = w->buf[pos + 1];
	if (size < 2 || pos + size > w->len)
		return 1;
	if (kind == TCPOPT_MSS_ && size == 4 && pos + 3 < TG_TCPOPT_MAX)
		w->o.mss = (__u16)(w->buf[pos + 2] << 8 | w->buf[pos + 3]);
	else if (kind == TCPOPT_WINDOW_ && size == 3 && pos + 2 < TG_TCPOPT_MAX)
		w->o.wscale = w->buf[pos + 2] > 14 ? 14 : w->buf[pos + 2];
	else if (kind == TCPOPT_SACKOK_ && size == 2)
		w->o.sack = true;
	else if (kind == TCPOPT_TS_ && size == 10 && pos + 9 < TG_TCPOPT_MAX) {
		__u8 *b = &w->buf[pos + 2];

		w->o.ts = true;
		w->o.tsval = (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
		w->o.tsecr = (__u32)b[4] << 24 | (__u32)b[5] << 16 | (__u32)b[6] << 8 | b[7];
	}
	w->pos = pos + size;
	return 0;
}

/*
 * Walk the len option bytes the caller copied into w->buf. A global
 * function, verified once: the verifier need not carry every outcome
 * of the walk into what the caller does next.
 */
__noinline int tg_opts_parse(struct tg_optwalk *w, __u32 len)
{
	struct tg_optwalk lw = {}; /* bpf_loop wants its context on the stack */

	if (!w)
		return -1;
	__builtin_memcpy(lw.buf, w->buf, sizeof(lw.buf));
	lw.o.wscale = TG_COOKIE_WS_NONE;
	lw.len = len > TG_TCPOPT_MAX ? TG_TCPOPT_MAX : len;
	if (lw.len)
		bpf_loop(TG_TCPOPT_MAX, tg_opt_step, &lw, 0);
	w->o = lw.o;
	return 0;
}

/*
 * The layouts most SYNs carry, read in place: none, MSS alone, and
 * Linux's MSS SACK_PERM TS NOP WS. Saves the copy and the walk; any
 * other layout (or a malformed one) is left to tg_opts_parse, which
 * reads these the same. opt is the first option byte in the packet.
 */
static __always_inline bool tg_opts_fast(const __u8 *opt, const void *end, __u32 len,
					 struct tg_tcpopts *o)
{
	o->wscale = TG_COOKIE_WS_NONE;
	if (len == 0)
		return true;
	if (len == 4) {
		if ((void *)(opt + 4) > end || opt[0] != TCPOPT_MSS_ || opt[1] != 4)
			return false;
		o->mss = (__u16)(opt[2] << 8 | opt[3]);
		return true;
	}
	if (len != 20 || (void *)(opt + 20) > end)
		return false;
	if (opt[0] != TCPOPT_MSS_ || opt[1] != 4 || opt[4] != TCPOPT_SACKOK_ || opt[5] != 2 ||
	    opt[6] != TCPOPT_TS_ || opt[7] != 10 || opt[16] != TCPOPT_NOP_ ||
	    opt[17] != TCPOPT_WINDOW_ || opt[18] != 3)
		return false;
	o->mss = (__u16)(opt[2] << 8 | opt[3]);
	o->sack = true;
	o->ts = true;
	o->tsval = bpf_ntohl(*(__be32 *)(opt + 8));
	o->tsecr = bpf_ntohl(*(__be32 *)(opt + 12));
	o->wscale = opt[19] > 14 ? 14 : opt[19];
	return true;
}

/* ---- SipHash-2-4 over whole words ---- */

struct tg_sip {
	__u64 v0, v1, v2, v3;
};

static __always_inline __u64 rol64(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static __always_inline void sip_round(struct tg_sip *s)
{
	s->v0 += s->v1;
	s->v1 = rol64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rol64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rol64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rol64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rol64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rol64(s->v2, 32);
}

static __always_inline void sip_word(struct tg_sip *s, __u64 m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static __always_inline struct tg_sip sip_init(const __u64 key[2])
{
	return (struct tg_sip){
		.v0 = key[0] ^ 0x736f6d6570736575ULL,
		.v1 = key[1] ^ 0x646f72616e646f6dULL,
		.v2 = key[0] ^ 0x6c7967656e657261ULL,
		.v3 = key[1] ^ 0x7465646279746573ULL,
	};
}

/* The last block (the length of the message, whole words) and the
 * finalization. */
static __always_inline __u32 sip_final(struct tg_sip *s, __u32 words)
{
	sip_word(s, (__u64)(words * 8) << 56);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return (__u32)(s->v0 ^ s->v1 ^ s->v2 ^ s->v3);
}

/* The flow as the client sees it: from saddr:sport to daddr:dport,
 * addresses 16 bytes each (IPv4-mapped for IPv4), ports in network
 * order, isn the client's initial sequence number. */
struct tg_cookie_flow {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u32 isn;
};

#define TG_COOKIE_V6 (1U << 8) /* beside the low byte: the family */

/*
 * H of the cookie: the words hashed are the addresses (IPv4: both in
 * one word, half the work of IPv4-mapped IPv6), the ports as they lie
 * in memory with the ISN as a number, and the counter with the family
 * and the cookie's low byte. low carries TG_COOKIE_V6 for IPv6.
 * A global function, verified once, for the same reason.
 */
__noinline __u32 tg_cookie_hash(const struct tg_cookie_flow *f, __u64 counter, __u32 low,
				__u64 key0, __u64 key1)
{
	__u64 key[2] = { key0, key1 };
	struct tg_sip s = sip_init(key);

	if (!f)
		return 0;
	if (!(low & TG_COOKIE_V6)) {
		sip_word(&s, (__u64)bpf_ntohl(f->saddr[3]) << 32 | bpf_ntohl(f->daddr[3]));
	} else {
		sip_word(&s, (__u64)bpf_ntohl(f->saddr[0]) << 32 | bpf_ntohl(f->saddr[1]));
		sip_word(&s, (__u64)bpf_ntohl(f->saddr[2]) << 32 | bpf_ntohl(f->saddr[3]));
		sip_word(&s, (__u64)bpf_ntohl(f->daddr[0]) << 32 | bpf_ntohl(f->daddr[1]));
		sip_word(&s, (__u64)bpf_ntohl(f->daddr[2]) << 32 | bpf_ntohl(f->daddr[3]));
	}
	sip_word(&s, (__u64)f->sport << 48 | (__u64)f->dport << 32 | f->isn);
	sip_word(&s, counter << 9 | (low & (TG_COOKIE_V6 | 0xff)));
	return sip_final(&s, low & TG_COOKIE_V6 ? 6 : 3);
}

/* The index of the largest table MSS the client's mss reaches (the
 * smallest when it offered none or less). */
static __always_inline __u32 tg_mss_index(__u16 mss, bool v6)
{
	__u32 i;

	for (i = 3; i > 0; i--)
		if (mss >= (v6 ? tg_msstab6[i] : tg_msstab4[i]))
			break;
	return i;
}

static __always_inline __u16 tg_mss_of_index(__u32 i, bool v6)
{
	i &= 3;
	return v6 ? tg_msstab6[i] : tg_msstab4[i];
}

/* Forget the options the listener's netns has off (TG_COPT_*): a
 * cookie never promises what the kernel would refuse to restore. */
static __always_inline void tg_opts_allowed(struct tg_tcpopts *o, __u32 allowed)
{
	if (!(allowed & TG_COPT_TS))
		o->ts = false;
	if (!(allowed & TG_COPT_SACK))
		o->sack = false;
	if (!(allowed & TG_COPT_WS))
		o->wscale = TG_COOKIE_WS_NONE;
}

/* What a cookie says of the SYN it answered. */
struct tg_cookie_made {
	__u32 isn;    /* the SYN-ACK's sequence number */
	__u8 ts_low;  /* the low byte of its TSval (with timestamps) */
};

/*
 * The cookie for a SYN of flow f answered with options o (the SYN's,
 * less those the listener does not allow: tg_opts_allowed).
 */
static __always_inline struct tg_cookie_made tg_cookie_make(const struct tg_cookie_flow *f,
							    const struct tg_tcpopts *o, bool v6,
							    __u64 now, const __u64 key[2])
{
	__u64 counter = now >> TG_COOKIE_PERIOD_SHIFT;
	__u8 low = (__u8)(tg_mss_index(o->mss, v6) << 5);
	struct tg_cookie_made c;
	__u32 h;

	if (counter & 1)
		low |= TG_COOKIE_T;
	if (o->sack)
		low |= TG_COOKIE_SACK;
	low |= o->wscale & TG_COOKIE_WS_NONE;
	h = tg_cookie_hash(f, counter, low | (v6 ? TG_COOKIE_V6 : 0), key[0], key[1]);
	c.isn = (h & 0xffffff) << 8 | low;
	c.ts_low = (__u8)(h >> 24);
	return c;
}

/*
 * Whether cookie (the ACK's ack_seq - 1) was made by tg_cookie_make for
 * f (whose isn is the ACK's seq - 1) within its lifetime. With ts_low
 * >= 0 (the ACK's TSecr's low byte) its 8 bits are checked too.
 */
static __always_inline bool tg_cookie_check(const struct tg_cookie_flow *f, bool v6,
					    __u32 cookie, int ts_low, __u64 now,
					    const __u64 key[2])
{
	__u64 counter = now >> TG_COOKIE_PERIOD_SHIFT;
	__u8 low = (__u8)cookie;
	__u32 h;

	/* t names the counter: the current one, or the one before. */
	if (!!(counter & 1) != !!(low & TG_COOKIE_T))
		counter--;
	h = tg_cookie_hash(f, counter, low | (v6 ? TG_COOKIE_V6 : 0), key[0], key[1]);
	if ((h & 0xffffff) != cookie >> 8)
		return false;
	return ts_low < 0 || (__u8)(h >> 24) == (__u8)ts_low;
}

#endif /* TG_COOKIES_H */
