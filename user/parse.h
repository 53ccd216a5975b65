/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* parse.h - the operator's numbers and lists, checked strictly. */
#ifndef TG_PARSE_H
#define TG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "tidegate.h"

/* A set of TCP ports, one bit each. */
struct tg_portset {
	__u64 bits[TG_PORTS_MAX / 64];
};

static inline bool tg_portset_has(const struct tg_portset *s, unsigned int port)
{
	return s->bits[port / 64] >> (port % 64) & 1;
}

static inline void tg_portset_add(struct tg_portset *s, unsigned int port)
{
	s->bits[port / 64] |= 1ULL << (port % 64);
}

/* A whole decimal number in [min, max]; no sign, no trailing text. */
int tg_parse_u64(const char *text, __u64 min, __u64 max, __u64 *out);

/* A duration with its unit: "250ms", "2s", "1m", "1h", in [min, max] ms. */
int tg_parse_duration_ms(const char *text, __u64 min_ms, __u64 max_ms, __u64 *out);

/* yes/no, true/false, on/off, 1/0. */
int tg_parse_bool(const char *text, bool *out);

/* A name the kernel would take for an interface (dev_valid_name): 1 to
 * 15 bytes, not "." or "..", no '/', ':' (an alias, which the kernel
 * resolves to its device) or white space. */
bool tg_ifname_valid(const char *name);

/* A name for Redis keys (zone, prefix): 1 to max - 1 letters, digits,
 * '.', '_' or '-'. Checked whole: a longer one is refused, not cut. */
bool tg_valid_name(const char *s, size_t max);

/* "80,443", "8000-8080", "80, 443, 8000-8100"; ports 1..65535. */
int tg_parse_ports(const char *text, struct tg_portset *set, char *why, size_t whylen);

/* Print a port set compactly as "80,443,8000-8080", in whole runs only:
 * if they do not all fit in len, the last is followed by ",...". Returns
 * the length of the whole text (buf may be NULL with len 0). */
size_t tg_format_ports(const struct tg_portset *set, char *buf, size_t len);

/* The whole text of a port set, malloc'ed; NULL if out of memory. */
char *tg_ports_text(const struct tg_portset *set);

/* Count of ports in the set. */
unsigned int tg_portset_count(const struct tg_portset *set);

/* "ADDR:PORT", "[ADDR6]:PORT"; numeric addresses only. 0 or -EINVAL. */
int tg_parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len);

#endif /* TG_PARSE_H */
