// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_rules.c - an interface's limit rules and port groups, named by
 * prefix and by ports for the fleet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_rules.h"
#include "rules.h"

static int by_id(const void *a, const void *b)
{
	const struct tg_fleet_rule *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int by_zone(const void *a, const void *b)
{
	const struct tg_fleet_rule *const *x = a, *const *y = b;

	return strcmp((*x)->zone, (*y)->zone);
}

/* FNV-1a: the same rules hash the same on every member. */
static __u32 fnv1a(__u32 h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (__u8)*s) * 16777619U;
	return h;
}

/* A group's ports as written: "443" or "8000-8099". */
static void ports_format(const struct tg_port_group *g, char *buf, size_t len)
{
	if (g->port_lo == g->port_hi)
		snprintf(buf, len, "%u", g->port_lo);
	else
		snprintf(buf, len, "%u-%u", g->port_lo, g->port_hi);
}

int tg_fleet_rules_read(int rules_fd, const struct tg_port_group *groups, const char *zone,
			unsigned int v4_prefix, unsigned int v6_prefix,
			struct tg_fleet_rules *out)
{
	struct tg_rule_entry *e = NULL;
	const struct tg_fleet_rule **z;
	struct tg_fleet_rule *v;
	__u32 h = 2166136261U;
	int n, i, k = 0, nrules, ngroups = 0;

	n = tg_rules_read(rules_fd, &e);
	if (n < 0)
		return n;
	v = calloc((size_t)n + TG_PORT_GROUPS, sizeof(*v));
	z = calloc((size_t)n + TG_PORT_GROUPS, sizeof(*z));
	if (!v || !z) {
		free(e);
		free(v);
		free(z);
		return -ENOMEM;
	}
	/* In the trie's order (family, address, length): the members'
	 * hashes agree when their rules do, whatever order they came in. */
	for (i = 0; i < n; i++) {
		const struct tg_rule *r = &e[i].rule;
		bool shared = r->flags & TG_RULE_F_SHARED;
		char cidr[64], line[160];
		struct tg_cidr c;

		if (r->kind != TG_RULE_LIMIT)
			continue;
		tg_cidr_from_key(&e[i].key, &c);
		tg_cidr_format(&c, cidr, sizeof(cidr));
		v[k] = (struct tg_fleet_rule){
			.id = r->id,
			.v4_prefix = shared && c.family == 4 ? c.len : v4_prefix,
			.v6_prefix = shared && c.family == 6 ? c.len : v6_prefix,
			.interval_ns = r->interval_ns,
			.tolerance_ns = r->tolerance_ns,
		};
		snprintf(v[k].zone, sizeof(v[k].zone), "%s@%s", zone, cidr);
		snprintf(line, sizeof(line), "%s %u/%llu %u%s\n", cidr, r->rate_count,
			 (unsigned long long)r->rate_period_ns, r->burst, shared ? " shared" : "");
		h = fnv1a(h, line);
		k++;
	}
	free(e);
	nrules = k;
	/* By port, as the ids differ from member to member. */
	for (i = TG_PG_FIRST; groups && i < TG_PORT_GROUPS; i++) {
		const struct tg_port_group *g = &groups[i];
		char ports[16];

		if (!g->interval_ns)
			continue;
		ports_format(g, ports, sizeof(ports));
		v[k] = (struct tg_fleet_rule){
			.id = (__u32)i << TG_RULE_ID_BITS,
			.v4_prefix = v4_prefix,
			.v6_prefix = v6_prefix,
			.interval_ns = g->interval_ns,
			.tolerance_ns = g->tolerance_ns,
		};
		snprintf(v[k].zone, sizeof(v[k].zone), "%s#%s", zone, ports);
		ngroups++;
		k++;
	}
	qsort(v, (size_t)k, sizeof(*v), by_id);
	for (i = 0; i < k; i++)
		z[i] = &v[i];
	qsort(z, (size_t)k, sizeof(*z), by_zone);
	/* The groups hashed in the order of their names (by port), whatever
	 * ids they have here. */
	for (i = 0; i < k; i++) {
		const struct tg_port_group *g;
		char line[96];

		if (z[i]->id <= TG_RULE_ID_MAX)
			continue;
		g = &groups[z[i]->id >> TG_RULE_ID_BITS];
		snprintf(line, sizeof(line), "%s %u/%llu %u\n", strchr(z[i]->zone, '#'),
			 g->rate_count, (unsigned long long)g->rate_period_ns, g->burst);
		h = fnv1a(h, line);
	}
	free(out->v);
	free(out->by_zone);
	out->v = v;
	out->by_zone = z;
	out->n = k;
	if (ngroups)
		snprintf(out->sig, sizeof(out->sig), "%d limit rule%s, %d port group%s #%08x",
			 nrules, nrules == 1 ? "" : "s", ngroups, ngroups == 1 ? "" : "s", h);
	else if (k)
		snprintf(out->sig, sizeof(out->sig), "%d limit rule%s #%08x", k, k == 1 ? "" : "s",
			 h);
	else
		snprintf(out->sig, sizeof(out->sig), "no limit rules");
	return 0;
}

void tg_fleet_rules_free(struct tg_fleet_rules *r)
{
	free(r->v);
	free(r->by_zone);
	memset(r, 0, sizeof(*r));
}

const struct tg_fleet_rule *tg_fleet_rule_by_id(const struct tg_fleet_rules *r, __u32 id)
{
	struct tg_fleet_rule k = { .id = id };

	return r->n ? bsearch(&k, r->v, (size_t)r->n, sizeof(*r->v), by_id) : NULL;
}

const struct tg_fleet_rule *tg_fleet_rule_by_zone(const struct tg_fleet_rules *r,
						  const char *zone, size_t len)
{
	struct tg_fleet_rule k = { 0 };
	const struct tg_fleet_rule *kp = &k, *const *hit;

	if (!r->n || len >= sizeof(k.zone))
		return NULL;
	memcpy(k.zone, zone, len);
	hit = bsearch(&kp, r->by_zone, (size_t)r->n, sizeof(*r->by_zone), by_zone);
	return hit ? *hit : NULL;
}
