/* SPDX-License-Identifier: GPL-2.0 */
/*
 * handshake.h - the SYN cookie path of tidegate.bpf.c: when a SYN is
 * covered, its SYN-ACK (XDP); the check of an ACK to a limited port
 * (XDP); the handshake completed into the listener (TC).
 *
 * Included by tidegate.bpf.c after its maps and budget helpers, which
 * it uses: one BPF object, so the TC program shares the maps.
 *
 * Known limits, on purpose:
 *  - the SYN-ACK is never retransmitted: the client's SYN retransmission
 *    gets a new one. Data on the SYN (TFO) is not acknowledged; the
 *    client sends it again after the handshake.
 *  - ECN is not negotiated for a cookie connection.
 *  - a cookie ACK that fails while an ACK of the kernel's own SYN
 *    cookies would pass (a SYN that reached the kernel, whose queue then
 *    overflowed) is dropped unless its source holds a bucket; with
 *    tidegate's cookies covering floods the kernel's rarely fire.
 *  - an ACK carrying a valid cookie but no timestamp gets the 24-bit
 *    check only: a blind attacker needs 2^23 guesses on average per
 *    connection it forges.
 */
#ifndef TG_HANDSHAKE_H
#define TG_HANDSHAKE_H

#include <linux/pkt_cls.h>

#include "synack.h"

#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

/* Not in the UAPI headers; the kernel's layout (net/core/filter.c). */
struct bpf_tcp_req_attrs {
	__u32 rcv_tsval;
	__u32 rcv_tsecr;
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 reserved[3];
};

/* libbpf matches the kfunc against the kernel's BTF and wants a complete
 * struct, not a forward declaration, for its argument. */
struct sock {
	int opaque;
};

/* Linux 6.9+. Weak: on older kernels the TC program is not loaded and
 * cookies stay off (user/cookies.c says so in status). */
extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym __weak;

#define TG_COOKIE_LAST_STEP_NS 1000000000ULL

/* Whether a cookie sent at last may still come back at now (by the
 * coarse clock, which may read a little behind the one that sent). */
static __always_inline bool cookies_alive(const struct tg_state *st, __u64 now)
{
	__u64 last = READ_ONCE(st->cookie_last_ns);

	return last && (__s64)(now - last) < (__s64)TG_COOKIE_LIFE_NS;
}

/*
 * Whether a segment that is not a SYN is an ACK the cookie path must
 * look at: an ACK without SYN or RST, to a limited port, while the
 * cookie mode is on and a cookie may be alive. Says so with the port's
 * group (tg_ports), TG_PG_NONE when not. Established traffic
 * pays this (two array lookups) and, while cookies are alive, one
 * hash; a socket lookup only when the hash fails and its source has no
 * bucket.
 */
static __always_inline __u32 cookie_ack_due(const struct tg_pkt *p, __u16 dport,
					    const struct tg_config *cfg)
{
	struct tcphdr *th = p->th;
	struct tg_state *st;
	__u32 zero = 0, port = dport;
	__u8 *limited;

	if (cfg->cookie_mode == TG_COOKIES_OFF || !p->tcp || (void *)(th + 1) > p->end ||
	    !th->ack || th->syn || th->rst)
		return TG_PG_NONE;
	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (!st || !cookies_alive(st, clock_coarse_ns()))
		return TG_PG_NONE;
	limited = bpf_map_lookup_elem(&tg_ports, &port);
	return limited ? *limited : TG_PG_NONE;
}

/* The flow of a packet from the client, as the cookie hashes it. */
static __always_inline int cookie_flow(const void *l3, const void *end, const struct tcphdr *th,
				       bool v6, struct tg_cookie_flow *f)
{
	if (v6) {
		const struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(f->saddr, &ip6->saddr, 16);
		__builtin_memcpy(f->daddr, &ip6->daddr, 16);
	} else {
		const struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end)
			return -1;
		f->saddr[0] = f->saddr[1] = f->daddr[0] = f->daddr[1] = 0;
		f->saddr[2] = f->daddr[2] = bpf_htonl(0xffff);
		f->saddr[3] = ip->saddr;
		f->daddr[3] = ip->daddr;
	}
	f->sport = th->source;
	f->dport = th->dest;
	return 0;
}

/* The socket of flow f in the packet's network namespace, XDP or TC:
 * a listener, a connection, or NULL. Release it. */
static __always_inline struct bpf_sock *flow_sock(void *ctx, const struct tg_cookie_flow *f,
						  bool v6)
{
	struct bpf_sock_tuple tup = {};

	if (v6) {
		__builtin_memcpy(tup.ipv6.saddr, f->saddr, 16);
		__builtin_memcpy(tup.ipv6.daddr, f->daddr, 16);
		tup.ipv6.sport = f->sport;
		tup.ipv6.dport = f->dport;
		return bpf_skc_lookup_tcp(ctx, &tup, sizeof(tup.ipv6), BPF_F_CURRENT_NETNS, 0);
	}
	tup.ipv4.saddr = f->saddr[3];
	tup.ipv4.daddr = f->daddr[3];
	tup.ipv4.sport = f->sport;
	tup.ipv4.dport = f->dport;
	return bpf_skc_lookup_tcp(ctx, &tup, sizeof(tup.ipv4), BPF_F_CURRENT_NETNS, 0);
}

/* The ACK's cookie and the client's ISN, from its sequence numbers. */
static __always_inline __u32 ack_cookie(const struct tcphdr *th, struct tg_cookie_flow *f)
{
	f->isn = bpf_ntohl(th->seq) - 1;
	return bpf_ntohl(th->ack_seq) - 1;
}

/*
 * A line of the cookie path in the drop log (TG_WHY_COOKIE*). A mode
 * change always gets one, outside the budget: auto trips at most once
 * per TG_AUTO_HOLD_NS. Budget and bad-cookie lines come at most once
 * per log_interval_ns each, under the log budget, as a bucket's do: a
 * flood of either costs one line an interval, whatever its sources.
 * addr: the packet's source, IPv4-mapped.
 */
static __always_inline void cookie_log(struct tg_state *st, const struct tg_config *cfg,
				       struct tg_counters *cnt, __u8 why, __u64 time, __u64 since,
				       const void *addr, __u16 dport, bool v6)
{
	struct tg_log_event *ev;

	if (why >= TG_WHY_COOKIE_BUDGET) {
		__u64 *turn = &st->cookie_logged_ns[TG_COOKIE_LOG_SLOT(why) & 1];
		__u64 last = READ_ONCE(*turn);

		if (logged_lately(last, time, cfg) || !log_budget_take(time, cfg, cnt))
			return;
		if (__sync_val_compare_and_swap(turn, last, time) != last)
			return;
		since = last ? time - last : 0;
	}
	ev = log_reserve(cnt);
	if (!ev)
		return;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->time_ns = time;
	ev->since_ns = since;
	if (why == TG_WHY_COOKIES_ON || why == TG_WHY_COOKIE_BUDGET) {
		ev->rate_period_ns = 1000000000ULL;
		ev->rate_count = why == TG_WHY_COOKIES_ON ? cfg->new_source_rate
							  : cfg->cookie_budget;
	}
	__builtin_memcpy(ev->addr, addr, sizeof(ev->addr));
	ev->dport = dport;
	ev->family = v6 ? 6 : 4;
	ev->prefixlen = v6 ? 128 : 32;
	if (why >= TG_WHY_COOKIE_BUDGET)
		ev->action = TG_ACT_DROP;
	ev->why = why;
	log_submit(ev, cnt);
}

/*
 * Whether auto mode covers a SYN from a new source now: while tripped,
 * and whenever new sources outrun their budget, which (re)trips it for
 * TG_AUTO_HOLD_NS. The budget is charged only by new sources not
 * covered, so a flood keeps it spent and auto on; cookies stop
 * TG_AUTO_HOLD_NS after new sources last came faster than the budget.
 */
#define TG_AUTO_HOLD_NS (10ULL * 1000000000ULL)

static __always_inline bool auto_covers(struct tg_state *st, const struct tg_config *cfg,
					struct tg_counters *cnt, __u64 now, const struct tg_pkt *p)
{
	__u64 until = READ_ONCE(st->auto_until_ns);
	__u8 addr[16];

	/* Refreshed at most once a second: no write per SYN of a flood. */
	if (until > now + TG_AUTO_HOLD_NS - TG_COOKIE_LAST_STEP_NS)
		return true;
	if (pkt_saddr(p, addr, true))
		__builtin_memset(addr, 0, sizeof(addr));
	/* The end of a trip is seen by the next new source after it: the
	 * line says when it ended. Whoever clears the word logs it. */
	if (until && until <= now &&
	    __sync_val_compare_and_swap(&st->auto_until_ns, until, 0) == until) {
		cookie_log(st, cfg, cnt, TG_WHY_COOKIES_OFF, until,
			   until - READ_ONCE(st->auto_since_ns), addr, p->dport, p->v6);
		until = 0;
	}
	if (budget_take(&st->newsrc_tat_ns, now, cfg->newsrc_interval_ns,
			cfg->newsrc_tolerance_ns))
		return until > now;
	if (until <= now) {
		cnt->cookie_auto_trips++;
		WRITE_ONCE(st->auto_since_ns, now);
		cookie_log(st, cfg, cnt, TG_WHY_COOKIES_ON, now, 0, addr, p->dport, p->v6);
	}
	WRITE_ONCE(st->auto_until_ns, now + TG_AUTO_HOLD_NS);
	return true;
}

/* How the mode stands for a SYN: TG_COOKIES_OFF (no cookie, or no
 * state to ask), TG_COOKIES_ON, or TG_COOKIES_AUTO with *st its state. */
static __always_inline __u32 cookie_mode_now(const struct tg_config *cfg, struct tg_state **st)
{
	__u32 zero = 0;

	if (!cookies_usable(cfg))
		return TG_COOKIES_OFF;
	if (cfg->cookie_mode == TG_COOKIES_ON)
		return TG_COOKIES_ON;
	*st = bpf_map_lookup_elem(&tg_state, &zero);
	return *st ? TG_COOKIES_AUTO : TG_COOKIES_OFF;
}

/*
 * Whether cookies are in force now: on, or auto while tripped. What
 * challenges a source whose bucket is TG_BUCKET_UNVERIFIED; unlike
 * cookie_covers it charges no new-source budget (the source is not new).
 */
static __always_inline bool cookies_in_force(const struct tg_config *cfg)
{
	struct tg_state *st = NULL;
	__u32 mode = cookie_mode_now(cfg, &st);

	return mode == TG_COOKIES_ON ||
	       (mode == TG_COOKIES_AUTO && st &&
		READ_ONCE(st->auto_until_ns) > clock_coarse_ns());
}

/*
 * Whether the cookie mode covers a SYN from a source with no bucket and
 * no rule. Never without the TC program that completes the handshake.
 * Only auto asks the time: its new-source budget.
 */
static __always_inline bool cookie_covers(const struct tg_config *cfg, struct tg_counters *cnt,
					  const struct tg_pkt *p)
{
	struct tg_state *st = NULL;
	__u32 mode = cookie_mode_now(cfg, &st);

	return mode == TG_COOKIES_ON ||
	       (mode == TG_COOKIES_AUTO && st && auto_covers(st, cfg, cnt, clock_coarse_ns(), p));
}

/*
 * Answer a covered SYN with its cookie SYN-ACK, within the interface's
 * budget; the SYN itself is dropped, nothing is kept for it. A global
 * function for the verifier, as tg_decide; meta as tg_decide's.
 */
__noinline int tg_cookie_syn(struct xdp_md *ctx, __u64 meta)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *l3 = data + (meta & TG_META_L3_MASK);
	bool v6 = !!(meta & TG_META_V6);
	struct tg_cookie_flow f = {};
	struct tg_counters *cnt;
	struct tg_tcpopts o = {};
	struct tg_config *cfg;
	struct tg_cookie_made c;
	struct tg_synack a = {};
	struct tg_state *st;
	struct tcphdr *th;
	__u32 zero = 0, olen;
	__u64 now;
	int len;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_slot(meta_slot(meta));
	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (!cnt || !cfg || !st)
		return XDP_DROP;
	cnt->cookie_syn++;
	th = l3 + (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	/* As rst_answerable: no IP options, extension headers or first
	 * fragments, nothing to or from a group address. */
	if ((meta & TG_META_FRAG) || !rst_unicast(data, end, l3, v6) || (void *)(th + 1) > end ||
	    (v6 ? ((struct ipv6hdr *)l3)->nexthdr != IPPROTO_TCP
		: ((struct iphdr *)l3)->ihl != 5)) {
		cnt->cookie_skipped++;
		return XDP_DROP;
	}
	/* The coarse clock: the cookie's counter moves every 68.7 s and its
	 * TSval counts milliseconds, so a tick does not matter, and the
	 * precise clock's fence would be a good part of this SYN's cost.
	 * Cookies are made and checked by the same clock. */
	now = clock_coarse_ns();
	if (cookie_flow(l3, end, th, v6, &f)) {
		cnt->cookie_skipped++;
		return XDP_DROP;
	}
	if (!budget_take(&st->cookie_tat_ns, now, cfg->cookie_interval_ns,
			 cfg->cookie_tolerance_ns)) {
		cnt->cookie_budget_exceeded++;
		cookie_log(st, cfg, cnt, TG_WHY_COOKIE_BUDGET, now, 0, f.saddr,
			   bpf_ntohs(f.dport), v6);
		return XDP_DROP;
	}
	olen = th->doff * 4;
	olen = olen > sizeof(*th) ? olen - sizeof(*th) : 0;
	if (olen > TG_TCPOPT_MAX)
		olen = TG_TCPOPT_MAX;
	if (!tg_opts_fast((__u8 *)(th + 1), end, olen, &o)) {
		/* Its own scope: the copy's room is the header's later. */
		struct tg_optwalk w = {};

		if (bpf_xdp_load_bytes(ctx, (__u32)((void *)(th + 1) - data), w.buf, olen))
			olen = 0;
		tg_opts_parse(&w, olen);
		o = w.o;
	}
	tg_opts_allowed(&o, cfg->cookie_opts);
	f.isn = bpf_ntohl(th->seq);
	c = tg_cookie_make(&f, &o, v6, now, cfg->cookie_key);
	a.opts = o;
	a.isn = c.isn;
	a.tsval = (__u32)(now / 1000000) & ~0xffU;
	a.tsval |= c.ts_low;
	a.mss = v6 ? cfg->cookie_mss6 : cfg->cookie_mss4;
	a.wscale = cfg->cookie_wscale;
	len = v6 ? synack_v6(data, end, l3, &a) : synack_v4(data, end, l3, &a);
	if (len < 0) {
		cnt->cookie_skipped++;
		return XDP_DROP;
	}
	/* Cut the payload and unused option room; pointers are void after. */
	if (len < end - data && bpf_xdp_adjust_tail(ctx, len - (int)(end - data))) {
		cnt->cookie_skipped++;
		return XDP_DROP;
	}
	if (now - READ_ONCE(st->cookie_last_ns) > TG_COOKIE_LAST_STEP_NS)
		WRITE_ONCE(st->cookie_last_ns, now);
	cnt->cookie_sent++;
	return XDP_TX;
}

/*
 * An ACK to a limited port while cookies may be alive. A valid cookie
 * goes on to the TC program; so does any ACK of a connection that
 * exists (its source holds a bucket, or a socket other than the
 * listener takes it). The rest, forged ACKs and ACKs with stale or
 * wrong cookies, would only make the kernel answer an RST: dropped.
 */
__noinline int tg_cookie_ack(struct xdp_md *ctx, struct tg_source *src, __u64 meta)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 l4 = (meta >> TG_META_L4_SHIFT) & TG_META_L4_MASK;
	void *l3 = data + (meta & TG_META_L3_MASK);
	bool v6 = !!(meta & TG_META_V6);
	struct tg_cookie_flow f = {};
	struct tg_counters *cnt;
	struct tg_config *cfg;
	struct tg_state *st;
	struct bpf_sock *sk;
	struct tcphdr *th;
	__u32 zero = 0, cookie;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_slot(meta_slot(meta));
	if (!cnt || !cfg || !src || l4 > TG_L4_OFF_MAX)
		return XDP_PASS;
	th = data + l4;
	if ((void *)(th + 1) > end || cookie_flow(l3, end, th, v6, &f))
		return XDP_PASS;
	cookie = ack_cookie(th, &f);
	if (tg_cookie_check(&f, v6, cookie, -1, clock_coarse_ns(), cfg->cookie_key))
		return XDP_PASS;
	if (bpf_map_lookup_elem(&tg_buckets, src))
		return XDP_PASS;
	sk = flow_sock(ctx, &f, v6);
	if (sk) {
		bool listener = sk->state == BPF_TCP_LISTEN;

		bpf_sk_release(sk);
		if (!listener)
			return XDP_PASS;
	}
	cnt->cookie_ack_invalid++;
	st = bpf_map_lookup_elem(&tg_state, &zero);
	if (st)
		cookie_log(st, cfg, cnt, TG_WHY_COOKIE_INVALID, clock_coarse_ns(), 0, f.saddr,
			   bpf_ntohs(f.dport), v6);
	return XDP_DROP;
}

/* A source whose cookie came back is real: its bucket, its first SYN
 * (this connection) charged, so its next SYNs take the per-source path.
 * The bucket of the port's group, charged at the group's limit. */
static __always_inline void verify_source(const struct tg_cookie_flow *f, bool v6,
					  const struct tg_config *cfg, struct tg_counters *cnt,
					  __u64 now)
{
	__u32 port = bpf_ntohs(f->dport);
	__u8 *limited = bpf_map_lookup_elem(&tg_ports, &port);
	__u32 group = limited ? *limited : TG_PG_DEFAULT;
	struct tg_limit lim = port_limit(cfg, group);
	struct tg_bucket fresh = { .tat_ns = now + lim.interval_ns, .admitted = 1 };
	struct tg_source src = { .group = key_group(group) };
	struct tg_bucket *b;
	int i;

	if (v6) {
#pragma unroll
		for (i = 0; i < 4; i++)
			((__be32 *)src.addr)[i] = f->saddr[i] & cfg->v6_mask[i];
	} else {
		__builtin_memcpy(src.addr, f->saddr, 12);
		((__be32 *)src.addr)[3] = f->saddr[3] & cfg->v4_mask;
	}
	if (!bpf_map_update_elem(&tg_buckets, &src, &fresh, BPF_NOEXIST)) {
		cnt->cookie_verified++;
		cnt->new_source++;
		return;
	}
	/* Tracked already: made before auto tripped, it is proved now. */
	b = bpf_map_lookup_elem(&tg_buckets, &src);
	if (b && (READ_ONCE(b->logged_ns) & TG_BUCKET_UNVERIFIED)) {
		__sync_fetch_and_and(&b->logged_ns, ~TG_BUCKET_UNVERIFIED);
		cnt->cookie_verified++;
	}
}

/*
 * Hand a valid cookie ACK to its listener as a new connection with the
 * options its SYN negotiated. Anything else is left to the kernel. A
 * global function, verified once; meta as tg_decide's, the packet found
 * again from skb.
 */
__noinline int tg_tc_ack(struct __sk_buff *skb, __u64 meta)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u64 l4 = (meta >> TG_META_L4_SHIFT) & TG_META_L4_MASK;
	void *l3 = data + (meta & TG_META_L3_MASK);
	bool v6 = !!(meta & TG_META_V6);
	struct tcphdr *th = data + (l4 > TG_L4_OFF_MAX ? 0 : l4);
	struct bpf_tcp_req_attrs attrs = {};
	struct tg_cookie_flow f = {};
	struct tg_optwalk w = {};
	struct tg_counters *cnt;
	struct tg_config *cfg;
	struct bpf_sock *sk;
	struct sock *tp;
	__u32 cookie, olen, zero = 0;
	__u64 now = clock_coarse_ns();
	int err;

	cnt = bpf_map_lookup_elem(&tg_stats, &zero);
	cfg = config_slot(meta_slot(meta));
	if (!cnt || !cfg || l4 < ETH_HLEN || (void *)(th + 1) > end ||
	    cookie_flow(l3, end, th, v6, &f))
		return TC_ACT_OK;
	olen = th->doff * 4;
	olen = olen > sizeof(*th) ? olen - sizeof(*th) : 0;
	if (olen > TG_TCPOPT_MAX)
		olen = TG_TCPOPT_MAX;
	if (olen && bpf_skb_load_bytes(skb, (__u32)l4 + sizeof(*th), w.buf, olen))
		olen = 0;
	tg_opts_parse(&w, olen);
	cookie = ack_cookie(th, &f);
	if (!tg_cookie_check(&f, v6, cookie, w.o.ts ? (int)(w.o.tsecr & 0xff) : -1, now,
			     cfg->cookie_key))
		return TC_ACT_OK;

	sk = flow_sock(skb, &f, v6);
	if (!sk) {
		cnt->cookie_assign_failed++;
		return TC_ACT_OK;
	}
	/* A retransmitted ACK of a connection made already: the kernel's. */
	if (sk->state != BPF_TCP_LISTEN) {
		bpf_sk_release(sk);
		return TC_ACT_OK;
	}
	tp = (struct sock *)bpf_skc_to_tcp_sock(sk);
	if (!tp) {
		bpf_sk_release(sk);
		cnt->cookie_assign_failed++;
		return TC_ACT_OK;
	}
	attrs.mss = tg_mss_of_index(cookie >> 5, v6);
	attrs.sack_ok = !!(cookie & TG_COOKIE_SACK);
	attrs.snd_wscale = cookie & TG_COOKIE_WS_NONE;
	attrs.wscale_ok = attrs.snd_wscale != TG_COOKIE_WS_NONE;
	if (attrs.wscale_ok)
		attrs.rcv_wscale = cfg->cookie_wscale;
	else
		attrs.snd_wscale = 0;
	if (w.o.ts && (cfg->cookie_opts & TG_COPT_TS)) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = w.o.tsval;
		attrs.rcv_tsecr = w.o.tsecr;
	}
	err = bpf_sk_assign_tcp_reqsk(skb, tp, &attrs, sizeof(attrs));
	bpf_sk_release(sk);
	if (err) {
		cnt->cookie_assign_failed++;
		return TC_ACT_OK;
	}
	cnt->cookie_ack_valid++;
	verify_source(&f, v6, cfg, cnt, now);
	return TC_ACT_OK;
}

#endif /* TG_HANDSHAKE_H */
