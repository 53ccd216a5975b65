// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_slots.c - the share published in tg_fleet, and the XDP front
 * slots kept to it (fleet_slots.h). */
#include <errno.h>

#include <bpf/bpf.h>

#include "fleet_slots.h"
#include "rescale.h"

/* Whether XDP fills front slots under this share: outside a fleet, and
 * in a whole one (bpf/fleet.h, fleet_fast_limit). */
static bool slots_filled(const struct tg_fleet *f)
{
	return !f->size || (!f->fallback_h && !f->shard_h);
}

bool tg_fleet_slots_outlive(const struct tg_fleet *a, const struct tg_fleet *b)
{
	if (!slots_filled(a))
		return false;
	if (!slots_filled(b))
		return true;
	if (!b->size)
		return a->size != 0;
	return a->size && (b->size < a->size || b->burst_k > a->burst_k);
}

int tg_fleet_publish(struct tg_fleet_slots *s, int fleet_fd, const struct tg_fleet *pub)
{
	__u32 zero = 0;

	if (!s->known)
		s->known = !bpf_map_lookup_elem(fleet_fd, &zero, &s->under);
	if (bpf_map_update_elem(fleet_fd, &zero, pub, BPF_ANY))
		return -errno;
	if (!s->void_due && s->known && !tg_fleet_slots_outlive(&s->under, pub))
		s->under = *pub;
	else
		s->void_due = true;
	return 0;
}

int tg_fleet_slots_void(struct tg_fleet_slots *const *s, const struct tg_fleet *const *pubs,
			const int *gen_fds, int n)
{
	int i, err;

	if (!n)
		return 0;
	err = tg_front_void(gen_fds, n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		s[i]->under = *pubs[i];
		s[i]->known = true;
		s[i]->void_due = false;
	}
	return 0;
}

int tg_fleet_leave(int fleet_fd, int gen_fd)
{
	struct tg_fleet f = { 0 }, was;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(fleet_fd, &zero, &was))
		return -errno;
	if (bpf_map_update_elem(fleet_fd, &zero, &f, BPF_ANY))
		return -errno;
	return tg_fleet_slots_outlive(&was, &f) ? tg_front_void(&gen_fd, 1) : 0;
}
