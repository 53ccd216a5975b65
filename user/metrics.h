/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - the daemon's Prometheus metrics: a snapshot, a pure
 * renderer to the text exposition format (unit-tested, and checked with
 * promtool by the integration tests), and the HTTP server that serves it
 * with libmicrohttpd in its own thread.
 */
#ifndef TG_METRICS_H
#define TG_METRICS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "rkeys.h"
#include "tidegate.h"

struct tg_metrics_iface {
	char name[IF_NAMESIZE];
	bool attached; /* the daemon's program is on it */
	bool readable; /* counters were read; else only the gauges below */
	struct tg_counters c;
	struct tg_fam_counters fam[TG_NR_FAMILIES];
	__u64 tracked; /* sources in tg_buckets at the last sync cycle */
	__u32 max_sources;
};

struct tg_metrics_sync {
	bool redis_configured;
	bool redis_up;
	__u64 cycles_ok, cycles_failed;
	__u64 written;   /* sources written to Redis */
	__u64 unwritten; /* changed sources a failed cycle could not write */
	__u64 connects_ok, connects_failed;
	double last_duration_s; /* of the last sync cycle */
	double lag_s;           /* since the last cycle that wrote everything */
	double clock_offset_s;  /* Redis' clock minus the monotonic clock */
	__u64 restored, restore_full;
	__u64 rejected[TG_NR_REJECT];
};

/* The exposition text, malloc'ed (NUL-terminated, *len bytes), or NULL. */
char *tg_metrics_render(const struct tg_metrics_iface *ifs, int n,
			const struct tg_metrics_sync *s, size_t *len);

/* The HTTP side: GET /metrics calls collect for the text to send. */
typedef char *(*tg_metrics_collect_fn)(void *ctx, size_t *len);

struct tg_http;

struct tg_http *tg_http_start(const struct sockaddr_storage *addr, socklen_t addrlen,
			      tg_metrics_collect_fn collect, void *ctx, char *why,
			      size_t whylen);
void tg_http_stop(struct tg_http *h);

#endif /* TG_METRICS_H */
