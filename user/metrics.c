// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics.c - the Prometheus text format, from a snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

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

struct counter_metric {
	const char *name, *help;
	size_t offset;
};

#define CNT(n, field, h) { "tidegate_" n, h, offsetof(struct tg_counters, field) }

static const struct counter_metric plain[] = {
	CNT("packets_total", packets, "Packets the XDP program saw."),
	CNT("new_sources_total", new_source, "Sources given a bucket."),
	CNT("table_full_total", table_full,
	    "New sources that found the source table full (the LRU evicted)."),
	CNT("evicted_total", evicted, "Sources evicted from the full table to make room."),
	CNT("tiny_fragments_total", frag_tiny,
	    "First fragments cut inside the TCP header, charged as SYNs."),
	CNT("long_ext_chains_total", exthdr_long,
	    "IPv6 SYNs behind more than 8 extension headers, charged as SYNs."),
	CNT("cas_retries_total", cas_retry,
	    "Bucket updates retried after a race with another CPU."),
	CNT("cas_exhausted_total", cas_exhausted,
	    "SYNs dropped after too many lost races (also counted as dropped)."),
};

static const struct {
	const char *reason;
	size_t offset;
} passed[] = {
	{ "not_syn", offsetof(struct tg_counters, pass_not_syn) },
	{ "not_ip", offsetof(struct tg_counters, pass_not_ip) },
	{ "truncated", offsetof(struct tg_counters, pass_trunc) },
	{ "bad_header", offsetof(struct tg_counters, pass_badhdr) },
	{ "ext_header", offsetof(struct tg_counters, pass_exthdr) },
	{ "vlan", offsetof(struct tg_counters, pass_vlan) },
	{ "fragment", offsetof(struct tg_counters, fragment) },
};

/* Rules, actions and the drop log (labelled, one family each). */
struct labelled {
	const char *label; /* the label's value */
	size_t offset;
};

static const struct labelled rules[] = {
	{ "allow", offsetof(struct tg_counters, rule_allow) },
	{ "deny", offsetof(struct tg_counters, rule_deny) },
	{ "limit", offsetof(struct tg_counters, rule_limit) },
};

static const struct labelled actions[] = {
	{ "drop", offsetof(struct tg_counters, act_drop) },
	{ "rst", offsetof(struct tg_counters, rst_sent) },
	{ "rst_over_budget", offsetof(struct tg_counters, rst_budget_exceeded) },
	{ "rst_skipped", offsetof(struct tg_counters, rst_skipped) },
	{ "redirect", offsetof(struct tg_counters, redirected) },
	{ "redirect_failed", offsetof(struct tg_counters, redirect_failed) },
};

static const struct labelled log_lines[] = {
	{ "written", offsetof(struct tg_counters, log_emitted) },
	{ "over_budget", offsetof(struct tg_counters, log_budget_exceeded) },
	{ "lost", offsetof(struct tg_counters, log_lost) },
};

static const struct {
	const char *name, *label, *help;
	const struct labelled *v;
	size_t n;
} families[] = {
	{ "tidegate_rule_syn_total", "kind", "SYNs to limited ports that matched a rule, by its kind.",
	  rules, sizeof(rules) / sizeof(rules[0]) },
	{ "tidegate_action_total", "action",
	  "Dropped SYNs by what was done with them (rst_over_budget, rst_skipped and "
	  "redirect_failed were dropped silently).",
	  actions, sizeof(actions) / sizeof(actions[0]) },
	{ "tidegate_log_lines_total", "outcome",
	  "Drop log lines: written to the ring buffer, refused by the budget, lost to a "
	  "full ring.",
	  log_lines, sizeof(log_lines) / sizeof(log_lines[0]) },
};

static unsigned long long field(const struct tg_counters *c, size_t off)
{
	return *(const __u64 *)((const char *)c + off);
}

static void render_ifaces(FILE *f, const struct tg_metrics_iface *ifs, int n)
{
	char extra[96];
	size_t k;
	int i, fam;

	head(f, "tidegate_syn_total", "counter",
	     "SYNs to limited ports, by address family and verdict (would_drop: dry-run).");
	for (i = 0; i < n; i++) {
		if (!ifs[i].readable)
			continue;
		for (fam = 0; fam < TG_NR_FAMILIES; fam++) {
			const struct tg_fam_counters *fc = &ifs[i].fam[fam];

			snprintf(extra, sizeof(extra), ",family=\"%s\",verdict=\"allowed\"",
				 fam_names[fam]);
			iface_sample(f, "tidegate_syn_total", ifs[i].name, extra, fc->allowed);
			snprintf(extra, sizeof(extra), ",family=\"%s\",verdict=\"dropped\"",
				 fam_names[fam]);
			iface_sample(f, "tidegate_syn_total", ifs[i].name, extra, fc->dropped);
			snprintf(extra, sizeof(extra), ",family=\"%s\",verdict=\"would_drop\"",
				 fam_names[fam]);
			iface_sample(f, "tidegate_syn_total", ifs[i].name, extra, fc->would_drop);
		}
	}
	head(f, "tidegate_passed_total", "counter",
	     "Packets passed without limiting, by reason.");
	for (i = 0; i < n; i++)
		for (k = 0; ifs[i].readable && k < sizeof(passed) / sizeof(passed[0]); k++) {
			snprintf(extra, sizeof(extra), ",reason=\"%s\"", passed[k].reason);
			iface_sample(f, "tidegate_passed_total", ifs[i].name, extra,
				     field(&ifs[i].c, passed[k].offset));
		}
	for (k = 0; k < sizeof(families) / sizeof(families[0]); k++) {
		size_t j;

		head(f, families[k].name, "counter", families[k].help);
		for (i = 0; i < n; i++)
			for (j = 0; ifs[i].readable && j < families[k].n; j++) {
				snprintf(extra, sizeof(extra), ",%s=\"%s\"", families[k].label,
					 families[k].v[j].label);
				iface_sample(f, families[k].name, ifs[i].name, extra,
					     field(&ifs[i].c, families[k].v[j].offset));
			}
	}
	head(f, "tidegate_flow_redirected_total", "counter",
	     "Packets of redirected flows sent after their SYN.");
	for (i = 0; i < n; i++)
		if (ifs[i].readable)
			iface_sample(f, "tidegate_flow_redirected_total", ifs[i].name, NULL,
				     ifs[i].c.flow_redirected);
	for (k = 0; k < sizeof(plain) / sizeof(plain[0]); k++) {
		head(f, plain[k].name, "counter", plain[k].help);
		for (i = 0; i < n; i++)
			if (ifs[i].readable)
				iface_sample(f, plain[k].name, ifs[i].name, NULL,
					     field(&ifs[i].c, plain[k].offset));
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
	for (i = 0; i < n; i++) {
		fprintf(f, "tidegate_table_fill_ratio{interface=\"");
		label(f, ifs[i].name);
		fprintf(f, "\"} %.6f\n",
			ifs[i].max_sources ? (double)ifs[i].tracked / ifs[i].max_sources : 0.0);
	}
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	head(f, name, "gauge", help);
	fprintf(f, "%s %.6f\n", name, v);
}

static void render_sync(FILE *f, const struct tg_metrics_sync *s)
{
	int r;

	gauge(f, "tidegate_redis_configured", "1 if a Redis mirror is configured.",
	      s->redis_configured);
	gauge(f, "tidegate_redis_up", "1 while connected to Redis and syncing.", s->redis_up);
	gauge(f, "tidegate_sync_lag_seconds",
	      "Seconds since the last sync cycle that wrote every changed bucket.", s->lag_s);
	gauge(f, "tidegate_sync_last_duration_seconds", "Duration of the last sync cycle.",
	      s->last_duration_s);
	gauge(f, "tidegate_redis_clock_offset_seconds",
	      "Redis' clock minus this machine's monotonic clock, as last measured.",
	      s->clock_offset_s);
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

char *tg_metrics_render(const struct tg_metrics_iface *ifs, int n,
			const struct tg_metrics_sync *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	render_ifaces(f, ifs, n);
	render_sync(f, s);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
