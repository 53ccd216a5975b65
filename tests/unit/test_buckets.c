// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_buckets.c - tg_buckets_read, on a real hash map: every entry read
 * once, whatever the batch; a hash bucket that does not fit what was
 * asked (ENOSPC) is asked for again, and at the limit it ends the read
 * without an error. tg_floors_read and tg_floors_find on a tg_floor
 * table: each source finds its own floor, an absent one none. Needs root
 * (a BPF map).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "buckets.h"
#include "tap.h"

#define MAX     4096
#define ENTRIES 4000 /* in 4096 hash buckets: many hold two or more */

static struct tg_source key_of(__u32 i)
{
	struct tg_source k = { .addr = { [10] = 0xff, [11] = 0xff }, .rule = 0 };

	k.addr[12] = 198;
	k.addr[13] = 18;
	k.addr[14] = (__u8)(i >> 8);
	k.addr[15] = (__u8)i;
	return k;
}

/* Every entry once: the sum of their tat_ns is 0 + 1 + ... */
static int all_once(const struct tg_bucket_read *r)
{
	unsigned long long sum = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		sum += r->vals[i].tat_ns;
	return r->n == ENTRIES && sum == (unsigned long long)ENTRIES * (ENTRIES - 1) / 2;
}

static void test_floors(void)
{
	struct tg_floor_read fl = { 0 };
	struct tg_source k;
	int fd, bad = 0;
	__u32 i;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tg_test_floor", sizeof(struct tg_source),
			    sizeof(struct tg_floor), TG_MAX_FLOORS, NULL);
	if (fd < 0) {
		tap_ok(0, "create a tg_floor table: %s", strerror(errno));
		return;
	}
	k = key_of(0);
	tap_is(tg_floors_read(fd, &fl), 0, "an empty floor table read");
	tap_ok(fl.n == 0 && !tg_floors_find(&fl, &k), "  nothing in it, nothing found");
	for (i = 0; i < ENTRIES; i += 2) { /* the even sources have floors */
		struct tg_floor f = { .tat_ns = i, .mark = 1000 + i };

		k = key_of(i);
		bpf_map_update_elem(fd, &k, &f, BPF_NOEXIST);
	}
	tap_is(tg_floors_read(fd, &fl), 0, "the floors read");
	tap_is(fl.n, ENTRIES / 2, "  all %d of them", ENTRIES / 2);
	for (i = 0; i < ENTRIES; i++) {
		const struct tg_floor *f;

		k = key_of(i);
		f = tg_floors_find(&fl, &k);
		if (i % 2)
			bad += f != NULL;
		else
			bad += !f || f->tat_ns != i || f->mark != 1000 + i;
	}
	tap_is(bad, 0, "  each source finds its own floor, one without finds none");
	tg_floors_free(&fl);
	close(fd);
}

int main(void)
{
	struct tg_bucket_read r = { 0 };
	unsigned int enospc = 0;
	size_t limit;
	int fd, err, bad = 0, cut = 0;
	__u32 i;

	if (geteuid())
		tap_skip_all("needs root: a BPF map");
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tg_test", sizeof(struct tg_source),
			    sizeof(struct tg_bucket), MAX, NULL);
	if (fd < 0)
		tap_skip_all("cannot create a hash map");
	for (i = 0; i < ENTRIES; i++) {
		struct tg_source k = key_of(i);
		struct tg_bucket b = { .tat_ns = i };

		if (bpf_map_update_elem(fd, &k, &b, BPF_NOEXIST))
			tap_skip_all("cannot fill the map");
	}

	err = tg_buckets_read(fd, tg_buckets_limit(MAX), TG_BUCKETS_BATCH, &r);
	tap_is(err, 0, "the table read in batches of %d", TG_BUCKETS_BATCH);
	tap_ok(all_once(&r), "  every entry once (%zu of %d)", r.n, ENTRIES);
	tap_ok(!r.cut, "  to the end");

	err = tg_buckets_read(fd, tg_buckets_limit(MAX), 1, &r);
	tap_is(err, 0, "read one entry a call: no error");
	tap_ok(r.enospc > 0, "  hash buckets of two or more did not fit, %u times", r.enospc);
	tap_ok(all_once(&r), "  and were asked for again: every entry once (%zu)", r.n);
	tap_ok(!r.cut, "  to the end");

	/* At a limit below what the table holds (a churning table shows
	 * more than it holds), the read ends there: no error, what was read
	 * stands. Some of these limits fall where the next bucket no
	 * longer fits: ENOSPC with entries read, which is the end too. */
	for (limit = 2000; limit < 2064; limit++) {
		err = tg_buckets_read(fd, limit, 1, &r);
		bad += err || !r.n || r.n > limit || !r.cut;
		enospc += r.enospc;
		cut++;
	}
	tap_is(bad, 0, "%d reads cut at a limit: no error, 1 to limit entries each, cut", cut);
	tap_ok(enospc > 0, "  (buckets that did not fit on the way: %u)", enospc);

	tg_buckets_free(&r);
	close(fd);
	test_floors();
	return tap_done();
}
