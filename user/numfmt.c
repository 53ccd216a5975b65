// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* numfmt.c - shortest round-trip formatting of a double. */
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
