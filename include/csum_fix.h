/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum_fix.h - incremental Internet checksum updates (RFC 1624), for
 * the flood's frames: the XDP generator (bpf/flood.bpf.c) and the
 * packet-socket sender (user/flood_sock.c) stamp each frame the same
 * way, so both send the same bytes.
 *
 * One's complement sums do not care about byte order as long as every
 * word is read the same way, so words are used as they lie in the packet.
 */
#ifndef TG_CSUM_FIX_H
#define TG_CSUM_FIX_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u16 tg_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 32-bit word m. */
static __always_inline void tg_csum_replace4(__u16 *sum, __u32 from, __u32 to)
{
	__u32 s = (__u16)~*sum;

	s += (~from & 0xffff) + (~from >> 16);
	s += (to & 0xffff) + (to >> 16);
	*sum = tg_csum_fold(s);
}

/* The same for a 16-bit word. */
static __always_inline void tg_csum_replace2(__u16 *sum, __u16 from, __u16 to)
{
	__u32 s = (__u16)~*sum;

	s += (__u16)~from;
	s += to;
	*sum = tg_csum_fold(s);
}

#endif /* TG_CSUM_FIX_H */
