// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_stats.c - tidegate stats: counters, once or every few seconds. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "commands.h"
#include "counters.h"
#include "iface.h"
#include "interrupt.h"
#include "output.h"
#include "parse.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Per-second rates of every counter between two readings. */
static struct json_object *rates_json(const struct tg_counters *a, const struct tg_counters *b,
				      double secs)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < TG_NR_COUNTERS; i++) {
		const struct tg_counter_def *d = &tg_counter_defs[i];
		double r = (double)(tg_counter_get(b, d) - tg_counter_get(a, d)) / secs;

		json_object_object_add(o, d->name, json_object_new_double(r));
	}
	return o;
}

static struct json_object *stats_json(const char *ifname, const struct tg_counters *c)
{
	struct json_object *o = tg_counters_json(c);

	json_object_object_add(o, "interface", json_object_new_string(ifname));
	return o;
}

int tg_cmd_stats(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct tg_counters prev, cur;
	double t_prev, t_cur;
	__u64 interval = 0;
	struct tg_maps m;
	int ret, err;

	if (cl->set[OPT_WATCH] && tg_parse_u64(cl->val[OPT_WATCH], 1, 86400, &interval))
		return tg_fail(TG_EXIT_USAGE, "--watch '%s': expected whole seconds from 1 to 86400",
			       cl->val[OPT_WATCH]);
	if ((ret = tg_require_caps("stats", TG_PRIV_MAPS)))
		return ret;
	if ((ret = tg_iface_open_maps(ifname, &m)))
		return ret;
	err = tg_counters_read(m.stats, &cur);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: reading counters: %s", ifname, strerror(-err));
		goto out;
	}
	tg_out_print(stats_json(ifname, &cur));
	if (!interval)
		goto out;

	tg_interrupt_on_signals();
	t_cur = now_s();
	while (!tg_interrupted) {
		struct json_object *o;
		struct timespec ts = { .tv_sec = (time_t)interval };

		if (nanosleep(&ts, NULL) && tg_interrupted)
			break;
		prev = cur;
		t_prev = t_cur;
		err = tg_counters_read(m.stats, &cur);
		if (err) {
			ret = tg_fail(TG_EXIT_FAIL, "%s: reading counters: %s (detached?)", ifname,
				      strerror(-err));
			goto out;
		}
		t_cur = now_s();
		o = stats_json(ifname, &cur);
		json_object_object_add(o, "per_second", rates_json(&prev, &cur, t_cur - t_prev));
		if (!tg_out_json())
			printf("\n");
		tg_out_print(o);
	}
out:
	tg_maps_close(&m);
	return ret;
}
