// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rate.c - parse and print rates such as "10/minute" and "100/10s". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rate.h"

struct unit {
	const char *name;
	__u64 ns;
};

/* Every spelling, longest first within a unit so none shadows another. */
static const struct unit units[] = {
	{ "seconds", TG_NSEC_PER_SEC },	   { "second", TG_NSEC_PER_SEC },
	{ "secs", TG_NSEC_PER_SEC },	   { "sec", TG_NSEC_PER_SEC },
	{ "s", TG_NSEC_PER_SEC },	   { "minutes", 60 * TG_NSEC_PER_SEC },
	{ "minute", 60 * TG_NSEC_PER_SEC }, { "mins", 60 * TG_NSEC_PER_SEC },
	{ "min", 60 * TG_NSEC_PER_SEC },   { "m", 60 * TG_NSEC_PER_SEC },
	{ "hours", 3600 * TG_NSEC_PER_SEC }, { "hour", 3600 * TG_NSEC_PER_SEC },
	{ "hrs", 3600 * TG_NSEC_PER_SEC }, { "hr", 3600 * TG_NSEC_PER_SEC },
	{ "h", 3600 * TG_NSEC_PER_SEC },   { "days", 86400 * TG_NSEC_PER_SEC },
	{ "day", 86400 * TG_NSEC_PER_SEC }, { "d", 86400 * TG_NSEC_PER_SEC },
};

/* For printing: the largest unit that divides the period. */
static const struct unit print_units[] = {
	{ "day", 86400 * TG_NSEC_PER_SEC },
	{ "hour", 3600 * TG_NSEC_PER_SEC },
	{ "minute", 60 * TG_NSEC_PER_SEC },
	{ "second", TG_NSEC_PER_SEC },
};

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* A decimal integer of at most 18 digits, so no overflow is possible. */
static const char *parse_count(const char *p, __u64 *out)
{
	__u64 v = 0;
	int digits = 0;

	while (isdigit((unsigned char)*p)) {
		if (++digits > 18)
			return NULL;
		v = v * 10 + (__u64)(*p - '0');
		p++;
	}
	if (!digits)
		return NULL;
	*out = v;
	return p;
}

int tg_rate_parse(const char *text, struct tg_rate *rate, char *why, size_t whylen)
{
	const char *p = skip_space(text);
	__u64 count, mult = 1, unit_ns = 0;
	size_t i;

	p = parse_count(p, &count);
	if (!p) {
		snprintf(why, whylen, "expected a count such as 10/minute");
		return -EINVAL;
	}
	if (count == 0 || count > 0xffffffffULL) {
		snprintf(why, whylen, "the count must be from 1 to 4294967295");
		return -EINVAL;
	}
	p = skip_space(p);
	if (*p == '/')
		p++;
	else if (!strncasecmp(p, "per", 3) && isspace((unsigned char)p[3]))
		p += 3;
	else {
		snprintf(why, whylen, "expected '/' or 'per' after the count");
		return -EINVAL;
	}
	p = skip_space(p);
	if (isdigit((unsigned char)*p)) {
		p = parse_count(p, &mult);
		if (!p || mult == 0) {
			snprintf(why, whylen, "the period's multiple must be 1 or more");
			return -EINVAL;
		}
		p = skip_space(p);
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (!strncasecmp(p, units[i].name, n) && !*skip_space(p + n)) {
			unit_ns = units[i].ns;
			break;
		}
	}
	if (!unit_ns) {
		snprintf(why, whylen, "unknown time unit '%s' (use second, minute, hour or day)",
			 p);
		return -EINVAL;
	}
	if (__builtin_mul_overflow(mult, unit_ns, &rate->period_ns) ||
	    rate->period_ns > 3650 * 86400 * TG_NSEC_PER_SEC) {
		snprintf(why, whylen, "the period is longer than ten years");
		return -EINVAL;
	}
	rate->count = count;
	if (count > rate->period_ns) {
		snprintf(why, whylen, "more than one SYN per nanosecond");
		return -EINVAL;
	}
	return 0;
}

void tg_rate_format(const struct tg_rate *rate, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(print_units) / sizeof(print_units[0]); i++) {
		const struct unit *u = &print_units[i];

		if (rate->period_ns % u->ns)
			continue;
		if (rate->period_ns == u->ns)
			snprintf(buf, len, "%llu/%s", (unsigned long long)rate->count, u->name);
		else
			snprintf(buf, len, "%llu/%llu%c", (unsigned long long)rate->count,
				 (unsigned long long)(rate->period_ns / u->ns), u->name[0]);
		return;
	}
	snprintf(buf, len, "%llu/%lluns", (unsigned long long)rate->count,
		 (unsigned long long)rate->period_ns);
}

__u64 tg_rate_interval_ns(const struct tg_rate *rate)
{
	if (!rate->count)
		return 0;
	return (rate->period_ns + rate->count / 2) / rate->count;
}
