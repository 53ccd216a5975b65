/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp.h - tidegate's program on an interface, through libxdp's
 * dispatcher so it can share the interface with other XDP programs.
 */
#ifndef TG_XDP_H
#define TG_XDP_H

#include <linux/types.h>
#include <xdp/libxdp.h>

struct tidegate_bpf;

struct tg_attached {
	enum xdp_attach_mode mode;
	__u32 prog_id;
	int nr_programs; /* on the interface, tidegate included */
};

const char *tg_mode_name(enum xdp_attach_mode mode);

/* Is tidegate attached to ifindex? 0 and *att filled, or -ENOENT. */
int tg_xdp_find(int ifindex, struct tg_attached *att);

/*
 * Load skel's program (its maps sized and its rodata set) and attach it
 * in mode. Nothing is left attached on failure. *progp is set in any
 * case; close it with xdp_program__close() only after destroying skel:
 * libxdp closes the program fd it shares with the skeleton.
 */
int tg_xdp_attach(struct tidegate_bpf *skel, int ifindex, enum xdp_attach_mode mode,
		  struct xdp_program **progp);

/* Whether program prog_id uses the map map_id: 1, 0, or -errno. What
 * tells the daemon's program from another tidegate's on an interface. */
int tg_prog_uses_map(__u32 prog_id, __u32 map_id);

/* Remove tidegate from ifindex, leaving other programs in place. */
int tg_xdp_detach(int ifindex);

#endif /* TG_XDP_H */
