// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* parse.c - strict parsers for numbers and port lists. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

int tg_parse_u64(const char *text, __u64 min, __u64 max, __u64 *out)
{
	__u64 v = 0;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (__u64)(*p - '0'), &v))
			return -ERANGE;
	}
	if (*p)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int tg_parse_duration_ms(const char *text, __u64 min_ms, __u64 max_ms, __u64 *out)
{
	static const struct {
		const char *unit;
		__u64 ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
	char digits[24];
	size_t n = strspn(text, "0123456789"), i;
	__u64 v, ms;

	if (!n || n >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, text, n);
	digits[n] = '\0';
	if (tg_parse_u64(digits, 0, ~0ULL, &v))
		return -ERANGE;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(text + n, units[i].unit))
			continue;
		if (__builtin_mul_overflow(v, units[i].ms, &ms) || ms < min_ms || ms > max_ms)
			return -ERANGE;
		*out = ms;
		return 0;
	}
	return -EINVAL;
}

int tg_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(text, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(text, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

bool tg_valid_name(const char *s, size_t max)
{
	size_t n = strnlen(s, max), i;

	if (!n || n >= max)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* One port at p; returns the text after it, or NULL. */
static const char *parse_port(const char *p, unsigned int *port)
{
	unsigned long v = 0;
	int digits = 0;

	for (; isdigit((unsigned char)*p); p++) {
		if (++digits > 5)
			return NULL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (!digits || v < 1 || v > 65535)
		return NULL;
	*port = (unsigned int)v;
	return p;
}

int tg_parse_ports(const char *text, struct tg_portset *set, char *why, size_t whylen)
{
	const char *p = skip_space(text);

	memset(set, 0, sizeof(*set));
	if (!*p) {
		snprintf(why, whylen, "empty port list");
		return -EINVAL;
	}
	for (;;) {
		const char *start = p;
		unsigned int lo, hi, port;

		p = parse_port(p, &lo);
		if (!p) {
			snprintf(why, whylen, "bad port at '%s' (ports are 1-65535)", start);
			return -EINVAL;
		}
		hi = lo;
		p = skip_space(p);
		if (*p == '-') {
			p = parse_port(skip_space(p + 1), &hi);
			if (!p || hi < lo) {
				snprintf(why, whylen, "bad port range at '%s'", start);
				return -EINVAL;
			}
			p = skip_space(p);
		}
		for (port = lo; port <= hi; port++)
			tg_portset_add(set, port);
		if (!*p)
			return 0;
		if (*p != ',') {
			snprintf(why, whylen, "expected ',' at '%s'", p);
			return -EINVAL;
		}
		p = skip_space(p + 1);
	}
}

void tg_format_ports(const struct tg_portset *set, char *buf, size_t len)
{
	unsigned int port = 1;
	size_t used = 0;

	buf[0] = '\0';
	while (port < TG_PORTS_MAX && used < len) {
		unsigned int end;
		int n;

		if (!tg_portset_has(set, port)) {
			port++;
			continue;
		}
		for (end = port; end + 1 < TG_PORTS_MAX && tg_portset_has(set, end + 1); end++)
			;
		if (end == port)
			n = snprintf(buf + used, len - used, "%s%u", used ? "," : "", port);
		else
			n = snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", port, end);
		if (n < 0)
			break;
		used += (size_t)n;
		port = end + 1;
	}
}

unsigned int tg_portset_count(const struct tg_portset *set)
{
	unsigned int i, n = 0;

	for (i = 0; i < TG_PORTS_MAX / 64; i++)
		n += (unsigned int)__builtin_popcountll(set->bits[i]);
	return n;
}
