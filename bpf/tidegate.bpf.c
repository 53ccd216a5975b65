// SPDX-License-Identifier: GPL-2.0
/*
 * tidegate.bpf.c - per-source SYN rate limiting at XDP.
 *
 * Every TCP SYN aimed at a limited port is charged to its source (the
 * source address cut to a prefix) in a GCRA bucket. A SYN that does not
 * conform is dropped before the kernel allocates anything for it.
 * Everything else passes, counted by why.
 */
#include "parse.h"
#include "rst.h"
#include <xdp/xdp_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The pieces of the program, each using those before it. */
#include "maps.h"
#include "gcra.h"
#include "fleet.h"
#include "bucket.h"
#include "verdict.h"
#include "front.h"
#include "rules.h"
#include "flows.h"
#include "droplog.h"
#include "actions.h"

/* Let libxdp chain the next program on the interface when we pass. */
struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(tidegate_xdp);

/*
 * What the parser found, for tg_decide: the offsets of the IP and TCP
 * headers from the start of the frame, the family, whether this is a
 * first fragment, and the destination port. A TCP offset of 0 (where
 * Ethernet is) says TCP's place is not known: tg_pkt.tcp is false.
 * Extension headers can put TCP thousands of bytes in, so its offset
 * gets 16 bits, which every offset the parsers can produce fits.
 */
#define TG_META_L3_MASK    0xffULL   /* bits 0-7: IP header offset */
#define TG_META_L4_SHIFT   8         /* bits 8-23: TCP header offset */
#define TG_META_L4_MASK    0xffffULL
#define TG_META_V6         (1ULL << 24)
#define TG_META_FRAG       (1ULL << 25)
#define TG_META_LOOKED     (1ULL << 26) /* the caller looked the bucket up: no
					 * rule can cover the source */
#define TG_META_RULED      (1ULL << 27) /* tg_rule_filter says a rule may */
#define TG_META_SLOT_SHIFT 28        /* bit 28: the config slot the packet uses */
#define TG_META_PORT_SHIFT 32        /* bits 32-47: destination port */

/* tg_decide's verdict for a SYN the cookie mode covers: its caller
 * answers it with tg_cookie_syn. No XDP action has this value. */
#define TG_RET_COOKIE 0x100

/* With room for a TCP header beyond the furthest offset: the verifier
 * checks th + 1 against the packet's end only for offsets up to 64 KiB. */
_Static_assert(TG_L4_OFF_MAX + sizeof(struct tcphdr) <= TG_META_L4_MASK,
	       "a TCP offset the parsers produce does not fit tg_decide's meta");
_Static_assert(TG_CONFIG_SLOTS == 2, "meta holds one bit of config slot");

/* The config slot the entry point read (config_live), for the global
 * functions it calls: they look the config up again, in the same slot. */
static __always_inline __u32 meta_slot(__u64 meta)
{
	return (meta >> TG_META_SLOT_SHIFT) & 1;
}

/* The SYN cookie path: it uses the maps and helpers above. */
#include "handshake.h"

/*
 * A SYN to a limited port: find its rule and bucket, decide, and act.
 * Every SYN here is counted by count_syn, once, as allowed, dropped or
 * would_drop.
 */
static __always_inline int limit_syn(struct xdp_md *ctx, const struct tg_pkt *p,
				     struct tg_source *src, const struct tg_config *cfg,
				     struct tg_counters *cnt, struct tg_bucket *found, __u64 meta,
				     __u64 now_in)
{
	/* src->group: the caller's, from the port; a group of its own
	 * keeps its limit whatever limit rule covers the source. */
	struct tg_limit lim = port_limit(cfg, src->group);
	__u32 group = src_port_group(src);
	__u32 action = cfg->action, ifindex = cfg->action_ifindex;
	struct tg_bucket *b = found;
	struct tg_rule *rule = NULL;
	__u8 why = TG_WHY_LIMIT;
	__u64 now;
	int verdict;

	if ((cfg->flags & TG_F_RULES) && !(meta & TG_META_LOOKED))
		rule = find_rule(p, meta & TG_META_RULED);
	if (rule && (rule_expired(rule) || (rule->kind == TG_RULE_LIMIT && src->group)))
		rule = NULL;
	if (rule) {
		if (rule->kind == TG_RULE_ALLOW) {
			cnt->rule_allow++;
			count_syn(cnt, p->v6, group, TG_COUNT_ALLOWED);
			if (cfg->flags & TG_F_FLOWS)
				forget_flow(p);
			return XDP_PASS;
		}
		source_set_word(src, rule->id, src->group);
		b = NULL; /* another key: the caller's bucket is not this one */
		if (rule->action) {
			action = rule->action;
			ifindex = rule->action_ifindex;
		}
		if (rule->kind == TG_RULE_DENY) {
			cnt->rule_deny++;
			why = TG_WHY_DENY;
		} else {
			cnt->rule_limit++;
			lim.interval_ns = rule->interval_ns;
			lim.tolerance_ns = rule->tolerance_ns;
			if (rule->flags & TG_RULE_F_SHARED)
				__builtin_memcpy(src->addr, rule->net, sizeof(src->addr));
		}
	}

	/* An untracked source the cookie mode covers proves itself first:
	 * no bucket until its cookie comes back (handshake.h). */
	if (!rule && cfg->cookie_mode != TG_COOKIES_OFF) {
		if (!b && !(meta & TG_META_LOOKED))
			b = bpf_map_lookup_elem(&tg_buckets, src);
		if (!b && cookie_covers(cfg, cnt, p))
			return TG_RET_COOKIE;
		/* One of those let in as a flood began, within its limit
		 * (over it, it is dropped as any source): it proves itself
		 * while cookies are in force, at no token. */
		if (b && (READ_ONCE(b->logged_ns) & TG_BUCKET_UNVERIFIED) &&
		    READ_ONCE(b->tat_ns) <= clock_coarse_ns() + lim.tolerance_ns &&
		    cookies_in_force(cfg)) {
			cnt->cookie_unverified++;
			return TG_RET_COOKIE;
		}
	}

	if (why == TG_WHY_DENY) {
		/* Only the drop log and the RST budget want the time here:
		 * the coarse clock serves them. */
		now = clock_coarse_ns();
		b = deny_bucket(src, cfg, cnt);
		verdict = TG_DENY;
	} else {
		/* now_in: the precise time the entry point read, having
		 * tried the clocks' denials itself (or 0). */
		verdict = charge_source(src, &lim, cfg, cnt, &b, &now, now_in);
	}
	if (verdict == TG_ADMIT) {
		count_syn(cnt, p->v6, group, TG_COUNT_ALLOWED);
		if (cfg->flags & TG_F_FLOWS)
			forget_flow(p);
		return XDP_PASS;
	}
	if (verdict == TG_CONTENDED)
		cnt->cas_exhausted++;
	if (action == TG_ACT_DEFAULT)
		action = TG_ACT_DROP;
	if (b) {
		count_drop(b, cnt);
		drop_log(b, now, p, src, rule, cfg, cnt, action, why);
	}
	if (cfg->flags & TG_F_DRY_RUN) {
		count_syn(cnt, p->v6, group, TG_COUNT_WOULD_DROP);
		return XDP_PASS;
	}
	count_syn(cnt, p->v6, group, TG_COUNT_DROPPED);
	if (action == TG_ACT_RST)
		return act_rst(ctx, p, now, cfg, cnt);
	if (action == TG_ACT_REDIRECT)
		return act_redirect(p, ifindex, cnt);
	return drop_silently(cnt);
}

/*
 * The decision and the action for a SYN to a limited port, as a global
 * function: the verifier checks it once, on its own, instead of once
 * for every way through the parser (VLAN tags, IP options, extension
 * headers, fragments), which multiplied past its limit of a million
 * instructions once rules, actions and the log were added. It costs a
 * call. Pointers from the caller arrive as possibly NULL memory of
 * their type's size; the packet is found again from ctx and meta, the
 * config and counters by lookups (an array's is a few instructions);
 * b is the source's bucket when the caller has looked it up already.
 */
__noinline int tg_decide(struct xdp_md *ctx, struct tg_source *src, struct tg_bucket *b,
			 __u64 meta, __u64 now)
{
	void *data = (void *)(long)ctx->data;
	__u64 l4 = (meta >> TG_META_L4_SHIFT) & TG_META_L4_MASK;
	struct tg_counters *cnt;
	struct tg_config *cfg;
	__u32 zero = 0;
	struct tg_pkt p;

	/* Never so from tidegate_xdp (see TG_L4_OFF_MAX); said for the
	 * verifier, which must see th's bounds. Unknown is safe: the SYN
	 * is still charged, only its ports are not read. */
	if (l4 > TG_L4_OFF_MAX)
		l4 = 0;
	p = (struct tg_pkt){
		.data = data,
		.end = (void *)(long)ctx->data_end,
		.l3 = data + (meta & TG_META_L3_MASK),
		.th = data + l4,
		.tcp = l4 != 0,
		.v6 = !!(meta & TG_META_V6),
		.frag = !!(meta & TG_META_FRAG),
		.dport = (__u16)(meta >> TG_META_PORT_SHIFT),
	};

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_slot(meta_slot(meta));
	if (!src || !cfg || !cnt)
		return XDP_PASS;
	return limit_syn(ctx, &p, src, cfg, cnt, b, meta, now);
}

/*
 * tg_decide, and the cookie SYN-ACK when it says so: called from here,
 * not from within tg_decide, so the two global functions' stacks are
 * never on top of each other.
 */
static __always_inline int decide(struct xdp_md *ctx, struct tg_source *src, struct tg_bucket *b,
				  __u64 meta, __u64 now)
{
	int ret = tg_decide(ctx, src, b, meta, now);

	return ret == TG_RET_COOKIE ? tg_cookie_syn(ctx, meta) : ret;
}

static __always_inline __u64 pkt_meta(const struct tg_pkt *p, bool first_frag, __u16 dport,
				      __u32 slot)
{
	__u64 l4 = p->tcp ? (__u64)((void *)p->th - p->data) : 0;

	return (__u64)(p->l3 - p->data) | l4 << TG_META_L4_SHIFT | (p->v6 ? TG_META_V6 : 0) |
	       (first_frag ? TG_META_FRAG : 0) | (__u64)dport << TG_META_PORT_SHIFT |
	       /* A shift, not a branch: two paths here would double the
		* verifier's work on every path after. */
	       (__u64)(slot & 1) << TG_META_SLOT_SHIFT;
}

/*
 * IPv6's extension headers (parse.h: struct tg_exthdrs), walked in a
 * global function the verifier checks once. TCP right after IPv6's
 * header, the usual case, takes no call (parse_ipv6_head).
 */
__noinline int tg_exthdrs_xdp(struct xdp_md *ctx, struct tg_exthdrs *w)
{
	return exthdrs_walk((void *)(long)ctx->data, (void *)(long)ctx->data_end, w);
}

/*
 * A packet whose TCP header we cannot read whole, though the kernel
 * will (why):
 *  - TG_P_TRUNC: a first fragment cut inside its TCP header (at_tcp) or
 *    inside the extension headers after its fragment header; reassembly
 *    completes it (a "tiny fragment", counted in frag_tiny);
 *  - TG_P_LONG: TCP behind more IPv6 extension headers than we walk,
 *    which the kernel walks (counted in exthdr_long).
 * What is visible may rule out a SYN (a flags byte without SYN) or a
 * limited port; anything else is charged as a SYN to a limited port,
 * from its source, and only then counted by why. Off the path of whole
 * SYNs, and past the flood's fast path: no real stack sends these.
 */
static __always_inline int charge_unseen(struct xdp_md *ctx, struct tg_pkt *p, struct cursor *c,
					 struct tg_source *src, const struct tg_config *cfg,
					 struct tg_counters *cnt, int why, bool at_tcp,
					 bool first_frag, __u32 slot)
{
	bool syn = true, port_known = false;
	__u16 dport = 0;

	if (at_tcp)
		port_known = parse_tcp_tiny(c, &dport, &syn);
	/* Ports that are there may be read; bytes past the datagram never. */
	p->tcp = port_known;
	if (!syn)
		return pass_not_syn(p, cfg, cnt);
	/* A tiny fragment that hides its port counts as limited. */
	if (port_known) {
		__u32 dport32 = dport;
		__u8 *limited = bpf_map_lookup_elem(&tg_ports, &dport32);

		if (!limited || !*limited)
			return pass_by_reason(cnt, TG_P_NOT_TCP);
		source_set_group(src, *limited);
	}
	if (why == TG_P_LONG)
		cnt->exthdr_long++;
	else
		cnt->frag_tiny++;
	return decide(ctx, src, NULL, pkt_meta(p, first_frag, dport, slot), 0);
}

SEC("xdp")
int tidegate_xdp(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
		.ip_end = (void *)(long)ctx->data_end,
	};
	struct tg_pkt p = { .data = c.pos, .end = c.end, .tcp = true };
	struct tg_counters *cnt;
	struct tg_config *cfg;
	struct tg_source src;
	__u32 zero = 0, dport32, slot, group;
	__u16 proto, dport = 0;
	__u8 *limited;
	bool syn = false, first_frag = false;
	struct tg_bucket *b = NULL;
	int ret, unseen = TG_P_OK;
	__u32 gen;
	bool ruled, quick;
	__u64 now = 0;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_live_gen(&slot, &gen);
	if (!cnt || !cfg)
		return XDP_PASS;
	cnt->packets++;

	ret = parse_eth(&c, &proto);
	if (ret)
		return pass_by_reason(cnt, ret);

	p.l3 = c.pos;
	p.v6 = proto == bpf_htons(ETH_P_IPV6);
	if ((cfg->flags & TG_F_DENY_ALL) && (p.v6 || proto == bpf_htons(ETH_P_IP)) &&
	    denied_all(&p, cfg, cnt))
		return XDP_DROP;
	if (proto == bpf_htons(ETH_P_IP)) {
		__be32 saddr;

		ret = parse_ipv4(&c, &saddr, &first_frag);
		if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v4(&src, saddr, cfg);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct tg_exthdrs w;
		struct ipv6hdr *ip6;

		if (parse_ipv6_head(&c, p.data, &ip6, &w, &ret)) {
			ret = tg_exthdrs_xdp(ctx, &w);
			ret = exthdrs_out(&c, p.data, &w, ret, &first_frag);
		}
		/* A first fragment may cut the extension headers that follow
		 * its fragment header; reassembly completes them too. A chain
		 * longer than we walk the kernel walks on. TCP is unseen. */
		if ((ret == TG_P_TRUNC && first_frag) || ret == TG_P_LONG)
			unseen = ret;
		else if (ret)
			return pass_by_reason(cnt, ret);
		make_source_v6(&src, ip6, cfg);
	} else {
		return pass_by_reason(cnt, TG_P_NOT_IP);
	}

	p.th = c.pos;
	ret = unseen ?: parse_tcp(&c, &dport, &syn);
	if (ret) {
		if (ret == TG_P_LONG || (ret == TG_P_TRUNC && first_frag))
			return charge_unseen(ctx, &p, &c, &src, cfg, cnt, ret, !unseen,
					     first_frag, slot);
		return pass_by_reason(cnt, ret);
	}
	if (!syn) {
		__u32 due = cookie_ack_due(&p, dport, cfg);

		source_set_group(&src, due);
		if (due && tg_cookie_ack(ctx, &src, pkt_meta(&p, first_frag, dport, slot)) == XDP_DROP)
			return XDP_DROP;
		return pass_not_syn(&p, cfg, cnt);
	}
	dport32 = dport;
	limited = bpf_map_lookup_elem(&tg_ports, &dport32);
	if (!limited || !*limited)
		return pass_by_reason(cnt, TG_P_NOT_TCP);
	group = *limited;
	source_set_group(&src, group);
	/*
	 * A flood's SYN, decided here without a call: no rule that may
	 * cover its source (none at all, or none by tg_rule_filter), the
	 * drop action, enforcing, a bucket over its limit (by the coarse
	 * clock when it is far over, coarse_deny, as charge_source; else by
	 * the precise one), and no log line to write. A denial is kept in
	 * this CPU's front slot (front.h) until the bucket conforms, which
	 * drops the source's next SYNs without the hash map. The counters
	 * move as limit_syn moves them, through the same helpers. Anything
	 * else, and every SYN that is not denied, goes on to tg_decide.
	 */
	ruled = (cfg->flags & TG_F_RULES) && rules_may_apply(&p);
	quick = !ruled && front_quick(cfg);
	if (quick) {
		if (front_denies(front_slot(&src), &src, gen, front_epoch(), cnt)) {
			count_syn(cnt, p.v6, src_port_group(&src), TG_COUNT_DROPPED);
			return drop_silently(cnt);
		}
	}
	if (!ruled)
		b = bpf_map_lookup_elem(&tg_buckets, &src);
	if (b && quick) {
		struct tg_limit lim = port_limit(cfg, group);
		__u64 last, quiet_until;
		bool quiet = true, budget = false;
		struct tg_state *st;

		/* Far over its limit, the coarse clock denies (coarse_deny);
		 * nearer the edge the precise one decides, read here once: a
		 * denial is dropped here alike, anything else goes on to
		 * tg_decide with that time, which it would read anyway. */
		if (!fleet_fast_limit(&lim))
			goto decide;
		if (coarse_may_deny(&lim)) {
			now = clock_coarse_ns();
			if (!coarse_deny(READ_ONCE(b->tat_ns), now, lim.tolerance_ns,
					 lim.interval_ns))
				now = 0;
		}
		if (!now) {
			now = clock_ns();
			if (!gcra_denies(READ_ONCE(b->tat_ns), now, lim.tolerance_ns,
					 lim.interval_ns))
				goto decide;
		}
		/* No line due: logged lately, or (the usual case for the
		 * sources of a big flood) a line due but the log budget
		 * spent, which a read of its word tells. Far from the edge by
		 * the coarse clock, up to a tick behind: it may count in
		 * log_budget_exceeded a line the precise clock's budget_take
		 * would have let through. Harmless: the bucket keeps its turn
		 * (logged_ns is not moved), so its line comes with a later
		 * drop, and the budget only errs on the side of fewer lines. */
		last = READ_ONCE(b->logged_ns) & ~TG_BUCKET_UNVERIFIED;
		quiet_until = last + cfg->log_interval_ns;
		if (!logged_lately(last, now, cfg)) {
			st = bpf_map_lookup_elem(&tg_state, &zero);
			quiet_until = st ? READ_ONCE(st->log_tat_ns) : 0;
			quiet = budget = quiet_until > now + cfg->log_budget_tolerance_ns;
			if (budget) {
				cnt->log_budget_exceeded++;
				quiet_until -= cfg->log_budget_tolerance_ns;
			}
		}
		if (quiet) {
			count_drop(b, cnt);
			front_fill(front_slot(&src), &src, gen, now, b, &lim, quiet_until, budget);
			count_syn(cnt, p.v6, src_port_group(&src), TG_COUNT_DROPPED);
			return drop_silently(cnt);
		}
		/* A line is due: tg_decide writes it, by clocks of its own
		 * (now may be the coarse one). */
		now = 0;
	}
decide:
	return decide(ctx, &src, b,
		      pkt_meta(&p, first_frag, dport, slot) |
			      (ruled ? TG_META_RULED : TG_META_LOOKED),
		      now);
}

/* tg_exthdrs_xdp's twin for TC. */
__noinline int tg_exthdrs_tc(struct __sk_buff *skb, struct tg_exthdrs *w)
{
	return exthdrs_walk((void *)(long)skb->data, (void *)(long)skb->data_end, w);
}

/*
 * TC ingress: the ACK that carries a valid cookie becomes a connection
 * of its listener (handshake.h). Everything passes; only ACKs to a
 * limited port while a cookie may be alive are looked at.
 */
SEC("tc")
int tidegate_tc(struct __sk_buff *skb)
{
	struct cursor c = {
		.pos = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
	};
	struct tg_pkt p = { .data = c.pos, .end = c.end, .tcp = true };
	struct tg_counters *cnt;
	struct tg_config *cfg;
	bool syn, first_frag = false;
	__u32 zero = 0, slot;
	__u16 proto, dport;
	int ret;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_live(&slot);
	if (!cnt || !cfg || cfg->cookie_mode == TG_COOKIES_OFF)
		return TC_ACT_OK;
	if (parse_eth(&c, &proto))
		return TC_ACT_OK;
	p.l3 = c.pos;
	if (proto == bpf_htons(ETH_P_IP)) {
		__be32 saddr;

		ret = parse_ipv4(&c, &saddr, &first_frag);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct tg_exthdrs w;
		struct ipv6hdr *ip6;

		if (parse_ipv6_head(&c, p.data, &ip6, &w, &ret)) {
			ret = tg_exthdrs_tc(skb, &w);
			ret = exthdrs_out(&c, p.data, &w, ret, &first_frag);
		}
		p.v6 = true;
	} else {
		return TC_ACT_OK;
	}
	if (ret || first_frag)
		return TC_ACT_OK;
	p.th = c.pos;
	if (parse_tcp(&c, &dport, &syn) || syn || !cookie_ack_due(&p, dport, cfg))
		return TC_ACT_OK;
	return tg_tc_ack(skb, pkt_meta(&p, false, dport, slot));
}
