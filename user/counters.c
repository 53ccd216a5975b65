// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* counters.c - the names of tidegate's counters and their per-CPU sums. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "percpu.h"

#define TG_COUNTER_DEF(field, metric, label, help) \
	{ #field, offsetof(struct tg_counters, field), help, #metric, #label },

const struct tg_counter_def tg_counter_defs[TG_NR_COUNTERS] = { TG_COUNTERS(TG_COUNTER_DEF) };

int tg_counters_read(int stats_fd, struct tg_counters *sum)
{
	struct tg_counters *percpu;
	__u32 zero = 0;
	int ncpu, cpu;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	ncpu = tg_percpu_read(stats_fd, &zero, sizeof(*percpu), (void **)&percpu);
	if (ncpu < 0)
		return ncpu;
	for (cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *src = (const __u64 *)&percpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (i = 0; i < TG_NR_COUNTERS; i++)
			dst[i] += src[i];
	}
	free(percpu);
	return 0;
}

int tg_fam_counters_read(int fstats_fd, struct tg_fam_counters sum[TG_NR_FAMILIES])
{
	struct tg_fam_counters *percpu;
	__u32 fam;
	int ncpu, cpu;

	memset(sum, 0, TG_NR_FAMILIES * sizeof(*sum));
	for (fam = 0; fam < TG_NR_FAMILIES; fam++) {
		ncpu = tg_percpu_read(fstats_fd, &fam, sizeof(*percpu), (void **)&percpu);
		if (ncpu < 0)
			return ncpu;
		for (cpu = 0; cpu < ncpu; cpu++) {
			sum[fam].syn += percpu[cpu].syn;
			sum[fam].allowed += percpu[cpu].allowed;
			sum[fam].dropped += percpu[cpu].dropped;
			sum[fam].would_drop += percpu[cpu].would_drop;
		}
		free(percpu);
	}
	return 0;
}

#define TG_PORT_COUNTER_NAME(field, label, help) #field,
#define TG_PORT_COUNTER_LABEL(field, label, help) #label,
const char *const tg_port_counter_names[TG_NR_PORT_COUNTERS] = {
	TG_PORT_COUNTERS(TG_PORT_COUNTER_NAME)
};
const char *const tg_port_counter_labels[TG_NR_PORT_COUNTERS] = {
	TG_PORT_COUNTERS(TG_PORT_COUNTER_LABEL)
};
#undef TG_PORT_COUNTER_NAME
#undef TG_PORT_COUNTER_LABEL

_Static_assert(sizeof(struct tg_port_counters) == TG_NR_PORT_COUNTERS * sizeof(__u64),
	       "struct tg_port_counters holds only the rows of TG_PORT_COUNTERS");

int tg_port_counters_read(int pstats_fd, struct tg_port_counters sum[TG_PORT_GROUPS])
{
	struct tg_port_counters *percpu;
	__u32 g;
	int ncpu, cpu, i;

	memset(sum, 0, TG_PORT_GROUPS * sizeof(*sum));
	for (g = 0; g < TG_PORT_GROUPS; g++) {
		ncpu = tg_percpu_read(pstats_fd, &g, sizeof(*percpu), (void **)&percpu);
		if (ncpu < 0)
			return ncpu;
		for (cpu = 0; cpu < ncpu; cpu++)
			for (i = 0; i < TG_NR_PORT_COUNTERS; i++)
				((__u64 *)&sum[g])[i] += tg_port_counter_get(&percpu[cpu], i);
		free(percpu);
	}
	return 0;
}

struct json_object *tg_counters_json(const struct tg_counters *c)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < TG_NR_COUNTERS; i++)
		json_object_object_add(o, tg_counter_defs[i].name,
				       json_object_new_int64((int64_t)tg_counter_get(
					       c, &tg_counter_defs[i])));
	return o;
}
