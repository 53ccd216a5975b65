// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fleet.c - the fleet thread: deltas to Redis, the fleet's view into tg_floor
 * (written there by fleet_floors.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "backoff.h"
#include "buckets.h"
#include "cfgslots.h"
#include "clock.h"
#include "fleet.h"
#include "fleet_calls.h"
#include "fleet_floors.h"
#include "fleet_rules.h"
#include "fleet_slots.h"
#include "fleet_store.h"
#include "log.h"
#include "rkeys.h"
#include "shard.h"

#define DENIALS_PER_READ 10000 /* stream entries a cycle reads at most */
/* On a (re)connect, denials announced this recently are read again. */
#define DENIALS_LOOKBACK_MS (TG_FLEET_DEBT_MS + 1000)

/* What the thread keeps of one interface between cycles. */
struct fleet_if {
	char name[IF_NAMESIZE];
	bool used;
	char other[200]; /* the member with other limits last reported, "" */
	bool floors_full; /* a floor could not be written; until a sweep frees some */
	struct tg_fleet pub; /* what it publishes in tg_fleet */
	struct tg_fleet_slots slots; /* the share its front slots stand for */
	struct tg_fleet_rules rules; /* its limit rules, read once a beat or on a miss */
	__u64 rules_cycle; /* the cycle that last read them (0: never) */
	/* The port groups they were read with: ids are reused, so a change
	 * is read at once (groups_changed). */
	struct tg_port_group groups[TG_PORT_GROUPS];
	struct tg_fleet_calls calls; /* its pushes unanswered, to send again */
};

/* What one push's keys and charge follow: the interface's default limit,
 * or one of its limit rules. */
struct push_limit {
	const char *zone;
	unsigned int v4_prefix, v6_prefix;
	__u64 interval_ns, tolerance_ns;
};

struct fleet_priv {
	struct tg_fleet_store *st;
	unsigned int gen;
	struct tg_backoff backoff;
	bool failed_logged;
	char node[96];
	char last_id[48];
	__u64 members;     /* the fleet's size at the last heartbeat; 0: not known */
	__u64 last_beat_ns;
	__u64 last_ack_us; /* Redis' time of the last acknowledged push */
	bool replay;       /* pushes failed since: replay with the refill credited */
	unsigned int degraded; /* shards this cycle's pushes could not reach */
	/* Shards held to the outage share: those whose master is away, and
	 * those a push of this cycle could not reach. */
	__u64 shards_away[TG_SHARD_WORDS];
	bool degraded_logged;
	struct fleet_if fif[TG_MAX_IFACES];
	struct tg_bucket_read rd;
	struct tg_fleet_item *items;
	struct tg_push_meta *meta;
	size_t cap;
	const struct tg_fleet_item **onsets;
	struct tg_floor_read fl; /* the interface's floors at its push */
	bool *seen;              /* floors whose source has a bucket, by index */
	/* A batch of floors to write or delete: TG_MAX_FLOORS of each. */
	struct tg_source *bsrc;
	struct tg_floor *bfloor;
	__u64 last_sweep_ns;
	bool sweep_due;          /* this cycle's pushes sweep the floors */
	__u64 cycles;            /* cycles begun, from 1 */
	__u64 next_call;         /* the last push call's id */
	char call_prefix[TG_KEY_MAX];
	/* By shard, the lowest id of a call unanswered on any interface
	 * (0: none), which Redis must remember (tg_fleet_charge.floor). */
	__u64 call_floor[TG_REDIS_SHARDS];
};

static struct fleet_if *fif_of(struct fleet_priv *p, const char *name)
{
	int i, free_i = -1;

	for (i = 0; i < TG_MAX_IFACES; i++) {
		if (p->fif[i].used && !strcmp(p->fif[i].name, name))
			return &p->fif[i];
		if (!p->fif[i].used && free_i < 0)
			free_i = i;
	}
	if (free_i < 0)
		return NULL;
	memset(&p->fif[free_i], 0, sizeof(p->fif[free_i]));
	p->fif[free_i].used = true;
	snprintf(p->fif[free_i].name, sizeof(p->fif[free_i].name), "%s", name);
	return &p->fif[free_i];
}

static void key_prefix(char *buf, size_t len, const struct tg_fleet_cfg *cfg)
{
	snprintf(buf, len, "%s:fleet:%s", cfg->prefix, cfg->name);
}

/* Read the interface's limit rules and port groups again, at most once
 * a cycle: one added since is found at once, and a limit changed within
 * a beat. */
static void rules_refresh(struct fleet_priv *p, const struct tg_fleet_iface *fi,
			  struct fleet_if *fif)
{
	int err;

	if (fif->rules_cycle == p->cycles)
		return;
	fif->rules_cycle = p->cycles;
	err = tg_fleet_rules_read(fi->rules_fd, fi->si.port_groups, fi->si.zone,
				  fi->si.v4_prefix, fi->si.v6_prefix, &fif->rules);
	if (!err)
		memcpy(fif->groups, fi->si.port_groups, sizeof(fif->groups));
	if (err)
		tg_warn("%s: reading its rules and port groups for the fleet: %s", fi->si.name,
			strerror(-err));
}

/* A limit rule or port group by its limit id here, read again if it is
 * new; NULL for any other rule (a deny rule's buckets only count drops)
 * or one gone. */
static const struct tg_fleet_rule *rule_of(struct fleet_priv *p, const struct tg_fleet_iface *fi,
					   struct fleet_if *fif, __u32 id)
{
	const struct tg_fleet_rule *r = tg_fleet_rule_by_id(&fif->rules, id);

	if (r)
		return r;
	rules_refresh(p, fi, fif);
	return tg_fleet_rule_by_id(&fif->rules, id);
}

/* The limit a push of these sources follows: none the default's. */
static void push_limit_of(const struct tg_fleet_iface *fi, const struct tg_fleet_rule *r,
			  struct push_limit *pl)
{
	const struct tg_sync_iface *si = &fi->si;

	*pl = r ? (struct push_limit){ r->zone, r->v4_prefix, r->v6_prefix, r->interval_ns,
				       r->tolerance_ns }
		: (struct push_limit){ si->zone, si->v4_prefix, si->v6_prefix, si->interval_ns,
				       si->tolerance_ns };
}

/* The fleet-wide keys share the fleet's hash tag: one slot in a cluster. */
static void fleet_key(char *buf, size_t len, const struct tg_fleet_cfg *cfg, const char *what,
		      const char *zone)
{
	snprintf(buf, len, "%s:fleet:{%s}:%s%s%s", cfg->prefix, cfg->name, what, zone ? ":" : "",
		 zone ? zone : "");
}

static void disconnect(struct fleet_priv *p)
{
	tg_fleet_store_close(p->st);
	p->st = NULL;
}

static void redis_failed(struct fleet_priv *p, const char *what, const char *why)
{
	tg_log(p->failed_logged ? TG_LOG_DEBUG : TG_LOG_WARN,
	       "fleet: %s: %s; enforcing the local share, reconnecting with backoff", what, why);
	disconnect(p);
	tg_backoff_failed(&p->backoff);
	p->failed_logged = true;
	p->replay = true;
}

static void try_connect(struct fleet_priv *p, const struct tg_fleet_cfg *cfg)
{
	char why[256], url[400], route[TG_KEY_MAX];
	__u64 now_us;
	__s64 off;

	if (p->st || !tg_backoff_due(&p->backoff))
		return;
	tg_redis_url_format(&cfg->url, url, sizeof(url));
	if (tg_fleet_store_open(&p->st, &cfg->url, cfg->timeout_ms, why, sizeof(why))) {
		tg_backoff_failed(&p->backoff);
		if (!p->failed_logged)
			tg_warn("fleet %s: redis %s: %s; enforcing the local share (r * %u / N), "
				"retrying with backoff", cfg->name, url, why, TG_FLEET_FALLBACK_H);
		p->failed_logged = true;
		p->replay = true;
		return;
	}
	/* Denials announced while we were away and still in force. */
	fleet_key(route, sizeof(route), cfg, "nodes", NULL);
	if (!tg_fleet_store_time(p->st, route, &now_us, &off, why, sizeof(why)))
		snprintf(p->last_id, sizeof(p->last_id), "%llu-0",
			 (unsigned long long)(now_us / 1000 - DENIALS_LOOKBACK_MS));
	tg_info("fleet %s: redis %s: connected as %s", cfg->name, url, p->node);
	p->last_beat_ns = 0; /* a heartbeat at once */
}

/* Below this many buckets a push looks up each source's floor instead of
 * reading tg_floor whole. */
#define FLOORS_READ_MIN 2048

/* The sources of one push are sent CHUNK at a time: the items carry
 * their keys (TG_KEY_MAX each), so their memory stays bounded whatever
 * the table's size; the per-source facts (meta) follow the table. */
#define CHUNK 4096

static int reserve(struct fleet_priv *p, size_t n)
{
	if (!p->items)
		p->items = calloc(CHUNK, sizeof(*p->items));
	if (!p->onsets)
		p->onsets = calloc(CHUNK, sizeof(*p->onsets));
	if (!p->bsrc)
		p->bsrc = calloc(TG_MAX_FLOORS, sizeof(*p->bsrc));
	if (!p->bfloor)
		p->bfloor = calloc(TG_MAX_FLOORS, sizeof(*p->bfloor));
	if (!p->seen)
		p->seen = calloc(TG_MAX_FLOORS, sizeof(*p->seen));
	if (!p->items || !p->onsets || !p->bsrc || !p->bfloor || !p->seen)
		return -ENOMEM;
	if (n <= p->cap)
		return 0;
	free(p->meta);
	p->meta = calloc(n, sizeof(*p->meta));
	p->cap = p->meta ? n : 0;
	return p->cap ? 0 : -ENOMEM;
}

/* By limit (rule id), then shard: one charge per push, one call per
 * shard batch. */
static int by_rule_shard(const void *a, const void *b)
{
	const struct tg_push_meta *x = a, *y = b;

	__u32 a_id = tg_fleet_limit_id(&x->src), b_id = tg_fleet_limit_id(&y->src);

	if (a_id != b_id)
		return a_id < b_id ? -1 : 1;
	return x->shard < y->shard ? -1 : x->shard > y->shard;
}

/*
 * Whether the port groups changed since the rules were read (set --port
 * writes the maps, not to the daemon; the cycle's refresh of si read
 * them). A group id may now be another group's: the calls unanswered of
 * group buckets are dropped (pushed anew, erring towards denying), lest
 * they go out under the new name.
 */
static bool groups_changed(const struct tg_fleet_iface *fi, struct fleet_if *fif)
{
	if (!memcmp(fi->si.port_groups, fif->groups, sizeof(fif->groups)))
		return false;
	tg_fleet_calls_drop_groups(&fif->calls);
	return true;
}

/* The call floors of the calls any interface may still send again; an
 * interface no longer in ifs[] sends none. */
static void floors_of_pending(struct fleet_priv *p, const struct tg_fleet_iface *ifs, int n)
{
	__u64 now = tg_mono_ns();
	size_t i;
	int j;

	memset(p->call_floor, 0, sizeof(p->call_floor));
	for (i = 0; i < TG_MAX_IFACES; i++) {
		struct fleet_if *fif = &p->fif[i];

		if (!fif->used || !fif->calls.n)
			continue;
		for (j = 0; j < n && strcmp(ifs[j].si.name, fif->name); j++)
			;
		if (j == n)
			tg_fleet_calls_free(&fif->calls);
		else
			tg_fleet_calls_floors(&fif->calls, now, p->call_floor);
	}
}

/* Push n sources (m, of one limit, adjacent by shard), write their
 * floors, announce the denials among them. false: Redis failed (the
 * connection is gone). */
static bool push_chunk(struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		       const struct tg_fleet_iface *fi, struct fleet_if *fif,
		       const struct push_limit *pl, const struct tg_fleet_charge *ch,
		       const struct tg_push_meta *meta, size_t n, __s64 offset)
{
	char prefix[TG_KEY_MAX], why[256];
	size_t i, nonset = 0, nput = 0;
	__u64 now = tg_mono_ns();
	int err;

	key_prefix(prefix, sizeof(prefix), cfg);
	for (i = 0; i < n; i++) {
		struct tg_fleet_item *it = &p->items[i];

		memset(it, 0, sizeof(*it));
		it->delta = meta[i].delta;
		it->shard = meta[i].shard;
		it->call = meta[i].call;
		tg_key_format(it->key, sizeof(it->key), prefix, pl->zone, &meta[i].src,
			      pl->v4_prefix, pl->v6_prefix);
	}
	err = tg_fleet_store_push(p->st, ch, p->items, n, why, sizeof(why));
	for (i = 0; i < n; i++) {
		const struct tg_fleet_item *it = &p->items[i];
		const struct tg_push_meta *m = &meta[i];
		__u64 tat;

		fif->pub.pushed++;
		if (!it->acked) {
			tg_shard_set(p->shards_away, it->shard);
			/* Applied or not, Redis may not have said: send the
			 * call again as it was, until it answers. */
			if (!it->call)
				continue;
			/* Remembered by Redis from now: before any later call
			 * of this cycle to the shard. */
			tg_fleet_call_floor_lower(p->call_floor, it->shard, it->call);
			if (!tg_fleet_calls_add(&fif->calls, m, it->call, m->call ? m->sent_ns : now))
				tg_warn("%s: out of memory for the pushes to send again: counted "
					"again when pushed", fi->si.name);
			continue;
		}
		if (m->call) {
			fif->pub.resent++;
			fif->pub.resent_applied += it->applied_before;
		}
		fif->pub.acked++;
		fif->pub.tokens += it->delta;
		tat = it->tat_us ? tg_redis_us_to_mono(it->tat_us, offset) : 0;
		p->bsrc[nput] = m->src;
		p->bfloor[nput++] = (struct tg_floor){ .tat_ns = tat, .mark = m->admitted };
		/* A denial begins, or lasts more than an interval longer than
		 * last said: announce it, so machines that never saw the source
		 * drop it too, for as long as the fleet does. Judged at the
		 * time Redis computed the TAT, not the cycle's start: a long
		 * cycle would otherwise take every TAT for a denial. */
		if (it->tat_us && (double)it->tat_us - ch->tolerance_us > (double)it->now_us &&
		    (!m->had_floor || m->old_tat <= now + pl->tolerance_ns ||
		     tat > m->old_tat + cfg->interval_ms * TG_NSEC_PER_MSEC))
			p->onsets[nonset++] = it;
	}
	tg_floors_put(fi->floor_fd, p->bsrc, p->bfloor, nput, &fif->pub, &fif->floors_full);
	if (err) {
		redis_failed(p, "pushing deltas", why);
		return false;
	}
	/* A cluster's master away: its shards stay unacked (their marks do
	 * not move, so those admissions go with a later push) and the
	 * others went through. */
	if (tg_fleet_store_degraded(p->st)) {
		if (!p->degraded_logged)
			tg_warn("fleet %s: %u shards not pushed: %s; their sources are held to "
				"the local share of an outage until their master answers",
				cfg->name, tg_fleet_store_degraded(p->st), why);
		p->degraded_logged = true;
		p->degraded += tg_fleet_store_degraded(p->st);
	}
	if (nonset) {
		char stream[TG_KEY_MAX];

		fleet_key(stream, sizeof(stream), cfg, "denials", NULL);
		err = tg_fleet_store_announce(p->st, stream, p->onsets, nonset, why, sizeof(why));
		if (err) {
			redis_failed(p, "announcing denials", why);
			return false;
		}
		fif->pub.onsets_sent += nonset;
	}
	return true;
}

/*
 * Send again the calls of this interface whose replies were lost, each
 * with its id and items as first sent: Redis applies each call once. The
 * unanswered go back to the list. false: Redis failed under it.
 */
static bool resend(struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		   const struct tg_fleet_iface *fi, struct fleet_if *fif,
		   struct tg_fleet_charge *ch, __s64 offset)
{
	size_t i, j, n, k;
	struct tg_push_meta *v = tg_fleet_calls_take(&fif->calls, &n);
	__u64 now = tg_mono_ns();
	struct push_limit pl;
	bool ok = true;

	for (i = 0; i < n; i = j) {
		__u32 rule = tg_fleet_limit_id(&v[i].src);
		const struct tg_fleet_rule *r = rule ? tg_fleet_rule_by_id(&fif->rules, rule) : NULL;

		/* A run of one limit, cut between calls: at most CHUNK. */
		for (j = i + 1; j < n && tg_fleet_limit_id(&v[j].src) == rule &&
				tg_fleet_call_expired(&v[j], now) ==
					tg_fleet_call_expired(&v[i], now) &&
				(v[j].call == v[j - 1].call || j - i + TG_FLEET_BATCH <= CHUNK);
		     j++)
			;
		if (!ok) { /* Redis failed: kept for the next cycle */
			for (k = i; k < j; k++)
				tg_fleet_calls_add(&fif->calls, &v[k], v[k].call, v[k].sent_ns);
			continue;
		}
		if (rule && !r)
			continue; /* a rule deleted since: its deltas are no one's now */
		if (tg_fleet_call_expired(&v[i], now)) {
			tg_debug("%s: %zu deltas unanswered for too long: pushed anew", fi->si.name,
				 j - i);
			continue;
		}
		push_limit_of(fi, r, &pl);
		ch->interval_us = (double)pl.interval_ns / 1000.0;
		ch->tolerance_us = (double)pl.tolerance_ns / 1000.0;
		ok = push_chunk(p, cfg, fi, fif, &pl, ch, v + i, j - i, offset);
	}
	free(v);
	/* Their sources stay out of this cycle's pushes. */
	tg_fleet_calls_index(&fif->calls);
	return ok;
}

/*
 * One interface's push. Returns false if Redis failed under it (the
 * connection is then gone); the marks of what was not acknowledged do
 * not move, so those admissions go with the next push.
 */
static bool push_iface(struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		       const struct tg_fleet_iface *fi, struct fleet_if *fif, __u64 now_us,
		       __s64 offset)
{
	const struct tg_sync_iface *si = &fi->si;
	struct tg_fleet_charge ch = {
		.debt_us = TG_FLEET_DEBT_MS * 1000ULL,
		.start_us = p->replay ? p->last_ack_us : 0,
		.call_prefix = p->call_prefix,
		.node = p->node,
		.next_call = &p->next_call,
		.floor = p->call_floor,
	};
	struct push_limit pl;
	size_t i, j, n = 0;
	bool full, whole;
	int err;

	/* Before the tables are read: what a resend acknowledges moves the
	 * marks the push computes its deltas from. */
	if (fif->calls.n) {
		if (reserve(p, 1)) {
			tg_warn("%s: out of memory for the fleet's push", si->name);
			return true;
		}
		if (!resend(p, cfg, fi, fif, &ch, offset))
			return false;
	}

	/* The floors whole when there are many sources (a few syscalls,
	 * where a lookup each would cost more than the push) or a sweep is
	 * due; a few sources look theirs up, sparing a walk of every hash
	 * bucket of tg_floor each cycle. */
	err = tg_buckets_read(si->buckets_fd, tg_buckets_limit(si->max_sources), TG_BUCKETS_BATCH,
			      &p->rd);
	whole = p->sweep_due || p->rd.n >= FLOORS_READ_MIN;
	if (!err && whole)
		err = tg_floors_read(fi->floor_fd, &p->fl);
	if (err) {
		tg_warn("%s: reading the buckets and floors: %s", si->name, strerror(-err));
		return true;
	}
	if (reserve(p, p->rd.n + 1)) {
		tg_warn("%s: out of memory for the fleet's push", si->name);
		return true;
	}
	/* A read cut short would take floors of live sources for gone. */
	if (p->sweep_due && !p->rd.cut && !p->fl.cut &&
	    tg_floors_sweep(fi->floor_fd, &p->rd, &p->fl, p->seen, p->bsrc))
		fif->floors_full = false;
	full = fif->floors_full; /* until a sweep makes room */
	for (i = 0; i < p->rd.n; i++) {
		const struct tg_source *src = &p->rd.keys[i];
		const struct tg_bucket *b = &p->rd.vals[i];
		const struct tg_fleet_rule *r = NULL;
		const struct tg_floor *f;
		struct tg_floor one;
		bool have;
		__u64 mark;

		if (tg_fleet_limit_id(src) && !(r = rule_of(p, fi, fif, tg_fleet_limit_id(src))))
			continue;
		if (tg_fleet_calls_has(&fif->calls, src))
			continue;
		push_limit_of(fi, r, &pl);
		if (!tg_source_fits(src, pl.v4_prefix, pl.v6_prefix))
			continue;
		if (whole)
			f = tg_floors_find(&p->fl, src);
		else
			f = bpf_map_lookup_elem(fi->floor_fd, src, &one) ? NULL : &one;
		have = f != NULL;
		/* tg_floor was full last time: a source without a floor has
		 * nowhere to keep its mark, and pushed now it would be pushed
		 * whole again next time. Left to its local share. */
		if (!have && full)
			continue;
		mark = have ? f->mark : 0;
		if (b->admitted < mark)
			mark = 0; /* evicted and made again: its count restarted */
		if (b->admitted == mark)
			continue;
		/* A spoofed source sends one SYN: not worth a key in Redis. */
		if (b->admitted < TG_FLEET_MIN_ADMITTED && !b->dropped)
			continue;
		p->meta[n++] = (struct tg_push_meta){
			.src = *src,
			.shard = tg_source_shard(src),
			.delta = b->admitted - mark,
			.admitted = b->admitted,
			.had_floor = have,
			.old_tat = have ? f->tat_ns : 0,
		};
	}
	if (!n)
		return true;
	qsort(p->meta, n, sizeof(*p->meta), by_rule_shard);
	for (i = 0; i < n; i = j) {
		__u32 rule = tg_fleet_limit_id(&p->meta[i].src);
		const struct tg_fleet_rule *r = rule ? tg_fleet_rule_by_id(&fif->rules, rule) : NULL;

		for (j = i + 1; j < n && j - i < CHUNK && tg_fleet_limit_id(&p->meta[j].src) == rule;
		     j++)
			;
		if (rule && !r)
			continue; /* not possible: the rules are read before, not during */
		push_limit_of(fi, r, &pl);
		ch.interval_us = (double)pl.interval_ns / 1000.0;
		ch.tolerance_us = (double)pl.tolerance_ns / 1000.0;
		if (!push_chunk(p, cfg, fi, fif, &pl, &ch, p->meta + i, j - i, offset))
			return false;
	}
	return true;
}

/*
 * The source a fleet key names on this interface: a bucket of its
 * default limit ("PREFIX:ZONE:{s:..."), or of a limit rule or port group
 * this machine has too ("PREFIX:ZONE@CIDR:{s:...", "PREFIX:ZONE#PORTS:
 * {s:...", given this machine's id).
 */
static int fleet_key_parse(struct fleet_priv *p, const struct tg_fleet_iface *fi,
			   struct fleet_if *fif, const char *prefix, const char *key, size_t len,
			   struct tg_source *src)
{
	const struct tg_sync_iface *si = &fi->si;
	size_t pl = strlen(prefix), zl = strlen(si->zone);
	const struct tg_fleet_rule *r;
	const char *zone, *end;

	if (!tg_key_parse(key, len, prefix, si->zone, si->v4_prefix, si->v6_prefix, src))
		return 0;
	if (len < pl + 1 + zl + 1 || memcmp(key, prefix, pl) || key[pl] != ':')
		return -EINVAL;
	zone = key + pl + 1;
	if (memcmp(zone, si->zone, zl) || (zone[zl] != '@' && zone[zl] != '#'))
		return -EINVAL;
	end = memmem(zone, len - pl - 1, ":{s:", 4);
	if (!end)
		return -EINVAL;
	r = tg_fleet_rule_by_zone(&fif->rules, zone, (size_t)(end - zone));
	if (!r) {
		rules_refresh(p, fi, fif); /* a rule added here since they were read */
		r = tg_fleet_rule_by_zone(&fif->rules, zone, (size_t)(end - zone));
	}
	if (!r || tg_key_parse(key, len, prefix, r->zone, r->v4_prefix, r->v6_prefix, src))
		return -EINVAL;
	tg_fleet_limit_set(src, r->id);
	return 0;
}

struct denial_ctx {
	const struct tg_fleet_cfg *cfg;
	struct fleet_priv *p;
	const struct tg_fleet_iface *ifs;
	int n;
	__s64 offset;
	__u64 now_us; /* Redis' time at this cycle's start */
};

/* The most a denial read from the stream is carried forward. */
#define DENIAL_LAG_MAX_US 1000000ULL

/*
 * A denial another member (or this one) announced: raise the floor.
 * Its TAT is carried forward by the time since it was read (at_us): a
 * source the fleet denies keeps the fleet at its limit, every token
 * taken as soon as it comes, by machines this one does not hear of
 * until their next announcement. So the denial is kept as long as it
 * was announced to last, from when it arrives; for a source that
 * stopped at once, that denies at most the announcement's lag (an
 * interval and a round trip) longer: the side to err on.
 */
static void on_denial(void *arg, const char *key, size_t len, __u64 tat_us, __u64 at_us)
{
	struct denial_ctx *dc = arg;
	char prefix[TG_KEY_MAX];
	int i;

	if (at_us && dc->now_us > at_us)
		tat_us += dc->now_us - at_us < DENIAL_LAG_MAX_US ? dc->now_us - at_us
								  : DENIAL_LAG_MAX_US;

	key_prefix(prefix, sizeof(prefix), dc->cfg);
	for (i = 0; i < dc->n; i++) {
		const struct tg_fleet_iface *fi = &dc->ifs[i];
		struct fleet_if *fif = fif_of(dc->p, fi->si.name);
		__u64 tat = tg_redis_us_to_mono(tat_us, dc->offset);
		struct tg_source src;
		struct tg_floor f;

		if (tat <= tg_mono_ns())
			return; /* over already */
		if (!fif || fleet_key_parse(dc->p, fi, fif, prefix, key, len, &src))
			continue;
		fif->pub.onsets_read++;
		if (!bpf_map_lookup_elem(fi->floor_fd, &src, &f)) {
			if (f.tat_ns >= tat)
				continue; /* a floor never moves back */
		} else {
			f.mark = 0; /* none of this machine's admissions are in it */
		}
		tg_floor_put(fi->floor_fd, &src, tat, f.mark, &fif->pub, &fif->floors_full);
	}
}

/* Limits as members compare them: what the fleet must agree on, the
 * default limit, the limit rules and the port groups. */
static void limits_sig(const struct tg_sync_iface *si, const struct tg_fleet_rules *rules,
		       char *buf, size_t len)
{
	struct tg_config c;

	if (tg_config_read(si->config_fd, si->config_gen_fd, &c)) {
		snprintf(buf, len, "unknown");
		return;
	}
	snprintf(buf, len, "rate %u per %llu ns, burst %u, /%u and /%u; %s", c.rate_count,
		 (unsigned long long)c.rate_period_ns, c.burst, c.v4_prefix, c.v6_prefix,
		 rules->sig[0] ? rules->sig : "rules unread");
}

static bool heartbeat(struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		      const struct tg_fleet_iface *ifs, int n)
{
	char nodes[TG_KEY_MAX], limits[TG_KEY_MAX], sig[128], why[256];
	__u64 members = 0;
	int i;

	fleet_key(nodes, sizeof(nodes), cfg, "nodes", NULL);
	for (i = 0; i < n; i++) {
		struct fleet_if *fif = fif_of(p, ifs[i].si.name);
		struct tg_fleet_beat b;

		if (!fif)
			continue;
		fleet_key(limits, sizeof(limits), cfg, "limits", ifs[i].si.zone);
		rules_refresh(p, &ifs[i], fif);
		limits_sig(&ifs[i].si, &fif->rules, sig, sizeof(sig));
		if (tg_fleet_store_beat(p->st, nodes, limits, p->node, sig, TG_FLEET_STALE_MS, &b,
					why, sizeof(why))) {
			redis_failed(p, "heartbeat", why);
			return false;
		}
		members = b.members;
		if (b.other_node[0]) {
			char other[200];

			fif->pub.mismatch++;
			snprintf(other, sizeof(other), "%s: %s", b.other_node, b.other_sig);
			if (strcmp(other, fif->other))
				tg_err("fleet %s, zone %s: member %s enforces %s, this one (%s) %s: "
				       "the members do not hold one limit; give them the same",
				       cfg->name, ifs[i].si.zone, b.other_node, b.other_sig, p->node,
				       sig);
			snprintf(fif->other, sizeof(fif->other), "%s", other);
		} else {
			fif->other[0] = '\0';
		}
	}
	if (members && members != p->members)
		tg_info("fleet %s: %llu members", cfg->name, (unsigned long long)members);
	if (members)
		p->members = members;
	return true;
}

/* The cluster's masters, for status and metrics (none: standalone). */
static void masters_put(struct fleet_priv *p, struct tg_fleet *pub)
{
	struct tg_rc_master m[TG_FLEET_MASTERS];
	size_t k, n = p->st ? tg_fleet_store_masters(p->st, m, TG_FLEET_MASTERS) : 0;

	if (!p->st)
		return; /* the last known, shown as away by redis */
	pub->nmasters = (__u32)(n < TG_FLEET_MASTERS ? n : TG_FLEET_MASTERS);
	for (k = 0; k < pub->nmasters; k++) {
		snprintf(pub->masters[k].addr, sizeof(pub->masters[k].addr), "%.*s",
			 (int)sizeof(pub->masters[k].addr) - 1, m[k].addr);
		pub->masters[k].up = m[k].up;
		pub->masters[k].slots = m[k].slots;
	}
}

static void publish(struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		    const struct tg_fleet_iface *fi, bool synced, __u64 took_ns)
{
	struct fleet_if *fif = fif_of(p, fi->si.name);
	int err;

	if (!fif)
		return;
	fif->pub.size = (__u32)(p->members ? p->members : 1);
	fif->pub.burst_k = (__u16)cfg->burst_k;
	/* The outage share: for every source while Redis is away, else for
	 * the sources of the shards whose master is (XDP finds a source's
	 * shard the way its keys are tagged, include/shard.h). */
	fif->pub.fallback_h = synced ? 0 : TG_FLEET_FALLBACK_H;
	fif->pub.shard_h = tg_shard_any(p->shards_away) ? TG_FLEET_FALLBACK_H : 0;
	memcpy(fif->pub.shards_away, p->shards_away, sizeof(p->shards_away));
	fif->pub.shards_degraded = p->degraded;
	masters_put(p, &fif->pub);
	fif->pub.interval_ms = cfg->interval_ms;
	fif->pub.last_cycle_ns = took_ns;
	if (took_ns > fif->pub.max_cycle_ns)
		fif->pub.max_cycle_ns = took_ns;
	if (synced) {
		fif->pub.cycles++;
		fif->pub.last_ok_ns = tg_mono_ns();
	} else {
		fif->pub.cycles_failed++;
	}
	snprintf(fif->pub.name, sizeof(fif->pub.name), "%s", cfg->name);
	err = tg_fleet_publish(&fif->slots, fi->fleet_fd, &fif->pub);
	if (err)
		tg_warn("%s: writing tg_fleet: %s", fi->si.name, strerror(-err));
}

/* Void, in one grace period, the front slots of the interfaces whose
 * share publish moved (fleet_slots.h); one that fails is tried again at
 * the next cycle. */
static void void_moved(struct fleet_priv *p, const struct tg_fleet_iface *ifs, int n)
{
	struct tg_fleet_slots *due[TG_MAX_IFACES];
	const struct tg_fleet *pubs[TG_MAX_IFACES];
	int gen_fds[TG_MAX_IFACES], i, k = 0;

	for (i = 0; i < n; i++) {
		struct fleet_if *fif = fif_of(p, ifs[i].si.name);

		if (fif && fif->slots.void_due) {
			due[k] = &fif->slots;
			pubs[k] = &fif->pub;
			gen_fds[k++] = ifs[i].si.config_gen_fd;
		}
	}
	tg_fleet_slots_void(due, pubs, gen_fds, k);
}

static void cycle(struct tg_worker *w, struct fleet_priv *p, const struct tg_fleet_cfg *cfg,
		  struct tg_fleet_iface *ifs, int n)
{
	__u64 t0 = tg_mono_ns(), now_us = 0;
	bool ok = true, live[TG_MAX_IFACES];
	__s64 offset = 0;
	char why[256], route[TG_KEY_MAX];
	int i;

	for (i = 0; i < n; i++)
		live[i] = !tg_sync_iface_refresh(&ifs[i].si);
	try_connect(p, cfg);
	p->degraded = 0;
	p->cycles++;
	key_prefix(p->call_prefix, sizeof(p->call_prefix), cfg);
	/* The clock of the master that holds the fleet's own keys. */
	fleet_key(route, sizeof(route), cfg, "nodes", NULL);
	if (p->st && tg_fleet_store_time(p->st, route, &now_us, &offset, why, sizeof(why)))
		redis_failed(p, "reading the clock", why);
	/* Floors are swept once a heartbeat period, by the pushes. */
	p->sweep_due = t0 - p->last_sweep_ns >= TG_FLEET_BEAT_MS * TG_NSEC_PER_MSEC;
	if (p->sweep_due)
		p->last_sweep_ns = t0;
	memset(p->shards_away, 0, sizeof(p->shards_away));
	floors_of_pending(p, ifs, n);
	for (i = 0; ok && p->st && i < n; i++) {
		struct fleet_if *fif = fif_of(p, ifs[i].si.name);

		if (live[i] && fif &&
		    (p->sweep_due || !fif->rules_cycle || groups_changed(&ifs[i], fif)))
			rules_refresh(p, &ifs[i], fif);
		if (live[i] && fif)
			ok = push_iface(p, cfg, &ifs[i], fif, now_us, offset);
	}
	if (p->st) {
		struct denial_ctx dc = { cfg, p, ifs, n, offset, now_us };
		char stream[TG_KEY_MAX];
		long got;

		fleet_key(stream, sizeof(stream), cfg, "denials", NULL);
		got = tg_fleet_store_denials(p->st, stream, p->last_id, sizeof(p->last_id),
					     DENIALS_PER_READ, on_denial, &dc, why, sizeof(why));
		if (got < 0)
			redis_failed(p, "reading denials", why);
	}
	if (p->st && t0 - p->last_beat_ns >= TG_FLEET_BEAT_MS * TG_NSEC_PER_MSEC) {
		if (heartbeat(p, cfg, ifs, n))
			p->last_beat_ns = t0;
	}
	ok = p->st != NULL;
	if (ok)
		tg_fleet_store_shards_away(p->st, p->shards_away);
	if (ok && !p->degraded && p->degraded_logged) {
		tg_info("fleet %s: every shard pushed again", cfg->name);
		p->degraded_logged = false;
	}
	if (ok) {
		p->last_ack_us = now_us;
		p->replay = false;
		tg_backoff_reset(&p->backoff);
		if (p->failed_logged)
			tg_info("fleet %s: Redis answers again: the admissions of the outage "
				"were pushed, back to the fleet's limit", cfg->name);
		p->failed_logged = false;
	}
	/* The share is written under the lock, and only while the settings
	 * are still this cycle's: once tg_fleet_set has taken the lock to
	 * leave the fleet, no cycle under way writes one after the leave. */
	pthread_mutex_lock(&w->lock);
	if (w->gen == p->gen) {
		for (i = 0; i < n; i++)
			publish(p, cfg, &ifs[i], ok, tg_mono_ns() - t0);
		void_moved(p, ifs, n);
	}
	pthread_mutex_unlock(&w->lock);
}

/* Own copies of the fds, for one cycle. */
static bool iface_dup(struct tg_fleet_iface *to, const struct tg_fleet_iface *from)
{
	*to = *from;
	to->si.buckets_fd = fcntl(from->si.buckets_fd, F_DUPFD_CLOEXEC, 0);
	to->si.config_fd = fcntl(from->si.config_fd, F_DUPFD_CLOEXEC, 0);
	to->si.config_gen_fd = fcntl(from->si.config_gen_fd, F_DUPFD_CLOEXEC, 0);
	to->fleet_fd = fcntl(from->fleet_fd, F_DUPFD_CLOEXEC, 0);
	to->floor_fd = fcntl(from->floor_fd, F_DUPFD_CLOEXEC, 0);
	to->rules_fd = fcntl(from->rules_fd, F_DUPFD_CLOEXEC, 0);
	if (to->si.buckets_fd >= 0 && to->si.config_fd >= 0 && to->si.config_gen_fd >= 0 &&
	    to->fleet_fd >= 0 && to->floor_fd >= 0 && to->rules_fd >= 0)
		return true;
	tg_warn("%s: duplicating its map fds: %s", from->si.name, strerror(errno));
	return false;
}

static void iface_close(struct tg_fleet_iface *fi)
{
	int *fds[] = { &fi->si.buckets_fd, &fi->si.config_fd, &fi->si.config_gen_fd,
		       &fi->fleet_fd, &fi->floor_fd, &fi->rules_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

static void *fleet_main(void *arg)
{
	struct tg_fleet_thread *t = arg;
	struct fleet_priv *p = t->priv;
	static struct tg_fleet_iface ifs[TG_MAX_IFACES];
	struct tg_fleet_cfg cfg;
	int n, i;

	for (;;) {
		__u64 start = tg_mono_ns(), next;

		pthread_mutex_lock(&t->w.lock);
		if (t->w.stop) {
			pthread_mutex_unlock(&t->w.lock);
			break;
		}
		if (t->w.gen != p->gen) {
			/* Another fleet, prefix or store: what went unanswered
			 * under the old one is not to be sent to the new. */
			for (i = 0; i < TG_MAX_IFACES; i++)
				tg_fleet_calls_free(&p->fif[i].calls);
			disconnect(p);
			tg_backoff_reset(&p->backoff);
			p->gen = t->w.gen;
		}
		cfg = t->cfg;
		for (i = n = 0; i < t->n; i++)
			if (iface_dup(&ifs[n], &t->ifs[i]))
				n++;
		pthread_mutex_unlock(&t->w.lock);

		if (cfg.on)
			cycle(&t->w, p, &cfg, ifs, n);
		for (i = 0; i < n; i++)
			iface_close(&ifs[i]);

		/* The next cycle one interval after this one began; not in a
		 * fleet (yet), a second, or sooner when tg_fleet_set says. */
		next = start + (cfg.on ? cfg.interval_ms : 1000) * TG_NSEC_PER_MSEC;
		pthread_mutex_lock(&t->w.lock);
		tg_worker_wait(&t->w, next, p->gen);
		pthread_mutex_unlock(&t->w.lock);
	}
	/* Stopping: fail static. The program keeps deciding with the
	 * floors it has and the rate share of an outage, until a daemon
	 * takes the interface again. */
	pthread_mutex_lock(&t->w.lock);
	for (i = 0; i < t->n; i++) {
		struct fleet_if *fif = t->cfg.on ? fif_of(p, t->ifs[i].si.name) : NULL;

		if (!fif || !fif->pub.size)
			continue;
		fif->pub.fallback_h = TG_FLEET_FALLBACK_H;
		tg_fleet_publish(&fif->slots, t->ifs[i].fleet_fd, &fif->pub);
	}
	void_moved(p, t->ifs, t->n);
	pthread_mutex_unlock(&t->w.lock);
	disconnect(p);
	return NULL;
}

int tg_fleet_start(struct tg_fleet_thread *t)
{
	char host[64] = "host";
	int err;

	t->priv = calloc(1, sizeof(*t->priv));
	if (!t->priv)
		return -ENOMEM;
	gethostname(host, sizeof(host) - 1);
	snprintf(t->priv->node, sizeof(t->priv->node), "%s:%d", host, (int)getpid());
	/* Ids above any that a process of the same name (a container's pid 1,
	 * restarted) gave within Redis' memory of them: µs of the wall
	 * clock, below 2^53 as scores must be. */
	t->priv->next_call = tg_real_ns() / 1000;
	snprintf(t->priv->last_id, sizeof(t->priv->last_id), "0-0");
	err = tg_worker_start(&t->w, fleet_main, t);
	if (err) {
		free(t->priv);
		t->priv = NULL;
	}
	return err;
}

void tg_fleet_set(struct tg_fleet_thread *t, const struct tg_fleet_cfg *cfg,
		  const struct tg_fleet_iface *ifs, int n)
{
	int i;

	pthread_mutex_lock(&t->w.lock);
	for (i = 0; i < t->n; i++)
		iface_close(&t->ifs[i]);
	t->n = 0;
	for (i = 0; i < n; i++)
		if (iface_dup(&t->ifs[t->n], &ifs[i]))
			t->n++;
	if (memcmp(&t->cfg, cfg, sizeof(*cfg))) {
		t->cfg = *cfg;
		t->w.gen++;
	}
	tg_worker_poke(&t->w);
	pthread_mutex_unlock(&t->w.lock);
}

void tg_fleet_stop(struct tg_fleet_thread *t)
{
	int i;

	if (!t->w.running)
		return;
	tg_worker_stop(&t->w);
	for (i = 0; i < t->n; i++)
		iface_close(&t->ifs[i]);
	t->n = 0;
	tg_buckets_free(&t->priv->rd);
	free(t->priv->items);
	free(t->priv->meta);
	free(t->priv->onsets);
	free(t->priv->bsrc);
	free(t->priv->bfloor);
	free(t->priv->seen);
	tg_floors_free(&t->priv->fl);
	for (i = 0; i < TG_MAX_IFACES; i++) {
		tg_fleet_rules_free(&t->priv->fif[i].rules);
		tg_fleet_calls_free(&t->priv->fif[i].calls);
	}
	free(t->priv);
	t->priv = NULL;
}
