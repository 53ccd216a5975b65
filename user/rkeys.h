/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rkeys.h - what the Redis mirror stores, and the checks on what it
 * reads back. Pure code, unit-tested; no I/O.
 *
 * One key per source that is not full, one word per key, as
 * shared/research/distributed.md proposes and as redis-cell keeps GCRA:
 *
 *   PREFIX:ZONE:{s:NNNN}:v4:198.51.100.7        (/32)
 *   PREFIX:ZONE:{s:NNNN}:v4:198.51.100.0/24     (shorter prefixes)
 *   PREFIX:ZONE:{s:NNNN}:v6:2001:db8:1:2::/64
 *   value: the bucket's TAT in microseconds of the Redis server's TIME
 *   PXAT:  the TAT in ms: the key expires when the bucket is full again
 *
 * NNNN = fnv1a32(address bytes: 4 for IPv4, 16 for IPv6) mod 1024: a
 * Redis Cluster hash tag, so batches of one shard share a slot. A key
 * missing means a full bucket, so an expired or evicted key loses
 * nothing.
 */
#ifndef TG_RKEYS_H
#define TG_RKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "tidegate.h"

#define TG_KEY_MAX      256
/* A source's shard as the hash tag of its keys (include/shard.h). */
#define TG_SHARD_TAG    "{s:%04u}"

/* A restored TAT may be at most this far past now + tolerance + interval
 * (clock offsets, a limit lowered since it was written). */
#define TG_RESTORE_MARGIN_NS (2 * 1000000000ULL)

/* Why a key or value read from Redis was refused. */
enum tg_reject {
	TG_REJ_KEY,    /* not our schema: prefix, zone, tag, family, address, prefix length */
	TG_REJ_VALUE,  /* not a positive decimal number of microseconds */
	TG_REJ_FUTURE, /* further ahead than any bucket of this limit can be */
	TG_NR_REJECT,
};

extern const char *const tg_reject_names[TG_NR_REJECT];

/* The key of src; returns its length, or -ENOSPC. */
int tg_key_format(char *buf, size_t len, const char *prefix, const char *zone,
		  const struct tg_source *src, unsigned int v4_prefix, unsigned int v6_prefix);

/* No bits of src past the prefix length of its family: a bucket cut
 * with these prefixes (one cut with an earlier, longer prefix has them). */
bool tg_source_fits(const struct tg_source *src, unsigned int v4_prefix, unsigned int v6_prefix);

/*
 * Parse a key read back (not NUL-terminated: len bytes). It must carry
 * our prefix and zone, the right shard tag for its address, the
 * configured prefix length of its family and no bits past it.
 */
int tg_key_parse(const char *key, size_t len, const char *prefix, const char *zone,
		 unsigned int v4_prefix, unsigned int v6_prefix, struct tg_source *src);

/* The SCAN pattern of one zone's keys. */
void tg_key_pattern(char *buf, size_t len, const char *prefix, const char *zone);

/* A value read back: 1-19 decimal digits, > 0. */
int tg_value_parse(const char *s, size_t len, __u64 *us);

/* What to do with a TAT read back, all times already in one frame. */
enum tg_restore_verdict {
	TG_RESTORE,      /* *tat_ns is this boot's TAT */
	TG_RESTORE_FULL, /* in the past: the bucket is full, nothing to do */
	TG_RESTORE_REJECT_FUTURE,
};

struct tg_restore_frame {
	__u64 redis_now_us; /* the Redis server's TIME */
	__s64 offset_ns;    /* Redis ns - monotonic ns, see clock.h */
	__u64 interval_ns, tolerance_ns;
};

int tg_restore_decide(const struct tg_restore_frame *f, __u64 tat_us, __u64 *tat_ns);

#endif /* TG_RKEYS_H */
