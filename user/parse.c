// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* parse.c - strict parsers for numbers and port lists. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <net/if.h>
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

bool tg_ifname_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!*p || strnlen(name, IF_NAMESIZE) == IF_NAMESIZE || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (; *p; p++)
		/* The kernel's isspace() counts Latin-1's no-break space too. */
		if (*p == '/' || *p == ':' || isspace(*p) || *p == 0xa0)
			return false;
	return true;
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

/* The next run of ports from *port on, as "P" or "P-Q"; 0 at the end. */
static int next_run(const struct tg_portset *set, unsigned int *port, char *out, size_t len)
{
	unsigned int p = *port, end;

	while (p < TG_PORTS_MAX && !tg_portset_has(set, p))
		p++;
	if (p >= TG_PORTS_MAX)
		return 0;
	for (end = p; end + 1 < TG_PORTS_MAX && tg_portset_has(set, end + 1); end++)
		;
	*port = end + 1;
	return end == p ? snprintf(out, len, "%u", p) : snprintf(out, len, "%u-%u", p, end);
}

size_t tg_format_ports(const struct tg_portset *set, char *buf, size_t len)
{
	static const char more[] = ",...";
	unsigned int port = 1;
	size_t need = 0, used = 0;
	bool cut = false;
	char run[16];
	int n;

	/* Whole runs only: a port cut in two would read as another port. */
	while ((n = next_run(set, &port, run, sizeof(run))) > 0) {
		size_t sep = need ? 1 : 0;

		need += sep + (size_t)n;
		if (cut || !len)
			continue;
		if (used + sep + (size_t)n + sizeof(more) > len) {
			/* Room for this run only if it is the last. */
			unsigned int peek = port;
			char rest[16];

			if (next_run(set, &peek, rest, sizeof(rest)) || used + sep + (size_t)n + 1 > len) {
				cut = true;
				continue;
			}
		}
		used += (size_t)snprintf(buf + used, len - used, "%s%s", sep ? "," : "", run);
	}
	if (len) {
		buf[used] = '\0';
		if (cut)
			snprintf(buf + used, len - used, "%s", used ? more : more + 1);
	}
	return need;
}

char *tg_ports_text(const struct tg_portset *set)
{
	size_t len = tg_format_ports(set, NULL, 0) + 1;
	char *buf = malloc(len);

	if (buf)
		tg_format_ports(set, buf, len);
	return buf;
}

unsigned int tg_portset_count(const struct tg_portset *set)
{
	unsigned int i, n = 0;

	for (i = 0; i < TG_PORTS_MAX / 64; i++)
		n += (unsigned int)__builtin_popcountll(set->bits[i]);
	return n;
}

int tg_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon;
	size_t hn;
	__u64 port;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		hn = (size_t)(end - text - 1);
		if (hn >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hn);
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return -EINVAL;
		hn = (size_t)(colon - text);
		if (hn >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hn);
	}
	host[hn] = '\0';
	if (tg_parse_u64(colon + 1, 1, 65535, &port))
		return -EINVAL;
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((__u16)port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((__u16)port);
		*len = sizeof(*s4);
	}
	return 0;
}
