// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_floors.c - the fleet's view written into tg_floor (fleet_floors.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "fleet_floors.h"

int tg_floor_put(int fd, const struct tg_source *src, __u64 tat, __u64 mark,
		 struct tg_fleet *pub, bool *full)
{
	struct tg_floor f = { .tat_ns = tat, .mark = mark };

	if (!bpf_map_update_elem(fd, src, &f, BPF_ANY))
		return 0;
	if (errno == E2BIG || errno == ENOMEM) {
		pub->floor_full++;
		*full = true;
	}
	return -errno;
}

void tg_floors_put(int fd, const struct tg_source *srcs, const struct tg_floor *floors, size_t k,
		   struct tg_fleet *pub, bool *full)
{
	__u32 count = (__u32)k;
	size_t i;

	if (!k || !bpf_map_update_batch(fd, srcs, floors, &count, NULL))
		return;
	for (i = count; i < k; i++)
		tg_floor_put(fd, &srcs[i], floors[i].tat_ns, floors[i].mark, pub, full);
}

size_t tg_floors_sweep(int fd, const struct tg_bucket_read *rd, const struct tg_floor_read *fl,
		       bool *seen, struct tg_source *buf)
{
	__u64 now = tg_mono_ns();
	size_t i, n = 0;
	__u32 count;

	memset(seen, 0, fl->n * sizeof(*seen));
	for (i = 0; i < rd->n; i++) {
		const struct tg_floor *f = tg_floors_find(fl, &rd->keys[i]);

		if (f)
			seen[f - fl->vals] = true;
	}
	for (i = 0; i < fl->n; i++)
		if (!seen[i] && fl->vals[i].tat_ns <= now)
			buf[n++] = fl->keys[i];
	count = (__u32)n;
	if (n && bpf_map_delete_batch(fd, buf, &count, NULL))
		for (i = count; i < n; i++) /* one deleted meanwhile: the rest alone */
			bpf_map_delete_elem(fd, &buf[i]);
	return n;
}
