/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet.h - fleet mode: one per-source limit over every machine with the
 * same fleet name and Redis (README: "One limit across a fleet").
 *
 * Every packet is still decided in XDP from local state; Redis is never
 * on the packet path. A thread of the daemon, every --fleet-interval:
 *  1. reads each interface's buckets, and for each source whose admitted
 *     count moved since the fleet last heard of it (tg_floor.mark) and
 *     that has at least TG_FLEET_MIN_ADMITTED admissions or a drop,
 *     sends the difference to Redis, one FCALL per shard batch
 *     (fleet_store.h);
 *  2. writes the fleet's TAT Redis answers, with the count it includes,
 *     into tg_floor, where XDP reads it;
 *  3. announces the sources the fleet now denies on a stream, and reads
 *     the others' announcements into tg_floor too, so a machine that
 *     never saw a source drops it within an interval and a round trip;
 *  4. every second, a heartbeat: the fleet's size N, and the limits of
 *     every member compared with ours;
 *  5. writes N, the burst share and whether Redis answers into tg_fleet:
 *     XDP cuts each machine's burst to ceil(k * b / N), and while Redis
 *     does not answer the rate to r * h / N (fail static, h =
 *     TG_FLEET_FALLBACK_H). The admissions of an outage stay unpushed
 *     (marks do not move) and are pushed when Redis returns, with the
 *     refill of the outage credited (start = the last acknowledged
 *     push), so the fleet repays them.
 * Every bucket takes part: the default limit's, the limit rules' and
 * the port groups', named in Redis by the rule's prefix and the group's
 * ports since each machine chooses their ids itself (fleet_rules.h).
 */
#ifndef TG_FLEET_H
#define TG_FLEET_H

#include <stdbool.h>

#include <json-c/json.h>

#include "conf.h"
#include "mirror.h"
#include "worker.h"

#define TG_FLEET_MIN_ADMITTED 2   /* a spoofed source sends one SYN: never pushed */
#define TG_FLEET_FALLBACK_H   2   /* Redis away: N machines admit about h * r */
#define TG_FLEET_DEBT_MS      10000 /* the longest denial accounting may cause */
#define TG_FLEET_BEAT_MS      1000  /* heartbeat period */
#define TG_FLEET_STALE_MS     3000  /* a member without a heartbeat this long is gone */

struct tg_fleet_cfg {
	bool on;
	char name[TG_NAME_MAX];
	char prefix[TG_NAME_MAX];
	struct tg_redis_url url;
	__u64 interval_ms, timeout_ms;
	unsigned int burst_k;
};

/* An interface of the fleet: the mirror's view of it, and its fleet maps. */
struct tg_fleet_iface {
	struct tg_sync_iface si;
	int fleet_fd, floor_fd;
	int rules_fd; /* tg_rules: the limit rules the fleet shares too */
};

struct fleet_priv;

struct tg_fleet_thread {
	struct tg_worker w; /* the thread; under w.lock the rest */
	struct tg_fleet_cfg cfg;
	int n;
	struct tg_fleet_iface ifs[TG_MAX_IFACES];
	struct fleet_priv *priv;
};

int tg_fleet_start(struct tg_fleet_thread *t);
/* Replace the settings and interfaces (the fds are duplicated). Once
 * settings out of the fleet (cfg->on false) are set, no cycle under way
 * writes tg_fleet again: the caller's leave is the last word. */
void tg_fleet_set(struct tg_fleet_thread *t, const struct tg_fleet_cfg *cfg,
		  const struct tg_fleet_iface *ifs, int n);
void tg_fleet_stop(struct tg_fleet_thread *t);

/* Reading tg_fleet back (user/fleet_view.c). */

/* What the daemon last published in tg_fleet: 0 or -errno. */
int tg_fleet_read(int fleet_fd, struct tg_fleet *out);

/* status: the interface's fleet as JSON, or NULL when not in one. */
struct json_object *tg_fleet_json(int fleet_fd);

#endif /* TG_FLEET_H */
