// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_bucket.c - the GCRA bucket of the real XDP program, exactly, with
 * its injected clock: burst, refill, idle, a clock going backwards, a
 * rate changed under a live bucket, source prefixes, uneven rates and a
 * full table. Two CPUs racing on one source: test_race.c.
 */
#include "harness.h"
#include "pkt.h"
#include "syn.h"

#define SEC TG_NSEC_PER_SEC
#define MSEC (SEC / 1000)
#define DAY (86400 * SEC)
#define T0 (1000 * SEC) /* the clock at the start of most tests */

/* Source address as text: "192.0.2.1" or "2001:db8::1". */
static int syn_from(struct syn *f, const char *addr)
{
	struct pkt_spec s;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		s = pkt_syn4(ntohl(a4.s_addr), 80);
	} else {
		struct in6_addr a6 = pkt_ip6(addr);

		s = pkt_syn6(&a6, 80);
	}
	return syn_build(f, &s);
}

/* The bucket key of an address as text, already cut to its prefix. */
static struct tg_source source_from(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return tg_source_v4(ntohl(a4.s_addr));
	a6 = pkt_ip6(addr);
	return tg_source_v6(&a6);
}

/*
 * The kernel swaps the XDP dispatcher in and out around every test run
 * with repeat > 1, which costs tens of milliseconds; a few single runs
 * are far cheaper, so repeat is kept for long runs.
 */
#define SINGLE_RUNS_MAX 64

/*
 * Send n copies of a SYN at the current clock. Returns how many were
 * admitted (the allowed counter's move), or -errno; *last is the
 * verdict of the last one when last is not NULL.
 */
static long send_syns(struct tg_harness *h, const struct syn *f, __u32 n, __u32 *last)
{
	struct tg_counters before, after;
	__u32 i, verdict = 0;
	int err;

	err = tg_stats_read(h, &before);
	if (!err && n > SINGLE_RUNS_MAX)
		err = tg_run(h, f->frame, f->len, n, &verdict);
	else
		for (i = 0; i < n && !err; i++)
			err = tg_run(h, f->frame, f->len, 1, &verdict);
	err = err ?: tg_stats_read(h, &after);
	if (err) {
		tap_ok(0, "run %u SYNs: %s", n, strerror(-err));
		return err;
	}
	if (last)
		*last = verdict;
	return (long)(after.allowed - before.allowed);
}

/* The bucket's tat, or 0 when the source has none. */
static __u64 tat_of(struct tg_harness *h, const struct tg_source *src)
{
	struct tg_bucket b;

	return tg_bucket_get(h, src, &b) ? 0 : b.tat_ns;
}

/* Admitted at now: send n, check how many got through. */
static void expect_admitted(struct tg_harness *h, const struct syn *f, __u64 now, __u32 n,
			    long want, const char *desc)
{
	tg_set_clock(h, now);
	tap_is(send_syns(h, f, n, NULL), want, "%s: %ld of %u SYNs admitted", desc, want, n);
}

/*
 * 10/second burst 5 from one source at T0: five pass, the sixth drops,
 * then tokens come back one interval at a time, not a nanosecond early.
 */
static void test_burst_refill(struct tg_harness *h)
{
	const __u64 iv = 100 * MSEC;
	struct syn f = syn4(PKT_IP4(192, 0, 2, 1));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 1));
	struct tg_counters before, after;
	const struct tg_counters want = {
		.packets = 6, .syn = 6, .allowed = 5, .dropped = 1, .new_source = 1,
		.act_drop = 1, .log_emitted = 1,
	};
	struct tg_bucket b = { 0 };
	__u32 verdict = 0;
	int i, passed = 0;

	if (tg_configure_ok(h, "10/second", 5, 32, 128))
		return;
	tap_is(h->cfg.interval_ns, iv, "10/second: interval 100 ms");
	tap_is(h->cfg.tolerance_ns, 4 * iv, "burst 5: tolerance 4 intervals");

	tg_set_clock(h, T0);
	tg_stats_read(h, &before);
	for (i = 0; i < 5; i++) {
		send_syns(h, &f, 1, &verdict);
		passed += verdict == XDP_PASS;
	}
	tap_is(passed, 5, "burst: the first 5 SYNs pass");
	send_syns(h, &f, 1, &verdict);
	tap_is(verdict, XDP_DROP, "burst: the 6th SYN is dropped");
	tg_stats_read(h, &after);
	tg_counters_moved(&before, &after, &want, "burst: 6 SYNs");
	tg_bucket_get(h, &src, &b);
	tap_is(b.tat_ns, T0 + 5 * iv, "burst: tat is now + 5 intervals");
	tap_is(b.admitted, 5, "burst: the bucket admitted 5");

	expect_admitted(h, &f, T0 + iv - 1, 3, 0, "refill: 1 ns short of an interval");
	tap_is(tat_of(h, &src), T0 + 5 * iv, "refill: a dropped SYN leaves tat alone");
	expect_admitted(h, &f, T0 + iv, 3, 1, "refill: one interval later");
	tap_is(tat_of(h, &src), T0 + 6 * iv, "refill: tat moved one interval");
	expect_admitted(h, &f, T0 + iv + iv / 2, 3, 0, "refill: half an interval more");
	expect_admitted(h, &f, T0 + 2 * iv, 3, 1, "refill: a whole interval more");
	expect_admitted(h, &f, T0 + 4 * iv, 3, 2, "refill: two intervals more");
}

/*
 * After a long idle the bucket is full again: exactly burst pass, also
 * with the clock near 2^62 and with the largest tolerance the CLI lets
 * through, where a careless now + tolerance would overflow.
 */
static void test_long_idle(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 2));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 2));
	const __u64 iv = 100 * MSEC, far = 1ULL << 62;
	__u64 max_burst;

	if (tg_configure_ok(h, "10/second", 5, 32, 128))
		return;
	expect_admitted(h, &f, T0, 10, 5, "idle: drain at T0");
	expect_admitted(h, &f, T0 + 30 * DAY, 10, 5, "idle: 30 days later, burst again");
	tap_is(tat_of(h, &src), T0 + 30 * DAY + 5 * iv, "idle: tat is 30 days + 5 intervals");
	expect_admitted(h, &f, far, 10, 5, "idle: clock at 2^62, burst again");
	tap_is(tat_of(h, &src), far + 5 * iv, "idle: tat is 2^62 + 5 intervals");

	/* 1/day with (burst - 1) days just under TG_MAX_TOLERANCE_NS */
	max_burst = TG_MAX_TOLERANCE_NS / DAY + 1;
	if (tg_configure_ok(h, "1/day", max_burst, 32, 128))
		return;
	expect_admitted(h, &f, far + 3 * DAY, (__u32)max_burst + 10, (long)max_burst,
			"idle: the largest burst at 2^62 + 3 days, exactly");
	tap_is(tat_of(h, &src), far + 3 * DAY + max_burst * DAY,
	       "idle: tat after the largest burst did not wrap");
	expect_admitted(h, &f, far + 4 * DAY, 10, 1, "idle: one day on, one more");
}

/*
 * A clock that goes back admits nothing extra. Back by as much as two
 * CPUs' clocks ever disagree (microseconds; here up to 900 us, under
 * gcra_charge's TG_CAP_SLACK_NS) it moves nothing either. Back by more,
 * which CLOCK_MONOTONIC never does, nothing is admitted while it is
 * back, but the debt looks larger than any the limit can owe and is
 * capped from that earlier time, as after a change of limit: when the
 * clock comes forward again the bucket is where a last admission at the
 * earlier time would have left it.
 */
static void test_clock_backwards(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 3));
	struct syn fresh = syn4(PKT_IP4(192, 0, 2, 4));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 3));
	const __u64 iv = 100 * MSEC, t1 = T0 + DAY, us = MSEC / 1000;

	if (tg_configure_ok(h, "10/second", 5, 32, 128))
		return;
	expect_admitted(h, &f, t1, 10, 5, "backwards: drain at T1");
	expect_admitted(h, &f, t1 - 1 * us, 10, 0, "backwards: 1 us before T1");
	expect_admitted(h, &f, t1 - 900 * us, 10, 0, "backwards: 900 us before T1");
	tap_is(tat_of(h, &src), t1 + 5 * iv, "backwards: tat did not move");
	expect_admitted(h, &f, t1, 10, 0, "backwards: back at T1, still empty");
	expect_admitted(h, &f, t1 + iv, 10, 1, "backwards: T1 + one interval, one token");

	expect_admitted(h, &f, t1 - DAY, 10, 0, "backwards: a day before T1");
	tap_is(tat_of(h, &src), t1 - DAY + 5 * iv,
	       "backwards: tat capped at that time + tolerance + interval");
	expect_admitted(h, &f, 0, 10, 0, "backwards: clock at 0");
	expect_admitted(h, &f, t1 + iv, 10, 5,
			"backwards: forward again, the bucket as the clock at 0 left it");
	expect_admitted(h, &fresh, t1 - DAY, 10, 5, "backwards: a new source, burst as usual");
}

/*
 * Rewriting tg_config keeps every bucket's tat; the next decisions are
 * GCRA with the kept tat and the new interval and tolerance, tat capped
 * at what the new limit can owe (now + tolerance + interval), which none
 * of the steps here reaches: see test_rate_loosen for one that does.
 */
static void test_rate_change(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 5));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 5));
	const __u64 t2 = T0 + 2 * DAY;

	if (tg_configure_ok(h, "10/second", 5, 32, 128))
		return;
	expect_admitted(h, &f, t2, 10, 5, "rate change: drain at 10/second burst 5");
	tap_is(tat_of(h, &src), t2 + 500 * MSEC, "rate change: tat is t + 500 ms");

	/* Slower: 1/second burst 2, tolerance 1 s; tat - now = 500 ms */
	if (tg_configure_ok(h, "1/second", 2, 32, 128))
		return;
	tap_is(tat_of(h, &src), t2 + 500 * MSEC, "rate change: rewriting the config keeps tat");
	expect_admitted(h, &f, t2, 1, 1, "1/second: tat 500 ms ahead is within 1 s");
	tap_is(tat_of(h, &src), t2 + 1500 * MSEC, "1/second: tat moved by the new interval");
	expect_admitted(h, &f, t2, 5, 0, "1/second: tat 1.5 s ahead is not");
	expect_admitted(h, &f, t2 + 500 * MSEC, 5, 1, "1/second: 500 ms on, exactly 1 s ahead");
	tap_is(tat_of(h, &src), t2 + 2500 * MSEC, "1/second: tat is t + 2.5 s");

	/* Faster: 100/second burst 3, tolerance 20 ms */
	if (tg_configure_ok(h, "100/second", 3, 32, 128))
		return;
	expect_admitted(h, &f, t2 + 2480 * MSEC - 1, 5, 0,
			"100/second: 1 ns before tat - 20 ms");
	expect_admitted(h, &f, t2 + 2480 * MSEC, 5, 1, "100/second: at tat - 20 ms");
	tap_is(tat_of(h, &src), t2 + 2510 * MSEC, "100/second: tat moved 10 ms");
	expect_admitted(h, &f, t2 + 2490 * MSEC, 5, 1, "100/second: 10 ms on, one more");
	expect_admitted(h, &f, t2 + 2520 * MSEC, 5, 3, "100/second: at tat, a full burst");
}

/*
 * Loosening a limit live helps at once. 10/minute burst 10, drained,
 * leaves tat a minute ahead; under 600/minute burst 50 no bucket can owe
 * more than tolerance + interval = 5 s, so tat is taken as at most now +
 * 5 s: the first SYN after the change is denied and stores that, the
 * next is admitted one new interval (100 ms) later, not a minute later.
 */
static void test_rate_loosen(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 6));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 6));
	const __u64 t = T0 + 3 * DAY;

	if (tg_configure_ok(h, "10/minute", 10, 32, 128))
		return;
	expect_admitted(h, &f, t, 12, 10, "loosen: drain at 10/minute burst 10");
	tap_is(tat_of(h, &src), t + 60 * SEC, "loosen: tat is a minute ahead");

	if (tg_configure_ok(h, "600/minute", 50, 32, 128))
		return;
	expect_admitted(h, &f, t + SEC, 1, 0, "600/minute: the first SYN after the change");
	tap_is(tat_of(h, &src), t + SEC + 5 * SEC,
	       "600/minute: it stored now + tolerance + interval (5 s)");
	expect_admitted(h, &f, t + SEC + 100 * MSEC - 1, 3, 0,
			"600/minute: 1 ns short of one new interval");
	expect_admitted(h, &f, t + SEC + 100 * MSEC, 3, 1,
			"600/minute: one new interval later, admitted");
	tap_is(tat_of(h, &src), t + SEC + 5100 * MSEC, "600/minute: tat moved one interval");
	expect_admitted(h, &f, t + SEC + 5100 * MSEC, 60, 50,
			"600/minute: 5 s on, a full burst of 50");
}

/*
 * The same where the new interval is longer than the coarse clock's
 * slack (TG_COARSE_SLACK_NS), so the flood's fast path could deny the
 * source from the coarse clock alone: it must leave a tat beyond what the
 * limit can owe to the precise path, which caps it.
 */
static void test_rate_loosen_slow(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 7));
	struct tg_source src = tg_source_v4(PKT_IP4(192, 0, 2, 7));
	const __u64 t = T0 + 4 * DAY;

	if (tg_configure_ok(h, "1/hour", 1, 32, 128))
		return;
	expect_admitted(h, &f, t, 3, 1, "loosen slowly: 1/hour burst 1");
	if (tg_configure_ok(h, "10/minute", 1, 32, 128))
		return;
	expect_admitted(h, &f, t + SEC, 3, 0, "10/minute: SYNs right after the change");
	tap_is(tat_of(h, &src), t + 7 * SEC, "10/minute: tat capped at now + 6 s");
	expect_admitted(h, &f, t + 7 * SEC - 1, 3, 0, "10/minute: 1 ns short of 6 s on");
	expect_admitted(h, &f, t + 7 * SEC, 3, 1, "10/minute: 6 s on, admitted");
	expect_admitted(h, &f, t + 13 * SEC, 3, 1, "10/minute: and 6 s later one more");
}

/*
 * Tightening admits nothing extra. 10/second burst 20, drained, owes
 * 2 s; 1/second burst 1 can owe at most 1 s. The SYNs at the change are
 * all denied; from then on at most one per second gets through, never
 * more than 1/second burst 1 allows from any state.
 */
static void test_rate_tighten(struct tg_harness *h)
{
	struct syn f = syn4(PKT_IP4(192, 0, 2, 8));
	const __u64 t = T0 + 5 * DAY;
	long got, total = 0;
	int i, over = 0;

	if (tg_configure_ok(h, "10/second", 20, 32, 128))
		return;
	expect_admitted(h, &f, t, 25, 20, "tighten: drain 10/second burst 20");
	if (tg_configure_ok(h, "1/second", 1, 32, 128))
		return;
	expect_admitted(h, &f, t, 10, 0, "1/second: nothing admitted at the change");
	for (i = 1; i <= 100; i++) {
		tg_set_clock(h, t + (__u64)i * 100 * MSEC);
		got = send_syns(h, &f, 5, NULL);
		total += got;
		/* By t + i/10 s at most floor(i/10) under 1/second. */
		if (total > i / 10 && !over++)
			tap_diag("  at t + %d00 ms: %ld admitted since the change", i, total);
	}
	tap_is(over, 0, "1/second: never more than one per second since the change");
	tap_is(total, 10, "1/second: 10 in the 10 s after it");
}

struct prefix_case {
	const char *desc;
	unsigned int v4, v6; /* prefixes */
	const char *a, *b, *c; /* a and b maybe in one prefix; c never */
	const char *ka, *kb, *kc; /* their bucket keys */
};

static const struct prefix_case prefix_cases[] = {
	{ "IPv4 /24", 24, 128, "192.0.2.1", "192.0.2.200", "192.0.3.1",
	  "192.0.2.0", "192.0.2.0", "192.0.3.0" },
	{ "IPv4 /20", 20, 128, "192.0.31.255", "192.0.16.1", "192.0.32.1",
	  "192.0.16.0", "192.0.16.0", "192.0.32.0" },
	{ "IPv4 /1", 1, 128, "1.2.3.4", "100.0.0.1", "200.0.0.1",
	  "0.0.0.0", "0.0.0.0", "128.0.0.0" },
	{ "IPv4 /32", 32, 128, "192.0.2.1", "192.0.2.2", "198.51.100.7",
	  "192.0.2.1", "192.0.2.2", "198.51.100.7" },
	{ "IPv6 /64", 32, 64, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe",
	  "2001:db8:1:3::1", "2001:db8:1:2::", "2001:db8:1:2::", "2001:db8:1:3::" },
	{ "IPv6 /60", 32, 60, "2001:db8:1:2::1", "2001:db8:1:f::1", "2001:db8:1:10::1",
	  "2001:db8:1::", "2001:db8:1::", "2001:db8:1:10::" },
	{ "IPv6 /48", 32, 48, "2001:db8:1:2::1", "2001:db8:1:ffff::1", "2001:db8:2::1",
	  "2001:db8:1::", "2001:db8:1::", "2001:db8:2::" },
	{ "IPv6 /128", 32, 128, "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:3::1",
	  "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:3::1" },
};

static void check_key(struct tg_harness *h, const char *key, __u64 want, const char *desc)
{
	struct tg_source src = source_from(key);
	struct tg_bucket b = { 0 };
	int err = tg_bucket_get(h, &src, &b);

	if (tap_is(err, 0, "%s: a bucket under key %s", desc, key))
		tap_is(b.admitted, want, "%s: key %s admitted %llu", desc, key,
		       (unsigned long long)want);
}

/*
 * Burst 3: two SYNs from a and two from b, then two from c. When a and
 * b share a prefix they share the bucket (3 of 4 pass); c has its own.
 */
static void test_prefix(struct tg_harness *h, const struct prefix_case *pc)
{
	bool shared = !strcmp(pc->ka, pc->kb);
	struct syn fa, fb, fc;
	long got;

	tg_buckets_clear(h);
	if (tg_configure_ok(h, "1/minute", 3, pc->v4, pc->v6))
		return;
	if (syn_from(&fa, pc->a) || syn_from(&fb, pc->b) || syn_from(&fc, pc->c))
		return (void)tap_ok(0, "%s: build the frames", pc->desc);
	tg_set_clock(h, T0);
	got = send_syns(h, &fa, 2, NULL) + send_syns(h, &fb, 2, NULL);
	tap_is(got, shared ? 3 : 4, "%s: %s and %s %s", pc->desc, pc->a, pc->b,
	       shared ? "share a burst of 3" : "have a burst of 3 each");
	tap_is(send_syns(h, &fc, 2, NULL), 2, "%s: %s has its own bucket", pc->desc, pc->c);
	tap_is(tg_bucket_count(h), shared ? 2 : 3, "%s: buckets in the table", pc->desc);
	check_key(h, pc->ka, shared ? 3 : 2, pc->desc);
	if (!shared)
		check_key(h, pc->kb, 2, pc->desc);
	check_key(h, pc->kc, 2, pc->desc);
}

struct uneven_case {
	const char *rate;
	__u64 burst; /* at least 2, see test_uneven */
};

static const struct uneven_case uneven_cases[] = {
	{ "3/10s", 2 }, { "7/minute", 0 }, { "3/7s", 4 }, { "7/day", 3 }, { "1000/hour", 2 },
};

/* splitmix64: deterministic, so a failure can be replayed. */
static __u64 next_random(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Poll one source at pseudo-random steps of at most one interval,
 * sending enough SYNs each time to take every token there is. With
 * burst >= 2 no token is ever lost to a full bucket, so after elapsed
 * ns exactly burst + floor(elapsed / interval) are admitted at every
 * poll, and that is burst + floor(elapsed * rate) give or take one.
 */
static void test_uneven(struct tg_harness *h, const struct uneven_case *uc, __u32 src_ip)
{
	const int polls = 3000;
	struct syn f = syn4(src_ip);
	__u64 iv, burst, state = 42, now = T0, elapsed = 0, total = 0;
	unsigned __int128 ideal;
	int i, bad = 0;
	long off;

	if (tg_configure_ok(h, uc->rate, uc->burst, 32, 128))
		return;
	iv = h->cfg.interval_ns;
	burst = h->cfg.burst;
	for (i = 0; i < polls; i++) {
		__u64 want;
		long got;

		if (i)
			elapsed += 1 + next_random(&state) % iv;
		tg_set_clock(h, now + elapsed);
		got = send_syns(h, &f, (__u32)burst + 2, NULL);
		if (got < 0)
			return;
		total += (__u64)got;
		want = burst + elapsed / iv;
		if (total != want && !bad++)
			tap_diag("  %s: poll %d at +%llu ns: admitted %llu, want %llu", uc->rate, i,
				 (unsigned long long)elapsed, (unsigned long long)total,
				 (unsigned long long)want);
	}
	tap_is(bad, 0, "%s burst %llu: burst + floor(elapsed / %llu ns) at all %d polls",
	       uc->rate, (unsigned long long)burst, (unsigned long long)iv, polls);

	ideal = (unsigned __int128)elapsed * h->cfg.rate_count / h->cfg.rate_period_ns;
	off = (long)(total - burst) - (long)ideal;
	tap_ok(off >= -1 && off <= 1,
	       "%s: %llu admitted in %llu ns is burst + floor(elapsed * rate) within 1 (off by %ld)",
	       uc->rate, (unsigned long long)total, (unsigned long long)elapsed, off);
}

/*
 * A table of 64: filling it counts new sources and no table_full; each
 * source after that makes the LRU evict, which table_full and evicted are
 * documented to count.
 */
static void test_table_full(void)
{
	const __u32 max = 64, extra = 3 * 64;
	struct tg_counters before, mid, after;
	struct tg_harness h;
	__u32 i;
	int err;

	err = tg_open(&h, max);
	if (!tap_ok(!err, "table full: load with a table of %u", max))
		return;
	err = tg_set_port(&h, 80, true);
	if (!tap_is(err, 0, "table full: limit port 80") ||
	    tg_configure_ok(&h, "10/second", 5, 32, 128))
		goto out;
	tg_set_clock(&h, T0);

	tg_stats_read(&h, &before);
	for (i = 0; i < max; i++) {
		struct syn f = syn4(PKT_IP4(10, 9, 0, 0) + i);

		send_syns(&h, &f, 1, NULL);
	}
	tg_stats_read(&h, &mid);
	tap_is(mid.new_source - before.new_source, max, "table full: %u new sources", max);
	tap_is(mid.allowed - before.allowed, max, "table full: their SYNs admitted");
	tap_is(mid.table_full - before.table_full, 0, "table full: not full while filling");
	tap_is(tg_bucket_count(&h), max, "table full: %u buckets", max);

	for (i = 0; i < extra; i++) {
		struct syn f = syn4(PKT_IP4(10, 10, 0, 0) + i);

		send_syns(&h, &f, 1, NULL);
	}
	tg_stats_read(&h, &after);
	tap_is(after.new_source - mid.new_source, extra, "table full: %u more new sources",
	       extra);
	tap_is(after.allowed - mid.allowed, extra, "table full: a new source is admitted");
	tap_ok(tg_bucket_count(&h) <= (int)max, "table full: at most %u buckets (%d)", max,
	       tg_bucket_count(&h));
	tap_ok(after.table_full > mid.table_full,
	       "table full: table_full counts once the table is full (%llu)",
	       (unsigned long long)(after.table_full - mid.table_full));
	/* The LRU evicts a batch of nodes at a time (up to 128, here 16);
	 * evicted sums the batches, so every source is accounted for. */
	tap_is(after.evicted - mid.evicted,
	       (long long)(after.new_source - before.new_source) - tg_bucket_count(&h),
	       "table full: evicted == new sources - sources still tracked");
	tap_ok(after.evicted - mid.evicted >= extra - max,
	       "table full: at least %u evicted (%llu)", extra - max,
	       (unsigned long long)(after.evicted - mid.evicted));
	tap_is(after.allowed + after.dropped, after.syn, "table full: allowed + dropped == syn");
out:
	tg_close(&h);
}

/* Every limited SYN is either allowed or dropped, never lost. */
static void test_totals(struct tg_harness *h)
{
	struct tg_fam_counters fam[TG_NR_FAMILIES];
	struct tg_counters c;

	if (tg_stats_read(h, &c) || tg_fam_read(h, fam))
		return (void)tap_ok(0, "totals: read tg_stats");
	/* Every limited SYN in one family's count, IPv4 or IPv6. */
	tap_is(fam[TG_FAM_V4].syn + fam[TG_FAM_V6].syn, c.syn, "totals: per-family syn sum to syn");
	tap_is(fam[TG_FAM_V4].allowed + fam[TG_FAM_V6].allowed, c.allowed,
	       "totals: per-family allowed sum to allowed");
	tap_is(fam[TG_FAM_V4].dropped + fam[TG_FAM_V6].dropped, c.dropped,
	       "totals: per-family dropped sum to dropped");
	tap_is(c.allowed + c.dropped, c.syn, "totals: allowed + dropped == syn");
	tap_is(c.would_drop, 0, "totals: no would_drop outside dry run");
	tap_is(c.syn, c.packets, "totals: every packet here was a limited SYN");
}

int main(void)
{
	struct tg_harness h;
	size_t i;
	int err;

	tg_require_bpf();
	err = tg_open(&h, 4096);
	if (!tap_ok(!err, "load the XDP program with the test clock")) {
		tap_diag("  %s", strerror(-err));
		return tap_done();
	}
	err = tg_set_port(&h, 80, true);
	if (!tap_ok(!err, "limit port 80"))
		goto out;

	test_burst_refill(&h);
	test_long_idle(&h);
	test_clock_backwards(&h);
	test_rate_change(&h);
	test_rate_loosen(&h);
	test_rate_loosen_slow(&h);
	test_rate_tighten(&h);
	for (i = 0; i < sizeof(uneven_cases) / sizeof(uneven_cases[0]); i++)
		test_uneven(&h, &uneven_cases[i], PKT_IP4(10, 30, 0, 1) + (__u32)i);
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++)
		test_prefix(&h, &prefix_cases[i]);
	test_totals(&h);
out:
	tg_close(&h);
	test_table_full();
	return tap_done();
}
