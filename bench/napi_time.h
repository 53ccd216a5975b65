/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * napi_time.h - the receiver's own time per frame: how long one veth's
 * NAPI polls take, summed over CPUs (bpf/napi_time.bpf.c says why that
 * is the receiver's whole cost).
 */
#ifndef TG_BENCH_NAPI_TIME_H
#define TG_BENCH_NAPI_TIME_H

#include <linux/types.h>

struct napi_time_bpf;

struct napi_sum {
	__u64 ns, polls, frames, full_polls;
};

/* Load and attach the clock to IFINDEX of this process's namespace.
 * 0 or -errno. */
int napi_time_open(int ifindex, struct napi_time_bpf **skelp);

/* What it has counted so far. 0 or -errno. */
int napi_time_read(struct napi_time_bpf *skel, struct napi_sum *sum);

void napi_time_close(struct napi_time_bpf *skel);

#endif
