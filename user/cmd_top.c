// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_top.c - tidegate top: the sources with the most drops and the
 * highest current rate. The whole bucket table is read with batched
 * lookups (a few syscalls for a million sources), twice, a short window
 * apart (or --watch seconds apart): the rate is what the bucket was
 * offered in between, admitted and dropped SYNs together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "buckets.h"
#include "caps.h"
#include "cfgslots.h"
#include "commands.h"
#include "iface.h"
#include "interrupt.h"
#include "live.h"
#include "output.h"
#include "parse.h"
#include "rules.h"

#define TOP_DEFAULT_N   10
#define TOP_MAX_N       10000
/*
 * Without --watch the rates are taken between two reads back to back:
 * the walk visits sources in the same order each time, so each one's
 * window is the time between the starts of the two reads (some 0.3 s
 * with a million sources). A small table is read in a blink, so the
 * second read waits until at least TOP_MIN_WINDOW_NS after the first.
 */
#define TOP_MIN_WINDOW_NS (100 * 1000 * 1000ULL)

/* One read of the whole table, and when it was taken. */
struct sample {
	struct tg_bucket_read rd;
	__u64 time_ns;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * TG_NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static int sample_read(int fd, __u32 max_entries, struct sample *s)
{
	s->time_ns = mono_ns();
	return tg_buckets_read(fd, tg_buckets_limit(max_entries), TG_BUCKETS_BATCH, &s->rd);
}

/* Open-addressing index of a sample's keys, to find a source's earlier reading. */
struct index {
	__u32 *slot; /* sample position + 1; 0 = empty */
	size_t mask;
};

static __u64 key_hash(const struct tg_source *k)
{
	__u64 h = 1469598103934665603ULL;
	const __u8 *p = (const __u8 *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

static int index_build(struct index *ix, const struct sample *s)
{
	size_t size = 1, i;

	while (size < 2 * s->rd.n + 1)
		size <<= 1;
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot)
		return -ENOMEM;
	ix->mask = size - 1;
	for (i = 0; i < s->rd.n; i++) {
		size_t j = key_hash(&s->rd.keys[i]) & ix->mask;

		while (ix->slot[j])
			j = (j + 1) & ix->mask;
		ix->slot[j] = (__u32)i + 1;
	}
	return 0;
}

static const struct tg_bucket *index_find(const struct index *ix, const struct sample *s,
					  const struct tg_source *k)
{
	size_t j = key_hash(k) & ix->mask;

	for (; ix->slot[j]; j = (j + 1) & ix->mask)
		if (!memcmp(&s->rd.keys[ix->slot[j] - 1], k, sizeof(*k)))
			return &s->rd.vals[ix->slot[j] - 1];
	return NULL;
}

struct ranked {
	size_t pos;   /* in the current sample */
	double score;
	double rate;  /* SYNs offered per second */
	double drop_rate;
};

/* Keep the n best of what is offered, best first. */
struct board {
	struct ranked *v;
	size_t n, max;
};

static void board_offer(struct board *b, const struct ranked *r)
{
	size_t i;

	if (b->n == b->max && r->score <= b->v[b->n - 1].score)
		return;
	if (b->n < b->max)
		b->n++;
	for (i = b->n - 1; i > 0 && b->v[i - 1].score < r->score; i--)
		b->v[i] = b->v[i - 1];
	b->v[i] = *r;
}

struct context {
	struct tg_config cfg;
	struct tg_rule_entry *rules;
	int nrules;
};

static const struct tg_rule_entry *rule_by_id(const struct context *cx, __u32 id)
{
	int i;

	for (i = 0; id && i < cx->nrules; i++)
		if (cx->rules[i].rule.id == id)
			return &cx->rules[i];
	return NULL;
}

static struct json_object *entry_json(const struct context *cx, const struct sample *s,
				      const struct ranked *r)
{
	const struct tg_source *k = &s->rd.keys[r->pos];
	const struct tg_bucket *b = &s->rd.vals[r->pos];
	const struct tg_rule_entry *re = rule_by_id(cx, k->rule);
	struct json_object *o = json_object_new_object();
	bool v4 = tg_addr_is_v4(k->addr);
	unsigned int len = v4 ? cx->cfg.v4_prefix : cx->cfg.v6_prefix;
	char buf[96];

	if (re && (re->rule.flags & TG_RULE_F_SHARED))
		len = re->rule.prefixlen;
	tg_source_format(k->addr, len, buf, sizeof(buf));
	json_object_object_add(o, "source", json_object_new_string(buf));
	json_object_object_add(o, "rule", json_object_new_int64(k->rule));
	/* A port group with a limit of its own (0: none): its buckets are
	 * apart, so one source may be listed once per group. */
	json_object_object_add(o, "port_group", json_object_new_int(k->group));
	if (re) {
		struct tg_cidr c;

		tg_cidr_from_key(&re->key, &c);
		tg_cidr_format(&c, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s",
			 tg_rule_kind_name(re->rule.kind));
		json_object_object_add(o, "rule_is", json_object_new_string(buf));
	} else {
		json_object_object_add(o, "rule_is", json_object_new_string(
							     k->rule ? "deleted" : "default"));
	}
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)b->dropped));
	json_object_object_add(o, "admitted", json_object_new_int64((int64_t)b->admitted));
	json_object_object_add(o, "rate_per_s", tg_json_num(r->rate));
	json_object_object_add(o, "drop_rate_per_s", tg_json_num(r->drop_rate));
	return o;
}

/* Rank the current sample (rates against prev) and build the result. */
static int rank(const char *ifname, const struct context *cx, const struct sample *prev,
		const struct sample *cur, size_t nmax, struct json_object **out)
{
	struct board by_drops = { calloc(nmax, sizeof(struct ranked)), 0, nmax };
	struct board by_rate = { calloc(nmax, sizeof(struct ranked)), 0, nmax };
	double secs = (double)(cur->time_ns - prev->time_ns) / 1e9;
	struct json_object *o, *a;
	struct index ix = { 0 };
	size_t i;
	int err = 0;

	if (!by_drops.v || !by_rate.v) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cur->rd.n; i++) {
		const struct tg_bucket *b = &cur->rd.vals[i], *was = NULL;
		struct ranked r = { .pos = i };

		/* The batched walk goes bucket by bucket in the same order
		 * each time: most sources sit where they sat before. */
		if (i < prev->rd.n &&
		    !memcmp(&prev->rd.keys[i], &cur->rd.keys[i], sizeof(cur->rd.keys[i])))
			was = &prev->rd.vals[i];
		else if (prev->rd.n) {
			if (!ix.slot && (err = index_build(&ix, prev)))
				goto out;
			was = index_find(&ix, prev, &cur->rd.keys[i]);
		}
		if (was && secs > 0 && b->dropped >= was->dropped && b->admitted >= was->admitted) {
			r.drop_rate = (double)(b->dropped - was->dropped) / secs;
			r.rate = r.drop_rate + (double)(b->admitted - was->admitted) / secs;
		}
		if (b->dropped) {
			r.score = (double)b->dropped;
			board_offer(&by_drops, &r);
		}
		if (r.rate > 0) {
			r.score = r.rate;
			board_offer(&by_rate, &r);
		}
	}
	o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "tracked", json_object_new_int64((int64_t)cur->rd.n));
	json_object_object_add(o, "window_s", tg_json_num(secs));
	a = json_object_new_array();
	for (i = 0; i < by_drops.n; i++)
		json_object_array_add(a, entry_json(cx, cur, &by_drops.v[i]));
	json_object_object_add(o, "by_drops", a);
	a = json_object_new_array();
	for (i = 0; i < by_rate.n; i++)
		json_object_array_add(a, entry_json(cx, cur, &by_rate.v[i]));
	json_object_object_add(o, "by_rate", a);
	*out = o;
out:
	free(ix.slot);
	free(by_drops.v);
	free(by_rate.v);
	return err;
}

/* Text: two aligned tables, from the same object JSON mode prints. */
static void print_text_list(struct json_object *list, const char *title)
{
	size_t i, n = json_object_array_length(list);

	printf("%s\n", title);
	if (!n) {
		printf("  (none)\n");
		return;
	}
	printf("  %-40s %12s %12s %12s %12s  %s\n", "SOURCE", "DROPPED", "ADMITTED", "RATE/S",
	       "DROPS/S", "RULE");
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *v;

#define F(name) (json_object_object_get_ex(e, name, &v) ? json_object_get_string(v) : "-")
		printf("  %-40s %12s %12s %12s %12s  %s\n", F("source"), F("dropped"),
		       F("admitted"), F("rate_per_s"), F("drop_rate_per_s"), F("rule_is"));
#undef F
	}
}

static void print_top(struct json_object *o)
{
	struct json_object *v, *tracked = NULL, *window = NULL;

	if (tg_out_json()) {
		tg_out_print(o);
		return;
	}
	json_object_object_get_ex(o, "tracked", &tracked);
	json_object_object_get_ex(o, "window_s", &window);
	printf("%s sources tracked, rates over %s s\n", json_object_get_string(tracked),
	       json_object_get_string(window));
	json_object_object_get_ex(o, "by_drops", &v);
	print_text_list(v, "Most drops:");
	json_object_object_get_ex(o, "by_rate", &v);
	print_text_list(v, "Highest rate:");
	fflush(stdout);
	json_object_put(o);
}

int tg_cmd_top(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct sample a = { 0 }, b = { 0 }, *prev = &a, *cur = &b, *t;
	struct bpf_map_info info = { 0 };
	__u32 ilen = sizeof(info);
	struct context cx = { 0 };
	__u64 n = TOP_DEFAULT_N, watch = 0;
	struct json_object *o;
	struct timespec ts;
	struct tg_maps m;
	int ret, err;

	if (cl->set[OPT_ENTRIES] && tg_parse_u64(cl->val[OPT_ENTRIES], 1, TOP_MAX_N, &n))
		return tg_fail(TG_EXIT_USAGE, "-n '%s': expected a whole number from 1 to %d",
			       cl->val[OPT_ENTRIES], TOP_MAX_N);
	if (cl->set[OPT_WATCH] && tg_parse_u64(cl->val[OPT_WATCH], 1, 86400, &watch))
		return tg_fail(TG_EXIT_USAGE, "--watch '%s': expected whole seconds from 1 to 86400",
			       cl->val[OPT_WATCH]);
	if ((ret = tg_require_caps("top", TG_PRIV_MAPS)))
		return ret;
	if ((ret = tg_iface_open_maps(ifname, &m)))
		return ret;
	ret = TG_EXIT_FAIL;
	err = tg_config_read(m.config, m.config_gen, &cx.cfg);
	if (!err && bpf_obj_get_info_by_fd(m.buckets, &info, &ilen))
		err = -errno;
	if (err) {
		tg_fail(TG_EXIT_FAIL, "%s: reading the config: %s", ifname, strerror(-err));
		goto out;
	}
	cx.nrules = tg_rules_read(m.rules, &cx.rules);
	if (cx.nrules < 0) {
		tg_fail(TG_EXIT_FAIL, "%s: reading the rules: %s", ifname, strerror(-cx.nrules));
		goto out;
	}
	tg_interrupt_on_signals();
	err = sample_read(m.buckets, info.max_entries, prev);
	while (!err) {
		__u64 wait = watch ? watch * TG_NSEC_PER_SEC : TOP_MIN_WINDOW_NS;
		__u64 spent = mono_ns() - prev->time_ns;

		wait = wait > spent ? wait - spent : 0;
		ts.tv_sec = (time_t)(wait / TG_NSEC_PER_SEC);
		ts.tv_nsec = (long)(wait % TG_NSEC_PER_SEC);
		if (wait && nanosleep(&ts, NULL) && tg_interrupted)
			break;
		err = sample_read(m.buckets, info.max_entries, cur);
		if (err)
			break;
		err = rank(ifname, &cx, prev, cur, (size_t)n, &o);
		if (err)
			break;
		if (watch && !tg_out_json())
			printf("\n");
		print_top(o);
		if (!watch || tg_interrupted)
			break;
		t = prev;
		prev = cur;
		cur = t;
	}
	if (err)
		tg_fail(TG_EXIT_FAIL, "%s: reading the sources: %s", ifname, strerror(-err));
	else
		ret = TG_EXIT_OK;
out:
	free(cx.rules);
	tg_buckets_free(&a.rd);
	tg_buckets_free(&b.rd);
	tg_maps_close(&m);
	return ret;
}
