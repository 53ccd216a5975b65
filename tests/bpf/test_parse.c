// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_parse.c - what the real XDP program limits, and what it passes
 * and counts by which reason, on crafted frames run through
 * BPF_PROG_TEST_RUN: a table of frames, every prefix of several valid
 * SYNs, first fragments that cut the TCP header short (charged as SYNs,
 * since reassembly completes them), and dry-run mode.
 */
#include "harness.h"
#include "pkt.h"

/* A fixed instant for the clock; no case here depends on its value. */
#define NOW_NS (1000ULL * TG_NSEC_PER_SEC)

/* What one frame must do to the counters. */
#define LIMITED { .packets = 1, .syn = 1, .allowed = 1, .new_source = 1 }
/* TCP behind more extension headers than the parser walks: the kernel
 * walks them all, so it is charged as a SYN to a port we cannot see. */
#define LONG_CHAIN { .packets = 1, .syn = 1, .allowed = 1, .new_source = 1, .exthdr_long = 1 }
#define PASSED(why) { .packets = 1, .why = 1 }

/* Frame spec shorthands */
#define V4  .ethertype = ETH_P_IP
#define V6  .ethertype = ETH_P_IPV6
#define SYN .tcp_flags = PKT_SYN
#define P80 .dport = 80
#define HOP(len) { IPPROTO_HOPOPTS, (len), 0 }
#define RTG(len) { IPPROTO_ROUTING, (len), 0 }
#define DST(len) { IPPROTO_DSTOPTS, (len), 0 }
#define AH(len)  { IPPROTO_AH, (len), 0 }
#define FRAG(off) { IPPROTO_FRAGMENT, 0, (off) }

struct parse_case {
	const char *desc;
	struct pkt_spec pkt;
	__u32 verdict;
	struct tg_counters want; /* counter deltas; the rest must not move */
};

static const struct parse_case cases[] = {
	{ "IPv4 SYN to port 80", { V4, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv4 SYN to port 443", { V4, SYN, .dport = 443 }, XDP_PASS, LIMITED },
	{ "SYN with ECE and CWR (ECN setup) is a SYN",
	  { V4, .tcp_flags = PKT_SYN | PKT_ECE | PKT_CWR, P80 }, XDP_PASS, LIMITED },
	{ "SYN with FIN is a SYN", { V4, .tcp_flags = PKT_SYN | PKT_FIN, P80 }, XDP_PASS,
	  LIMITED },
	{ "SYN+ACK", { V4, .tcp_flags = PKT_SYN | PKT_ACK, P80 }, XDP_PASS,
	  PASSED(pass_not_syn) },
	{ "RST", { V4, .tcp_flags = PKT_RST, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "ACK", { V4, .tcp_flags = PKT_ACK, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "FIN", { V4, .tcp_flags = PKT_FIN, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "FIN+ACK", { V4, .tcp_flags = PKT_FIN | PKT_ACK, P80 }, XDP_PASS,
	  PASSED(pass_not_syn) },
	{ "no flags", { V4, .tcp_flags = 0, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "SYN to port 22, not limited", { V4, SYN, .dport = 22 }, XDP_PASS,
	  PASSED(pass_not_syn) },
	{ "UDP to port 80", { V4, .l4 = IPPROTO_UDP, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "ICMP echo", { V4, .l4 = IPPROTO_ICMP }, XDP_PASS, PASSED(pass_not_syn) },
	{ "ARP request", { .ethertype = ETH_P_ARP }, XDP_PASS, PASSED(pass_not_ip) },
	{ "LLDP", { .ethertype = 0x88cc }, XDP_PASS, PASSED(pass_not_ip) },
	{ "ARP in an 802.1Q tag", { .vlan = { ETH_P_8021Q }, .ethertype = ETH_P_ARP },
	  XDP_PASS, PASSED(pass_not_ip) },

	{ "802.1Q SYN", { .vlan = { ETH_P_8021Q }, V4, SYN, P80 }, XDP_PASS, LIMITED },
	{ "802.1ad+802.1Q (QinQ) SYN", { .vlan = { ETH_P_8021AD, ETH_P_8021Q }, V4, SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "802.1Q+802.1ad SYN", { .vlan = { ETH_P_8021Q, ETH_P_8021AD }, V4, SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "802.1ad+802.1Q IPv6 SYN", { .vlan = { ETH_P_8021AD, ETH_P_8021Q }, V6, SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "three VLAN tags",
	  { .vlan = { ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q }, V4, SYN, P80 }, XDP_PASS,
	  PASSED(pass_vlan) },

	{ "IPv4 with options, IHL 6", { V4, .ihl = 6, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv4 with options, IHL 15", { V4, .ihl = 15, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv4 IHL 4", { V4, .ihl = 4, SYN, P80 }, XDP_PASS, PASSED(pass_badhdr) },
	{ "IPv4 IHL 1", { V4, .ihl = 1, SYN, P80 }, XDP_PASS, PASSED(pass_badhdr) },
	{ "version 6 in an IPv4 frame", { V4, .ip_version = 6, SYN, P80 }, XDP_PASS,
	  PASSED(pass_badhdr) },
	{ "IPv4 DF set is not a fragment", { V4, .frag_off = PKT_IP_DF, SYN, P80 }, XDP_PASS,
	  LIMITED },
	{ "IPv4 first fragment (MF, offset 0) carries TCP",
	  { V4, .frag_off = PKT_IP_MF, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv4 middle fragment (MF, offset 1480)",
	  { V4, .frag_off = PKT_IP_MF | 185, SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv4 last fragment (offset 8)", { V4, .frag_off = 1, SYN, P80 }, XDP_PASS,
	  PASSED(fragment) },
	/* The offset's top bits: a mask one bit short would take these
	 * for first fragments and read their payload as TCP. */
	{ "IPv4 fragment at offset 32768 (top bit of the offset)",
	  { V4, .frag_off = 32768 / 8, SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv4 fragment at offset 65528, MF (every offset bit)",
	  { V4, .frag_off = PKT_IP_MF | 65528 / 8, SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv4 fragment at offset 4096 (bit 9 of the offset)",
	  { V4, .frag_off = 4096 / 8, SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv4 UDP non-first fragment", { V4, .frag_off = 1, .l4 = IPPROTO_UDP, P80 },
	  XDP_PASS, PASSED(fragment) },
	{ "TCP doff 4", { V4, .doff = 4, SYN, P80 }, XDP_PASS, PASSED(pass_badhdr) },
	{ "TCP doff 1", { V4, .doff = 1, SYN, P80 }, XDP_PASS, PASSED(pass_badhdr) },
	{ "TCP with options, doff 8", { V4, .doff = 8, SYN, P80 }, XDP_PASS, LIMITED },
	{ "TCP with options, doff 10", { V4, .doff = 10, SYN, P80 }, XDP_PASS, LIMITED },
	{ "TCP with options, doff 15", { V4, .doff = 15, SYN, P80 }, XDP_PASS, LIMITED },

	{ "IPv6 SYN", { V6, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 SYN with TCP options", { V6, .doff = 10, SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 SYN+ACK", { V6, .tcp_flags = PKT_SYN | PKT_ACK, P80 }, XDP_PASS,
	  PASSED(pass_not_syn) },
	{ "IPv6 SYN to port 22", { V6, SYN, .dport = 22 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 hop-by-hop", { V6, PKT_EXTS(HOP(0)), SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 hop-by-hop of 32 bytes", { V6, PKT_EXTS(HOP(3)), SYN, P80 }, XDP_PASS,
	  LIMITED },
	{ "IPv6 routing", { V6, PKT_EXTS(RTG(2)), SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 destination options", { V6, PKT_EXTS(DST(1)), SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 AH", { V6, PKT_EXTS(AH(4)), SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 first fragment (offset 0, M)", { V6, PKT_EXTS(FRAG(PKT_IP6_MF)), SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "IPv6 atomic fragment (offset 0, no M)", { V6, PKT_EXTS(FRAG(0)), SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "IPv6 chain hop, dst, routing, fragment, AH, dst",
	  { V6, PKT_EXTS(HOP(0), DST(1), RTG(0), FRAG(PKT_IP6_MF), AH(4), DST(0)), SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "IPv6 SYN behind a 1024-byte destination-options header (TCP at byte 1078)",
	  { V6, PKT_EXTS(DST(127)), SYN, P80 }, XDP_PASS, LIMITED },
	{ "IPv6 chain of 8 extension headers",
	  { V6, PKT_EXTS(HOP(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    SYN, P80 },
	  XDP_PASS, LIMITED },
	{ "IPv6 chain of 9 extension headers",
	  { V6,
	    PKT_EXTS(HOP(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    SYN, P80 },
	  XDP_PASS, LONG_CHAIN },
	{ "IPv6 SYN behind 9 empty destination-options headers",
	  { V6,
	    PKT_EXTS(DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    SYN, P80 },
	  XDP_PASS, LONG_CHAIN },
	{ "IPv6 ACK to port 22 behind 12 headers: its TCP is unseen, charged",
	  { V6,
	    PKT_EXTS(HOP(0), DST(0), RTG(0), DST(0), AH(4), DST(0), DST(0), DST(0), DST(0),
		     DST(0), DST(0), DST(3)),
	    .tcp_flags = PKT_ACK, .dport = 22 },
	  XDP_PASS, LONG_CHAIN },
	{ "IPv6 mobility header after 8 walkable headers",
	  { V6, PKT_EXTS(DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    .l4 = IPPROTO_MH },
	  XDP_PASS, PASSED(pass_exthdr) },
	{ "IPv6 non-first fragment", { V6, PKT_EXTS(FRAG(PKT_IP6_OFF(1448))), SYN, P80 },
	  XDP_PASS, PASSED(fragment) },
	{ "IPv6 fragment at offset 32768 (top bit of the offset)",
	  { V6, PKT_EXTS(FRAG(PKT_IP6_OFF(32768))), SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv6 fragment at offset 65528, M (every offset bit)",
	  { V6, PKT_EXTS(FRAG(PKT_IP6_OFF(65528) | PKT_IP6_MF)), SYN, P80 }, XDP_PASS,
	  PASSED(fragment) },
	{ "IPv6 fragment at offset 8 (lowest bit of the offset)",
	  { V6, PKT_EXTS(FRAG(PKT_IP6_OFF(8))), SYN, P80 }, XDP_PASS, PASSED(fragment) },
	{ "IPv6 non-first fragment behind hop-by-hop",
	  { V6, PKT_EXTS(HOP(0), FRAG(PKT_IP6_OFF(8) | PKT_IP6_MF)), SYN, P80 }, XDP_PASS,
	  PASSED(fragment) },
	{ "IPv6 UDP", { V6, .l4 = IPPROTO_UDP, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 ICMPv6", { V6, .l4 = IPPROTO_ICMPV6 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 ESP", { V6, .l4 = IPPROTO_ESP }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 no next header", { V6, .l4 = IPPROTO_NONE }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 mobility header (135)", { V6, .l4 = IPPROTO_MH }, XDP_PASS,
	  PASSED(pass_exthdr) },
	{ "IPv6 hop-by-hop then mobility", { V6, PKT_EXTS(HOP(0)), .l4 = IPPROTO_MH },
	  XDP_PASS, PASSED(pass_exthdr) },
	{ "IPv6 frame with version field 4", { V6, .ip_version = 4, SYN, P80 }, XDP_PASS,
	  PASSED(pass_badhdr) },

	{ "SYN with RST set opens nothing: not a SYN",
	  { V4, .tcp_flags = PKT_SYN | PKT_RST, P80 }, XDP_PASS, PASSED(pass_not_syn) },
	{ "IPv6 SYN with RST set", { V6, .tcp_flags = PKT_SYN | PKT_RST, P80 }, XDP_PASS,
	  PASSED(pass_not_syn) },
	{ "SYN padded past its datagram with garbage",
	  { V4, SYN, P80, .pad_to = 96, .pad_byte = 0x10 }, XDP_PASS, LIMITED },
	{ "IPv6 SYN padded past its payload length",
	  { V6, SYN, P80, .pad_to = 128, .pad_byte = 0xff }, XDP_PASS, LIMITED },

	{ "IPv4 carrying IPv4 (protocol 4)", { V4, .l4 = IPPROTO_IPIP }, XDP_PASS,
	  PASSED(pass_tunnel) },
	{ "IPv4 carrying IPv6 (protocol 41)", { V4, .l4 = IPPROTO_IPV6 }, XDP_PASS,
	  PASSED(pass_tunnel) },
	{ "IPv4 GRE", { V4, .l4 = IPPROTO_GRE }, XDP_PASS, PASSED(pass_tunnel) },
	{ "IPv6 carrying IPv4 (protocol 4)", { V6, .l4 = IPPROTO_IPIP }, XDP_PASS,
	  PASSED(pass_tunnel) },
	{ "IPv6 carrying IPv6 (protocol 41)", { V6, .l4 = IPPROTO_IPV6 }, XDP_PASS,
	  PASSED(pass_tunnel) },
	{ "IPv6 GRE behind hop-by-hop", { V6, PKT_EXTS(HOP(0)), .l4 = IPPROTO_GRE }, XDP_PASS,
	  PASSED(pass_tunnel) },
	{ "IPv6 carrying IPv6 after 8 walkable headers",
	  { V6, PKT_EXTS(DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    .l4 = IPPROTO_IPV6 },
	  XDP_PASS, PASSED(pass_tunnel) },
	{ "IPv6 UDP after 8 walkable headers is not an extension header",
	  { V6, PKT_EXTS(DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0)),
	    .l4 = IPPROTO_UDP, P80 },
	  XDP_PASS, PASSED(pass_not_syn) },
};

/* Valid SYNs to cut short at every length. */
static const struct {
	const char *desc;
	struct pkt_spec pkt;
} trunc_cases[] = {
	{ "IPv4 SYN", { V4, SYN, P80 } },
	{ "IPv4 SYN with options (IHL 15)", { V4, .ihl = 15, SYN, P80 } },
	{ "IPv4 SYN in QinQ", { .vlan = { ETH_P_8021AD, ETH_P_8021Q }, V4, SYN, P80 } },
	{ "IPv4 SYN with TCP options (doff 15)", { V4, .doff = 15, SYN, P80 } },
	{ "IPv6 SYN behind hop-by-hop and an atomic fragment header",
	  { V6, PKT_EXTS(HOP(1), FRAG(0)), SYN, P80 } },
	{ "IPv6 SYN behind AH and routing, TCP options",
	  { V6, PKT_EXTS(AH(4), RTG(2)), .doff = 8, SYN, P80 } },
};

/*
 * First fragments that carry only the start of a SYN's TCP header. The
 * kernel reassembles them with the next fragment into a whole SYN (no
 * IPv4 rule drops a tiny first fragment; IPv6 asks only for the 20-byte
 * base header), so they are charged as SYNs unless what they show rules
 * that out: the flags byte says not a SYN, or the port is not limited.
 * frag_tiny counts only those charged: one ruled out is just not a SYN.
 */
#define TINY { .packets = 1, .syn = 1, .allowed = 1, .new_source = 1, .frag_tiny = 1 }
#define TINY_NOT_SYN { .packets = 1, .pass_not_syn = 1 }
static const struct {
	const char *desc;
	struct pkt_spec pkt;
	struct tg_counters want;
} tiny_first_frags[] = {
	{ "IPv4 first fragment with 8 bytes of TCP",
	  { V4, .frag_off = PKT_IP_MF, SYN, P80, .l4_len = 8 }, TINY },
	{ "IPv4 first fragment with 2 bytes of TCP (port unseen)",
	  { V4, .frag_off = PKT_IP_MF, SYN, P80, .l4_len = 2 }, TINY },
	{ "IPv4 first fragment with the TCP options cut",
	  { V4, .frag_off = PKT_IP_MF, .doff = 10, SYN, P80, .l4_len = 24 }, TINY },
	{ "IPv4 first fragment, options cut, flags say ACK",
	  { V4, .frag_off = PKT_IP_MF, .doff = 10, .tcp_flags = PKT_ACK, P80, .l4_len = 24 },
	  TINY_NOT_SYN },
	{ "IPv4 first fragment with 8 bytes of TCP to port 22",
	  { V4, .frag_off = PKT_IP_MF, SYN, .dport = 22, .l4_len = 8 }, TINY_NOT_SYN },
	{ "IPv6 first fragment with the TCP options cut",
	  { V6, PKT_EXTS(FRAG(PKT_IP6_MF)), .doff = 10, SYN, P80, .l4_len = 24 }, TINY },
	/* Ethernet pads a short frame to 60 bytes: the padding is not TCP. */
	{ "IPv4 first fragment with 8 bytes of TCP, zero-padded to 60",
	  { V4, .frag_off = PKT_IP_MF, SYN, P80, .l4_len = 8, .pad_to = 60 }, TINY },
	{ "IPv4 first fragment with 8 bytes of TCP, padding spelling an ACK",
	  { V4, .frag_off = PKT_IP_MF, SYN, P80, .l4_len = 8, .pad_to = 60,
	    .pad_byte = 0x50 }, TINY },
	{ "IPv6 first fragment with 8 bytes of TCP, padded past its payload",
	  { V6, PKT_EXTS(FRAG(PKT_IP6_MF)), SYN, P80, .l4_len = 8, .pad_to = 120 }, TINY },
};

/* Give frame number i a source of its own in both families. */
static void set_source(struct pkt_spec *s, unsigned int i)
{
	s->saddr4 = PKT_IP4(10, 1, i >> 8, i & 0xff);
	s->saddr6 = pkt_ip6("2001:db8:100::1");
	s->saddr6.s6_addr[6] = (__u8)(i >> 8);
	s->saddr6.s6_addr[7] = (__u8)i;
}

static struct tg_source source_of(const struct pkt_spec *s)
{
	return s->ethertype == ETH_P_IPV6 ? tg_source_v6(&s->saddr6) : tg_source_v4(s->saddr4);
}

static const char *verdict_name(__u32 v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	}
	return "?";
}

/* Run one frame; on a run error, a failed check and UINT32_MAX. */
static __u32 run_once(struct tg_harness *h, const void *frame, __u32 len, const char *desc)
{
	__u32 verdict;
	int err;

	err = tg_run(h, frame, len, 1, &verdict);
	if (err) {
		tap_ok(0, "%s: BPF_PROG_TEST_RUN of %u bytes: %s", desc, len, strerror(-err));
		return UINT32_MAX;
	}
	return verdict;
}

/*
 * Run one frame and check its verdict, which counters moved, and that a
 * limited SYN made its source a bucket holding that one SYN.
 */
static void check_frame(struct tg_harness *h, const char *desc, const struct pkt_spec *s,
			__u32 want_verdict, const struct tg_counters *want)
{
	struct tg_fam_counters fam0[TG_NR_FAMILIES], fam1[TG_NR_FAMILIES];
	struct tg_counters before, after;
	struct tg_source src = source_of(s);
	struct tg_bucket b = { 0 };
	__u8 frame[PKT_MAX];
	int len, found;
	__u32 verdict;

	len = pkt_build(s, frame, sizeof(frame));
	if (len <= 0)
		return (void)tap_ok(0, "%s: build the frame", desc);
	if (tg_stats_read(h, &before) || tg_fam_read(h, fam0))
		return (void)tap_ok(0, "%s: read tg_stats", desc);
	verdict = run_once(h, frame, (__u32)len, desc);
	if (verdict == UINT32_MAX)
		return;
	if (!tap_is(verdict, want_verdict, "%s: %s", desc, verdict_name(want_verdict)))
		tap_diag("  got %s", verdict_name(verdict));
	if (tg_stats_read(h, &after) || tg_fam_read(h, fam1))
		return (void)tap_ok(0, "%s: read tg_stats", desc);
	tg_counters_moved(&before, &after, want, desc);
	tg_fam_moved(fam0, fam1, s->ethertype == ETH_P_IPV6, want, desc);

	found = !tg_bucket_get(h, &src, &b);
	if (!want->syn) {
		tap_ok(!found, "%s: its source has no bucket", desc);
	} else if (!tap_ok(found && b.admitted == 1 && b.tat_ns == NOW_NS + h->cfg.interval_ns,
			   "%s: its source has a bucket holding one SYN", desc)) {
		tap_diag("  found %d, admitted %llu, tat now + %lld ns, want now + %llu", found,
			 (unsigned long long)b.admitted, (long long)(b.tat_ns - NOW_NS),
			 (unsigned long long)h->cfg.interval_ns);
	}
}

static void test_table(struct tg_harness *h)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec s = cases[i].pkt;

		set_source(&s, (unsigned int)i);
		check_frame(h, cases[i].desc, &s, cases[i].verdict, &cases[i].want);
	}
}

/*
 * Every prefix of a valid SYN from ETH_HLEN up must pass as truncated,
 * touching nothing else; the whole frame is then limited.
 */
static void test_truncated(struct tg_harness *h, const char *desc, const struct pkt_spec *s)
{
	static const struct tg_counters trunc = PASSED(pass_trunc);
	static const struct tg_counters limited = LIMITED;
	struct tg_counters before, after;
	__u8 frame[PKT_MAX];
	int len, cut, bad = 0;
	char what[160], why[512];

	len = pkt_build(s, frame, sizeof(frame));
	if (len <= ETH_HLEN)
		return (void)tap_ok(0, "%s: build the frame", desc);
	for (cut = ETH_HLEN; cut < len; cut++) {
		__u32 verdict;

		snprintf(what, sizeof(what), "%s cut to %d of %d bytes", desc, cut, len);
		if (tg_stats_read(h, &before))
			return (void)tap_ok(0, "%s: read tg_stats", what);
		verdict = run_once(h, frame, (__u32)cut, what);
		if (verdict == UINT32_MAX || tg_stats_read(h, &after))
			return;
		if (verdict != XDP_PASS) {
			tap_ok(0, "%s: %s, want XDP_PASS", what, verdict_name(verdict));
			bad++;
		}
		/* Quiet while right; a wrong cut is its own failed check. */
		if (!tg_counters_match(&before, &after, &trunc, why, sizeof(why))) {
			tap_ok(0, "%s: counters", what);
			tap_diag(" %s", why);
			bad++;
		}
	}
	tap_is(bad, 0, "%s: all %d cuts from %d bytes pass as pass_trunc", desc, len - ETH_HLEN,
	       ETH_HLEN);

	if (tg_stats_read(h, &before))
		return;
	snprintf(what, sizeof(what), "%s, whole %d bytes", desc, len);
	tap_is(run_once(h, frame, (__u32)len, what), XDP_PASS, "%s: XDP_PASS", what);
	if (!tg_stats_read(h, &after))
		tg_counters_moved(&before, &after, &limited, what);
}

/* The kernel will not run XDP on less than an Ethernet header. */
static void test_too_short(struct tg_harness *h)
{
	__u8 frame[ETH_HLEN] = { 0 };
	__u32 verdict;
	int err;

	err = tg_run(h, frame, ETH_HLEN - 1, 1, &verdict);
	tap_is(err, -EINVAL, "BPF_PROG_TEST_RUN refuses a %d-byte frame", ETH_HLEN - 1);
	err = tg_run(h, frame, ETH_HLEN, 1, &verdict);
	tap_is(err, 0, "BPF_PROG_TEST_RUN takes a %d-byte frame", ETH_HLEN);
}

static void test_trunc_all(struct tg_harness *h)
{
	size_t i;

	test_too_short(h);
	for (i = 0; i < sizeof(trunc_cases) / sizeof(trunc_cases[0]); i++) {
		struct pkt_spec s = trunc_cases[i].pkt;

		set_source(&s, 1000 + (unsigned int)i);
		test_truncated(h, trunc_cases[i].desc, &s);
	}
}

static void test_tiny_first_frags(struct tg_harness *h)
{
	size_t i;

	for (i = 0; i < sizeof(tiny_first_frags) / sizeof(tiny_first_frags[0]); i++) {
		struct pkt_spec s = tiny_first_frags[i].pkt;

		set_source(&s, 2000 + (unsigned int)i);
		check_frame(h, tiny_first_frags[i].desc, &s, XDP_PASS, &tiny_first_frags[i].want);
	}
}

/*
 * An IPv6 first fragment cut at every length, its payload length saying
 * so, as a sender that fragments there would: until its fragment header
 * is whole it is merely truncated; from there on reassembly may complete
 * whatever is cut (extension headers or TCP), so it is charged. Cut
 * without that (a frame shorter than its payload length) it is a
 * truncated datagram, which the kernel drops.
 */
static void test_first_frag_cuts(struct tg_harness *h)
{
	static const struct tg_counters cut_short = PASSED(pass_trunc);
	struct pkt_spec s = { V6, PKT_EXTS(HOP(1), FRAG(PKT_IP6_MF)), SYN, P80 };
	/* Ethernet, IPv6, a 16-byte hop-by-hop, then the 8-byte fragment. */
	const int frag_end = ETH_HLEN + 40 + 16 + 8;
	struct tg_counters before, after;
	int len, cut, bad = 0;
	__u8 frame[PKT_MAX];
	char what[160], why[512];

	set_source(&s, 3000);
	len = pkt_build(&s, frame, sizeof(frame));
	if (len <= frag_end)
		return (void)tap_ok(0, "first fragment cuts: build the frame");
	for (cut = ETH_HLEN; cut < len; cut++) {
		struct tg_counters trunc = PASSED(pass_trunc);
		struct tg_counters tiny = TINY;
		__u32 verdict;

		tiny.new_source = cut == frag_end;
		if (cut >= ETH_HLEN + 40) {
			frame[ETH_HLEN + 4] = (__u8)((cut - ETH_HLEN - 40) >> 8);
			frame[ETH_HLEN + 5] = (__u8)(cut - ETH_HLEN - 40);
		}
		snprintf(what, sizeof(what), "IPv6 first fragment cut to %d of %d bytes", cut, len);
		if (tg_stats_read(h, &before))
			return (void)tap_ok(0, "%s: read tg_stats", what);
		verdict = run_once(h, frame, (__u32)cut, what);
		if (verdict == UINT32_MAX || tg_stats_read(h, &after))
			return;
		if (verdict != XDP_PASS ||
		    !tg_counters_match(&before, &after, cut < frag_end ? &trunc : &tiny, why,
				       sizeof(why))) {
			tap_ok(0, "%s: %s", what, verdict_name(verdict));
			tap_diag(" %s", why);
			bad++;
		}
	}
	tap_is(bad, 0, "IPv6 first fragment: %d cuts before its fragment header pass as "
		       "truncated, %d after are charged as SYNs",
	       frag_end - ETH_HLEN, len - frag_end);

	/* The payload length of the whole fragment, the frame cut short. */
	frame[ETH_HLEN + 4] = (__u8)((len - ETH_HLEN - 40) >> 8);
	frame[ETH_HLEN + 5] = (__u8)(len - ETH_HLEN - 40);
	tg_stats_read(h, &before);
	run_once(h, frame, (__u32)(len - 4), "IPv6 first fragment shorter than its payload");
	tg_stats_read(h, &after);
	tg_counters_moved(&before, &after, &cut_short,
			  "IPv6 first fragment 4 bytes shorter than its payload length");
}

/* Over the limit in dry-run mode: passed and counted, bucket untouched. */
static void test_dry_run(struct tg_harness *h)
{
	static const struct tg_counters first = LIMITED;
	/* The source's first over-limit SYN writes a drop log line; the
	 * next, within the log interval, does not. */
	static const struct tg_counters would = { .packets = 1, .syn = 1, .would_drop = 1,
						  .log_emitted = 1 };
	static const struct tg_counters drop = { .packets = 1, .syn = 1, .dropped = 1,
						 .act_drop = 1 };
	struct pkt_spec s = pkt_syn4(PKT_IP4(10, 2, 0, 1), 80);
	struct tg_source src = source_of(&s);
	struct tg_fam_counters fam0[TG_NR_FAMILIES], fam1[TG_NR_FAMILIES];
	struct tg_counters before, after;
	struct tg_bucket b0 = { 0 }, b1 = { 0 };
	__u8 frame[PKT_MAX];
	int len = pkt_build(&s, frame, sizeof(frame));

	if (tg_configure(h, "1/minute", 1, 32, 128, true))
		return (void)tap_ok(0, "dry run: configure 1/minute burst 1");

	check_frame(h, "dry run: first SYN", &s, XDP_PASS, &first);
	tg_bucket_get(h, &src, &b0);

	tg_stats_read(h, &before);
	tg_fam_read(h, fam0);
	tap_is(run_once(h, frame, (__u32)len, "dry run"), XDP_PASS,
	       "dry run: second SYN over the limit is passed");
	tg_stats_read(h, &after);
	tg_fam_read(h, fam1);
	tg_counters_moved(&before, &after, &would, "dry run: second SYN");
	tg_fam_moved(fam0, fam1, false, &would, "dry run: second SYN");
	tg_bucket_get(h, &src, &b1);
	tap_is(b1.tat_ns, b0.tat_ns, "dry run: a would-drop leaves the bucket's tat alone");
	tap_is(b1.admitted, 1, "dry run: a would-drop is not admitted");

	if (tg_configure(h, "1/minute", 1, 32, 128, false))
		return (void)tap_ok(0, "dry run: configure enforcing");
	tg_stats_read(h, &before);
	tg_fam_read(h, fam0);
	tap_is(run_once(h, frame, (__u32)len, "enforcing"), XDP_DROP,
	       "enforcing: the same SYN is now dropped");
	tg_stats_read(h, &after);
	tg_fam_read(h, fam1);
	tg_counters_moved(&before, &after, &drop, "enforcing: third SYN");
	tg_fam_moved(fam0, fam1, false, &drop, "enforcing: third SYN");
}

/*
 * A flood behind 9 destination-options headers is limited like any
 * other: the burst passes, the rest is dropped, all counted as long
 * chains. A frame cut where the ninth header should start is truncated.
 */
static void test_long_chain_flood(struct tg_harness *h)
{
	struct pkt_spec s = { V6,
			      PKT_EXTS(DST(0), DST(0), DST(0), DST(0), DST(0), DST(0), DST(0),
				       DST(0), DST(0)),
			      SYN, P80 };
	const struct tg_counters want = { .packets = 5, .syn = 5, .allowed = 2, .dropped = 3,
					  .new_source = 1, .exthdr_long = 5, .act_drop = 3,
					  .log_emitted = 1 };
	const struct tg_counters cut = PASSED(pass_trunc);
	struct tg_fam_counters fam0[TG_NR_FAMILIES], fam1[TG_NR_FAMILIES];
	struct tg_counters before, after;
	__u8 frame[PKT_MAX];
	int len, i, dropped = 0;

	if (tg_configure(h, "1/minute", 2, 32, 128, false))
		return (void)tap_ok(0, "long chain: configure 1/minute burst 2");
	set_source(&s, 4000);
	len = pkt_build(&s, frame, sizeof(frame));
	if (len <= 0)
		return (void)tap_ok(0, "long chain: build the frame");
	tg_stats_read(h, &before);
	tg_fam_read(h, fam0);
	for (i = 0; i < 5; i++)
		dropped += run_once(h, frame, (__u32)len, "long chain") == XDP_DROP;
	tg_stats_read(h, &after);
	tg_fam_read(h, fam1);
	tap_is(dropped, 3, "long chain: 5 SYNs behind 9 headers, burst 2: 3 dropped");
	tg_counters_moved(&before, &after, &want, "long chain: 5 SYNs");
	tg_fam_moved(fam0, fam1, true, &want, "long chain: 5 SYNs");

	tg_stats_read(h, &before);
	run_once(h, frame, ETH_HLEN + 40 + 8 * 8 + 1, "long chain cut");
	tg_stats_read(h, &after);
	tg_counters_moved(&before, &after, &cut, "long chain cut inside its ninth header");
}

/*
 * An IPv6 SYN from an IPv4-mapped source (::ffff:198.18.0.9): Linux's
 * TCP discards it, and with a /128 its key would be the IPv4 source's
 * bucket. Passed as a malformed header, charging nothing.
 */
static void test_v4mapped(struct tg_harness *h)
{
	static const struct tg_counters limited = LIMITED;
	static const struct tg_counters bad = { .packets = 3, .pass_badhdr = 3 };
	struct pkt_spec s4 = pkt_syn4(PKT_IP4(198, 18, 0, 9), 80);
	struct in6_addr mapped = pkt_ip6("::ffff:198.18.0.9");
	struct pkt_spec s6 = pkt_syn6(&mapped, 80);
	struct tg_source src = tg_source_v4(PKT_IP4(198, 18, 0, 9));
	struct tg_counters before, after;
	struct tg_bucket b = { 0 };
	__u8 frame[PKT_MAX];
	int len, i;

	if (tg_configure(h, "1000/second", 0, 32, 128, false))
		return (void)tap_ok(0, "v4-mapped: configure /32 and /128");
	check_frame(h, "v4-mapped: the IPv4 source's SYN", &s4, XDP_PASS, &limited);
	len = pkt_build(&s6, frame, sizeof(frame));
	tg_stats_read(h, &before);
	for (i = 0; i < 3; i++)
		tap_is(run_once(h, frame, (__u32)len, "v4-mapped"), XDP_PASS,
		       "v4-mapped: SYN %d from ::ffff:198.18.0.9 passed", i + 1);
	tg_stats_read(h, &after);
	tg_counters_moved(&before, &after, &bad, "v4-mapped: 3 SYNs, each a bad header");
	tg_bucket_get(h, &src, &b);
	tap_is(b.admitted, 1, "v4-mapped: the IPv4 source's bucket was not charged");
}

int main(void)
{
	struct tg_harness h;
	int err;

	tg_require_bpf();
	err = tg_open(&h, 4096);
	if (!tap_ok(!err, "load the XDP program with the test clock")) {
		tap_diag("  %s", strerror(-err));
		return tap_done();
	}
	tg_set_clock(&h, NOW_NS);
	err = tg_set_port(&h, 80, true) ?: tg_set_port(&h, 443, true);
	err = err ?: tg_configure(&h, "1000/second", 0, 32, 128, false);
	if (tap_ok(!err, "limit ports 80 and 443 at 1000/second")) {
		test_table(&h);
		test_trunc_all(&h);
		test_first_frag_cuts(&h);
		test_tiny_first_frags(&h);
		test_dry_run(&h);
		test_long_chain_flood(&h);
		test_v4mapped(&h);
	}
	tg_close(&h);
	return tap_done();
}
