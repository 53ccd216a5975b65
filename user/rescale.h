/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rescale.h - keep each bucket's tokens across a limit changed live
 * (bpf/rescale.bpf.c says how; README: "Changing a limit live").
 */
#ifndef TG_RESCALE_H
#define TG_RESCALE_H

#include <linux/types.h>

/* A GCRA limit as the data path reads it. */
struct tg_gcra {
	__u64 interval_ns;
	__u64 tolerance_ns;
};

/* What happened to the buckets of one change. */
struct tg_rescale_result {
	__u64 seen;      /* buckets of the changed limit */
	__u64 changed;   /* rewritten (both passes) */
	__u64 contended; /* left as they were: every compare-and-swap lost */
};

/*
 * Put a new limit in force for the buckets of rule (0: the default
 * limit) and port group (tg_source.group, 0: none) in tg_buckets
 * (buckets_fd): debts that grow are raised, then apply(arg) writes the
 * new limit, then debts that shrink are lowered, and the front epoch
 * in tg_config_gen (gen_fd) is moved.
 * now_ns is the data path's clock (0: CLOCK_MONOTONIC; tests inject
 * theirs). When from and to are the same, only apply runs. res may be
 * NULL. Returns 0, apply's error, or -errno (logged).
 */
int tg_rescale_change(int buckets_fd, int gen_fd, __u32 rule, __u32 group,
		      const struct tg_gcra *from, const struct tg_gcra *to, __u64 now_ns,
		      int (*apply)(void *arg), void *arg, struct tg_rescale_result *res);

/*
 * Void every front slot (bpf/front.h) of the n interfaces whose
 * tg_config_gen are gen_fds, for a change of what the slots were filled
 * under that their stamps do not follow: waits until every packet that
 * began before the call has returned (one grace period for all), then
 * moves each front epoch. The caller has written the change. 0 or
 * -errno (logged).
 */
int tg_front_void(const int *gen_fds, int n);

/* The 32.32 factor a token's time is multiplied by from one limit to
 * another (for tests): min(to/from interval, to/from cap), rounded up. */
__u64 tg_rescale_factor(const struct tg_gcra *from, const struct tg_gcra *to);

#endif /* TG_RESCALE_H */
