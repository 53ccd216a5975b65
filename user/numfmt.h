/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * numfmt.h - a double as the shortest text that reads back as the same
 * double ("0.5", "100", "1e-06"), for the metrics: a gauge of 1 is "1",
 * not "1.000000", and no digit is lost either; or rounded, for people
 * ("12.3k"). Pure, unit-tested.
 */
#ifndef TG_NUMFMT_H
#define TG_NUMFMT_H

#include <stddef.h>

/* The longest text tg_num_format writes, NUL included. */
#define TG_NUM_MAX 32

/* v into buf (at least TG_NUM_MAX bytes): the fewest significant digits
 * that strtod reads back exactly, positional from 1e-5 to below 1e21
 * and with an exponent outside; NaN, +Inf and -Inf as Prometheus
 * spells them. Returns buf. */
char *tg_num_format(double v, char *buf);

/* v for a person to read at a glance, into buf (at least TG_NUM_MAX
 * bytes): three significant digits at most, trailing zeros dropped,
 * with an SI suffix from a thousand on: "0", "0.25", "7", "12.3k",
 * "1.5M". Returns buf. */
char *tg_num_short(double v, char *buf);

#endif /* TG_NUMFMT_H */
