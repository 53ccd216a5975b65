// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rst.c - --action rst: the RST+ACK the program builds, compared
 * byte for byte with one built here from the SYN's description (IPv4,
 * IPv4 with a VLAN tag, IPv6, with options and payload to cut); SYNs it
 * must not answer; and the global RST budget.
 */
#include "xdp_env.h"

/* Spend the bucket's one token, so the next SYN is over the limit. */
static void spend(struct env *e, const struct fspec *s)
{
	__u8 frame[512];
	struct fspec first = *s;
	int len;

	first.sport = (__u16)(s->sport + 1);
	len = fbuild(&first, frame);
	env_run(e, frame, (__u32)len, NULL, NULL);
}

static void check_rst(const struct fspec *s, const char *desc)
{
	struct tg_counters before, want = { 0 };
	__u8 frame[512], out[512], expect[512];
	__u32 out_len = sizeof(out);
	int len, elen, v;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "%s: load, 1/minute burst 1", desc))
		return;
	{
		struct tg_limits l = e.lim;

		l.action.kind = TG_ACT_RST;
		env_limits(&e, &l);
	}
	spend(&e, s);
	len = fbuild(s, frame);
	elen = fexpect_rst(s, expect);
	before = env_counters(&e);
	v = env_run(&e, frame, (__u32)len, out, &out_len);
	tap_is(v, XDP_TX, "%s: the over-limit SYN is answered (XDP_TX)", desc);
	frames_equal(out, (int)out_len, expect, elen, desc);
	want.packets = want.syn = 1;
	want.dropped = 1;
	want.rst_sent = 1;
	want.log_emitted = 1;
	env_moved(&e, &before, &want, desc);
	env_close(&e);
}

static void test_rst_frames(void)
{
	const struct fspec v4 = { .src = "192.0.2.33", .sport = 51000, .seq = 0x11223344,
				  .tcp_opts = 20 };
	const struct fspec v4_vlan = { .vlans = 1, .src = "192.0.2.34", .sport = 52000,
				       .seq = 0xfffffffe, .tcp_opts = 12, .payload = 5 };
	const struct fspec v4_qinq = { .vlans = 2, .src = "192.0.2.35", .sport = 53000,
				       .seq = 7, .flags = F_SYN | F_FIN };
	const struct fspec v6 = { .v6 = true, .src = "2001:db8:5::9", .sport = 54000,
				  .seq = 0xdeadbeef, .tcp_opts = 20 };
	const struct fspec v6_vlan = { .v6 = true, .vlans = 1, .src = "2001:db8:5::a",
				       .sport = 55000, .seq = 1, .payload = 3 };

	check_rst(&v4, "IPv4 with TCP options");
	check_rst(&v4_vlan, "IPv4, a VLAN tag, options and 5 bytes of data (seq wraps)");
	check_rst(&v4_qinq, "IPv4, two VLAN tags, SYN+FIN");
	check_rst(&v6, "IPv6 with TCP options");
	check_rst(&v6_vlan, "IPv6, a VLAN tag and 3 bytes of data");
}

/* IPv4 options, IPv6 extension headers, a first fragment: dropped, not
 * answered, and no RST budget spent on them. */
static void test_rst_skipped(void)
{
	const struct fspec cases[] = {
		{ .src = "192.0.2.40", .sport = 1000, .ip_opts = 8 },
		{ .v6 = true, .src = "2001:db8:6::1", .sport = 1000, .ext_hdr = true },
		{ .src = "192.0.2.41", .sport = 1000, .first_frag = true, .payload = 8 },
	};
	const char *names[] = { "IPv4 with options", "IPv6 with a destination-options header",
				"IPv4 first fragment" };
	int i;

	for (i = 0; i < 3; i++) {
		struct tg_counters before, want = { 0 };
		__u8 frame[512];
		struct tg_limits l;
		struct env e;
		int len;

		if (!tap_ok(!env_open(&e, "1/minute", 1), "%s: load", names[i]))
			continue;
		l = e.lim;
		l.action.kind = TG_ACT_RST;
		env_limits(&e, &l);
		spend(&e, &cases[i]);
		len = fbuild(&cases[i], frame);
		before = env_counters(&e);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_DROP,
		       "%s: over the limit, dropped without an answer", names[i]);
		want.packets = want.syn = want.dropped = 1;
		want.rst_skipped = 1;
		want.log_emitted = 1;
		env_moved(&e, &before, &want, names[i]);
		env_close(&e);
	}
}

/*
 * A SYN not sent to one unicast host is never answered (RFC 1122
 * 4.2.3.10: TCP discards it silently), nor one from a group address,
 * whose RST would go to the group: multicast and broadcast IPv4 and
 * IPv6 destinations or sources, an Ethernet destination with the group
 * bit. Dropped and counted in rst_skipped, no RST budget spent.
 */
static void test_rst_not_unicast(void)
{
	static const __u8 mac_mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const __u8 mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const struct {
		const char *desc;
		struct fspec s;
	} cases[] = {
		{ "to IPv4 multicast 224.0.0.1", { .src = "192.0.2.50", .dst = "224.0.0.1" } },
		{ "to IPv4 multicast 239.255.1.2", { .src = "192.0.2.51", .dst = "239.255.1.2" } },
		{ "to IPv4 broadcast 255.255.255.255",
		  { .src = "192.0.2.52", .dst = "255.255.255.255" } },
		{ "to IPv6 multicast ff02::1", { .v6 = true, .src = "2001:db8:6::2", .dst = "ff02::1" } },
		{ "to an Ethernet multicast MAC", { .src = "192.0.2.53", .dmac = mac_mcast } },
		{ "to the Ethernet broadcast MAC",
		  { .v6 = true, .src = "2001:db8:6::3", .dmac = mac_bcast } },
		{ "from IPv4 multicast 224.0.0.9", { .src = "224.0.0.9" } },
		{ "from IPv4 broadcast 255.255.255.255", { .src = "255.255.255.255" } },
		{ "from IPv6 multicast ff02::9", { .v6 = true, .src = "ff02::9" } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tg_counters before, want = { 0 };
		struct tg_state st = { 0 };
		struct fspec s = cases[i].s;
		const char *desc = cases[i].desc;
		__u8 frame[512];
		struct tg_limits l;
		__u32 zero = 0;
		struct env e;
		int len;

		if (!tap_ok(!env_open(&e, "1/minute", 1), "%s: load", desc))
			continue;
		l = e.lim;
		l.action.kind = TG_ACT_RST;
		env_limits(&e, &l);
		s.sport = 1000;
		spend(&e, &s);
		len = fbuild(&s, frame);
		before = env_counters(&e);
		tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_DROP,
		       "SYN %s: over the limit, dropped without an answer", desc);
		want.packets = want.syn = want.dropped = 1;
		want.rst_skipped = 1;
		want.log_emitted = 1;
		env_moved(&e, &before, &want, desc);
		bpf_map_lookup_elem(e.m.state, &zero, &st);
		tap_is(st.rst_tat_ns, 0, "  %s: no RST budget spent", desc);
		env_close(&e);
	}
}

/*
 * The RST budget is global: 3 per second (burst 3) means 3 RSTs from a
 * flood of 10 over-limit sources, then one more a third of a second on.
 */
static void test_rst_budget(void)
{
	struct tg_counters before, want = { 0 };
	__u8 frame[512];
	struct tg_limits l;
	int i, tx = 0, drop = 0, len, v;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "budget: load"))
		return;
	l = e.lim;
	l.action.kind = TG_ACT_RST;
	l.rst_budget = 3;
	env_limits(&e, &l);
	for (i = 0; i < 10; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 2000 };

		snprintf(src, sizeof(src), "192.0.2.%d", 100 + i);
		spend(&e, &s);
	}
	before = env_counters(&e);
	for (i = 0; i < 10; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 2000 };

		snprintf(src, sizeof(src), "192.0.2.%d", 100 + i);
		len = fbuild(&s, frame);
		v = env_run(&e, frame, (__u32)len, NULL, NULL);
		tx += v == XDP_TX;
		drop += v == XDP_DROP;
	}
	tap_is(tx, 3, "budget: 3 RSTs from 10 over-limit SYNs at once");
	tap_is(drop, 7, "  the other 7 dropped");
	want.packets = want.syn = want.dropped = 10;
	want.rst_sent = 3;
	want.rst_budget_exceeded = 7;
	want.log_emitted = 10;
	env_moved(&e, &before, &want, "budget");

	env_clock(&e, T0 + SEC_NS / 3 + 1);
	tx = 0;
	for (i = 0; i < 3; i++) {
		struct fspec s = { .src = "192.0.2.100", .sport = 2000 };

		len = fbuild(&s, frame);
		tx += env_run(&e, frame, (__u32)len, NULL, NULL) == XDP_TX;
	}
	tap_is(tx, 1, "budget: a third of a second later, one more RST");
	env_close(&e);
}

/* An admitted SYN is passed untouched, even with the rst action. */
static void test_admitted_untouched(void)
{
	const struct fspec s = { .src = "192.0.2.60", .tcp_opts = 8, .seq = 5 };
	__u8 frame[512], out[512];
	__u32 out_len = sizeof(out);
	struct tg_limits l;
	struct env e;
	int len;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "admitted: load"))
		return;
	l = e.lim;
	l.action.kind = TG_ACT_RST;
	env_limits(&e, &l);
	len = fbuild(&s, frame);
	tap_is(env_run(&e, frame, (__u32)len, out, &out_len), XDP_PASS, "admitted: passed");
	tap_ok(out_len == (__u32)len && !memcmp(out, frame, (size_t)len), "  and not rewritten");
	env_close(&e);
}

/* A rule's action overrides the interface's: deny with rst. */
static void test_rule_action(void)
{
	const struct fspec s = { .src = "198.51.100.9", .sport = 3000, .seq = 99 };
	__u8 frame[512], out[512], expect[512];
	__u32 out_len = sizeof(out);
	int len, elen;
	struct env e;

	if (!tap_ok(!env_open(&e, "100/second", 100), "rule action: load (drop by default)"))
		return;
	env_rule(&e, "198.51.100.0/24", "deny", NULL, 0, false, "rst");
	len = fbuild(&s, frame);
	elen = fexpect_rst(&s, expect);
	tap_is(env_run(&e, frame, (__u32)len, out, &out_len), XDP_TX,
	       "rule action: a deny rule with --action rst answers the first SYN");
	frames_equal(out, (int)out_len, expect, elen, "deny --action rst");
	env_close(&e);
}

/*
 * A segment carrying RST is never answered, SYN or not: over the limit
 * of a source in rst mode, and under a deny rule with --action rst, a
 * SYN+RST passes as not a SYN (a listener discards it unopened).
 */
static void test_rst_never_answered(void)
{
	const struct fspec s = { .src = "192.0.2.50", .sport = 4000, .flags = F_SYN | F_RST };
	const struct fspec denied = { .src = "198.51.100.10", .sport = 4001,
				      .flags = F_SYN | F_RST };
	struct tg_counters before, want = { .packets = 1, .pass_not_syn = 1 };
	__u8 frame[512];
	struct tg_limits l;
	struct env e;
	int len;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "SYN+RST: load, 1/minute burst 1"))
		return;
	l = e.lim;
	l.action.kind = TG_ACT_RST;
	env_limits(&e, &l);
	env_rule(&e, "198.51.100.0/24", "deny", NULL, 0, false, "rst");
	spend(&e, &s);
	len = fbuild(&s, frame);
	before = env_counters(&e);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
	       "SYN+RST from a source over its limit: passed, not answered");
	env_moved(&e, &before, &want, "SYN+RST over the limit");
	len = fbuild(&denied, frame);
	before = env_counters(&e);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS,
	       "SYN+RST from a denied prefix: passed, not answered");
	env_moved(&e, &before, &want, "SYN+RST under deny --action rst");
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_rst_never_answered();
	test_rst_frames();
	test_rst_skipped();
	test_rst_not_unicast();
	test_rst_budget();
	test_admitted_untouched();
	test_rule_action();
	return tap_done();
}
