/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * linkwatch.h - the kernel's link events (rtnetlink, through libmnl): an
 * interface made, deleted, renamed, or its XDP program changed through
 * netlink. The daemon polls the fd and checks its interfaces on each
 * event, so it notices at once what otherwise only its periodic check
 * would find.
 */
#ifndef TG_LINKWATCH_H
#define TG_LINKWATCH_H

struct tg_linkwatch;

/* Subscribe to RTMGRP_LINK in this network namespace: 0 or -errno. */
int tg_linkwatch_open(struct tg_linkwatch **lw);
int tg_linkwatch_fd(const struct tg_linkwatch *lw);

/* Read every pending event without waiting; how many there were (a
 * lost event, the socket's buffer overrun, counts as one), or -errno. */
int tg_linkwatch_drain(struct tg_linkwatch *lw);

void tg_linkwatch_close(struct tg_linkwatch *lw);

#endif /* TG_LINKWATCH_H */
