// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_log.c - tidegate log: follow the drop log. The program writes a
 * line for a bucket's first drop and then at most one per interval,
 * under a global budget; this prints each with the wall time, the
 * source, its bucket, the rule, the action, and the rate the bucket is
 * being offered against its limit. One follower per interface (each
 * line goes to one reader); it ends, with exit 1, when the interface's
 * pins go away or are made again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "action.h"
#include "caps.h"
#include "commands.h"
#include "counters.h"
#include "iface.h"
#include "interrupt.h"
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

struct follower {
	struct seen *seen;
	struct seen cookie_seen[TG_COOKIE_LOG_KINDS]; /* the previous budget and
						       * bad-cookie lines */
	int stats_fd;         /* tg_stats, for the cookie lines' totals */
	__s64 wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
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

/*
 * A line of the cookie path: about the interface, not a bucket. Its
 * totals are the interface's counters, read now; its rate, the change
 * since this follower's previous line of the same kind.
 */
static void cookie_line(struct follower *f, const struct tg_log_event *ev, struct json_object *o)
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

static int on_event(void *ctx, void *data, size_t size)
{
	struct follower *f = ctx;
	const struct tg_log_event *ev = data;
	struct tg_act act = { ev->action, 0 };
	struct json_object *o;
	struct seen *s;
	char buf[128];

	if (size < sizeof(*ev))
		return 0;
	o = json_object_new_object();
	wall_time(ev->time_ns, f->wall_offset_ns, buf, sizeof(buf));
	json_object_object_add(o, "time", json_object_new_string(buf));
	tg_source_format(ev->addr, ev->family == 4 ? 32 : 128, buf, sizeof(buf));
	json_object_object_add(o, "source", json_object_new_string(buf));
	if (ev->why >= TG_WHY_COOKIES_ON) {
		cookie_line(f, ev, o);
		tg_out_print_line(o);
		return 0;
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
	tg_out_print_line(o);
	return 0;
}

/*
 * Whether the drop log being followed is still IFACE's: after a detach
 * the ring buffer lives on as long as we hold it, silent, so the pins
 * are checked instead. 0, or an exit code after saying why.
 */
static int still_attached(const char *ifname, __u32 log_id)
{
	char dir[256];
	__u32 id;
	int err = tg_pinned_map_id(ifname, TG_MAP_LOG, &id);

	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate was detached (nothing pinned at %s any "
					     "more); the drop log has ended", ifname, dir);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: checking the pins at %s: %s", ifname, dir,
			       strerror(-err));
	if (id != log_id)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate was detached and attached again; this "
					     "drop log has ended: run 'tidegate log %s' again",
			       ifname, ifname);
	return TG_EXIT_OK;
}

#define PIN_CHECK_NS TG_NSEC_PER_SEC

int tg_cmd_log(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	struct follower f = { 0 };
	struct ring_buffer *rb = NULL;
	char holder[300];
	__u64 next_check;
	struct tg_maps m;
	int ret, err, follow = -1;

	if ((ret = tg_require_caps("log", TG_PRIV_MAPS)))
		return ret;
	if ((ret = tg_iface_open_maps(ifname, &m)))
		return ret;
	follow = tg_follow_lock(ifname, holder, sizeof(holder));
	if (follow == -EWOULDBLOCK) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: the drop log is already followed (by %s); each "
					    "line goes to one reader, so a second one would see only "
					    "some: stop that one first", ifname, holder);
		goto out;
	}
	if (follow < 0 || bpf_obj_get_info_by_fd(m.log, &info, &ilen)) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: %s: %s", ifname,
			      follow < 0 ? "locking the drop log" : "reading the drop log's id",
			      strerror(follow < 0 ? -follow : errno));
		goto out;
	}
	f.seen = calloc(SEEN_SLOTS, sizeof(*f.seen));
	if (!f.seen) {
		ret = tg_fail(TG_EXIT_FAIL, "log: %s", strerror(ENOMEM));
		goto out;
	}
	f.stats_fd = m.stats;
	f.wall_offset_ns = (__s64)(ts_ns(CLOCK_REALTIME) - ts_ns(CLOCK_MONOTONIC));
	rb = ring_buffer__new(m.log, on_event, &f, NULL);
	if (!rb) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: opening the drop log ring buffer: %s", ifname,
			      strerror(errno));
		goto out;
	}
	tg_interrupt_on_signals();
	if (!tg_out_json())
		fprintf(stderr, "tidegate: following the drop log of %s; Ctrl-C to stop\n", ifname);
	ret = TG_EXIT_OK;
	next_check = ts_ns(CLOCK_MONOTONIC) + PIN_CHECK_NS;
	while (!tg_interrupted) {
		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR) {
			ret = tg_fail(TG_EXIT_FAIL, "%s: reading the drop log: %s", ifname,
				      strerror(-err));
			break;
		}
		if (ts_ns(CLOCK_MONOTONIC) >= next_check) {
			/* What is left in the ring is printed before saying so. */
			ring_buffer__consume(rb);
			ret = still_attached(ifname, info.id);
			if (ret)
				break;
			next_check = ts_ns(CLOCK_MONOTONIC) + PIN_CHECK_NS;
		}
	}
out:
	ring_buffer__free(rb);
	free(f.seen);
	if (follow >= 0)
		close(follow);
	tg_maps_close(&m);
	return ret;
}
