/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* limit_opts.h - the limit options of attach and set, applied to limits. */
#ifndef TG_LIMIT_OPTS_H
#define TG_LIMIT_OPTS_H

#include "cli.h"
#include "limits.h"

/*
 * One limit setting from its text, the same code for --OPTION VALUE and
 * for the config file's "OPTION = VALUE": id is OPT_RATE, OPT_BURST,
 * OPT_PORTS, OPT_V4_PREFIX, OPT_V6_PREFIX, OPT_MAX_SOURCES, OPT_DRY_RUN
 * (text NULL for the bare flag, else yes/no), OPT_ACTION, OPT_RST_BUDGET,
 * OPT_LOG_INTERVAL or OPT_LOG_BUDGET. A rate resets
 * the burst to its count. Returns 0, or -EINVAL with why.
 */
int tg_limit_set(struct tg_limits *l, int id, const char *text, char *why, size_t whylen);

/* Is id one of the limit settings above? */
bool tg_limit_is_key(int id);

/*
 * Apply the limit options given on the command line to l, leaving the
 * others as they are. A new --rate without --burst resets the burst to
 * the rate's count. Returns 0 or TG_EXIT_USAGE (message printed).
 */
int tg_limit_opts_apply(const struct tg_cmdline *cl, struct tg_limits *l);

/* The limits as a JSON object, for printing the effective config. */
struct json_object *tg_limits_json(const struct tg_limits *l);

#endif /* TG_LIMIT_OPTS_H */
