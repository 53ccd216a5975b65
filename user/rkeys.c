// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rkeys.c - the Redis key schema, and validation of what comes back. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "limits.h"
#include "rkeys.h"
#include "shard.h"

const char *const tg_reject_names[TG_NR_REJECT] = {
	[TG_REJ_KEY] = "key",
	[TG_REJ_VALUE] = "value",
	[TG_REJ_FUTURE] = "future",
};

static const __u8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int tg_key_format(char *buf, size_t len, const char *prefix, const char *zone,
		  const struct tg_source *src, unsigned int v4_prefix, unsigned int v6_prefix)
{
	char addr[INET6_ADDRSTRLEN], plen[8] = "";
	bool v4 = tg_source_is_v4(src);
	int n;

	if (v4) {
		inet_ntop(AF_INET, src->addr + 12, addr, sizeof(addr));
		if (v4_prefix != 32)
			snprintf(plen, sizeof(plen), "/%u", v4_prefix);
	} else {
		inet_ntop(AF_INET6, src->addr, addr, sizeof(addr));
		snprintf(plen, sizeof(plen), "/%u", v6_prefix);
	}
	n = snprintf(buf, len, "%s:%s:" TG_SHARD_TAG ":%s:%s%s", prefix, zone, tg_source_shard(src),
		     v4 ? "v4" : "v6", addr, plen);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

void tg_key_pattern(char *buf, size_t len, const char *prefix, const char *zone)
{
	/* prefix and zone are [A-Za-z0-9._-] (conf.c): nothing to escape. */
	snprintf(buf, len, "%s:%s:{s:*}:v*", prefix, zone);
}

/* No bits of addr (16 bytes) set at or past bit len. */
static bool host_bits_clear(const __u8 *addr, unsigned int len)
{
	unsigned int i;

	for (i = len; i < 128; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool tg_source_fits(const struct tg_source *src, unsigned int v4_prefix, unsigned int v6_prefix)
{
	return tg_source_is_v4(src) ? host_bits_clear(src->addr, 96 + v4_prefix)
				    : host_bits_clear(src->addr, v6_prefix);
}

int tg_key_parse(const char *key, size_t len, const char *prefix, const char *zone,
		 unsigned int v4_prefix, unsigned int v6_prefix, struct tg_source *src)
{
	char buf[TG_KEY_MAX], head[TG_KEY_MAX], addr[INET6_ADDRSTRLEN + 8];
	unsigned int shard, plen;
	char *p, *slash;
	bool v4;
	int n;

	memset(src, 0, sizeof(*src)); /* rule 0: the default limit's bucket */
	if (len >= sizeof(buf) || memchr(key, '\0', len))
		return -EINVAL;
	memcpy(buf, key, len);
	buf[len] = '\0';
	n = snprintf(head, sizeof(head), "%s:%s:{s:", prefix, zone);
	if (n < 0 || (size_t)n >= sizeof(head) || strncmp(buf, head, (size_t)n))
		return -EINVAL;
	p = buf + n;
	if (strspn(p, "0123456789") != 4 || strncmp(p + 4, "}:v", 3))
		return -EINVAL;
	shard = (unsigned int)((p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
			       (p[3] - '0'));
	p += 7;
	if (*p != '4' && *p != '6')
		return -EINVAL;
	v4 = *p == '4';
	if (p[1] != ':')
		return -EINVAL;
	p += 2;
	if (strlen(p) >= sizeof(addr))
		return -EINVAL;
	strcpy(addr, p);
	slash = strchr(addr, '/');
	if (slash) {
		char *end;

		*slash = '\0';
		if (slash[1] < '1' || slash[1] > '9' || strlen(slash + 1) > 3)
			return -EINVAL;
		plen = (unsigned int)strtoul(slash + 1, &end, 10);
		if (*end)
			return -EINVAL;
	} else {
		if (!v4)
			return -EINVAL;
		plen = 32;
	}
	if (plen != (v4 ? v4_prefix : v6_prefix))
		return -EINVAL;
	memset(src, 0, sizeof(*src));
	if (v4) {
		memcpy(src->addr, v4_mapped, sizeof(v4_mapped));
		if (inet_pton(AF_INET, addr, src->addr + 12) != 1)
			return -EINVAL;
		if (!host_bits_clear(src->addr, 96 + plen))
			return -EINVAL;
	} else {
		if (inet_pton(AF_INET6, addr, src->addr) != 1 || tg_source_is_v4(src))
			return -EINVAL;
		if (!host_bits_clear(src->addr, plen))
			return -EINVAL;
	}
	if (shard != tg_source_shard(src))
		return -EINVAL;
	/* Only the one spelling we write: no case or zero-padding variants. */
	if (tg_key_format(head, sizeof(head), prefix, zone, src, v4_prefix, v6_prefix) < 0 ||
	    strcmp(head, buf))
		return -EINVAL;
	return 0;
}

int tg_value_parse(const char *s, size_t len, __u64 *us)
{
	__u64 v = 0;
	size_t i;

	if (!len || len > 19)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (__u64)(s[i] - '0');
	}
	if (!v)
		return -EINVAL;
	*us = v;
	return 0;
}

int tg_restore_decide(const struct tg_restore_frame *f, __u64 tat_us, __u64 *tat_ns)
{
	__u64 ahead_max_us, limit_us;

	/* A bucket is at most tolerance + one interval ahead of now. */
	ahead_max_us = (f->tolerance_ns + f->interval_ns + TG_RESTORE_MARGIN_NS) /
		       TG_NSEC_PER_USEC;
	if (__builtin_add_overflow(f->redis_now_us, ahead_max_us, &limit_us) || tat_us > limit_us)
		return TG_RESTORE_REJECT_FUTURE;
	if (tat_us <= f->redis_now_us)
		return TG_RESTORE_FULL;
	*tat_ns = tg_redis_us_to_mono(tat_us, f->offset_ns);
	return *tat_ns ? TG_RESTORE : TG_RESTORE_FULL;
}
