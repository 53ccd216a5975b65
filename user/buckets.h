/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * buckets.h - the whole of a tg_buckets table, read by batched lookups
 * (a few syscalls for a million sources): what top ranks and what the
 * Redis mirror writes.
 */
#ifndef TG_BUCKETS_H
#define TG_BUCKETS_H

#include <stdbool.h>
#include <stddef.h>

#include "tidegate.h"

#define TG_BUCKETS_BATCH 65536 /* entries a syscall */

struct tg_bucket_read {
	struct tg_source *keys;
	struct tg_bucket *vals;
	size_t n, cap;     /* entries read; room */
	bool cut;          /* the read stopped before the end of the table */
	unsigned int enospc; /* hash buckets that did not fit what was asked */
};

/*
 * Read every entry of a tg_buckets table into r, batch entries a call;
 * memory follows the sources tracked, not the table's size. A full LRU
 * table that churns while it is walked can show more entries than it
 * holds (sources evicted behind the walk, inserted ahead of it), so the
 * read stops at limit entries, and a hash bucket that does not fit in
 * what is asked (ENOSPC) is asked again with room for it, or, at the
 * limit, ends the read. Either way r->cut says so and what was read
 * stands: the rest is read next time. Returns 0, or -errno.
 */
int tg_buckets_read(int fd, size_t limit, __u32 batch, struct tg_bucket_read *r);

/* The limit for a table of max_entries: max_entries + max_entries / 8. */
size_t tg_buckets_limit(__u32 max_entries);

void tg_buckets_free(struct tg_bucket_read *r);

/* A tg_floor table read whole the same way (the fleet's push and sweep),
 * its entries indexed by source for tg_floors_find. */
struct tg_floor_read {
	struct tg_source *keys;
	struct tg_floor *vals;
	size_t n, cap;
	bool cut;
	unsigned int enospc;
	__u32 *slots; /* open addressing: entry index + 1, 0 for none */
	size_t nslots; /* a power of two, at least twice n */
};

int tg_floors_read(int fd, struct tg_floor_read *r);
/* The floor of src in the read, or NULL. */
const struct tg_floor *tg_floors_find(const struct tg_floor_read *r, const struct tg_source *src);
void tg_floors_free(struct tg_floor_read *r);

#endif /* TG_BUCKETS_H */
