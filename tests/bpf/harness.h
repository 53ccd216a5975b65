/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * harness.h - load the real XDP program with its test clock and drive it
 * with BPF_PROG_TEST_RUN: configuration through the same tg_limits code
 * the CLI uses, counters summed over CPUs, buckets looked up by source.
 */
#ifndef TG_TEST_HARNESS_H
#define TG_TEST_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include "cfgslots.h"
#include "counters.h"
#include "limits.h"
#include "pkt.h"
#include "tap.h"
#include "tidegate.h"
#include "tidegate.skel.h"

struct tg_harness {
	struct tidegate_bpf *skel;
	int prog_fd;
	int ncpus;
	__u32 max_sources;	/* max_entries of tg_buckets */
	struct tg_config cfg;	/* as last written */
};

static inline int tg_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	printf("# ");
	return vprintf(fmt, ap);
}

/*
 * Skip the whole test (exit 0) when this machine cannot run BPF at all;
 * a program the verifier rejects is a failure, not a skip.
 */
static inline void tg_require_bpf(void)
{
	if (geteuid() != 0)
		tap_skip_all("needs root for BPF_PROG_TEST_RUN");
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1)
		tap_skip_all("the kernel cannot load XDP programs");
}

/* Open and load with the test clock and a max_sources-entry table. */
static inline int tg_open(struct tg_harness *h, __u32 max_sources)
{
	int err;

	memset(h, 0, sizeof(*h));
	libbpf_set_print(tg_libbpf_print);
	h->skel = tidegate_bpf__open();
	if (!h->skel)
		return -errno;
	h->skel->rodata->test_clock = true;
	err = bpf_map__set_max_entries(h->skel->maps.tg_buckets, max_sources);
	if (!err)
		err = tidegate_bpf__load(h->skel);
	if (err) {
		tidegate_bpf__destroy(h->skel);
		h->skel = NULL;
		return err;
	}
	h->prog_fd = bpf_program__fd(h->skel->progs.tidegate_xdp);
	h->ncpus = libbpf_num_possible_cpus();
	h->max_sources = max_sources;
	return h->ncpus < 0 ? h->ncpus : 0;
}

/* tg_require_bpf and tg_open as a test's first check. 0, or -errno. */
static inline int tg_open_checked(struct tg_harness *h, __u32 max_sources)
{
	int err;

	tg_require_bpf();
	err = tg_open(h, max_sources);
	if (!tap_ok(!err, "load the XDP program with the test clock"))
		tap_diag("  %s", strerror(-err));
	return err;
}

static inline void tg_close(struct tg_harness *h)
{
	tidegate_bpf__destroy(h->skel);
	h->skel = NULL;
}

static inline void tg_set_clock(struct tg_harness *h, __u64 now_ns)
{
	h->skel->bss->test_now_ns = now_ns;
}

static inline int tg_set_port(struct tg_harness *h, __u32 port, bool limited)
{
	__u8 v = limited;

	return bpf_map__update_elem(h->skel->maps.tg_ports, &port, sizeof(port), &v,
				    sizeof(v), BPF_ANY);
}

/* Write a whole config; tg_buckets is left as it is. */
static inline int tg_write_config(struct tg_harness *h, const struct tg_config *cfg)
{
	int err;

	err = tg_config_write(bpf_map__fd(h->skel->maps.tg_config),
			      bpf_map__fd(h->skel->maps.tg_config_gen), cfg);
	if (!err)
		h->cfg = *cfg;
	return err;
}

/*
 * Configure as the CLI would: rate text such as "10/second", burst (0:
 * the rate's count), source prefixes, dry run. Says why on failure.
 */
static inline int tg_configure(struct tg_harness *h, const char *rate, __u64 burst,
			       unsigned int v4_prefix, unsigned int v6_prefix, bool dry_run)
{
	struct tg_limits l;
	struct tg_config cfg;
	char why[160];
	int err;

	tg_limits_default(&l);
	err = tg_rate_parse(rate, &l.rate, why, sizeof(why));
	if (!err) {
		l.burst = burst;
		l.v4_prefix = v4_prefix;
		l.v6_prefix = v6_prefix;
		l.dry_run = dry_run;
		l.max_sources = h->max_sources;
		err = tg_limits_to_config(&l, &cfg, why, sizeof(why));
	}
	if (err) {
		tap_diag("config %s burst %llu: %s", rate, (unsigned long long)burst, why);
		return err;
	}
	return tg_write_config(h, &cfg);
}

/* tg_configure, enforcing; a failure is a failed check, saying why. */
static inline int tg_configure_ok(struct tg_harness *h, const char *rate, __u64 burst,
				  unsigned int v4_prefix, unsigned int v6_prefix)
{
	int err = tg_configure(h, rate, burst, v4_prefix, v6_prefix, false);

	if (err)
		tap_ok(0, "configure %s burst %llu: %s", rate, (unsigned long long)burst,
		       strerror(-err));
	return err;
}

/* Run the program repeat times on one frame; *verdict is the last. */
static inline int tg_run(struct tg_harness *h, const void *frame, __u32 len, __u32 repeat,
			 __u32 *verdict)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);
	int err;

	err = bpf_prog_test_run_opts(h->prog_fd, &opts);
	if (err)
		return -errno;
	*verdict = opts.retval;
	return 0;
}

/* SYNs from the IPv4 source addr (host order) to port 80, one run each,
 * at the test clock's now: how many passed. */
static inline int tg_syns4(struct tg_harness *h, __u32 addr, int n)
{
	struct pkt_spec s = pkt_syn4(addr, 80);
	__u8 frame[PKT_MAX];
	int len = pkt_build(&s, frame, sizeof(frame)), i, passed = 0;
	__u32 verdict;

	for (i = 0; i < n; i++)
		if (!tg_run(h, frame, (__u32)len, 1, &verdict) && verdict == XDP_PASS)
			passed++;
	return passed;
}

/*
 * The counters summed over every possible CPU, here rather than with
 * user/counters.c so the datapath is checked against an independent sum.
 */
static inline int tg_stats_read(struct tg_harness *h, struct tg_counters *sum)
{
	size_t i, size = sizeof(struct tg_counters) * (size_t)h->ncpus;
	struct tg_counters *percpu = malloc(size);
	__u32 zero = 0;
	int cpu, err;

	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(h->skel->maps.tg_stats, &zero, sizeof(zero), percpu,
				   size, 0);
	if (err) {
		free(percpu);
		return err;
	}
	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < h->ncpus; cpu++) {
		const __u64 *src = (const __u64 *)&percpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (i = 0; i < TG_NR_COUNTERS; i++)
			dst[i] += src[i];
	}
	free(percpu);
	return 0;
}

/* tg_fam_stats summed over CPUs: [TG_FAM_V4] and [TG_FAM_V6]. */
static inline int tg_fam_read(struct tg_harness *h, struct tg_fam_counters fam[TG_NR_FAMILIES])
{
	return tg_fam_counters_read(bpf_map__fd(h->skel->maps.tg_fam_stats), fam);
}

/*
 * The limited SYNs' verdicts by family: the SYN's family moved by
 * exactly what want says of syn, allowed, dropped and would_drop, the
 * other family not at all. One check.
 */
static inline int tg_fam_moved(const struct tg_fam_counters before[TG_NR_FAMILIES],
			       const struct tg_fam_counters after[TG_NR_FAMILIES], bool v6,
			       const struct tg_counters *want, const char *desc)
{
	const struct tg_fam_counters none = { 0 };
	const struct tg_fam_counters mine = { .syn = want->syn, .allowed = want->allowed,
					      .dropped = want->dropped,
					      .would_drop = want->would_drop };
	int bad = 0, f;

	for (f = 0; f < TG_NR_FAMILIES; f++) {
		const struct tg_fam_counters *w = (f == TG_FAM_V6) == v6 ? &mine : &none;
		struct tg_fam_counters d = {
			.syn = after[f].syn - before[f].syn,
			.allowed = after[f].allowed - before[f].allowed,
			.dropped = after[f].dropped - before[f].dropped,
			.would_drop = after[f].would_drop - before[f].would_drop,
		};

		if (memcmp(&d, w, sizeof(d))) {
			bad++;
			tap_diag("  tg_fam_stats[%s] moved syn %llu allowed %llu dropped %llu "
				 "would_drop %llu, want %llu %llu %llu %llu",
				 f == TG_FAM_V6 ? "IPv6" : "IPv4", (unsigned long long)d.syn,
				 (unsigned long long)d.allowed, (unsigned long long)d.dropped,
				 (unsigned long long)d.would_drop, (unsigned long long)w->syn,
				 (unsigned long long)w->allowed, (unsigned long long)w->dropped,
				 (unsigned long long)w->would_drop);
		}
	}
	return tap_ok(!bad, "%s: counted for %s, not for %s", desc, v6 ? "IPv6" : "IPv4",
		      v6 ? "IPv4" : "IPv6");
}

/*
 * Whether every counter moved from before to after by exactly what want
 * says (fields left zero must not move); if not, bad lists those that
 * did not.
 */
static inline bool tg_counters_match(const struct tg_counters *before,
				     const struct tg_counters *after,
				     const struct tg_counters *want, char *bad, size_t len)
{
	size_t i, n = 0;

	bad[0] = '\0';
	for (i = 0; i < TG_NR_COUNTERS; i++) {
		const struct tg_counter_def *d = &tg_counter_defs[i];
		__u64 got = tg_counter_get(after, d) - tg_counter_get(before, d);
		__u64 exp = tg_counter_get(want, d);

		if (got != exp && n < len)
			n += (size_t)snprintf(bad + n, len - n, " %s +%llu (want +%llu)", d->name,
					      (unsigned long long)got, (unsigned long long)exp);
	}
	return !bad[0];
}

/* One check that the counters moved by exactly want. */
static inline int tg_counters_moved(const struct tg_counters *before,
				    const struct tg_counters *after,
				    const struct tg_counters *want, const char *desc)
{
	char bad[512];
	int pass = tg_counters_match(before, after, want, bad, sizeof(bad));

	if (!tap_ok(pass, "%s: counters", desc))
		tap_diag(" %s", bad);
	return pass;
}

/* The bucket key of an IPv4 address (host order), prefix already cut. */
static inline struct tg_source tg_source_v4(__u32 addr)
{
	struct tg_source s;
	__be32 a = htonl(addr);

	memset(&s, 0, sizeof(s));
	s.addr[10] = 0xff;
	s.addr[11] = 0xff;
	memcpy(&s.addr[12], &a, sizeof(a));
	return s;
}

static inline struct tg_source tg_source_v6(const struct in6_addr *addr)
{
	struct tg_source s;

	/* The default limit's bucket: rule 0. */
	memset(&s, 0, sizeof(s));
	_Static_assert(sizeof(s.addr) == sizeof(*addr), "tg_source.addr is not 16 bytes");
	memcpy(s.addr, addr, sizeof(s.addr));
	return s;
}

/* 0 and the bucket, or -ENOENT when the source has none. */
static inline int tg_bucket_get(struct tg_harness *h, const struct tg_source *src,
				struct tg_bucket *b)
{
	return bpf_map__lookup_elem(h->skel->maps.tg_buckets, src, sizeof(*src), b,
				    sizeof(*b), 0);
}

/* How many sources hold a bucket. */
static inline int tg_bucket_count(struct tg_harness *h)
{
	struct tg_source key, next;
	const void *prev = NULL;
	int n = 0;

	while (!bpf_map__get_next_key(h->skel->maps.tg_buckets, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

/* Empty every CPU's front cache (bpf/front.h), as if the program had
 * just been loaded: a test that rewrites buckets or tg_state behind the
 * program's back, which tidegate itself never does, voids the slots
 * filled from them. */
static inline int tg_front_clear(int front_fd)
{
	int n = libbpf_num_possible_cpus();
	struct tg_front *v;
	__u32 zero = 0;
	int err;

	if (n < 0)
		return n;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_update_elem(front_fd, &zero, v, BPF_ANY) ? -errno : 0;
	free(v);
	return err;
}

/* Forget every bucket. */
static inline int tg_buckets_clear(struct tg_harness *h)
{
	struct tg_source key;
	int err;

	err = tg_front_clear(bpf_map__fd(h->skel->maps.tg_front));
	if (err)
		return err;

	while (!bpf_map__get_next_key(h->skel->maps.tg_buckets, NULL, &key, sizeof(key))) {
		err = bpf_map__delete_elem(h->skel->maps.tg_buckets, &key, sizeof(key), 0);
		if (err)
			return err;
	}
	return 0;
}

#endif /* TG_TEST_HARNESS_H */
