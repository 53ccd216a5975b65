// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_race.c - two CPUs racing for one source's bucket in the real XDP
 * program, clock frozen: exactly the burst is admitted in all, whoever
 * creates the bucket, and a lost compare-and-swap is retried, never
 * taken for a refusal (cas_exhausted). Apart from test_bucket.c because
 * it depends on how the CPUs interleave: a failure here may come and go.
 */
#include <pthread.h>
#include <sched.h>

#include "harness.h"
#include "pkt.h"
#include "syn.h"

#define SEC TG_NSEC_PER_SEC
#define DAY (86400 * SEC)
#define T0 (1000 * SEC)

struct racer {
	struct tg_harness *h;
	const struct syn *f;
	int cpu;
	__u32 repeat;
	pthread_barrier_t *start;
	int err;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	cpu_set_t set;
	__u32 verdict;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->err = sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
	pthread_barrier_wait(r->start);
	if (!r->err)
		r->err = tg_run(r->h, r->f->frame, r->f->len, r->repeat, &verdict);
	return NULL;
}

/* Does the kernel run XDP on a chosen CPU? Only said, not required. */
static void probe_run_on_cpu(struct tg_harness *h, const struct syn *f)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->frame, .data_size_in = f->len,
		    .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = 1);
	int err = bpf_prog_test_run_opts(h->prog_fd, &opts) ? -errno : 0;

	tap_diag("BPF_F_TEST_RUN_ON_CPU for XDP: %s; racing from threads pinned with "
		 "sched_setaffinity", err ? strerror(-err) : "accepted");
}

/*
 * One round of a race: a new source's SYN sent repeat times from each of
 * CPUs 0 and 1 at once. d: how the counters moved; b: its bucket after.
 */
static int race_round(struct tg_harness *h, __u32 saddr, __u32 repeat, struct tg_counters *d,
		      struct tg_bucket *b)
{
	struct syn f = syn4(saddr);
	struct tg_source src = tg_source_v4(saddr);
	struct tg_counters before, after;
	pthread_barrier_t start;
	struct racer r[2];
	pthread_t t[2];
	size_t k;
	int i;

	pthread_barrier_init(&start, NULL, 2);
	tg_stats_read(h, &before);
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){ .h = h, .f = &f, .cpu = i, .repeat = repeat,
				       .start = &start };
		pthread_create(&t[i], NULL, racer_run, &r[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	tg_stats_read(h, &after);
	memset(b, 0, sizeof(*b));
	tg_bucket_get(h, &src, b);
	for (k = 0; k < TG_NR_COUNTERS; k++)
		((__u64 *)d)[k] = ((__u64 *)&after)[k] - ((__u64 *)&before)[k];
	if (r[0].err || r[1].err) {
		tap_ok(0, "race: run on CPUs 0 and 1: %s", strerror(-(r[0].err ?: r[1].err)));
		return -1;
	}
	return 0;
}

static bool have_two_cpus(const char *what)
{
	if (libbpf_num_possible_cpus() >= 2 && sysconf(_SC_NPROCESSORS_ONLN) >= 2)
		return true;
	tap_ok(1, "# SKIP %s: needs two CPUs", what);
	return false;
}

/*
 * Two threads on CPUs 0 and 1 hammer one new source with the clock
 * frozen: exactly burst SYNs get through in total, whoever creates the
 * bucket and however often the compare-and-swap is lost, and no SYN is
 * refused for losing the race (cas_exhausted: a lost race is retried).
 */
static void test_race(struct tg_harness *h)
{
	const int rounds = 20;
	const __u32 repeat = 20000, burst = 1000;
	__u64 retries = 0, exhausted = 0;
	int round, bad = 0;

	if (!have_two_cpus("race"))
		return;
	if (tg_configure_ok(h, "1/hour", burst, 32, 128))
		return;
	tg_set_clock(h, T0 + 10 * DAY);

	for (round = 0; round < rounds; round++) {
		struct tg_counters d;
		struct tg_bucket b;

		if (!round) {
			struct syn f = syn4(PKT_IP4(10, 20, 0, 1));

			probe_run_on_cpu(h, &f);
		}
		if (race_round(h, PKT_IP4(10, 20, 0, 1) + (__u32)round, repeat, &d, &b))
			return;
		retries += d.cas_retry;
		exhausted += d.cas_exhausted;
		if (d.allowed != burst || b.admitted != burst || d.dropped != 2 * repeat - burst ||
		    d.new_source != 1) {
			bad++;
			tap_diag("  round %d: allowed %llu, bucket admitted %llu, dropped %llu, "
				 "new sources %llu",
				 round, (unsigned long long)d.allowed, (unsigned long long)b.admitted,
				 (unsigned long long)d.dropped, (unsigned long long)d.new_source);
		}
	}
	tap_is(bad, 0, "race: %d rounds of 2 x %u SYNs from one new source admit exactly %u",
	       rounds, repeat, burst);
	tap_is(exhausted, 0, "race: no SYN refused for losing its races (cas_exhausted)");
	tap_diag("race: %llu compare-and-swap retries", (unsigned long long)retries);
}

/*
 * Two CPUs together send exactly burst SYNs from one new source: every
 * one is within the burst, so every one must be admitted, and a lost
 * compare-and-swap must be retried, never taken for a refusal.
 */
static void test_race_whole_burst(struct tg_harness *h)
{
	const int rounds = 20;
	const __u32 repeat = 5000, burst = 2 * repeat;
	__u64 retries = 0;
	int round, bad = 0;

	if (!have_two_cpus("race for the whole burst"))
		return;
	if (tg_configure_ok(h, "1/hour", burst, 32, 128))
		return;
	tg_set_clock(h, T0 + 20 * DAY);

	for (round = 0; round < rounds; round++) {
		struct tg_counters d;
		struct tg_bucket b;

		if (race_round(h, PKT_IP4(10, 21, 0, 1) + (__u32)round, repeat, &d, &b))
			return;
		retries += d.cas_retry;
		if (d.allowed != burst || b.admitted != burst || d.dropped || d.cas_exhausted) {
			bad++;
			tap_diag("  round %d: allowed %llu, bucket admitted %llu, dropped %llu, "
				 "cas_exhausted %llu",
				 round, (unsigned long long)d.allowed, (unsigned long long)b.admitted,
				 (unsigned long long)d.dropped, (unsigned long long)d.cas_exhausted);
		}
	}
	tap_is(bad, 0, "race: %d rounds of 2 x %u SYNs, exactly the burst, admit all %u",
	       rounds, repeat, burst);
	tap_diag("race for the whole burst: %llu compare-and-swap retries",
		 (unsigned long long)retries);
}

int main(void)
{
	struct tg_harness h;
	int err;

	tg_require_bpf();
	err = tg_open(&h, 4096);
	if (!tap_ok(!err, "load the XDP program with the test clock")) {
		tap_diag("  %s", strerror(-err));
		return tap_done();
	}
	if (tap_ok(!tg_set_port(&h, 80, true), "limit port 80")) {
		test_race(&h);
		test_race_whole_burst(&h);
	}
	tg_close(&h);
	return tap_done();
}
