/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rcluster.h - a Redis Cluster client small enough to read: the slot map
 * learned from the seeds, one pipelined connection per master (opened
 * when first needed), and batches of commands routed by key.
 *
 * Debian's hiredis (0.14) has no cluster support; this routes on top of
 * redis.c's connections, so every exchange ends by the caller's deadline
 * whatever a node does. Only masters are ever asked (never decide from a
 * replica). A batch is sent to all its masters at once and their replies
 * read as they come, so a stalled master costs the others nothing.
 *
 * What a batch does with each kind of reply:
 *   MOVED        the slot map is reloaded (CLUSTER SLOTS) and the command
 *                sent again to the new owner, once
 *   ASK          ASKING and the command to the named node, once
 *   TRYAGAIN     the command fails (-EAGAIN), for the caller to send
 *                again next cycle
 *   CLUSTERDOWN, LOADING, MASTERDOWN, no reply by the deadline, a broken
 *   or refused connection
 *                the same (-EAGAIN, -ETIMEDOUT, -EIO, -ENOTCONN), and that
 *                master is marked down and the slot map reloaded before
 *                the next batch (a failover moves its slots); other
 *                masters' commands are unaffected
 *
 * The caller ignores SIGPIPE (a write to a node that died must fail, not
 * kill the process). Not thread-safe: one thread owns a client.
 */
#ifndef TG_RCLUSTER_H
#define TG_RCLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <hiredis/hiredis.h>

#include "keyslot.h"
#include "redis_url.h"

struct tg_rcluster;

/*
 * Learn the slot map from the URL's seeds (url->cluster), each tried in
 * turn within timeout_ms; timeout_ms also bounds every later connect.
 * 0 with *out, or -errno with why.
 */
int tg_rc_open(const struct tg_redis_url *url, __u64 timeout_ms, struct tg_rcluster **out,
	       char *why, size_t whylen);
void tg_rc_close(struct tg_rcluster *rc);

/* One command of a batch. */
struct tg_rc_cmd {
	/* In: the command (argvlen NULL: C strings), and the key whose
	 * slot routes it. */
	int argc;
	const char **argv;
	const size_t *argvlen;
	const char *key;
	size_t keylen;
	/* Out. status: 0 the node's reply, which may still be an error of
	 * the command itself (-ERR, a script's error): look at reply->type;
	 * -EAGAIN TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN, or a redirect
	 * not settled in one retry; -ETIMEDOUT; -EIO or -EPROTO the
	 * connection broke; -ENOTCONN no connection to its master;
	 * -EHOSTUNREACH no master known for its slot. reply: the reply, if
	 * one came (the caller frees it, or calls tg_rc_cmds_free). master:
	 * the index (tg_rc_masters) of the master that answered or failed, -1
	 * if none; valid until the next batch. */
	int status;
	redisReply *reply;
	int master;
};

/*
 * Send n commands, grouped by master and pipelined, and collect each
 * command's reply or status in its own struct, all by deadline_ns
 * (CLOCK_MONOTONIC). Returns how many commands failed (status != 0), or
 * -ENOMEM; a failure of one master never fails another's commands.
 */
int tg_rc_batch(struct tg_rcluster *rc, struct tg_rc_cmd *cmds, size_t n, __u64 deadline_ns);

/* Free the replies of a batch and clear them. */
void tg_rc_cmds_free(struct tg_rc_cmd *cmds, size_t n);

/*
 * One command on every master (FUNCTION LOAD REPLACE a library on each),
 * by deadline_ns. 0 if every master answered without an error, else the
 * first failure as -errno (-EREMOTEIO for an error reply) with why naming
 * the master; each master's outcome is in its last_error.
 */
int tg_rc_each_master(struct tg_rcluster *rc, int argc, const char **argv, const size_t *argvlen,
		      __u64 deadline_ns, char *why, size_t whylen);

/* What a master looks like from here, for status and metrics. */
struct tg_rc_master {
	char addr[272];      /* host:port ([v6]:port) */
	unsigned int slots;  /* of the 16384, in the last map learned */
	bool connected;      /* a connection is open */
	bool up;             /* its last exchange went through */
	char last_error[128];
	__u64 commands;      /* sent to it */
	__u64 failures;      /* commands that failed there (status != 0) */
};

/* Copy up to max masters into out; returns how many there are. A master
 * that no longer serves a slot (a failed one replaced by its replica)
 * shows 0 slots until the next batch forgets it. */
size_t tg_rc_masters(const struct tg_rcluster *rc, struct tg_rc_master *out, size_t max);

/* Whether the master that serves slot, by the last map, answered its
 * last exchange (false for a slot no master serves). */
bool tg_rc_slot_up(const struct tg_rcluster *rc, unsigned int slot);

/* Cluster-wide counters, for metrics. */
struct tg_rc_stats {
	__u64 moved, ask, tryagain, clusterdown; /* replies seen */
	__u64 timeouts, conn_errors;             /* commands failed so */
	__u64 map_loads, map_load_errors;        /* CLUSTER SLOTS, and failures */
};

void tg_rc_stats(const struct tg_rcluster *rc, struct tg_rc_stats *out);

#endif /* TG_RCLUSTER_H */
