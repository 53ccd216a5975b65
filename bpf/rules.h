/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - the rule covering a source, its expiry, and deny --all.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_RULES_H
#define TG_RULES_H

/* The longest rule covering the packet's source, or NULL. */
static __always_inline struct tg_rule *find_rule(const struct tg_pkt *p)
{
	struct tg_rule_key k = {};

	if (p->v6) {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > p->end)
			return NULL;
		k.prefixlen = TG_RULE_KEY_BITS(128);
		k.family = 6;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
	} else {
		struct iphdr *ip = p->l3;

		if ((void *)(ip + 1) > p->end)
			return NULL;
		k.prefixlen = TG_RULE_KEY_BITS(32);
		k.family = 4;
		__builtin_memcpy(k.addr, &ip->saddr, 4);
	}
	return bpf_map_lookup_elem(&tg_rules, &k);
}

/* Whether a rule's --ttl has run out: it no longer applies. */
static __always_inline bool rule_expired(const struct tg_rule *rule)
{
	return rule->expires_ns && clock_coarse_ns() >= rule->expires_ns;
}

/*
 * A deny --all rule drops every packet from its prefix, whatever it is,
 * as a ban from fail2ban means; looked up only while such a rule exists
 * (TG_F_DENY_ALL). Counted in deny_all; in dry run, passed.
 */
static __always_inline bool denied_all(const struct tg_pkt *p, const struct tg_config *cfg,
				       struct tg_counters *cnt)
{
	struct tg_rule *rule = find_rule(p);

	if (!rule || rule->kind != TG_RULE_DENY || !(rule->flags & TG_RULE_F_ALL) ||
	    rule_expired(rule))
		return false;
	cnt->deny_all++;
	return !(cfg->flags & TG_F_DRY_RUN);
}

#endif /* TG_RULES_H */
