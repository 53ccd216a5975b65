// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* link.c - RTM_GETLINK, for flood's checks and counters. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "link.h"

typedef void (*attr_fn)(const struct rtattr *rta, void *arg);

/* One link, by ifindex, in the namespace whose id here is nsid (-1:
 * ours); fn sees each of its attributes. 0 or -errno. */
static int link_get(int ifindex, int nsid, attr_fn fn, void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		__s32 nsid;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
		.rta = { .rta_len = RTA_LENGTH(sizeof(__s32)), .rta_type = IFLA_TARGET_NETNSID },
		.nsid = nsid,
	};
	char buf[16384];
	struct nlmsghdr *nh;
	int fd, err = -ENOENT;
	ssize_t n;

	if (nsid >= 0)
		req.nh.nlmsg_len = sizeof(req);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		struct ifinfomsg *ifi = NLMSG_DATA(nh);
		struct rtattr *rta;
		int len;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error ?: -EIO;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		len = (int)IFLA_PAYLOAD(nh);
		for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			fn(rta, arg);
		err = 0;
	}
out:
	close(fd);
	return err;
}

struct stats_arg {
	struct rtnl_link_stats64 *st;
	bool found;
};

static void stats_attr(const struct rtattr *rta, void *arg)
{
	struct stats_arg *a = arg;

	if (rta->rta_type != IFLA_STATS64 || RTA_PAYLOAD(rta) < sizeof(*a->st))
		return;
	memcpy(a->st, RTA_DATA(rta), sizeof(*a->st));
	a->found = true;
}

int tg_iface_stats(int ifindex, struct rtnl_link_stats64 *st)
{
	struct stats_arg a = { .st = st };
	int err = link_get(ifindex, -1, stats_attr, &a);

	return err ? err : a.found ? 0 : -ENOENT;
}

static void u32_attr(const struct rtattr *rta, unsigned short type, int *out)
{
	if (rta->rta_type == type && RTA_PAYLOAD(rta) >= sizeof(__u32))
		memcpy(out, RTA_DATA(rta), sizeof(*out));
}

static void peer_attr(const struct rtattr *rta, void *arg)
{
	struct tg_veth_peer *p = arg;

	u32_attr(rta, IFLA_LINK, &p->ifindex);
	u32_attr(rta, IFLA_LINK_NETNSID, &p->nsid);
}

static void master_attr(const struct rtattr *rta, void *arg)
{
	u32_attr(rta, IFLA_MASTER, arg);
}

int tg_veth_peer(int ifindex, struct tg_veth_peer *peer)
{
	int err;

	peer->ifindex = 0;
	peer->nsid = -1;
	peer->master = 0;
	err = link_get(ifindex, -1, peer_attr, peer);
	if (err)
		return err;
	if (!peer->ifindex || (peer->nsid < 0 && peer->ifindex == ifindex))
		return -ENOENT;
	return link_get(peer->ifindex, peer->nsid, master_attr, &peer->master);
}
