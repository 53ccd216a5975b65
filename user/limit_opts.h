/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* limit_opts.h - the limit options of attach and set, applied to limits. */
#ifndef TG_LIMIT_OPTS_H
#define TG_LIMIT_OPTS_H

#include "cli.h"
#include "limits.h"

/*
 * Apply the limit options given on the command line to l, leaving the
 * others as they are. A new --rate without --burst resets the burst to
 * the rate's count. Returns 0 or TG_EXIT_USAGE (message printed).
 */
int tg_limit_opts_apply(const struct tg_cmdline *cl, struct tg_limits *l);

/* The limits as a JSON object, for printing the effective config. */
struct json_object *tg_limits_json(const struct tg_limits *l);

#endif /* TG_LIMIT_OPTS_H */
