// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * droplog_fmt.c - a drop log event as its line's fields: the wall time,
 * the source, its bucket, the rule, the action, and the rate the bucket
 * is being offered against its limit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "counters.h"
#include "droplog_fmt.h"
#include "output.h"
#include "rules.h"

/*
 * The previous line of each bucket this follower saw, to turn the
 * bucket's totals into a rate: a direct-mapped cache, so memory stays
 * bounded however many sources a flood brings (a collision only costs
 * one line its rate).
 */
#define SEEN_SLOTS 65536

struct seen {
	__u8 bucket[16];
	__u32 rule;
	__u64 time_ns;
	__u64 dropped;
	__u64 admitted;
};

struct tg_droplog {
	struct seen *seen;
	struct seen cookie_seen[TG_COOKIE_LOG_KINDS]; /* the previous budget and
						       * bad-cookie lines */
	int stats_fd;         /* tg_stats, for the cookie lines' totals */
};

static const char *const why_names[] = {
	[TG_WHY_LIMIT] = "limit",
	[TG_WHY_DENY] = "deny",
	[TG_WHY_COOKIES_ON] = "cookies_on",
	[TG_WHY_COOKIES_OFF] = "cookies_off",
	[TG_WHY_COOKIE_BUDGET] = "cookie_budget",
	[TG_WHY_COOKIE_INVALID] = "cookie_invalid",
};

static const char *why_name(__u8 why)
{
	return why < sizeof(why_names) / sizeof(why_names[0]) && why_names[why] ? why_names[why]
										: "unknown";
}

static __u64 ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * TG_NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static __u32 slot_of(const struct tg_log_event *ev)
{
	__u32 h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(ev->bucket); i++)
		h = (h ^ ev->bucket[i]) * 16777619u;
	h = (h ^ ev->rule_id) * 16777619u;
	return h % SEEN_SLOTS;
}

static void wall_time(__u64 mono_ns, __s64 offset, char *buf, size_t len)
{
	__u64 wall = mono_ns + (__u64)offset;
	time_t secs = (time_t)(wall / TG_NSEC_PER_SEC);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned int)(wall % TG_NSEC_PER_SEC / 1000000));
}

static void add_limit(struct json_object *o, const struct tg_log_event *ev)
{
	struct tg_rate r = { ev->rate_count, ev->rate_period_ns };
	char buf[64];

	tg_rate_format(&r, buf, sizeof(buf));
	json_object_object_add(o, "limit", json_object_new_string(buf));
	json_object_object_add(o, "limit_per_s",
			       tg_json_num((double)r.count * TG_NSEC_PER_SEC / (double)r.period_ns));
}

struct tg_droplog *tg_droplog_new(int stats_fd)
{
	struct tg_droplog *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->seen = calloc(SEEN_SLOTS, sizeof(*f->seen));
	if (!f->seen) {
		free(f);
		return NULL;
	}
	f->stats_fd = stats_fd;
	return f;
}

void tg_droplog_free(struct tg_droplog *f)
{
	if (!f)
		return;
	free(f->seen);
	free(f);
}


/*
 * A line of the cookie path: about the interface, not a bucket. Its
 * totals are the interface's counters, read now; its rate, the change
 * since this follower's previous line of the same kind.
 */
static void cookie_line(struct tg_droplog *f, const struct tg_log_event *ev, struct json_object *o)
{
	struct tg_counters c = { 0 };
	struct seen *s = NULL;
	__u64 total = 0;

	json_object_object_add(o, "prefix", NULL);
	json_object_object_add(o, "rule", NULL);
	json_object_object_add(o, "why", json_object_new_string(why_name(ev->why)));
	json_object_object_add(o, "action", json_object_new_string(
			ev->why == TG_WHY_COOKIES_ON ? "syn_cookie" :
			ev->why == TG_WHY_COOKIES_OFF ? "bucket" : "drop"));
	json_object_object_add(o, "shared", json_object_new_boolean(0));
	json_object_object_add(o, "dport", json_object_new_int(ev->dport));
	if (ev->rate_count) {
		add_limit(o, ev);
	} else {
		json_object_object_add(o, "limit", NULL);
		json_object_object_add(o, "limit_per_s", NULL);
	}
	if (ev->why < TG_WHY_COOKIE_BUDGET || tg_counters_read(f->stats_fd, &c)) {
		json_object_object_add(o, "dropped", NULL);
	} else {
		total = ev->why == TG_WHY_COOKIE_BUDGET ? c.cookie_budget_exceeded
							: c.cookie_ack_invalid;
		json_object_object_add(o, "dropped", json_object_new_int64((int64_t)total));
		s = &f->cookie_seen[TG_COOKIE_LOG_SLOT(ev->why) % TG_COOKIE_LOG_KINDS];
	}
	json_object_object_add(o, "since_s", ev->since_ns ?
				tg_json_num((double)ev->since_ns / 1e9) : NULL);
	if (s && s->time_ns && ev->time_ns > s->time_ns && total >= s->dropped)
		json_object_object_add(o, "rate_per_s",
				       tg_json_num((double)(total - s->dropped) /
						   ((double)(ev->time_ns - s->time_ns) / 1e9)));
	else
		json_object_object_add(o, "rate_per_s", NULL);
	if (s) {
		s->time_ns = ev->time_ns;
		s->dropped = total;
	}
}

struct json_object *tg_droplog_fields(struct tg_droplog *f, const void *data, size_t size)
{
	const struct tg_log_event *ev = data;
	struct tg_act act = { ev->action, 0 };
	struct json_object *o;
	struct seen *s;
	char buf[128];

	if (size < sizeof(*ev))
		return NULL;
	o = json_object_new_object();
	/* Read now, not once at start: a daemon follows for months, through
	 * the wall clock's steps. */
	wall_time(ev->time_ns, (__s64)(ts_ns(CLOCK_REALTIME) - ts_ns(CLOCK_MONOTONIC)), buf,
		  sizeof(buf));
	json_object_object_add(o, "time", json_object_new_string(buf));
	tg_source_format(ev->addr, ev->family == 4 ? 32 : 128, buf, sizeof(buf));
	json_object_object_add(o, "source", json_object_new_string(buf));
	if (ev->why >= TG_WHY_COOKIES_ON) {
		cookie_line(f, ev, o);
		return o;
	}
	tg_source_format(ev->bucket, ev->prefixlen, buf, sizeof(buf));
	json_object_object_add(o, "prefix", json_object_new_string(buf));
	json_object_object_add(o, "rule", json_object_new_int64(ev->rule_id));
	json_object_object_add(o, "why", json_object_new_string(why_name(ev->why)));
	tg_action_format(&act, buf, sizeof(buf));
	json_object_object_add(o, "action", json_object_new_string(
						    ev->flags & TG_EV_DRY_RUN ? "would_drop" : buf));
	json_object_object_add(o, "shared", json_object_new_boolean(ev->flags & TG_EV_SHARED));
	json_object_object_add(o, "dport", json_object_new_int(ev->dport));
	if (ev->rate_count) {
		add_limit(o, ev);
	} else {
		json_object_object_add(o, "limit", json_object_new_string("deny"));
		json_object_object_add(o, "limit_per_s", tg_json_num(0));
	}
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)ev->dropped));
	json_object_object_add(o, "since_s", ev->since_ns ?
				tg_json_num((double)ev->since_ns / 1e9) : NULL);

	/* The rate offered to the bucket since its previous line, if this
	 * follower saw that line: SYNs admitted and dropped over the time. */
	s = &f->seen[slot_of(ev)];
	if (ev->since_ns && s->rule == ev->rule_id &&
	    !memcmp(s->bucket, ev->bucket, sizeof(s->bucket)) && ev->time_ns > s->time_ns &&
	    ev->dropped >= s->dropped && ev->admitted >= s->admitted) {
		double secs = (double)(ev->time_ns - s->time_ns) / 1e9;

		json_object_object_add(o, "rate_per_s",
				       tg_json_num((double)(ev->dropped - s->dropped +
								       ev->admitted - s->admitted) /
							      secs));
	} else {
		json_object_object_add(o, "rate_per_s", NULL);
	}
	memcpy(s->bucket, ev->bucket, sizeof(s->bucket));
	s->rule = ev->rule_id;
	s->time_ns = ev->time_ns;
	s->dropped = ev->dropped;
	s->admitted = ev->admitted;
	return o;
}
