// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* linkwatch.c - rtnetlink link events, counted, through libmnl. */
#include <errno.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "linkwatch.h"

struct tg_linkwatch {
	struct mnl_socket *nl;
};

int tg_linkwatch_open(struct tg_linkwatch **out)
{
	struct tg_linkwatch *lw = calloc(1, sizeof(*lw));
	int err;

	*out = NULL;
	if (!lw)
		return -ENOMEM;
	lw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!lw->nl || mnl_socket_bind(lw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID)) {
		err = -errno;
		tg_linkwatch_close(lw);
		return err;
	}
	*out = lw;
	return 0;
}

int tg_linkwatch_fd(const struct tg_linkwatch *lw)
{
	return mnl_socket_get_fd(lw->nl);
}

static int count_msg(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_OK;
}

int tg_linkwatch_drain(struct tg_linkwatch *lw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int events = 0;
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(lw->nl, buf, sizeof(buf));
		if (n < 0 && errno == ENOBUFS) {
			events++; /* some were lost: the caller checks everything */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return events;
		if (n < 0)
			return -errno;
		if (mnl_cb_run(buf, (size_t)n, 0, 0, count_msg, &events) == MNL_CB_ERROR)
			return -errno;
	}
}

void tg_linkwatch_close(struct tg_linkwatch *lw)
{
	if (!lw)
		return;
	if (lw->nl)
		mnl_socket_close(lw->nl);
	free(lw);
}
