// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_store.c - the fleet's Redis: its Functions, pushes, heartbeats, denials. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "fleet_store.h"
#include "redis.h"

struct tg_fleet_store {
	redisContext *c;
	__u64 timeout_ms;
};

/*
 * The library. TATs are µs of this server's TIME; Lua numbers are
 * doubles, exact for integers below 2^53 (µs since the epoch are about
 * 2^51), and every stored number is formatted as an integer.
 */
static const char tgfleet_lua[] =
	"#!lua name=tgfleet\n"
	"local function now_us()\n"
	"  local t = redis.call('TIME')\n"
	"  return tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
	"end\n"
	/* KEYS: the sources of one shard; ARGV: I tau debt start delta... */
	"local function push(keys, args)\n"
	"  local now = now_us()\n"
	"  local iv, tau = tonumber(args[1]), tonumber(args[2])\n"
	"  local debt, start = tonumber(args[3]), tonumber(args[4])\n"
	"  if start <= 0 or start > now then start = now end\n"
	"  local out = { now }\n"
	"  for i = 1, #keys do\n"
	"    local tat = tonumber(redis.call('GET', keys[i]) or '0') or 0\n"
	"    local d = tonumber(args[i + 4]) or 0\n"
	"    if d > 0 then\n"
	"      if tat < start then tat = start end\n"
	"      tat = math.ceil(math.min(tat + d * iv, now + tau + debt))\n"
	"      if tat > now then\n"
	"        redis.call('SET', keys[i], string.format('%d', tat), 'PXAT',\n"
	"                   string.format('%d', math.ceil(tat / 1000)))\n"
	"      end\n"
	"    end\n"
	"    if tat <= now then tat = 0 end\n"
	"    out[#out + 1] = tat\n"
	"  end\n"
	"  return out\n"
	"end\n"
	/* KEYS: nodes (zset: node -> last beat ms), limits (hash: node ->
	 * its limits for one zone); ARGV: node sig stale_ms */
	"local function beat(keys, args)\n"
	"  local now = math.floor(now_us() / 1000)\n"
	"  local stale = tonumber(args[3])\n"
	"  redis.call('ZADD', keys[1], now, args[1])\n"
	"  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now - stale)\n"
	"  redis.call('PEXPIRE', keys[1], stale * 10)\n"
	"  redis.call('HSET', keys[2], args[1], args[2])\n"
	"  redis.call('PEXPIRE', keys[2], stale * 10)\n"
	"  local other, osig = '', ''\n"
	"  local all = redis.call('HGETALL', keys[2])\n"
	"  for i = 1, #all, 2 do\n"
	"    if not redis.call('ZSCORE', keys[1], all[i]) then\n"
	"      redis.call('HDEL', keys[2], all[i])\n"
	"    elseif all[i + 1] ~= args[2] and other == '' then\n"
	"      other, osig = all[i], all[i + 1]\n"
	"    end\n"
	"  end\n"
	"  return { redis.call('ZCARD', keys[1]), other, osig }\n"
	"end\n"
	"redis.register_function('tgf_push', push)\n"
	"redis.register_function('tgf_beat', beat)\n";

static int fail(struct tg_fleet_store *st, redisReply *r, int err, const char *what, char *why,
		size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what, tg_redis_why(st->c, r));
	freeReplyObject(r);
	return err ? err : -EPROTO;
}

int tg_fleet_store_open(struct tg_fleet_store **stp, const struct tg_redis_url *url,
			__u64 timeout_ms, char *why, size_t whylen)
{
	struct tg_fleet_store *st = calloc(1, sizeof(*st));
	redisReply *r = NULL;
	int err;

	*stp = NULL;
	if (!st) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	st->timeout_ms = timeout_ms;
	st->c = tg_redis_open(url, timeout_ms, 0, why, whylen);
	if (!st->c) {
		free(st);
		return -ECONNREFUSED;
	}
	/* REPLACE: every member loads the same text, the newest binary's. */
	err = tg_redis_command(st->c, tg_redis_deadline(timeout_ms, 0), &r,
			       "FUNCTION LOAD REPLACE %s", tgfleet_lua);
	if (err || !r || r->type == REDIS_REPLY_ERROR) {
		err = fail(st, r, err, "FUNCTION LOAD (Redis 7 or later is needed)", why, whylen);
		tg_fleet_store_close(st);
		return err;
	}
	freeReplyObject(r);
	*stp = st;
	return 0;
}

void tg_fleet_store_close(struct tg_fleet_store *st)
{
	if (!st)
		return;
	if (st->c)
		redisFree(st->c);
	free(st);
}

int tg_fleet_store_time(struct tg_fleet_store *st, __u64 *now_us, __s64 *offset_ns, char *why,
			size_t whylen)
{
	return tg_redis_time(st->c, tg_redis_deadline(st->timeout_ms, 0), now_us, offset_ns, why,
			     whylen);
}

/* An integer element of a reply. */
static bool reply_int(const redisReply *r, long long *v)
{
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return false;
	*v = r->integer;
	return true;
}

/* Append one FCALL tgf_push for items[0..k). */
static int append_push(redisContext *c, const struct tg_fleet_charge *ch,
		       const struct tg_fleet_item *items, size_t k)
{
	char nums[4 + TG_FLEET_BATCH][32], nkeys[8];
	const char *argv[3 + 2 * TG_FLEET_BATCH + 4];
	size_t len[3 + 2 * TG_FLEET_BATCH + 4], i, a = 0;

	snprintf(nkeys, sizeof(nkeys), "%zu", k);
	argv[a++] = "FCALL";
	argv[a++] = "tgf_push";
	argv[a++] = nkeys;
	for (i = 0; i < k; i++)
		argv[a++] = items[i].key;
	snprintf(nums[0], sizeof(nums[0]), "%.3f", ch->interval_us);
	snprintf(nums[1], sizeof(nums[1]), "%.3f", ch->tolerance_us);
	snprintf(nums[2], sizeof(nums[2]), "%llu", (unsigned long long)ch->debt_us);
	snprintf(nums[3], sizeof(nums[3]), "%llu", (unsigned long long)ch->start_us);
	for (i = 0; i < 4; i++)
		argv[a++] = nums[i];
	for (i = 0; i < k; i++) {
		snprintf(nums[4 + i], sizeof(nums[4 + i]), "%llu",
			 (unsigned long long)items[i].delta);
		argv[a++] = nums[4 + i];
	}
	for (i = 0; i < a; i++)
		len[i] = strlen(argv[i]);
	return redisAppendCommandArgv(c, (int)a, argv, len) == REDIS_OK ? 0 : -ENOMEM;
}

int tg_fleet_store_push(struct tg_fleet_store *st, const struct tg_fleet_charge *ch,
			struct tg_fleet_item *items, size_t n, char *why, size_t whylen)
{
	__u64 deadline = tg_redis_deadline(st->timeout_ms, 0);
	size_t i, j, calls = 0;
	size_t starts[64 + 1];
	size_t done = 0;

	/* In rounds of at most 64 calls: the replies of one round are read
	 * before the next is written, so neither buffer grows unbounded. */
	while (done < n) {
		calls = 0;
		i = done;
		while (i < n && calls < 64) {
			size_t k = 1;

			while (i + k < n && k < TG_FLEET_BATCH && items[i + k].shard == items[i].shard)
				k++;
			if (append_push(st->c, ch, items + i, k)) {
				snprintf(why, whylen, "out of memory");
				return -ENOMEM;
			}
			starts[calls++] = i;
			i += k;
		}
		starts[calls] = i;
		for (j = 0; j < calls; j++) {
			size_t k = starts[j + 1] - starts[j], e;
			redisReply *r;
			int err = tg_redis_reply(st->c, deadline, &r);

			if (err)
				return fail(st, NULL, err, "FCALL tgf_push", why, whylen);
			if (r->type != REDIS_REPLY_ARRAY || r->elements != k + 1)
				return fail(st, r, -EPROTO, "FCALL tgf_push", why, whylen);
			for (e = 0; e < k; e++) {
				long long v;

				if (!reply_int(r->element[e + 1], &v) || v < 0)
					return fail(st, r, -EPROTO, "FCALL tgf_push: a TAT", why,
						    whylen);
				items[starts[j] + e].tat_us = (__u64)v;
				items[starts[j] + e].acked = true;
			}
			freeReplyObject(r);
		}
		done = i;
	}
	return 0;
}

int tg_fleet_store_beat(struct tg_fleet_store *st, const char *nodes_key, const char *limits_key,
			const char *node, const char *sig, __u64 stale_ms,
			struct tg_fleet_beat *out, char *why, size_t whylen)
{
	redisReply *r;
	long long v;
	int err = tg_redis_command(st->c, tg_redis_deadline(st->timeout_ms, 0), &r,
				   "FCALL tgf_beat 2 %s %s %s %s %llu", nodes_key, limits_key, node,
				   sig, (unsigned long long)stale_ms);

	if (err)
		return fail(st, NULL, err, "FCALL tgf_beat", why, whylen);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !reply_int(r->element[0], &v) ||
	    v < 0 || r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return fail(st, r, -EPROTO, "FCALL tgf_beat", why, whylen);
	out->members = (__u64)v;
	snprintf(out->other_node, sizeof(out->other_node), "%.*s", (int)r->element[1]->len,
		 r->element[1]->str);
	snprintf(out->other_sig, sizeof(out->other_sig), "%.*s", (int)r->element[2]->len,
		 r->element[2]->str);
	freeReplyObject(r);
	return 0;
}

/* Stream entries are trimmed to about this many: a member away longer
 * than it takes the fleet to deny as many sources learns the older
 * denials from its own pushes instead. */
#define STREAM_MAXLEN 100000

int tg_fleet_store_announce(struct tg_fleet_store *st, const char *stream,
			    const struct tg_fleet_item *const *items, size_t n, __u64 at_us,
			    char *why, size_t whylen)
{
	__u64 deadline = tg_redis_deadline(st->timeout_ms, 0);
	size_t i;

	for (i = 0; i < n; i++)
		if (tg_redis_append(st->c, "XADD %s MAXLEN ~ %d * k %s t %llu n %llu", stream,
				    STREAM_MAXLEN, items[i]->key,
				    (unsigned long long)items[i]->tat_us,
				    (unsigned long long)at_us)) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
	for (i = 0; i < n; i++) {
		redisReply *r;
		int err = tg_redis_reply(st->c, deadline, &r);

		if (err || r->type != REDIS_REPLY_STRING)
			return fail(st, err ? NULL : r, err, "XADD", why, whylen);
		freeReplyObject(r);
	}
	return 0;
}

long tg_fleet_store_denials(struct tg_fleet_store *st, const char *stream, char *last_id,
			    size_t idlen, size_t max, tg_fleet_denial_fn fn, void *arg, char *why,
			    size_t whylen)
{
	const redisReply *entries;
	redisReply *r;
	size_t i;
	int err = tg_redis_command(st->c, tg_redis_deadline(st->timeout_ms, 0), &r,
				   "XREAD COUNT %llu STREAMS %s %s", (unsigned long long)max, stream,
				   last_id);

	if (err)
		return fail(st, NULL, err, "XREAD", why, whylen);
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	/* [[stream, [[id, [field, value, ...]], ...]]] */
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return fail(st, r, -EPROTO, "XREAD", why, whylen);
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements; i++) {
		const redisReply *e = entries->element[i], *f;
		const char *key = NULL;
		size_t klen = 0, j;
		__u64 tat = 0, at = 0;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			return fail(st, r, -EPROTO, "XREAD: an entry", why, whylen);
		snprintf(last_id, idlen, "%.*s", (int)e->element[0]->len, e->element[0]->str);
		f = e->element[1];
		for (j = 0; j + 1 < f->elements; j += 2) {
			const redisReply *name = f->element[j], *val = f->element[j + 1];

			if (name->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING)
				continue;
			if (name->len == 1 && name->str[0] == 'k') {
				key = val->str;
				klen = val->len;
			} else if (name->len == 1 && name->str[0] == 't' &&
				   tg_value_parse(val->str, val->len, &tat)) {
				tat = 0;
			} else if (name->len == 1 && name->str[0] == 'n' &&
				   tg_value_parse(val->str, val->len, &at)) {
				at = 0;
			}
		}
		/* Not ours or malformed: skipped, the stream goes on. */
		if (key && tat)
			fn(arg, key, klen, tat, at);
	}
	i = entries->elements;
	freeReplyObject(r);
	return (long)i;
}
