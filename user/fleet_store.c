// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet_store.c - the fleet's Redis: its Functions, pushes, heartbeats, denials. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "fleet_store.h"
#include "keyslot.h"
#include "log.h"
#include "rcluster.h"
#include "redis.h"
#include "shard.h"

/* One of the two is set: a standalone server's connection, or the
 * cluster client that routes each command by its key's slot. Every
 * exchange below goes through run(), which speaks to either. */
struct tg_fleet_store {
	redisContext *c;
	struct tg_rcluster *rc;
	__u64 timeout_ms;
	unsigned int degraded; /* shards the last push could not reach */
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
	/* keys[1..n]: sources of one shard; args: I tau debt start, and the
	 * deltas from args[base + 1]; apply false: read the TATs only. */
	"local function charge(keys, n, args, base, apply)\n"
	"  local now = now_us()\n"
	"  local iv, tau = tonumber(args[1]), tonumber(args[2])\n"
	"  local debt, start = tonumber(args[3]), tonumber(args[4])\n"
	"  if start <= 0 or start > now then start = now end\n"
	"  local out = { now }\n"
	"  for i = 1, n do\n"
	"    local tat = tonumber(redis.call('GET', keys[i]) or '0') or 0\n"
	"    local d = tonumber(args[i + base]) or 0\n"
	"    if apply and d > 0 then\n"
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
	/* KEYS: the sources of one shard; ARGV: I tau debt start delta... */
	"local function push(keys, args)\n"
	"  return charge(keys, #keys, args, 4, true)\n"
	"end\n"
	/* The same, once: KEYS end with this node's calls in the shard (a
	 * zset of call ids), where an applied call is recorded; sent again
	 * after a lost reply it reads the TATs, charging nothing. One key
	 * that lives while the node pushes, not one a call: a slot being
	 * migrated serves a multi-key call once all its keys have moved,
	 * and memory stays a few calls per node and shard. The ids below
	 * floor (none of them can come again) are forgotten, after the add:
	 * never emptied, the key is not created again, which a slot being
	 * migrated away refuses a script. ARGV: I tau
	 * debt start ttl_ms id floor delta...; the reply ends with 1 if
	 * applied now, 0 if before. */
	"local function push_once(keys, args)\n"
	"  local calls = keys[#keys]\n"
	"  local first = redis.call('ZADD', calls, 'NX', args[6], args[6]) == 1\n"
	"  redis.call('ZREMRANGEBYSCORE', calls, '-inf', '(' .. args[7])\n"
	"  redis.call('PEXPIRE', calls, args[5])\n"
	"  local out = charge(keys, #keys - 1, args, 7, first)\n"
	"  out[#out + 1] = first and 1 or 0\n"
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
	"redis.register_function('tgf_push_once', push_once)\n"
	"redis.register_function('tgf_beat', beat)\n";

/* Commands of one standalone round: its replies are read before the
 * next is written, so neither buffer grows unbounded. */
#define ROUND 64

/*
 * Send n commands and fill in each one's status and reply (struct
 * tg_rc_cmd's rules) by deadline. Standalone: pipelined on the one
 * connection; a broken exchange fails the rest, and -errno is returned
 * (the connection is then unusable). Cluster: routed by key, a master's
 * failure confined to its commands; 0 unless out of memory.
 */
static int run_standalone(struct tg_fleet_store *st, struct tg_rc_cmd *cmds, size_t n,
			  __u64 deadline)
{
	size_t done = 0, i;

	for (i = 0; i < n; i++) {
		cmds[i].status = -ENOTCONN;
		cmds[i].reply = NULL;
		cmds[i].master = -1;
	}
	while (done < n) {
		size_t end = n - done < ROUND ? n : done + ROUND;

		for (i = done; i < end; i++)
			if (redisAppendCommandArgv(st->c, cmds[i].argc, cmds[i].argv,
						   cmds[i].argvlen) != REDIS_OK)
				return -ENOMEM;
		for (i = done; i < end; i++) {
			int err = tg_redis_reply(st->c, deadline, &cmds[i].reply);

			cmds[i].status = err;
			if (err) {
				cmds[i].reply = NULL;
				return err;
			}
		}
		done = end;
	}
	return 0;
}

static const char tgfleet_load_cmd[] = "FUNCTION";

/* FUNCTION LOAD REPLACE on the one server, or on every master. */
static int load_functions(struct tg_fleet_store *st, char *why, size_t whylen)
{
	const char *argv[] = { tgfleet_load_cmd, "LOAD", "REPLACE", tgfleet_lua };
	size_t len[] = { sizeof(tgfleet_load_cmd) - 1, 4, 7, sizeof(tgfleet_lua) - 1 };
	__u64 deadline = tg_redis_deadline(st->timeout_ms, 0);
	struct tg_rc_cmd cmd = { .argc = 4, .argv = argv, .argvlen = len };
	int err;

	if (st->rc)
		return tg_rc_each_master(st->rc, 4, argv, len, deadline, why, whylen);
	err = run_standalone(st, &cmd, 1, deadline);
	if (!err && cmd.reply->type == REDIS_REPLY_ERROR)
		err = -EREMOTEIO;
	if (err)
		snprintf(why, whylen, "%s", tg_redis_why(st->c, cmd.reply));
	freeReplyObject(cmd.reply);
	return err;
}

/* A master that took over a shard (a failover, a reshard) may not have
 * the library yet: its FCALLs say so. */
static bool no_function(const struct tg_rc_cmd *cmd)
{
	return !cmd->status && cmd->reply && cmd->reply->type == REDIS_REPLY_ERROR &&
	       strstr(cmd->reply->str, "Function not found");
}

static int run(struct tg_fleet_store *st, struct tg_rc_cmd *cmds, size_t n, __u64 deadline)
{
	struct tg_rc_cmd *again;
	size_t i, k = 0;
	char why[256];
	int err;

	if (!st->rc)
		return run_standalone(st, cmds, n, deadline);
	err = tg_rc_batch(st->rc, cmds, n, deadline);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++)
		k += no_function(&cmds[i]);
	if (!k)
		return 0;
	/* Load it everywhere and send those commands again, once, in one
	 * batch. A master that is away fails its own load; the others still
	 * get theirs. */
	if (load_functions(st, why, sizeof(why)))
		tg_debug("fleet: loading the library again: %s", why);
	again = calloc(k, sizeof(*again));
	if (!again)
		return -ENOMEM;
	for (i = k = 0; i < n; i++)
		if (no_function(&cmds[i]))
			again[k++] = cmds[i];
	err = tg_rc_batch(st->rc, again, k, deadline);
	for (i = k = 0; i < n; i++) {
		if (!no_function(&cmds[i]))
			continue;
		freeReplyObject(cmds[i].reply);
		cmds[i] = again[k];
		if (err < 0) { /* out of memory: failed, not answered */
			cmds[i].status = err;
			cmds[i].reply = NULL;
		}
		k++;
	}
	free(again);
	return err < 0 ? err : 0;
}

/* Why a command failed, for the log. */
static void cmd_why(const struct tg_fleet_store *st, const struct tg_rc_cmd *cmd, const char *what,
		    char *why, size_t whylen)
{
	if (cmd->reply && cmd->reply->type == REDIS_REPLY_ERROR) /* TRYAGAIN too */
		snprintf(why, whylen, "%s: %s", what, cmd->reply->str);
	else if (!cmd->status)
		snprintf(why, whylen, "%s: an unexpected reply", what);
	else if (st->c)
		snprintf(why, whylen, "%s: %s", what, tg_redis_why(st->c, NULL));
	else
		snprintf(why, whylen, "%s: %s", what, strerror(-cmd->status));
}

/* One command routed by key; its reply in *r (freed by the caller). */
static int run1(struct tg_fleet_store *st, const char *key, int argc, const char **argv,
		const char *what, redisReply **r, char *why, size_t whylen)
{
	struct tg_rc_cmd cmd = { .argc = argc, .argv = argv, .key = key, .keylen = strlen(key) };
	int err = run(st, &cmd, 1, tg_redis_deadline(st->timeout_ms, 0));

	*r = NULL;
	if (!err)
		err = cmd.status;
	if (err || !cmd.reply) {
		cmd_why(st, &cmd, what, why, whylen);
		freeReplyObject(cmd.reply);
		return err ? err : -EPROTO;
	}
	*r = cmd.reply;
	return 0;
}

static int bad_reply(redisReply *r, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s", what,
		 r && r->type == REDIS_REPLY_ERROR ? r->str : "a malformed reply");
	freeReplyObject(r);
	return -EPROTO;
}

int tg_fleet_store_open(struct tg_fleet_store **stp, const struct tg_redis_url *url,
			__u64 timeout_ms, char *why, size_t whylen)
{
	struct tg_fleet_store *st = calloc(1, sizeof(*st));
	char lwhy[256];
	int err;

	*stp = NULL;
	if (!st) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	st->timeout_ms = timeout_ms;
	if (url->cluster) {
		err = tg_rc_open(url, timeout_ms, &st->rc, why, whylen);
		if (err) {
			free(st);
			return err;
		}
	} else {
		st->c = tg_redis_open(url, timeout_ms, 0, why, whylen);
		if (!st->c) {
			free(st);
			return -ECONNREFUSED;
		}
	}
	/* REPLACE: every member loads the same text, the newest binary's.
	 * In a cluster, a master that is away now gets it when a command
	 * routed to it says the function is missing (run()); one that
	 * refuses it (an error reply: not Redis 7) fails the open. */
	err = load_functions(st, lwhy, sizeof(lwhy));
	if (err == -EREMOTEIO || (err && !st->rc)) {
		snprintf(why, whylen, "FUNCTION LOAD (Redis 7 or later is needed): %s", lwhy);
		tg_fleet_store_close(st);
		return err;
	}
	if (err)
		tg_warn("fleet: loading the library on every master: %s; that master's shards "
			"wait for it", lwhy);
	*stp = st;
	return 0;
}

void tg_fleet_store_close(struct tg_fleet_store *st)
{
	if (!st)
		return;
	if (st->c)
		redisFree(st->c);
	tg_rc_close(st->rc);
	free(st);
}

static int reply_u64(const redisReply *r, __u64 *v)
{
	char *end;

	if (!r || r->type != REDIS_REPLY_STRING || !r->len)
		return -EPROTO;
	errno = 0;
	*v = strtoull(r->str, &end, 10);
	return errno || *end ? -EPROTO : 0;
}

int tg_fleet_store_time(struct tg_fleet_store *st, const char *route, __u64 *now_us,
			__s64 *offset_ns, char *why, size_t whylen)
{
	const char *argv[] = { "TIME" };
	__u64 t0 = tg_mono_ns(), t1, sec, usec;
	redisReply *r;
	int err = run1(st, route, 1, argv, "TIME", &r, why, whylen);

	t1 = tg_mono_ns();
	if (err)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || reply_u64(r->element[0], &sec) ||
	    reply_u64(r->element[1], &usec) || usec >= 1000000 || sec > 100000000000ULL)
		return bad_reply(r, "TIME", why, whylen);
	freeReplyObject(r);
	*now_us = sec * 1000000ULL + usec;
	*offset_ns = tg_clock_offset(t0, t1, *now_us);
	return 0;
}

/* An integer element of a reply. */
static bool reply_int(const redisReply *r, long long *v)
{
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return false;
	*v = r->integer;
	return true;
}

/* FCALL tgf_push_once numkeys, the calls key, I tau debt start ttl_ms id floor */
#define PUSH_FIXED 11
#define PUSH_NUMS 8

/* The numbers and the calls key of one push call. */
struct push_args {
	char num[PUSH_NUMS][32]; /* numkeys, I, tau, debt, start, ttl_ms, id, floor */
	char key[TG_KEY_MAX];
};

/* The FCALL tgf_push_once for items[0..k) (one shard, one call id),
 * argv filled from a, its deltas in nums (one per item), forgetting the
 * shard's calls below floor. */
static void make_push(struct tg_rc_cmd *cmd, const char **argv, char (*nums)[24],
		      struct push_args *pa, const struct tg_fleet_charge *ch,
		      const struct tg_fleet_item *items, size_t k, __u64 floor)
{
	__u64 id = items[0].call;
	size_t i, a = 0;

	snprintf(pa->num[0], sizeof(pa->num[0]), "%zu", k + 1);
	snprintf(pa->num[1], sizeof(pa->num[1]), "%.3f", ch->interval_us);
	snprintf(pa->num[2], sizeof(pa->num[2]), "%.3f", ch->tolerance_us);
	snprintf(pa->num[3], sizeof(pa->num[3]), "%llu", (unsigned long long)ch->debt_us);
	snprintf(pa->num[4], sizeof(pa->num[4]), "%llu", (unsigned long long)ch->start_us);
	snprintf(pa->num[5], sizeof(pa->num[5]), "%llu", TG_FLEET_CALL_TTL_MS);
	snprintf(pa->num[6], sizeof(pa->num[6]), "%llu", (unsigned long long)id);
	snprintf(pa->num[7], sizeof(pa->num[7]), "%llu", (unsigned long long)floor);
	snprintf(pa->key, sizeof(pa->key), "%s:" TG_SHARD_TAG ":calls:%s", ch->call_prefix,
		 items[0].shard, ch->node);
	argv[a++] = "FCALL";
	argv[a++] = "tgf_push_once";
	argv[a++] = pa->num[0];
	for (i = 0; i < k; i++)
		argv[a++] = items[i].key;
	argv[a++] = pa->key;
	for (i = 1; i < PUSH_NUMS; i++)
		argv[a++] = pa->num[i];
	for (i = 0; i < k; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%llu", (unsigned long long)items[i].delta);
		argv[a++] = nums[i];
	}
	*cmd = (struct tg_rc_cmd){ .argc = (int)a, .argv = argv, .key = items[0].key,
				   .keylen = strlen(items[0].key) };
}

/* Take one push reply: its TATs into items[0..k), and whether Redis
 * had applied the call before (a resend after a lost reply). */
static bool take_push(const struct tg_rc_cmd *cmd, struct tg_fleet_item *items, size_t k)
{
	const redisReply *r = cmd->reply;
	long long v, now, fresh;
	size_t e;

	if (cmd->status || !r || r->type != REDIS_REPLY_ARRAY || r->elements != k + 2 ||
	    !reply_int(r->element[0], &now) || now <= 0 ||
	    !reply_int(r->element[k + 1], &fresh) || (fresh != 0 && fresh != 1))
		return false;
	for (e = 0; e < k; e++)
		if (!reply_int(r->element[e + 1], &v) || v < 0)
			return false;
	for (e = 0; e < k; e++) {
		reply_int(r->element[e + 1], &v);
		items[e].tat_us = (__u64)v;
		items[e].now_us = (__u64)now;
		items[e].acked = true;
		items[e].applied_before = !fresh;
	}
	return true;
}

int tg_fleet_store_push(struct tg_fleet_store *st, const struct tg_fleet_charge *ch,
			struct tg_fleet_item *items, size_t n, char *why, size_t whylen)
{
	__u64 deadline = tg_redis_deadline(st->timeout_ms, 0);
	size_t i, calls = 0, failed = 0, *starts = NULL;
	struct tg_rc_cmd *cmds = NULL;
	struct push_args *pa = NULL;
	char (*nums)[24] = NULL;
	const char **argv = NULL;
	unsigned int last_bad = ~0U;
	__u64 *floor = NULL;
	int err = -ENOMEM;

	st->degraded = 0;
	if (!n)
		return 0;
	floor = calloc(TG_REDIS_SHARDS, sizeof(*floor));
	starts = calloc(n + 1, sizeof(*starts));
	cmds = calloc(n, sizeof(*cmds));
	nums = calloc(n, sizeof(*nums));
	pa = calloc(n, sizeof(*pa));
	argv = calloc(PUSH_FIXED * n + 2 * n, sizeof(*argv));
	if (!floor || !starts || !cmds || !nums || !pa || !argv) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	/* One call per run of one shard's items, at most TG_FLEET_BATCH; a
	 * call resent keeps its id, and so its items, as first sent. */
	for (i = 0; i < n; calls++) {
		size_t k = 1, e;

		while (i + k < n && k < TG_FLEET_BATCH && items[i + k].shard == items[i].shard &&
		       items[i + k].call == items[i].call)
			k++;
		if (!items[i].call) {
			__u64 id = ++*ch->next_call;

			for (e = i; e < i + k; e++)
				items[e].call = id;
		}
		starts[calls] = i;
		i += k;
	}
	starts[calls] = n;
	/* Each shard's floor: below every call of this push to it too, as
	 * they run in any order and any may be lost. */
	for (i = 0; i < TG_REDIS_SHARDS; i++)
		floor[i] = ch->floor ? ch->floor[i] : 0;
	for (i = 0; i < calls; i++) {
		__u64 *f = &floor[items[starts[i]].shard % TG_REDIS_SHARDS];

		if (!*f || items[starts[i]].call < *f)
			*f = items[starts[i]].call;
	}
	for (i = 0; i < calls; i++)
		make_push(&cmds[i], argv + PUSH_FIXED * i + 2 * starts[i], nums + starts[i], &pa[i],
			  ch, items + starts[i], starts[i + 1] - starts[i],
			  floor[items[starts[i]].shard % TG_REDIS_SHARDS]);
	err = run(st, cmds, calls, deadline);
	if (err && st->c) {
		cmd_why(st, &(struct tg_rc_cmd){ .status = err }, "FCALL tgf_push_once", why, whylen);
		goto out;
	}
	err = 0;
	for (i = 0; i < calls; i++) {
		const struct tg_fleet_item *first = &items[starts[i]];

		if (take_push(&cmds[i], items + starts[i], starts[i + 1] - starts[i]))
			continue;
		if (!failed++)
			cmd_why(st, &cmds[i], "FCALL tgf_push_once", why, whylen);
		if (first->shard != last_bad)
			st->degraded++;
		last_bad = first->shard;
	}
	/* A standalone server answers all or breaks. A cluster's masters
	 * fail alone: the store is down only when the master of the fleet's
	 * own keys is (the clock, the heartbeat, the denials say so). */
	if (failed && !st->rc)
		err = -EIO;
out:
	if (cmds)
		tg_rc_cmds_free(cmds, calls);
	free(floor);
	free(starts);
	free(cmds);
	free(nums);
	free(pa);
	free(argv);
	return err;
}

unsigned int tg_fleet_store_degraded(const struct tg_fleet_store *st)
{
	return st->degraded;
}

void tg_fleet_store_shards_away(const struct tg_fleet_store *st, __u64 *bits)
{
	static unsigned short slot_of[TG_REDIS_SHARDS]; /* a shard's tag's slot */
	static bool known;
	unsigned int s;

	if (!st->rc)
		return;
	if (!known) {
		for (s = 0; s < TG_REDIS_SHARDS; s++) {
			char tag[16];
			int len = snprintf(tag, sizeof(tag), TG_SHARD_TAG, s);

			slot_of[s] = (unsigned short)tg_rc_keyslot(tag, (size_t)len);
		}
		known = true;
	}
	for (s = 0; s < TG_REDIS_SHARDS; s++)
		if (!tg_rc_slot_up(st->rc, slot_of[s]))
			tg_shard_set(bits, s);
}

size_t tg_fleet_store_masters(const struct tg_fleet_store *st, struct tg_rc_master *out,
			      size_t max)
{
	return st->rc ? tg_rc_masters(st->rc, out, max) : 0;
}

int tg_fleet_store_beat(struct tg_fleet_store *st, const char *nodes_key, const char *limits_key,
			const char *node, const char *sig, __u64 stale_ms,
			struct tg_fleet_beat *out, char *why, size_t whylen)
{
	char stale[24];
	const char *argv[] = { "FCALL", "tgf_beat", "2", nodes_key, limits_key, node, sig, stale };
	redisReply *r;
	long long v;
	int err;

	snprintf(stale, sizeof(stale), "%llu", (unsigned long long)stale_ms);
	err = run1(st, nodes_key, 8, argv, "FCALL tgf_beat", &r, why, whylen);
	if (err)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !reply_int(r->element[0], &v) ||
	    v < 0 || r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return bad_reply(r, "FCALL tgf_beat", why, whylen);
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
#define STREAM_MAXLEN "100000"
#define XADD_ARGS 12

int tg_fleet_store_announce(struct tg_fleet_store *st, const char *stream,
			    const struct tg_fleet_item *const *items, size_t n, char *why,
			    size_t whylen)
{
	struct tg_rc_cmd *cmds = calloc(n ? n : 1, sizeof(*cmds));
	const char **argv = calloc(XADD_ARGS * (n ? n : 1), sizeof(*argv));
	char (*nums)[24] = calloc(2 * (n ? n : 1), sizeof(*nums));
	size_t i;
	int err = -ENOMEM;

	if (!cmds || !argv || !nums) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char **a = argv + XADD_ARGS * i;

		snprintf(nums[2 * i], sizeof(nums[0]), "%llu",
			 (unsigned long long)items[i]->tat_us);
		snprintf(nums[2 * i + 1], sizeof(nums[0]), "%llu",
			 (unsigned long long)items[i]->now_us);
		a[0] = "XADD", a[1] = stream, a[2] = "MAXLEN", a[3] = "~", a[4] = STREAM_MAXLEN;
		a[5] = "*", a[6] = "k", a[7] = items[i]->key, a[8] = "t", a[9] = nums[2 * i];
		a[10] = "n", a[11] = nums[2 * i + 1];
		cmds[i] = (struct tg_rc_cmd){ .argc = XADD_ARGS, .argv = a, .key = stream,
					      .keylen = strlen(stream) };
	}
	err = run(st, cmds, n, tg_redis_deadline(st->timeout_ms, 0));
	for (i = 0; i < n; i++)
		if (err || cmds[i].status || !cmds[i].reply ||
		    cmds[i].reply->type != REDIS_REPLY_STRING) {
			cmd_why(st, &cmds[i], "XADD", why, whylen);
			err = err ? err : (cmds[i].status ? cmds[i].status : -EPROTO);
			break;
		}
	tg_rc_cmds_free(cmds, n);
out:
	free(cmds);
	free(argv);
	free(nums);
	return err;
}

long tg_fleet_store_denials(struct tg_fleet_store *st, const char *stream, char *last_id,
			    size_t idlen, size_t max, tg_fleet_denial_fn fn, void *arg, char *why,
			    size_t whylen)
{
	const redisReply *entries;
	redisReply *r;
	char count[24];
	const char *argv[] = { "XREAD", "COUNT", count, "STREAMS", stream, last_id };
	size_t i;
	int err;

	snprintf(count, sizeof(count), "%llu", (unsigned long long)max);
	err = run1(st, stream, 6, argv, "XREAD", &r, why, whylen);
	if (err)
		return err;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	/* [[stream, [[id, [field, value, ...]], ...]]] */
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
		return bad_reply(r, "XREAD", why, whylen);
	entries = r->element[0]->element[1];
	for (i = 0; i < entries->elements; i++) {
		const redisReply *e = entries->element[i], *f;
		const char *key = NULL;
		size_t klen = 0, j;
		__u64 tat = 0, at = 0;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			return bad_reply(r, "XREAD: an entry", why, whylen);
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
