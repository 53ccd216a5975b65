/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * live.h - the limits in force on an interface: read from and written
 * to its config and ports maps while the program runs. Buckets are
 * never touched, so a change keeps every tracked source's state.
 */
#ifndef TG_LIVE_H
#define TG_LIVE_H

#include <stdbool.h>

#include "limits.h"
#include "pins.h"

int tg_live_read(const struct tg_maps *m, struct tg_limits *l);

/* Write l. old, if not NULL, is what is in the maps now: only ports
 * that differ are rewritten, new ones before old ones are cleared.
 * The flags the rules call for (TG_F_RULES, TG_F_FLOWS) and the
 * redirect interfaces are derived from the maps, as tg_live_sync does. */
int tg_live_write(const struct tg_maps *m, const struct tg_limits *l,
		  const struct tg_limits *old);

/*
 * After the rules changed: set TG_F_RULES while the trie has rules and
 * TG_F_FLOWS while a redirect action exists, and keep in tg_redirect
 * exactly the interfaces some action names. The program looks rules
 * and flows up only under these flags, so without rules it pays nothing.
 */
int tg_live_sync(const struct tg_maps *m);

/* Hand out the next rule id (never reused on this interface). */
int tg_live_next_rule_id(const struct tg_maps *m, __u32 *id);

/* Put ifindex in tg_redirect, before an action naming it is written. */
int tg_live_redirect_add(const struct tg_maps *m, __u32 ifindex);

struct tg_rule_spec;
struct tg_rule_key;
struct tg_rule;

/*
 * Add a rule live: its id, then its redirect interface, then the rule,
 * then the flags that make the program look. Returns 0 (key and r
 * filled), -EEXIST when the prefix already has a rule (r is that rule),
 * -EINVAL/-ERANGE for a spec that cannot be built (why), or -errno.
 */
int tg_live_rule_add(const struct tg_maps *m, const struct tg_rule_spec *spec,
		     struct tg_rule_key *key, struct tg_rule *r, char *why, size_t whylen);

/* Delete the rule with exactly key's prefix (r: what it was), then
 * clear the flags if it was the last. -ENOENT if there is none. */
int tg_live_rule_del(const struct tg_maps *m, const struct tg_rule_key *key, struct tg_rule *r);

/*
 * Make spec's rule the one in force for its prefix: nothing when the
 * same rule is there already; else it replaces what is there in place
 * (the prefix is never without a rule, and a failure keeps the old one),
 * with a new id (new buckets) only if kind, limit or sharing changed, an
 * action alone keeping id and buckets; or it is added. Returns 0 (nothing
 * to do), 1 (changed), or -errno (-EINVAL/-ERANGE with why).
 */
int tg_live_rule_apply(const struct tg_maps *m, const struct tg_rule_spec *spec, char *why,
		       size_t whylen);

/* What an import did; failed: the index of the rule that failed. */
struct tg_import_result {
	int added, changed, unchanged, deleted, failed;
};

/*
 * Put n rules in force at once, all or nothing: each as tg_live_rule_apply
 * would (unchanged ones untouched, changed ones in place); with replace,
 * every other rule is deleted. Should one fail (why, res->failed), every
 * rule is put back as it was. Returns 0 or -errno.
 */
int tg_live_rules_import(const struct tg_maps *m, const struct tg_rule_spec *specs, int n,
			 bool replace, struct tg_import_result *res, char *why, size_t whylen);

#endif /* TG_LIVE_H */
