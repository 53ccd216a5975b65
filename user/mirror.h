/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * mirror.h - the Redis mirror: a sync thread that writes the buckets
 * that changed every interval, and the restore that fills an empty
 * table before the program is attached.
 *
 * Nothing here is on the packet path: XDP decides from its own map.
 * The thread owns its Redis connection and never holds the lock while
 * it talks to Redis, so metrics and signals never wait on Redis. Every
 * exchange ends by a deadline (redis.h): the timeout from its start,
 * whatever the server sends and however slowly; a failure drops the
 * connection (hiredis wants a fresh context per connection), and the
 * next one comes after an exponential backoff (100 ms to 5 s, jittered).
 * After a reconnect every live bucket is written again (a resync).
 * Files: redis.c (the exchanges), restore.c, sync.c (the thread).
 */
#ifndef TG_MIRROR_H
#define TG_MIRROR_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>

#include "conf.h"
#include "limits.h"
#include "metrics.h"
#include "redis_url.h"
#include "worker.h"

struct tg_mirror_cfg {
	bool on;
	struct tg_redis_url url;
	__u64 interval_ms, timeout_ms;
	char prefix[TG_NAME_MAX];
	char state_dir[256]; /* the rule state files, copied to Redis too */
};

struct tg_sync_iface {
	char name[IF_NAMESIZE];
	char zone[TG_NAME_MAX];
	int buckets_fd;
	int config_fd;
	int config_gen_fd; /* which copy of config_fd is live */
	/* What the keys and the restore need, read from the maps (the config
	 * in force, whoever wrote it: the daemon, 'tidegate set') by
	 * tg_sync_iface_refresh, at every cycle. */
	unsigned int v4_prefix, v6_prefix;
	__u64 interval_ns, tolerance_ns;
	/* The port groups' limits, by id (the fleet keys their buckets). */
	struct tg_port_group port_groups[TG_PORT_GROUPS];
	__u32 max_sources;
	bool restore_pending; /* attached fresh while Redis was away */
};

/* Fill si's limits from its maps: tg_config and tg_buckets' size. 0 or -errno. */
int tg_sync_iface_refresh(struct tg_sync_iface *si);

struct tg_restore_counts {
	__u64 restored, full, rejected[TG_NR_REJECT];
};

struct sync_priv;

struct tg_sync {
	struct tg_worker w; /* the thread; under w.lock the rest */
	/* The daemon's side, under lock. */
	struct tg_mirror_cfg cfg;
	int n;
	struct tg_sync_iface ifs[TG_MAX_IFACES];
	/* The thread's side, published under lock. */
	struct tg_metrics_sync stats;
	__u64 last_ok_ns;
	__u64 tracked[TG_MAX_IFACES]; /* by the index in ifs */
	struct sync_priv *priv;
};

int tg_sync_start(struct tg_sync *s);
/* Replace the settings and interfaces (the fds are duplicated). */
void tg_sync_set(struct tg_sync *s, const struct tg_mirror_cfg *cfg,
		 const struct tg_sync_iface *ifs, int n);
/* Stop the thread, after one last bounded cycle if connected. */
void tg_sync_stop(struct tg_sync *s);
void tg_sync_add_restore(struct tg_sync *s, const struct tg_restore_counts *rc);
/* Copy the sync metrics, with the lag as of now; tracked of interface name. */
void tg_sync_read(struct tg_sync *s, struct tg_metrics_sync *out);
__u64 tg_sync_tracked(struct tg_sync *s, const char *name);
/* The thread has interface name, and no restore pending for it. */
bool tg_sync_restored(struct tg_sync *s, const char *name);

/* The most a restore may take, connect included. */
#define TG_RESTORE_DEADLINE_MS 10000

/*
 * Restore one interface's buckets from Redis into its empty table,
 * before the program is attached. Each exchange bounded by the timeout,
 * the whole by deadline_ms. Returns 0, -ECONNREFUSED with why (Redis
 * away), or another -errno with why (cut short: restore.h).
 */
int tg_mirror_restore(const struct tg_mirror_cfg *cfg, const struct tg_sync_iface *si,
		      __u64 deadline_ms, struct tg_restore_counts *rc, char *why, size_t whylen);

#endif /* TG_MIRROR_H */
