/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * link.h - what rtnetlink says of a link (RTM_GETLINK), in this process's
 * network namespace or, by its id there, in another: netlink rather than
 * /sys/class/net, which shows the namespace sysfs was mounted in.
 */
#ifndef TG_LINK_H
#define TG_LINK_H

#include <stdbool.h>
#include <linux/types.h>

struct rtnl_link_stats64;

/* The interface's counters, as `ip -s link` shows them. 0 or -errno. */
int tg_iface_stats(int ifindex, struct rtnl_link_stats64 *st);

/*
 * What lies behind a veth: its peer's ifindex and, if the peer is in
 * another network namespace, that namespace's id here (else -1); and
 * whether the peer has a master (a bridge, a bond, a VRF...), which
 * could carry what the veth sends to another interface, a physical one
 * included. 0, -ENOENT if the kernel names no peer, or -errno.
 */
struct tg_veth_peer {
	int ifindex;
	int nsid;
	int master; /* the master's ifindex in the peer's namespace, 0 if none */
};

int tg_veth_peer(int ifindex, struct tg_veth_peer *peer);

#endif /* TG_LINK_H */
