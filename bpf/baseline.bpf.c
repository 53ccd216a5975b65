// SPDX-License-Identifier: GPL-2.0
/*
 * baseline.bpf.c - what the benchmark holds tidegate against: an XDP
 * program that drops everything (the ceiling of what any XDP filter can
 * absorb) and one that passes everything (the cost of having XDP at
 * all, for connect latency). Both count what they saw per CPU, so the
 * receiving side's own counter says how much it handled.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bl_packets SEC(".maps");

static __always_inline void count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&bl_packets, &zero);

	if (n)
		(*n)++;
}

SEC("xdp")
int baseline_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int baseline_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}
