/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rules_redis.h - a copy of each interface's rule state file in Redis,
 * so the rules outlive the machine's disk as well as a reboot.
 *
 *   PREFIX:ZONE:rules:HOST[:netns-NAME]  value: the state file, header and all
 *
 * HOST is this machine's host name: machines that share a zone (and so
 * their buckets' keys) each keep their own rules; NAME, as for the file
 * (rulestate.h), that of an `ip netns` namespace. The file stays the
 * truth: the sync thread copies it whenever it changed, and after every
 * (re)connect. At start, with the pins gone, the daemon puts back the
 * newer of the file and the copy (rulestate.h's header says when each
 * was written): the copy when the state directory was lost.
 */
#ifndef TG_RULES_REDIS_H
#define TG_RULES_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <linux/types.h>

#include <hiredis/hiredis.h>

#include "mirror.h"

/* The largest state file copied: 16,384 rules of the longest line. */
#define TG_RULES_REDIS_MAX (8U << 20)

/* The key of zone's rules on this host; its length, or -ENOSPC. */
int tg_rules_redis_key(char *buf, size_t len, const char *prefix, const char *zone);

/* Which version of the file the copy in Redis is. */
struct tg_rules_copied {
	bool known;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/*
 * Copy the state file at path into Redis over c, unless *last says the
 * copy is of this very file. 1: copied, 0: nothing to do (no file, or
 * the same), -errno (the connection then unusable if -ETIMEDOUT, -EIO,
 * -EPROTO, as redis.h says).
 */
int tg_rules_redis_copy(redisContext *c, __u64 deadline_ns, const char *prefix,
			const char *zone, const char *path, struct tg_rules_copied *last);

/*
 * The copy of zone's rules, fetched on a connection of its own, all by
 * deadline_ms: 0 with *text (malloc'd, NUL-terminated; NULL when there
 * is no copy), or -errno with why.
 */
int tg_rules_redis_fetch(const struct tg_mirror_cfg *cfg, const char *zone, __u64 deadline_ms,
			 char **text, size_t *len, char *why, size_t whylen);

#endif /* TG_RULES_REDIS_H */
