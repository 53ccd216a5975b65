// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_cookies.c - SYN cookies at XDP (bpf/cookies.h, synack.h,
 * handshake.h): the SYN-ACK byte for byte against one built here from
 * the SYN alone, with a SipHash of our own checked against the
 * reference vector; ACKs with good, bad, stale and misdirected cookies
 * and cut short; the budget; what the modes cover; that a spoofed SYN
 * never makes a bucket. The TC half needs a real listener: see
 * tests/integration/61-syncookies.sh.
 */
#include "xdp_env.h"

#define KEY0 0x0706050403020100ULL
#define KEY1 0x0f0e0d0c0b0a0908ULL
#define MSS4 1460
#define MSS6 1440
#define WSCALE 7

/* ---- SipHash-2-4, the reference algorithm over bytes ---- */

static __u64 rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void round2(__u64 v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

static __u64 le64(const __u8 *p, size_t n)
{
	__u64 x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x |= (__u64)p[i] << (8 * i);
	return x;
}

static __u64 siphash(const __u8 *m, size_t len, __u64 k0, __u64 k1)
{
	__u64 v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		       k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	size_t i, full = len & ~(size_t)7;
	__u64 b;

	for (i = 0; i < full; i += 8) {
		__u64 w = le64(m + i, 8);

		v[3] ^= w;
		round2(v);
		round2(v);
		v[0] ^= w;
	}
	b = (__u64)len << 56 | le64(m + full, len - full);
	v[3] ^= b;
	round2(v);
	round2(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		round2(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void test_siphash_vector(void)
{
	__u8 key[16], msg[15];
	int i;

	for (i = 0; i < 16; i++)
		key[i] = (__u8)i;
	for (i = 0; i < 15; i++)
		msg[i] = (__u8)i;
	tap_is((long long)siphash(msg, 15, le64(key, 8), le64(key + 8, 8)),
	       (long long)0xa129ca6149be45e5ULL, "SipHash-2-4 here matches the paper's vector");
}

/* ---- the cookie as cookies.h describes it, from the SYN's spec ---- */

struct opts {
	int mss;     /* 0: none */
	int wscale;  /* -1: none */
	bool sack, ts;
	__u32 tsval;
};

static void put64(__u8 *p, __u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (__u8)(v >> (8 * i));
}

/* An address, 16 bytes, IPv4-mapped for IPv4, as 2 big-endian words. */
static void addr16(bool v6, const char *text, __u8 out[16])
{
	memset(out, 0, 16);
	if (v6) {
		inet_pton(AF_INET6, text, out);
	} else {
		out[10] = out[11] = 0xff;
		inet_pton(AF_INET, text, out + 12);
	}
}

static __u64 be64_of(const __u8 *p)
{
	__u64 x = 0;
	int i;

	for (i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

static __u32 cookie_hash(bool v6, const char *src, const char *dst, __u16 sport, __u16 dport,
			 __u32 isn, __u64 counter, __u8 low)
{
	__u8 s[16], d[16], m[48], *w = m;

	addr16(v6, src, s);
	addr16(v6, dst, d);
	/* The program hashes words made of the bytes in network order:
	 * IPv4's two addresses in one word, IPv6's in four. */
	if (v6) {
		put64(w, be64_of(s));
		put64(w + 8, be64_of(s + 8));
		put64(w + 16, be64_of(d));
		put64(w + 24, be64_of(d + 8));
		w += 32;
	} else {
		put64(w, be64_of((const __u8[8]){ s[12], s[13], s[14], s[15], d[12], d[13], d[14], d[15] }));
		w += 8;
	}
	put64(w, (__u64)htons(sport) << 48 | (__u64)htons(dport) << 32 | isn);
	put64(w + 8, counter << 9 | (v6 ? 0x100 : 0) | low);
	return (__u32)siphash(m, (size_t)(w + 16 - m), KEY0, KEY1);
}

static int mss_index(int mss, bool v6)
{
	static const int t4[4] = { 536, 1300, 1440, 1460 }, t6[4] = { 1220, 1420, 1440, 8940 };
	int i;

	for (i = 3; i > 0; i--)
		if (mss >= (v6 ? t6[i] : t4[i]))
			break;
	return i;
}

static const char *dst_of(const struct fspec *s)
{
	return s->dst ? s->dst : s->v6 ? "2001:db8::1" : "198.51.100.1";
}

/* The cookie (ISN) and TSval the program must send at time now. */
static void expect_cookie(const struct fspec *s, const struct opts *o, __u64 now, __u32 *isn,
			  __u32 *tsval)
{
	__u64 counter = now >> 36;
	__u8 low = (__u8)(mss_index(o->mss, s->v6) << 5);
	__u32 h;

	low |= (counter & 1) ? 0x80 : 0;
	low |= o->sack ? 0x10 : 0;
	low |= o->wscale >= 0 ? (__u8)o->wscale : 0xf;
	h = cookie_hash(s->v6, s->src, dst_of(s), s->sport ? s->sport : 40000,
			s->dport ? s->dport : 80, s->seq, counter, low);
	*isn = (h & 0xffffff) << 8 | low;
	*tsval = ((__u32)(now / 1000000) & ~0xffU) | h >> 24;
}

/* The SYN's option bytes for o, packed as Linux packs them. */
static unsigned int syn_options(const struct opts *o, __u8 *b)
{
	unsigned int n = 0;

	if (o->mss) {
		b[n++] = 2; b[n++] = 4; b[n++] = (__u8)(o->mss >> 8); b[n++] = (__u8)o->mss;
	}
	if (o->sack && o->ts) {
		b[n++] = 4; b[n++] = 2;
	} else if (o->ts || o->sack) {
		b[n++] = 1; b[n++] = 1;
		if (o->sack) {
			b[n++] = 4; b[n++] = 2;
		}
	}
	if (o->ts) {
		b[n++] = 8; b[n++] = 10;
		be32(b + n, o->tsval); n += 4;
		be32(b + n, 0); n += 4;
	}
	if (o->wscale >= 0) {
		b[n++] = 1; b[n++] = 3; b[n++] = 3; b[n++] = (__u8)o->wscale;
	}
	return n;
}

/* The SYN-ACK for s (options o) at now, from s alone. */
static int expect_synack(const struct fspec *s, const struct opts *o, __u64 now, __u8 *buf)
{
	__u8 src[16], dst[16], *ip, *th, *op;
	__u32 isn, tsval;
	size_t hl;

	addr_of(s->v6, s->src, src);
	addr_of(s->v6, dst_of(s), dst);
	expect_cookie(s, o, now, &isn, &tsval);
	ip = buf + fexpect_l2(s, buf);
	th = ip + (s->v6 ? 40 : 20);
	op = th + 20;
	memset(th, 0, 60);
	if (o->mss) {
		op[0] = 2; op[1] = 4; be16(op + 2, s->v6 ? MSS6 : MSS4); op += 4;
	}
	if (o->ts) {
		op[0] = o->sack ? 4 : 1; op[1] = o->sack ? 2 : 1; op[2] = 8; op[3] = 10;
		be32(op + 4, tsval);
		be32(op + 8, o->tsval);
		op += 12;
	} else if (o->sack) {
		op[0] = 1; op[1] = 1; op[2] = 4; op[3] = 2; op += 4;
	}
	if (o->wscale >= 0) {
		op[0] = 1; op[1] = 3; op[2] = 3; op[3] = WSCALE; op += 4;
	}
	hl = (size_t)(op - th);
	be16(th, s->dport ? s->dport : 80);
	be16(th + 2, s->sport ? s->sport : 40000);
	be32(th + 4, isn);
	be32(th + 8, s->seq + 1);
	th[12] = (__u8)(hl / 4 << 4);
	th[13] = 0x12;
	be16(th + 14, 65535);
	if (s->v6) {
		memset(ip, 0, 40);
		be32(ip, 0x60000000);
		be16(ip + 4, (__u16)hl);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, dst, 16);
		memcpy(ip + 24, src, 16);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		be16(ip + 2, (__u16)(20 + hl));
		be16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, dst, 4);
		memcpy(ip + 16, src, 4);
		be16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	be16(th + 16, tcp_csum(s->v6, dst, src, th, hl));
	return (int)(th - buf + hl);
}

/* ---- the program's setup ---- */

/* Load with mode and the host facts fixed here (attach reads them). */
static int cookies_open(struct env *e, __u32 mode, __u32 budget, __u32 new_source_rate)
{
	struct tg_config cfg;
	struct tg_limits l;
	int err = env_open(e, "1/minute", 1);

	if (err)
		return err;
	l = e->lim;
	l.syn_cookies = mode;
	l.cookie_budget = budget;
	l.new_source_rate = new_source_rate;
	err = env_limits(e, &l);
	if (err)
		return err;
	cfg = env_config(e);
	cfg.cookie_key[0] = KEY0;
	cfg.cookie_key[1] = KEY1;
	cfg.cookie_mss4 = MSS4;
	cfg.cookie_mss6 = MSS6;
	cfg.cookie_wscale = WSCALE;
	cfg.cookie_opts = TG_COPT_TS | TG_COPT_SACK | TG_COPT_WS | TG_COPT_TC | TG_COPT_READY;
	return tg_config_write(e->m.config, e->m.config_gen, &cfg);
}

static int syn_frame(const struct fspec *base, const struct opts *o, __u8 *frame,
		     struct fspec *s, __u8 *optbuf)
{
	*s = *base;
	s->tcp_opts = syn_options(o, optbuf);
	while (s->tcp_opts % 4)
		optbuf[s->tcp_opts++] = 0; /* end of options */
	s->opt_bytes = optbuf;
	return fbuild(s, frame);
}

/* The bucket of an IPv4 source under the default limit. */
static int v4_bucket(struct env *e, const char *addr, struct tg_bucket *b)
{
	struct tg_source k = {};

	k.addr[10] = k.addr[11] = 0xff;
	if (inet_pton(AF_INET, addr, &k.addr[12]) != 1)
		return -EINVAL;
	return bpf_map_lookup_elem(e->m.buckets, &k, b) ? -errno : 0;
}

static int tg_bucket_count_env(struct env *e)
{
	struct tg_source key, next;
	const void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(e->m.buckets, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static void check_synack(const struct fspec *base, const struct opts *o, const char *desc)
{
	struct tg_counters before, want = { 0 };
	__u8 frame[512], out[512], expect[512], optbuf[40];
	__u32 out_len = sizeof(out);
	struct fspec s;
	int len, elen;
	struct env e;

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 1000, 0), "%s: load, cookies on", desc))
		return;
	len = syn_frame(base, o, frame, &s, optbuf);
	elen = expect_synack(&s, o, T0, expect);
	before = env_counters(&e);
	tap_is(env_run(&e, frame, (__u32)len, out, &out_len), XDP_TX,
	       "%s: answered with a SYN-ACK (XDP_TX)", desc);
	frames_equal(out, (int)out_len, expect, elen, desc);
	tap_ok((int)out_len <= len, "%s: the SYN-ACK (%u bytes) is no longer than the SYN (%d)",
	       desc, out_len, len);
	want.packets = 1;
	want.cookie_syn = want.cookie_sent = 1;
	env_moved(&e, &before, &want, desc);
	tap_is(tg_bucket_count_env(&e), 0, "%s: no bucket for the source", desc);
	env_close(&e);
}

static void test_synack_frames(void)
{
	const struct fspec v4 = { .src = "192.0.2.33", .sport = 51000, .seq = 0x11223344 };
	const struct fspec v4_vlan = { .vlans = 1, .src = "192.0.2.34", .sport = 52000,
				       .seq = 0xffffffff, .payload = 5 };
	const struct fspec v4_qinq = { .vlans = 2, .src = "192.0.2.35", .sport = 53000, .seq = 7 };
	const struct fspec v6 = { .v6 = true, .src = "2001:db8:5::9", .sport = 54000,
				  .seq = 0xdeadbeef };
	const struct fspec v6_vlan = { .v6 = true, .vlans = 1, .src = "2001:db8:5::a",
				       .sport = 55000, .seq = 1 };
	const struct opts linux_like = { .mss = 1460, .wscale = 7, .sack = true, .ts = true,
					 .tsval = 0xabcdef01 };
	const struct opts none = { .wscale = -1 };
	const struct opts mss_ws = { .mss = 1400, .wscale = 2 };
	const struct opts ts_only = { .mss = 1440, .wscale = -1, .ts = true, .tsval = 5 };
	const struct opts sack_ws = { .mss = 8960, .wscale = 14, .sack = true };

	check_synack(&v4, &linux_like, "IPv4, MSS SACK TS WS");
	check_synack(&v4, &none, "IPv4, no options");
	check_synack(&v4_vlan, &mss_ws, "IPv4, a VLAN tag, MSS 1400 and WS, 5 bytes of data");
	check_synack(&v4_qinq, &linux_like, "IPv4, two VLAN tags, MSS SACK TS WS");
	check_synack(&v6, &linux_like, "IPv6, MSS SACK TS WS");
	check_synack(&v6, &ts_only, "IPv6, MSS and TS, no SACK or WS");
	check_synack(&v6_vlan, &sack_ws, "IPv6, a VLAN tag, MSS 8960, SACK, WS 14");
}

/* The SYN-ACK's sequence number, from the frame the program sent. */
static __u32 synack_isn(const __u8 *out, bool v6, int vlans)
{
	const __u8 *th = out + 14 + 4 * vlans + (v6 ? 40 : 20);

	return (__u32)th[4] << 24 | (__u32)th[5] << 16 | (__u32)th[6] << 8 | th[7];
}

/* Send the SYN of s; its cookie. */
static __u32 send_syn(struct env *e, const struct fspec *s)
{
	__u8 frame[512], out[512];
	__u32 out_len = sizeof(out);
	int len = fbuild(s, frame);

	if (env_run(e, frame, (__u32)len, out, &out_len) != XDP_TX)
		return 0;
	return synack_isn(out, s->v6, s->vlans);
}

static int send_ack(struct env *e, struct fspec a, __u32 seq, __u32 ack, int cut)
{
	__u8 frame[512];
	int len;

	a.flags = F_ACK;
	a.seq = seq;
	a.ack = ack;
	len = fbuild(&a, frame);
	return env_run(e, frame, (__u32)(len - cut), NULL, NULL);
}

/* The drop log holds exactly one line now: of kind why, about src. */
static const struct tg_log_event *one_line(struct env *e, __u8 why, const struct fspec *src,
					   const char *desc)
{
	static struct env_events evs;
	__u8 addr[16];
	int n = env_log_drain(e, &evs);

	tap_is(n, 1, "%s: one drop log line", desc);
	if (n != 1)
		return NULL;
	addr16(src->v6, src->src, addr);
	tap_is(evs.ev[0].why, why, "%s: its kind", desc);
	tap_ok(!memcmp(evs.ev[0].addr, addr, 16) && evs.ev[0].family == (src->v6 ? 6 : 4),
	       "%s: the packet's source, %s", desc, src->src);
	return &evs.ev[0];
}

static void test_acks(void)
{
	const struct fspec v4 = { .src = "192.0.2.40", .sport = 41000, .seq = 1000 };
	const struct fspec v6 = { .v6 = true, .src = "2001:db8:7::1", .sport = 41001, .seq = 2000 };
	const struct fspec *fams[2] = { &v4, &v6 };
	int i;

	for (i = 0; i < 2; i++) {
		const struct fspec *s = fams[i];
		const char *fam = s->v6 ? "IPv6" : "IPv4";
		struct tg_counters before, want = { 0 };
		struct fspec other = *s;
		__u32 isn;
		struct env e;

		if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 1000, 0), "%s acks: load", fam))
			continue;
		before = env_counters(&e);
		tap_is(send_ack(&e, *s, s->seq + 1, 12345, 0), XDP_PASS,
		       "%s: an ACK before any cookie was sent is not looked at", fam);
		want.packets = 1;
		want.pass_not_syn = 1;
		env_moved(&e, &before, &want, "  before any cookie");

		isn = send_syn(&e, s);
		tap_ok(isn != 0, "%s: a cookie SYN-ACK for the SYN", fam);
		before = env_counters(&e);
		tap_is(send_ack(&e, *s, s->seq + 1, isn + 1, 0), XDP_PASS,
		       "%s: the ACK with the cookie passes on to TC", fam);
		tap_is(send_ack(&e, *s, s->seq + 1, isn + 0x101, 0), XDP_DROP,
		       "%s: an ACK with a wrong cookie is dropped", fam);
		tap_is(send_ack(&e, *s, s->seq + 2, isn + 1, 0), XDP_DROP,
		       "%s: the cookie with another client ISN is dropped", fam);
		other.sport = (__u16)(s->sport + 1);
		tap_is(send_ack(&e, other, s->seq + 1, isn + 1, 0), XDP_DROP,
		       "%s: the cookie from another source port is dropped", fam);
		other = *s;
		other.src = s->v6 ? "2001:db8:7::2" : "192.0.2.41";
		tap_is(send_ack(&e, other, s->seq + 1, isn + 1, 0), XDP_DROP,
		       "%s: the cookie from another address is dropped", fam);
		other = *s;
		other.dst = s->v6 ? "2001:db8::2" : "198.51.100.2";
		tap_is(send_ack(&e, other, s->seq + 1, isn + 1, 0), XDP_DROP,
		       "%s: the cookie to another address is dropped", fam);
		tap_is(send_ack(&e, *s, s->seq + 1, isn + 1, 8), XDP_PASS,
		       "%s: an ACK cut inside its TCP header is passed, unchecked", fam);
		want = (struct tg_counters){ 0 };
		want.packets = 7;
		want.pass_not_syn = 1;
		want.pass_trunc = 1;
		want.cookie_ack_invalid = 5;
		want.log_emitted = 1;
		env_moved(&e, &before, &want, fam);
		{
			const struct tg_log_event *ev =
				one_line(&e, TG_WHY_COOKIE_INVALID, s, "bad cookies");

			tap_ok(ev && ev->action == TG_ACT_DROP && ev->dport == 80 &&
				       !ev->rate_count && !ev->since_ns,
			       "%s: five bad cookies at once, one line: dropped, to port 80", fam);
		}

		/* A cookie lives one to two periods of 2^36 ns. */
		env_clock(&e, T0 + (1ULL << 36));
		tap_is(send_ack(&e, *s, s->seq + 1, isn + 1, 0), XDP_PASS,
		       "%s: the cookie a period later still passes", fam);
		env_clock(&e, T0 + (2ULL << 36));
		tap_is(send_ack(&e, *s, s->seq + 1, isn + 1, 0), XDP_DROP,
		       "%s: two periods later it is stale: dropped", fam);
		env_close(&e);
	}
}

/* Whatever the SYN, at most the budget in SYN-ACKs; group addresses
 * never answered; the source never gets a bucket. */
static void test_budget_and_groups(void)
{
	struct tg_counters before, want = { 0 };
	struct env e;
	int i, tx = 0;

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 3, 0), "budget: load, 3 SYN-ACKs a second"))
		return;
	before = env_counters(&e);
	for (i = 0; i < 10; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 2000 };

		snprintf(src, sizeof(src), "198.18.0.%d", 10 + i);
		tx += send_syn(&e, &s) != 0;
	}
	tap_is(tx, 3, "budget: 3 SYN-ACKs for 10 SYNs from new sources");
	want.packets = 10;
	want.cookie_syn = 10;
	want.cookie_sent = 3;
	want.cookie_budget_exceeded = 7;
	want.log_emitted = 1;
	env_moved(&e, &before, &want, "budget");
	{
		const struct fspec fourth = { .src = "198.18.0.13" };
		const struct tg_log_event *ev = one_line(&e, TG_WHY_COOKIE_BUDGET, &fourth,
							 "budget exceeded 7 times");

		tap_ok(ev && ev->action == TG_ACT_DROP && ev->rate_count == 3 &&
			       ev->rate_period_ns == SEC_NS,
		       "budget: the line is the first SYN over it, and says the budget, 3/s");
	}
	tap_is(tg_bucket_count_env(&e), 0, "budget: ten spoofed SYNs, no bucket");
	env_close(&e);

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 1000, 0), "groups: load"))
		return;
	{
		const struct fspec cases[] = {
			{ .src = "192.0.2.50", .dst = "224.0.0.1" },
			{ .src = "192.0.2.51", .dst = "255.255.255.255" },
			{ .v6 = true, .src = "2001:db8:6::2", .dst = "ff02::1" },
			{ .src = "224.0.0.9" },
			{ .src = "192.0.2.52", .ip_opts = 8 },
			{ .v6 = true, .src = "2001:db8:6::3", .ext_hdr = true },
		};
		__u8 frame[512];
		int n = (int)(sizeof(cases) / sizeof(cases[0])), drop = 0, len;

		before = env_counters(&e);
		for (i = 0; i < n; i++) {
			len = fbuild(&cases[i], frame);
			drop += env_run(&e, frame, (__u32)len, NULL, NULL) == XDP_DROP;
		}
		tap_is(drop, n, "groups, IP options, extension headers: dropped, never answered");
		want = (struct tg_counters){ 0 };
		want.packets = (__u64)n;
		want.cookie_syn = want.cookie_skipped = (__u64)n;
		env_moved(&e, &before, &want, "not answerable");
	}
	env_close(&e);
}

/* on: a tracked source, an allowlisted one, dry run take the normal
 * path; a valid cookie's source is tracked (by TC, here by hand). */
static void test_modes(void)
{
	const struct fspec s = { .src = "192.0.2.60", .sport = 3000, .seq = 9 };
	struct tg_counters before, want = { 0 };
	struct tg_source key = { 0 };
	struct tg_bucket b = { .tat_ns = 0 };
	struct tg_limits l;
	__u8 frame[512];
	struct env e;
	int len, i, tx = 0, pass = 0;

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 1000, 0), "modes: load, on"))
		return;
	key.addr[10] = key.addr[11] = 0xff;
	inet_pton(AF_INET, s.src, &key.addr[12]);
	bpf_map_update_elem(e.m.buckets, &key, &b, BPF_NOEXIST);
	len = fbuild(&s, frame);
	before = env_counters(&e);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
	       "on: a source with a bucket takes it: its SYN passes");
	want.packets = want.syn = want.allowed = 1;
	env_moved(&e, &before, &want, "on, tracked");
	env_rule(&e, "192.0.2.128/25", "allow", NULL, 0, false, NULL);
	{
		struct fspec a = s;

		a.src = "192.0.2.200";
		len = fbuild(&a, frame);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
		       "on: an allowlisted source is never challenged");
	}
	env_close(&e);

	/* auto: 20 new sources a second (burst a tenth of that, 2) before
	 * it trips; 100/second a source, so that none runs out here. */
	if (!tap_ok(!cookies_open(&e, TG_COOKIES_AUTO, 1000, 20), "modes: load, auto 20/s"))
		return;
	l = e.lim;
	l.rate = (struct tg_rate){ .count = 100, .period_ns = SEC_NS };
	l.burst = 100;
	tap_ok(!env_limits(&e, &l), "auto: 100/second a source");
	before = env_counters(&e);
	for (i = 0; i < 5; i++) {
		char src[32];
		struct fspec n = { .src = src, .sport = 2000 };

		snprintf(src, sizeof(src), "198.18.1.%d", i);
		len = fbuild(&n, frame);
		switch (env_run(&e, frame, (__u32)len, NULL, NULL)) {
		case XDP_TX: tx++; break;
		case XDP_PASS: pass++; break;
		}
	}
	tap_is(pass, 2, "auto: the first 2 new sources take buckets");
	tap_is(tx, 3, "auto: then it trips: 3 cookies");
	want = (struct tg_counters){ 0 };
	want.packets = 5;
	want.syn = want.allowed = want.new_source = 2;
	want.cookie_syn = want.cookie_sent = 3;
	want.cookie_auto_trips = 1;
	want.log_emitted = 1;
	env_moved(&e, &before, &want, "auto trips");
	{
		const struct fspec third = { .src = "198.18.1.2" };
		const struct tg_log_event *ev = one_line(&e, TG_WHY_COOKIES_ON, &third, "auto on");

		tap_ok(ev && ev->rate_count == 20 && ev->rate_period_ns == SEC_NS &&
			       ev->time_ns == T0,
		       "auto on: the line says the new-source rate that tripped it, 20/s");
	}
	/* The first came at the rate: trusted. The second came as the
	 * budget ran out, one of what may be a spoofed flood's first: while
	 * auto is on it proves its address, within its limit, at no token. */
	{
		struct fspec calm = { .src = "198.18.1.0", .sport = 2001 };
		struct fspec fast = { .src = "198.18.1.1", .sport = 2001 };
		struct tg_bucket bk = {};

		tap_ok(!v4_bucket(&e, "198.18.1.0", &bk) && !(bk.logged_ns & TG_BUCKET_UNVERIFIED),
		       "auto: the first new source, at the rate, is trusted");
		tap_ok(!v4_bucket(&e, "198.18.1.1", &bk) && (bk.logged_ns & TG_BUCKET_UNVERIFIED),
		       "auto: the second, as the burst ran out, is unverified");
		before = env_counters(&e);
		len = fbuild(&calm, frame);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
		       "auto, on: the trusted source's next SYN takes its bucket's path");
		len = fbuild(&fast, frame);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_TX,
		       "auto, on: the unverified source's is answered with a cookie");
		want = (struct tg_counters){ 0 };
		want.packets = 2;
		want.syn = want.allowed = 1;
		want.cookie_syn = want.cookie_sent = want.cookie_unverified = 1;
		env_moved(&e, &before, &want, "auto, on: one trusted, one challenged");
		tap_ok(!v4_bucket(&e, "198.18.1.1", &bk) && bk.admitted == 1,
		       "  the challenged one's bucket charged nothing for it");
	}
	env_clock(&e, T0 + 5 * SEC_NS);
	{
		struct fspec n = { .src = "198.18.1.100", .sport = 2000 };

		len = fbuild(&n, frame);
		static struct env_events evs;

		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_TX,
		       "auto: 5 s later, still on (hysteresis)");
		tap_is(env_log_drain(&e, &evs), 0, "auto: no line while it stays on");
	}
	env_clock(&e, T0 + 16 * SEC_NS);
	{
		struct fspec n = { .src = "198.18.1.101", .sport = 2000 };

		len = fbuild(&n, frame);
		const struct tg_log_event *ev;

		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
		       "auto: 10 s after new sources slowed, off again");
		ev = one_line(&e, TG_WHY_COOKIES_OFF, &n, "auto off");
		tap_ok(ev && ev->time_ns == T0 + 10 * SEC_NS && ev->since_ns == 10 * SEC_NS,
		       "auto off: the line says when the hold ended, after 10 s on");
	}
	{
		struct fspec fast = { .src = "198.18.1.1", .sport = 2002 };
		struct tg_bucket bk = {};
		const struct tg_log_event *ev;

		len = fbuild(&fast, frame);
		tap_is(env_run_n(&e, frame, (__u32)len, 100), XDP_PASS,
		       "auto, off again: the unverified source takes its bucket's path: 100 pass");
		before = env_counters(&e);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_DROP,
		       "  the 101st in the same instant is over its burst: dropped");
		want = (struct tg_counters){ 0 };
		want.packets = want.syn = want.dropped = want.act_drop = want.log_emitted = 1;
		env_moved(&e, &before, &want, "  charged as any source");
		ev = one_line(&e, TG_WHY_LIMIT, &fast, "unverified, dropped");
		tap_ok(ev && ev->since_ns == 0 && ev->time_ns == T0 + 16 * SEC_NS,
		       "  its first line: since 0, the flag is no time of a line");
		tap_ok(!v4_bucket(&e, "198.18.1.1", &bk) && (bk.logged_ns & TG_BUCKET_UNVERIFIED) &&
			       (bk.logged_ns & ~TG_BUCKET_UNVERIFIED) == T0 + 16 * SEC_NS,
		       "  the line's time kept beside the flag");
	}
	env_close(&e);

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_OFF, 1000, 0), "modes: load, off"))
		return;
	len = fbuild(&s, frame);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS, "off: a new source's SYN passes");
	tap_is(tg_bucket_count_env(&e), 1, "off: and takes a bucket");
	env_close(&e);

	if (!tap_ok(!cookies_open(&e, TG_COOKIES_ON, 1000, 0), "modes: load, on, dry run"))
		return;
	l = e.lim;
	l.dry_run = true;
	env_limits(&e, &l);
	len = fbuild(&s, frame);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
	       "dry run: no cookie, the SYN passes");
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_siphash_vector();
	test_synack_frames();
	test_acks();
	test_budget_and_groups();
	test_modes();
	return tap_done();
}
