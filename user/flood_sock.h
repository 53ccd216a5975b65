/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flood_sock.h - `tidegate flood` without live frames: the frames
 * bpf/flood.bpf.c makes, made in userspace and sent through an
 * AF_PACKET socket, for kernels that refuse BPF_PROG_TEST_RUN's live
 * frames (some answer EPERM even to root).
 */
#ifndef TG_FLOOD_SOCK_H
#define TG_FLOOD_SOCK_H

#include <linux/types.h>

#include "flood.h"

/* A sender's place in the rotation: struct tg_flood_cpu's fields, which
 * the XDP generator keeps per CPU. */
struct tg_flood_cursor {
	__u32 next_source;
	__u32 next_port;
};

/* Write into out (f->len bytes) the next frame of the rotation over
 * `sources` sources and move c on: the bytes flood_xdp would send. */
void tg_flood_stamp(const struct tg_flood_frame *f, __u32 sources, struct tg_flood_cursor *c,
		    __u8 *out);

/* A packet socket that sends out of ifindex, past the qdisc as XDP_TX
 * would: an fd, or -errno. */
int tg_flood_sock_open(int ifindex);

/* Send n frames (at most TG_FLOOD_SOCK_BATCH) of the rotation through
 * fd: how many the kernel took, the cursor moved on by as many; or
 * -errno when it took none, the cursor where it was. */
#define TG_FLOOD_SOCK_BATCH 64
/* Seconds a device may refuse every frame (ENOBUFS) before the flood
 * gives up on it. */
#define TG_FLOOD_SOCK_STALL_S 1.0
int tg_flood_sock_send(int fd, const struct tg_flood_frame *f, __u32 sources,
		       struct tg_flood_cursor *c, unsigned int n);

#endif /* TG_FLOOD_SOCK_H */
