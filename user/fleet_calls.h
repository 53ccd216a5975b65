/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_calls.h - the fleet's unanswered push calls of one interface.
 *
 * A push whose reply never came may or may not have been applied. Its
 * sources are kept here as they were sent, with the call's id, sent
 * again before anything else is pushed (Redis applies a call once:
 * fleet_store.h) and kept out of new pushes until then. Redis must
 * remember every id that may come again: the lowest per shard is the
 * floor below which it forgets (tg_fleet_charge.floor).
 */
#ifndef TG_FLEET_CALLS_H
#define TG_FLEET_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "clock.h"
#include "fleet_store.h"
#include "tidegate.h"

/* One source of a push, beside its item (same index). */
struct tg_push_meta {
	struct tg_source src;
	unsigned int shard;
	__u64 delta;
	__u64 admitted; /* the count the fleet's TAT will include */
	bool had_floor;
	__u64 old_tat;
	__u64 call;    /* 0, or the call it went in unanswered (fleet_store.h) */
	__u64 sent_ns; /* when that call was first sent */
};

/* The sources of unanswered calls, in the order sent, and sorted by
 * source as of the last tg_fleet_calls_index (for tg_fleet_calls_has). */
struct tg_fleet_calls {
	struct tg_push_meta *v, *sorted;
	size_t n, cap, nsorted;
};

/* How long a call whose reply was lost is sent again as it was: within
 * the time Redis remembers it, less a margin for the clocks and the
 * sending. Past that its sources are pushed anew, counted again if the
 * lost call had been applied: erring towards denying. */
#define TG_FLEET_RESEND_MAX_NS ((TG_FLEET_CALL_TTL_MS - 20000) * TG_NSEC_PER_MSEC)

static inline bool tg_fleet_call_expired(const struct tg_push_meta *m, __u64 now_ns)
{
	return now_ns - m->sent_ns > TG_FLEET_RESEND_MAX_NS;
}

/* Keep m, unanswered in call since sent_ns. false: out of memory. */
bool tg_fleet_calls_add(struct tg_fleet_calls *c, const struct tg_push_meta *m, __u64 call,
			__u64 sent_ns);
/* Hand the kept sources over (*n of them, the caller frees them): the
 * list is empty after, for what stays unanswered to be added again. */
struct tg_push_meta *tg_fleet_calls_take(struct tg_fleet_calls *c, size_t *n);
/* Sort the kept sources for tg_fleet_calls_has. */
void tg_fleet_calls_index(struct tg_fleet_calls *c);
/* Whether src is in an unanswered call, as of the last index. */
bool tg_fleet_calls_has(const struct tg_fleet_calls *c, const struct tg_source *src);
/* Drop the sources of port groups (their ids changed hands). */
void tg_fleet_calls_drop_groups(struct tg_fleet_calls *c);
void tg_fleet_calls_free(struct tg_fleet_calls *c);

/* Lower floor[shard] (TG_REDIS_SHARDS of them, 0: none) to call. */
void tg_fleet_call_floor_lower(__u64 *floor, unsigned int shard, __u64 call);
/* Lower the floors to every call kept that is not expired at now_ns. */
void tg_fleet_calls_floors(const struct tg_fleet_calls *c, __u64 now_ns, __u64 *floor);

#endif /* TG_FLEET_CALLS_H */
