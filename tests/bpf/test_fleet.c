// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet.c - fleet mode in the real XDP program, under the test
 * clock: the fleet's view (tg_floor) merged with this machine's unpushed
 * admissions, the local burst share, the fail-static rate share while
 * Redis is away or, for its shards' sources alone, a Redis Cluster
 * master is, and nothing of it outside a fleet.
 */
#include "harness.h"
#include "pkt.h"
#include "shard.h"

#define NOW_NS (5000ULL * TG_NSEC_PER_SEC)
#define MS     (1000ULL * 1000)
#define IV     (100 * MS) /* 10/second */
#define BURST  6
#define TOL    ((BURST - 1) * IV)

static int fleet_set(struct tg_harness *h, __u32 size, __u16 k, __u16 fallback)
{
	struct tg_fleet f = { .size = size, .burst_k = k, .fallback_h = fallback };
	__u32 zero = 0;

	return bpf_map__update_elem(h->skel->maps.tg_fleet, &zero, sizeof(zero), &f, sizeof(f),
				    BPF_ANY);
}

static int floor_set(struct tg_harness *h, __u32 addr, __u64 tat, __u64 mark)
{
	struct tg_source src = tg_source_v4(addr);
	struct tg_floor f = { .tat_ns = tat, .mark = mark };

	return bpf_map__update_elem(h->skel->maps.tg_floor, &src, sizeof(src), &f, sizeof(f),
				    BPF_ANY);
}

static __u64 fleet_denied(struct tg_harness *h)
{
	struct tg_counters c = { 0 };

	tg_stats_read(h, &c);
	return c.fleet_denied;
}

static void reset(struct tg_harness *h)
{
	struct tg_source k, next;

	tg_buckets_clear(h);
	while (!bpf_map__get_next_key(h->skel->maps.tg_floor, NULL, &next, sizeof(next))) {
		k = next;
		bpf_map__delete_elem(h->skel->maps.tg_floor, &k, sizeof(k), 0);
	}
}

static void test_outside_fleet(struct tg_harness *h)
{
	reset(h);
	fleet_set(h, 0, 1, 0);
	tg_set_clock(h, NOW_NS);
	/* A floor left by an earlier fleet run is not read outside one. */
	floor_set(h, 0xC6120001, NOW_NS + 10 * TOL, 0);
	tap_is(tg_syns4(h, 0xC6120001, BURST + 2), BURST, "outside a fleet: the whole burst, no floor");
	tap_is(fleet_denied(h), 0, "outside a fleet: nothing denied by the fleet");
}

static void test_burst_share(struct tg_harness *h)
{
	reset(h);
	fleet_set(h, 3, 1, 0);
	tg_set_clock(h, NOW_NS);
	/* ceil(6 / 3) = 2 at once, then one per interval. */
	tap_is(tg_syns4(h, 0xC6120002, 5), 2, "fleet of 3: a local burst of ceil(b/N) = 2");
	tg_set_clock(h, NOW_NS + IV);
	tap_is(tg_syns4(h, 0xC6120002, 3), 1, "...then one per interval, at the full rate");
	fleet_set(h, 3, 2, 0);
	tg_set_clock(h, NOW_NS + 100 * IV);
	tap_is(tg_syns4(h, 0xC6120002, 9), 4, "burst share 2: ceil(2 * 6 / 3) = 4");
	fleet_set(h, 2, 5, 0);
	tg_set_clock(h, NOW_NS + 200 * IV);
	tap_is(tg_syns4(h, 0xC6120002, 9), BURST, "a share above 1 is cut to the whole burst");
}

static void test_never_seen(struct tg_harness *h)
{
	struct tg_source src = tg_source_v4(0xC6120003);
	struct tg_bucket b;
	__u64 before;

	reset(h);
	fleet_set(h, 3, 1, 0);
	tg_set_clock(h, NOW_NS);
	before = fleet_denied(h);
	/* The others admitted the whole budget and one more interval. */
	floor_set(h, 0xC6120003, NOW_NS + TOL + IV, 0);
	tap_is(tg_syns4(h, 0xC6120003, 3), 0, "a source this machine never saw, denied by the fleet");
	tap_is(fleet_denied(h) - before, 3, "...counted in fleet_denied");
	tap_ok(tg_bucket_get(h, &src, &b) != 0, "...and given no bucket");
	tg_set_clock(h, NOW_NS + IV);
	tap_is(tg_syns4(h, 0xC6120003, 1), 1, "one interval later the fleet's TAT conforms: admitted");
}

static void test_merge(struct tg_harness *h)
{
	__u64 t1 = NOW_NS + 100 * IV;

	reset(h);
	fleet_set(h, 3, 1, 0);
	tg_set_clock(h, NOW_NS);
	tap_is(tg_syns4(h, 0xC6120004, 2), 2, "two admitted locally (admitted = 2)");
	tg_set_clock(h, t1); /* the local bucket is full again */
	/* tat + 2 unpushed * I = now + tol + 1: over by a nanosecond. */
	floor_set(h, 0xC6120004, t1 + TOL - 2 * IV + 1, 0);
	tap_is(tg_syns4(h, 0xC6120004, 1), 0, "floor + 2 unpushed admissions past the tolerance: denied");
	/* The fleet's TAT already includes one of them (mark 1). */
	floor_set(h, 0xC6120004, t1 + TOL - 2 * IV + 1, 1);
	tap_is(tg_syns4(h, 0xC6120004, 1), 1, "the same floor with one of them pushed (mark 1): admitted");
	/* admitted is 3 now; a floor exactly at the edge with 1 unpushed. */
	floor_set(h, 0xC6120004, t1 + TOL - IV, 2);
	tap_is(tg_syns4(h, 0xC6120004, 1), 1, "floor + unpushed exactly at the tolerance: admitted");
	/* A bucket evicted and made again counts fewer than mark: none
	 * unpushed, the floor alone decides (later: the local bucket full). */
	t1 += 100 * IV;
	tg_set_clock(h, t1);
	floor_set(h, 0xC6120004, t1 + TOL - IV, 1000);
	tap_is(tg_syns4(h, 0xC6120004, 1), 1, "mark above admitted (bucket made again): floor alone");
	floor_set(h, 0xC6120004, t1 + TOL + 1, 1000);
	tap_is(tg_syns4(h, 0xC6120004, 1), 0, "...which denies past the tolerance");
}

static void test_fallback(struct tg_harness *h)
{
	reset(h);
	fleet_set(h, 3, 1, 0);
	tg_set_clock(h, NOW_NS);
	tap_is(tg_syns4(h, 0xC6120005, 2), 2, "synced: local burst 2");
	tg_set_clock(h, NOW_NS + IV);
	tap_is(tg_syns4(h, 0xC6120005, 1), 1, "synced: the next token one interval (100 ms) later");

	fleet_set(h, 3, 1, 2);
	tg_set_clock(h, NOW_NS + 1000 * IV);
	tap_is(tg_syns4(h, 0xC6120005, 3), 2, "Redis away: the local burst share still 2");
	tg_set_clock(h, NOW_NS + 1000 * IV + IV);
	tap_is(tg_syns4(h, 0xC6120005, 1), 0, "Redis away: r * h / N = 2/3 r, no token after 100 ms");
	tg_set_clock(h, NOW_NS + 1000 * IV + IV * 3 / 2);
	tap_is(tg_syns4(h, 0xC6120005, 1), 1, "...one after 150 ms");
	fleet_set(h, 2, 1, 2);
	tg_set_clock(h, NOW_NS + 2000 * IV);
	tg_syns4(h, 0xC6120005, 1);
	tg_set_clock(h, NOW_NS + 2000 * IV + IV);
	tap_is(tg_syns4(h, 0xC6120005, 1), 1, "h >= N: never a rate above r, never below it either");
}

/*
 * An outage share whose tolerance exceeds the limit's: K = 3 of 3 keeps
 * the whole burst of 6 while the rate is cut to 2/3, so the share owes
 * up to 5 * 150 = 750 ms where the limit owes 500. A SYN 600 ms ahead is
 * the share's to admit: the entry point's fast path, which denies by
 * the limit, must not take it.
 */
static void test_fallback_wide(struct tg_harness *h)
{
	__u64 t = NOW_NS + 3000 * IV;

	reset(h);
	fleet_set(h, 3, 3, 2);
	tg_set_clock(h, t);
	tap_is(tg_syns4(h, 0xC6120008, BURST + 1), BURST, "Redis away, K = N: the whole burst");
	/* tat = t + 6 * 150 ms; at t + 300 ms it is 600 ms ahead. */
	tg_set_clock(h, t + 3 * IV);
	tap_is(tg_syns4(h, 0xC6120008, 1), 1,
	       "600 ms ahead, within the share's 750 ms (the limit's 500): admitted");
	tap_is(tg_syns4(h, 0xC6120008, 2), 1, "...then one at exactly 750 ms ahead, and no more");
	/* Whole again: the fast path denies by the steady share. */
	fleet_set(h, 3, 1, 0);
	tg_set_clock(h, t + 100 * IV);
	tap_is(tg_syns4(h, 0xC6120008, 4), 2, "the fleet whole again: a local burst of 2");
	tap_is(tg_syns4(h, 0xC6120008, 300), 0, "...and a flood after it denied");
}

/* A Redis Cluster master away: the sources of its shards take the outage
 * share, the others keep the full rate. */
static void test_shard_away(struct tg_harness *h)
{
	struct tg_fleet f = { .size = 3, .burst_k = 1, .shard_h = 2 };
	struct tg_source a = tg_source_v4(0xC6120006), b;
	__u32 zero = 0, other = 0xC6120007;
	unsigned int sa = tg_source_shard(&a);

	b = tg_source_v4(other);
	while (tg_source_shard(&b) == sa)
		b = tg_source_v4(++other);
	f.shards_away[sa / 64] |= 1ULL << (sa % 64);
	reset(h);
	bpf_map__update_elem(h->skel->maps.tg_fleet, &zero, sizeof(zero), &f, sizeof(f), BPF_ANY);
	tg_set_clock(h, NOW_NS);
	tap_is(tg_syns4(h, 0xC6120006, 3), 2, "shard %u away: the local burst share still 2", sa);
	tap_is(tg_syns4(h, other, 3), 2, "shard %u up: 2 too", tg_source_shard(&b));
	tg_set_clock(h, NOW_NS + IV);
	tap_is(tg_syns4(h, 0xC6120006, 1), 0, "its master away: r * h / N, no token after 100 ms");
	tap_is(tg_syns4(h, other, 1), 1, "a source of another shard: the full rate");
	tg_set_clock(h, NOW_NS + IV * 3 / 2);
	tap_is(tg_syns4(h, 0xC6120006, 1), 1, "...one after 150 ms");
	f.shard_h = 0;
	bpf_map__update_elem(h->skel->maps.tg_fleet, &zero, sizeof(zero), &f, sizeof(f), BPF_ANY);
	tg_set_clock(h, NOW_NS + 100 * IV);
	tg_syns4(h, 0xC6120006, 2);
	tg_set_clock(h, NOW_NS + 101 * IV);
	tap_is(tg_syns4(h, 0xC6120006, 1), 1, "shard_h 0: the bitmap is not read, the full rate");
}

int main(void)
{
	struct tg_harness h;

	if (tg_open_checked(&h, 4096))
		return tap_done();
	if (tap_ok(!tg_set_port(&h, 80, true) && !tg_configure(&h, "10/second", BURST, 32, 128,
								false),
		   "limit port 80 at 10/second, burst 6")) {
		test_outside_fleet(&h);
		test_burst_share(&h);
		test_never_seen(&h);
		test_merge(&h);
		test_fallback(&h);
		test_fallback_wide(&h);
		test_shard_away(&h);
	}
	tg_close(&h);
	return tap_done();
}
