// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* port_limits.c - ports with a limit of their own, as groups. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "port_limits.h"

int tg_port_range_parse(const char *text, __u16 *lo, __u16 *hi, char *why, size_t whylen)
{
	char buf[16], *dash;
	__u64 a, b;

	if (strlen(text) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", text);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (tg_parse_u64(buf, 1, 65535, &a))
		goto bad;
	b = a;
	if (dash && tg_parse_u64(dash + 1, 1, 65535, &b))
		goto bad;
	if (b < a) {
		snprintf(why, whylen, "range %llu-%llu runs backwards", (unsigned long long)a,
			 (unsigned long long)b);
		return -EINVAL;
	}
	*lo = (__u16)a;
	*hi = (__u16)b;
	return 0;
bad:
	snprintf(why, whylen, "expected a port or a range of ports, 1-65535 (22, 8000-8080)");
	return -EINVAL;
}

void tg_port_range_format(const struct tg_port_limit *g, char *buf, size_t len)
{
	if (g->lo == g->hi)
		snprintf(buf, len, "%u", g->lo);
	else
		snprintf(buf, len, "%u-%u", g->lo, g->hi);
}

/* The group of exactly lo-hi, else 0; *overlap: a group the range
 * shares a port with (0: none). */
static int find_group(const struct tg_limits *l, __u16 lo, __u16 hi, int *overlap)
{
	int g;

	*overlap = 0;
	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_limit *p = &l->groups[g];

		if (!p->hi)
			continue;
		if (p->lo == lo && p->hi == hi)
			return g;
		if (p->lo <= hi && lo <= p->hi)
			*overlap = g;
	}
	return 0;
}

static int overlap_why(const struct tg_limits *l, int g, char *why, size_t whylen)
{
	char ports[16];

	tg_port_range_format(&l->groups[g], ports, sizeof(ports));
	snprintf(why, whylen, "ports %s have a limit of their own already; give them "
		 "--port %s --default first", ports, ports);
	return -EINVAL;
}

int tg_port_limit_put(struct tg_limits *l, __u16 lo, __u16 hi, const struct tg_rate *rate,
		      __u64 burst, char *why, size_t whylen)
{
	int overlap, g = find_group(l, lo, hi, &overlap);

	if (!g && overlap)
		return overlap_why(l, overlap, why, whylen);
	if (!g) {
		for (g = TG_PG_FIRST; g < TG_PORT_GROUPS && l->groups[g].hi; g++)
			;
		if (g == TG_PORT_GROUPS) {
			snprintf(why, whylen, "at most %d port groups have a limit of their own",
				 TG_PORT_GROUPS - TG_PG_FIRST);
			return -ENOSPC;
		}
		/* A burst alone: the interface's rate, in buckets apart. */
		l->groups[g] = (struct tg_port_limit){ .lo = lo, .hi = hi, .rate = l->rate };
	}
	if (rate) {
		l->groups[g].rate = *rate;
		l->groups[g].burst = 0; /* a rate resets the burst, as --rate does */
	}
	if (burst)
		l->groups[g].burst = burst;
	return 0;
}

int tg_port_limit_default(struct tg_limits *l, __u16 lo, __u16 hi, char *why, size_t whylen)
{
	int overlap, g = find_group(l, lo, hi, &overlap);
	unsigned int port;

	if (!g && overlap)
		return overlap_why(l, overlap, why, whylen);
	if (g)
		memset(&l->groups[g], 0, sizeof(l->groups[g]));
	for (port = lo; port <= hi; port++)
		tg_portset_add(&l->ports, port);
	return 0;
}

int tg_port_limit_parse(struct tg_limits *l, const char *text, char *why, size_t whylen)
{
	char buf[128], *words[4], *save = NULL, *w, sub[128];
	__u64 burst = 0, interval, tolerance;
	struct tg_rate rate;
	__u16 lo, hi;
	int n = 0;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, whylen, "too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, " \t", &save); w && n < 5; w = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			goto usage;
		words[n++] = w;
	}
	if ((n != 2 && n != 4) || (n == 4 && strcmp(words[2], "--burst")))
		goto usage;
	if (tg_port_range_parse(words[0], &lo, &hi, sub, sizeof(sub))) {
		snprintf(why, whylen, "ports '%s': %s", words[0], sub);
		return -EINVAL;
	}
	if (tg_rate_parse(words[1], &rate, sub, sizeof(sub))) {
		snprintf(why, whylen, "rate '%s': %s", words[1], sub);
		return -EINVAL;
	}
	if (n == 4 && tg_parse_u64(words[3], 1, TG_MAX_BURST, &burst)) {
		snprintf(why, whylen, "--burst '%s': expected 1 to %llu", words[3], TG_MAX_BURST);
		return -EINVAL;
	}
	/* Burst x interval, checked here so the line is the one named. */
	if (tg_limit_check(&rate, burst ? burst : rate.count, &interval, &tolerance, why, whylen))
		return -EINVAL;
	return tg_port_limit_put(l, lo, hi, &rate, burst, why, whylen);
usage:
	snprintf(why, whylen, "expected PORTS RATE [--burst N] (22 3/minute --burst 3)");
	return -EINVAL;
}

__u8 tg_port_group_of(const struct tg_limits *l, unsigned int port)
{
	int g;

	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++)
		if (l->groups[g].hi && l->groups[g].lo <= port && port <= l->groups[g].hi)
			return (__u8)g;
	return tg_portset_has(&l->ports, port) ? TG_PG_DEFAULT : TG_PG_NONE;
}

bool tg_port_limits_equal(const struct tg_limits *a, const struct tg_limits *b)
{
	int g;

	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_limit *x = &a->groups[g], *y = &b->groups[g];

		if (x->lo != y->lo || x->hi != y->hi)
			return false;
		if (x->hi && (x->rate.count != y->rate.count || x->rate.period_ns != y->rate.period_ns ||
			      (x->burst ?: x->rate.count) != (y->burst ?: y->rate.count)))
			return false;
	}
	return true;
}

int tg_port_groups_align(struct tg_limits *want, const struct tg_limits *in_force, char *why,
			 size_t whylen)
{
	struct tg_port_limit out[TG_PORT_GROUPS] = { 0 };
	bool taken[TG_PORT_GROUPS] = { false };
	int g, h, next = TG_PG_FIRST;

	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++)
		taken[g] = in_force->groups[g].hi != 0;
	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_limit *w = &want->groups[g];

		if (!w->hi)
			continue;
		for (h = TG_PG_FIRST; h < TG_PORT_GROUPS; h++)
			if (in_force->groups[h].lo == w->lo && in_force->groups[h].hi == w->hi)
				break;
		if (h == TG_PORT_GROUPS) {
			while (next < TG_PORT_GROUPS && (taken[next] || out[next].hi))
				next++;
			if (next == TG_PORT_GROUPS) {
				snprintf(why, whylen, "too many port groups at once (at most %d in "
					 "force and new together): remove some first",
					 TG_PORT_GROUPS - TG_PG_FIRST);
				return -ENOSPC;
			}
			h = next;
		}
		out[h] = *w;
	}
	memcpy(want->groups, out, sizeof(out));
	return 0;
}
