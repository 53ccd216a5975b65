/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rule_hash.h - where a rule's prefix falls in tg_rule_filter: the one
 * piece of code, not data, that both sides compile, since the program
 * probes the very bits userspace sets. No includes beyond tidegate.h's
 * types; the words are the address as stored (network order) read as
 * host words, the same on both sides of one machine.
 */
#ifndef TG_RULE_HASH_H
#define TG_RULE_HASH_H

#include "tidegate.h"

#define TG_RF_INLINE static inline __attribute__((always_inline))

/* The mask of 64-bit word i (0-1) of an address cut to len bits, as
 * the word is stored (network order) and read as a host word. */
TG_RF_INLINE __u64 tg_rf_mask(__u32 len, __u32 i)
{
	__s32 bits = (__s32)len - 64 * (__s32)i;

	if (bits <= 0)
		return 0;
	if (bits >= 64)
		return ~0ULL;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(~0ULL << (64 - bits));
#else
	return ~0ULL << (64 - bits);
#endif
}

/*
 * The filter's bit for the prefix of len bits of address a, its two
 * 64-bit words as stored (family 4: the address in the first 4 bytes,
 * the rest 0): a multiply-shift hash of the masked words and of the
 * family and length, so a /24 and the /32 of its network address fall
 * apart. Below 1 << TG_RF_ORDER.
 */
TG_RF_INLINE __u32 tg_rf_slot(__u32 family, __u32 len, const __u64 a[2])
{
	__u64 hi = a[0] & tg_rf_mask(len, 0), lo = a[1] & tg_rf_mask(len, 1);
	__u64 h = (hi ^ (family << 8 | len)) * 0x9E3779B97F4A7C15ULL + lo * 0xC2B2AE3D27D4EB4FULL;

	return (__u32)(h >> (64 - TG_RF_ORDER));
}

#endif /* TG_RULE_HASH_H */
