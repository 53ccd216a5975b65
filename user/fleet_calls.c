// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_calls.c - the fleet's unanswered push calls of one interface. */
#include <stdlib.h>
#include <string.h>

#include "fleet_calls.h"

bool tg_fleet_calls_add(struct tg_fleet_calls *c, const struct tg_push_meta *m, __u64 call,
			__u64 sent_ns)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct tg_push_meta *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return false;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n] = *m;
	c->v[c->n].call = call;
	c->v[c->n++].sent_ns = sent_ns;
	return true;
}

struct tg_push_meta *tg_fleet_calls_take(struct tg_fleet_calls *c, size_t *n)
{
	struct tg_push_meta *v = c->v;

	*n = c->n;
	c->v = NULL;
	c->n = c->cap = 0;
	return v;
}

static int src_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tg_source));
}

void tg_fleet_calls_index(struct tg_fleet_calls *c)
{
	free(c->sorted);
	c->sorted = NULL;
	c->nsorted = 0;
	if (!c->n)
		return;
	c->sorted = malloc(c->n * sizeof(*c->sorted));
	if (!c->sorted)
		return;
	c->nsorted = c->n;
	memcpy(c->sorted, c->v, c->n * sizeof(*c->v));
	qsort(c->sorted, c->n, sizeof(*c->sorted), src_cmp);
}

bool tg_fleet_calls_has(const struct tg_fleet_calls *c, const struct tg_source *src)
{
	return c->nsorted && bsearch(src, c->sorted, c->nsorted, sizeof(*c->sorted), src_cmp);
}

void tg_fleet_calls_drop_groups(struct tg_fleet_calls *c)
{
	size_t i, k = 0;

	for (i = 0; i < c->n; i++)
		if (!c->v[i].src.group)
			c->v[k++] = c->v[i];
	c->n = k;
	tg_fleet_calls_index(c);
}

void tg_fleet_calls_free(struct tg_fleet_calls *c)
{
	free(c->v);
	free(c->sorted);
	memset(c, 0, sizeof(*c));
}

void tg_fleet_call_floor_lower(__u64 *floor, unsigned int shard, __u64 call)
{
	__u64 *f = &floor[shard % TG_REDIS_SHARDS];

	if (!*f || call < *f)
		*f = call;
}

void tg_fleet_calls_floors(const struct tg_fleet_calls *c, __u64 now_ns, __u64 *floor)
{
	size_t k;

	for (k = 0; k < c->n; k++)
		if (!tg_fleet_call_expired(&c->v[k], now_ns))
			tg_fleet_call_floor_lower(floor, c->v[k].shard, c->v[k].call);
}
