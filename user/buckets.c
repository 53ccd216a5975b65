// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* buckets.c - a tg_buckets (or tg_floor) table read whole, by batched lookups. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "buckets.h"

size_t tg_buckets_limit(__u32 max_entries)
{
	return (size_t)max_entries + max_entries / 8;
}

/* The arrays of one batched read, of either map: what both reads share. */
struct batch_io {
	void **keys, **vals;
	size_t ksz, vsz;
	size_t *n, *cap;
	bool *cut;
	unsigned int *enospc;
};

/* Room for at least need entries; grows by doubling. */
static int reserve(const struct batch_io *io, size_t need)
{
	size_t cap = *io->cap ? *io->cap : 1024;
	void *k, *v;

	if (need <= *io->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = realloc(*io->keys, cap * io->ksz);
	if (!k)
		return -ENOMEM;
	*io->keys = k;
	v = realloc(*io->vals, cap * io->vsz);
	if (!v)
		return -ENOMEM;
	*io->vals = v;
	*io->cap = cap;
	return 0;
}

static int batch_read(int fd, size_t limit, __u32 batch, const struct batch_io *io)
{
	struct tg_source token;
	bool first = true;
	size_t want = batch ? batch : 1;
	int err;

	*io->n = 0;
	*io->cut = false;
	*io->enospc = 0;
	for (;;) {
		size_t room = limit - *io->n;
		__u32 asked, count;

		if (!room) {
			*io->cut = true;
			break;
		}
		asked = (__u32)(want < room ? want : room);
		count = asked;
		err = reserve(io, *io->n + count);
		if (err)
			return err;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   (char *)*io->keys + *io->n * io->ksz,
					   (char *)*io->vals + *io->n * io->vsz, &count, NULL);
		if (err && errno == ENOSPC) {
			/* The next hash bucket holds more than asked: nothing was
			 * read, and the same token asks for it again. */
			(*io->enospc)++;
			if (asked < room && asked < UINT32_MAX / 2) {
				want = (size_t)asked * 2;
				continue;
			}
			*io->cut = true; /* at the limit: what was read is this read */
			break;
		}
		if (err && errno != ENOENT)
			return -errno;
		first = false;
		*io->n += count;
		if (err)
			break; /* ENOENT: the end of the table */
		want = batch ? batch : 1;
	}
	return 0;
}

int tg_buckets_read(int fd, size_t limit, __u32 batch, struct tg_bucket_read *r)
{
	struct batch_io io = { (void **)&r->keys, (void **)&r->vals, sizeof(*r->keys),
			       sizeof(*r->vals), &r->n, &r->cap, &r->cut, &r->enospc };

	return batch_read(fd, limit, batch, &io);
}

/* A source's slot in the index: its words mixed (the key's bytes are the
 * kernel's, padding none). */
_Static_assert(sizeof(struct tg_source) % 4 == 0, "tg_source is whole words");

static size_t source_hash(const struct tg_source *src, size_t mask)
{
	__u32 w[sizeof(*src) / 4];
	__u64 h = 0x9e3779b97f4a7c15ULL;
	size_t i;

	memcpy(w, src, sizeof(w));
	for (i = 0; i < sizeof(w) / 4; i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 32)) & mask;
}

int tg_floors_read(int fd, struct tg_floor_read *r)
{
	struct batch_io io = { (void **)&r->keys, (void **)&r->vals, sizeof(*r->keys),
			       sizeof(*r->vals), &r->n, &r->cap, &r->cut, &r->enospc };
	size_t i, want = 64;
	int err = batch_read(fd, TG_MAX_FLOORS, TG_MAX_FLOORS, &io);

	if (err)
		return err;
	while (want < 2 * r->n)
		want *= 2;
	if (r->nslots < want) {
		__u32 *s = realloc(r->slots, want * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->slots = s;
		r->nslots = want;
	}
	memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	for (i = 0; i < r->n; i++) {
		size_t h = source_hash(&r->keys[i], r->nslots - 1);

		while (r->slots[h])
			h = (h + 1) & (r->nslots - 1);
		r->slots[h] = (__u32)i + 1;
	}
	return 0;
}

const struct tg_floor *tg_floors_find(const struct tg_floor_read *r, const struct tg_source *src)
{
	size_t h;

	if (!r->nslots)
		return NULL;
	for (h = source_hash(src, r->nslots - 1); r->slots[h]; h = (h + 1) & (r->nslots - 1))
		if (!memcmp(&r->keys[r->slots[h] - 1], src, sizeof(*src)))
			return &r->vals[r->slots[h] - 1];
	return NULL;
}

void tg_floors_free(struct tg_floor_read *r)
{
	free(r->keys);
	free(r->vals);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

void tg_buckets_free(struct tg_bucket_read *r)
{
	free(r->keys);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}
