/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netns.h - which network namespace we are in, for the pin and state paths.
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

#define TG_NETNS_RUN_DIR "/run/netns"

/*
 * The name `ip netns` gave this process's network namespace (a bind
 * mount under TG_NETNS_RUN_DIR), or "" (the initial namespace, or one
 * with no such name: a container's). Unlike the inode, a name comes
 * back when the namespace is made again after a reboot, so what is
 * kept on disk per namespace (rulestate.h) is kept under it.
 */
const char *tg_netns_name(void);

#endif /* TG_NETNS_H */
