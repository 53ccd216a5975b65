// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* numfmt.c - a double, printed exactly in the fewest digits, or rounded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

char *tg_num_format(double v, char *buf)
{
	int prec, exp10;

	if (isnan(v))
		return snprintf(buf, TG_NUM_MAX, "NaN"), buf;
	if (isinf(v))
		return snprintf(buf, TG_NUM_MAX, "%sInf", v < 0 ? "-" : "+"), buf;
	if (v == 0)
		return snprintf(buf, TG_NUM_MAX, "0"), buf; /* -0 too */
	/* The fewest significant digits that read back: 17 always do
	 * (DBL_DECIMAL_DIG). */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, TG_NUM_MAX, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, TG_NUM_MAX, "%.*e", prec - 1, v);
	exp10 = atoi(strchr(buf, 'e') + 1);
	/* Positional where that is short and plain, as %g would but without
	 * its switch to an exponent at the precision: 100, not 1e+02. */
	if (exp10 >= -5 && exp10 < 21)
		snprintf(buf, TG_NUM_MAX, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, v);
	return buf;
}

/* 12.500 -> 12.5, 3.00 -> 3 */
static void drop_trailing_zeros(char *buf)
{
	size_t n = strlen(buf);

	if (!strchr(buf, '.'))
		return;
	while (buf[n - 1] == '0')
		buf[--n] = '\0';
	if (buf[n - 1] == '.')
		buf[--n] = '\0';
}

char *tg_num_short(double v, char *buf)
{
	static const char suffix[] = "\0kMGTPE";
	double a = fabs(v);
	size_t u = 0;

	if (!isfinite(v))
		return tg_num_format(v, buf);
	/* 999.5 rounds to 1000: that is 1k. */
	while (a >= 999.5 && u < sizeof(suffix) - 2) {
		a /= 1000;
		u++;
	}
	snprintf(buf, TG_NUM_MAX, "%s%.*f", v < 0 ? "-" : "", a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2,
		 a);
	drop_trailing_zeros(buf);
	if (!strcmp(buf, "-0"))
		buf[0] = '0', buf[1] = '\0';
	if (suffix[u])
		snprintf(buf + strlen(buf), TG_NUM_MAX - strlen(buf), "%c", suffix[u]);
	return buf;
}
