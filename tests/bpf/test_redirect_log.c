// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_redirect_log.c - --action redirect: the SYN's verdict, its flow
 * remembered and followed, forgotten when a SYN of it is admitted; the
 * drop log read from the ring buffer: a bucket's first drop, then one
 * line per interval, and the global budget under many sources.
 */
#include <net/if.h>

#include "xdp_env.h"

static int run(struct env *e, const struct fspec *s)
{
	__u8 frame[512];
	int len = fbuild(s, frame);

	return env_run(e, frame, (__u32)len, NULL, NULL);
}

static int flows_count(struct env *e)
{
	struct tg_flow k, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(e->m.flows, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static void test_redirect(void)
{
	const struct fspec syn = { .src = "192.0.2.7", .sport = 4000, .seq = 10 };
	const struct fspec ack = { .src = "192.0.2.7", .sport = 4000, .seq = 11, .ack = 1,
				   .flags = F_ACK };
	const struct fspec other = { .src = "192.0.2.7", .sport = 4001, .flags = F_ACK };
	struct tg_counters before, want = { 0 };
	struct tg_limits l;
	__u32 lo = if_nametoindex("lo"), ifi;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "redirect: load"))
		return;
	l = e.lim;
	tap_is(tg_action_parse("redirect:lo", &l.action, (char[128]){ 0 }, 128), 0,
	       "redirect: --action redirect:lo parses");
	tap_is(env_limits(&e, &l), 0, "redirect: written");
	tap_is(env_config(&e).flags & TG_F_FLOWS, TG_F_FLOWS, "redirect: the flow flag is set");
	tap_is(bpf_map_lookup_elem(e.m.redirect, &lo, &ifi), 0, "redirect: lo is in tg_redirect");

	tap_is(run(&e, &syn), XDP_PASS, "redirect: the first SYN is admitted");
	before = env_counters(&e);
	tap_is(run(&e, &syn), XDP_REDIRECT, "redirect: the over-limit SYN is redirected");
	tap_is(flows_count(&e), 1, "  its flow is remembered");
	tap_is(run(&e, &ack), XDP_REDIRECT, "  the flow's ACK follows it");
	tap_is(run(&e, &other), XDP_PASS, "  another flow of the source does not");
	want.packets = 3;
	want.syn = want.dropped = want.redirected = 1;
	want.flow_redirected = 1;
	want.pass_not_syn = 1;
	want.log_emitted = 1;
	env_moved(&e, &before, &want, "redirect");

	/* A minute on, the retransmitted SYN is admitted: the flow is ours again. */
	env_clock(&e, T0 + 61 * SEC_NS);
	tap_is(run(&e, &syn), XDP_PASS, "redirect: a later SYN of the flow admitted");
	tap_is(flows_count(&e), 0, "  forgets the flow");
	tap_is(run(&e, &ack), XDP_PASS, "  and its ACK stays here");

	/* The interface leaves tg_redirect (gone): dropped, counted. */
	bpf_map_delete_elem(e.m.redirect, &lo);
	before = env_counters(&e);
	memset(&want, 0, sizeof(want));
	tap_is(run(&e, &syn), XDP_DROP, "redirect: with no device to send to, dropped");
	want.packets = want.syn = want.dropped = want.redirect_failed = 1;
	want.log_emitted = 1; /* 61 s since the source's last line */
	env_moved(&e, &before, &want, "redirect failed");

	/* Back to drop: the flow flag goes, tg_redirect is emptied. */
	l.action.kind = TG_ACT_DROP;
	env_limits(&e, &l);
	tap_is(env_config(&e).flags & TG_F_FLOWS, 0, "redirect: drop again clears the flow flag");
	tap_is(env_rule(&e, "192.0.2.0/24", "limit", "1/minute", 1, false, "redirect:lo") > 0, 1,
	       "redirect: a limit rule with its own redirect");
	tap_is(env_config(&e).flags & TG_F_FLOWS, TG_F_FLOWS, "  sets the flow flag again");
	tap_is(bpf_map_lookup_elem(e.m.redirect, &lo, &ifi), 0, "  and puts lo back");
	env_rule_del(&e, "192.0.2.0/24");
	tap_is(env_config(&e).flags & (TG_F_FLOWS | TG_F_RULES), 0,
	       "  deleting it clears both flags");
	tap_is(bpf_map_lookup_elem(e.m.redirect, &lo, &ifi), -ENOENT, "  and empties tg_redirect");
	env_close(&e);
}

/*
 * TCP past the first 1023 bytes of the frame, behind a 1024-byte
 * destination-options header: the flow a redirected SYN leaves has the
 * SYN's own ports, so its ACK follows it. (The TCP offset once had 10
 * bits on its way to tg_decide: the flow got two bytes of the extension
 * header for its ports.)
 */
static void test_redirect_deep_tcp(void)
{
	const struct fspec syn = { .v6 = true, .src = "2001:db8:7::1", .sport = 4100, .seq = 10,
				   .ext_hdr = true, .ext_len = 1024 };
	const struct fspec ack = { .v6 = true, .src = "2001:db8:7::1", .sport = 4100, .seq = 11,
				   .ack = 1, .flags = F_ACK, .ext_hdr = true, .ext_len = 1024 };
	__u8 frame[2048];
	struct tg_flow k = { 0 };
	struct tg_limits l;
	struct env e;
	int len;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "deep TCP: load"))
		return;
	l = e.lim;
	tg_action_parse("redirect:lo", &l.action, (char[128]){ 0 }, 128);
	tap_is(env_limits(&e, &l), 0, "deep TCP: redirect to lo");
	len = fbuild(&syn, frame);
	tap_is(len, ETH_HLEN + 40 + 1024 + 20, "deep TCP: the SYN's TCP starts at byte %d",
	       ETH_HLEN + 40 + 1024);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_PASS, "deep TCP: first SYN admitted");
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_REDIRECT,
	       "deep TCP: the over-limit SYN is redirected");
	tap_is(flows_count(&e), 1, "  its flow is remembered");
	bpf_map_get_next_key(e.m.flows, NULL, &k);
	if (!tap_ok(k.sport == htons(4100) && k.dport == htons(80), "  with the SYN's ports"))
		tap_diag("  sport %u dport %u, want 4100 80", ntohs(k.sport), ntohs(k.dport));
	len = fbuild(&ack, frame);
	tap_is(env_run(&e, frame, (__u32)len, NULL, NULL), XDP_REDIRECT,
	       "  the flow's ACK follows it");
	env_close(&e);
}

static void test_log_lines(void)
{
	const struct fspec s = { .src = "192.0.2.77", .sport = 5000, .dport = 80 };
	static struct env_events evs;
	struct tg_limits l;
	__u8 mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 77 };
	int i, id;
	struct env e;

	if (!tap_ok(!env_open(&e, "2/second", 2), "log: load, 2/second burst 2"))
		return;
	l = e.lim;
	l.log_interval = 10;
	env_limits(&e, &l);
	for (i = 0; i < 5; i++)
		run(&e, &s); /* 2 admitted, 3 dropped */
	tap_is(env_log_drain(&e, &evs), 1, "log: 3 drops of one source at once: one line");
	if (evs.n == 1) {
		const struct tg_log_event *ev = &evs.ev[0];

		tap_is(ev->time_ns, T0, "  at the injected time");
		tap_is(ev->since_ns, 0, "  its bucket's first line");
		tap_is(ev->dropped, 1, "  on its first drop");
		tap_is(ev->admitted, 2, "  after 2 admitted");
		tap_ok(!memcmp(ev->addr, mapped, 16), "  the source 192.0.2.77");
		tap_ok(!memcmp(ev->bucket, mapped, 16), "  the bucket 192.0.2.77");
		tap_is(ev->prefixlen, 32, "  prefix /32");
		tap_is(ev->family, 4, "  IPv4");
		tap_is(ev->rule_id, 0, "  the default limit");
		tap_is(ev->rate_count, 2, "  limit 2");
		tap_is(ev->rate_period_ns, SEC_NS, "  per second");
		tap_is(ev->action, TG_ACT_DROP, "  action drop");
		tap_is(ev->why, TG_WHY_LIMIT, "  why: limit");
		tap_is(ev->dport, 80, "  to port 80");
	}
	env_clock(&e, T0 + 9 * SEC_NS);
	run(&e, &s);
	run(&e, &s);
	run(&e, &s);
	tap_is(env_log_drain(&e, &evs), 0, "log: 9 s later, within the interval: no line");
	env_clock(&e, T0 + 10 * SEC_NS);
	for (i = 0; i < 4; i++)
		run(&e, &s);
	tap_is(env_log_drain(&e, &evs), 1, "log: 10 s later: one line");
	if (evs.n == 1) {
		tap_is(evs.ev[0].since_ns, 10 * SEC_NS, "  10 s since the previous");
		/* 3 at T0, 1 at T0+9 s (2 admitted: full again), and this first
		 * one at T0+10 s */
		tap_is(evs.ev[0].dropped, 3 + 1 + 1, "  the bucket's drops so far");
	}

	/* A deny rule with rst: why deny, its action, no limit. */
	id = env_rule(&e, "198.51.100.0/24", "deny", NULL, 0, false, "rst");
	{
		const struct fspec d = { .src = "198.51.100.3", .sport = 5001 };

		run(&e, &d);
	}
	tap_is(env_log_drain(&e, &evs), 1, "log: a denied source's first SYN: one line");
	if (evs.n == 1) {
		tap_is(evs.ev[0].why, TG_WHY_DENY, "  why: deny");
		tap_is(evs.ev[0].rule_id, id, "  its rule");
		tap_is(evs.ev[0].action, TG_ACT_RST, "  the rule's action, rst");
		tap_is(evs.ev[0].rate_count, 0, "  no limit");
	}
	/* A shared rule logs its network and length. */
	env_rule(&e, "203.0.113.0/24", "limit", "1/second", 1, true, NULL);
	{
		const struct fspec a = { .src = "203.0.113.5", .sport = 5002 };
		const struct fspec b = { .src = "203.0.113.6", .sport = 5002 };
		__u8 net[16] = { [10] = 0xff, [11] = 0xff, 203, 0, 113, 0 };

		run(&e, &a);
		run(&e, &b);
		tap_is(env_log_drain(&e, &evs), 1, "log: a shared bucket's first drop: one line");
		if (evs.n == 1) {
			tap_ok(!memcmp(evs.ev[0].bucket, net, 16), "  bucket 203.0.113.0");
			tap_is(evs.ev[0].prefixlen, 24, "  /24");
			tap_is(evs.ev[0].flags & TG_EV_SHARED, TG_EV_SHARED, "  flagged shared");
		}
	}
	env_close(&e);
}

/* 200 sources over the limit at once, a budget of 5 lines per second. */
static void test_log_budget(void)
{
	struct tg_counters before, after;
	static struct env_events evs;
	struct tg_limits l;
	int i, round, total = 0;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "budget: load, 1/minute burst 1"))
		return;
	l = e.lim;
	l.log_budget = 5;
	l.log_interval = 1; /* every source may log again each second */
	env_limits(&e, &l);
	for (i = 0; i < 200; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 6000 };

		snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, 1 + i % 250);
		run(&e, &s);
	}
	for (round = 0; round < 3; round++) {
		env_clock(&e, T0 + (__u64)round * SEC_NS);
		before = env_counters(&e);
		for (i = 0; i < 200; i++) {
			char src[32];
			struct fspec s = { .src = src, .sport = 6000 };

			snprintf(src, sizeof(src), "198.18.%d.%d", i / 250, 1 + i % 250);
			run(&e, &s);
		}
		after = env_counters(&e);
		env_log_drain(&e, &evs);
		total += evs.n;
		tap_is(evs.n, 5, "budget: second %d, 200 sources over the limit: 5 lines", round);
		tap_is(after.log_emitted - before.log_emitted, 5, "  log_emitted +5");
		tap_is(after.log_budget_exceeded - before.log_budget_exceeded, 195,
		       "  the other 195 refused by the budget");
	}
	tap_is(total, 15, "budget: 15 lines in 3 seconds from 200 sources");
	env_close(&e);
}

/* The ring buffer full (nobody reading): lines lost, counted, no harm. */
static void test_log_lost(void)
{
	struct tg_counters c;
	struct tg_limits l;
	int i;
	struct env e;

	if (!tap_ok(!env_open(&e, "1/minute", 1), "lost: load"))
		return;
	l = e.lim;
	l.log_budget = TG_MAX_LOG_BUDGET;
	env_limits(&e, &l);
	/* 256 KiB of 88-byte lines (with their headers) is under 3000. */
	for (i = 0; i < 4000; i++) {
		char src[32];
		struct fspec s = { .src = src, .sport = 7000 };

		snprintf(src, sizeof(src), "2001:db8:%x::1", i);
		s.v6 = true;
		run(&e, &s);
		run(&e, &s);
	}
	c = env_counters(&e);
	tap_ok(c.log_lost > 0, "lost: with no reader, lines are lost (%llu) and counted",
	       (unsigned long long)c.log_lost);
	tap_is(c.log_emitted + c.log_lost, 4000, "  every first drop either logged or lost");
	tap_is(c.dropped, 4000, "  the SYNs were dropped all the same");
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_redirect();
	test_redirect_deep_tcp();
	test_log_lines();
	test_log_budget();
	test_log_lost();
	return tap_done();
}
