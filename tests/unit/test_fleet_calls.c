// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_fleet_calls.c - the unanswered push calls: kept as sent, found by
 * source, dropped by group, and the floors Redis must remember. */
#include "fleet_calls.h"
#include "tap.h"

static struct tg_push_meta meta(__u8 last, __u32 group, unsigned int shard)
{
	struct tg_push_meta m = { .shard = shard, .delta = last };

	m.src.addr[15] = last;
	m.src.group = group;
	return m;
}

int main(void)
{
	struct tg_fleet_calls c = { 0 };
	__u64 floor[TG_REDIS_SHARDS] = { 0 }, now = 1000 * TG_FLEET_RESEND_MAX_NS;
	struct tg_push_meta a = meta(1, 0, 7), b = meta(2, 0, 7), g = meta(3, 2, 9), *v;
	size_t n;
	int i;

	tap_ok(tg_fleet_calls_add(&c, &a, 12, now) && tg_fleet_calls_add(&c, &b, 10, now) &&
		       tg_fleet_calls_add(&c, &g, 11, now - TG_FLEET_RESEND_MAX_NS - 1),
	       "three sources of three calls kept");
	tap_ok(c.v[0].call == 12 && c.v[1].call == 10 && c.v[0].delta == 1,
	       "  in the order sent, each with its call");
	tap_ok(!tg_fleet_calls_has(&c, &a.src), "  not found before they are indexed");
	tg_fleet_calls_index(&c);
	tap_ok(tg_fleet_calls_has(&c, &a.src) && tg_fleet_calls_has(&c, &g.src),
	       "  found by source once indexed");
	tg_fleet_calls_floors(&c, now, floor);
	tap_is(floor[7], 10, "  shard 7's floor: the lower of its two calls");
	tap_is(floor[9], 0, "  shard 9's call expired: no floor holds it");
	tg_fleet_call_floor_lower(floor, 7, 11);
	tap_is(floor[7], 10, "  a later call does not raise a floor");
	tg_fleet_call_floor_lower(floor, 7 + TG_REDIS_SHARDS, 4);
	tap_is(floor[7], 4, "  a lower one lowers it");

	tg_fleet_calls_drop_groups(&c);
	tap_is(c.n, 2, "a port group's source dropped (its id changed hands)");
	tap_ok(!tg_fleet_calls_has(&c, &g.src) && tg_fleet_calls_has(&c, &b.src),
	       "  and no longer found; the others still are");

	v = tg_fleet_calls_take(&c, &n);
	tap_ok(n == 2 && v[0].call == 12 && !c.n && !c.v, "taken whole: the list is empty after");
	tap_ok(tg_fleet_calls_add(&c, &v[1], v[1].call, v[1].sent_ns), "  what stays unanswered goes back");
	free(v);
	for (i = 0; i < 3000; i++)
		if (!tg_fleet_calls_add(&c, &a, (__u64)i + 100, now))
			break;
	tap_is(c.n, 3001, "it grows past its first allocation");
	tg_fleet_calls_free(&c);
	tap_ok(!c.n && !c.v && !c.sorted && !c.nsorted, "freed: empty");
	return tap_done();
}
