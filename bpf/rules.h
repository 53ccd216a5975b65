/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - the rule covering a source, its expiry, and deny --all.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_RULES_H
#define TG_RULES_H

#include "rule_hash.h"

/* The index of a word's lowest set bit, by de Bruijn's sequence: BPF
 * has no instruction that counts trailing zeros. */
#define TG_DEBRUIJN64 0x022FDD63CC95386DULL
static const __u8 tg_debruijn_bit[64] = {
	0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34, 55, 48, 28,
	62, 5,  39, 46, 44, 42, 22, 9,  24, 35, 59, 56, 49, 18, 29, 11,
	63, 52, 6,  26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
	51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
};

/* Shorter prefix lengths probed one by one; one in use beyond them
 * sends the source to the trie. */
#define TG_RF_PROBES 6

static __always_inline bool filter_bit(const struct tg_rule_filter *f, __u32 slot)
{
	return f->bits[slot / 64] & (1ULL << (slot % 64));
}

/*
 * Whether the source's prefix at the family's cut length, or at one of
 * the shorter lengths in lens, has its bit in the filter: then a rule
 * may cover a.
 */
static __always_inline bool filter_hit(const struct tg_rule_filter *f, __u32 family, __u32 cut,
				       __u64 lens, const __u64 a[2])
{
	int i;

	if (filter_bit(f, tg_rf_slot(family, cut, a)))
		return true;
	for (i = 0; i < TG_RF_PROBES && lens; i++) {
		__u32 len = tg_debruijn_bit[((lens & -lens) * TG_DEBRUIJN64) >> 58];

		if (filter_bit(f, tg_rf_slot(family, len, a)))
			return true;
		lens &= lens - 1;
	}
	return lens != 0;
}

/*
 * Whether some rule may cover the source address in k (family and
 * address filled): 0 only when none does, so the trie need not be
 * walked for it (tg_rule_filter). Inline: a call is dear on a kernel
 * that sends every return through a safe-return thunk, and the SYN of
 * a flood from a source no rule covers asks it. (It was a global
 * function while every way through the parser was a state of its own,
 * which the global extension-header walk has since made one.)
 */
static __always_inline int tg_rule_may_cover(const struct tg_rule_key *k)
{
	struct tg_rule_filter *f;
	__u32 zero = 0;
	__u64 a[2];

	if (!k)
		return 1;
	__builtin_memcpy(a, k->addr, sizeof(a));
	f = bpf_map_lookup_elem(&tg_rule_filter, &zero);
	if (!f)
		return 1;
	if (k->family == 4)
		return filter_hit(f, 4, TG_RF_CUT4, f->lens[0], a);
	return filter_hit(f, 6, TG_RF_CUT6, f->lens[1], a);
}

/* The packet's source as a tg_rules key for the longest match; false
 * when its header is not there. */
static __always_inline bool rule_key(const struct tg_pkt *p, struct tg_rule_key *k)
{
	if (p->v6) {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > p->end)
			return false;
		k->prefixlen = TG_RULE_KEY_BITS(128);
		k->family = 6;
		__builtin_memcpy(k->addr, &ip6->saddr, 16);
	} else {
		struct iphdr *ip = p->l3;

		if ((void *)(ip + 1) > p->end)
			return false;
		k->prefixlen = TG_RULE_KEY_BITS(32);
		k->family = 4;
		__builtin_memcpy(k->addr, &ip->saddr, 4);
	}
	return true;
}

/* Whether a rule may cover the packet's source (tg_rule_may_cover). */
static __always_inline bool rules_may_apply(const struct tg_pkt *p)
{
	struct tg_rule_key k = {};

	return rule_key(p, &k) && tg_rule_may_cover(&k);
}

/* The longest rule covering the packet's source, or NULL. asked: the
 * filter has said already that one may (rules_may_apply). */
static __always_inline struct tg_rule *find_rule(const struct tg_pkt *p, bool asked)
{
	struct tg_rule_key k = {};

	if (!rule_key(p, &k) || (!asked && !tg_rule_may_cover(&k)))
		return NULL;
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
	struct tg_rule *rule = find_rule(p, false);

	if (!rule || rule->kind != TG_RULE_DENY || !(rule->flags & TG_RULE_F_ALL) ||
	    rule_expired(rule))
		return false;
	cnt->deny_all++;
	return !(cfg->flags & TG_F_DRY_RUN);
}

#endif /* TG_RULES_H */
