/* SPDX-License-Identifier: GPL-2.0 */
/*
 * droplog.h - the drop log: a line per bucket per interval, under a budget.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_DROPLOG_H
#define TG_DROPLOG_H

/* The prefix length a bucket's address was cut to, for the log. */
static __always_inline __u8 bucket_prefix(const struct tg_pkt *p, const struct tg_rule *rule,
					  const struct tg_config *cfg)
{
	if (rule && (rule->flags & TG_RULE_F_SHARED))
		return rule->prefixlen;
	return p->v6 ? cfg->v6_prefix : cfg->v4_prefix;
}

/* A line's place under the global log budget, or false (counted). */
static __always_inline bool log_budget_take(__u64 now, const struct tg_config *cfg,
					    struct tg_counters *cnt)
{
	struct tg_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (!st || !budget_take(&st->log_tat_ns, now, cfg->log_budget_interval_ns,
				cfg->log_budget_tolerance_ns)) {
		cnt->log_budget_exceeded++;
		return false;
	}
	return true;
}

/* Room for a line in the ring, or NULL (counted): nobody is reading. */
static __always_inline struct tg_log_event *log_reserve(struct tg_counters *cnt)
{
	struct tg_log_event *ev = bpf_ringbuf_reserve(&tg_log, sizeof(*ev), 0);

	if (!ev)
		cnt->log_lost++;
	return ev;
}

static __always_inline void log_submit(struct tg_log_event *ev, struct tg_counters *cnt)
{
	bpf_ringbuf_submit(ev, 0);
	cnt->log_emitted++;
}

/*
 * The drop log: a bucket's first drop, then at most one line per
 * log_interval_ns, and every line under the global budget, so a flood
 * from a million sources costs at most the budget in lines. The budget
 * is asked first: a bucket keeps its turn until it gets a line, so the
 * budget's whole rate is used (had the turn been spent on a refusal,
 * sources refused at once would all wait out the interval together and
 * leave the budget idle in between). Then logged_ns is claimed with a
 * compare-and-swap, so two CPUs never both log a bucket; the loser's
 * token is spent for nothing, which only makes the log quieter.
 */
static __always_inline void drop_log(struct tg_bucket *b, __u64 now, const struct tg_pkt *p,
				     const struct tg_source *src, const struct tg_rule *rule,
				     const struct tg_config *cfg, struct tg_counters *cnt,
				     __u32 action, __u8 why)
{
	__u64 word = READ_ONCE(b->logged_ns);
	__u64 last = word & ~TG_BUCKET_UNVERIFIED;
	struct tg_log_event *ev;

	if (logged_lately(last, now, cfg) || !log_budget_take(now, cfg, cnt))
		return;
	if (__sync_val_compare_and_swap(&b->logged_ns, word,
					(now & ~TG_BUCKET_UNVERIFIED) |
						(word & TG_BUCKET_UNVERIFIED)) != word)
		return;
	ev = log_reserve(cnt);
	if (!ev)
		return;
	ev->time_ns = now;
	ev->since_ns = last ? now - last : 0;
	ev->dropped = READ_ONCE(b->dropped);
	ev->admitted = READ_ONCE(b->admitted);
	if (why == TG_WHY_DENY) {
		ev->rate_period_ns = 0;
		ev->rate_count = 0;
	} else if (rule) {
		ev->rate_period_ns = rule->rate_period_ns;
		ev->rate_count = rule->rate_count;
	} else if (key_group(src->group)) {
		const struct tg_port_group *pg = &cfg->port_groups[src->group & (TG_PORT_GROUPS - 1)];

		ev->rate_period_ns = pg->rate_period_ns;
		ev->rate_count = pg->rate_count;
	} else {
		ev->rate_period_ns = cfg->rate_period_ns;
		ev->rate_count = cfg->rate_count;
	}
	ev->rule_id = src->rule;
	ev->port_group = src->group;
	if (pkt_saddr(p, ev->addr, true))
		__builtin_memset(ev->addr, 0, sizeof(ev->addr));
	__builtin_memcpy(ev->bucket, src->addr, sizeof(ev->bucket));
	ev->dport = p->dport;
	ev->prefixlen = bucket_prefix(p, rule, cfg);
	ev->family = p->v6 ? 6 : 4;
	ev->action = action;
	ev->why = why;
	ev->flags = (cfg->flags & TG_F_DRY_RUN ? TG_EV_DRY_RUN : 0) |
		    (rule && (rule->flags & TG_RULE_F_SHARED) ? TG_EV_SHARED : 0);
	log_submit(ev, cnt);
}

#endif /* TG_DROPLOG_H */
