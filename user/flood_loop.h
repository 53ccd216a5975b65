/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flood_loop.h - the flood's frames out of a veth loop, where the kernel
 * refuses live frames (bpf/flood.bpf.c has the picture).
 *
 * A packet socket builds an skb for every frame, and that cost, not the
 * receiver's, then sets the rate. In the loop a few seed frames circle
 * between the two ends of a veth pair, in XDP alone, and every round
 * sends TG_FLOOD_FANOUT copies out of the flooded veth, each given its
 * source by the same code as live frames. The loop pair must be a veth
 * whose two ends are both in this namespace; its programs are attached
 * by bpf_link, so they go when the process does, however it ends.
 */
#ifndef TG_FLOOD_LOOP_H
#define TG_FLOOD_LOOP_H

#include <signal.h>
#include <linux/types.h>

#include "flood.h"

struct bpf_link;

/* Seed frames per (re)start: enough to keep each hop's NAPI poll busy,
 * few enough that a round's copies fit the veth's 256-frame ring. */
#define TG_FLOOD_LOOP_SEEDS 4
/* Rounds of one slice of the loop (bpf/flood.bpf.c, flood_fan): about
 * 15 ms of one CPU at the rates it reaches, each slice costing a reseed
 * and a poll's wait. */
#define TG_FLOOD_LOOP_ROUNDS 4096
/* Seeded this long without one round gone: the seeds never reach the
 * loop's far end (a flooded peer that takes nothing still lets the
 * rounds go, and the flood warns of it after). */
#define TG_FLOOD_LOOP_DEAD_S 1.0
/* Longest wait, once stopped, for the frames in flight to land. */
#define TG_FLOOD_LOOP_DRAIN_S 0.2

struct tg_flood_loop {
	struct flood_bpf *skel;
	const struct tg_flood_frame *frame;
	int out_ifindex;  /* the flooded veth */
	struct bpf_link *bounce, *fan; /* on the loop's end, on its peer */
	int sock;         /* the seeds' packet socket, out of the loop's end */
};

/*
 * Attach the loop to LOOP_IFINDEX and its peer, both veth ends in this
 * namespace (the caller checks), sending out of OUT_IFINDEX. 0 or
 * -errno, with why logged; on failure nothing is left attached.
 */
int tg_flood_loop_open(struct tg_flood_loop *l, struct flood_bpf *skel,
		       const struct tg_flood_frame *f, int out_ifindex, int loop_ifindex,
		       int peer_ifindex);

/* Make n frames, or fewer if *stop is set or the deadline (CLOCK_MONOTONIC
 * seconds) passes first; the program counts what it made, and *ended
 * says when the last went (before the wait for those in flight). 0 or
 * -errno. */
int tg_flood_loop_send(struct tg_flood_loop *l, __u64 n, volatile sig_atomic_t *stop,
		       double deadline, double *ended);

void tg_flood_loop_close(struct tg_flood_loop *l);

#endif /* TG_FLOOD_LOOP_H */
