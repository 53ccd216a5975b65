/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * port_limits.h - ports with a limit of their own: `--port PORTS --rate
 * RATE [--burst N]`, `--port PORTS --default`, the file's `port-limit`.
 * Each distinct PORTS is a group (a port or a range); its buckets are
 * apart from the interface's and from other groups' (tidegate.h).
 */
#ifndef TG_PORT_LIMITS_H
#define TG_PORT_LIMITS_H

#include "limits.h"

/* "22" or "8000-8080": one port or one range, 1-65535. 0 or -EINVAL. */
int tg_port_range_parse(const char *text, __u16 *lo, __u16 *hi, char *why, size_t whylen);

/*
 * Give lo-hi a limit of its own: the group of exactly these ports if
 * there is one (a rate resets the burst to its count unless burst, not
 * 0, is given too; rate NULL keeps the rate), else a new group
 * with the lowest free id (rate NULL: the interface's rate). Refused
 * (-EINVAL, why) when the ports overlap another group's, or when no id
 * is free (-ENOSPC).
 */
int tg_port_limit_put(struct tg_limits *l, __u16 lo, __u16 hi, const struct tg_rate *rate,
		      __u64 burst, char *why, size_t whylen);

/*
 * Return lo-hi to the interface's limit: their group is removed and
 * the ports join the limited ports. Refused when lo-hi cuts a group
 * (name the group's own ports to remove it).
 */
int tg_port_limit_default(struct tg_limits *l, __u16 lo, __u16 hi, char *why, size_t whylen);

/* The file's "PORTS RATE [--burst N]", as --port PORTS --rate RATE. */
int tg_port_limit_parse(struct tg_limits *l, const char *text, char *why, size_t whylen);

/*
 * Renumber want's groups against those in force: a group of the same
 * ports keeps its id (its buckets), any other takes an id no group in
 * force holds, so within one write no id passes from some ports to
 * others (whose buckets it would hand on). -ENOSPC (why) when there are
 * not ids enough for both at once: remove groups first, then add.
 */
int tg_port_groups_align(struct tg_limits *want, const struct tg_limits *in_force, char *why,
			 size_t whylen);

/* A port's value in tg_ports: its group, TG_PG_DEFAULT or TG_PG_NONE. */
__u8 tg_port_group_of(const struct tg_limits *l, unsigned int port);

/* Whether a and b hold the same groups with the same limits (a burst
 * left to the rate's count equal to that count given). */
bool tg_port_limits_equal(const struct tg_limits *a, const struct tg_limits *b);

/* "22" or "8000-8080" into buf. */
void tg_port_range_format(const struct tg_port_limit *g, char *buf, size_t len);

#endif /* TG_PORT_LIMITS_H */
