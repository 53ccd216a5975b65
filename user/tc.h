/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tc.h - tidegate's TC ingress program, which completes the handshakes
 * of SYN cookies sent from XDP (bpf/handshake.h). It is attached and
 * detached together with the XDP program, as one clsact filter of a
 * fixed handle and priority, so it is found again by both.
 */
#ifndef TG_TC_H
#define TG_TC_H

#include <stdbool.h>
#include <linux/types.h>

/* Whether the kernel has the kfunc bpf_sk_assign_tcp_reqsk (6.9+). */
bool tg_tc_supported(void);

/* Attach the loaded program prog_fd at ifindex's ingress, replacing
 * ours if it is there already; -errno. */
int tg_tc_attach(int ifindex, int prog_fd);

/* Remove ours from ifindex (other filters and the clsact stay); 0 when
 * it was not there. */
int tg_tc_detach(int ifindex);

/* 0 and the id of ours on ifindex, or -ENOENT. */
int tg_tc_find(int ifindex, __u32 *prog_id);

#endif /* TG_TC_H */
