// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* counters.c - the names of tidegate's counters and their per-CPU sums. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

#define TG_COUNTER_DEF(field, metric, label, help) \
	{ #field, offsetof(struct tg_counters, field), help, #metric, #label },

const struct tg_counter_def tg_counter_defs[TG_NR_COUNTERS] = { TG_COUNTERS(TG_COUNTER_DEF) };

int tg_counters_read(int stats_fd, struct tg_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tg_counters *percpu;
	__u32 zero = 0;
	int cpu, err = 0;
	size_t i;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &zero, percpu)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *src = (const __u64 *)&percpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (i = 0; i < TG_NR_COUNTERS; i++)
			dst[i] += src[i];
	}
out:
	free(percpu);
	return err;
}

int tg_fam_counters_read(int fstats_fd, struct tg_fam_counters sum[TG_NR_FAMILIES])
{
	int ncpu = libbpf_num_possible_cpus();
	struct tg_fam_counters *percpu;
	__u32 fam;
	int cpu, err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, TG_NR_FAMILIES * sizeof(*sum));
	for (fam = 0; fam < TG_NR_FAMILIES && !err; fam++) {
		if (bpf_map_lookup_elem(fstats_fd, &fam, percpu)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			sum[fam].syn += percpu[cpu].syn;
			sum[fam].allowed += percpu[cpu].allowed;
			sum[fam].dropped += percpu[cpu].dropped;
			sum[fam].would_drop += percpu[cpu].would_drop;
		}
	}
	free(percpu);
	return err;
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
	int ncpu = libbpf_num_possible_cpus();
	struct tg_port_counters *percpu;
	__u32 g;
	int cpu, i, err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, TG_PORT_GROUPS * sizeof(*sum));
	for (g = 0; g < TG_PORT_GROUPS && !err; g++) {
		if (bpf_map_lookup_elem(pstats_fd, &g, percpu)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++)
			for (i = 0; i < TG_NR_PORT_COUNTERS; i++)
				((__u64 *)&sum[g])[i] += tg_port_counter_get(&percpu[cpu], i);
	}
	free(percpu);
	return err;
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
