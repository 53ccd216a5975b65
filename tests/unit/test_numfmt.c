// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_numfmt.c - doubles printed short, and read back the same. */
#include <float.h>
#include <math.h>

#include "numfmt.h"
#include "tap.h"

static const struct {
	double v;
	const char *text;
} cases[] = {
	{ 0, "0" },
	{ -0.0, "0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 0.5, "0.5" },
	{ 100, "100" },
	{ 0.25, "0.25" },
	{ 0.0125, "0.0125" },
	{ 1e-06, "1e-06" },
	{ 1e-05, "0.00001" },
	{ 1.5e-07, "1.5e-07" },
	{ 1e20, "100000000000000000000" },
	{ 0.1, "0.1" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ 123456, "123456" },
	{ 1700000000.5, "1700000000.5" },
	{ 1e21, "1e+21" },
	{ 262144, "262144" },
	{ 4369.0 / 60, "72.81666666666666" },
	{ DBL_MAX, "1.7976931348623157e+308" },
	{ DBL_MIN, "2.2250738585072014e-308" },
	{ NAN, "NaN" },
	{ INFINITY, "+Inf" },
	{ -INFINITY, "-Inf" },
};

/* For people: three significant digits at most, SI suffixes. */
static const struct {
	double v;
	const char *text;
} short_cases[] = {
	{ 0, "0" },
	{ -0.0, "0" },
	{ 0.001, "0" },
	{ -0.001, "0" },
	{ 0.25, "0.25" },
	{ 0.333, "0.33" },
	{ 7, "7" },
	{ 9.996, "10" },
	{ 12.34, "12.3" },
	{ 99.96, "100" },
	{ 999.4, "999" },
	{ 999.5, "1k" },
	{ 1000, "1k" },
	{ 12345, "12.3k" },
	{ 123456, "123k" },
	{ 1500000, "1.5M" },
	{ -2500, "-2.5k" },
	{ 14.88e6, "14.9M" },
	{ 3e9, "3G" },
	{ 1e21, "1000E" },
	{ INFINITY, "+Inf" },
};

int main(void)
{
	char buf[TG_NUM_MAX];
	size_t i;
	int k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_is_str(tg_num_format(cases[i].v, buf), cases[i].text, "%.17g prints as %s",
			   cases[i].v, cases[i].text);
	/* Every value reads back exactly, across magnitudes and fractions. */
	for (k = 0, i = 0; k < 2000; k++) {
		double v = ldexp((double)(k * 7919 % 10007) / 10007.0 + 1, k % 200 - 100);

		if (strtod(tg_num_format(v, buf), NULL) != v) {
			tap_diag("  %.17g printed as %s", v, buf);
			i++;
		}
	}
	tap_is(i, 0, "2000 values from 2^-100 to 2^100 round-trip");
	for (i = 0; i < sizeof(short_cases) / sizeof(short_cases[0]); i++)
		tap_is_str(tg_num_short(short_cases[i].v, buf), short_cases[i].text,
			   "%.17g reads %s at a glance", short_cases[i].v, short_cases[i].text);
	return tap_done();
}
