// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* buckets.c - a tg_buckets table read whole, by batched lookups. */
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

/* Room for at least need entries; grows by doubling. */
static int reserve(struct tg_bucket_read *r, size_t need)
{
	size_t cap = r->cap ? r->cap : 1024;
	struct tg_source *k;
	struct tg_bucket *v;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	k = realloc(r->keys, cap * sizeof(*k));
	if (!k)
		return -ENOMEM;
	r->keys = k;
	v = realloc(r->vals, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->vals = v;
	r->cap = cap;
	return 0;
}

int tg_buckets_read(int fd, size_t limit, __u32 batch, struct tg_bucket_read *r)
{
	struct tg_source token;
	bool first = true;
	size_t want = batch ? batch : 1;
	int err;

	r->n = 0;
	r->cut = false;
	r->enospc = 0;
	for (;;) {
		size_t room = limit - r->n;
		__u32 asked, count;

		if (!room) {
			r->cut = true;
			break;
		}
		asked = (__u32)(want < room ? want : room);
		count = asked;
		err = reserve(r, r->n + count);
		if (err)
			return err;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, r->keys + r->n,
					   r->vals + r->n, &count, NULL);
		if (err && errno == ENOSPC) {
			/* The next hash bucket holds more than asked: nothing was
			 * read, and the same token asks for it again. */
			r->enospc++;
			if (asked < room && asked < UINT32_MAX / 2) {
				want = (size_t)asked * 2;
				continue;
			}
			r->cut = true; /* at the limit: what was read is this read */
			break;
		}
		if (err && errno != ENOENT)
			return -errno;
		first = false;
		r->n += count;
		if (err)
			break; /* ENOENT: the end of the table */
		want = batch ? batch : 1;
	}
	return 0;
}

void tg_buckets_free(struct tg_bucket_read *r)
{
	free(r->keys);
	free(r->vals);
	memset(r, 0, sizeof(*r));
}
