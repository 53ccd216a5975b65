// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_front.c - the flood's front cache (bpf/front.h) decides as the
 * bucket it stands for, and never after what could change that.
 *
 * The real XDP program with the test clock, kept on one CPU (the cache and
 * the drop count's sampling are per CPU):
 *   - a flooding source's drops, verdicts and counters are those of the
 *     bucket: its drop count equals count_drop's, SYN by SYN, across the
 *     change of sampling step at 2^16;
 *   - the slot is used: a bucket removed behind the program's back is
 *     still denied from the slot, for TG_FRONT_TTL_NS in whole ticks
 *     less one (the slot's time is in jiffies), and no longer;
 *   - another source whose key maps to the same slot does not take
 *     it while it is live;
 *   - a config written voids it;
 *   - a limit changed live voids a slot filled between the new limit's
 *     write and the lowering of the buckets (the front epoch), and no
 *     slot is filled while the epoch says a lowering is under way;
 *   - a drop log line kept back by the spent budget comes as soon as the
 *     budget has room, not when the slot ends;
 *   - near the edge (a limit faster than the coarse clock's slack) the
 *     slot is precise: it ends at the nanosecond its bucket conforms,
 *     and a flood there gets GCRA's every verdict, the one a nanosecond
 *     before each conformance and the one at it among them; in a fleet
 *     too, where a change of the fleet's share voids it.
 */
#include <sched.h>

#include "harness.h"
#include "pkt.h"
#include "rescale.h"

#define SEC_NS  (1000ULL * 1000 * 1000)
#define MS      (1000ULL * 1000)
#define T0      (7000 * SEC_NS)
#define FLOODER 0xC6120002U /* 198.18.0.2 */
#define BYSTANDERS 0xC6130000U /* 198.19.0.0 on: new sources, each SYN's its first */

static int cpu; /* the one this test runs on */

static int cpu_counters(struct tg_harness *h, struct tg_counters *c)
{
	size_t size = sizeof(*c) * (size_t)h->ncpus;
	struct tg_counters *percpu = malloc(size);
	__u32 zero = 0;
	int err;

	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(h->skel->maps.tg_stats, &zero, sizeof(zero), percpu, size, 0);
	if (!err)
		*c = percpu[cpu];
	free(percpu);
	return err;
}

/* What count_drop (bpf/bucket.h) makes of a bucket's count d after n
 * drops, the first at this CPU's SYN count syn. */
static __u64 drops_after(__u64 d, __u64 syn, __u64 n)
{
	__u64 i;

	for (i = 0; i < n; i++) {
		__u32 s = (__u32)(syn + i), shift = d < (1ULL << 16) ? 6 : 10;

		if (d < 256)
			d++;
		else if (!((s * 0x9E3779B1U) >> (32 - shift)))
			d += 1ULL << shift;
	}
	return d;
}

static __u32 syn_verdict(struct tg_harness *h, __u32 addr, __u32 repeat)
{
	struct pkt_spec s = pkt_syn4(addr, 80);
	__u8 frame[PKT_MAX];
	int len = pkt_build(&s, frame, sizeof(frame));
	__u32 verdict = ~0U;

	if (len <= 0 || tg_run(h, frame, (__u32)len, repeat, &verdict))
		return ~0U;
	return verdict;
}

/*
 * Make this CPU's next SYN one count_drop does not take, at any step
 * (a SYN it takes is decided by the bucket, not the slot): SYNs of new
 * sources move the CPU's SYN count without touching the slot under test
 * or the log budget (a new source's first SYN passes, unlogged).
 */
static void skip_sampled(struct tg_harness *h)
{
	static __u32 next = BYSTANDERS;
	struct tg_counters c;

	while (!cpu_counters(h, &c) && !(((__u32)c.syn * 0x9E3779B1U) >> (32 - 6)))
		syn_verdict(h, next++, 1);
}

static bool has_bucket(struct tg_harness *h, __u32 addr)
{
	struct tg_source src = tg_source_v4(addr);
	struct tg_bucket b;

	return !tg_bucket_get(h, &src, &b);
}

static __u64 bucket_drops(struct tg_harness *h, __u32 addr)
{
	struct tg_source src = tg_source_v4(addr);
	struct tg_bucket b = { 0 };

	tg_bucket_get(h, &src, &b);
	return b.dropped;
}

static int forget(struct tg_harness *h, __u32 addr)
{
	struct tg_source src = tg_source_v4(addr);

	return bpf_map__delete_elem(h->skel->maps.tg_buckets, &src, sizeof(src), 0);
}

/* A fresh start at T0 under 1/minute burst 1: no bucket, no slot, the
 * budgets full (an earlier test may have left the clock far ahead). */
static int fresh(struct tg_harness *h)
{
	struct tg_state st = { 0 };
	__u32 zero = 0;

	tg_set_clock(h, T0);
	return tg_buckets_clear(h) ?:
	       bpf_map__update_elem(h->skel->maps.tg_state, &zero, sizeof(zero), &st, sizeof(st),
				    BPF_ANY) ?:
	       tg_configure(h, "1/minute", 1, 32, 128, false);
}

static void test_same_as_bucket(struct tg_harness *h)
{
	struct tg_counters before, after, want = { 0 };
	__u64 n = 200000, syn;

	if (!tap_ok(!fresh(h), "same as the bucket: configured"))
		return;
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS, "a new source's first SYN passes");
	if (cpu_counters(h, &before))
		return;
	syn = before.syn;
	tap_is(syn_verdict(h, FLOODER, (__u32)n), XDP_DROP, "%llu SYNs more: the last dropped",
	       (unsigned long long)n);
	if (cpu_counters(h, &after))
		return;
	want.packets = want.syn = want.dropped = want.act_drop = n;
	/* One line for the first drop; the rest are within its interval. */
	want.log_emitted = 1;
	tg_counters_moved(&before, &after, &want, "the flood's counters");
	tap_is(bucket_drops(h, FLOODER), drops_after(0, syn, n),
	       "the bucket's drop count is count_drop's, SYN by SYN (%llu drops)",
	       (unsigned long long)n);
}

/* When a slot filled at t0 for at most ns ends: in whole ticks, less
 * one (with the test clock a tick is TG_FRONT_TICK_NS). */
static __u64 slot_end(__u64 t0, __u64 ns)
{
	return (t0 / TG_FRONT_TICK_NS + ns / TG_FRONT_TICK_NS - 1) * TG_FRONT_TICK_NS;
}

static void test_slot_used(struct tg_harness *h)
{
	__u64 end = slot_end(T0, TG_FRONT_TTL_NS);

	if (!tap_ok(!fresh(h), "slot used: configured"))
		return;
	syn_verdict(h, FLOODER, 1);
	tap_is(syn_verdict(h, FLOODER, 300), XDP_DROP, "300 drops: the slot filled");
	tap_is(forget(h, FLOODER), 0, "the bucket removed behind the program's back");
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP, "the slot still denies the source");
	tap_ok(!has_bucket(h, FLOODER), "  without making a bucket");
	tg_set_clock(h, end - 1);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP,
	       "still 1 ns before the slot's end (TG_FRONT_TTL_NS less a tick)");
	tg_set_clock(h, end);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS,
	       "at its end the table decides: a new bucket, the SYN passes");
}

/* The slot a source's key maps to (bpf/front.h, front_slot). */
static __u32 slot_of(__u32 addr)
{
	struct tg_source src = tg_source_v4(addr);
	__u32 k[5];

	memcpy(k, &src, sizeof(k));
	return ((k[0] ^ k[1] ^ k[2] ^ k[3] ^ k[4]) * 0x9E3779B1U) >> (32 - TG_FRONT_BITS);
}

/*
 * The flooder's slot filled at T0, its bucket removed, another source
 * of the same slot flooding past its exact drops `later` ns on: the
 * flooder's slot, still live `check` ns after T0, is left to it.
 */
static void live_slot_kept(struct tg_harness *h, __u64 later, __u64 check)
{
	__u32 other = FLOODER + 1;

	while (slot_of(other) != slot_of(FLOODER))
		other++;
	syn_verdict(h, FLOODER, 1);
	syn_verdict(h, FLOODER, 300);
	forget(h, FLOODER);
	tg_set_clock(h, T0 + later);
	syn_verdict(h, other, 1);
	tap_is(syn_verdict(h, other, 300), XDP_DROP,
	       "another source of the same slot floods past its exact drops, %llu ms on",
	       (unsigned long long)(later / MS));
	tg_set_clock(h, T0 + check);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP,
	       "  the first source's slot, still live %llu ms on, was left to it",
	       (unsigned long long)(check / MS));
	tap_ok(!has_bucket(h, FLOODER), "  (its bucket is gone: the slot denied)");
}

static void test_live_slot_kept(struct tg_harness *h)
{
	if (tap_ok(!fresh(h), "live slot kept: configured"))
		live_slot_kept(h, 0, 0);
}

static void test_config_voids(struct tg_harness *h)
{

	if (!tap_ok(!fresh(h), "config voids: configured"))
		return;
	syn_verdict(h, FLOODER, 1);
	syn_verdict(h, FLOODER, 300);
	forget(h, FLOODER);
	tap_is(tg_configure(h, "2/minute", 1, 32, 128, false), 0, "a new limit written: 2/minute");
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS, "the slot is void: the table decides");
}

static __u32 front_epoch(struct tg_harness *h)
{
	__u32 key = TG_GEN_FRONT, epoch = ~0U;

	bpf_map__lookup_elem(h->skel->maps.tg_config_gen, &key, sizeof(key), &epoch,
			     sizeof(epoch), 0);
	return epoch;
}

static int set_front_epoch(struct tg_harness *h, __u32 epoch)
{
	__u32 key = TG_GEN_FRONT;

	return bpf_map__update_elem(h->skel->maps.tg_config_gen, &key, sizeof(key), &epoch,
				    sizeof(epoch), BPF_ANY);
}

/* While the epoch is odd, a lowering is under way: no slot is filled. */
static void test_no_fill_while_lowering(struct tg_harness *h)
{
	__u32 epoch = front_epoch(h);

	if (!tap_ok(!fresh(h) && !set_front_epoch(h, epoch | 1), "lowering: the epoch odd"))
		return;
	syn_verdict(h, FLOODER, 1);
	tap_is(syn_verdict(h, FLOODER, 300), XDP_DROP, "300 drops while it is");
	forget(h, FLOODER);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS, "  no slot was filled: the table decides");
	set_front_epoch(h, (epoch | 1) + 1);
}

/* 1/hour -> 1/second: the change's apply, which also floods the source
 * while its bucket still holds the old debt under the new limit. */
struct live_change {
	struct tg_harness *h;
	__u32 stale_verdict;
};

static int apply_and_flood(void *arg)
{
	struct live_change *lc = arg;
	int err = tg_configure(lc->h, "1/second", 1, 32, 128, false);

	if (!err)
		lc->stale_verdict = syn_verdict(lc->h, FLOODER, 1);
	return err;
}

static void test_rescale_voids(struct tg_harness *h)
{
	struct tg_gcra from, to = { SEC_NS, 0 };
	struct live_change lc = { h, ~0U };
	__u64 t1 = T0 + 3600 * SEC_NS - SEC_NS / 2;
	__u32 epoch = front_epoch(h);

	if (!tap_ok(!fresh(h) && !tg_configure(h, "1/hour", 1, 32, 128, false),
		    "live change: 1/hour burst 1"))
		return;
	from = (struct tg_gcra){ h->cfg.interval_ns, h->cfg.tolerance_ns };
	syn_verdict(h, FLOODER, 1);
	/* Half a second short of its next token: denied by the coarse clock. */
	tg_set_clock(h, t1);
	tap_is(syn_verdict(h, FLOODER, 300), XDP_DROP, "300 drops, half a second short");
	/* The token's share is kept: 1/3600 of a second short under 1/s. */
	tap_is(tg_rescale_change(bpf_map__fd(h->skel->maps.tg_buckets),
				 bpf_map__fd(h->skel->maps.tg_config_gen), 0, 0, &from, &to, t1,
				 apply_and_flood, &lc, NULL),
	       0, "changed live to 1/second burst 1");
	tap_is(lc.stale_verdict, XDP_DROP,
	       "  between the write and the lowering, the old debt denies (and fills the slot)");
	tap_is(front_epoch(h), epoch + 2, "  the front epoch moved twice, even again");
	tg_set_clock(h, t1 + MS);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS,
	       "1 ms later, within the slot's time, the lowered bucket admits");
}

/*
 * Near the edge (a limit faster than the coarse clock's slack: the
 * default 100/second) the slot is precise: it ends at the nanosecond
 * its bucket conforms again, not in whole ticks.
 */
static void test_precise_slot(struct tg_harness *h)
{
	__u64 t1 = T0 + 3 * MS + 7; /* off the test clock's ticks */
	__u64 conforms = t1 + 10 * MS; /* one interval after the first SYN */

	if (!tap_ok(!fresh(h) && !tg_configure(h, "100/second", 1, 32, 128, false),
		    "precise slot: 100/second, burst 1"))
		return;
	tg_set_clock(h, t1);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS, "a new source's first SYN passes");
	tap_is(syn_verdict(h, FLOODER, 300), XDP_DROP, "300 SYNs in the same instant dropped");
	tap_is(forget(h, FLOODER), 0, "the bucket removed behind the program's back");
	tg_set_clock(h, conforms - 1);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP,
	       "1 ns before the bucket would conform, the slot denies");
	tap_ok(!has_bucket(h, FLOODER), "  without making a bucket");
	tg_set_clock(h, conforms);
	skip_sampled(h);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS,
	       "at that nanosecond the table decides: a new bucket, the SYN passes");
}

/* A live precise slot is kept from another source of the same slot. */
static void test_live_precise_kept(struct tg_harness *h)
{
	if (tap_ok(!fresh(h) && !tg_configure(h, "100/second", 1, 32, 128, false),
		   "live precise slot kept: 100/second, burst 1"))
		live_slot_kept(h, MS, 2 * MS);
}

/*
 * A flood near the edge, slot or no slot, gets exactly GCRA's verdicts:
 * 100/second burst 5, for a second, five SYNs at each instant, the
 * instants about 0.3 ms apart and, for every time the bucket conforms
 * again, one a nanosecond before and one at it; each verdict against
 * the arithmetic done here.
 */
static void test_precise_exact(struct tg_harness *h)
{
	const __u64 interval = 10 * MS, tolerance = 4 * interval;
	__u64 now = T0, tat = 0, admitted = 0, syns = 0, wrong = 0, rnd = 1;
	struct tg_counters before, after;

	if (!tap_ok(!fresh(h) && !tg_configure(h, "100/second", 5, 32, 128, false),
		    "exact near the edge: 100/second, burst 5"))
		return;
	if (tg_stats_read(h, &before))
		return;
	while (now < T0 + SEC_NS) {
		__u64 conforms = tat - tolerance, next;
		int i;

		rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
		next = now + 1 + (rnd >> 33) % 666666;
		if (tat > tolerance && conforms - 1 > now && conforms - 1 <= next)
			next = conforms - 1;
		else if (tat > tolerance && conforms > now && conforms <= next)
			next = conforms;
		now = next;
		tg_set_clock(h, now);
		for (i = 0; i < 5; i++, syns++) {
			__u64 t = tat > now ? tat : now;
			__u32 want = t - now <= tolerance ? XDP_PASS : XDP_DROP;

			if (want == XDP_PASS) {
				tat = t + interval;
				admitted++;
			}
			if (syn_verdict(h, FLOODER, 1) != want && wrong++ < 3)
				tap_diag("SYN %llu at +%llu ns: verdict not GCRA's %u",
					 (unsigned long long)syns, (unsigned long long)(now - T0),
					 want);
		}
	}
	tap_is(wrong, 0, "every one of %llu verdicts is GCRA's (%llu admitted)",
	       (unsigned long long)syns, (unsigned long long)admitted);
	tg_stats_read(h, &after);
	tap_is(after.allowed - before.allowed, admitted, "  and so is the allowed count");
}

/* Join a fleet of 2 at 100/second burst 10 (a local burst of 5), and
 * spend the local burst with a flood in one instant. */
static bool fleet_flood(struct tg_harness *h, const char *what)
{
	struct tg_fleet two = { .size = 2, .burst_k = 1 };
	__u32 zero = 0;

	if (!tap_ok(!fresh(h) && !tg_configure(h, "100/second", 10, 32, 128, false) &&
			    !bpf_map__update_elem(h->skel->maps.tg_fleet, &zero, sizeof(zero), &two,
						  sizeof(two), BPF_ANY),
		    "%s: a fleet of 2, 100/second, burst 10, a local burst of 5", what))
		return false;
	tap_is(syn_verdict(h, FLOODER, 5), XDP_PASS, "  the local burst's 5 SYNs pass");
	tap_is(syn_verdict(h, FLOODER, 300), XDP_DROP, "  300 more in the same instant dropped");
	return true;
}

/* As the daemon voids the slots of one interface (user/fleet.c). */
static int front_void(struct tg_harness *h)
{
	int gen_fd = bpf_map__fd(h->skel->maps.tg_config_gen);

	return tg_front_void(&gen_fd, 1);
}

static int fleet_leave(struct tg_harness *h)
{
	struct tg_fleet none = { 0 };
	__u32 zero = 0;

	return bpf_map__update_elem(h->skel->maps.tg_fleet, &zero, sizeof(zero), &none, sizeof(none),
				    BPF_ANY);
}

/*
 * In a fleet the slot is precise too, and a change of the fleet's share
 * voids it as the daemon makes one (user/fleet.c): tg_fleet written,
 * then tg_front_void. Here this machine leaves, so its share of the
 * burst grows from 5 to 10 and the source's next SYN is admitted, where
 * the slot filled under the share of 5 would deny it.
 */
static void test_fleet_share_void(struct tg_harness *h)
{
	if (fleet_flood(h, "precise slot in a fleet")) {
		tap_is(forget(h, FLOODER), 0, "  the bucket removed behind the program's back");
		skip_sampled(h);
		tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP, "  the slot denies the next SYN");
		tap_ok(!has_bucket(h, FLOODER), "    without making a bucket");
	}
	if (fleet_flood(h, "the fleet's share moved")) {
		tap_ok(!fleet_leave(h) && !front_void(h),
		       "  this machine leaves the fleet, and the front slots are voided");
		skip_sampled(h);
		tap_is(syn_verdict(h, FLOODER, 1), XDP_PASS,
		       "  the next SYN, in the same instant, passes: the whole burst of 10 is its own");
	}
	fleet_leave(h);
}

static int configure_budget(struct tg_harness *h, __u32 budget)
{
	struct tg_limits l;
	struct tg_config cfg;
	char why[160];

	tg_limits_default(&l);
	if (tg_rate_parse("1/minute", &l.rate, why, sizeof(why)))
		return -EINVAL;
	l.burst = 1;
	l.log_budget = budget;
	l.max_sources = h->max_sources;
	if (tg_limits_to_config(&l, &cfg, why, sizeof(why))) {
		tap_diag("config: %s", why);
		return -EINVAL;
	}
	return tg_write_config(h, &cfg);
}

static void test_log_budget(struct tg_harness *h)
{
	struct tg_counters before, after;
	__u64 t1 = T0 + 10 * SEC_NS; /* the flooder's line is due again */
	__u32 i, others = 40;
	int spent = 0;

	if (!tap_ok(!fresh(h) && !configure_budget(h, 40), "log budget: 40 lines/s"))
		return;
	syn_verdict(h, FLOODER, 1);
	syn_verdict(h, FLOODER, 300);
	tg_set_clock(h, t1);
	/* Spend the whole budget: 40 sources' first drops, a line each.
	 * Its next token comes 25 ms on: within TG_FRONT_TTL_NS and two
	 * ticks or more away, so the flooder gets a slot whose end is the
	 * budget's, not the slot's longest. */
	for (i = 1; i <= others; i++) {
		syn_verdict(h, FLOODER + i, 1);
		spent += syn_verdict(h, FLOODER + i, 1) == XDP_DROP;
	}
	tap_is(spent, others, "%u other sources' first drops at once", others);
	if (tg_stats_read(h, &before))
		return;
	tap_is(syn_verdict(h, FLOODER, 10), XDP_DROP, "the flooder's line is due, the budget spent");
	tg_stats_read(h, &after);
	tap_is(after.log_budget_exceeded - before.log_budget_exceeded, 10,
	       "  each of its 10 drops counted as a line the budget kept back");
	tap_is(after.log_emitted - before.log_emitted, 0, "  and no line");
	tg_set_clock(h, t1 + 25 * MS);
	skip_sampled(h);
	tg_stats_read(h, &before);
	tap_is(syn_verdict(h, FLOODER, 1), XDP_DROP, "25 ms later, the budget has a token");
	tg_stats_read(h, &after);
	/* Nobody reads the ring: a line written there or lost for want
	 * of room, either way not kept back by the budget. */
	tap_is(after.log_emitted + after.log_lost - before.log_emitted - before.log_lost, 1,
	       "  and the flooder's line comes with it");
	tap_is(after.log_budget_exceeded - before.log_budget_exceeded, 0, "  not kept back");
}

int main(void)
{
	struct tg_harness h;
	cpu_set_t one;
	int err;

	tg_require_bpf();
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET(cpu, &one);
	if (cpu < 0 || sched_setaffinity(0, sizeof(one), &one))
		tap_skip_all("cannot keep to one CPU (the front cache is per CPU)");
	err = tg_open(&h, 4096);
	if (!tap_ok(!err, "load the XDP program with the test clock"))
		return tap_done();
	if (tap_ok(!tg_set_port(&h, 80, true), "limit port 80")) {
		test_same_as_bucket(&h);
		test_slot_used(&h);
		test_live_slot_kept(&h);
		test_config_voids(&h);
		test_rescale_voids(&h);
		test_no_fill_while_lowering(&h);
		test_log_budget(&h);
		test_precise_slot(&h);
		test_live_precise_kept(&h);
		test_precise_exact(&h);
		test_fleet_share_void(&h);
	}
	tg_close(&h);
	return tap_done();
}
