// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_rate.c - the rate parser, good spellings and bad; rate and burst
 * checked together, the same for the interface's limit and for rules. */
#include <errno.h>

#include "limits.h"
#include "rate.h"
#include "rules.h"
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

/* A rate and a burst: what tg_limit_check says, and that the
 * interface's limit and a limit rule say the same. */
struct pair {
	struct tg_rate rate;
	__u64 burst;
	int err;
	__u64 tolerance_ns;
};

static const struct pair pairs[] = {
	{ { 10, S }, 10, 0, 9 * (S / 10) },
	{ { 10, 60 * S }, 1, 0, 0 },
	{ { 3, 1 }, 3, -EINVAL, 0 },                 /* three SYNs a nanosecond */
	{ { 10, S }, 0, -ERANGE, 0 },                /* burst 0 */
	{ { 10, S }, TG_MAX_BURST + 1, -ERANGE, 0 }, /* burst too large */
	{ { 1, 3650ULL * 86400 * S }, 100, -ERANGE, 0 }, /* 99 x 10 years: past 2^62 ns */
	{ { 1ULL << 33, 1ULL << 40 }, 1, -ERANGE, 0 },   /* count past 32 bits */
};

static void test_limit_check(void)
{
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const struct pair *p = &pairs[i];
		char w1[160] = "", w2[160] = "", w3[160] = "";
		struct tg_rule_spec spec = { .kind = TG_RULE_LIMIT, .rate = p->rate,
					     .burst = p->burst };
		struct tg_limits l;
		struct tg_config cfg;
		struct tg_rule r;
		__u64 interval = 0, tol = 0;
		int e1, e2, e3;

		spec.cidr.family = 4;
		spec.cidr.len = 32;
		tg_limits_default(&l);
		l.rate = p->rate;
		l.burst = p->burst;
		e1 = tg_limit_check(&p->rate, p->burst, &interval, &tol, w1, sizeof(w1));
		e2 = tg_limits_to_config(&l, &cfg, w2, sizeof(w2));
		e3 = tg_rule_build(&spec, 1, &r, w3, sizeof(w3));
		tap_is(e1, p->err, "pair %zu: %llu/%llu ns, burst %llu: %s", i,
		       (unsigned long long)p->rate.count, (unsigned long long)p->rate.period_ns,
		       (unsigned long long)p->burst, p->err ? w1 : "accepted");
		if (!p->err) {
			tap_is(tol, p->tolerance_ns, "  tolerance (burst - 1) x interval");
			tap_is(cfg.tolerance_ns, tol, "  the interface's config has it");
			tap_is(r.tolerance_ns, tol, "  a limit rule has it");
		}
		/* burst 0 means "the rate's count" for both; only the check sees a 0 */
		if (p->burst) {
			tap_is(e2, e1, "  the interface's limit answers the same");
			tap_is(e3, e1, "  a limit rule answers the same");
			tap_is_str(w2, w1, "  with the same reason (interface)");
			tap_is_str(w3, w1, "  with the same reason (rule)");
		}
	}
}

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
	test_limit_check();
	return tap_done();
}
