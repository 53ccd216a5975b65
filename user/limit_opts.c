// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* limit_opts.c - from --rate, --burst, ... to struct tg_limits. */
#include <errno.h>
#include <stdio.h>

#include <json-c/json.h>

#include "action.h"
#include "limit_opts.h"
#include "output.h"

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

/* The order settings are applied in, whatever order they were written. */
static const int limit_keys[] = { OPT_RATE, OPT_BURST, OPT_PORTS, OPT_V4_PREFIX,
				  OPT_V6_PREFIX, OPT_MAX_SOURCES, OPT_DRY_RUN, OPT_ACTION,
				  OPT_RST_BUDGET, OPT_LOG_INTERVAL, OPT_LOG_BUDGET };

bool tg_limit_is_key(int id)
{
	size_t i;

	for (i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++)
		if (limit_keys[i] == id)
			return true;
	return false;
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
	}
	snprintf(why, whylen, "not a limit");
	return -EINVAL;
}

int tg_limit_opts_apply(const struct tg_cmdline *cl, struct tg_limits *l)
{
	struct tg_config cfg;
	char why[160];
	size_t i;

	if (cl->set[OPT_DRY_RUN] && cl->set[OPT_NO_DRY_RUN])
		return tg_fail(TG_EXIT_USAGE, "--dry-run and --enforce contradict each other");
	for (i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++) {
		int id = limit_keys[i];

		if (!cl->set[id])
			continue;
		if (tg_limit_set(l, id, cl->val[id], why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "--%s '%s': %s", tg_opt_defs[id].name,
				       cl->val[id], why);
	}
	if (cl->set[OPT_NO_DRY_RUN])
		l->dry_run = false;
	/* Catch combinations no single option shows: burst x interval. */
	if (tg_limits_to_config(l, &cfg, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "%s", why);
	return 0;
}

struct json_object *tg_limits_json(const struct tg_limits *l)
{
	struct json_object *o = json_object_new_object();
	char buf[512];

	tg_rate_format(&l->rate, buf, sizeof(buf));
	json_object_object_add(o, "rate", json_object_new_string(buf));
	json_object_object_add(o, "burst", json_object_new_int64((int64_t)tg_limits_burst(l)));
	json_object_object_add(o, "interval_ns",
			       json_object_new_int64((int64_t)tg_rate_interval_ns(&l->rate)));
	tg_format_ports(&l->ports, buf, sizeof(buf));
	json_object_object_add(o, "ports", json_object_new_string(buf));
	json_object_object_add(o, "v4_prefix", json_object_new_int((int)l->v4_prefix));
	json_object_object_add(o, "v6_prefix", json_object_new_int((int)l->v6_prefix));
	json_object_object_add(o, "max_sources", json_object_new_int64(l->max_sources));
	json_object_object_add(o, "dry_run", json_object_new_boolean(l->dry_run));
	tg_action_format(&l->action, buf, sizeof(buf));
	json_object_object_add(o, "action", json_object_new_string(buf));
	json_object_object_add(o, "rst_budget", json_object_new_int64(l->rst_budget));
	json_object_object_add(o, "log_interval", json_object_new_int64(l->log_interval));
	json_object_object_add(o, "log_budget", json_object_new_int64(l->log_budget));
	return o;
}
