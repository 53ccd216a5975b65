/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tap.h - the Test Anything Protocol for the C tests, run by prove.
 * Every failed check prints what was expected and what was seen.
 */
#ifndef TG_TAP_H
#define TG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_plan_none(void) {}

static inline int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		tap_failed++;
	fflush(stdout);
	return pass;
}

#define tap_diag(...)                       \
	do {                                \
		printf("# ");               \
		printf(__VA_ARGS__);        \
		printf("\n");               \
		fflush(stdout);             \
	} while (0)

/* Compare two integers; on failure say both. */
#define tap_is(got, want, ...)                                              \
	({                                                                  \
		long long _g = (long long)(got), _w = (long long)(want);    \
		int _p = tap_ok(_g == _w, __VA_ARGS__);                     \
		if (!_p)                                                    \
			tap_diag("  got %lld, want %lld (%s)", _g, _w, #got); \
		_p;                                                         \
	})

#define tap_is_str(got, want, ...)                                           \
	({                                                                   \
		const char *_g = (got), *_w = (want);                        \
		int _p = tap_ok(_g && _w ? !strcmp(_g, _w) : _g == _w,       \
				__VA_ARGS__);                                \
		if (!_p)                                                     \
			tap_diag("  got \"%s\", want \"%s\"", _g ? _g : "(null)", \
				 _w ? _w : "(null)");                        \
		_p;                                                          \
	})

static inline void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

/* Print the plan at the end and exit non-zero if anything failed. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* TG_TAP_H */
