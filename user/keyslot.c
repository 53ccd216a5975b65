// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* keyslot.c - Redis Cluster key slots. */
#include <string.h>

#include "keyslot.h"

/* Bit by bit: a batch routes by one key per command, so a table buys
 * nothing worth its 512 bytes. */
__u16 tg_crc16(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	__u16 crc = 0;

	while (len--) {
		crc ^= (__u16)(*p++ << 8);
		for (int i = 0; i < 8; i++)
			crc = crc & 0x8000 ? (__u16)(crc << 1) ^ 0x1021 : (__u16)(crc << 1);
	}
	return crc;
}

unsigned int tg_rc_keyslot(const void *key, size_t len)
{
	const char *k = key, *open, *close;

	if (!len) /* and key may be NULL, which memchr must not see */
		return 0;
	open = memchr(k, '{', len);
	if (open) {
		close = memchr(open + 1, '}', len - (size_t)(open - k) - 1);
		if (close && close > open + 1)
			return tg_crc16(open + 1, (size_t)(close - open - 1)) & (TG_RC_SLOTS - 1);
	}
	return tg_crc16(k, len) & (TG_RC_SLOTS - 1);
}
