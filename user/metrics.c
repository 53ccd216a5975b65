// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics.c - the Prometheus text format, from a snapshot. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "metrics.h"
#include "numfmt.h"
#include "port_limits.h"

static const char *const fam_names[TG_NR_FAMILIES] = { "ipv4", "ipv6" };

/* Label values are interface names: escape what the format requires. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void iface_sample(FILE *f, const char *name, const char *ifname, const char *extra,
			 unsigned long long v)
{
	fprintf(f, "%s{interface=\"", name);
	label(f, ifname);
	fprintf(f, "\"%s} %llu\n", extra ? extra : "", v);
}

/*
 * The labelled families of tg_stats' counters: the name of their label
 * and their help. Every other metric in TG_COUNTERS is a series of its
 * own, with the counter's help.
 */
static const struct {
	const char *metric, *key, *help;
} labelled[] = {
	{ "syn_total", "verdict",
	  "SYNs to limited ports, by address family and verdict (would_drop: dry-run)." },
	{ "passed_total", "reason", "Packets passed without limiting, by reason." },
	{ "rule_syn_total", "kind", "SYNs to limited ports that matched a rule, by its kind." },
	{ "action_total", "action",
	  "Dropped SYNs by what was done with them (rst_over_budget, rst_skipped and "
	  "redirect_failed were dropped silently)." },
	{ "log_lines_total", "outcome",
	  "Drop log lines: written to the ring buffer, refused by the budget, lost to a "
	  "full ring." },
	{ "cookie_synack_total", "outcome",
	  "SYNs the cookie mode covered: answered with a cookie, over the cookie budget, or "
	  "not answerable (both dropped)." },
	{ "cookie_ack_total", "outcome",
	  "ACKs checked for a cookie: valid (a connection made), invalid (dropped), refused "
	  "by the kernel (passed)." },
};

/* tidegate_syn_total is read from tg_fam_stats, which has the verdicts
 * of TG_COUNTERS' syn_total rows under the same names. */
static const struct {
	const char *verdict;
	size_t offset;
} fam_verdicts[] = {
	{ "allowed", offsetof(struct tg_fam_counters, allowed) },
	{ "dropped", offsetof(struct tg_fam_counters, dropped) },
	{ "would_drop", offsetof(struct tg_fam_counters, would_drop) },
};

static unsigned long long fam_value(const struct tg_fam_counters *fc, const char *verdict)
{
	size_t k;

	for (k = 0; k < sizeof(fam_verdicts) / sizeof(fam_verdicts[0]); k++)
		if (!strcmp(fam_verdicts[k].verdict, verdict))
			return *(const __u64 *)((const char *)fc + fam_verdicts[k].offset);
	return 0;
}

static int find_labelled(const char *metric)
{
	size_t k;

	for (k = 0; k < sizeof(labelled) / sizeof(labelled[0]); k++)
		if (!strcmp(labelled[k].metric, metric))
			return (int)k;
	return -1;
}

/* One metric of TG_COUNTERS, every interface's samples; c0 is its first row. */
static void render_counter(FILE *f, const struct tg_metrics_iface *ifs, int n, size_t c0)
{
	const struct tg_counter_def *d0 = &tg_counter_defs[c0];
	int fam_of = !strcmp(d0->metric, "syn_total"), lab = find_labelled(d0->metric);
	char name[96], extra[128];
	size_t c;
	int i, fam;

	snprintf(name, sizeof(name), "tidegate_%s", d0->metric);
	head(f, name, "counter", lab >= 0 ? labelled[lab].help : d0->help);
	for (i = 0; i < n; i++) {
		if (!ifs[i].readable)
			continue;
		for (c = c0; c < TG_NR_COUNTERS; c++) {
			const struct tg_counter_def *d = &tg_counter_defs[c];

			if (strcmp(d->metric, d0->metric))
				continue;
			if (lab < 0) {
				iface_sample(f, name, ifs[i].name, NULL, tg_counter_get(&ifs[i].c, d));
				break;
			}
			if (!d->label[0])
				continue; /* a family's total: the sum of its samples */
			if (!fam_of) {
				snprintf(extra, sizeof(extra), ",%s=\"%s\"", labelled[lab].key,
					 d->label);
				iface_sample(f, name, ifs[i].name, extra, tg_counter_get(&ifs[i].c, d));
				continue;
			}
			for (fam = 0; fam < TG_NR_FAMILIES; fam++) {
				snprintf(extra, sizeof(extra), ",family=\"%s\",%s=\"%s\"",
					 fam_names[fam], labelled[lab].key, d->label);
				iface_sample(f, name, ifs[i].name, extra,
					     fam_value(&ifs[i].fam[fam], d->label));
			}
		}
	}
}

static void iface_gauge(FILE *f, const char *name, const char *ifname, double v)
{
	char num[TG_NUM_MAX];

	fprintf(f, "%s{interface=\"", name);
	label(f, ifname);
	fprintf(f, "\"} %s\n", tg_num_format(v, num));
}

static double limit_rate(const struct tg_limits *l)
{
	return (double)l->rate.count * 1e9 / (double)l->rate.period_ns;
}

static double limit_burst(const struct tg_limits *l)
{
	return (double)tg_limits_burst(l);
}

static double limit_dry_run(const struct tg_limits *l)
{
	return l->dry_run;
}

static double limit_rst(const struct tg_limits *l)
{
	return l->rst_budget;
}

static double limit_log(const struct tg_limits *l)
{
	return l->log_budget;
}

static double limit_cookie(const struct tg_limits *l)
{
	return l->cookie_budget;
}

static double limit_newsrc(const struct tg_limits *l)
{
	return tg_limits_new_source_rate(l);
}

/*
 * The limits in force, from the maps (what 'tidegate set' changed
 * included), so a dashboard can draw the limit beside the traffic. The
 * cookie budgets only where the mode uses them: the SYN-ACK budget
 * unless cookies are off, the new-source rate only in auto.
 */
static const struct {
	const char *name, *help;
	double (*get)(const struct tg_limits *l);
	__u32 min_cookie_mode; /* exported when syn_cookies >= it (off < on < auto) */
} limit_gauges[] = {
	{ "tidegate_limit_rate_per_second", "The per-source rate in force, SYNs per second.",
	  limit_rate, 0 },
	{ "tidegate_limit_burst", "The per-source burst in force, SYNs.", limit_burst, 0 },
	{ "tidegate_limit_dry_run", "1 in dry-run mode: over the limit is counted, not dropped.",
	  limit_dry_run, 0 },
	{ "tidegate_limit_rst_budget_per_second",
	  "RSTs the interface may send per second, all sources together (--rst-budget).",
	  limit_rst, 0 },
	{ "tidegate_limit_log_budget_per_second",
	  "Drop log lines per second, all sources together (--log-budget).", limit_log, 0 },
	{ "tidegate_limit_cookie_budget_per_second",
	  "SYN cookie SYN-ACKs per second, all sources together (--cookie-budget); absent with "
	  "cookies off.",
	  limit_cookie, TG_COOKIES_ON },
	{ "tidegate_limit_new_source_rate_per_second",
	  "New sources per second above which auto mode turns cookies on (--new-source-rate); "
	  "only in auto mode.",
	  limit_newsrc, TG_COOKIES_AUTO },
};

static void render_limits(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	size_t k;
	int i;

	for (k = 0; k < sizeof(limit_gauges) / sizeof(limit_gauges[0]); k++) {
		head(f, limit_gauges[k].name, "gauge", limit_gauges[k].help);
		for (i = 0; i < n; i++)
			if (ifs[i].limits_read &&
			    ifs[i].limits.syn_cookies >= limit_gauges[k].min_cookie_mode)
				iface_gauge(f, limit_gauges[k].name, ifs[i].name,
					    limit_gauges[k].get(&ifs[i].limits));
	}
}

/* A port group's labels: its id and its ports (the interface's
 * --ports for group 1; empty for a group removed since). */
static void port_group_labels(const struct tg_metrics_iface *m, int g, char *buf, size_t len)
{
	char ports[64] = "";
	char *text = NULL;
	size_t n;

	if (m->limits_read && g == TG_PG_DEFAULT)
		text = tg_ports_text(&m->limits.ports);
	else if (m->limits_read && m->limits.groups[g].hi)
		tg_port_range_format(&m->limits.groups[g], ports, sizeof(ports));
	n = (size_t)snprintf(buf, len, ",group=\"%d\",ports=\"", g);
	if (n < len)
		snprintf(buf + n, len - n, "%s\"", text ? text : ports);
	free(text);
}

/*
 * tg_port_stats: the limited SYNs of each port group by verdict (the
 * rows of TG_PORT_COUNTERS with a label; syn is their sum), and each
 * group's own limit. Groups without counts and not in force are left
 * out.
 */
static void render_port_groups(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	static const char *const labels[] = {
#define TG_PORT_LABEL(field, label, help) #label,
		TG_PORT_COUNTERS(TG_PORT_LABEL)
#undef TG_PORT_LABEL
	};
	char lab[600], extra[700];
	int i, g, k;

	head(f, "tidegate_port_syn_total", "counter",
	     "SYNs to limited ports by port group (1: the interface's limit; 2 on: a "
	     "--port limit of its own) and verdict.");
	for (i = 0; i < n; i++) {
		for (g = TG_PG_DEFAULT; ifs[i].ports_read && g < TG_PORT_GROUPS; g++) {
			if (g >= TG_PG_FIRST && !ifs[i].ports[g].syn &&
			    !(ifs[i].limits_read && ifs[i].limits.groups[g].hi))
				continue;
			port_group_labels(&ifs[i], g, lab, sizeof(lab));
			for (k = 0; k < TG_NR_PORT_COUNTERS; k++) {
				if (!labels[k][0])
					continue; /* the total: the sum of the samples */
				snprintf(extra, sizeof(extra), "%s,verdict=\"%s\"", lab, labels[k]);
				iface_sample(f, "tidegate_port_syn_total", ifs[i].name, extra,
					     tg_port_counter_get(&ifs[i].ports[g], k));
			}
		}
	}
	head(f, "tidegate_port_limit_rate_per_second", "gauge",
	     "The per-source rate of a port group with a limit of its own, SYNs per second.");
	for (i = 0; i < n; i++)
		for (g = TG_PG_FIRST; ifs[i].limits_read && g < TG_PORT_GROUPS; g++) {
			const struct tg_port_limit *pl = &ifs[i].limits.groups[g];
			char num[TG_NUM_MAX];

			if (!pl->hi)
				continue;
			port_group_labels(&ifs[i], g, lab, sizeof(lab));
			fprintf(f, "tidegate_port_limit_rate_per_second{interface=\"");
			label(f, ifs[i].name);
			fprintf(f, "\"%s} %s\n", lab,
				tg_num_format((double)pl->rate.count * 1e9 / (double)pl->rate.period_ns,
					     num));
		}
	head(f, "tidegate_port_limit_burst", "gauge",
	     "The per-source burst of a port group with a limit of its own, SYNs.");
	for (i = 0; i < n; i++)
		for (g = TG_PG_FIRST; ifs[i].limits_read && g < TG_PORT_GROUPS; g++) {
			const struct tg_port_limit *pl = &ifs[i].limits.groups[g];

			if (!pl->hi)
				continue;
			port_group_labels(&ifs[i], g, lab, sizeof(lab));
			iface_sample(f, "tidegate_port_limit_burst", ifs[i].name, lab,
				     pl->burst ? pl->burst : pl->rate.count);
		}
}

/* A Redis Cluster's masters, as each interface's fleet thread saw them. */
static void render_fleet_masters(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	char extra[sizeof(ifs[0].fleet.masters[0].addr) + 16];
	int i, any = 0;
	__u32 k;

	for (i = 0; i < n; i++)
		any |= ifs[i].in_fleet && ifs[i].fleet.nmasters;
	if (!any)
		return;
	head(f, "tidegate_fleet_redis_master_up", "gauge",
	     "1 while a master of the fleet's Redis Cluster answered the last push cycle.");
	for (i = 0; i < n; i++)
		for (k = 0; ifs[i].in_fleet && k < ifs[i].fleet.nmasters && k < TG_FLEET_MASTERS;
		     k++) {
			/* host:port holds no quote or backslash to escape. */
			snprintf(extra, sizeof(extra), ",master=\"%.*s\"",
				 (int)sizeof(ifs[i].fleet.masters[k].addr),
				 ifs[i].fleet.masters[k].addr);
			iface_sample(f, "tidegate_fleet_redis_master_up", ifs[i].name, extra,
				     ifs[i].fleet.masters[k].up);
		}
}

/* Fleet mode (fleet.h): the interfaces in a fleet, from their tg_fleet. */
static void render_fleet(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	static const struct {
		const char *metric, *type, *help;
		size_t off;
	} counters[] = {
#define TG_FLEET_ROW(field, metric, help)                                                        \
	{ "tidegate_" #metric, "counter", help, offsetof(struct tg_fleet, field) },
		TG_FLEET_COUNTERS(TG_FLEET_ROW)
#undef TG_FLEET_ROW
#define TG_FLEET_GAUGE_ROW(field, metric, help)                                                  \
	{ "tidegate_" #metric, "gauge", help, offsetof(struct tg_fleet, field) },
		TG_FLEET_GAUGES(TG_FLEET_GAUGE_ROW)
#undef TG_FLEET_GAUGE_ROW
	};
	size_t c;
	int i, any = 0;

	for (i = 0; i < n; i++)
		any |= ifs[i].in_fleet;
	if (!any)
		return;
	head(f, "tidegate_fleet_members", "gauge",
	     "Members of the interface's fleet at the last heartbeat: the local shares divide by it.");
	for (i = 0; i < n; i++)
		if (ifs[i].in_fleet)
			iface_sample(f, "tidegate_fleet_members", ifs[i].name, NULL, ifs[i].fleet.size);
	head(f, "tidegate_fleet_redis_up", "gauge",
	     "1 while the fleet's Redis answers; 0: the local rate share of an outage is in force "
	     "(a Redis Cluster master away: tidegate_fleet_shards_degraded).");
	for (i = 0; i < n; i++)
		if (ifs[i].in_fleet)
			iface_sample(f, "tidegate_fleet_redis_up", ifs[i].name, NULL,
				     !ifs[i].fleet.fallback_h);
	head(f, "tidegate_fleet_push_cycle_seconds", "gauge", "Duration of the last push cycle.");
	for (i = 0; i < n; i++)
		if (ifs[i].in_fleet)
			iface_gauge(f, "tidegate_fleet_push_cycle_seconds", ifs[i].name,
				    (double)ifs[i].fleet.last_cycle_ns / 1e9);
	head(f, "tidegate_fleet_push_cycle_max_seconds", "gauge",
	     "The longest push cycle since the daemon started.");
	for (i = 0; i < n; i++)
		if (ifs[i].in_fleet)
			iface_gauge(f, "tidegate_fleet_push_cycle_max_seconds", ifs[i].name,
				    (double)ifs[i].fleet.max_cycle_ns / 1e9);
	for (c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		head(f, counters[c].metric, counters[c].type, counters[c].help);
		for (i = 0; i < n; i++) {
			__u64 v;

			if (!ifs[i].in_fleet)
				continue;
			memcpy(&v, (const char *)&ifs[i].fleet + counters[c].off, sizeof(v));
			iface_sample(f, counters[c].metric, ifs[i].name, NULL, v);
		}
	}
	render_fleet_masters(f, ifs, n);
}

static void render_ifaces(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	size_t c, e;
	int i;

	/* Each metric once, where its first row is. */
	for (c = 0; c < TG_NR_COUNTERS; c++) {
		for (e = 0; e < c; e++)
			if (!strcmp(tg_counter_defs[e].metric, tg_counter_defs[c].metric))
				break;
		if (e == c)
			render_counter(f, ifs, n, c);
	}
	head(f, "tidegate_attached", "gauge",
	     "1 while the daemon's program is on the interface; 0 while the interface is "
	     "missing or the program was removed from outside.");
	for (i = 0; i < n; i++)
		iface_sample(f, "tidegate_attached", ifs[i].name, NULL, ifs[i].attached);
	head(f, "tidegate_tracked_sources", "gauge",
	     "Sources with a bucket in the table, at the last sync cycle.");
	for (i = 0; i < n; i++)
		iface_sample(f, "tidegate_tracked_sources", ifs[i].name, NULL, ifs[i].tracked);
	head(f, "tidegate_max_sources", "gauge", "Size of the source table.");
	for (i = 0; i < n; i++)
		iface_sample(f, "tidegate_max_sources", ifs[i].name, NULL, ifs[i].max_sources);
	head(f, "tidegate_table_fill_ratio", "gauge",
	     "Tracked sources over the table's size, 0 to 1.");
	for (i = 0; i < n; i++)
		iface_gauge(f, "tidegate_table_fill_ratio", ifs[i].name,
			    ifs[i].max_sources ? (double)ifs[i].tracked / ifs[i].max_sources : 0.0);
	head(f, "tidegate_rules", "gauge", "Rules in the interface's rule table.");
	for (i = 0; i < n; i++)
		if (ifs[i].rules >= 0)
			iface_sample(f, "tidegate_rules", ifs[i].name, NULL,
				     (unsigned long long)ifs[i].rules);
	render_limits(f, ifs, n);
	render_port_groups(f, ifs, n);
	render_fleet(f, ifs, n);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	char num[TG_NUM_MAX];

	head(f, name, "gauge", help);
	fprintf(f, "%s %s\n", name, tg_num_format(v, num));
}

static void render_sync(FILE *f, const struct tg_metrics_sync *s)
{
	char num[TG_NUM_MAX];
	int r;

	gauge(f, "tidegate_redis_configured", "1 if a Redis mirror is configured.",
	      s->redis_configured);
	gauge(f, "tidegate_redis_up", "1 while connected to Redis and syncing.", s->redis_up);
	gauge(f, "tidegate_sync_lag_seconds",
	      "Seconds since the last sync cycle that wrote every changed bucket.", s->lag_s);
	gauge(f, "tidegate_sync_last_duration_seconds", "Duration of the last sync cycle.",
	      s->last_duration_s);
	head(f, "tidegate_redis_clock_offset_seconds", "gauge",
	     "Redis' wall clock minus this machine's, as last measured (from TIME, error within "
	     "half a round trip); no sample until Redis answered.");
	if (s->clock_known)
		fprintf(f, "tidegate_redis_clock_offset_seconds %s\n",
			tg_num_format(s->clock_offset_s, num));
	head(f, "tidegate_sync_cycles_total", "counter", "Sync cycles, by result.");
	fprintf(f, "tidegate_sync_cycles_total{result=\"ok\"} %llu\n",
		(unsigned long long)s->cycles_ok);
	fprintf(f, "tidegate_sync_cycles_total{result=\"failed\"} %llu\n",
		(unsigned long long)s->cycles_failed);
	head(f, "tidegate_sync_sources_written_total", "counter",
	     "Buckets written to Redis.");
	fprintf(f, "tidegate_sync_sources_written_total %llu\n", (unsigned long long)s->written);
	head(f, "tidegate_sync_sources_unwritten_total", "counter",
	     "Changed buckets a cycle could not write (Redis down); written after it returns.");
	fprintf(f, "tidegate_sync_sources_unwritten_total %llu\n",
		(unsigned long long)s->unwritten);
	head(f, "tidegate_redis_connects_total", "counter", "Connections to Redis, by result.");
	fprintf(f, "tidegate_redis_connects_total{result=\"ok\"} %llu\n",
		(unsigned long long)s->connects_ok);
	fprintf(f, "tidegate_redis_connects_total{result=\"failed\"} %llu\n",
		(unsigned long long)s->connects_failed);
	head(f, "tidegate_restore_sources_total", "counter",
	     "Buckets read back from Redis into an empty table, by result.");
	fprintf(f, "tidegate_restore_sources_total{result=\"restored\"} %llu\n",
		(unsigned long long)s->restored);
	fprintf(f, "tidegate_restore_sources_total{result=\"full\"} %llu\n",
		(unsigned long long)s->restore_full);
	head(f, "tidegate_redis_rejected_total", "counter",
	     "Keys and values read from Redis and refused, by reason.");
	for (r = 0; r < TG_NR_REJECT; r++)
		fprintf(f, "tidegate_redis_rejected_total{reason=\"%s\"} %llu\n",
			tg_reject_names[r], (unsigned long long)s->rejected[r]);
}

static void render_daemon(FILE *f, const struct tg_metrics_daemon *dm)
{
	head(f, "tidegate_build_info", "gauge",
	     "1, labelled with tidegate's version, the libbpf it runs with and the kernel's release.");
	fputs("tidegate_build_info{version=\"", f);
	label(f, dm->version);
	fputs("\",libbpf=\"", f);
	label(f, dm->libbpf);
	fputs("\",kernel=\"", f);
	label(f, dm->kernel);
	fputs("\"} 1\n", f);
	gauge(f, "tidegate_config_last_reload_successful",
	      "1 if the last reload (SIGHUP) took the config file, 0 if it was refused and the "
	      "running configuration kept.",
	      dm->reload_ok);
	gauge(f, "tidegate_config_last_reload_success_timestamp_seconds",
	      "When the config file was last taken (the start or a reload), seconds since the "
	      "epoch.",
	      dm->reload_ok_s);
	if (dm->proc_read)
		tg_proc_render(f, &dm->proc);
}

char *tg_metrics_render(const struct tg_metrics_daemon *dm, const struct tg_metrics_iface *ifs,
			int n, const struct tg_metrics_sync *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	render_daemon(f, dm);
	render_ifaces(f, ifs, n);
	render_sync(f, s);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *tg_metrics_health(const struct tg_metrics_iface *ifs, int n, unsigned int *status,
			size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int i, down = 0;

	if (!f)
		return NULL;
	for (i = 0; i < n; i++)
		if (!ifs[i].attached) {
			fprintf(f, "%s: not attached: %s\n", ifs[i].name,
				ifs[i].why_not ? ifs[i].why_not : "unknown");
			down++;
		}
	if (!down)
		fprintf(f, "ok: %d interface%s attached\n", n, n == 1 ? "" : "s");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*status = down ? 503 : 200;
	return buf;
}
