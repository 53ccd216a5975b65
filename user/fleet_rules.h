/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_rules.h - an interface's limit rules and port groups as the
 * fleet knows them.
 *
 * Each machine numbers its rules and groups itself, so their buckets
 * cannot be named in Redis by id. The fleet names a rule by its prefix
 * and a group by its ports instead: the keys of their buckets take the
 * zone "ZONE@CIDR" or "ZONE#PORTS" (rkeys.h, tg_key_format), the same on
 * every member that has the rule or group, and a key read back (a
 * denial) finds this machine's id through it.
 */
#ifndef TG_FLEET_RULES_H
#define TG_FLEET_RULES_H

#include <stddef.h>
#include <linux/types.h>

#include "conf.h"
#include "tidegate.h"

/* "ZONE@" and the longest CIDR, "ffff:...:ffff/128". */
#define TG_FLEET_ZONE_MAX (TG_NAME_MAX + 1 + 44)

/* Whose bucket a source's is, as one word: its rule id, or its port
 * group above the rule bits (tg_source); 0 the interface's default. */
static inline __u32 tg_fleet_limit_id(const struct tg_source *s)
{
	return s->rule | (__u32)s->group << TG_RULE_ID_BITS;
}

static inline void tg_fleet_limit_set(struct tg_source *s, __u32 id)
{
	s->rule = id & TG_RULE_ID_MAX;
	s->group = id >> TG_RULE_ID_BITS;
}

/* One limit rule or port group: its limit id here (tg_fleet_limit_id),
 * its name in the fleet, its limit. */
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
	/* Their limits in one line, for the heartbeat's comparison: "no
	 * limit rules" or "3 limit rules #1a2b3c4d" (", 1 port group" when
	 * there are some), a hash of each rule's prefix, rate, burst and
	 * sharing, and of each group's ports, rate and burst. */
	char sig[64];
};

/* Read the limit rules of the tg_rules trie at rules_fd and the port
 * groups of groups (tg_config's, TG_PORT_GROUPS of them), for an
 * interface keyed under zone with these prefixes; out is replaced
 * whole, or left as it was on failure. 0 or -errno. */
int tg_fleet_rules_read(int rules_fd, const struct tg_port_group *groups, const char *zone,
			unsigned int v4_prefix, unsigned int v6_prefix,
			struct tg_fleet_rules *out);
void tg_fleet_rules_free(struct tg_fleet_rules *r);

/* The rule of this id, or NULL. */
const struct tg_fleet_rule *tg_fleet_rule_by_id(const struct tg_fleet_rules *r, __u32 id);

/* The rule or group whose zone is the len bytes at zone ("ZONE@CIDR",
 * "ZONE#PORTS"), or NULL. */
const struct tg_fleet_rule *tg_fleet_rule_by_zone(const struct tg_fleet_rules *r,
						  const char *zone, size_t len);

#endif /* TG_FLEET_RULES_H */
