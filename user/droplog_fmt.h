/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * droplog_fmt.h - one event of the drop log (the ring buffer tg_log) as
 * the fields of its line: time, source, prefix, rule, why, action,
 * shared, dport, limit, limit_per_s, dropped, since_s, rate_per_s.
 * `tidegate log` prints them (text or JSON); the daemon with log =
 * journal sends them to the journal. One reader's state: the previous
 * line of each bucket, which turns a bucket's totals into a rate.
 */
#ifndef TG_DROPLOG_FMT_H
#define TG_DROPLOG_FMT_H

#include <stddef.h>
#include <json-c/json.h>

struct tg_droplog;

/* A reader's state; stats_fd (tg_stats) gives the cookie lines their
 * totals. NULL when out of memory. */
struct tg_droplog *tg_droplog_new(int stats_fd);
void tg_droplog_free(struct tg_droplog *dl);

/* The event's fields in their order (a JSON null for a field that has
 * no value), or NULL if data is too short to be an event. */
struct json_object *tg_droplog_fields(struct tg_droplog *dl, const void *data, size_t size);

#endif /* TG_DROPLOG_FMT_H */
