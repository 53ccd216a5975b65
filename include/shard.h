/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * shard.h - the Redis shard of a source, one definition for both sides:
 * FNV-1a over its address (the IPv4 address alone for an IPv4-mapped
 * key), modulo TG_REDIS_SHARDS. Redis keys carry it as their hash tag
 * {s:NNNN} (user/rkeys.c), so a Redis Cluster places a shard's sources
 * on one master; the data path computes it to hold the sources of a
 * master that is away to the local share of an outage (bpf/fleet.h).
 */
#ifndef TG_SHARD_H
#define TG_SHARD_H

#include "tidegate.h"

#define TG_SHARD_STEP(h, byte) (((h) ^ (byte)) * 16777619U)

/* Whether a key holds an IPv4 source, stored ::ffff:a.b.c.d. By words
 * where it can: the data path's verifier counts the stack of the
 * deepest chain of calls, and byte by byte the compiler spilled each. */
static inline __attribute__((always_inline)) int tg_source_is_v4(const struct tg_source *src)
{
	const __u8 mapped[4] = { 0, 0, 0xff, 0xff };
	__u32 w[3], m;

	__builtin_memcpy(w, src->addr, sizeof(w));
	__builtin_memcpy(&m, mapped, sizeof(m));
	return ((w[0] | w[1]) == 0) & (w[2] == m);
}

static inline __attribute__((always_inline)) unsigned int
tg_source_shard(const struct tg_source *src)
{
	const __u8 *a = src->addr;
	__u32 h = 2166136261U;
	int i;

	if (tg_source_is_v4(src)) {
		for (i = 12; i < 16; i++)
			h = TG_SHARD_STEP(h, a[i]);
	} else {
		for (i = 0; i < 16; i++)
			h = TG_SHARD_STEP(h, a[i]);
	}
	return h % TG_REDIS_SHARDS;
}

/* Whether a shard's bit is set in a TG_SHARD_WORDS bitmap. */
static inline __attribute__((always_inline)) int tg_shard_bit(const __u64 *bits,
							      unsigned int shard)
{
	return (bits[(shard / 64) % TG_SHARD_WORDS] >> (shard % 64)) & 1;
}

/* Whether any shard's bit is set in such a bitmap. */
static inline __attribute__((always_inline)) int tg_shard_any(const __u64 *bits)
{
	__u64 any = 0;
	int i;

	for (i = 0; i < TG_SHARD_WORDS; i++)
		any |= bits[i];
	return any != 0;
}

/* Set a shard's bit in such a bitmap. */
static inline __attribute__((always_inline)) void tg_shard_set(__u64 *bits, unsigned int shard)
{
	bits[(shard / 64) % TG_SHARD_WORDS] |= 1ULL << (shard % 64);
}

#endif /* TG_SHARD_H */
