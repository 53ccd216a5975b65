// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fuzz_datapath.c - the differential fuzzer of the data path.
 *
 * Random, mutated and cut frames (frame_gen.h) go through the real XDP
 * program under BPF_PROG_TEST_RUN, with its test clock, and through a
 * reference written from the README (ref_dp.h, ref_gcra.h). For every
 * frame they must agree on the verdict, on every counter and the
 * per-family counters, on the bucket charged (its tat, admitted,
 * dropped and drop log time), on the drop log lines written, and for an
 * RST on the frame sent back. Every EPOCH frames the limits change at
 * random (rate, burst, prefixes, ports, dry run, drop or rst, budgets,
 * and a few rules of every kind over the generator's sources), and the
 * whole bucket table is compared with the model.
 *
 *   test_fuzz_datapath [FRAMES [SEED]]
 *
 * Without arguments a short slice for make test; make fuzz runs a
 * million frames. Frame i of seed S is the same frame on every run, so
 * a disagreement printed here can be made again.
 */
#include <bpf/libbpf.h>

#include "xdp_env.h"
#include "frame_gen.h"
#include "ref_gcra.h"

#define DEFAULT_FRAMES 100000
#define DEFAULT_SEED   8
#define EPOCH          1000 /* frames between limit changes; the table holds 4096 */
#define MAX_SIGS       64
#define FUZZ_MAX_RULES 4
#define SHOW_PER_SIG   2
#define SHOW_TABLE     8 /* disagreements of the bucket tables shown in all */

struct sig {
	char text[256];
	unsigned long n;
};

struct fuzz {
	struct env e;
	struct ring_buffer *rb;
	unsigned long events;
	struct tg_log_event ev; /* the last one */
	struct ref_state model;
	struct ref_limits lim;
	struct ref_rule rules[FUZZ_MAX_RULES];
	char rule_cidr[FUZZ_MAX_RULES][48];
	unsigned int n_rules;
	__u8 limited[65536];
	__u16 extra_ports[2];
	__u64 now;
	__u64 seed;
	struct tg_counters last;
	struct tg_fam_counters last_fam[TG_NR_FAMILIES];
	struct sig sigs[MAX_SIGS];
	unsigned int n_sigs;
	unsigned long disagree, frames;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct fuzz *z = ctx;

	if (size >= sizeof(z->ev))
		memcpy(&z->ev, data, sizeof(z->ev));
	z->events++;
	return 0;
}

static const char *verdict_name(__u32 v)
{
	static const char *names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return v < 5 ? names[v] : "?";
}

/* "PASS pass_trunc" or "DROP syn allowed ...": a verdict and the
 * counters that moved, for messages. */
static void describe(char *out, size_t len, __u32 verdict, const struct tg_counters *c)
{
	size_t n = (size_t)snprintf(out, len, "%s", verdict_name(verdict)), i;

	for (i = 0; i < TG_NR_COUNTERS && n < len; i++) {
		__u64 v = tg_counter_get(c, &tg_counter_defs[i]);

		if (v && strcmp(tg_counter_defs[i].name, "packets"))
			n += (size_t)snprintf(out + n, len - n, " %s", tg_counter_defs[i].name);
	}
}

static int read_counters(struct fuzz *z, struct tg_counters *c,
			 struct tg_fam_counters fam[TG_NR_FAMILIES])
{
	return tg_counters_read(z->e.m.stats, c) ?: tg_fam_counters_read(z->e.m.fstats, fam);
}

static void delta(struct tg_counters *d, const struct tg_counters *a, const struct tg_counters *b)
{
	const __u64 *pa = (const __u64 *)a, *pb = (const __u64 *)b;
	__u64 *pd = (__u64 *)d;
	size_t i;

	for (i = 0; i < TG_NR_COUNTERS; i++)
		pd[i] = pb[i] - pa[i];
}

static void hexdump(const __u8 *b, size_t len)
{
	char line[3 * 32 + 1];
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ", b[i]);
		if (i % 32 == 31 || i + 1 == len) {
			tap_diag("    %04zx: %s", i - i % 32, line);
			n = 0;
		}
	}
}

/* Count a disagreement under its kind; show the first few of each. */
static void disagree(struct fuzz *z, unsigned long idx, const char *kind, const char *detail,
		     const __u8 *frame, size_t len)
{
	struct sig *s = NULL;
	unsigned int i;

	z->disagree++;
	for (i = 0; i < z->n_sigs; i++)
		if (!strcmp(z->sigs[i].text, kind))
			s = &z->sigs[i];
	if (!s && z->n_sigs < MAX_SIGS) {
		s = &z->sigs[z->n_sigs++];
		snprintf(s->text, sizeof(s->text), "%s", kind);
	}
	if (s && s->n++ >= SHOW_PER_SIG)
		return;
	tap_diag("frame %lu of seed %llu (%zu bytes): %s", idx, (unsigned long long)z->seed, len,
		 kind);
	if (detail && *detail)
		tap_diag("  %s", detail);
	hexdump(frame, len);
}

/*
 * A few rules, at random, over the sources frame_gen.h draws from, in
 * the words of rule add: allow, deny, deny --all, limit, limit --shared,
 * some with an action, some with a --ttl. The rule as the CLI adds it,
 * and the model's copy of what the program was given (read back).
 */
static int new_rules(struct fuzz *z, struct gen *g)
{
	static const char *cidrs[] = { "198.18.0.0/16", "198.18.1.0/24", "198.18.2.3/32",
				       "198.18.0.0/23", "0.0.0.0/0",     "198.18.3.0/25",
				       "2001:db8::/32", "2001:db8:0:1::/64", "2001:db8:0:2::/63",
				       "::/0",          "2001:db8:0:2::3/128" };
	static const char *kinds[] = { "allow", "deny", "deny --all", "limit 1/minute --burst 2",
				       "limit 10/second --shared", "limit 2/hour --burst 3" };
	static const char *actions[] = { "", "", " --action drop", " --action rst" };
	unsigned int i, j, n = gen_pct(g, 50) ? 0 : 1 + gen_below(g, FUZZ_MAX_RULES);
	char text[128], why[160];
	int err;

	for (i = 0; i < z->n_rules; i++) {
		err = env_rule_del(&z->e, z->rule_cidr[i]);
		if (err && err != -ENOENT) /* a rule past its --ttl may be swept */
			return err;
	}
	z->n_rules = 0;
	for (i = 0; i < n; i++) {
		const char *cidr = cidrs[gen_below(g, sizeof(cidrs) / sizeof(cidrs[0]))];
		const char *kind = kinds[gen_below(g, sizeof(kinds) / sizeof(kinds[0]))];
		struct ref_rule *r = &z->rules[z->n_rules];
		struct tg_rule_spec spec;
		struct tg_rule_key key;
		struct tg_rule tr;

		for (j = 0; j < z->n_rules && strcmp(z->rule_cidr[j], cidr); j++)
			;
		if (j < z->n_rules)
			continue; /* drawn twice: one rule per prefix */
		snprintf(text, sizeof(text), "%s %s%s%s", cidr, kind,
			 strcmp(kind, "allow") ? actions[gen_below(g, 4)] : "",
			 gen_pct(g, 30) ? " --ttl 1h" : "");
		if (tg_rule_spec_parse(text, &spec, why, sizeof(why)) ||
		    (err = tg_live_rule_add(&z->e.m, &spec, &key, &tr, why, sizeof(why)))) {
			tap_diag("rule %s: %s", text, why);
			return -EINVAL;
		}
		*r = (struct ref_rule){ .family = spec.cidr.family, .len = spec.cidr.len,
					.kind = tr.kind, .shared = tr.flags & TG_RULE_F_SHARED,
					.all = tr.flags & TG_RULE_F_ALL, .id = tr.id,
					.action = tr.action, .interval_ns = tr.interval_ns,
					.tolerance_ns = tr.tolerance_ns };
		if (spec.cidr.family == 4) { /* a source's form: ::ffff:a.b.c.d */
			r->addr[10] = r->addr[11] = 0xff;
			memcpy(r->addr + 12, spec.cidr.addr, 4);
		} else {
			memcpy(r->addr, spec.cidr.addr, 16);
		}
		snprintf(z->rule_cidr[z->n_rules++], sizeof(z->rule_cidr[0]), "%s", cidr);
	}
	/* A --ttl runs on the program's clock, here the test clock: each
	 * ends somewhere in the next two intervals. Set once every rule is
	 * added, as adding one sweeps the expired by the real clock. */
	for (i = 0; i < z->n_rules; i++) {
		struct tg_rule_key key;
		struct tg_rule tr;
		struct tg_cidr c;

		if (tg_cidr_parse(z->rule_cidr[i], &c, why, sizeof(why)))
			return -EINVAL;
		tg_cidr_to_key(&c, &key);
		if ((err = tg_rule_find(z->e.m.rules, &key, &tr)))
			return err;
		if (!tr.expires_ns)
			continue;
		tr.expires_ns = z->now + gen_next(g) % (2 * z->lim.interval_ns + 1);
		if (bpf_map_update_elem(z->e.m.rules, &key, &tr, BPF_EXIST))
			return -errno;
		z->rules[i].expires_ns = tr.expires_ns;
	}
	return 0;
}

/* The limits of one epoch, at random, written as the CLI writes them. */
static int new_epoch(struct fuzz *z, unsigned long epoch)
{
	static const char *rates[] = { "1/minute", "10/second", "1000/second", "5/hour", "3/10s" };
	struct gen g = { .s = z->seed * 0x9E3779B97F4A7C15ULL ^ (epoch + 1) * 0xD1B54A32D192ED03ULL };
	struct tg_state zero_state = { 0 };
	struct tg_source key;
	struct tg_config cfg;
	struct tg_limits l;
	char why[160];
	__u32 zero = 0;
	unsigned int i;
	int err;

	tg_limits_default(&l);
	if (tg_rate_parse(rates[gen_below(&g, 5)], &l.rate, why, sizeof(why)))
		return -EINVAL;
	l.burst = 1 + gen_below(&g, 5);
	l.v4_prefix = GEN_PICK(&g, 32, 32, 24, 16, 1);
	l.v6_prefix = GEN_PICK(&g, 128, 64, 64, 56, 1);
	l.dry_run = gen_pct(&g, 20);
	l.max_sources = 4096;
	memset(&l.ports, 0, sizeof(l.ports));
	memset(z->limited, 0, sizeof(z->limited));
	z->extra_ports[0] = (__u16)(1 + gen_below(&g, 65535));
	z->extra_ports[1] = (__u16)GEN_PICK(&g, 8443, 8080, 65535, 1);
	for (i = 0; i < 4; i++) {
		__u16 p = i == 0 ? 80 : i == 1 ? 443 : z->extra_ports[i - 2];

		if (p == 22) /* the generator's port that is never limited */
			continue;
		tg_portset_add(&l.ports, p);
		z->limited[p] = 1;
	}
	l.action.kind = gen_pct(&g, 40) ? TG_ACT_RST : TG_ACT_DROP;
	l.rst_budget = GEN_PICK(&g, 1, 3, 1000);
	l.log_interval = GEN_PICK(&g, 1, 10);
	l.log_budget = GEN_PICK(&g, 1, 5, 100);
	err = env_limits(&z->e, &l);
	if (err)
		return err;

	/* Forget every bucket, and both budgets, in program and model. */
	while (!bpf_map_get_next_key(z->e.m.buckets, NULL, &key))
		if (bpf_map_delete_elem(z->e.m.buckets, &key))
			return -errno;
	if (bpf_map_update_elem(z->e.m.state, &zero, &zero_state, BPF_ANY))
		return -errno;
	ref_reset(&z->model);

	cfg = env_config(&z->e);
	z->lim = (struct ref_limits){
		.interval_ns = cfg.interval_ns,
		.tolerance_ns = cfg.tolerance_ns,
		.v4_prefix = l.v4_prefix,
		.v6_prefix = l.v6_prefix,
		.dry_run = l.dry_run,
		.action = l.action.kind,
		.rst_interval_ns = cfg.rst_interval_ns,
		.rst_tolerance_ns = cfg.rst_tolerance_ns,
		.log_interval_ns = cfg.log_interval_ns,
		.log_interval_budget_ns = cfg.log_budget_interval_ns,
		.log_tolerance_ns = cfg.log_budget_tolerance_ns,
	};
	return new_rules(z, &g);
}

/* The bucket in the program's table against the model's. */
static bool bucket_agrees(const struct tg_bucket *got, const struct ref_bucket *want,
			  __u64 now, char *why, size_t len)
{
	bool dropped_ok = want->dropped < REF_DROPS_EXACT ? got->dropped == want->dropped :
							   got->dropped >= REF_DROPS_EXACT;

	if (got->tat_ns == want->tat_ns && got->admitted == want->admitted && dropped_ok &&
	    got->logged_ns == want->logged_ns)
		return true;
	snprintf(why, len,
		 "bucket tat now%+lld admitted %llu dropped %llu logged now%+lld; "
		 "want tat now%+lld admitted %llu dropped %llu logged now%+lld",
		 (long long)(got->tat_ns - now), (unsigned long long)got->admitted,
		 (unsigned long long)got->dropped, (long long)(got->logged_ns - now),
		 (long long)(want->tat_ns - now), (unsigned long long)want->admitted,
		 (unsigned long long)want->dropped, (long long)(want->logged_ns - now));
	return false;
}

/* After a disagreement the model takes the program's bucket as it is,
 * so that one cause is counted once, not again at every later SYN. */
static void resync_bucket(struct fuzz *z, const struct ref_effect *want)
{
	struct tg_source src;
	struct tg_bucket b;

	if (!want->bucket)
		return;
	src.rule = want->bucket->rule;
	memcpy(src.addr, want->key, 16);
	if (bpf_map_lookup_elem(z->e.m.buckets, &src, &b))
		return;
	want->bucket->tat_ns = b.tat_ns;
	want->bucket->admitted = b.admitted;
	want->bucket->dropped = b.dropped;
	want->bucket->logged_ns = b.logged_ns;
}

/*
 * The RST the program sent: addresses and ports swapped, flags RST|ACK,
 * 20 bytes of TCP, and the SYN's sequence space acknowledged: seq + 1,
 * + 1 for FIN, + the payload the IP header says the segment carries.
 */
static bool rst_agrees(const __u8 *syn, const __u8 *out, __u32 out_len, char *why, size_t wlen)
{
	size_t l3 = 14, l4;
	bool v6;
	__u32 seq, ack, ip_l4, hlen, want_ack;

	unsigned int type;

	while ((type = (unsigned int)syn[l3 - 2] << 8 | syn[l3 - 1]) == 0x8100 || type == 0x88a8)
		l3 += 4;
	v6 = type == 0x86dd;
	l4 = l3 + (v6 ? 40 : 20);
	ip_l4 = v6 ? (__u32)(syn[l3 + 4] << 8 | syn[l3 + 5]) :
		     (__u32)(syn[l3 + 2] << 8 | syn[l3 + 3]);
	if (!v6) /* a total length under the header's says no payload */
		ip_l4 = ip_l4 > 20 ? ip_l4 - 20 : 0;
	hlen = (__u32)(syn[l4 + 12] >> 4) * 4;
	seq = (__u32)syn[l4 + 4] << 24 | (__u32)syn[l4 + 5] << 16 | (__u32)syn[l4 + 6] << 8 |
	      syn[l4 + 7];
	want_ack = seq + 1 + (syn[l4 + 13] & 1) + (ip_l4 > hlen ? ip_l4 - hlen : 0);
	if (out_len != l4 + 20) {
		snprintf(why, wlen, "RST of %u bytes, want %zu", out_len, l4 + 20);
		return false;
	}
	ack = (__u32)out[l4 + 8] << 24 | (__u32)out[l4 + 9] << 16 | (__u32)out[l4 + 10] << 8 |
	      out[l4 + 11];
	if (out[l4 + 13] != 0x14 || memcmp(out + l4, syn + l4 + 2, 2) ||
	    memcmp(out + l4 + 2, syn + l4, 2) || ack != want_ack ||
	    memcmp(out, syn + 6, 6) || memcmp(out + 6, syn, 6)) {
		snprintf(why, wlen, "RST flags 0x%02x ack %u (want 0x14, ack %u), ports or MACs "
			 "not swapped?", out[l4 + 13], ack, want_ack);
		return false;
	}
	return true;
}

/* One frame through both; returns -1 only when the program cannot run. */
static int fuzz_frame(struct fuzz *z, unsigned long idx)
{
	static __u8 out[GEN_FRAME_MAX + 512];
	struct gen g = { .s = z->seed ^ (idx + 1) * 0x9E3779B97F4A7C15ULL,
			 .extra_ports = z->extra_ports, .n_extra = 2 };
	struct tg_fam_counters fam[TG_NR_FAMILIES];
	struct tg_counters now_cnt, got;
	struct ref_verdict v;
	struct ref_effect want;
	static struct gen_buf f;
	char kind[600], want_s[280], got_s[280], why[300] = "";
	unsigned long events0 = z->events;
	__u32 out_len = sizeof(out);
	int verdict, fam_i;
	size_t len;

	if (gen_pct(&g, 15)) /* time passes: up to two intervals, now and then days */
		z->now += gen_pct(&g, 2) ? 86400ULL * SEC_NS :
					   gen_next(&g) % (2 * z->lim.interval_ns + 1);
	len = gen_frame(&g, &f);

	ref_classify(f.b, len, z->limited, &v);
	ref_charge(&z->model, &v, z->now, &z->lim, z->rules, z->n_rules, &want);

	env_clock(&z->e, z->now);
	verdict = env_run(&z->e, f.b, (__u32)len, out, &out_len);
	if (verdict < 0)
		return -1;
	if (read_counters(z, &now_cnt, fam))
		return -1;
	ring_buffer__consume(z->rb);
	delta(&got, &z->last, &now_cnt);
	z->last = now_cnt;
	for (fam_i = 0; fam_i < TG_NR_FAMILIES; fam_i++) {
		struct tg_fam_counters d = {
			.syn = fam[fam_i].syn - z->last_fam[fam_i].syn,
			.allowed = fam[fam_i].allowed - z->last_fam[fam_i].allowed,
			.dropped = fam[fam_i].dropped - z->last_fam[fam_i].dropped,
			.would_drop = fam[fam_i].would_drop - z->last_fam[fam_i].would_drop,
		};

		if (memcmp(&d, &want.fam[fam_i], sizeof(d)))
			snprintf(why, sizeof(why), "tg_fam_stats[%s] moved syn %llu allowed %llu "
				 "dropped %llu would_drop %llu, want %llu %llu %llu %llu",
				 fam_i ? "IPv6" : "IPv4", (unsigned long long)d.syn,
				 (unsigned long long)d.allowed, (unsigned long long)d.dropped,
				 (unsigned long long)d.would_drop,
				 (unsigned long long)want.fam[fam_i].syn,
				 (unsigned long long)want.fam[fam_i].allowed,
				 (unsigned long long)want.fam[fam_i].dropped,
				 (unsigned long long)want.fam[fam_i].would_drop);
		z->last_fam[fam_i] = fam[fam_i];
	}
	z->frames++;

	describe(want_s, sizeof(want_s), want.verdict, &want.cnt);
	describe(got_s, sizeof(got_s), (__u32)verdict, &got);
	if ((__u32)verdict != want.verdict || memcmp(&got, &want.cnt, sizeof(got))) {
		snprintf(kind, sizeof(kind), "program: %s; reference: %s", got_s, want_s);
		disagree(z, idx, kind, why, f.b, len);
		resync_bucket(z, &want);
		return 0;
	}
	if (why[0]) {
		disagree(z, idx, "per-family counters", why, f.b, len);
		return 0;
	}
	if (z->events - events0 != want.cnt.log_emitted ||
	    (want.logged && memcmp(z->ev.bucket, want.key, 16))) {
		snprintf(why, sizeof(why), "%lu log events, want %llu", z->events - events0,
			 (unsigned long long)want.cnt.log_emitted);
		disagree(z, idx, "drop log", why, f.b, len);
	}
	if (want.bucket) {
		struct tg_source src = { .rule = want.bucket->rule };
		struct tg_bucket b = { 0 };

		memcpy(src.addr, want.key, 16);
		if (bpf_map_lookup_elem(z->e.m.buckets, &src, &b)) {
			disagree(z, idx, "the charged source has no bucket", "", f.b, len);
		} else if (!bucket_agrees(&b, want.bucket, z->now, why, sizeof(why))) {
			disagree(z, idx, "the charged bucket", why, f.b, len);
			resync_bucket(z, &want);
		}
	}
	if (verdict == XDP_TX && !rst_agrees(f.b, out, out_len, why, sizeof(why)))
		disagree(z, idx, "the RST sent", why, f.b, len);
	return 0;
}

/* At the end of an epoch every bucket in the program's table must be
 * the model's, and the model must have no other. */
static void compare_tables(struct fuzz *z, unsigned long epoch)
{
	struct tg_source key, next;
	const void *prev = NULL;
	unsigned int n = 0;
	char why[300];

	while (!bpf_map_get_next_key(z->e.m.buckets, prev, &next)) {
		struct tg_bucket b;
		struct ref_bucket *want;

		key = next;
		prev = &key;
		n++;
		if (bpf_map_lookup_elem(z->e.m.buckets, &key, &b))
			continue;
		want = ref_find(&z->model, key.addr, key.rule, false);
		if (!want) {
			if (z->disagree++ < SHOW_TABLE) {
				tap_diag("epoch %lu: a bucket the reference never charged, rule %u",
					 epoch, key.rule);
				hexdump(key.addr, 16);
			}
		} else if (!bucket_agrees(&b, want, z->now, why, sizeof(why))) {
			if (z->disagree++ < SHOW_TABLE)
				tap_diag("epoch %lu: %s", epoch, why);
		}
	}
	if (n != z->model.n) {
		z->disagree++;
		tap_diag("epoch %lu: %u buckets in the table, the reference has %u", epoch, n,
			 z->model.n);
	}
}

int main(int argc, char **argv)
{
	static struct fuzz z;
	unsigned long frames = argc > 1 ? strtoul(argv[1], NULL, 0) : DEFAULT_FRAMES, i;
	unsigned int s;
	int err;

	z.seed = argc > 2 ? strtoull(argv[2], NULL, 0) : DEFAULT_SEED;
	env_require_bpf();
	err = env_open(&z.e, "1/minute", 1);
	if (!tap_ok(!err, "load the XDP program with the test clock")) {
		tap_diag("  %s", strerror(-err));
		return tap_done();
	}
	z.rb = ring_buffer__new(z.e.m.log, on_event, &z, NULL);
	if (!tap_ok(z.rb != NULL, "open the drop log ring buffer"))
		goto out;
	z.now = T0;
	if (!tap_ok(!read_counters(&z, &z.last, z.last_fam), "read tg_stats and tg_fam_stats"))
		goto out;

	for (i = 0; i < frames; i++) {
		if (i % EPOCH == 0) {
			if (i)
				compare_tables(&z, i / EPOCH - 1);
			err = new_epoch(&z, i / EPOCH);
			if (err) {
				tap_ok(0, "epoch %lu: write the limits: %s", i / EPOCH, strerror(-err));
				goto out;
			}
		}
		if (fuzz_frame(&z, i)) {
			tap_ok(0, "frame %lu: run the program", i);
			goto out;
		}
	}
	compare_tables(&z, i / EPOCH);

	if (!tap_ok(z.disagree == 0, "%lu frames of seed %llu: the program agrees with the "
		    "reference", z.frames, (unsigned long long)z.seed))
		for (s = 0; s < z.n_sigs; s++)
			tap_diag("  %lu x %s", z.sigs[s].n, z.sigs[s].text);
	{
		struct tg_counters total;
		char seen[600];

		read_counters(&z, &total, z.last_fam);
		describe(seen, sizeof(seen), XDP_PASS, &total);
		tap_diag("outcomes seen: %s", seen + 5);
		tap_diag("syn %llu (allowed %llu, dropped %llu, would_drop %llu), frag_tiny %llu, "
			 "exthdr_long %llu, rst_sent %llu, rst_skipped %llu, log lines %lu",
			 (unsigned long long)total.syn, (unsigned long long)total.allowed,
			 (unsigned long long)total.dropped, (unsigned long long)total.would_drop,
			 (unsigned long long)total.frag_tiny, (unsigned long long)total.exthdr_long,
			 (unsigned long long)total.rst_sent, (unsigned long long)total.rst_skipped,
			 z.events);
	}
out:
	ring_buffer__free(z.rb);
	env_close(&z.e);
	return tap_done();
}
