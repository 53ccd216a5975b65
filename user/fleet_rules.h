/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_rules.h - an interface's limit rules as the fleet knows them.
 *
 * Each machine numbers its rules itself, so a rule's buckets cannot be
 * named in Redis by their rule id. The fleet names a rule by its prefix
 * instead: the keys of its buckets take the zone "ZONE@CIDR" (rkeys.h,
 * tg_key_format), the same on every member that has the rule, and a key
 * read back (a denial) finds this machine's id through it.
 */
#ifndef TG_FLEET_RULES_H
#define TG_FLEET_RULES_H

#include <stddef.h>
#include <linux/types.h>

#include "conf.h"

/* "ZONE@" and the longest CIDR, "ffff:...:ffff/128". */
#define TG_FLEET_ZONE_MAX (TG_NAME_MAX + 1 + 44)

/* One limit rule: its id here, its name in the fleet, its limit. */
struct tg_fleet_rule {
	__u32 id;
	char zone[TG_FLEET_ZONE_MAX];
	/* How its buckets' sources are cut: the interface's prefixes, or
	 * for a --shared rule its own length (its one bucket is keyed by
	 * its network). */
	unsigned int v4_prefix, v6_prefix;
	__u64 interval_ns, tolerance_ns;
};

struct tg_fleet_rules {
	struct tg_fleet_rule *v; /* by id */
	const struct tg_fleet_rule **by_zone; /* the same, by zone */
	int n;
	/* The rules' limits in one line, for the heartbeat's comparison:
	 * "no limit rules" or "3 limit rules #1a2b3c4d", a hash of each
	 * rule's prefix, rate, burst and sharing. */
	char sig[48];
};

/* Read the limit rules of the tg_rules trie at rules_fd, for an
 * interface keyed under zone with these prefixes; out is replaced
 * whole, or left as it was on failure. 0 or -errno. */
int tg_fleet_rules_read(int rules_fd, const char *zone, unsigned int v4_prefix,
			unsigned int v6_prefix, struct tg_fleet_rules *out);
void tg_fleet_rules_free(struct tg_fleet_rules *r);

/* The rule of this id, or NULL. */
const struct tg_fleet_rule *tg_fleet_rule_by_id(const struct tg_fleet_rules *r, __u32 id);

/* The rule whose zone is the len bytes at zone ("ZONE@CIDR"), or NULL. */
const struct tg_fleet_rule *tg_fleet_rule_by_zone(const struct tg_fleet_rules *r,
						  const char *zone, size_t len);

#endif /* TG_FLEET_RULES_H */
