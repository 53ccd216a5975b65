// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* backoff.c - exponential backoff with jitter, for the Redis threads. */
#include <stdlib.h>

#include "backoff.h"
#include "clock.h"

static __u64 jitter(__u64 ms)
{
	return ms - ms / 5 + (__u64)rand() % (ms / 5 * 2 + 1);
}

void tg_backoff_failed(struct tg_backoff *b)
{
	b->ms = b->ms ? b->ms * 2 : TG_BACKOFF_MIN_MS;
	if (b->ms > TG_BACKOFF_MAX_MS)
		b->ms = TG_BACKOFF_MAX_MS;
	b->next_try_ns = tg_mono_ns() + jitter(b->ms) * TG_NSEC_PER_MSEC;
}

bool tg_backoff_due(const struct tg_backoff *b)
{
	return tg_mono_ns() >= b->next_try_ns;
}

void tg_backoff_reset(struct tg_backoff *b)
{
	b->ms = 0;
	b->next_try_ns = 0;
}
