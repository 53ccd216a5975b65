/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * redis_url.h - where the Redis mirror lives:
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   (HOST may be [IPv6])
 *   unix:///PATH[?db=DB]
 * USER and PASSWORD may be %-encoded. Pure code, unit-tested.
 */
#ifndef TG_REDIS_URL_H
#define TG_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>

#define TG_REDIS_DEFAULT_PORT 6379

struct tg_redis_url {
	bool unix_socket;
	char host[256]; /* host name or address, or the socket's path */
	unsigned int port;
	char user[64];      /* "" when not given */
	char password[128]; /* "" when not given */
	unsigned int db;
};

/* 0, or -EINVAL with why. */
int tg_redis_url_parse(const char *text, struct tg_redis_url *u, char *why, size_t whylen);

/* The URL with any password replaced by "***", for logs and metrics. */
void tg_redis_url_format(const struct tg_redis_url *u, char *buf, size_t len);

#endif /* TG_REDIS_URL_H */
