/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xdp_env.h - the real XDP program under BPF_PROG_TEST_RUN with its
 * injected clock, configured through the same userspace code the CLI
 * runs (tg_live_write, tg_live_rule_add), plus a frame builder for the
 * rules, actions and drop log tests.
 *
 * Frames are built from a plain spec; the RST a SYN must get is built
 * here independently of the program (its own checksum code), so a test
 * compares the program's output with it byte for byte.
 */
#ifndef TG_XDP_ENV_H
#define TG_XDP_ENV_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "action.h"
#include "cfgslots.h"
#include "counters.h"
#include "live.h"
#include "rules.h"
#include "tap.h"
#include "tidegate.h"
#include "tidegate.skel.h"

#define SEC_NS TG_NSEC_PER_SEC
#define T0 (1000 * SEC_NS) /* the clock at the start of a test */

struct env {
	struct tidegate_bpf *skel;
	struct tg_maps m;
	int prog;
	struct tg_limits lim; /* as last written */
};

static int env_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	printf("# ");
	return vprintf(fmt, ap);
}

static inline void env_require_bpf(void)
{
	if (geteuid() != 0)
		tap_skip_all("needs root for BPF_PROG_TEST_RUN");
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1)
		tap_skip_all("the kernel cannot load XDP programs");
}

/* Write the limits through tg_live_write, as attach and set do. */
static inline int env_limits(struct env *e, const struct tg_limits *l)
{
	int err = tg_live_write(&e->m, l, &e->lim);

	if (!err)
		e->lim = *l;
	return err;
}

/* Load with the test clock; limits: rate, burst, port 80, drop. */
static inline int env_open(struct env *e, const char *rate, __u64 burst)
{
	struct tg_limits l;
	char why[128];
	int err;

	memset(e, 0, sizeof(*e));
	libbpf_set_print(env_print);
	e->skel = tidegate_bpf__open();
	if (!e->skel)
		return -errno;
	e->skel->rodata->test_clock = true;
	e->skel->bss->test_now_ns = T0;
	err = bpf_map__set_max_entries(e->skel->maps.tg_buckets, 4096);
	if (!err)
		err = tidegate_bpf__load(e->skel);
	if (err)
		return err;
	e->prog = bpf_program__fd(e->skel->progs.tidegate_xdp);
	err = tg_maps_of_obj(e->skel->obj, &e->m);
	if (err)
		return err;

	tg_limits_default(&l);
	l.max_sources = 4096;
	memset(&l.ports, 0, sizeof(l.ports));
	tg_portset_add(&l.ports, 80);
	if (tg_rate_parse(rate, &l.rate, why, sizeof(why))) {
		tap_diag("rate %s: %s", rate, why);
		return -EINVAL;
	}
	l.burst = burst;
	memset(&e->lim, 0, sizeof(e->lim));
	return env_limits(e, &l);
}

static inline void env_close(struct env *e)
{
	tidegate_bpf__destroy(e->skel);
	e->skel = NULL;
}

static inline void env_clock(struct env *e, __u64 now)
{
	e->skel->bss->test_now_ns = now;
}

/* The drop log's lines, read from the ring buffer. */
#define ENV_MAX_EVENTS 256

struct env_events {
	struct tg_log_event ev[ENV_MAX_EVENTS];
	int n;
};

static inline int env_on_event(void *ctx, void *data, size_t size)
{
	struct env_events *evs = ctx;

	if (size >= sizeof(struct tg_log_event) && evs->n < ENV_MAX_EVENTS)
		memcpy(&evs->ev[evs->n++], data, sizeof(struct tg_log_event));
	return 0;
}

static inline int env_log_drain(struct env *e, struct env_events *evs)
{
	struct ring_buffer *rb = ring_buffer__new(e->m.log, env_on_event, evs, NULL);

	evs->n = 0;
	if (!rb)
		return -errno;
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return evs->n;
}

/*
 * A rule as the CLI states it: "198.51.100.0/24", "allow"|"deny"|"limit",
 * rate (limit), burst, shared, action text (NULL: the interface's).
 * Returns the rule id, or -errno.
 */
static inline int env_rule(struct env *e, const char *cidr, const char *kind, const char *rate,
			   __u64 burst, bool shared, const char *action)
{
	struct tg_rule_spec spec = { 0 };
	struct tg_rule_key key;
	struct tg_rule r;
	char why[160];
	int err;

	if (tg_cidr_parse(cidr, &spec.cidr, why, sizeof(why))) {
		tap_diag("cidr %s: %s", cidr, why);
		return -EINVAL;
	}
	spec.kind = tg_rule_kind_parse(kind);
	spec.shared = shared;
	spec.burst = burst;
	if (rate && tg_rate_parse(rate, &spec.rate, why, sizeof(why))) {
		tap_diag("rate %s: %s", rate, why);
		return -EINVAL;
	}
	if (action && tg_action_parse(action, &spec.action, why, sizeof(why))) {
		tap_diag("action %s: %s", action, why);
		return -EINVAL;
	}
	err = tg_live_rule_add(&e->m, &spec, &key, &r, why, sizeof(why));
	if (err) {
		tap_diag("rule %s %s: %s %s", cidr, kind, strerror(-err), why);
		return err;
	}
	return (int)r.id;
}

/* The trie's key of a CIDR as text. 0, or -EINVAL. */
static inline int env_rule_key(const char *cidr, struct tg_rule_key *key)
{
	struct tg_cidr c;
	char why[160];

	if (tg_cidr_parse(cidr, &c, why, sizeof(why)))
		return -EINVAL;
	tg_cidr_to_key(&c, key);
	return 0;
}

static inline int env_rule_del(struct env *e, const char *cidr)
{
	struct tg_rule_key key;
	struct tg_rule r;

	return env_rule_key(cidr, &key) ?: tg_live_rule_del(&e->m, &key, &r);
}

/*
 * Let the rule for cidr expire at the instant at of the program's clock,
 * here the test clock (the CLI sets a --ttl by CLOCK_MONOTONIC). 0, or
 * -errno.
 */
static inline int env_rule_expire_at(struct env *e, const char *cidr, __u64 at)
{
	struct tg_rule_key key;
	struct tg_rule r;
	int err = env_rule_key(cidr, &key) ?: tg_rule_find(e->m.rules, &key, &r);

	if (err)
		return err;
	r.expires_ns = at;
	return bpf_map_update_elem(e->m.rules, &key, &r, BPF_EXIST) ? -errno : 0;
}

static inline struct tg_config env_config(struct env *e)
{
	struct tg_config cfg = { 0 };

	tg_config_read(e->m.config, e->m.config_gen, &cfg);
	return cfg;
}

/* Run once; the frame that comes out is copied to out (when not NULL). */
static inline int env_run(struct env *e, const void *frame, __u32 len, void *out,
			  __u32 *out_len)
{
	static __u8 scratch[2048];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .data_out = out ? out : scratch,
		    .data_size_out = out ? *out_len : sizeof(scratch), .repeat = 1);

	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		tap_diag("BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	if (out_len)
		*out_len = opts.data_size_out;
	return (int)opts.retval;
}

/* Run the same frame n times in one BPF_PROG_TEST_RUN; the last verdict. */
static inline int env_run_n(struct env *e, const void *frame, __u32 len, __u32 n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len, .repeat = n);

	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		tap_diag("BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	return (int)opts.retval;
}

static inline struct tg_counters env_counters(struct env *e)
{
	struct tg_counters c;

	if (tg_counters_read(e->m.stats, &c))
		memset(&c, 0xff, sizeof(c));
	return c;
}

/* Whether the per-family verdicts (tg_fam_stats) fail to add up to the
 * totals: every limited SYN is counted in exactly one family. */
static inline bool env_fam_split(struct env *e, const struct tg_counters *c)
{
	struct tg_fam_counters f[TG_NR_FAMILIES];

	if (tg_fam_counters_read(e->m.fstats, f))
		return true;
	return f[0].syn + f[1].syn != c->syn || f[0].allowed + f[1].allowed != c->allowed ||
	       f[0].dropped + f[1].dropped != c->dropped ||
	       f[0].would_drop + f[1].would_drop != c->would_drop;
}

/*
 * Every counter moved from before to now by exactly want (fields left
 * zero must not move), and the invariants hold. Lists what did not.
 */
static inline int env_moved(struct env *e, const struct tg_counters *before,
			    const struct tg_counters *want, const char *desc)
{
	struct tg_counters now = env_counters(e);
	char bad[768] = "";
	size_t i, n = 0;

	for (i = 0; i < TG_NR_COUNTERS; i++) {
		const struct tg_counter_def *d = &tg_counter_defs[i];
		__u64 got = tg_counter_get(&now, d) - tg_counter_get(before, d);
		__u64 exp = tg_counter_get(want, d);

		if (got != exp && n < sizeof(bad))
			n += (size_t)snprintf(bad + n, sizeof(bad) - n, " %s +%llu (want +%llu)",
					      d->name, (unsigned long long)got,
					      (unsigned long long)exp);
	}
	if (now.syn != now.allowed + now.dropped + now.would_drop && n < sizeof(bad))
		n += (size_t)snprintf(bad + n, sizeof(bad) - n, " syn != allowed+dropped+would_drop");
	if (now.dropped != now.act_drop + now.rst_sent + now.rst_budget_exceeded +
				   now.rst_skipped + now.redirected + now.redirect_failed &&
	    n < sizeof(bad))
		n += (size_t)snprintf(bad + n, sizeof(bad) - n, " dropped != the sum of the actions");
	if (env_fam_split(e, &now) && n < sizeof(bad))
		snprintf(bad + n, sizeof(bad) - n, " IPv4 + IPv6 in tg_fam_stats != the totals");
	if (!tap_ok(!bad[0], "%s: counters", desc))
		tap_diag(" %s", bad);
	return !bad[0];
}

/* ---- frames ---- */

struct fspec {
	int vlans;          /* 802.1Q tags, 0-2 */
	bool v6;
	const char *src;    /* source address, text */
	const char *dst;    /* NULL: 198.51.100.1 / 2001:db8::1 */
	const __u8 *dmac;   /* Ethernet destination; NULL: mac_server */
	__u16 sport, dport; /* 0: 40000, 80 */
	__u8 flags;         /* TCP flags; 0: SYN */
	__u32 seq, ack;
	unsigned int tcp_opts;  /* bytes of TCP options (multiple of 4) */
	const __u8 *opt_bytes;  /* those bytes; NULL: an MSS kind/len, then NOPs */
	unsigned int payload;   /* bytes of TCP payload */
	unsigned int ip_opts;   /* IPv4 option bytes (multiple of 4) */
	bool ext_hdr;           /* IPv6: one destination-options header */
	unsigned int ext_len;   /* ...of this many bytes (a multiple of 8); 0: 8 */
	bool first_frag;        /* IPv4: MF set, offset 0 */
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

static const __u8 mac_client[ETH_ALEN] = { 0x02, 0xc1, 0, 0, 0, 0x02 };
static const __u8 mac_server[ETH_ALEN] = { 0x02, 0x5e, 0, 0, 0, 0x01 };

static inline void be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

static inline void be32(__u8 *p, __u32 v)
{
	be16(p, (__u16)(v >> 16));
	be16(p + 2, (__u16)v);
}

/* RFC 1071, over bytes: independent of the program's bpf_csum_diff. */
static inline __u32 sum16(const __u8 *p, size_t n, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	return sum;
}

static inline __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The TCP checksum of the segment at l4 (len bytes) between src and dst. */
static inline __u16 tcp_csum(bool v6, const __u8 *src, const __u8 *dst, const __u8 *l4,
			     size_t len)
{
	size_t alen = v6 ? 16 : 4;
	__u32 sum = 0;

	sum = sum16(src, alen, sum);
	sum = sum16(dst, alen, sum);
	sum += IPPROTO_TCP;
	sum += (__u32)len;
	return fold(sum16(l4, len, sum));
}

static inline int addr_of(bool v6, const char *text, __u8 *out)
{
	return inet_pton(v6 ? AF_INET6 : AF_INET, text, out) == 1 ? 0 : -1;
}

/* Build the frame; returns its length. */
static inline int fbuild(const struct fspec *s, __u8 *buf)
{
	__u8 src[16], dst[16], *ip, *th;
	size_t off = 12, ip_len, l4_len, alen = s->v6 ? 16 : 4;
	unsigned int doff = 5 + s->tcp_opts / 4;
	int i;

	if (addr_of(s->v6, s->src, src) ||
	    addr_of(s->v6, s->dst ? s->dst : s->v6 ? "2001:db8::1" : "198.51.100.1", dst))
		return -1;
	memcpy(buf, s->dmac ? s->dmac : mac_server, ETH_ALEN);
	memcpy(buf + ETH_ALEN, mac_client, ETH_ALEN);
	for (i = 0; i < s->vlans; i++) {
		be16(buf + off, ETH_P_8021Q);
		be16(buf + off + 2, (__u16)(100 + i)); /* VLAN id */
		off += 4;
	}
	be16(buf + off, s->v6 ? ETH_P_IPV6 : ETH_P_IP);
	off += 2;
	ip = buf + off;
	l4_len = doff * 4 + s->payload;
	if (s->v6) {
		size_t ext = s->ext_hdr ? (s->ext_len ? s->ext_len : 8) : 0, pad;

		memset(ip, 0, 40 + ext);
		be32(ip, 0x60012345); /* a flow label the RST must not keep */
		be16(ip + 4, (__u16)(ext + l4_len));
		ip[6] = s->ext_hdr ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		ip[7] = 57;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		if (ext) {
			ip[40] = IPPROTO_TCP;
			ip[41] = (__u8)(ext / 8 - 1);
			/* PadN options of at most 255 bytes fill the rest;
			 * one byte left over is a Pad1 (already 0). */
			for (pad = 42; pad + 1 < 40 + ext;) {
				size_t n = 40 + ext - pad - 2;

				n = n > 255 ? 255 : n;
				ip[pad] = 1;
				ip[pad + 1] = (__u8)n;
				pad += 2 + n;
			}
		}
		ip_len = 40 + ext;
	} else {
		ip_len = 20 + s->ip_opts;
		memset(ip, 0, ip_len);
		ip[0] = (__u8)(0x40 | ip_len / 4);
		ip[1] = 0x10; /* a TOS the RST must not keep */
		be16(ip + 2, (__u16)(ip_len + l4_len));
		be16(ip + 4, 0x4242);
		be16(ip + 6, s->first_frag ? 0x2000 : 0x4000);
		ip[8] = 57;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(ip + 20, 1, s->ip_opts); /* NOPs */
		be16(ip + 10, fold(sum16(ip, ip_len, 0)));
	}
	th = ip + ip_len;
	memset(th, 0, l4_len);
	be16(th, s->sport ? s->sport : 40000);
	be16(th + 2, s->dport ? s->dport : 80);
	be32(th + 4, s->seq);
	be32(th + 8, s->ack);
	th[12] = (__u8)(doff << 4);
	th[13] = s->flags ? s->flags : F_SYN;
	be16(th + 14, 64240);
	for (i = 0; i < (int)s->tcp_opts; i++)
		th[20 + i] = s->opt_bytes ? s->opt_bytes[i]
					  : (__u8)(i == 0 ? 2 : i == 1 ? 4 : 1); /* MSS kind/len, NOPs */
	for (i = 0; i < (int)s->payload; i++)
		th[doff * 4 + i] = (__u8)('a' + i % 26);
	be16(th + 16, tcp_csum(s->v6, src, dst, th, l4_len));
	(void)alen;
	return (int)(th - buf + l4_len);
}

/* A reply's Ethernet header to the SYN of s, its VLAN tags kept;
 * returns where IP starts. */
static inline size_t fexpect_l2(const struct fspec *s, __u8 *buf)
{
	size_t off = 12;
	int i;

	memcpy(buf, mac_client, ETH_ALEN);
	memcpy(buf + ETH_ALEN, mac_server, ETH_ALEN);
	for (i = 0; i < s->vlans; i++) {
		be16(buf + off, ETH_P_8021Q);
		be16(buf + off + 2, (__u16)(100 + i));
		off += 4;
	}
	be16(buf + off, s->v6 ? ETH_P_IPV6 : ETH_P_IP);
	return off + 2;
}

/*
 * The RST+ACK the SYN of s must be answered with, from s alone: MACs,
 * addresses, ports swapped, VLAN tags kept, seq 0, ack = seq + 1 (+1
 * for FIN) + payload, no options, no payload, TTL 64, IPv4 id 0 with
 * DF, IPv6 with no class or flow label.
 */
static inline int fexpect_rst(const struct fspec *s, __u8 *buf)
{
	__u8 src[16], dst[16], *ip, *th;

	if (addr_of(s->v6, s->src, src) ||
	    addr_of(s->v6, s->dst ? s->dst : s->v6 ? "2001:db8::1" : "198.51.100.1", dst))
		return -1;
	ip = buf + fexpect_l2(s, buf);
	if (s->v6) {
		memset(ip, 0, 40);
		be32(ip, 0x60000000);
		be16(ip + 4, 20);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		memcpy(ip + 8, dst, 16);
		memcpy(ip + 24, src, 16);
		th = ip + 40;
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		be16(ip + 2, 40);
		be16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, dst, 4);
		memcpy(ip + 16, src, 4);
		be16(ip + 10, fold(sum16(ip, 20, 0)));
		th = ip + 20;
	}
	memset(th, 0, 20);
	be16(th, s->dport ? s->dport : 80);
	be16(th + 2, s->sport ? s->sport : 40000);
	be32(th + 4, 0);
	be32(th + 8, s->seq + 1 + ((s->flags & F_FIN) ? 1 : 0) + s->payload);
	th[12] = 5 << 4;
	th[13] = F_RST | F_ACK;
	be16(th + 16, tcp_csum(s->v6, dst, src, th, 20));
	return (int)(th - buf + 20);
}

/* Compare two frames; on a difference say where and what. */
static inline int frames_equal(const __u8 *got, int glen, const __u8 *want, int wlen,
			       const char *desc)
{
	int i, at = -1;

	for (i = 0; i < glen && i < wlen; i++)
		if (got[i] != want[i]) {
			at = i;
			break;
		}
	if (!tap_ok(glen == wlen && at < 0, "%s: the reply byte for byte", desc)) {
		tap_diag("  length %d, want %d", glen, wlen);
		if (at >= 0)
			tap_diag("  first difference at byte %d: 0x%02x, want 0x%02x", at, got[at],
				 want[at]);
		return 0;
	}
	return 1;
}

#endif /* TG_XDP_ENV_H */
