// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_view.c - what the fleet thread published in tg_fleet, read back
 * for `status`, `stats` and the metrics. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "fleet.h"

int tg_fleet_read(int fleet_fd, struct tg_fleet *out)
{
	__u32 zero = 0;

	if (fleet_fd < 0)
		return -EBADF;
	return bpf_map_lookup_elem(fleet_fd, &zero, out) ? -errno : 0;
}

/* A counter's name in status: its metric's, less "fleet_" and "_total"
 * (json-c copies the key, so one buffer serves every call). */
static const char *tg_fleet_json_name(const char *metric)
{
	static char buf[64];
	size_t n;

	if (!strncmp(metric, "fleet_", 6))
		metric += 6;
	snprintf(buf, sizeof(buf), "%s", metric);
	n = strlen(buf);
	if (n > 6 && !strcmp(buf + n - 6, "_total"))
		buf[n - 6] = '\0';
	return buf;
}

struct json_object *tg_fleet_json(int fleet_fd)
{
	struct json_object *o;
	struct tg_fleet f;

	if (tg_fleet_read(fleet_fd, &f) || !f.size)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(f.name));
	json_object_object_add(o, "size", json_object_new_int64(f.size));
	json_object_object_add(o, "redis",
			       json_object_new_string(f.fallback_h ? "away"
						      : f.shard_h  ? "degraded"
								   : "up"));
	json_object_object_add(o, "burst_share", json_object_new_int(f.burst_k));
	json_object_object_add(o, "interval_ms", json_object_new_int64((int64_t)f.interval_ms));
	json_object_object_add(o, "last_cycle_ms",
			       json_object_new_double((double)f.last_cycle_ns / 1e6));
	json_object_object_add(o, "max_cycle_ms",
			       json_object_new_double((double)f.max_cycle_ns / 1e6));
#define TG_FLEET_JSON(field, metric, help)                                                      \
	json_object_object_add(o, tg_fleet_json_name(#metric), json_object_new_int64((int64_t)f.field));
	TG_FLEET_COUNTERS(TG_FLEET_JSON)
	TG_FLEET_GAUGES(TG_FLEET_JSON)
#undef TG_FLEET_JSON
	if (f.nmasters) {
		struct json_object *a = json_object_new_array();
		__u32 k;

		for (k = 0; k < f.nmasters && k < TG_FLEET_MASTERS; k++) {
			struct json_object *m = json_object_new_object();

			json_object_object_add(m, "addr",
					       json_object_new_string(f.masters[k].addr));
			json_object_object_add(m, "up", json_object_new_boolean(f.masters[k].up));
			json_object_object_add(m, "slots",
					       json_object_new_int64(f.masters[k].slots));
			json_object_array_add(a, m);
		}
		json_object_object_add(o, "masters", a);
	}
	return o;
}
