/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netns.h - which network namespace we are in, for the pin paths.
 *
 * Interface names are unique only within a network namespace, but bpffs
 * is shared by every namespace of a mount namespace. So pins are kept
 * apart by namespace: the initial one pins under TG_PIN_ROOT/IFACE, as
 * always; any other under TG_PIN_ROOT/netns:INODE/IFACE, INODE being the
 * namespace's (as `lsns -t net` and `ls -L -i /run/netns/NAME` show it).
 * ':' is in no interface name, so the two never meet.
 */
#ifndef TG_NETNS_H
#define TG_NETNS_H

/* The directory this process's pins go under: TG_PIN_ROOT, or
 * TG_PIN_ROOT "/netns:INODE" outside the initial network namespace. */
const char *tg_pin_base(void);

#endif /* TG_NETNS_H */
