/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * redis_url.h - where the Redis mirror lives:
 *   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   (HOST may be [IPv6])
 *   unix:///PATH[?db=DB]
 *   redis+cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]
 * USER and PASSWORD may be %-encoded. A cluster URL names the cluster by
 * its seeds (one password for every node; no database, as Cluster has
 * only 0). Pure code, unit-tested.
 */
#ifndef TG_REDIS_URL_H
#define TG_REDIS_URL_H

#include <stdbool.h>
#include <stddef.h>

#define TG_REDIS_DEFAULT_PORT 6379
#define TG_REDIS_MAX_SEEDS 16

struct tg_redis_seed {
	char host[256];
	unsigned int port;
};

struct tg_redis_url {
	bool unix_socket;
	char host[256]; /* host name or address, or the socket's path */
	unsigned int port;
	char user[64];      /* "" when not given */
	char password[128]; /* "" when not given */
	unsigned int db;
	/* redis+cluster://: every seed, host and port above are the first. */
	bool cluster;
	unsigned int nseeds;
	struct tg_redis_seed seeds[TG_REDIS_MAX_SEEDS];
};

/* 0, or -EINVAL with why. */
int tg_redis_url_parse(const char *text, struct tg_redis_url *u, char *why, size_t whylen);

/* The URL with any password replaced by "***", for logs and metrics. */
void tg_redis_url_format(const struct tg_redis_url *u, char *buf, size_t len);

#endif /* TG_REDIS_URL_H */
