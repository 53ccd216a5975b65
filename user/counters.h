/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* counters.h - tg_stats, summed over CPUs, with names (from TG_COUNTERS
 * in tidegate.h). */
#ifndef TG_COUNTERS_H
#define TG_COUNTERS_H

#include <json-c/json.h>

#include "tidegate.h"

struct tg_counter_def {
	const char *name; /* the field's, as `stats` prints it */
	size_t offset;
	const char *help;
	const char *metric; /* tidegate_<metric>, and */
	const char *label;  /* its label's value; "" for none */
};

extern const struct tg_counter_def tg_counter_defs[TG_NR_COUNTERS];

static inline __u64 tg_counter_get(const struct tg_counters *c, const struct tg_counter_def *d)
{
	return *(const __u64 *)((const char *)c + d->offset);
}

/* Sum the per-CPU copies of tg_stats. */
int tg_counters_read(int stats_fd, struct tg_counters *sum);

/* Sum the per-CPU copies of tg_fam_stats, one struct per family. */
int tg_fam_counters_read(int fstats_fd, struct tg_fam_counters sum[TG_NR_FAMILIES]);

/* Sum the per-CPU copies of tg_port_stats, one struct per port group. */
int tg_port_counters_read(int pstats_fd, struct tg_port_counters sum[TG_PORT_GROUPS]);

/* The names of struct tg_port_counters' fields, in TG_PORT_COUNTERS'
 * order, and each field's value. */
extern const char *const tg_port_counter_names[TG_NR_PORT_COUNTERS];
extern const char *const tg_port_counter_labels[TG_NR_PORT_COUNTERS];

static inline __u64 tg_port_counter_get(const struct tg_port_counters *c, int i)
{
	return ((const __u64 *)c)[i];
}

/* Every counter as an integer field of a new object. */
struct json_object *tg_counters_json(const struct tg_counters *c);

#endif /* TG_COUNTERS_H */
