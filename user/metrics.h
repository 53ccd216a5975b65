/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - the daemon's Prometheus metrics: a snapshot, a pure
 * renderer to the text exposition format (unit-tested, and checked with
 * promtool by the integration tests), the health check, and the HTTP
 * server that serves both with libmicrohttpd in its own thread.
 */
#ifndef TG_METRICS_H
#define TG_METRICS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "limits.h"
#include "metrics_process.h"
#include "rkeys.h"
#include "tidegate.h"

struct tg_metrics_iface {
	char name[IF_NAMESIZE];
	bool attached; /* the daemon's program is on it */
	const char *why_not; /* if not: why, for /healthz */
	bool readable; /* counters were read; else only the gauges below */
	bool limits_read; /* limits: those in force, read from the maps */
	struct tg_limits limits;
	int rules; /* in the rule table; < 0: unknown */
	struct tg_counters c;
	struct tg_fam_counters fam[TG_NR_FAMILIES];
	bool ports_read; /* ports: the limited SYNs by port group */
	struct tg_port_counters ports[TG_PORT_GROUPS];
	__u64 tracked; /* sources in tg_buckets at the last sync cycle */
	bool in_fleet; /* fleet holds what the fleet thread last published */
	struct tg_fleet fleet;
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
	bool clock_known;       /* Redis answered TIME at least once */
	double clock_offset_s;  /* Redis' wall clock minus ours, as last measured */
	__u64 restored, restore_full;
	__u64 rejected[TG_NR_REJECT];
};

/* The daemon itself: what it is, its last reload, its process. */
struct tg_metrics_daemon {
	const char *version, *libbpf, *kernel;
	bool reload_ok;     /* the last reload (or the start) took the file */
	double reload_ok_s; /* when one last did, wall clock, s since the epoch */
	bool proc_read;     /* proc was read */
	struct tg_proc proc;
};

/* The exposition text, malloc'ed (NUL-terminated, *len bytes), or NULL. */
char *tg_metrics_render(const struct tg_metrics_daemon *dm, const struct tg_metrics_iface *ifs,
			int n, const struct tg_metrics_sync *s, size_t *len);

/* The health check: 200 if every interface is attached, else 503; the
 * body, malloc'ed, says which are not and why, one line each. */
char *tg_metrics_health(const struct tg_metrics_iface *ifs, int n, unsigned int *status,
			size_t *len);

/* The HTTP side: GET /metrics and GET /healthz ask fn for the body to
 * send and its status (malloc'ed; NULL: a 500). */
enum tg_http_page { TG_PAGE_METRICS, TG_PAGE_HEALTH };
typedef char *(*tg_http_page_fn)(void *ctx, enum tg_http_page page, unsigned int *status,
				 size_t *len);

struct tg_http;

struct tg_http *tg_http_start(const struct sockaddr_storage *addr, socklen_t addrlen,
			      tg_http_page_fn fn, void *ctx, char *why, size_t whylen);
void tg_http_stop(struct tg_http *h);

#endif /* TG_METRICS_H */
