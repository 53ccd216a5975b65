// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_droplog.c - a drop log event as its line (droplog_fmt.c), the one
 * code both `tidegate log` and the daemon's journal use: the fields in
 * their order, the text line made of them, a bucket's rate from its
 * second line on, a deny rule's line, a dry run's would_drop.
 */
#include <string.h>
#include <time.h>

#include "clock.h"
#include "droplog_fmt.h"
#include "output.h"
#include "tap.h"
#include "tidegate.h"

static void mapped(__u8 a[16], __u8 b0, __u8 b1, __u8 b2, __u8 b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = b0;
	a[13] = b1;
	a[14] = b2;
	a[15] = b3;
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "(absent)";
	return v ? json_object_get_string(v) : "(null)";
}

int main(void)
{
	struct tg_droplog *dl = tg_droplog_new(-1);
	struct tg_log_event ev = { 0 };
	struct json_object *o;
	char *text;
	const char *after_time;

	if (!tap_ok(dl != NULL, "a reader"))
		return tap_done();
	ev.time_ns = tg_mono_ns() - 2000000000ULL;
	ev.dropped = 1;
	ev.admitted = 1;
	ev.rate_count = 1;
	ev.rate_period_ns = 60000000000ULL;
	mapped(ev.addr, 198, 19, 0, 5);
	mapped(ev.bucket, 198, 19, 0, 5);
	ev.prefixlen = 32;
	ev.family = 4;
	ev.dport = 80;
	ev.action = TG_ACT_DROP;
	ev.why = TG_WHY_LIMIT;

	tap_ok(tg_droplog_fields(dl, &ev, sizeof(ev) - 1) == NULL, "a short record is no event");
	o = tg_droplog_fields(dl, &ev, sizeof(ev));
	if (!tap_ok(o != NULL, "an event's fields"))
		return tap_done();
	text = tg_out_line_text(o);
	after_time = text ? strchr(text, ' ') : NULL;
	tap_ok(text && !strncmp(text, "time=20", 7), "the line starts with the wall time (%s)",
	       text ? text : "(null)");
	tap_is_str(after_time ? after_time + 1 : "",
		   "source=198.19.0.5 prefix=198.19.0.5 rule=0 why=limit action=drop shared=false "
		   "dport=80 limit=1/minute limit_per_s=0.017 dropped=1 since_s=- rate_per_s=-",
		   "then every field, in order, null ones as -");
	free(text);
	json_object_put(o);

	/* Its next line, 2 s later: 3 more drops and 1 admitted, 2 SYNs/s. */
	ev.time_ns += 2000000000ULL;
	ev.since_ns = 2000000000ULL;
	ev.dropped = 4;
	ev.admitted = 2;
	o = tg_droplog_fields(dl, &ev, sizeof(ev));
	tap_is_str(field(o, "since_s"), "2", "the bucket's next line: since_s 2");
	tap_is_str(field(o, "rate_per_s"), "2", "  rate_per_s 2: 4 SYNs in 2 s");
	json_object_put(o);

	ev.why = TG_WHY_DENY;
	ev.rule_id = 7;
	ev.rate_count = 0;
	ev.since_ns = 0;
	ev.flags = TG_EV_DRY_RUN;
	mapped(ev.addr, 198, 19, 0, 7);
	o = tg_droplog_fields(dl, &ev, sizeof(ev));
	tap_is_str(field(o, "why"), "deny", "a deny rule's line: why deny");
	tap_is_str(field(o, "rule"), "7", "  its rule");
	tap_is_str(field(o, "limit"), "deny", "  limit deny");
	tap_is_str(field(o, "action"), "would_drop", "  in dry run: would_drop");
	tap_is_str(field(o, "rate_per_s"), "(null)", "  no rate without a previous line");
	json_object_put(o);
	tg_droplog_free(dl);
	return tap_done();
}
