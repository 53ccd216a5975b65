/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * limit_opts.h - an interface's options (IFACE and LIMIT scope in
 * options.h), applied: the one place their values are read, for the
 * command lines of attach, set and run and for the config file alike.
 */
#ifndef TG_LIMIT_OPTS_H
#define TG_LIMIT_OPTS_H

#include "cli.h"
#include "conf.h"
#include "limits.h"

/*
 * One limit setting from its text, the same code for --OPTION VALUE and
 * for the config file's "OPTION = VALUE": an option of LIMIT scope, or
 * max-sources; text NULL for a bare flag. A rate resets the burst to
 * its count. Returns 0, or -EINVAL with why (-ENOENT: not a limit).
 */
int tg_limit_set(struct tg_limits *l, int id, const char *text, char *why, size_t whylen);

/* An interface as attach starts it: tidegate's defaults, zone its name. */
void tg_iface_conf_default(struct tg_iface_conf *ic, const char *name);

/*
 * Any option of IFACE or LIMIT scope, applied to ic: the limits through
 * tg_limit_set, the mode, the zone, a rule (appended; a second rule for
 * the same prefix is refused). Returns 0, or -EINVAL with why (-ENOENT:
 * not an interface's option).
 */
int tg_iface_set(struct tg_iface_conf *ic, int id, const char *text, char *why,
		 size_t whylen);

/*
 * Apply the interface's options given on the command line to ic, in the
 * table's order, leaving the others as they are (a new --rate without
 * --burst resets the burst to the rate's count), then check the limits
 * as a whole. Returns 0 or TG_EXIT_USAGE (message printed).
 */
int tg_iface_opts_apply(const struct tg_cmdline *cl, struct tg_iface_conf *ic);

/* One limit's value as JSON, keyed by its name with '_' for '-'; NULL
 * for an option that is not a limit of struct tg_limits. */
struct json_object *tg_limit_json(const struct tg_limits *l, int id);

/* The limits as a JSON object (every tg_limit_json, and interval_ns),
 * for printing the effective config. */
struct json_object *tg_limits_json(const struct tg_limits *l);

#endif /* TG_LIMIT_OPTS_H */
