// SPDX-License-Identifier: GPL-2.0
/*
 * napi_time.bpf.c - for the benchmark: the time one veth's NAPI polls
 * take, and the frames they take in.
 *
 * In the benchmark one CPU both sends the flood and receives it, so the
 * rate it reaches says what sender and receiver cost together. A veth
 * end's NAPI poll is where its receiver does its work: it takes each
 * frame off the ring, runs the XDP program and, for a frame the program
 * passes (or on an end with none), builds the skb and hands it up
 * through GRO to the netfilter hooks. Its time per frame is what the
 * receiver alone costs, whoever sends.
 *
 * This kernel loads no fentry program, so a poll is timed by the raw
 * tracepoints around it: napi:napi_poll marks the end of each poll, and
 * the poll that ends was running since the one before it ended on this
 * CPU, or since NET_RX's softirq began. That counts, with the poll, the
 * little that net_rx_action does between two polls and any hard
 * interrupt. What the kernel does after the tracepoint of a poll that
 * used its whole budget (the rest of GRO's batch, at most
 * gro_normal_batch - 1 skbs) falls to the next poll, on this CPU most
 * likely the sender's: the receiver misses it, and full_polls says how
 * often that can have happened.
 *
 * The veth is named by ifindex and network namespace (an ifindex is
 * only unique within one); the types below are the few fields read,
 * relocated by CO-RE against the running kernel's.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "tidegate.h"

char LICENSE[] SEC("license") = "GPL";

struct ns_common {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
	struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
	struct net *net;
} possible_net_t;

struct net_device {
	int ifindex;
	possible_net_t nd_net;
} __attribute__((preserve_access_index));

struct napi_struct {
	struct net_device *dev;
} __attribute__((preserve_access_index));

const volatile int target_ifindex;
const volatile __u32 target_netns; /* the inode of its /proc/PID/ns/net */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_napi_time);
} napi_time SEC(".maps");

#define NET_RX_SOFTIRQ 3

static __always_inline bool ours(struct napi_struct *napi)
{
	return BPF_CORE_READ(napi, dev, ifindex) == target_ifindex &&
	       BPF_CORE_READ(napi, dev, nd_net.net, ns.inum) == target_netns;
}

static __always_inline struct tg_napi_time *cpu_time(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&napi_time, &zero);
}

SEC("raw_tracepoint/softirq_entry")
int napi_softirq(struct bpf_raw_tracepoint_args *ctx)
{
	struct tg_napi_time *t;

	if (ctx->args[0] != NET_RX_SOFTIRQ || !(t = cpu_time()))
		return 0;
	t->started = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tracepoint/napi_poll")
int napi_polled(struct bpf_raw_tracepoint_args *ctx)
{
	struct napi_struct *napi = (struct napi_struct *)ctx->args[0];
	int work = (int)ctx->args[1], budget = (int)ctx->args[2];
	struct tg_napi_time *t = cpu_time();
	__u64 now = bpf_ktime_get_ns();

	if (!t)
		return 0;
	/* A poll already running when the program was attached has no start. */
	if (t->started && ours(napi)) {
		t->ns += now - t->started;
		t->polls++;
		if (work > 0)
			t->frames += (__u64)work;
		if (work >= budget)
			t->full_polls++;
	}
	t->started = now;
	return 0;
}
