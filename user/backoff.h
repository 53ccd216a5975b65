/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * backoff.h - when to try Redis again after a failure: the wait doubles
 * while failures last, from TG_BACKOFF_MIN_MS to TG_BACKOFF_MAX_MS,
 * jittered by a fifth either way so that a fleet of daemons does not
 * knock on a Redis that came back all in the same millisecond. The
 * mirror (sync.c) and fleet mode (fleet.c) both wait by it.
 */
#ifndef TG_BACKOFF_H
#define TG_BACKOFF_H

#include <stdbool.h>
#include <linux/types.h>

#define TG_BACKOFF_MIN_MS 100
#define TG_BACKOFF_MAX_MS 5000

struct tg_backoff {
	__u64 ms;          /* the last wait; 0: no failure since the last success */
	__u64 next_try_ns; /* CLOCK_MONOTONIC: not before */
};

/* A failure: the next try after the next wait. */
void tg_backoff_failed(struct tg_backoff *b);
/* Whether it is time to try. */
bool tg_backoff_due(const struct tg_backoff *b);
/* A success, or new settings: try at once next time. */
void tg_backoff_reset(struct tg_backoff *b);

#endif /* TG_BACKOFF_H */
