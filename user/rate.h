/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* rate.h - limits written the way web frameworks write them. */
#ifndef TG_RATE_H
#define TG_RATE_H

#include <stddef.h>
#include <linux/types.h>

#define TG_NSEC_PER_SEC 1000000000ULL

/* count SYNs per period_ns nanoseconds */
struct tg_rate {
	__u64 count;
	__u64 period_ns;
};

/*
 * Parse "10/second", "600/minute", "10/min", "5000/hour", "3/day",
 * "10 per minute", "100/10s", "100 per 10 seconds". Units: s, sec,
 * second(s), m, min, minute(s), h, hr, hour(s), d, day(s), any case.
 * Returns 0, or -EINVAL with the reason in why.
 */
int tg_rate_parse(const char *text, struct tg_rate *rate, char *why, size_t whylen);

/* The canonical spelling: "10/minute", "100/10s". */
void tg_rate_format(const struct tg_rate *rate, char *buf, size_t len);

/* Nanoseconds between tokens, rounded to the nearest; 0 if under 1 ns. */
__u64 tg_rate_interval_ns(const struct tg_rate *rate);

#endif /* TG_RATE_H */
