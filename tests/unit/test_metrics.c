// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_metrics.c - the Prometheus text the daemon serves. */
#include <stdlib.h>

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

int main(void)
{
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

	text = tg_metrics_render(ifs, 2, &s, &len);
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
	return tap_done();
}
