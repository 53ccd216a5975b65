/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_slots.h - the share of the limit published in tg_fleet, and the
 * XDP front slots (bpf/front.h) kept to it.
 *
 * XDP fills front slots outside a fleet and in a whole one, by the
 * local share (bpf/fleet.h), and no stamp of a slot follows the share.
 * A share whose tolerance grows (the fleet shrinks, the burst share
 * grows, this machine leaves, an outage begins: its rate is cut, its
 * burst's count is not) could admit what a slot filled under the old
 * one denies, so after writing it the daemon voids the interface's
 * slots (tg_front_void: a grace period, then the front epoch). Other
 * changes (a fleet that grows, one joined, an outage's end) only end
 * slots sooner, and void nothing.
 */
#ifndef TG_FLEET_SLOTS_H
#define TG_FLEET_SLOTS_H

#include <stdbool.h>

#include "tidegate.h"

/* One interface's: the share its slots may have been filled under. */
struct tg_fleet_slots {
	struct tg_fleet under; /* what tg_fleet held when first read, then
				* each share published once the slots of
				* the one before were voided */
	bool known;            /* under was read */
	bool void_due;         /* a share published since needs the void */
};

/* Whether a slot filled under share a may deny what share b admits. */
bool tg_fleet_slots_outlive(const struct tg_fleet *a, const struct tg_fleet *b);

/* Write pub into tg_fleet (fleet_fd) and mark s's void due if its slots
 * could outlive it. 0 or -errno. */
int tg_fleet_publish(struct tg_fleet_slots *s, int fleet_fd, const struct tg_fleet *pub);

/* Void the slots of the n interfaces whose void is due (s[i], with
 * pubs[i] published, gen_fds[i] their tg_config_gen) in one grace
 * period. 0 or -errno (logged); a void that failed stays due. */
int tg_fleet_slots_void(struct tg_fleet_slots *const *s, const struct tg_fleet *const *pubs,
			const int *gen_fds, int n);

/* Write tg_fleet for a daemon not in a fleet: size 0, XDP reads no
 * floor; the front slots of the interface whose tg_config_gen is gen_fd
 * are voided if it was in one. 0 or -errno. */
int tg_fleet_leave(int fleet_fd, int gen_fd);

#endif /* TG_FLEET_SLOTS_H */
