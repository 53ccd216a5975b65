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

static int source_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tg_source));
}

static int order_cmp(const void *a, const void *b, void *keys)
{
	const struct tg_source *k = keys;

	return source_cmp(&k[*(const size_t *)a], &k[*(const size_t *)b]);
}

int tg_floors_read(int fd, struct tg_floor_read *r)
{
	struct batch_io io = { (void **)&r->keys, (void **)&r->vals, sizeof(*r->keys),
			       sizeof(*r->vals), &r->n, &r->cap, &r->cut, &r->enospc };
	size_t i;
	int err = batch_read(fd, TG_MAX_FLOORS, TG_MAX_FLOORS, &io);

	if (err || !r->n)
		return err;
	if (r->order_cap < r->n) {
		size_t *o = realloc(r->order, r->n * sizeof(*o));

		if (!o)
			return -ENOMEM;
		r->order = o;
		r->order_cap = r->n;
	}
	for (i = 0; i < r->n; i++)
		r->order[i] = i;
	qsort_r(r->order, r->n, sizeof(*r->order), order_cmp, r->keys);
	return 0;
}

const struct tg_floor *tg_floors_find(const struct tg_floor_read *r, const struct tg_source *src)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = source_cmp(src, &r->keys[r->order[mid]]);

		if (!c)
			return &r->vals[r->order[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void tg_floors_free(struct tg_floor_read *r)
{
	free(r->keys);
	free(r->vals);
	free(r->order);
	memset(r, 0, sizeof(*r));
}

void tg_sources_sort(struct tg_source *keys, size_t n)
{
	qsort(keys, n, sizeof(*keys), source_cmp);
}

bool tg_source_in(const struct tg_source *sorted, size_t n, const struct tg_source *src)
{
	return bsearch(src, sorted, n, sizeof(*sorted), source_cmp) != NULL;
}

void tg_buckets_free(struct tg_bucket_read *r)
{
	free(r->keys);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}
