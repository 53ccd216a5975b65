// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* limit_opts.c - from --rate, --burst, ... to struct tg_limits. */
#include <json-c/json.h>

#include "action.h"
#include "limit_opts.h"
#include "output.h"

static int parse_num(const struct tg_cmdline *cl, int id, __u64 min, __u64 max, __u64 *out)
{
	if (tg_parse_u64(cl->val[id], min, max, out))
		return tg_fail(TG_EXIT_USAGE, "--%s '%s': expected a whole number from %llu to %llu",
			       tg_opt_defs[id].name, cl->val[id], (unsigned long long)min,
			       (unsigned long long)max);
	return 0;
}

int tg_limit_opts_apply(const struct tg_cmdline *cl, struct tg_limits *l)
{
	struct tg_config cfg;
	char why[160];
	__u64 v;

	if (cl->set[OPT_RATE]) {
		if (tg_rate_parse(cl->val[OPT_RATE], &l->rate, why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "--rate '%s': %s", cl->val[OPT_RATE], why);
		l->burst = 0;
	}
	if (cl->set[OPT_BURST]) {
		if (parse_num(cl, OPT_BURST, 1, TG_MAX_BURST, &v))
			return TG_EXIT_USAGE;
		l->burst = v;
	}
	if (cl->set[OPT_PORTS] &&
	    tg_parse_ports(cl->val[OPT_PORTS], &l->ports, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "--ports '%s': %s", cl->val[OPT_PORTS], why);
	if (cl->set[OPT_V4_PREFIX]) {
		if (parse_num(cl, OPT_V4_PREFIX, 1, 32, &v))
			return TG_EXIT_USAGE;
		l->v4_prefix = (unsigned int)v;
	}
	if (cl->set[OPT_V6_PREFIX]) {
		if (parse_num(cl, OPT_V6_PREFIX, 1, 128, &v))
			return TG_EXIT_USAGE;
		l->v6_prefix = (unsigned int)v;
	}
	if (cl->set[OPT_MAX_SOURCES]) {
		if (parse_num(cl, OPT_MAX_SOURCES, 1, TG_MAX_MAX_SOURCES, &v))
			return TG_EXIT_USAGE;
		l->max_sources = (__u32)v;
	}
	if (cl->set[OPT_ACTION] &&
	    tg_action_parse(cl->val[OPT_ACTION], &l->action, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "--action '%s': %s", cl->val[OPT_ACTION], why);
	if (cl->set[OPT_RST_BUDGET]) {
		if (parse_num(cl, OPT_RST_BUDGET, 1, TG_MAX_RST_BUDGET, &v))
			return TG_EXIT_USAGE;
		l->rst_budget = (__u32)v;
	}
	if (cl->set[OPT_LOG_INTERVAL]) {
		if (parse_num(cl, OPT_LOG_INTERVAL, 1, TG_MAX_LOG_INTERVAL, &v))
			return TG_EXIT_USAGE;
		l->log_interval = (__u32)v;
	}
	if (cl->set[OPT_LOG_BUDGET]) {
		if (parse_num(cl, OPT_LOG_BUDGET, 1, TG_MAX_LOG_BUDGET, &v))
			return TG_EXIT_USAGE;
		l->log_budget = (__u32)v;
	}
	if (cl->set[OPT_DRY_RUN] && cl->set[OPT_NO_DRY_RUN])
		return tg_fail(TG_EXIT_USAGE, "--dry-run and --enforce contradict each other");
	if (cl->set[OPT_DRY_RUN])
		l->dry_run = true;
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
