// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_stats.c - tidegate stats: counters, once, or rates every few seconds. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caps.h"
#include "commands.h"
#include "counters.h"
#include "fleet.h"
#include "iface.h"
#include "interrupt.h"
#include "live.h"
#include "numfmt.h"
#include "output.h"
#include "parse.h"
#include "port_limits.h"

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

/*
 * The columns of `stats --watch` as text, one line per interval: the
 * counters a person follows live, by their names in TG_COUNTERS.
 * --json has every counter.
 */
static const char *const watch_cols[] = { "packets",    "syn",        "allowed",
					  "dropped",    "would_drop", "new_source",
					  "cookie_sent", "deny_all" };
#define NR_WATCH_COLS (sizeof(watch_cols) / sizeof(watch_cols[0]))
#define RATE_WIDTH    7 /* "12.3k/s" */

static int col_width(size_t i)
{
	int n = (int)strlen(watch_cols[i]);

	return n > RATE_WIDTH ? n : RATE_WIDTH;
}

/* watch_cols as rows of tg_counter_defs; the name of a column that is
 * no counter (a test of the text output fails on it), NULL if none. */
static const char *watch_defs(const struct tg_counter_def *defs[NR_WATCH_COLS])
{
	size_t i, k;

	for (i = 0; i < NR_WATCH_COLS; i++) {
		for (k = 0; k < TG_NR_COUNTERS && strcmp(tg_counter_defs[k].name, watch_cols[i]); k++)
			;
		if (k == TG_NR_COUNTERS)
			return watch_cols[i];
		defs[i] = &tg_counter_defs[k];
	}
	return NULL;
}

static void watch_header(void)
{
	char name[32];
	size_t i, j;

	printf("%-8s", "TIME");
	for (i = 0; i < NR_WATCH_COLS; i++) {
		for (j = 0; watch_cols[i][j] && j < sizeof(name) - 1; j++)
			name[j] = (char)toupper((unsigned char)watch_cols[i][j]);
		name[j] = '\0';
		printf("  %*s", col_width(i), name);
	}
	printf("\n");
	fflush(stdout);
}

/* One line: the time, and each column's rate rounded (numfmt.h). */
static void watch_line(const struct tg_counter_def *defs[NR_WATCH_COLS],
		       const struct tg_counters *a, const struct tg_counters *b, double secs)
{
	char num[TG_NUM_MAX], cell[TG_NUM_MAX + 2], hms[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	strftime(hms, sizeof(hms), "%H:%M:%S", localtime_r(&now, &tm));
	printf("%-8s", hms);
	for (i = 0; i < NR_WATCH_COLS; i++) {
		double r = (double)(tg_counter_get(b, defs[i]) - tg_counter_get(a, defs[i])) / secs;

		snprintf(cell, sizeof(cell), "%s/s", tg_num_short(r, num));
		printf("  %*s", col_width(i), cell);
	}
	printf("\n");
	fflush(stdout);
}

/*
 * The limited SYNs by port group: the interface's limit (group 1, its
 * --ports) and each group of its own in force, or no longer in force
 * but with counts. NULL when the maps cannot be read.
 */
static struct json_object *port_groups_json(const struct tg_maps *m)
{
	struct tg_port_counters pc[TG_PORT_GROUPS];
	struct json_object *a;
	struct tg_limits l;
	char buf[64], *text;
	int g, i;

	if (tg_port_counters_read(m->pstats, pc) || tg_live_read(m, &l))
		return NULL;
	a = json_object_new_array();
	for (g = TG_PG_DEFAULT; g < TG_PORT_GROUPS; g++) {
		struct json_object *o;

		if (g >= TG_PG_FIRST && !l.groups[g].hi && !pc[g].syn)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "group", json_object_new_int(g));
		if (g == TG_PG_DEFAULT) {
			text = tg_ports_text(&l.ports);
			json_object_object_add(o, "ports", json_object_new_string(text ? text : ""));
			free(text);
		} else if (l.groups[g].hi) {
			tg_port_range_format(&l.groups[g], buf, sizeof(buf));
			json_object_object_add(o, "ports", json_object_new_string(buf));
		} else {
			json_object_object_add(o, "ports", NULL); /* removed since */
		}
		for (i = 0; i < TG_NR_PORT_COUNTERS; i++)
			json_object_object_add(o, tg_port_counter_names[i],
					       json_object_new_int64((int64_t)tg_port_counter_get(
						       &pc[g], i)));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *stats_json(const char *ifname, const struct tg_counters *c,
				      const struct tg_maps *m, int fleet_fd)
{
	struct json_object *o = tg_counters_json(c), *pg = port_groups_json(m), *fleet;

	json_object_object_add(o, "interface", json_object_new_string(ifname));
	if (pg)
		json_object_object_add(o, "port_groups", pg);
	/* Fleet mode: what the daemon pushed and read, beside fleet_denied. */
	fleet = fleet_fd >= 0 ? tg_fleet_json(fleet_fd) : NULL;
	if (fleet)
		json_object_object_add(o, "fleet", fleet);
	return o;
}

int tg_cmd_stats(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	const struct tg_counter_def *defs[NR_WATCH_COLS];
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
	/* JSON: the totals, then an object per interval with per_second.
	 * Text: the totals, or a line of rates per interval. */
	if (!interval || tg_out_json())
		tg_out_print(stats_json(ifname, &cur, &m, m.fleet));
	if (!interval)
		goto out;
	if (!tg_out_json()) {
		const char *bad = watch_defs(defs);

		if (bad) {
			ret = tg_fail(TG_EXIT_FAIL, "stats --watch: no counter '%s'", bad);
			goto out;
		}
		watch_header();
	}

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
		if (!tg_out_json()) {
			watch_line(defs, &prev, &cur, t_cur - t_prev);
			continue;
		}
		o = stats_json(ifname, &cur, &m, -1);
		json_object_object_add(o, "per_second", rates_json(&prev, &cur, t_cur - t_prev));
		tg_out_print(o);
	}
out:
	tg_maps_close(&m);
	return ret;
}
