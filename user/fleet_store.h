/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet_store.h - the fleet's shared store: per-shard batches of
 * admitted-SYN deltas in, the fleet's TAT of each source out; the
 * heartbeat that counts the members and compares their limits; the
 * stream that tells every member of a new denial.
 *
 * A standalone Redis behind one deadline-bounded connection (redis.h), or
 * a Redis Cluster (redis+cluster://, rcluster.h), the same to a caller.
 * Every batch holds the keys of one shard tag ({s:NNNN}) and the other
 * keys share the fleet's tag ({NAME}), so each command is single-slot and
 * goes to the one master that owns it. In a cluster a master that fails
 * fails only its shards' batches (tg_fleet_store_degraded); the master of
 * the fleet's tag carries the clock, the heartbeat and the denials, so
 * its failure is the store's.
 *
 * The Functions (library "tgfleet", loaded at every connect, on every
 * master; and again when a master answers that it has none, as one
 * promoted by a failover or given slots by a reshard may):
 *   FCALL tgf_push_once K+1 key... calls I_us tau_us debt_us start_us ttl_ms id floor delta...
 *     unless id is in calls (this node's applied calls in the shard: the
 *     call was applied before, its reply lost), tat = min(max(tat,
 *     start) + delta * I, now + tau + debt), stored with its expiry at
 *     tat (a missing key is a full bucket), and id added to calls, from
 *     which the ids below floor go, kept ttl_ms; replies { now_us, tat_1
 *     ... tat_k, applied } (tat 0: no key, a full bucket; applied 1 if
 *     now, 0 if before). tgf_push, the same without calls, stays for
 *     daemons of the version before.
 *   FCALL tgf_beat 2 nodes limits node sig stale_ms
 *     the member's heartbeat and its limits for one zone; replies
 *     { members, other_node, other_sig } (empty when all agree)
 */
#ifndef TG_FLEET_STORE_H
#define TG_FLEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "rcluster.h"
#include "redis_url.h"
#include "rkeys.h"

struct tg_fleet_store;

/* One source of a push: its key, its delta, and the TAT Redis answers. */
struct tg_fleet_item {
	char key[TG_KEY_MAX];
	unsigned int shard; /* the key's {s:NNNN}: items of one shard are adjacent */
	__u64 delta;        /* admitted SYNs to add */
	/* The call it went in: 0 for a new item, given an id; an item sent
	 * again after its reply was lost keeps its id, with the same
	 * neighbours, so Redis applies that call once. */
	__u64 call;
	__u64 tat_us;       /* out: the fleet's TAT, µs of Redis' clock; 0: full */
	__u64 now_us;       /* out: Redis' clock when it computed tat_us */
	bool acked;         /* out: Redis answered for it */
	bool applied_before; /* out: acked, and Redis had applied its call before */
};

/* How long Redis keeps a node's calls of a shard after its last push
 * there, so that one sent again after a lost reply is not applied twice. */
#define TG_FLEET_CALL_TTL_MS 120000ULL

/* The limit the deltas are charged under, in Redis' µs, and whose calls
 * they are. */
struct tg_fleet_charge {
	double interval_us, tolerance_us;
	__u64 debt_us;  /* the longest denial accounting may cause */
	__u64 start_us; /* 0: now; else the backlog's window start (a replay) */
	/* A shard's calls: CALL_PREFIX:{s:NNNN}:calls:NODE, in its slot; ids
	 * from ++*next_call, never reused by this node. */
	const char *call_prefix, *node;
	__u64 *next_call;
	/* By shard (TG_REDIS_SHARDS), the lowest id of a call this node may
	 * send again (0: none): Redis forgets the ids below it, or below a
	 * call's own. NULL: none anywhere. */
	const __u64 *floor;
};

/* Connected, the Functions loaded, within timeout_ms each step; or
 * -errno with why. */
int tg_fleet_store_open(struct tg_fleet_store **st, const struct tg_redis_url *url,
			__u64 timeout_ms, char *why, size_t whylen);
void tg_fleet_store_close(struct tg_fleet_store *st);

/* Redis' TIME now, and the offset of its clock to ours (clock.h), asked
 * of the master of route (a key). A cluster's masters are assumed to
 * keep one time (NTP): a TAT is in the clock of the master that stored it. */
int tg_fleet_store_time(struct tg_fleet_store *st, const char *route, __u64 *now_us,
			__s64 *offset_ns, char *why, size_t whylen);

/*
 * Push n items (adjacent by shard), at most TG_FLEET_BATCH keys a call,
 * every call pipelined and all replies read by one deadline. Items Redis
 * answered have acked set (a failure part way keeps those). Returns 0,
 * or -errno with why: the store is then unusable. In a cluster, calls a
 * master failed leave their items unacked and count in
 * tg_fleet_store_degraded, with why set, and 0 is returned.
 */
#define TG_FLEET_BATCH 128
int tg_fleet_store_push(struct tg_fleet_store *st, const struct tg_fleet_charge *ch,
			struct tg_fleet_item *items, size_t n, char *why, size_t whylen);

/* Shards the last push could not reach (a cluster's master away). */
unsigned int tg_fleet_store_degraded(const struct tg_fleet_store *st);

/* Set in bits (TG_SHARD_WORDS words, include/shard.h; bits already set
 * stay) the shards whose Redis Cluster master did not answer its last
 * exchange. None for a standalone server: it is up or the store is down. */
void tg_fleet_store_shards_away(const struct tg_fleet_store *st, __u64 *bits);

/* The cluster's masters as the client sees them (none: standalone). */
size_t tg_fleet_store_masters(const struct tg_fleet_store *st, struct tg_rc_master *out,
			      size_t max);

/* The heartbeat of one zone: members alive, and one that disagrees. */
struct tg_fleet_beat {
	__u64 members;
	char other_node[64];
	char other_sig[128]; /* empty: every member has our limits */
};

int tg_fleet_store_beat(struct tg_fleet_store *st, const char *nodes_key, const char *limits_key,
			const char *node, const char *sig, __u64 stale_ms,
			struct tg_fleet_beat *out, char *why, size_t whylen);

/* Announce denials: one stream entry each, its key, the fleet's TAT
 * and Redis' time the TAT was computed at (its now_us). */
int tg_fleet_store_announce(struct tg_fleet_store *st, const char *stream,
			    const struct tg_fleet_item *const *items, size_t n, char *why,
			    size_t whylen);

/* Read the stream after *last_id (updated), at most max entries; each
 * through fn(arg, key, len, tat_us, at_us). Returns entries read, or
 * -errno. */
typedef void (*tg_fleet_denial_fn)(void *arg, const char *key, size_t len, __u64 tat_us,
				   __u64 at_us);
long tg_fleet_store_denials(struct tg_fleet_store *st, const char *stream, char *last_id,
			    size_t idlen, size_t max, tg_fleet_denial_fn fn, void *arg, char *why,
			    size_t whylen);

#endif /* TG_FLEET_STORE_H */
