// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sync.c - the sync thread: the buckets that changed, to Redis every interval. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <hiredis/hiredis.h>

#include "backoff.h"
#include "buckets.h"
#include "cfgslots.h"
#include "clock.h"
#include "log.h"
#include "mirror.h"
#include "redis.h"
#include "rules_redis.h"
#include "rulestate.h"
#include "restore.h"
#include "rkeys.h"
#include "worker.h"

#define PIPELINE_DEPTH   1000 /* commands per write before reading replies */

static bool reply_ok(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");
}

int tg_sync_iface_refresh(struct tg_sync_iface *si)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct tg_config cfg;
	struct tg_limits l;
	int err;

	err = tg_config_read(si->config_fd, si->config_gen_fd, &cfg);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(si->buckets_fd, &info, &len))
		return -errno;
	tg_limits_from_config(&cfg, &l);
	si->v4_prefix = l.v4_prefix;
	si->v6_prefix = l.v6_prefix;
	si->interval_ns = cfg.interval_ns;
	si->tolerance_ns = cfg.tolerance_ns;
	memcpy(si->port_groups, cfg.port_groups, sizeof(si->port_groups));
	si->max_sources = info.max_entries;
	return 0;
}

/* ---- what was written: a hash of source -> TAT last written ----------- */

struct wslot {
	struct tg_source src;
	__u64 tat; /* 0: empty slot */
};

struct wtab {
	size_t cap, n; /* cap a power of two */
	struct wslot *slot;
};

static size_t wtab_hash(const struct tg_source *s)
{
	__u64 a, b;

	memcpy(&a, s->addr, 8);
	memcpy(&b, s->addr + 8, 8);
	a ^= b * 0x9E3779B97F4A7C15ULL;
	a ^= a >> 29;
	return (size_t)(a * 0xBF58476D1CE4E5B9ULL >> 17);
}

static int wtab_init(struct wtab *t, size_t want)
{
	size_t cap = 1024;

	while (cap < want * 2)
		cap <<= 1;
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->cap = cap;
	t->n = 0;
	return 0;
}

static void wtab_free(struct wtab *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static struct wslot *wtab_find(const struct wtab *t, const struct tg_source *s)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = wtab_hash(s) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct wslot *w = &t->slot[i];

		if (!w->tat)
			return NULL;
		if (!memcmp(&w->src, s, sizeof(*s)))
			return w;
	}
}

/* Insert (the table is sized so it never fills). */
static struct wslot *wtab_put(struct wtab *t, const struct tg_source *s, __u64 tat)
{
	size_t i;

	for (i = wtab_hash(s) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct wslot *w = &t->slot[i];

		if (!w->tat) {
			w->src = *s;
			w->tat = tat;
			t->n++;
			return w;
		}
		if (!memcmp(&w->src, s, sizeof(*s))) {
			w->tat = tat;
			return w;
		}
	}
}

/* ---- the sync thread --------------------------------------------------- */

/* What the thread keeps per interface between cycles. */
struct sync_if {
	char name[IF_NAMESIZE];
	char zone[TG_NAME_MAX];
	unsigned int v4_prefix, v6_prefix; /* of the keys written */
	struct wtab written; /* sources not full, with the TAT last written (1: none yet) */
	struct tg_rules_copied rules; /* the rule state file Redis has */
	bool used;
};

struct sync_priv {
	redisContext *c;
	unsigned int gen;
	struct tg_backoff backoff;
	struct sync_if sif[TG_MAX_IFACES];
	/* the batch read of one table */
	struct tg_bucket_read rd;
	__u64 reads_cut; /* reads a churning table cut short, ever */
	/* the dirty list of one cycle */
	struct wslot **dirty;
	size_t dirty_cap;
	bool failed_logged;
};

static struct sync_if *sif_of(struct sync_priv *p, const char *name, const char *zone)
{
	int i, free_i = -1;

	for (i = 0; i < TG_MAX_IFACES; i++) {
		if (p->sif[i].used && !strcmp(p->sif[i].name, name)) {
			if (strcmp(p->sif[i].zone, zone)) {
				/* A new zone: new keys, everything to write. */
				wtab_free(&p->sif[i].written);
				snprintf(p->sif[i].zone, sizeof(p->sif[i].zone), "%s", zone);
			}
			return &p->sif[i];
		}
		if (!p->sif[i].used && free_i < 0)
			free_i = i;
	}
	if (free_i < 0)
		return NULL;
	memset(&p->sif[free_i], 0, sizeof(p->sif[free_i]));
	p->sif[free_i].used = true;
	snprintf(p->sif[free_i].name, sizeof(p->sif[free_i].name), "%.*s", IF_NAMESIZE - 1, name);
	snprintf(p->sif[free_i].zone, sizeof(p->sif[free_i].zone), "%s", zone);
	return &p->sif[free_i];
}

/* Forget what was written: the next cycle writes every live bucket. */
static void forget_written(struct sync_priv *p)
{
	int i;

	for (i = 0; i < TG_MAX_IFACES; i++) {
		wtab_free(&p->sif[i].written);
		p->sif[i].rules.known = false;
	}
}

static void disconnect(struct sync_priv *p)
{
	if (p->c)
		redisFree(p->c);
	p->c = NULL;
}

/*
 * Read every bucket of one table into p->rd. Returns the count, or
 * -errno. A full table that churns under the walk can cut the read short
 * (buckets.h): what was read is this cycle's, the rest waits for the
 * next; so a full table never fails the cycle.
 */
static long read_table(struct sync_priv *p, const struct tg_sync_iface *si)
{
	int err = tg_buckets_read(si->buckets_fd, tg_buckets_limit(si->max_sources),
				  TG_BUCKETS_BATCH, &p->rd);

	if (err)
		return err;
	if (p->rd.cut) {
		p->reads_cut++;
		tg_debug("%s: the table changed under the read (full and churning): %zu sources "
			 "this cycle, the rest the next (%llu reads cut short so far)", si->name,
			 p->rd.n, (unsigned long long)p->reads_cut);
	}
	return (long)p->rd.n;
}

static void try_connect(struct tg_sync *s, struct sync_priv *p, const struct tg_mirror_cfg *cfg)
{
	char why[256], url[400];

	if (p->c || !tg_backoff_due(&p->backoff))
		return;
	p->c = tg_redis_open(&cfg->url, cfg->timeout_ms, 0, why, sizeof(why));
	tg_redis_url_format(&cfg->url, url, sizeof(url));
	pthread_mutex_lock(&s->w.lock);
	if (p->c)
		s->stats.connects_ok++;
	else
		s->stats.connects_failed++;
	pthread_mutex_unlock(&s->w.lock);
	if (!p->c) {
		tg_backoff_failed(&p->backoff);
		if (!p->failed_logged)
			tg_warn("redis %s: %s; enforcing from local state, retrying with backoff",
				url, why);
		p->failed_logged = true;
		return;
	}
	tg_info("redis %s: connected; writing every live bucket (resync)", url);
	forget_written(p);
}

/*
 * A failure in the middle of a cycle: drop the connection (a reply may
 * be cut in the middle) and back off. Logged once per outage: a server
 * that keeps failing (loading its data, trickling) would otherwise fill
 * the log every cycle.
 */
static void redis_failed(struct sync_priv *p, const char *what, const char *why)
{
	tg_log(p->failed_logged ? TG_LOG_DEBUG : TG_LOG_WARN,
	       "redis: %s: %s; reconnecting with backoff", what, why);
	disconnect(p);
	tg_backoff_failed(&p->backoff);
	p->failed_logged = true;
}

/*
 * Write the dirty buckets in pipelined batches, each batch within the
 * timeout. Returns how many were written; on a failure the connection
 * is gone and the rest wait.
 */
static size_t write_dirty(struct sync_priv *p, const struct tg_mirror_cfg *cfg,
			  const struct sync_if *sif, const struct tg_sync_iface *si,
			  size_t ndirty, __s64 offset)
{
	char key[TG_KEY_MAX];
	size_t done = 0, i, j;

	for (i = 0; i < ndirty && p->c; i += PIPELINE_DEPTH) {
		size_t end = i + PIPELINE_DEPTH < ndirty ? i + PIPELINE_DEPTH : ndirty;
		__u64 deadline;

		for (j = i; j < end; j++) {
			struct wslot *w = p->dirty[j];

			__u64 us = tg_mono_to_redis_us(w->tat, offset);

			tg_key_format(key, sizeof(key), cfg->prefix, sif->zone, &w->src,
				      si->v4_prefix, si->v6_prefix);
			/* PXAT, the TAT itself in Redis' clock: the key expires
			 * when the bucket is full, however late the SET runs. */
			if (tg_redis_append(p->c, "SET %s %llu PXAT %llu", key,
					    (unsigned long long)us,
					    (unsigned long long)((us + 999) / 1000))) {
				redis_failed(p, "writing buckets", "out of memory");
				return done;
			}
		}
		deadline = tg_redis_deadline(cfg->timeout_ms, 0);
		for (j = i; j < end; j++) {
			redisReply *r;

			if (tg_redis_reply(p->c, deadline, &r) || !reply_ok(r)) {
				redis_failed(p, "writing buckets", tg_redis_why(p->c, r));
				freeReplyObject(r);
				return done;
			}
			freeReplyObject(r);
			done++;
		}
	}
	return done;
}

/* One interface's part of a cycle. Returns false if something was not written. */
static bool sync_iface(struct tg_sync *s, struct sync_priv *p, const struct tg_mirror_cfg *cfg,
		       const struct tg_sync_iface *si, int idx, __s64 offset, __u64 *written,
		       __u64 *unwritten)
{
	struct sync_if *sif = cfg->on ? sif_of(p, si->name, si->zone) : NULL;
	struct wtab next = {};
	size_t ndirty = 0, done = 0, i;
	__u64 now;
	long n;

	n = read_table(p, si);
	if (n < 0) {
		tg_warn("%s: reading the buckets: %s", si->name, strerror((int)-n));
		return false;
	}
	pthread_mutex_lock(&s->w.lock);
	for (idx = 0; idx < s->n; idx++)
		if (!strcmp(s->ifs[idx].name, si->name))
			s->tracked[idx] = (__u64)n < si->max_sources ? (__u64)n : si->max_sources;
	pthread_mutex_unlock(&s->w.lock);
	if (!sif)
		return true;
	/* Its restore has not finished: writing the fresh buckets would
	 * overwrite the state it is to restore. */
	if (si->restore_pending)
		return false;
	if (sif->v4_prefix != si->v4_prefix || sif->v6_prefix != si->v6_prefix) {
		/* A prefix changed live: new keys, everything to write. */
		if (sif->v4_prefix)
			tg_info("%s: the source prefix is now /%u and /%u: writing every live "
				"bucket under its new key", si->name, si->v4_prefix, si->v6_prefix);
		wtab_free(&sif->written);
		sif->v4_prefix = si->v4_prefix;
		sif->v6_prefix = si->v6_prefix;
	}
	if ((size_t)n > p->dirty_cap || !p->dirty) {
		free(p->dirty);
		p->dirty = calloc((size_t)n + 1, sizeof(*p->dirty));
		p->dirty_cap = p->dirty ? (size_t)n : 0;
	}
	if (!p->dirty || wtab_init(&next, (size_t)n)) {
		tg_warn("%s: out of memory for the sync", si->name);
		return false;
	}
	now = tg_mono_ns();
	for (i = 0; i < (size_t)n; i++) {
		const struct tg_bucket *b = &p->rd.vals[i];
		const struct wslot *old;
		struct wslot *w;

		if (b->tat_ns <= now)
			continue; /* full: no key (it expires by itself), nothing to keep */
		/* A rule's bucket is keyed by the rule's id, which a restore
		 * into a new trie would not give back, and a port group's by
		 * an id of this machine's: only the default limit's buckets
		 * are mirrored. */
		if (p->rd.keys[i].rule || p->rd.keys[i].group)
			continue;
		/* Cut with an earlier prefix ('tidegate set --v4-prefix'): no
		 * key fits it, and the program no longer looks it up. */
		if (!tg_source_fits(&p->rd.keys[i], si->v4_prefix, si->v6_prefix))
			continue;
		old = wtab_find(&sif->written, &p->rd.keys[i]);
		if (old && old->tat == b->tat_ns) {
			wtab_put(&next, &p->rd.keys[i], old->tat);
			continue;
		}
		/* Keep the old value until the write succeeds; the write uses
		 * the new TAT, taken from the slot below. */
		w = wtab_put(&next, &p->rd.keys[i], b->tat_ns);
		p->dirty[ndirty++] = w;
	}
	if (p->c)
		done = write_dirty(p, cfg, sif, si, ndirty, offset);
	/* What was not written must be tried again next cycle: mark it so
	 * (TAT 1 never equals a live TAT). */
	for (i = done; i < ndirty; i++)
		p->dirty[i]->tat = 1;
	wtab_free(&sif->written);
	sif->written = next;
	*written += done;
	*unwritten += ndirty - done;
	return done == ndirty;
}

/* The interface's rule state file, copied when it changed. false if
 * that failed (a failure of the connection drops it). */
static bool copy_rules(struct sync_priv *p, const struct tg_mirror_cfg *cfg,
		       const struct tg_sync_iface *si)
{
	struct sync_if *sif = sif_of(p, si->name, si->zone);
	char path[4096];
	int err;

	if (!sif || !cfg->state_dir[0] ||
	    tg_rulestate_path(cfg->state_dir, si->name, path, sizeof(path)))
		return true;
	err = tg_rules_redis_copy(p->c, tg_redis_deadline(cfg->timeout_ms, 0), cfg->prefix,
				  si->zone, path, &sif->rules);
	if (err == 1)
		tg_debug("%s: its rules copied to Redis", si->name);
	if (err == -ETIMEDOUT || err == -EIO || err == -EPROTO) {
		redis_failed(p, "copying the rules", tg_redis_why(p->c, NULL));
		return false;
	}
	if (err < 0)
		tg_warn("%s: copying its rules (%s) to Redis: %s", si->name, path,
			strerror(-err));
	return err >= 0;
}

/*
 * Restore what an interface's restore at attach could not: Redis away or
 * loading, the restore cut short. Tried again every cycle until it
 * completes; what it restores never overwrites a bucket the program
 * made since.
 */
static void late_restore(struct tg_sync *s, struct sync_priv *p, const struct tg_mirror_cfg *cfg,
			 struct tg_sync_iface *si)
{
	struct tg_restore_counts rc = {};
	char why[200];
	int k, err;

	err = tg_restore_on(p->c, cfg, si, tg_mono_ns() + TG_RESTORE_DEADLINE_MS * TG_NSEC_PER_MSEC,
			    &rc, why, sizeof(why));
	tg_sync_add_restore(s, &rc);
	if (err) {
		char what[80];

		snprintf(what, sizeof(what), "%.*s: restoring (cut short after %llu buckets)",
			 IF_NAMESIZE, si->name, (unsigned long long)rc.restored);
		redis_failed(p, what, why);
		return;
	}
	tg_info("%s: restored %llu buckets from Redis (late: it was away or cut short at attach)",
		si->name, (unsigned long long)rc.restored);
	si->restore_pending = false;
	pthread_mutex_lock(&s->w.lock);
	for (k = 0; k < s->n; k++)
		if (!strcmp(s->ifs[k].name, si->name))
			s->ifs[k].restore_pending = false;
	pthread_mutex_unlock(&s->w.lock);
}

static void cycle(struct tg_sync *s, struct sync_priv *p, const struct tg_mirror_cfg *cfg,
		  struct tg_sync_iface *ifs, int n, bool last)
{
	__u64 t0 = tg_mono_ns(), written = 0, unwritten = 0, now_us = 0;
	bool ok = true, timed = false, live[TG_MAX_IFACES];
	__s64 offset = 0, wall_offset = 0;
	char why[200];
	int i;

	/* The limits in force, from the maps: 'tidegate set' may have
	 * changed a prefix or the rate since the last cycle. */
	for (i = 0; i < n; i++) {
		int err = tg_sync_iface_refresh(&ifs[i]);

		live[i] = !err;
		if (err) {
			tg_warn("%s: reading the config in force: %s; not syncing it this cycle",
				ifs[i].name, strerror(-err));
			ok = false;
		}
	}
	if (cfg->on) {
		try_connect(s, p, cfg);
		if (p->c && tg_redis_time(p->c, tg_redis_deadline(cfg->timeout_ms, 0), &now_us,
					  &offset, why, sizeof(why)))
			redis_failed(p, "reading the clock", why);
		else if (p->c)
			timed = true;
		if (timed)
			wall_offset = tg_wall_offset(offset, tg_real_ns(), tg_mono_ns());
		/* A late restore, for interfaces attached while Redis was away
		 * or whose restore was cut short; not when stopping, which must
		 * not wait for it. */
		for (i = 0; p->c && !last && i < n; i++)
			if (ifs[i].restore_pending && live[i])
				late_restore(s, p, cfg, &ifs[i]);
	}
	for (i = 0; i < n; i++)
		if (live[i] && !sync_iface(s, p, cfg, &ifs[i], i, offset, &written, &unwritten))
			ok = false;
	for (i = 0; p->c && i < n; i++)
		if (!copy_rules(p, cfg, &ifs[i]))
			ok = false;
	if (cfg->on && !p->c)
		ok = false;
	pthread_mutex_lock(&s->w.lock);
	s->stats.redis_up = cfg->on && p->c;
	s->stats.written += written;
	s->stats.unwritten += unwritten;
	s->stats.last_duration_s = (double)(tg_mono_ns() - t0) / 1e9;
	if (timed) {
		s->stats.clock_known = true;
		s->stats.clock_offset_s = (double)wall_offset / 1e9;
	}
	if (p->c) {
		tg_backoff_reset(&p->backoff);
		p->failed_logged = false;
	}
	if (cfg->on) {
		if (ok) {
			s->stats.cycles_ok++;
			s->last_ok_ns = tg_mono_ns();
		} else {
			s->stats.cycles_failed++;
		}
	}
	pthread_mutex_unlock(&s->w.lock);
	if (written)
		tg_debug("sync: wrote %llu buckets in %.3f s", (unsigned long long)written,
			 (double)(tg_mono_ns() - t0) / 1e9);
}

/* *to = *from with its own fds; false if they cannot be duplicated. */
static bool sync_iface_dup(struct tg_sync_iface *to, const struct tg_sync_iface *from)
{
	*to = *from;
	to->buckets_fd = fcntl(from->buckets_fd, F_DUPFD_CLOEXEC, 0);
	to->config_fd = fcntl(from->config_fd, F_DUPFD_CLOEXEC, 0);
	to->config_gen_fd = fcntl(from->config_gen_fd, F_DUPFD_CLOEXEC, 0);
	if (to->buckets_fd >= 0 && to->config_fd >= 0 && to->config_gen_fd >= 0)
		return true;
	if (to->buckets_fd >= 0)
		close(to->buckets_fd);
	if (to->config_fd >= 0)
		close(to->config_fd);
	if (to->config_gen_fd >= 0)
		close(to->config_gen_fd);
	return false;
}

static void sync_iface_close(struct tg_sync_iface *si)
{
	close(si->buckets_fd);
	close(si->config_fd);
	close(si->config_gen_fd);
}

/* Under lock: copy the settings and duplicate the fds for one cycle. */
static int snapshot(struct tg_sync *s, struct tg_mirror_cfg *cfg, struct tg_sync_iface *ifs)
{
	int i, n = 0;

	*cfg = s->cfg;
	for (i = 0; i < s->n; i++)
		if (sync_iface_dup(&ifs[n], &s->ifs[i]))
			n++;
	return n;
}

static void *sync_main(void *arg)
{
	struct tg_sync *s = arg;
	struct sync_priv *p = s->priv;
	static struct tg_sync_iface ifs[TG_MAX_IFACES];
	struct tg_mirror_cfg cfg;
	bool last = false;
	int n, i;

	for (;;) {
		__u64 t;

		pthread_mutex_lock(&s->w.lock);
		if (s->w.gen != p->gen) {
			/* New settings: a new connection, a full write. */
			disconnect(p);
			forget_written(p);
			tg_backoff_reset(&p->backoff);
			p->gen = s->w.gen;
		}
		last = s->w.stop;
		n = snapshot(s, &cfg, ifs);
		pthread_mutex_unlock(&s->w.lock);

		if (!last || p->c)
			cycle(s, p, &cfg, ifs, n, last);
		for (i = 0; i < n; i++)
			sync_iface_close(&ifs[i]);
		if (last)
			break;

		t = tg_mono_ns() + cfg.interval_ms * TG_NSEC_PER_MSEC;
		pthread_mutex_lock(&s->w.lock);
		tg_worker_wait(&s->w, t, p->gen);
		pthread_mutex_unlock(&s->w.lock);
	}
	disconnect(p);
	return NULL;
}

int tg_sync_start(struct tg_sync *s)
{
	int err;

	s->priv = calloc(1, sizeof(*s->priv));
	if (!s->priv)
		return -ENOMEM;
	s->last_ok_ns = tg_mono_ns();
	srand((unsigned int)(tg_mono_ns() ^ (__u64)getpid()));
	err = tg_worker_start(&s->w, sync_main, s);
	if (err) {
		free(s->priv);
		s->priv = NULL;
	}
	return err;
}

void tg_sync_set(struct tg_sync *s, const struct tg_mirror_cfg *cfg,
		 const struct tg_sync_iface *ifs, int n)
{
	int i;

	pthread_mutex_lock(&s->w.lock);
	for (i = 0; i < s->n; i++)
		sync_iface_close(&s->ifs[i]);
	s->n = 0;
	for (i = 0; i < n; i++) {
		if (!sync_iface_dup(&s->ifs[s->n], &ifs[i])) {
			tg_warn("%s: duplicating its map fds: %s; not mirroring it", ifs[i].name,
				strerror(errno));
			continue;
		}
		s->tracked[s->n++] = 0;
	}
	if (memcmp(&s->cfg, cfg, sizeof(*cfg))) {
		s->cfg = *cfg;
		s->w.gen++;
	}
	s->stats.redis_configured = cfg->on;
	if (!cfg->on)
		s->stats.clock_known = false; /* no Redis, no offset to it */
	tg_worker_poke(&s->w);
	pthread_mutex_unlock(&s->w.lock);
}

void tg_sync_stop(struct tg_sync *s)
{
	int i;

	if (!s->w.running)
		return;
	tg_worker_stop(&s->w); /* after one last bounded cycle, if connected */
	for (i = 0; i < s->n; i++)
		sync_iface_close(&s->ifs[i]);
	s->n = 0;
	for (i = 0; i < TG_MAX_IFACES; i++)
		wtab_free(&s->priv->sif[i].written);
	tg_buckets_free(&s->priv->rd);
	free(s->priv->dirty);
	free(s->priv);
	s->priv = NULL;
}

void tg_sync_add_restore(struct tg_sync *s, const struct tg_restore_counts *rc)
{
	int r;

	pthread_mutex_lock(&s->w.lock);
	s->stats.restored += rc->restored;
	s->stats.restore_full += rc->full;
	for (r = 0; r < TG_NR_REJECT; r++)
		s->stats.rejected[r] += rc->rejected[r];
	pthread_mutex_unlock(&s->w.lock);
}

void tg_sync_read(struct tg_sync *s, struct tg_metrics_sync *out)
{
	pthread_mutex_lock(&s->w.lock);
	*out = s->stats;
	out->lag_s = (double)(tg_mono_ns() - s->last_ok_ns) / 1e9;
	if (!s->stats.redis_configured)
		out->lag_s = 0;
	pthread_mutex_unlock(&s->w.lock);
}

bool tg_sync_restored(struct tg_sync *s, const char *name)
{
	bool done = false;
	int i;

	pthread_mutex_lock(&s->w.lock);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->ifs[i].name, name))
			done = !s->ifs[i].restore_pending;
	pthread_mutex_unlock(&s->w.lock);
	return done;
}

__u64 tg_sync_tracked(struct tg_sync *s, const char *name)
{
	__u64 v = 0;
	int i;

	pthread_mutex_lock(&s->w.lock);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->ifs[i].name, name))
			v = s->tracked[i];
	pthread_mutex_unlock(&s->w.lock);
	return v;
}
