/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rulestate.h - an interface's rules kept in a file, so the daemon puts
 * them back after a restart or a reboot, before it attaches.
 *
 * The file is what `rule list` prints (the words `rule import` takes),
 * under a header that says when it was written: a rule's --ttl is what
 * was left then, and what has passed since, by the wall clock, is taken
 * off when it is read back; a rule whose time ran out meanwhile is left
 * out. Written to a temporary file and renamed, so a reader never sees
 * half of it.
 */
#ifndef TG_RULESTATE_H
#define TG_RULESTATE_H

#include <stddef.h>
#include <linux/types.h>

#include "pins.h"
#include "rules.h"

/* DIR/rules/IFACE; DIR/rules/netns-NAME/IFACE in a namespace `ip netns`
 * named NAME, whose interface names may be the initial namespace's
 * (netns.h). A container's namespace has no such name: its state
 * directory is its own. */
int tg_rulestate_path(const char *dir, const char *ifname, char *buf, size_t len);

/* Write the rules in force on m to path (its directory made if need be).
 * *changed says whether the file's rules differ from what it held (it is
 * rewritten only then; with no rules and no file, none is made). 0 or
 * -errno. */
int tg_rulestate_save(const char *path, const char *ifname, const struct tg_maps *m,
		      bool *changed);

/* Read path back: set as tg_rule_set_read fills it, TTLs less the time
 * since it was written. A missing file is an empty set. 0, or -errno
 * (-EINVAL with why naming the line). */
int tg_rulestate_load(const char *path, struct tg_rule_set *set, char *why, size_t whylen);

/* The same from a state file's text (len bytes), as its copy in Redis
 * holds it (rules_redis.h). */
int tg_rulestate_parse(const char *text, size_t len, struct tg_rule_set *set, char *why,
		       size_t whylen);

/* The wall time (ns) a state file's text says it was written at; 0: none. */
__u64 tg_rulestate_written(const char *text);

#endif /* TG_RULESTATE_H */
