/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_floors.h - the fleet's view written into tg_floor (tidegate.h:
 * struct tg_floor): floors written whole, in batches, and swept once
 * nothing is left for them to deny. The daemon alone writes the table;
 * the XDP program reads each floor old or new, never a mix.
 *
 * A full table is told twice: every floor it refused counts in
 * pub->floor_full (published in tg_fleet), and *full stays set until a
 * sweep frees room.
 */
#ifndef TG_FLEET_FLOORS_H
#define TG_FLEET_FLOORS_H

#include <stdbool.h>
#include <stddef.h>

#include "buckets.h"
#include "tidegate.h"

/* Write one floor; -errno when the table refused it. */
int tg_floor_put(int fd, const struct tg_source *src, __u64 tat, __u64 mark,
		 struct tg_fleet *pub, bool *full);

/* Write k floors (srcs[i], floors[i]) in one call; those after one that
 * fails go one by one, so a full table counts each it refused. */
void tg_floors_put(int fd, const struct tg_source *srcs, const struct tg_floor *floors, size_t k,
		   struct tg_fleet *pub, bool *full);

/*
 * Delete, in one call, the floors (fl) of sources that are gone from
 * the bucket table (rd) and whose TAT has passed: nothing left to deny,
 * no mark to keep. seen and buf are the caller's room, for fl->n
 * entries each. Returns how many were gone.
 */
size_t tg_floors_sweep(int fd, const struct tg_bucket_read *rd, const struct tg_floor_read *fl,
		       bool *seen, struct tg_source *buf);

#endif /* TG_FLEET_FLOORS_H */
