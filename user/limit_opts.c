// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* limit_opts.c - an interface's options, from --rate, --mode, ... or the
 * file's keys to struct tg_iface_conf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "action.h"
#include "attach.h"
#include "limit_opts.h"
#include "output.h"
#include "port_limits.h"

static int parse_num(const char *text, __u64 min, __u64 max, __u64 *out, char *why,
		     size_t whylen)
{
	if (tg_parse_u64(text, min, max, out)) {
		snprintf(why, whylen, "expected a whole number from %llu to %llu",
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

/* A rate such as 5000/second (or 300000/minute) as a whole number per
 * second, 1 to max. */
static int parse_per_second(const char *text, __u32 max, __u32 *out, char *why, size_t whylen)
{
	struct tg_rate r;
	__u64 per_s;

	if (tg_rate_parse(text, &r, why, whylen))
		return -EINVAL;
	per_s = r.count * TG_NSEC_PER_SEC / r.period_ns;
	if (per_s < 1 || per_s > max) {
		snprintf(why, whylen, "expected 1/second to %u/second", max);
		return -ERANGE;
	}
	*out = (__u32)per_s;
	return 0;
}

int tg_limit_set(struct tg_limits *l, int id, const char *text, char *why, size_t whylen)
{
	__u64 v;
	bool b;

	switch (id) {
	case OPT_RATE:
		if (tg_rate_parse(text, &l->rate, why, whylen))
			return -EINVAL;
		l->burst = 0;
		return 0;
	case OPT_BURST:
		if (parse_num(text, 1, TG_MAX_BURST, &v, why, whylen))
			return -EINVAL;
		l->burst = v;
		return 0;
	case OPT_PORTS:
		return tg_parse_ports(text, &l->ports, why, whylen) ? -EINVAL : 0;
	case OPT_V4_PREFIX:
		if (parse_num(text, 1, 32, &v, why, whylen))
			return -EINVAL;
		l->v4_prefix = (unsigned int)v;
		return 0;
	case OPT_V6_PREFIX:
		if (parse_num(text, 1, 128, &v, why, whylen))
			return -EINVAL;
		l->v6_prefix = (unsigned int)v;
		return 0;
	case OPT_MAX_SOURCES:
		if (parse_num(text, 1, TG_MAX_MAX_SOURCES, &v, why, whylen))
			return -EINVAL;
		l->max_sources = (__u32)v;
		return 0;
	case OPT_NO_DRY_RUN:
		l->dry_run = false;
		return 0;
	case OPT_DRY_RUN:
		if (!text)
			b = true;
		else if (tg_parse_bool(text, &b)) {
			snprintf(why, whylen, "expected yes or no");
			return -EINVAL;
		}
		l->dry_run = b;
		return 0;
	case OPT_ACTION:
		return tg_action_parse(text, &l->action, why, whylen) ? -EINVAL : 0;
	case OPT_RST_BUDGET:
		if (parse_num(text, 1, TG_MAX_RST_BUDGET, &v, why, whylen))
			return -EINVAL;
		l->rst_budget = (__u32)v;
		return 0;
	case OPT_LOG_INTERVAL:
		if (parse_num(text, 1, TG_MAX_LOG_INTERVAL, &v, why, whylen))
			return -EINVAL;
		l->log_interval = (__u32)v;
		return 0;
	case OPT_LOG_BUDGET:
		if (parse_num(text, 1, TG_MAX_LOG_BUDGET, &v, why, whylen))
			return -EINVAL;
		l->log_budget = (__u32)v;
		return 0;
	case OPT_SYN_COOKIES:
		if (tg_cookie_mode_parse(text, &l->syn_cookies)) {
			snprintf(why, whylen, "expected off, on or auto");
			return -EINVAL;
		}
		return 0;
	case OPT_NEW_SOURCE_RATE:
		return parse_per_second(text, TG_MAX_NEW_SOURCE_RATE, &l->new_source_rate, why,
					whylen) ? -EINVAL : 0;
	case OPT_COOKIE_BUDGET:
		return parse_per_second(text, TG_MAX_COOKIE_BUDGET, &l->cookie_budget, why,
					whylen) ? -EINVAL : 0;
	case OPT_PORT_LIMIT:
		return tg_port_limit_parse(l, text, why, whylen) ? -EINVAL : 0;
	}
	snprintf(why, whylen, "not a limit");
	return -ENOENT;
}

void tg_iface_conf_default(struct tg_iface_conf *ic, const char *name)
{
	memset(ic, 0, sizeof(*ic));
	snprintf(ic->name, sizeof(ic->name), "%s", name);
	snprintf(ic->zone, sizeof(ic->zone), "%s", name);
	ic->mode = XDP_MODE_NATIVE;
	tg_limits_default(&ic->limits);
}

static int add_rule(struct tg_iface_conf *ic, const char *text, char *why, size_t whylen)
{
	struct tg_rule_spec *spec;
	int k;

	if (ic->nrules == TG_CONF_MAX_RULES) {
		snprintf(why, whylen, "more than %d rules", TG_CONF_MAX_RULES);
		return -EINVAL;
	}
	spec = &ic->rules[ic->nrules].spec;
	if (tg_rule_spec_parse(text, spec, why, whylen))
		return -EINVAL;
	for (k = 0; k < ic->nrules; k++) {
		const struct tg_cidr *a = &ic->rules[k].spec.cidr;

		if (a->family == spec->cidr.family && a->len == spec->cidr.len &&
		    !memcmp(a->addr, spec->cidr.addr, sizeof(a->addr))) {
			snprintf(why, whylen, "duplicate: line %d has a rule for the same prefix",
				 ic->rules[k].line);
			return -EINVAL;
		}
	}
	ic->rules[ic->nrules++].line = 0;
	return 0;
}

int tg_iface_set(struct tg_iface_conf *ic, int id, const char *text, char *why,
		 size_t whylen)
{
	switch (id) {
	case OPT_MODE:
		if (tg_parse_mode(text, &ic->mode)) {
			snprintf(why, whylen, "expected native or skb");
			return -EINVAL;
		}
		return 0;
	case OPT_ZONE:
		/* Checked before it is stored: two long zones cut to the
		 * same prefix would share their Redis keys. */
		if (!tg_valid_name(text, sizeof(ic->zone))) {
			snprintf(why, whylen, "expected 1-%zu letters, digits, '.', '_' or '-'",
				 sizeof(ic->zone) - 1);
			return -EINVAL;
		}
		snprintf(ic->zone, sizeof(ic->zone), "%s", text);
		return 0;
	case OPT_RULE:
		return add_rule(ic, text, why, whylen);
	}
	return tg_limit_set(&ic->limits, id, text, why, whylen);
}

/*
 * --port PORTS with --rate and --burst (their limit) or --default: the
 * ports' own limit, not the interface's. Checked whole before it is
 * applied, so a bad value changes nothing.
 */
static int apply_port(const struct tg_cmdline *cl, struct tg_limits *l)
{
	struct tg_rate rate;
	__u64 burst = 0;
	char why[200];
	__u16 lo, hi;
	int err;

	if (tg_port_range_parse(cl->val[OPT_PORT], &lo, &hi, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "--port '%s': %s", cl->val[OPT_PORT], why);
	if (cl->set[OPT_DEFAULT]) {
		if (cl->set[OPT_RATE] || cl->set[OPT_BURST])
			return tg_fail(TG_EXIT_USAGE, "--port %s: --default and --%s contradict "
				       "each other", cl->val[OPT_PORT],
				       cl->set[OPT_RATE] ? "rate" : "burst");
		err = tg_port_limit_default(l, lo, hi, why, sizeof(why));
	} else {
		if (cl->set[OPT_RATE] && tg_rate_parse(cl->val[OPT_RATE], &rate, why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "--rate '%s': %s", cl->val[OPT_RATE], why);
		if (cl->set[OPT_BURST] && tg_parse_u64(cl->val[OPT_BURST], 1, TG_MAX_BURST, &burst))
			return tg_fail(TG_EXIT_USAGE, "--burst '%s': expected a whole number from 1 "
				       "to %llu", cl->val[OPT_BURST], TG_MAX_BURST);
		if (!cl->set[OPT_RATE] && !cl->set[OPT_BURST])
			return tg_fail(TG_EXIT_USAGE, "--port %s: give --rate RATE [--burst N], "
				       "or --default", cl->val[OPT_PORT]);
		err = tg_port_limit_put(l, lo, hi, cl->set[OPT_RATE] ? &rate : NULL, burst, why,
					sizeof(why));
	}
	if (err)
		return tg_fail(TG_EXIT_USAGE, "--port '%s': %s", cl->val[OPT_PORT], why);
	return 0;
}

/* With --port, --rate and --burst are the ports' (apply_port). */
static bool port_takes(const struct tg_cmdline *cl, int id)
{
	return id == OPT_PORT || id == OPT_DEFAULT ||
	       (cl->set[OPT_PORT] && (id == OPT_RATE || id == OPT_BURST));
}

int tg_iface_opts_apply(const struct tg_cmdline *cl, struct tg_iface_conf *ic)
{
	struct tg_config cfg;
	char why[160];
	int id, ret;

	if (cl->set[OPT_DRY_RUN] && cl->set[OPT_NO_DRY_RUN])
		return tg_fail(TG_EXIT_USAGE, "--dry-run and --enforce contradict each other");
	if (cl->set[OPT_DEFAULT] && !cl->set[OPT_PORT])
		return tg_fail(TG_EXIT_USAGE, "--default: name the ports with --port PORTS");
	if (cl->set[OPT_PORT] && (ret = apply_port(cl, &ic->limits)))
		return ret;
	for (id = 0; id < OPT__MAX; id++) {
		if (!cl->set[id] || !tg_opt_per_iface(id) || port_takes(cl, id))
			continue;
		if (tg_iface_set(ic, id, cl->val[id], why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "--%s '%s': %s", tg_opt_defs[id].name,
				       cl->val[id] ? cl->val[id] : "", why);
	}
	/* Catch combinations no single option shows: burst x interval. */
	if (tg_limits_to_config(&ic->limits, &cfg, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "%s", why);
	return 0;
}

/* The ports with a limit of their own: one object per group, by id. */
static struct json_object *port_limits_json(const struct tg_limits *l)
{
	struct json_object *a = json_object_new_array();
	char buf[64];
	int g;

	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_limit *pl = &l->groups[g];
		struct json_object *o;

		if (!pl->hi)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "group", json_object_new_int(g));
		tg_port_range_format(pl, buf, sizeof(buf));
		json_object_object_add(o, "ports", json_object_new_string(buf));
		tg_rate_format(&pl->rate, buf, sizeof(buf));
		json_object_object_add(o, "rate", json_object_new_string(buf));
		json_object_object_add(o, "burst", json_object_new_int64((int64_t)(
			pl->burst ? pl->burst : pl->rate.count)));
		json_object_object_add(o, "interval_ns",
				       json_object_new_int64((int64_t)tg_rate_interval_ns(&pl->rate)));
		tg_json_rate_add(o, "rate_", &pl->rate);
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *tg_limit_json(const struct tg_limits *l, int id)
{
	char buf[512];

	switch (id) {
	case OPT_RATE:
		tg_rate_format(&l->rate, buf, sizeof(buf));
		return json_object_new_string(buf);
	case OPT_BURST:
		return json_object_new_int64((int64_t)tg_limits_burst(l));
	case OPT_PORTS: {
		char *text = tg_ports_text(&l->ports);
		struct json_object *o = text ? json_object_new_string(text) : NULL;

		free(text);
		return o;
	}
	case OPT_V4_PREFIX:
		return json_object_new_int((int)l->v4_prefix);
	case OPT_V6_PREFIX:
		return json_object_new_int((int)l->v6_prefix);
	case OPT_MAX_SOURCES:
		return json_object_new_int64(l->max_sources);
	case OPT_DRY_RUN:
		return json_object_new_boolean(l->dry_run);
	case OPT_ACTION:
		tg_action_format(&l->action, buf, sizeof(buf));
		return json_object_new_string(buf);
	case OPT_RST_BUDGET:
		return json_object_new_int64(l->rst_budget);
	case OPT_LOG_INTERVAL:
		return json_object_new_int64(l->log_interval);
	case OPT_LOG_BUDGET:
		return json_object_new_int64(l->log_budget);
	case OPT_SYN_COOKIES:
		return json_object_new_string(tg_cookie_mode_name(l->syn_cookies));
	case OPT_NEW_SOURCE_RATE:
		snprintf(buf, sizeof(buf), "%u/second", tg_limits_new_source_rate(l));
		return json_object_new_string(buf);
	case OPT_COOKIE_BUDGET:
		snprintf(buf, sizeof(buf), "%u/second", l->cookie_budget);
		return json_object_new_string(buf);
	case OPT_PORT_LIMIT:
		return port_limits_json(l);
	}
	return NULL;
}

struct json_object *tg_limits_json(const struct tg_limits *l)
{
	struct json_object *o = json_object_new_object(), *v;
	char key[64];
	int id;
	size_t i;

	for (id = 0; id < OPT__MAX; id++) {
		v = tg_limit_json(l, id);
		if (!v)
			continue;
		snprintf(key, sizeof(key), "%s", tg_opt_defs[id].name);
		for (i = 0; key[i]; i++)
			if (key[i] == '-')
				key[i] = '_';
		json_object_object_add(o, key, v);
	}
	json_object_object_add(o, "interval_ns",
			       json_object_new_int64((int64_t)tg_rate_interval_ns(&l->rate)));
	/* Numbers beside the display strings, for programs. */
	tg_json_rate_add(o, "rate_", &l->rate);
	json_object_object_add(o, "cookie_budget_per_s", json_object_new_int64(l->cookie_budget));
	json_object_object_add(o, "new_source_rate_per_s",
			       json_object_new_int64(tg_limits_new_source_rate(l)));
	return o;
}
