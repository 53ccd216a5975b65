// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tg-bench.c - the measuring hands of scripts/bench.sh. Every command
 * prints one JSON object on stdout.
 *
 *   tg-bench cost [--repeat N] [--runs R] [--sources N,N,...] [--obj FILE]
 *                 [--rules N]
 *       nanoseconds per packet of tidegate's XDP program and of a bare
 *       drop, by BPF_PROG_TEST_RUN, with N sources tracked; --obj times
 *       another build of bpf/tidegate.bpf.c, to try a change; --rules
 *       times the SYNs again with N rules loaded (at the first N sources)
 *   tg-bench memory [--sizes N,N,...]
 *       bytes of kernel-accounted map memory per tracked source
 *   tg-bench xdp IFACE drop|pass|tx|off
 *   tg-bench xdp IFACE filter PREFIX
 *   tg-bench xdp IFACE compact SOURCES RATE BURST
 *       attach or remove the baseline programs (natively, no libxdp);
 *       filter drops exactly the packets from PREFIX (IPv4 or IPv6), tx
 *       sends every frame back with its ends swapped, compact limits
 *       SYNs to port 80 per source with the compact table's prototype,
 *       sized for SOURCES at half its ways
 *   tg-bench sample IFACE [--window S] [--cost-window S]
 *       what IFACE received per second, by its own counters, and the
 *       attached XDP program's nanoseconds per run while it received
 *   tg-bench serve PORT SECONDS
 *       accept and close TCP connections until SECONDS have passed
 *   tg-bench connect IP PORT COUNT [--warmup N]
 *       COUNT sequential connects: connect() latency percentiles
 *   tg-bench memlat [MB,MB,...]
 *       ns per dependent random load in a buffer of each size: what a
 *       cache miss costs on this machine
 *   tg-bench lines IFACE [--image FILE]
 *       the JIT image of tidegate's XDP program on IFACE: where each of its
 *       functions and source lines lies (bench/jit_lines.h), which
 *       scripts/profile-xdp.sh puts a profile's samples on; --image
 *       writes the image's bytes to FILE, to disassemble
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "baseline.skel.h"
#include "cfgslots.h"
#include "cookie_facts.h"
#include "counters.h"
#include "flood.h"
#include "jit_lines.h"
#include "limits.h"
#include "live.h"
#include "napi_time.h"
#include "percpu.h"
#include "pins.h"
#include "rules.h"
#include "tidegate.h"
#include "tidegate.skel.h"
#include "xdp.h"

#define NSEC_PER_SEC 1000000000ULL

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tg-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void print(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of v[0..n), sorting v. */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)ceil(q * (double)n) - (q > 0);
	return v[i < n ? i : n - 1];
}

/* A number printed with this many decimals, not json-c's 17 digits. */
static struct json_object *num(double v, int digits)
{
	char buf[64];

	if (!isfinite(v))
		return NULL; /* JSON null */
	snprintf(buf, sizeof(buf), "%.*f", digits, v);
	return json_object_new_double_s(v, buf);
}

/* "1,1000,100000" into up to max numbers. */
static int parse_list(const char *text, __u32 *out, int max)
{
	char *copy = strdup(text), *tok, *save = NULL;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || !v || v > TG_MAX_MAX_SOURCES) {
			free(copy);
			return -EINVAL;
		}
		out[n++] = (__u32)v;
	}
	free(copy);
	return n;
}

/* ---- cost ---------------------------------------------------------- */

/* The tracked source whose SYNs are dropped: tidegate's key for the
 * /64 of flood source i under 2001:db8:19::, as the flood makes them. */
static void v6_key(__u32 i, struct tg_source *k)
{
	__be32 *w = (__be32 *)k->addr;

	w[0] = htonl(0x20010db8);
	w[1] = htonl(0x00190000 + i);
	w[2] = 0;
	w[3] = 0;
	k->rule = 0; /* the default limit's bucket */
	k->group = 0;
}

static void v4_key(__u32 addr_host, struct tg_source *k)
{
	__be32 *w = (__be32 *)k->addr;

	w[0] = 0;
	w[1] = 0;
	w[2] = htonl(0xffff);
	w[3] = htonl(addr_host);
	k->rule = 0;
	k->group = 0;
}

struct frame {
	__u8 data[TG_FLOOD_FRAME_MAX];
	__u32 len;
};

/* A SYN (or, with ack, an ACK) from src to port 80, as the flood makes. */
static int make_frame(int family, const char *src, bool ack, struct frame *out)
{
	struct tg_flood_spec s = {
		.family = family,
		.src_mac = { 0x02, 0, 0, 0, 0, 2 },
		.dst_mac = { 0x02, 0, 0, 0, 0, 1 },
		.dport = 80,
		.sources = 1,
		.src_prefix = family == AF_INET ? 32 : 64,
	};
	struct tg_flood_frame f;
	char why[128];
	int err;

	inet_pton(family, src, s.src);
	inet_pton(family, family == AF_INET ? "198.18.0.1" : "2001:db8:18::1", s.dst);
	err = tg_flood_build(&s, &f, why, sizeof(why));
	if (err)
		return fail("building a frame: %s", why);
	if (ack) {
		/* TCP flags: the byte after the data offset. */
		__u8 *flags = f.data + f.sport_off + 13;

		*flags = 0x10;
	}
	memcpy(out->data, f.data, f.len);
	out->len = f.len;
	return 0;
}

static __u64 thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

/*
 * Mean nanoseconds per run over repeat runs of one frame. The kernel's
 * own figure is rounded down to whole nanoseconds, too coarse at these
 * speeds; wall time counts the ticks other tasks take the CPU while the
 * test run yields. This thread's CPU time counts neither: the runs
 * happen in our syscall, so it is the programs' time plus the test-run
 * loop's, the same for every program measured.
 */
static int time_runs(int prog_fd, const struct frame *fr, __u32 repeat, __u32 want_ret,
		     double *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = fr->data, .data_size_in = fr->len,
		    .repeat = repeat);
	__u64 t0, t1;

	t0 = thread_ns();
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	t1 = thread_ns();
	if (opts.retval != want_ret)
		return -EBADMSG;
	*ns = (double)(t1 - t0) / repeat;
	return 0;
}

/*
 * The same for a program that rewrites the frame (a SYN-ACK built in
 * place): a repeated test run would hand its answer to the next run,
 * and live frames keep what a program wrote too. So one run per call,
 * each on a fresh copy, timed by the kernel around the program alone
 * (its duration, whole nanoseconds: the mean of many is finer). The
 * clock reads are in the figure: compare with the bare drop timed the
 * same way.
 */
#define FRESH_CALLS 100000

static int time_fresh_runs_but(int prog_fd, struct frame *fr, __u32 calls, int runs,
				__u32 want_ret, int skip_ret, bool new_sources, double *ns)
{
	static __u32 next;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = fr->data, .data_size_in = fr->len,
		    .repeat = 1);
	double v[32];
	__u64 sum, n;
	__u32 k;
	int i;

	for (i = 0; i < runs && i < 32; i++) {
		for (sum = 0, n = 0, k = 0; k < calls; k++) {
			/* A source not seen for a while each time (65,000 of
			 * them from 198.19.1.0 on, past the other cases'), in
			 * the IPv4 header at its fixed place (the program does
			 * not check the header's checksum). */
			if (new_sources) {
				__be32 a = htonl(0xc6130100 + next++ % 65000);

				memcpy(fr->data + ETH_HLEN + 12, &a, 4);
			}
			if (bpf_prog_test_run_opts(prog_fd, &opts))
				return -errno;
			if (skip_ret >= 0 && opts.retval == (__u32)skip_ret)
				continue;
			if (opts.retval != want_ret)
				return -EBADMSG;
			sum += opts.duration;
			n++;
		}
		if (!n)
			return -EBADMSG;
		v[i] = (double)sum / n;
	}
	*ns = quantile(v, (size_t)i, 0.5);
	return 0;
}

static int time_fresh_runs(int prog_fd, struct frame *fr, __u32 calls, int runs,
			   __u32 want_ret, bool new_sources, double *ns)
{
	return time_fresh_runs_but(prog_fd, fr, calls, runs, want_ret, -1, new_sources, ns);
}

/* The median of runs timings. */
static int median_runs(int prog_fd, const struct frame *fr, __u32 repeat, int runs,
		       __u32 want_ret, double *ns)
{
	double v[32];
	int i, err;

	for (i = 0; i < runs && i < 32; i++) {
		err = time_runs(prog_fd, fr, repeat, want_ret, &v[i]);
		if (err)
			return err;
	}
	*ns = quantile(v, (size_t)i, 0.5);
	return 0;
}

struct tg_env {
	struct bpf_object *obj;
	struct tg_maps m;
	int prog_fd;
};

/* An object file to measure instead of the one built in (--obj), to try
 * a change to the program without rebuilding: same maps, same names. */
static const char *alt_obj;

/*
 * tidegate as attach loads it, with max_entries slots, limiting port 80
 * at one SYN per nanosecond with a burst of a second's worth: a source
 * whose theoretical arrival time is an hour ahead is always over it
 * (dropped), a source at zero always under it (allowed).
 */
static int tg_env_load(__u32 max_entries, struct tg_env *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "tidegate_bpf");
	struct bpf_program *prog;
	struct tg_limits l;
	const void *elf;
	char why[128];
	size_t sz;
	int err;

	memset(e, 0, sizeof(*e));
	if (alt_obj) {
		e->obj = bpf_object__open_file(alt_obj, NULL);
	} else {
		elf = tidegate_bpf__elf_bytes(&sz);
		e->obj = bpf_object__open_mem(elf, sz, &oo);
	}
	err = (int)libbpf_get_error(e->obj);
	if (err) {
		e->obj = NULL;
		return err;
	}
	err = bpf_map__set_max_entries(bpf_object__find_map_by_name(e->obj, TG_MAP_BUCKETS),
				       max_entries);
	if (!err)
		err = bpf_object__load(e->obj);
	if (err)
		return err;
	/* Every map pins.c knows, as attach hands them over. */
	err = tg_maps_of_obj(e->obj, &e->m);
	if (err)
		return err;
	prog = bpf_object__find_program_by_name(e->obj, "tidegate_xdp");
	if (!prog)
		return -ENOENT;
	e->prog_fd = bpf_program__fd(prog);
	/*
	 * 1/minute with a burst of 75 million (a tolerance of 143 years,
	 * near the 2^62 ns limits.h allows): a source far over it owes
	 * up to an interval beyond its tolerance (far_tat), as a flooding
	 * source does, with room to spare for the coarse clock's 250 ms
	 * slack; a fresh source is admitted tens of millions of times.
	 * No bucket can owe more than tolerance + interval: tidegate caps
	 * a tat beyond that (a limit changed live), so a source an hour
	 * over a fast limit is no longer a state to measure.
	 */
	tg_limits_default(&l);
	err = tg_rate_parse("1/minute", &l.rate, why, sizeof(why));
	if (err)
		return err;
	l.burst = 75000000ULL;
	l.max_sources = max_entries;
	memset(&l.ports, 0, sizeof(l.ports));
	tg_portset_add(&l.ports, 80);
	return tg_live_write(&e->m, &l, NULL);
}

/*
 * A tat far over the limit in force, by the coarse clock too: half an
 * interval beyond the tolerance (30 s of 1/minute), where a source
 * flooding at that limit sits after each admission. It stays far over
 * (more than 250 ms) for the next 29 s, which the timed runs of one
 * table size take a small part of.
 */
static int far_tat(const struct tg_env *e, __u64 *tat)
{
	struct tg_config cfg;
	int err = tg_config_read(e->m.config, e->m.config_gen, &cfg);

	if (err)
		return err;
	*tat = mono_ns() + cfg.tolerance_ns + cfg.interval_ns / 2;
	return 0;
}

/* Fill the table with n sources (flood indices 0..n-1), all with the
 * tat ahead, by batches. */
static int prefill(int fd, __u32 n, __u64 ahead)
{
	const __u32 chunk = 65536;
	struct tg_source *keys = calloc(chunk, sizeof(*keys));
	struct tg_bucket *vals = calloc(chunk, sizeof(*vals));
	__u32 i, j, cnt;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i += cnt) {
		cnt = n - i < chunk ? n - i : chunk;
		for (j = 0; j < cnt; j++) {
			v6_key(i + j, &keys[j]);
			vals[j].tat_ns = ahead;
			vals[j].admitted = 1;
		}
		if (bpf_map_update_batch(fd, keys, vals, &cnt, NULL))
			err = -errno;
	}
out:
	free(keys);
	free(vals);
	return err;
}

static int put_source(int fd, const struct tg_source *k, __u64 tat)
{
	struct tg_bucket b = { .tat_ns = tat, .admitted = 1 };

	return bpf_map_update_elem(fd, k, &b, BPF_ANY) ? -errno : 0;
}

/* How many of n prefilled sources the table still holds. */
static __u32 count_present(int fd, __u32 n)
{
	struct tg_bucket b;
	struct tg_source k;
	__u32 i, step = n > 4096 ? n / 4096 : 1, seen = 0, tried = 0;

	for (i = 0; i < n; i += step, tried++) {
		v6_key(i, &k);
		if (!bpf_map_lookup_elem(fd, &k, &b))
			seen++;
	}
	return tried ? (__u32)((__u64)seen * n / tried) : 0;
}

/* What the verifier made of tidegate's program: its size as the kernel
 * runs it, and how many instructions the verifier walked to prove it. */
static struct json_object *program_json(void)
{
	struct json_object *o = json_object_new_object();
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	struct tg_env e;

	if (!tg_env_load(1024, &e) && !bpf_obj_get_info_by_fd(e.prog_fd, &info, &len)) {
		json_object_object_add(o, "xlated_insns",
				       json_object_new_int64(info.xlated_prog_len / 8));
		json_object_object_add(o, "jited_bytes", json_object_new_int64(info.jited_prog_len));
		json_object_object_add(o, "verified_insns",
				       json_object_new_int64(info.verified_insns));
	}
	bpf_object__close(e.obj);
	return o;
}

struct cost_case {
	const char *name;
	int family;
	const char *src;
	bool ack;
	__u32 want;
	bool edge; /* reset the source just over its limit before each run */
};

/*
 * A dropped SYN near the edge of the limit: its source over by 200 ms,
 * less than tidegate.bpf.c's coarse-clock slack, so the precise clock
 * decides, as it does for a source flooding at just over its rate. The
 * bucket is reset before each timed run, which must end within those
 * 200 ms (it does: a few million runs of tens of nanoseconds).
 */
static int median_edge(const struct tg_env *e, const char *src, const struct frame *fr,
		       __u32 repeat, int runs, double *ns)
{
	const __u64 over = 200 * 1000 * 1000ULL;
	struct tg_config cfg;
	struct tg_source k;
	double v[32];
	int i, err;

	err = tg_config_read(e->m.config, e->m.config_gen, &cfg);
	if (err)
		return err;
	memset(&k, 0, sizeof(k));
	inet_pton(AF_INET6, src, k.addr);
	for (i = 0; i < runs && i < 32; i++) {
		int tries = 0;

		/* A run the scheduler stretched past 200 ms admits a SYN at
		 * the end and reports it: run it again, a few times. */
		do {
			err = put_source(e->m.buckets, &k, mono_ns() + cfg.tolerance_ns + over);
			err = err ?: time_runs(e->prog_fd, fr, repeat, XDP_DROP, &v[i]);
		} while (err == -EBADMSG && ++tries < 5);
		if (err)
			return err;
	}
	*ns = quantile(v, (size_t)i, 0.5);
	return 0;
}

/*
 * Set the SYN cookie mode. On: every untracked source covered, with a
 * budget no run reaches, as attach does on a kernel that can complete
 * the handshake; a covered SYN's SYN-ACK is then built but not sent (a
 * test run returns XDP_TX without transmitting).
 */
static int cookie_mode(struct tg_env *e, __u32 mode, __u32 budget)
{
	struct tg_limits l;
	int err;

	err = tg_live_read(&e->m, &l);
	if (err)
		return err;
	l.syn_cookies = mode;
	l.cookie_budget = budget;
	err = tg_live_write(&e->m, &l, NULL);
	return err ?: tg_cookies_write_facts(&e->m, "lo", true);
}

/*
 * A covered SYN over the cookie budget: dropped, what most of a spoofed
 * flood's SYNs are once it outruns the budget. The budget is one a
 * second: all but one SYN a second are dropped.
 */
static int over_budget_cost(struct tg_env *e, int runs, struct json_object *row)
{
	const struct {
		const char *name, *src;
		int family;
	} cases[] = {
		{ "cookie_over_budget_v4", "198.19.0.5", AF_INET },
		{ "cookie_over_budget_v6", "2001:db8:ff:5::", AF_INET6 },
	};
	struct frame fr;
	size_t j;
	double ns;
	int err;

	err = cookie_mode(e, TG_COOKIES_ON, 1);
	for (j = 0; !err && j < sizeof(cases) / sizeof(cases[0]); j++) {
		err = make_frame(cases[j].family, cases[j].src, false, &fr);
		/* Timed as the answered ones, one run a call, so that the
		 * one SYN a second that the budget answers (and rewrites
		 * the frame for) is left out, not timed. */
		err = err ?: time_fresh_runs_but(e->prog_fd, &fr, FRESH_CALLS, runs, XDP_DROP,
						 XDP_TX, false, &ns);
		if (!err)
			json_object_object_add(row, cases[j].name, num(ns, 2));
	}
	if (err)
		fail("timing SYNs over the cookie budget: %s",
		     err == -EBADMSG ? "not every SYN was dropped" : strerror(-err));
	return err;
}

/*
 * The i-th of the rules --rules loads, none covering a measured source,
 * as a ban list looks: IPv4 /32 denies with a /24 limit every 20th,
 * IPv6 /64 denies with a /48 limit every 20th, the families taking
 * turns; in 198.18.0.0/17, 198.18-19.128.0/17 and 2001:db8:1::/48,
 * 2001:db8:100::/40, away from the measured 198.19.0.x and 2001:db8:19::,
 * 2001:db8:ff::. 0, or -ERANGE past the 65,536 rules that fit there.
 */
static int bench_rule(__u32 i, struct tg_rule_spec *r)
{
	__u32 j = i / 2, k = j / 20;
	bool wide = j % 20 == 19 && k < 256;
	char why[64];

	memset(r, 0, sizeof(*r));
	if (j >= 32768)
		return -ERANGE;
	if (i % 2 == 0) {
		__u32 a = wide ? (k < 128 ? 0xc6128000 : 0xc6138000 - 128 * 256) + k * 256
			       : 0xc6120000 + j;
		__be32 be = htonl(a);

		r->cidr = (struct tg_cidr){ .family = 4, .len = wide ? 24 : 32 };
		memcpy(r->cidr.addr, &be, 4);
	} else {
		__be16 *w = (__be16 *)r->cidr.addr;

		r->cidr = (struct tg_cidr){ .family = 6, .len = wide ? 48 : 64 };
		w[0] = htons(0x2001);
		w[1] = htons(0x0db8);
		w[2] = htons(wide ? 0x100 + k : 1);
		w[3] = htons(wide ? 0 : j);
	}
	r->kind = wide ? TG_RULE_LIMIT : TG_RULE_DENY;
	return wide ? tg_rate_parse("100/second", &r->rate, why, sizeof(why)) : 0;
}

/* The sources that one rule each covers, a deny /32 and a deny /64,
 * and a neighbour of each that no rule covers: in the same /24 and /48,
 * which rules.h's filter files the rules under, so it walks the trie. */
#define DENIED_V4 "198.19.254.9"
#define DENIED_V6 "2001:db8:fe:9::"
#define NEAR_V4	  "198.19.254.10"
#define NEAR_V6	  "2001:db8:fe:a::"

/* nrules bench_rule rules and the two deny rules, as `rule import` puts them. */
static int load_rules(const struct tg_env *e, __u32 nrules)
{
	struct tg_rule_spec *specs = calloc((size_t)nrules + 2, sizeof(*specs));
	struct tg_import_result res;
	char why[160] = "";
	__u32 i;
	int err = 0;

	if (!specs)
		return -ENOMEM;
	for (i = 0; i < nrules && !err; i++)
		err = bench_rule(i, &specs[i]);
	err = err ?: tg_cidr_parse(DENIED_V4, &specs[nrules].cidr, why, sizeof(why));
	err = err ?: tg_cidr_parse(DENIED_V6 "/64", &specs[nrules + 1].cidr, why, sizeof(why));
	specs[nrules].kind = specs[nrules + 1].kind = TG_RULE_DENY;
	err = err ?: tg_live_rules_import(&e->m, specs, (int)nrules + 2, false, &res, why,
					  sizeof(why));
	if (err)
		fail("loading %u rules: %s %s", nrules, strerror(-err), why);
	free(specs);
	return err;
}

/*
 * The SYNs again with nrules rules loaded: the same sources, which no
 * rule covers, two a deny rule covers (their first SYN makes the deny
 * bucket, the timed ones are its drops), and their neighbours. Into
 * row's "rules".
 */
static int rules_cost(const struct tg_env *e, const char *dropped6, __u32 nrules, __u32 repeat,
		      int runs, struct json_object *row)
{
	const struct cost_case cases[] = {
		{ "dropped_syn_v6", AF_INET6, dropped6, false, XDP_DROP, false },
		{ "allowed_syn_v6", AF_INET6, "2001:db8:ff:1::", false, XDP_PASS, false },
		{ "dropped_syn_v4", AF_INET, "198.19.0.1", false, XDP_DROP, false },
		{ "allowed_syn_v4", AF_INET, "198.19.0.2", false, XDP_PASS, false },
		{ "denied_syn_v6", AF_INET6, DENIED_V6, false, XDP_DROP, false },
		{ "denied_syn_v4", AF_INET, DENIED_V4, false, XDP_DROP, false },
		{ "allowed_syn_v6_near", AF_INET6, NEAR_V6, false, XDP_PASS, false },
		{ "allowed_syn_v4_near", AF_INET, NEAR_V4, false, XDP_PASS, false },
	};
	struct json_object *o = json_object_new_object();
	struct tg_source k;
	struct frame fr;
	__u64 far = 0;
	double ns;
	size_t j;
	int err;

	err = load_rules(e, nrules);
	/* The far-over sources afresh: the runs before took some of their
	 * 29 seconds. */
	err = err ?: far_tat(e, &far);
	if (!err) {
		memset(&k, 0, sizeof(k));
		inet_pton(AF_INET6, dropped6, k.addr);
		err = put_source(e->m.buckets, &k, far);
		v4_key(0xc6130001, &k);
		err = err ?: put_source(e->m.buckets, &k, far);
		/* The neighbours, tracked and far under the limit. */
		inet_pton(AF_INET6, NEAR_V6, k.addr);
		err = err ?: put_source(e->m.buckets, &k, 0);
		v4_key(0xc613fe0a, &k);
		err = err ?: put_source(e->m.buckets, &k, 0);
	}
	json_object_object_add(o, "count", json_object_new_int64(nrules));
	for (j = 0; !err && j < sizeof(cases) / sizeof(cases[0]); j++) {
		err = make_frame(cases[j].family, cases[j].src, cases[j].ack, &fr);
		err = err ?: median_runs(e->prog_fd, &fr, repeat, runs, cases[j].want, &ns);
		if (err)
			fail("timing %s with %u rules: %s", cases[j].name, nrules,
			     err == -EBADMSG ? "unexpected verdict" : strerror(-err));
		else
			json_object_object_add(o, cases[j].name, num(ns, 2));
	}
	json_object_object_add(row, "rules", o);
	return err;
}

/* baseline_compact's dropped SYN: fr's source admitted once, then over
 * its limit (1/minute) for every timed run. */
static int compact_drop_ns(const struct frame *fr, __u32 repeat, int runs, double *ns)
{
	struct baseline_bpf *bl = baseline_bpf__open();
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr->data, .data_size_in = fr->len,
		    .repeat = 1);
	int err, fd;

	if (!bl)
		return -errno;
	bl->rodata->compact_line_mask = 1023;
	err = bpf_map__set_max_entries(bl->maps.bl_compact, 1024);
	if (!err)
		err = baseline_bpf__load(bl);
	if (err)
		goto out;
	fd = bpf_program__fd(bl->progs.baseline_compact);
	if (bpf_prog_test_run_opts(fd, &o))
		err = -errno;
	else if (o.retval != XDP_PASS)
		err = -EPROTO; /* a new source's first SYN must pass */
	else
		err = median_runs(fd, fr, repeat, runs, XDP_DROP, ns);
out:
	baseline_bpf__destroy(bl);
	return err;
}

static int cmd_cost(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "sources", required_argument, NULL, 's' },
		{ "obj", required_argument, NULL, 'o' },
		{ "rules", required_argument, NULL, 'u' },
		{ 0 },
	};
	__u32 sizes[8] = { 1, 1000, 100000, 1000000 }, repeat = 1000000, nrules = 0;
	int nsizes = 4, runs = 5, c, i, err;
	struct json_object *o = json_object_new_object(), *by_n = json_object_new_array();
	struct baseline_bpf *bl = NULL;
	struct frame fr;
	double drop_ns, ns;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			repeat = (__u32)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 's':
			nsizes = parse_list(optarg, sizes, 8);
			break;
		case 'o':
			alt_obj = optarg;
			break;
		case 'u':
			nrules = (__u32)strtoul(optarg, NULL, 10);
			break;
		default:
			return fail("cost: bad option");
		}
	}
	if (!repeat || runs < 1 || runs > 32 || nsizes < 1 || nrules > TG_MAX_RULES - 2)
		return fail("cost: --repeat, --runs (1-32), --sources or --rules out of range");

	bl = baseline_bpf__open_and_load();
	if (!bl)
		return fail("loading the baseline programs: %s", strerror(errno));
	err = make_frame(AF_INET6, "2001:db8:19::", false, &fr);
	if (err)
		goto out;
	err = median_runs(bpf_program__fd(bl->progs.baseline_drop), &fr, repeat, runs, XDP_DROP,
			  &drop_ns);
	if (err) {
		fail("timing the bare drop: %s", strerror(-err));
		goto out;
	}
	json_object_object_add(o, "program", program_json());
	json_object_object_add(o, "repeat", json_object_new_int64(repeat));
	json_object_object_add(o, "runs", json_object_new_int(runs));
	json_object_object_add(o, "bare_drop_ns", num(drop_ns, 2));
	err = time_fresh_runs(bpf_program__fd(bl->progs.baseline_drop), &fr, FRESH_CALLS, runs,
			      XDP_DROP, false, &ns);
	if (err) {
		fail("timing the bare drop one run a call: %s", strerror(-err));
		goto out;
	}
	json_object_object_add(o, "bare_drop_fresh_ns", num(ns, 2));
	err = compact_drop_ns(&fr, repeat, runs, &ns);
	if (err) {
		fail("timing the compact table's prototype: %s", strerror(-err));
		goto out;
	}
	json_object_object_add(o, "compact_dropped_syn_ns", num(ns, 2));

	for (i = 0; i < nsizes; i++) {
		__u32 n = sizes[i], slots = n + n / 4 + 1024;
		struct json_object *row = json_object_new_object();
		char dropped6[64], allowed6[64], edge6[] = "2001:db8:ff:2::";
		struct tg_source k;
		struct tg_env e;
		__u64 far = 0;
		const struct cost_case cases[] = {
			{ "dropped_syn_v6", AF_INET6, dropped6, false, XDP_DROP, false },
			{ "dropped_syn_v6_edge", AF_INET6, edge6, false, XDP_DROP, true },
			{ "allowed_syn_v6", AF_INET6, allowed6, false, XDP_PASS, false },
			{ "non_syn_v6", AF_INET6, dropped6, true, XDP_PASS, false },
			{ "dropped_syn_v4", AF_INET, "198.19.0.1", false, XDP_DROP, false },
			{ "allowed_syn_v4", AF_INET, "198.19.0.2", false, XDP_PASS, false },
			{ "non_syn_v4", AF_INET, "198.19.0.1", true, XDP_PASS, false },
		};
		/* A spoofed source: untracked, answered with a cookie. */
		const struct cost_case cookie_cases[] = {
			{ "cookie_syn_v6", AF_INET6, "2001:db8:ff:3::", false, XDP_TX, false },
			{ "cookie_syn_v4", AF_INET, "198.19.0.3", false, XDP_TX, false },
		};
		size_t j;

		err = tg_env_load(slots, &e);
		if (!err)
			err = far_tat(&e, &far);
		if (!err)
			err = prefill(e.m.buckets, n, far);
		if (err) {
			fail("tidegate with %u sources: %s", n, strerror(-err));
			bpf_object__close(e.obj);
			json_object_put(row);
			goto out;
		}
		/* The dropped source is one of the n; the allowed one and
		 * the IPv4 pair are three more. */
		v6_key(n / 2, &k);
		inet_ntop(AF_INET6, k.addr, dropped6, sizeof(dropped6));
		/* Far above any prefilled one: 2001:db8:19:: + 2^24 /64s. */
		snprintf(allowed6, sizeof(allowed6), "2001:db8:ff:1::");
		inet_pton(AF_INET6, allowed6, k.addr);
		err = put_source(e.m.buckets, &k, 0);
		v4_key(0xc6130001, &k); /* 198.19.0.1 */
		err = err ?: put_source(e.m.buckets, &k, far);
		v4_key(0xc6130002, &k);
		err = err ?: put_source(e.m.buckets, &k, 0);

		json_object_object_add(row, "sources", json_object_new_int64(n));
		json_object_object_add(row, "slots", json_object_new_int64(slots));
		json_object_object_add(row, "present", json_object_new_int64(count_present(e.m.buckets, n)));
		for (j = 0; !err && j < sizeof(cases) / sizeof(cases[0]); j++) {
			err = make_frame(cases[j].family, cases[j].src, cases[j].ack, &fr);
			if (err)
				break;
			if (cases[j].edge)
				err = median_edge(&e, cases[j].src, &fr,
						  repeat < 1000000 ? repeat : 1000000, runs, &ns);
			else
				err = median_runs(e.prog_fd, &fr, repeat, runs, cases[j].want, &ns);
			if (err)
				fail("timing %s with %u sources: %s", cases[j].name, n,
				     err == -EBADMSG ? "unexpected verdict" : strerror(-err));
			else
				json_object_object_add(row, cases[j].name, num(ns, 2));
		}
		/* A new source with cookies off (a spoofed flood without
		 * them): its bucket made, in a full table by evicting one. */
		err = err ?: cookie_mode(&e, TG_COOKIES_OFF, TG_MAX_COOKIE_BUDGET);
		err = err ?: make_frame(AF_INET, "198.19.0.4", false, &fr);
		err = err ?: time_fresh_runs(e.prog_fd, &fr, FRESH_CALLS, runs, XDP_PASS, true, &ns);
		if (err)
			fail("timing new sources with %u sources: %s", n, strerror(-err));
		else
			json_object_object_add(row, "new_source_v4", num(ns, 2));
		/* Then cookies on: they change nothing for tracked sources,
		 * but the cases above are timed as without them. */
		err = err ?: cookie_mode(&e, TG_COOKIES_ON, TG_MAX_COOKIE_BUDGET);
		for (j = 0; !err && j < sizeof(cookie_cases) / sizeof(cookie_cases[0]); j++) {
			struct tg_counters c0, c1;

			err = make_frame(cookie_cases[j].family, cookie_cases[j].src, false, &fr);
			err = err ?: tg_counters_read(e.m.stats, &c0);
			err = err ?: time_fresh_runs(e.prog_fd, &fr, FRESH_CALLS, runs, XDP_TX, false,
						     &ns);
			err = err ?: tg_counters_read(e.m.stats, &c1);
			if (!err && c1.cookie_sent - c0.cookie_sent != (__u64)FRESH_CALLS * runs)
				err = -EBADMSG;
			if (err)
				fail("timing %s with %u sources: %s", cookie_cases[j].name, n,
				     err == -EBADMSG ? "not every SYN was answered" : strerror(-err));
			else
				json_object_object_add(row, cookie_cases[j].name, num(ns, 2));
		}
		/* Last, in the default mode again: rules once, at the first
		 * table size (their cost does not depend on it), and after
		 * the cases above, which they would slow with their filter. */
		err = err ?: over_budget_cost(&e, runs, row);
		err = err ?: cookie_mode(&e, TG_COOKIES_AUTO, TG_MAX_COOKIE_BUDGET);
		if (!err && nrules && i == 0)
			err = rules_cost(&e, dropped6, nrules, repeat, runs, row);
		bpf_object__close(e.obj);
		json_object_array_add(by_n, row);
		if (err)
			goto out;
	}
	json_object_object_add(o, "by_sources", by_n);
	by_n = NULL;
	print(o);
	o = NULL;
out:
	json_object_put(by_n);
	json_object_put(o);
	baseline_bpf__destroy(bl);
	return err ? 1 : 0;
}

/* ---- memory -------------------------------------------------------- */

/* The kernel's own accounting of a map: fdinfo's memlock line. */
static long long map_memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int cmd_memory(int argc, char **argv)
{
	__u32 sizes[8] = { 65536, 262144, 1048576 };
	int nsizes = 3, i, c;
	static const struct option lo[] = { { "sizes", required_argument, NULL, 's' }, { 0 } };
	struct json_object *o = json_object_new_object(), *rows = json_object_new_array();

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != 's')
			return fail("memory: bad option");
		nsizes = parse_list(optarg, sizes, 8);
	}
	for (i = 0; i < nsizes; i++) {
		struct tidegate_bpf *skel = tidegate_bpf__open();
		struct json_object *row;
		long long buckets, fixed;

		if (!skel || bpf_map__set_max_entries(skel->maps.tg_buckets, sizes[i]) ||
		    tidegate_bpf__load(skel)) {
			tidegate_bpf__destroy(skel);
			json_object_put(rows);
			json_object_put(o);
			return fail("loading tidegate with %u sources: %s", sizes[i], strerror(errno));
		}
		buckets = map_memlock(bpf_map__fd(skel->maps.tg_buckets));
		fixed = map_memlock(bpf_map__fd(skel->maps.tg_config)) +
			map_memlock(bpf_map__fd(skel->maps.tg_config_gen)) +
			map_memlock(bpf_map__fd(skel->maps.tg_ports)) +
			map_memlock(bpf_map__fd(skel->maps.tg_stats));
		row = json_object_new_object();
		json_object_object_add(row, "max_sources", json_object_new_int64(sizes[i]));
		json_object_object_add(row, "buckets_bytes", json_object_new_int64(buckets));
		json_object_object_add(row, "bytes_per_source",
				       num((double)buckets / sizes[i], 1));
		json_object_object_add(row, "other_maps_bytes", json_object_new_int64(fixed));
		json_object_array_add(rows, row);
		tidegate_bpf__destroy(skel);
	}
	json_object_object_add(o, "tables", rows);
	print(o);
	return 0;
}

/* ---- memlat: what one dependent load costs here -------------------- */

/*
 * A pointer chase through a random cycle of cache lines in SIZE MB, with
 * 4 KB pages and with transparent huge pages: the latency a lookup pays
 * per cache miss once its table outgrows the caches.
 */
static double chase(size_t mb, bool huge)
{
	size_t n = mb * 1024 * 1024 / 64, i, hops = 4000000;
	size_t *perm = malloc(n * sizeof(*perm));
	char *buf = mmap(NULL, n * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long long x = 88172645463325252ULL;
	double ns = NAN;
	char *p;
	__u64 t0;

	if (!perm || buf == MAP_FAILED)
		goto out;
	madvise(buf, n * 64, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) { /* Fisher-Yates with xorshift64 */
		size_t j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (size_t)(x % (i + 1));
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < n; i++)
		*(char **)(buf + perm[i] * 64) = buf + perm[(i + 1) % n] * 64;
	p = buf;
	t0 = mono_ns();
	for (i = 0; i < hops; i++)
		p = *(char **)p;
	ns = (double)(mono_ns() - t0) / (double)hops;
	if (!p)
		ns = NAN;
out:
	free(perm);
	if (buf != MAP_FAILED)
		munmap(buf, n * 64);
	return ns;
}

static int cmd_memlat(int argc, char **argv)
{
	__u32 sizes[8] = { 1, 16, 128 };
	int n = 3, i;
	struct json_object *o = json_object_new_array();

	if (argc > 1 && (n = parse_list(argv[1], sizes, 8)) < 1)
		return fail("usage: tg-bench memlat [MB,MB,...]");
	for (i = 0; i < n; i++) {
		struct json_object *row = json_object_new_object();

		json_object_object_add(row, "mb", json_object_new_int64(sizes[i]));
		json_object_object_add(row, "ns_4k_pages", num(chase(sizes[i], false), 1));
		json_object_object_add(row, "ns_huge_pages", num(chase(sizes[i], true), 1));
		json_object_array_add(o, row);
	}
	print(o);
	return 0;
}

/* ---- xdp: the baselines on an interface ---------------------------- */

static int attached_prog(int ifindex, __u32 *id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	*id = q.prog_id;
	return 0;
}

static int prog_info(__u32 id, struct bpf_prog_info *info, __u32 *map_ids, __u32 nmaps)
{
	__u32 len = sizeof(*info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (map_ids) {
		info->nr_map_ids = nmaps;
		info->map_ids = (__u64)(unsigned long)map_ids;
	}
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		err = -errno;
	close(fd);
	return err;
}

/* baseline_filter's rodata from PREFIX: words in network order. */
static int set_filter(struct baseline_bpf *bl, const char *prefix)
{
	struct tg_cidr c;
	char why[128];
	__u32 words[4] = { 0 }, mask[4] = { 0 };
	unsigned int i, bits;

	if (tg_cidr_parse(prefix, &c, why, sizeof(why)))
		return fail("xdp filter: '%s': %s", prefix, why);
	memcpy(words, c.addr, c.family == 4 ? 4 : 16);
	for (i = 0, bits = c.len; i < 4; i++, bits = bits > 32 ? bits - 32 : 0)
		mask[i] = htonl(bits >= 32 ? 0xffffffffU : bits ? ~(0xffffffffU >> bits) : 0);
	bl->rodata->filter_family = c.family;
	for (i = 0; i < 4; i++) {
		bl->rodata->filter_net[i] = words[i] & mask[i];
		bl->rodata->filter_mask[i] = mask[i];
	}
	return 0;
}

/* baseline_compact's table and limit: lines for SOURCES at half the
 * ways, GCRA from RATE and BURST. */
static int set_compact(struct baseline_bpf *bl, char **argv)
{
	unsigned long long sources = strtoull(argv[0], NULL, 10), burst = strtoull(argv[2], NULL, 10);
	__u32 lines = 1;
	struct tg_rate rate;
	char why[128];
	__u64 seed;

	if (!sources || sources > (1ULL << 26) || !burst || burst > 1000000)
		return fail("xdp compact: SOURCES 1..2^26 and BURST 1..1000000");
	if (tg_rate_parse(argv[1], &rate, why, sizeof(why)))
		return fail("xdp compact: '%s': %s", argv[1], why);
	while (lines < sources / 2)
		lines <<= 1;
	if (getentropy(&seed, sizeof(seed)))
		return fail("xdp compact: getentropy: %s", strerror(errno));
	bl->rodata->compact_seed = seed;
	bl->rodata->compact_line_mask = lines - 1;
	bl->rodata->compact_interval_ns = tg_rate_interval_ns(&rate);
	if (!bl->rodata->compact_interval_ns ||
	    burst - 1 > UINT64_MAX / 4 / bl->rodata->compact_interval_ns)
		return fail("xdp compact: %s with a burst of %llu is out of range", argv[1], burst);
	bl->rodata->compact_tolerance_ns = (burst - 1) * bl->rodata->compact_interval_ns;
	return bpf_map__set_max_entries(bl->maps.bl_compact, lines) ?
		       fail("xdp compact: sizing the table: %s", strerror(errno)) : 0;
}

static int cmd_xdp(int argc, char **argv)
{
	struct bpf_program *prog = NULL;
	struct baseline_bpf *bl;
	struct bpf_prog_info info;
	bool filter = argc > 2 && !strcmp(argv[2], "filter");
	bool compact = argc > 2 && !strcmp(argv[2], "compact");
	int ifindex, err;
	__u32 id = 0;

	if (argc != (filter ? 4 : compact ? 6 : 3))
		return fail("usage: tg-bench xdp IFACE drop|pass|tx|off | xdp IFACE filter PREFIX | "
			    "xdp IFACE compact SOURCES RATE BURST");
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex)
		return fail("%s: no such interface", argv[1]);
	if (!strcmp(argv[2], "off")) {
		/* Only ever remove our own baselines, never someone's program. */
		if (attached_prog(ifindex, &id) || !id)
			return 0;
		if (prog_info(id, &info, NULL, 0) || strncmp(info.name, "baseline_", 9))
			return fail("%s: the XDP program there is not a baseline; left alone",
				    argv[1]);
		return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL) ?
			       fail("%s: detaching: %s", argv[1], strerror(errno)) : 0;
	}
	bl = baseline_bpf__open();
	if (!bl)
		return fail("opening the baseline programs: %s", strerror(errno));
	if ((filter && set_filter(bl, argv[3])) || (compact && set_compact(bl, argv + 3))) {
		baseline_bpf__destroy(bl);
		return 1;
	}
	err = baseline_bpf__load(bl);
	if (err) {
		baseline_bpf__destroy(bl);
		return fail("loading the baseline programs: %s", strerror(-err));
	}
	if (filter)
		prog = bl->progs.baseline_filter;
	else if (compact)
		prog = bl->progs.baseline_compact;
	else if (!strcmp(argv[2], "drop"))
		prog = bl->progs.baseline_drop;
	else if (!strcmp(argv[2], "pass"))
		prog = bl->progs.baseline_pass;
	else if (!strcmp(argv[2], "tx"))
		prog = bl->progs.baseline_tx;
	if (!prog) {
		baseline_bpf__destroy(bl);
		return fail("xdp: expected drop, pass, tx, filter, compact or off, not '%s'",
			    argv[2]);
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err)
		err = fail("%s: attaching baseline_%s: %s", argv[1], argv[2], strerror(-err));
	/* The attachment keeps the program; the skeleton can go. */
	baseline_bpf__destroy(bl);
	return err;
}

/* ---- sample: what the receiving side handled ----------------------- */

/* The baseline's own packet counter, if the program on IFACE is one. */
static int baseline_count(__u32 prog_id, __u64 *packets)
{
	struct bpf_prog_info info;
	__u32 maps[8], i;
	int err;

	err = prog_info(prog_id, &info, maps, 8);
	if (err)
		return err;
	if (strncmp(info.name, "baseline_", 9))
		return -ENOENT;
	for (i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 len = sizeof(mi), zero = 0;
		int fd = bpf_map_get_fd_by_id(maps[i]), c, ncpus = -1;
		__u64 *v = NULL;

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len) && !strcmp(mi.name, "bl_packets"))
			ncpus = tg_percpu_read(fd, &zero, sizeof(*v), (void **)&v);
		close(fd);
		if (ncpus < 0)
			continue;
		*packets = 0;
		for (c = 0; c < ncpus; c++)
			*packets += v[c];
		free(v);
		return 0;
	}
	return -ENOENT;
}

struct snap {
	double t;
	struct rtnl_link_stats64 st;
	__u64 prog_packets;
	bool have_prog;
	__u64 run_cnt, run_time_ns;
};

static int take(int ifindex, __u32 prog_id, struct snap *s)
{
	struct bpf_prog_info info;
	int err;

	err = tg_iface_stats(ifindex, &s->st);
	s->t = mono_s();
	if (err)
		return err;
	s->have_prog = prog_id && !baseline_count(prog_id, &s->prog_packets);
	s->run_cnt = s->run_time_ns = 0;
	if (prog_id && !prog_info(prog_id, &info, NULL, 0)) {
		s->run_cnt = info.run_cnt;
		s->run_time_ns = info.run_time_ns;
	}
	return 0;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The receiver's own ns per frame (napi_time.h), over a window of its
 * own: the tracepoint programs slow every veth's polls a little, so
 * they stay out of the rate's window. */
static void sample_napi(struct json_object *o, int ifindex, double window)
{
	struct napi_time_bpf *skel;
	struct napi_sum a, b;
	int err;

	err = napi_time_open(ifindex, &skel);
	if (err) {
		fprintf(stderr, "tg-bench: timing the NAPI polls of ifindex %d: %s\n", ifindex,
			strerror(-err));
		return;
	}
	err = napi_time_read(skel, &a);
	sleep_s(window);
	err = err ?: napi_time_read(skel, &b);
	napi_time_close(skel);
	if (err || b.frames <= a.frames) {
		fprintf(stderr, "tg-bench: timing the NAPI polls of ifindex %d: %s\n", ifindex,
			err ? strerror(-err) : "no frame taken in");
		return;
	}
	json_object_object_add(o, "napi_ns_per_frame",
			       num((double)(b.ns - a.ns) / (double)(b.frames - a.frames), 2));
	json_object_object_add(o, "napi_frames_per_poll",
			       num((double)(b.frames - a.frames) / (double)(b.polls - a.polls), 1));
	json_object_object_add(o, "napi_full_polls",
			       num((double)(b.full_polls - a.full_polls) / (double)(b.polls - a.polls),
				   4));
}

static int cmd_sample(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "window", required_argument, NULL, 'w' },
		{ "cost-window", required_argument, NULL, 'c' },
		{ "napi-window", required_argument, NULL, 'n' },
		{ 0 },
	};
	double window = 2, cost_window = 0, napi_window = 0, dt;
	struct json_object *o;
	struct snap a, b;
	int ifindex, c, err, stats_fd = -1;
	__u32 prog_id = 0;
	const char *ifname;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'w')
			window = atof(optarg);
		else if (c == 'c')
			cost_window = atof(optarg);
		else if (c == 'n')
			napi_window = atof(optarg);
		else
			return fail("sample: bad option");
	}
	if (optind + 1 != argc || window <= 0 || window > 600 || cost_window < 0 ||
	    cost_window > 600 || napi_window < 0 || napi_window > 600)
		return fail("usage: tg-bench sample IFACE [--window S] [--cost-window S] "
			    "[--napi-window S]");
	ifname = argv[optind];
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return fail("%s: no such interface", ifname);
	attached_prog(ifindex, &prog_id);

	o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	err = take(ifindex, prog_id, &a);
	sleep_s(window);
	err = err ?: take(ifindex, prog_id, &b);
	if (err) {
		json_object_put(o);
		return fail("%s: reading its counters: %s", ifname, strerror(-err));
	}
	dt = b.t - a.t;
	json_object_object_add(o, "seconds", num(dt, 4));
	json_object_object_add(o, "rx_pps", num((double)(b.st.rx_packets - a.st.rx_packets) / dt, 0));
	json_object_object_add(o, "rx_dropped_pps",
			       num((double)(b.st.rx_dropped - a.st.rx_dropped) / dt, 0));
	if (a.have_prog && b.have_prog)
		json_object_object_add(o, "prog_pps",
				       num((double)(b.prog_packets - a.prog_packets) / dt, 0));

	/* Per-run cost while the flood goes on. BPF_ENABLE_STATS lasts as
	 * long as its fd: nothing is left switched on if we die. */
	if (cost_window > 0 && prog_id) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			fprintf(stderr, "tg-bench: BPF_ENABLE_STATS: %s\n", strerror(errno));
		} else {
			err = take(ifindex, prog_id, &a);
			sleep_s(cost_window);
			err = err ?: take(ifindex, prog_id, &b);
			close(stats_fd);
			if (!err && b.run_cnt > a.run_cnt) {
				dt = b.t - a.t;
				json_object_object_add(
					o, "ns_per_run",
					num((double)(b.run_time_ns - a.run_time_ns) /
						    (double)(b.run_cnt - a.run_cnt), 2));
				json_object_object_add(
					o, "runs_per_s",
					num((double)(b.run_cnt - a.run_cnt) / dt, 0));
			}
		}
	}
	if (napi_window > 0)
		sample_napi(o, ifindex, napi_window);
	print(o);
	return 0;
}

/* ---- serve and connect: latency of a real client ------------------- */

static int cmd_serve(int argc, char **argv)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, one = 1, zero = 0;
	double deadline;
	__u64 accepted = 0;

	if (argc != 3)
		return fail("usage: tg-bench serve PORT SECONDS");
	sa.sin6_port = htons((__u16)atoi(argv[1]));
	deadline = mono_s() + atof(argv[2]);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096))
		return fail("listening on port %s: %s", argv[1], strerror(errno));
	while (mono_s() < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0) {
			close(c);
			accepted++;
		}
	}
	close(fd);
	fprintf(stderr, "tg-bench: served %llu connections\n", (unsigned long long)accepted);
	return 0;
}

static int connect_once(const struct sockaddr_storage *ss, socklen_t len, double *us)
{
	struct timeval tv = { .tv_sec = 2 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;
	__u64 t0, t1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	t0 = mono_ns();
	if (connect(fd, (const struct sockaddr *)ss, len))
		err = -errno;
	t1 = mono_ns();
	/* Reset rather than close: no TIME_WAIT piles up on either side. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	*us = (double)(t1 - t0) / 1e3;
	return err;
}

static int cmd_connect(int argc, char **argv)
{
	static const struct option lo[] = { { "warmup", required_argument, NULL, 'w' }, { 0 } };
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int warmup = 20, count, i, c, failures = 0;
	struct json_object *o;
	double *v, us, sum = 0;
	size_t n = 0;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c != 'w')
			return fail("connect: bad option");
		warmup = atoi(optarg);
	}
	if (optind + 3 != argc)
		return fail("usage: tg-bench connect IP PORT COUNT [--warmup N]");
	count = atoi(argv[optind + 2]);
	if (count < 1 || count > 1000000)
		return fail("connect: COUNT from 1 to 1000000");
	if (inet_pton(AF_INET, argv[optind], &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((__u16)atoi(argv[optind + 1]));
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[optind],
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((__u16)atoi(argv[optind + 1]));
		len = sizeof(struct sockaddr_in6);
	} else {
		return fail("connect: '%s' is not an address", argv[optind]);
	}
	v = calloc((size_t)count, sizeof(*v));
	if (!v)
		return fail("out of memory");
	for (i = 0; i < warmup; i++)
		connect_once(&ss, len, &us);
	for (i = 0; i < count; i++) {
		if (connect_once(&ss, len, &us)) {
			failures++;
			continue;
		}
		v[n++] = us;
		sum += us;
	}
	o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int(count));
	json_object_object_add(o, "failures", json_object_new_int(failures));
	json_object_object_add(o, "mean_us", num(n ? sum / (double)n : NAN, 2));
	json_object_object_add(o, "median_us", num(quantile(v, n, 0.5), 2));
	json_object_object_add(o, "p99_us", num(quantile(v, n, 0.99), 2));
	json_object_object_add(o, "min_us", num(quantile(v, n, 0), 2));
	print(o);
	free(v);
	return failures == count;
}

/* ---- lines: the JIT line table of an attached program -------------- */

static int cmd_lines(int argc, char **argv)
{
	struct json_object *o, *funcs, *lines;
	const char *image = NULL;
	struct tg_attached att;
	unsigned int ifindex;
	__u32 id;
	int err;

	if (argc == 4 && !strcmp(argv[2], "--image"))
		image = argv[3];
	else if (argc != 2)
		return fail("usage: tg-bench lines IFACE [--image FILE]");
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex)
		return fail("lines: %s: %s", argv[1], strerror(errno));
	/* tidegate's own program, also behind libxdp's dispatcher. */
	err = tg_xdp_find(ifindex, &att);
	if (err)
		return fail("lines: %s: %s", argv[1],
			    err == -ENOENT ? "tidegate is not attached" : strerror(-err));
	id = att.prog_id;
	err = tg_jit_lines(id, image, &funcs, &lines);
	if (err)
		return fail("lines: program %u: %s", id,
			    err == -ENODATA ? "no line info (built without BTF, or the JIT is off)" :
			    err == -EPERM ?   "kernel addresses are hidden (kernel.kptr_restrict)" :
					      strerror(-err));
	o = json_object_new_object();
	json_object_object_add(o, "prog_id", json_object_new_int64(id));
	if (image)
		json_object_object_add(o, "image", json_object_new_string(image));
	json_object_object_add(o, "funcs", funcs);
	json_object_object_add(o, "lines", lines);
	print(o);
	return 0;
}

/* libbpf's chatter (it does not know libxdp's .xdp_run_config) only
 * with TG_BENCH_VERBOSE set. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!getenv("TG_BENCH_VERBOSE"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "cost", cmd_cost },	   { "memory", cmd_memory }, { "xdp", cmd_xdp },
		{ "sample", cmd_sample }, { "serve", cmd_serve },   { "connect", cmd_connect },
		{ "memlat", cmd_memlat }, { "lines", cmd_lines },
	};
	size_t i;

	libbpf_set_print(libbpf_print);
	if (argc >= 2)
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(argv[1], cmds[i].name))
				return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "usage: tg-bench cost|memory|memlat|xdp|sample|serve|connect|lines ...\n"
			"(see the top of bench/tg-bench.c)\n");
	return 2;
}
