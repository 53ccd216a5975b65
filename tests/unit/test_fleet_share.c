// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_fleet_share.c - which changes of a fleet's share leave front slots
 * that could deny what the new share admits (tg_fleet_slots_outlive),
 * so the daemon voids them, and which only end slots sooner. */
#include "fleet_slots.h"
#include "tap.h"

static struct tg_fleet share(__u32 size, __u16 burst_k, __u16 fallback_h, __u32 shard_h)
{
	struct tg_fleet f = { .size = size, .burst_k = burst_k, .fallback_h = fallback_h,
			      .shard_h = shard_h };

	return f;
}

int main(void)
{
	struct tg_fleet none = share(0, 0, 0, 0), three = share(3, 1, 0, 0);
	struct tg_fleet two = share(2, 1, 0, 0), four = share(4, 1, 0, 0);
	struct tg_fleet wider = share(3, 2, 0, 0), away = share(3, 1, 2, 0);
	struct tg_fleet shard_away = share(3, 1, 0, 2), away_both = share(3, 1, 2, 2);

	tap_ok(tg_fleet_slots_outlive(&three, &two), "the fleet shrinks: void");
	tap_ok(tg_fleet_slots_outlive(&three, &wider), "its burst share grows: void");
	tap_ok(tg_fleet_slots_outlive(&three, &none), "this machine leaves: void");
	tap_ok(tg_fleet_slots_outlive(&three, &away), "Redis goes away: void");
	tap_ok(tg_fleet_slots_outlive(&three, &shard_away), "a master goes away: void");
	tap_ok(tg_fleet_slots_outlive(&none, &away),
	       "from outside a fleet straight into an outage: void");
	tap_ok(!tg_fleet_slots_outlive(&three, &four), "the fleet grows: none to void");
	tap_ok(!tg_fleet_slots_outlive(&wider, &three), "its burst share shrinks: none");
	tap_ok(!tg_fleet_slots_outlive(&none, &three), "this machine joins: none");
	tap_ok(!tg_fleet_slots_outlive(&three, &three), "nothing changes: none");
	tap_ok(!tg_fleet_slots_outlive(&away, &three),
	       "an outage ends: none, no slot is filled in one");
	tap_ok(!tg_fleet_slots_outlive(&away, &away_both), "  nor as it changes");
	tap_ok(!tg_fleet_slots_outlive(&none, &none), "outside a fleet throughout: none");
	return tap_done();
}
