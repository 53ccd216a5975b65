// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_metrics.c - the Prometheus text the daemon serves. */
#include <stdlib.h>

#include "counters.h"
#include "metrics.h"
#include "tap.h"

/* The value of the sample line that starts with SERIES (name{labels}). */
static int sample(const char *text, const char *series, double *v)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return sscanf(p + n + 1, "%lf", v) == 1 ? 0 : -1;
		p += n;
	}
	return -1;
}

/* Every sample's metric has a HELP and a TYPE before it, once. */
static int well_formed(const char *text, char *why, size_t len)
{
	char *copy = strdup(text), *save = NULL, *line;
	char typed[64][80];
	int ntyped = 0, i, ok = 1;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[80];

		if (!strncmp(line, "# TYPE ", 7)) {
			sscanf(line + 7, "%79s", typed[ntyped < 64 ? ntyped++ : 63]);
			continue;
		}
		if (line[0] == '#')
			continue;
		sscanf(line, "%79[^{ ]", name);
		for (i = 0; i < ntyped && strcmp(typed[i], name); i++)
			;
		if (i == ntyped) {
			snprintf(why, len, "sample of %s before its TYPE", name);
			ok = 0;
			break;
		}
	}
	free(copy);
	return ok;
}

/* Is there a sample of tidegate_METRIC for eth1 with label value LABEL
 * (any label name; "" for none), also with FAMILY if not NULL, of value V? */
static int has_sample(const char *text, const char *metric, const char *label,
		      const char *family, unsigned long long v)
{
	char head[128], lab[96], fam[64], *copy = strdup(text), *save = NULL, *line;
	int found = 0;

	snprintf(head, sizeof(head), "tidegate_%s{interface=\"eth1\"%s", metric,
		 label[0] ? "," : "}");
	snprintf(lab, sizeof(lab), "=\"%s\"}", label);
	snprintf(fam, sizeof(fam), "family=\"%s\"", family ? family : "");
	for (line = strtok_r(copy, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *sp = strrchr(line, ' ');

		if (strncmp(line, head, strlen(head)) || !sp)
			continue;
		if (label[0] && !strstr(line, lab))
			continue;
		if (family && !strstr(line, fam))
			continue;
		found = strtoull(sp + 1, NULL, 10) == v;
	}
	free(copy);
	return found;
}

/* Every counter of TG_COUNTERS is exported, as its row says, with its
 * own value (syn_total's from the per-family counters). */
static void test_every_counter(void)
{
	struct tg_metrics_daemon dm = { .version = "v1", .libbpf = "1.1.2", .kernel = "6.1.0" };
	struct tg_metrics_iface ifc = {};
	struct tg_metrics_sync s = {};
	size_t i, len;
	char *text;

	snprintf(ifc.name, sizeof(ifc.name), "eth1");
	ifc.readable = true;
	for (i = 0; i < TG_NR_COUNTERS; i++)
		((__u64 *)&ifc.c)[i] = 1000 + i;
	ifc.fam[TG_FAM_V4] = (struct tg_fam_counters){ 2001, 2002, 2003, 2004 };
	ifc.fam[TG_FAM_V6] = (struct tg_fam_counters){ 3001, 3002, 3003, 3004 };
	text = tg_metrics_render(&dm, &ifc, 1, &s, &len);
	for (i = 0; text && i < TG_NR_COUNTERS; i++) {
		const struct tg_counter_def *d = &tg_counter_defs[i];

		if (!strcmp(d->metric, "syn_total")) {
			unsigned long long v4 = 0, v6 = 0;

			if (!d->label[0])
				continue; /* syn: the sum of the verdicts */
			v4 = !strcmp(d->label, "allowed") ? 2002 : !strcmp(d->label, "dropped") ? 2003 : 2004;
			v6 = v4 + 1000;
			tap_ok(has_sample(text, d->metric, d->label, "ipv4", v4) &&
				       has_sample(text, d->metric, d->label, "ipv6", v6),
			       "%s: tidegate_%s{family=..., verdict=\"%s\"} %llu, %llu", d->name,
			       d->metric, d->label, v4, v6);
			continue;
		}
		tap_ok(has_sample(text, d->metric, d->label, NULL, 1000 + i),
		       "%s: tidegate_%s{...\"%s\"} %zu", d->name, d->metric, d->label, 1000 + i);
	}
	free(text);
}

/* The value of the first sample of NAME for eth1 that has the label
 * pair PAIR (k="v"; NULL: none but interface). */
static int series_value(const char *text, const char *name, const char *pair,
			unsigned long long *v)
{
	char head[160];
	const char *p = text, *end;

	snprintf(head, sizeof(head), "\n%s{interface=\"eth1\"%s", name, pair ? "," : "}");
	while ((p = strstr(p, head))) {
		p++;
		end = strchr(p, '\n');
		if (!pair || (strstr(p, pair) && strstr(p, pair) < end)) {
			*v = strtoull(strchr(p, '}') + 1, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/*
 * README's table of counters is the list of TG_COUNTERS, row by row:
 * each row's field is a counter, its series the one the renderer makes
 * of it (with that counter's value), and no counter is left out.
 */
static void test_readme_counters(void)
{
	const char *path = getenv("TG_README") ? getenv("TG_README") : "README.md";
	struct tg_metrics_daemon dm = { .version = "v", .libbpf = "l", .kernel = "k" };
	struct tg_metrics_iface ifc = {};
	struct tg_metrics_sync s = {};
	int seen[TG_NR_COUNTERS] = {}, in = 0, rows = 0, bad = 0;
	char line[1024], *text;
	FILE *f = fopen(path, "r");
	size_t i, len;

	if (!tap_ok(f != NULL, "README's counters: %s opens (run from the source tree)", path))
		return;
	snprintf(ifc.name, sizeof(ifc.name), "eth1");
	ifc.readable = true;
	for (i = 0; i < TG_NR_COUNTERS; i++)
		((__u64 *)&ifc.c)[i] = 1000 + i;
	text = tg_metrics_render(&dm, &ifc, 1, &s, &len);
	while (text && fgets(line, sizeof(line), f)) {
		char field[64], name[96], pair[96] = "";
		unsigned long long v = 0;
		const struct tg_counter_def *d = NULL;

		if (!strncmp(line, "### Counters", 12))
			in = 1;
		else if (in && !strncmp(line, "## ", 3))
			break;
		if (!in || sscanf(line, "| `%63[a-z0-9_]` | ", field) != 1 ||
		    !strcmp(field, "stats"))
			continue;
		rows++;
		for (i = 0; i < TG_NR_COUNTERS; i++)
			if (!strcmp(tg_counter_defs[i].name, field))
				d = &tg_counter_defs[i];
		if (!d) {
			tap_diag("README lists %s, which is no counter", field);
			bad++;
			continue;
		}
		seen[d - tg_counter_defs]++;
		if (strstr(line, "| (the sum of `tidegate_syn_total`) |")) {
			if (strcmp(d->metric, "syn_total") || d->label[0]) {
				tap_diag("README: %s is no sum of tidegate_syn_total", field);
				bad++;
			}
			continue;
		}
		if (sscanf(strstr(line, "` | `") + 5, "%95[a-z_]{%95[a-z_=\"]}`", name, pair) < 1) {
			tap_diag("README: %s has no series", field);
			bad++;
			continue;
		}
		if (series_value(text, name, pair[0] ? pair : NULL, &v) ||
		    (strcmp(d->metric, "syn_total") && v != 1000 + (size_t)(d - tg_counter_defs))) {
			tap_diag("README: %s as %s{%s}: no such sample of its value", field, name, pair);
			bad++;
		}
	}
	fclose(f);
	free(text);
	for (i = 0; i < TG_NR_COUNTERS; i++)
		if (seen[i] != 1) {
			tap_diag("README lists %s %d times", tg_counter_defs[i].name, seen[i]);
			bad++;
		}
	tap_ok(rows > 0 && !bad, "README's %d counter rows are TG_COUNTERS, each with its series",
	       rows);
}

/* The daemon's own series: build info, reload, process. */
static void test_daemon(void)
{
	struct tg_metrics_daemon dm = {
		.version = "0.9-3-g\"x", .libbpf = "1.1.2", .kernel = "6.1.0-13-amd64",
		.reload_ok = false, .reload_ok_s = 1700000000.5, .proc_read = true,
		.proc = { .cpu_s = 1.25, .start_time_s = 1699999999, .rss_bytes = 4096,
			  .vsize_bytes = 1 << 20, .open_fds = 12, .max_fds = 1024 },
	};
	struct tg_metrics_sync s = {};
	char *text, why[200] = "";
	size_t len;
	double v = -1;

	text = tg_metrics_render(&dm, NULL, 0, &s, &len);
	if (!tap_ok(text != NULL, "renders without interfaces"))
		return;
	tap_ok(!sample(text, "tidegate_build_info{version=\"0.9-3-g\\\"x\",libbpf=\"1.1.2\","
			     "kernel=\"6.1.0-13-amd64\"}", &v) && v == 1,
	       "build info 1, labelled, its quote escaped");
	tap_ok(!sample(text, "tidegate_config_last_reload_successful", &v) && v == 0,
	       "a refused reload: 0");
	tap_ok(strstr(text, "\ntidegate_config_last_reload_success_timestamp_seconds 1700000000.5\n") !=
		       NULL, "the last good reload's time, every digit");
	tap_ok(!sample(text, "process_cpu_seconds_total", &v) && v == 1.25, "process CPU");
	tap_ok(strstr(text, "\nprocess_virtual_memory_bytes 1048576\n") != NULL,
	       "virtual memory, an integer without decimals");
	tap_ok(!sample(text, "process_open_fds", &v) && v == 12, "open fds");
	tap_ok(!sample(text, "process_max_fds", &v) && v == 1024, "max fds");
	tap_ok(!sample(text, "process_start_time_seconds", &v) && v == 1699999999, "start time");
	tap_ok(!sample(text, "process_resident_memory_bytes", &v) && v == 4096, "rss");
	tap_ok(sample(text, "tidegate_redis_clock_offset_seconds", &v) < 0,
	       "no clock offset before Redis answered");
	tap_ok(well_formed(text, why, sizeof(why)), "every sample follows its TYPE %s", why);
	free(text);
	s.clock_known = true;
	s.clock_offset_s = -0.002;
	dm.proc_read = false;
	text = tg_metrics_render(&dm, NULL, 0, &s, &len);
	tap_ok(text && strstr(text, "\ntidegate_redis_clock_offset_seconds -0.002\n"),
	       "the clock offset once measured, as measured");
	tap_ok(text && !strstr(text, "process_"), "no process metrics when /proc was not read");
	free(text);
}

/* The limits in force, and the rule count. */
static void test_limits(void)
{
	struct tg_metrics_daemon dm = { .version = "v", .libbpf = "l", .kernel = "k" };
	struct tg_metrics_iface ifs[2] = {};
	struct tg_metrics_sync s = {};
	char *text, why[200] = "";
	size_t len;
	double v = -1;

	snprintf(ifs[0].name, sizeof(ifs[0].name), "eth1");
	ifs[0].limits_read = true;
	tg_limits_default(&ifs[0].limits);
	ifs[0].limits.rate = (struct tg_rate){ .count = 5, .period_ns = 10000000000ULL };
	ifs[0].limits.burst = 20;
	ifs[0].limits.syn_cookies = TG_COOKIES_ON;
	ifs[0].limits.cookie_budget = 5000;
	ifs[0].limits.dry_run = true;
	ifs[0].rules = 3;
	snprintf(ifs[1].name, sizeof(ifs[1].name), "eth2");
	ifs[1].limits_read = true;
	tg_limits_default(&ifs[1].limits);
	ifs[1].limits.max_sources = 6000;
	ifs[1].limits.syn_cookies = TG_COOKIES_AUTO;
	ifs[1].rules = -1;
	text = tg_metrics_render(&dm, ifs, 2, &s, &len);
	if (!tap_ok(text != NULL, "renders with limits"))
		return;
	tap_ok(strstr(text, "\ntidegate_limit_rate_per_second{interface=\"eth1\"} 0.5\n") != NULL,
	       "5 per 10 s: 0.5 per second, printed short");
	tap_ok(!sample(text, "tidegate_limit_burst{interface=\"eth1\"}", &v) && v == 20, "burst");
	tap_ok(!sample(text, "tidegate_limit_dry_run{interface=\"eth1\"}", &v) && v == 1, "dry run");
	tap_ok(!sample(text, "tidegate_limit_rst_budget_per_second{interface=\"eth1\"}", &v) &&
		       v == TG_DEFAULT_RST_BUDGET, "RST budget");
	tap_ok(!sample(text, "tidegate_limit_log_budget_per_second{interface=\"eth1\"}", &v) &&
		       v == TG_DEFAULT_LOG_BUDGET, "log budget");
	tap_ok(!sample(text, "tidegate_limit_cookie_budget_per_second{interface=\"eth1\"}", &v) &&
		       v == 5000, "cookie budget with cookies on");
	tap_ok(sample(text, "tidegate_limit_new_source_rate_per_second{interface=\"eth1\"}", &v) < 0,
	       "  but no new-source rate: that is auto's");
	tap_ok(!sample(text, "tidegate_limit_new_source_rate_per_second{interface=\"eth2\"}", &v) &&
		       v == 100, "auto: the new-source rate, derived from max-sources (6000/60 s)");
	tap_ok(!sample(text, "tidegate_limit_rate_per_second{interface=\"eth2\"}", &v) && v == 100,
	       "the default rate, 100 per second");
	tap_ok(!sample(text, "tidegate_rules{interface=\"eth1\"}", &v) && v == 3, "3 rules");
	tap_ok(sample(text, "tidegate_rules{interface=\"eth2\"}", &v) < 0,
	       "no rule count where it could not be read");
	tap_ok(well_formed(text, why, sizeof(why)), "every sample follows its TYPE %s", why);
	free(text);
}

/* /healthz: 200 only when every interface is attached, else which and why. */
static void test_health(void)
{
	struct tg_metrics_iface ifs[2] = {};
	unsigned int status = 0;
	size_t len = 0;
	char *text;

	snprintf(ifs[0].name, sizeof(ifs[0].name), "eth1");
	ifs[0].attached = true;
	snprintf(ifs[1].name, sizeof(ifs[1].name), "eth2");
	ifs[1].attached = true;
	text = tg_metrics_health(ifs, 2, &status, &len);
	tap_is(status, 200, "every interface attached: 200");
	tap_is_str(text, "ok: 2 interfaces attached\n", "  saying so");
	free(text);
	ifs[1].attached = false;
	ifs[1].why_not = "the interface is missing; waiting for it";
	text = tg_metrics_health(ifs, 2, &status, &len);
	tap_is(status, 503, "one not attached: 503");
	tap_is_str(text, "eth2: not attached: the interface is missing; waiting for it\n",
		   "  naming it and why");
	tap_is(len, text ? strlen(text) : 0, "  the length is the text's");
	free(text);
	text = tg_metrics_health(NULL, 0, &status, &len);
	tap_is(status, 200, "no interface configured: nothing unprotected, 200");
	free(text);
}

int main(void)
{
	struct tg_metrics_daemon dm = { .version = "v", .libbpf = "l", .kernel = "k" };
	struct tg_metrics_iface ifs[2] = {};
	struct tg_metrics_sync s = {};
	char *text, why[200] = "";
	size_t len = 0;
	double v = -1;

	snprintf(ifs[0].name, sizeof(ifs[0].name), "eth1");
	ifs[0].attached = true;
	ifs[0].readable = true;
	ifs[0].c.packets = 1000;
	ifs[0].c.pass_not_syn = 7;
	ifs[0].c.cas_exhausted = 2;
	ifs[0].fam[TG_FAM_V4].allowed = 11;
	ifs[0].fam[TG_FAM_V4].dropped = 900;
	ifs[0].fam[TG_FAM_V6].allowed = 5;
	ifs[0].fam[TG_FAM_V6].dropped = 77;
	ifs[0].tracked = 250;
	ifs[0].max_sources = 1000;
	snprintf(ifs[1].name, sizeof(ifs[1].name), "we\"ird");
	ifs[1].readable = false; /* gone: gauges only */
	s.redis_configured = true;
	s.redis_up = true;
	s.cycles_ok = 3;
	s.written = 42;
	s.unwritten = 4;
	s.lag_s = 0.25;
	s.last_duration_s = 0.0125;
	s.rejected[TG_REJ_FUTURE] = 9;

	text = tg_metrics_render(&dm, ifs, 2, &s, &len);
	if (!tap_ok(text != NULL, "renders"))
		return tap_done();
	tap_is(strlen(text), len, "the length is the text's");
	tap_ok(!sample(text, "tidegate_syn_total{interface=\"eth1\",family=\"ipv4\",verdict=\"dropped\"}", &v) &&
		       v == 900, "IPv4 drops by interface and family");
	tap_ok(!sample(text, "tidegate_syn_total{interface=\"eth1\",family=\"ipv6\",verdict=\"allowed\"}", &v) &&
		       v == 5, "IPv6 allowed");
	tap_ok(!sample(text, "tidegate_passed_total{interface=\"eth1\",reason=\"not_syn\"}", &v) &&
		       v == 7, "passed by reason");
	tap_ok(!sample(text, "tidegate_cas_exhausted_total{interface=\"eth1\"}", &v) && v == 2,
	       "cas_exhausted");
	tap_ok(!sample(text, "tidegate_tracked_sources{interface=\"eth1\"}", &v) && v == 250,
	       "tracked sources");
	tap_ok(!sample(text, "tidegate_table_fill_ratio{interface=\"eth1\"}", &v) && v == 0.25,
	       "table fill 250/1000");
	tap_ok(!sample(text, "tidegate_tracked_sources{interface=\"we\\\"ird\"}", &v),
	       "a quote in a label value is escaped");
	tap_ok(sample(text, "tidegate_packets_total{interface=\"we\\\"ird\"}", &v) < 0,
	       "an unreadable interface has no counters");
	tap_ok(!sample(text, "tidegate_attached{interface=\"eth1\"}", &v) && v == 1,
	       "an attached interface: tidegate_attached 1");
	tap_ok(!sample(text, "tidegate_attached{interface=\"we\\\"ird\"}", &v) && v == 0,
	       "one whose program is gone: tidegate_attached 0");
	tap_ok(!sample(text, "tidegate_redis_up", &v) && v == 1, "redis up");
	tap_ok(!sample(text, "tidegate_sync_lag_seconds", &v) && v == 0.25, "sync lag");
	tap_ok(!sample(text, "tidegate_sync_last_duration_seconds", &v) && v == 0.0125,
	       "last sync duration");
	tap_ok(!sample(text, "tidegate_sync_sources_unwritten_total", &v) && v == 4,
	       "unwritten sources");
	tap_ok(!sample(text, "tidegate_redis_rejected_total{reason=\"future\"}", &v) && v == 9,
	       "rejected by reason");
	tap_ok(well_formed(text, why, sizeof(why)), "every sample follows its TYPE %s", why);
	tap_ok(text[len - 1] == '\n', "ends with a newline");
	free(text);
	test_every_counter();
	test_daemon();
	test_limits();
	test_health();
	test_readme_counters();
	return tap_done();
}
