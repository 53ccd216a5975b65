/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * restore.h - buckets back from Redis into a table, on a connection
 * already open: the daemon's at attach (tg_mirror_restore, mirror.h),
 * and the sync thread's late one for what Redis missed then.
 */
#ifndef TG_RESTORE_H
#define TG_RESTORE_H

#include <hiredis/hiredis.h>

#include "mirror.h"

/*
 * SCAN the interface's keys and fill its table, each exchange within
 * cfg->timeout_ms and all by deadline_ns. A restore cut short (by the
 * deadline, a timeout, an error reply such as -LOADING) keeps what it
 * restored and returns -errno with why; running it again restores the
 * rest, never overwriting a bucket in the table.
 */
int tg_restore_on(redisContext *c, const struct tg_mirror_cfg *cfg,
		  const struct tg_sync_iface *si, __u64 deadline_ns,
		  struct tg_restore_counts *rc, char *why, size_t whylen);

#endif /* TG_RESTORE_H */
