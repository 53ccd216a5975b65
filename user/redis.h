/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * redis.h - one connection to Redis whose every exchange ends by a
 * deadline.
 *
 * hiredis' blocking calls bound each read() by a socket timeout, which a
 * server that sends one byte at a time never trips. Here hiredis only
 * builds commands and parses replies; the socket is non-blocking and
 * every wait is a poll() until an absolute CLOCK_MONOTONIC deadline, so
 * a command and its reply (or a pipelined batch) take at most what the
 * caller allows, however the server trickles.
 *
 * After a failure (timeout, I/O, a malformed reply) the stream may be
 * cut mid-reply: the connection is unusable and must be closed. An
 * error reply from the server (-LOADING, -WRONGTYPE) is a reply, not a
 * failure.
 */
#ifndef TG_REDIS_H
#define TG_REDIS_H

#include <stddef.h>
#include <linux/types.h>

#include <hiredis/hiredis.h>

#include "redis_url.h"

/* The deadline of one exchange: timeout_ms from now, but never past
 * outer_ns (0: no outer deadline). */
__u64 tg_redis_deadline(__u64 timeout_ms, __u64 outer_ns);

/* Connected, authenticated and on the right database, each step within
 * timeout_ms and all by outer_ns (0: none); or NULL with why. */
redisContext *tg_redis_open(const struct tg_redis_url *url, __u64 timeout_ms, __u64 outer_ns,
			    char *why, size_t whylen);

/* Queue a command (hiredis' format); sent by the next tg_redis_reply. */
int tg_redis_append(redisContext *c, const char *fmt, ...);

/*
 * Send what is queued and read the next reply by deadline_ns: 0 with
 * *reply (free it with freeReplyObject), or -ETIMEDOUT, -EIO, -EPROTO
 * with c->errstr saying why.
 */
int tg_redis_reply(redisContext *c, __u64 deadline_ns, redisReply **reply);

/* tg_redis_append then tg_redis_reply. */
int tg_redis_command(redisContext *c, __u64 deadline_ns, redisReply **reply, const char *fmt,
		     ...);

/* The reply's error text, or "unexpected reply", or the context's. */
const char *tg_redis_why(const redisContext *c, const redisReply *r);

/*
 * TIME, between two monotonic readings: Redis' now in µs and the offset
 * between the clocks (clock.h). The reply is checked like any data from
 * Redis. 0, or -errno with why.
 */
int tg_redis_time(redisContext *c, __u64 deadline_ns, __u64 *now_us, __s64 *offset_ns,
		  char *why, size_t whylen);

#endif /* TG_REDIS_H */
