/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* iface.h - what every command that names an interface checks first. */
#ifndef TG_IFACE_H
#define TG_IFACE_H

#include "pins.h"

/* 0 if IFACE could name an interface (and a pin dir), else prints why:
 * TG_EXIT_USAGE. */
int tg_iface_name_check(const char *ifname);

/* IFACE's index; prints and returns -TG_EXIT_USAGE if there is none. */
int tg_iface_index(const char *ifname);

/* Open IFACE's pinned maps, explaining failure; returns an exit code:
 * TG_EXIT_USAGE for a bad name, or nothing pinned and no such interface;
 * TG_EXIT_FAIL when it is not attached or the pins cannot be used. */
int tg_iface_open_maps(const char *ifname, struct tg_maps *m);

/* Mount bpffs if needed and take the tidegate lock (tg_lock), saying why
 * not: the lock's fd, or -TG_EXIT_FAIL. */
int tg_iface_lock(void);

/*
 * The lock, then IFACE's pinned maps, in that order, so no detach comes
 * between opening and changing them: what set and rule begin with.
 * Returns the lock's fd, or -exit code after saying why (m then holds
 * no fd). tg_iface_unlock_close undoes both.
 */
int tg_iface_lock_open(const char *ifname, struct tg_maps *m);
void tg_iface_unlock_close(int lock, struct tg_maps *m);

#endif /* TG_IFACE_H */
