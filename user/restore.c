// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* restore.c - buckets back from Redis, checked, into an interface's table. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>

#include "clock.h"
#include "redis.h"
#include "restore.h"
#include "rkeys.h"

#define SCAN_COUNT        1000
#define RESTORE_VALUE_MAX 23 /* GETRANGE 0..23: a valid TAT has <= 19 digits */

/* A GETRANGE reply that stops the restore: an error other than the key's
 * own type (-LOADING, -MISCONF...) will answer every key the same. */
static bool reply_stops(const redisReply *v)
{
	return v->type == REDIS_REPLY_ERROR && strncmp(v->str, "WRONGTYPE", 9);
}

static void restore_key(const struct tg_sync_iface *si, const struct tg_restore_frame *f,
			const char *key, size_t keylen, const redisReply *val,
			struct tg_restore_counts *rc, const char *prefix)
{
	struct tg_source src;
	struct tg_bucket b = {};
	__u64 us;

	if (tg_key_parse(key, keylen, prefix, si->zone, si->v4_prefix, si->v6_prefix, &src)) {
		rc->rejected[TG_REJ_KEY]++;
		return;
	}
	if (val->type != REDIS_REPLY_STRING || !val->len) {
		/* Expired between SCAN and read: a full bucket, nothing to do. */
		if (val->type == REDIS_REPLY_STRING || val->type == REDIS_REPLY_NIL)
			rc->full++;
		else
			rc->rejected[TG_REJ_VALUE]++; /* WRONGTYPE: not a string */
		return;
	}
	if (tg_value_parse(val->str, val->len, &us)) {
		rc->rejected[TG_REJ_VALUE]++;
		return;
	}
	switch (tg_restore_decide(f, us, &b.tat_ns)) {
	case TG_RESTORE_REJECT_FUTURE:
		rc->rejected[TG_REJ_FUTURE]++;
		return;
	case TG_RESTORE_FULL:
		rc->full++;
		return;
	}
	/* NOEXIST: a bucket the program made since (late restore) wins. */
	if (!bpf_map_update_elem(si->buckets_fd, &src, &b, BPF_NOEXIST))
		rc->restored++;
}

/* The values of one SCAN page's keys, by GETRANGE: a hostile 512 MB value
 * costs us 24 bytes. */
static int restore_page(redisContext *c, const struct tg_mirror_cfg *cfg,
			const struct tg_sync_iface *si, const struct tg_restore_frame *f,
			const redisReply *keys, __u64 deadline_ns, struct tg_restore_counts *rc,
			char *why, size_t whylen)
{
	__u64 batch_deadline = tg_redis_deadline(cfg->timeout_ms, deadline_ns);
	size_t i;
	int err;

	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];

		if (k->type == REDIS_REPLY_STRING &&
		    tg_redis_append(c, "GETRANGE %b 0 %d", k->str, k->len, RESTORE_VALUE_MAX)) {
			snprintf(why, whylen, "GETRANGE: out of memory");
			return -ENOMEM;
		}
	}
	for (i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		redisReply *v;

		if (k->type != REDIS_REPLY_STRING) {
			rc->rejected[TG_REJ_KEY]++;
			continue;
		}
		err = tg_redis_reply(c, batch_deadline, &v);
		if (err) {
			snprintf(why, whylen, "GETRANGE: %s", tg_redis_why(c, NULL));
			return err;
		}
		if (reply_stops(v)) {
			snprintf(why, whylen, "GETRANGE: %s", v->str);
			freeReplyObject(v);
			return -EAGAIN;
		}
		restore_key(si, f, k->str, k->len, v, rc, cfg->prefix);
		freeReplyObject(v);
	}
	return 0;
}

int tg_restore_on(redisContext *c, const struct tg_mirror_cfg *cfg,
		  const struct tg_sync_iface *si, __u64 deadline_ns,
		  struct tg_restore_counts *rc, char *why, size_t whylen)
{
	struct tg_restore_frame f = { .interval_ns = si->interval_ns,
				      .tolerance_ns = si->tolerance_ns };
	char pattern[TG_KEY_MAX], cursor[32] = "0";
	int err;

	err = tg_redis_time(c, tg_redis_deadline(cfg->timeout_ms, deadline_ns), &f.redis_now_us,
			    &f.offset_ns, why, whylen);
	if (err)
		return err;
	tg_key_pattern(pattern, sizeof(pattern), cfg->prefix, si->zone);
	do {
		redisReply *r;

		if (tg_mono_ns() >= deadline_ns) {
			snprintf(why, whylen, "the restore ran out of time");
			return -ETIMEDOUT;
		}
		err = tg_redis_command(c, tg_redis_deadline(cfg->timeout_ms, deadline_ns), &r,
				       "SCAN %s MATCH %s COUNT %d", cursor, pattern, SCAN_COUNT);
		if (err) {
			snprintf(why, whylen, "SCAN: %s", tg_redis_why(c, NULL));
			return err;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(why, whylen, "SCAN: %s", r->str);
			freeReplyObject(r);
			return -EAGAIN;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(cursor) ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(why, whylen, "SCAN: a malformed reply");
			freeReplyObject(r);
			return -EPROTO;
		}
		memcpy(cursor, r->element[0]->str, r->element[0]->len);
		cursor[r->element[0]->len] = '\0';
		err = restore_page(c, cfg, si, &f, r->element[1], deadline_ns, rc, why, whylen);
		freeReplyObject(r);
		if (err)
			return err;
	} while (strcmp(cursor, "0"));
	return 0;
}

int tg_mirror_restore(const struct tg_mirror_cfg *cfg, const struct tg_sync_iface *si,
		      __u64 deadline_ms, struct tg_restore_counts *rc, char *why, size_t whylen)
{
	__u64 deadline_ns = tg_mono_ns() + deadline_ms * TG_NSEC_PER_MSEC;
	redisContext *c = tg_redis_open(&cfg->url, cfg->timeout_ms, deadline_ns, why, whylen);
	int err;

	if (!c)
		return -ECONNREFUSED;
	err = tg_restore_on(c, cfg, si, deadline_ns, rc, why, whylen);
	redisFree(c);
	return err;
}
