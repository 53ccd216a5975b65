/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * keyslot.h - which of Redis Cluster's 16384 slots a key lives in:
 * CRC16-XMODEM of the key, or of its hash tag (the cluster spec).
 * Every node that writes a key must agree on this, so it is part of the
 * key format. Pure code, unit-tested against the spec's vectors and the
 * server's CLUSTER KEYSLOT.
 */
#ifndef TG_KEYSLOT_H
#define TG_KEYSLOT_H

#include <stddef.h>
#include <linux/types.h>

#define TG_RC_SLOTS 16384

/* CRC16-XMODEM (polynomial 0x1021, initial 0), as Redis computes it. */
__u16 tg_crc16(const void *buf, size_t len);

/* The slot of a key: only the part inside the first {...} is hashed
 * when that part is not empty. */
unsigned int tg_rc_keyslot(const void *key, size_t len);

#endif /* TG_KEYSLOT_H */
