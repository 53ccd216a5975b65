/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ref_gcra.h - a model of tidegate's state, from the README: a GCRA
 * bucket per source ("The bucket", "A rate changed live"), the drop log
 * ("The drop log": a bucket's first drop, then one line per interval,
 * all under a budget), the RST budget ("Actions") and the rules ("Rules":
 * the longest prefix wins; allow, deny, limit, shared; bans: deny --all
 * drops every packet, --ttl ends a rule, which still hides a shorter
 * one until it is swept). Given what
 * ref_dp.h made of a frame, ref_charge says what the program must
 * answer and which counters must move, and updates the model.
 */
#ifndef TG_REF_GCRA_H
#define TG_REF_GCRA_H

#include <stdbool.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/types.h>

#include "ref_dp.h"
#include "tidegate.h"

/* A bucket counts its drops exactly up to here (README, Top talkers). */
#define REF_DROPS_EXACT 256
/* A tat this far beyond what the limit can owe is capped (README: "the
 * cap ignores a TAT less than 1 ms beyond it"). */
#define REF_CAP_SLACK_NS 1000000ULL

#define REF_SLOTS 8192 /* a power of two, above the sources of one epoch */

struct ref_bucket {
	bool used;
	__u8 addr[16];
	__u32 rule; /* 0: the interface's limit, else the rule's id */
	__u64 tat_ns, admitted, dropped, logged_ns;
};

/* A rule as the operator wrote it, and what the program was given. */
struct ref_rule {
	unsigned int family, len; /* 4 or 6; the prefix length */
	__u8 addr[16];            /* IPv4 in its last 4 bytes, as a source */
	__u8 kind;                /* TG_RULE_* */
	bool shared, all;         /* all: deny --all */
	__u64 expires_ns;         /* --ttl, on the program's clock; 0: never */
	__u32 id, action;         /* action TG_ACT_DEFAULT: the interface's */
	__u64 interval_ns, tolerance_ns;
};

/* The limits as the program was given them, read back from tg_config. */
struct ref_limits {
	__u64 interval_ns, tolerance_ns;
	unsigned int v4_prefix, v6_prefix;
	bool dry_run;
	__u32 action; /* TG_ACT_DROP or TG_ACT_RST */
	__u64 rst_interval_ns, rst_tolerance_ns;
	__u64 log_interval_ns, log_interval_budget_ns, log_tolerance_ns;
};

struct ref_state {
	struct ref_bucket slot[REF_SLOTS];
	unsigned int n;
	__u64 rst_tat_ns, log_tat_ns;
};

/* What the program must do with one frame. */
struct ref_effect {
	__u32 verdict;
	struct tg_counters cnt;
	struct tg_fam_counters fam[TG_NR_FAMILIES];
	struct ref_bucket *bucket; /* the bucket charged, or NULL */
	__u8 key[16];
	bool logged;               /* a drop log line was written */
};

/* The source cut to len bits: IPv4 is the last 4 of its 16 bytes. */
static inline void ref_cut(__u8 key[16], const __u8 saddr[16], bool v6, unsigned int len)
{
	unsigned int bits = v6 ? len : 96 + len, i;

	for (i = 0; i < 16; i++) {
		unsigned int keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * i : 0;

		key[i] = saddr[i] & (__u8)(0xff00 >> keep);
	}
}

static inline struct ref_bucket *ref_find(struct ref_state *s, const __u8 key[16], __u32 rule,
					  bool add)
{
	__u32 h = 2166136261u ^ rule;
	unsigned int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	for (i = h & (REF_SLOTS - 1);; i = (i + 1) & (REF_SLOTS - 1)) {
		struct ref_bucket *b = &s->slot[i];

		if (b->used && b->rule == rule && !memcmp(b->addr, key, 16))
			return b;
		if (!b->used) {
			if (!add || s->n + 1 >= REF_SLOTS)
				return NULL;
			b->used = true;
			memcpy(b->addr, key, 16);
			b->rule = rule;
			s->n++;
			return b;
		}
	}
}

/* The rule with the longest prefix covering the source, of its family,
 * expired or not (an expired rule still hides a shorter one). */
static inline const struct ref_rule *ref_rule_match(const struct ref_rule *rules, unsigned int n,
						    bool v6, const __u8 saddr[16])
{
	const struct ref_rule *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct ref_rule *r = &rules[i];
		__u8 a[16], b[16];

		if (r->family != (v6 ? 6U : 4U) || (best && best->len >= r->len))
			continue;
		ref_cut(a, saddr, v6, r->len);
		ref_cut(b, r->addr, v6, r->len);
		if (!memcmp(a, b, 16))
			best = r;
	}
	return best;
}

static inline bool ref_rule_expired(const struct ref_rule *r, __u64 now)
{
	return r->expires_ns && now >= r->expires_ns;
}

static inline void ref_reset(struct ref_state *s)
{
	memset(s, 0, sizeof(*s));
}

/* One GCRA word: conform (and move on) or not. Shared by the buckets'
 * decision and both budgets, which the README describes alike. */
static inline bool ref_gcra_take(__u64 *tat_ns, __u64 now, __u64 interval, __u64 tolerance)
{
	__u64 tat = *tat_ns > now ? *tat_ns : now;

	if (tat - now > tolerance)
		return false;
	*tat_ns = tat + interval;
	return true;
}

static inline void ref_count(struct ref_effect *e, bool v6, __u64 *total, size_t fam_field)
{
	(*total)++;
	e->cnt.syn++;
	e->fam[v6].syn++;
	(*(__u64 *)((char *)&e->fam[v6] + fam_field))++;
}

/* The drop log: README, "The drop log". */
static inline void ref_log(struct ref_state *s, struct ref_bucket *b, __u64 now,
			   const struct ref_limits *l, struct ref_effect *e)
{
	/* The time is kept without its bit 0, TG_BUCKET_UNVERIFIED's. */
	__u64 last = b->logged_ns & ~TG_BUCKET_UNVERIFIED;

	if (last && now - last < l->log_interval_ns)
		return;
	if (!ref_gcra_take(&s->log_tat_ns, now, l->log_interval_budget_ns, l->log_tolerance_ns)) {
		e->cnt.log_budget_exceeded++;
		return;
	}
	b->logged_ns = (now & ~TG_BUCKET_UNVERIFIED) | (b->logged_ns & TG_BUCKET_UNVERIFIED);
	e->cnt.log_emitted++;
	e->logged = true;
}

/*
 * What the program does with frame v at now (a pass or a SYN charged),
 * under the n rules: the model moves as the program's maps must.
 */
static inline void ref_charge(struct ref_state *s, const struct ref_verdict *v, __u64 now,
			      const struct ref_limits *l, const struct ref_rule *rules,
			      unsigned int n, struct ref_effect *e)
{
	__u64 interval = l->interval_ns, tolerance = l->tolerance_ns;
	const struct ref_rule *rule;
	__u32 action = l->action;
	struct ref_bucket *b;

	memset(e, 0, sizeof(*e));
	e->cnt.packets = 1;
	e->verdict = XDP_PASS;
	/* A ban: every packet from its prefix, dropped (counted and passed
	 * on in dry run), before anything else is looked at. */
	if (v->hdr_family) {
		rule = ref_rule_match(rules, n, v->hdr_family == 6, v->hdr_saddr);
		if (rule && rule->kind == TG_RULE_DENY && rule->all &&
		    !ref_rule_expired(rule, now)) {
			e->cnt.deny_all++;
			if (!l->dry_run) {
				e->verdict = XDP_DROP;
				return;
			}
		}
	}
	if (v->kind == REF_PASSED) {
		(*(__u64 *)((char *)&e->cnt + v->counter))++;
		return;
	}
	if (v->counter != REF_NO_CNT)
		(*(__u64 *)((char *)&e->cnt + v->counter))++;
	ref_cut(e->key, v->saddr, v->v6, v->v6 ? l->v6_prefix : l->v4_prefix);
	rule = ref_rule_match(rules, n, v->v6, v->saddr);
	if (rule && ref_rule_expired(rule, now))
		rule = NULL; /* the interface's limit, not a shorter rule's */
	if (rule && rule->kind == TG_RULE_ALLOW) {
		e->cnt.rule_allow++;
		ref_count(e, v->v6, &e->cnt.allowed, offsetof(struct tg_fam_counters, allowed));
		return;
	}
	if (rule) {
		if (rule->action != TG_ACT_DEFAULT)
			action = rule->action;
		if (rule->kind == TG_RULE_LIMIT) {
			e->cnt.rule_limit++;
			interval = rule->interval_ns;
			tolerance = rule->tolerance_ns;
			if (rule->shared) /* one bucket, keyed by the network */
				ref_cut(e->key, rule->addr, v->v6, rule->len);
		} else {
			e->cnt.rule_deny++;
		}
	}
	b = ref_find(s, e->key, rule ? rule->id : 0, false);
	e->bucket = b;
	if (!b) {
		b = ref_find(s, e->key, rule ? rule->id : 0, true);
		if (!b)
			return; /* the model is full: the caller sees no bucket */
		e->bucket = b;
		e->cnt.new_source++;
		/* A deny rule's bucket only counts drops. A new source's
		 * bucket is full: its first SYN conforms. */
		if (!rule || rule->kind != TG_RULE_DENY) {
			b->tat_ns = now + interval;
			b->admitted = 1;
			ref_count(e, v->v6, &e->cnt.allowed,
				  offsetof(struct tg_fam_counters, allowed));
			return;
		}
	} else if ((!rule || rule->kind != TG_RULE_DENY) &&
		   ref_gcra_take(&b->tat_ns, now, interval, tolerance)) {
		b->admitted++;
		ref_count(e, v->v6, &e->cnt.allowed, offsetof(struct tg_fam_counters, allowed));
		return;
	} else if (!rule || rule->kind != TG_RULE_DENY) {
		/* Denied: a debt an earlier limit left beyond what this one
		 * can owe is capped (README, "A rate changed live"). */
		if (b->tat_ns > now + tolerance + interval + REF_CAP_SLACK_NS)
			b->tat_ns = now + tolerance + interval;
	}
	b->dropped++;
	ref_log(s, b, now, l, e);
	if (l->dry_run) {
		ref_count(e, v->v6, &e->cnt.would_drop,
			  offsetof(struct tg_fam_counters, would_drop));
		return;
	}
	ref_count(e, v->v6, &e->cnt.dropped, offsetof(struct tg_fam_counters, dropped));
	e->verdict = XDP_DROP;
	if (action != TG_ACT_RST) {
		e->cnt.act_drop++;
	} else if (!v->rst_ok) {
		e->cnt.rst_skipped++;
	} else if (!ref_gcra_take(&s->rst_tat_ns, now, l->rst_interval_ns, l->rst_tolerance_ns)) {
		e->cnt.rst_budget_exceeded++;
	} else {
		e->cnt.rst_sent++;
		e->verdict = XDP_TX;
	}
}

#endif /* TG_REF_GCRA_H */
