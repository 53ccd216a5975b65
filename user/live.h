/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * live.h - the limits in force on an interface: read from and written
 * to its config and ports maps while the program runs. Buckets are
 * never touched, so a change keeps every tracked source's state.
 */
#ifndef TG_LIVE_H
#define TG_LIVE_H

#include "limits.h"
#include "pins.h"

int tg_live_read(const struct tg_maps *m, struct tg_limits *l);

/* Write l. old, if not NULL, is what is in the maps now: only ports
 * that differ are rewritten, new ones before old ones are cleared. */
int tg_live_write(const struct tg_maps *m, const struct tg_limits *l,
		  const struct tg_limits *old);

#endif /* TG_LIVE_H */
