// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_rate.c - the rate parser, good spellings and bad. */
#include "rate.h"
#include "tap.h"

#define S TG_NSEC_PER_SEC

struct good {
	const char *text;
	__u64 count, period_ns;
	const char *canonical;
};

static const struct good goods[] = {
	{ "10/second", 10, S, "10/second" },
	{ "600/minute", 600, 60 * S, "600/minute" },
	{ "10/minute", 10, 60 * S, "10/minute" },
	{ "5000/hour", 5000, 3600 * S, "5000/hour" },
	{ "3/day", 3, 86400 * S, "3/day" },
	{ "10/s", 10, S, "10/second" },
	{ "10/sec", 10, S, "10/second" },
	{ "10/seconds", 10, S, "10/second" },
	{ "10/m", 10, 60 * S, "10/minute" },
	{ "10/min", 10, 60 * S, "10/minute" },
	{ "10/h", 10, 3600 * S, "10/hour" },
	{ "10/hr", 10, 3600 * S, "10/hour" },
	{ "10/d", 10, 86400 * S, "10/day" },
	{ "10/days", 10, 86400 * S, "10/day" },
	{ "10 per minute", 10, 60 * S, "10/minute" },
	{ "10 PER Minute", 10, 60 * S, "10/minute" },
	{ "100/10s", 100, 10 * S, "100/10s" },
	{ "100/10 seconds", 100, 10 * S, "100/10s" },
	{ "100 per 10 seconds", 100, 10 * S, "100/10s" },
	{ "5/90s", 5, 90 * S, "5/90s" },
	{ "1/120m", 1, 7200 * S, "1/2h" },
	{ "  7 / minute  ", 7, 60 * S, "7/minute" },
	{ "1000000/second", 1000000, S, "1000000/second" },
};

static const char *const bads[] = {
	"", "abc", "10", "10/", "/minute", "0/second", "10/fortnight", "10/ms", "-5/second",
	"10/0s", "10 per", "10 per", "10perminute", "10/minute extra", "10//minute", "1.5/second",
	"10/3651d", "2000000000/second", "9999999999999999999/second", "5000000000/day",
};

int main(void)
{
	char why[128], buf[64];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct tg_rate r = {};
		int err = tg_rate_parse(g->text, &r, why, sizeof(why));

		if (!tap_is(err, 0, "'%s' parses", g->text)) {
			tap_diag("  why: %s", why);
			continue;
		}
		tap_is(r.count, g->count, "'%s' count", g->text);
		tap_is(r.period_ns, g->period_ns, "'%s' period", g->text);
		tg_rate_format(&r, buf, sizeof(buf));
		tap_is_str(buf, g->canonical, "'%s' prints canonically", g->text);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct tg_rate r = {};

		why[0] = '\0';
		tap_ok(tg_rate_parse(bads[i], &r, why, sizeof(why)) < 0 && why[0],
		       "'%s' is refused with a reason (%s)", bads[i], why);
	}

	/* Intervals round to the nearest nanosecond; remainders are not
	 * lost by GCRA, only this sub-nanosecond rounding. */
	{
		struct tg_rate r = { 3, 10 * S };

		tap_is(tg_rate_interval_ns(&r), 3333333333ULL, "3/10s is one every 3.333333333 s");
		r = (struct tg_rate){ 7, 60 * S };
		tap_is(tg_rate_interval_ns(&r), 8571428571ULL, "7/minute rounds to nearest ns");
		r = (struct tg_rate){ 2, 3 };
		tap_is(tg_rate_interval_ns(&r), 2, "2 per 3 ns rounds half up");
	}
	return tap_done();
}
