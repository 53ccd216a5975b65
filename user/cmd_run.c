// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_run.c - tidegate run: the daemon.
 *
 * The main thread owns the interfaces: it attaches (adopting what is
 * pinned and running, restoring from Redis what is new), then waits for
 * signals and link events. SIGHUP re-reads the config and applies the
 * difference live; SIGTERM or SIGINT stops the daemon and leaves the
 * limiter attached unless --detach-on-exit. Between signals it checks
 * every interface, on each link event and every CHECK_INTERVAL_MS: an
 * interface that is missing (at start, or gone since) is attached when
 * it appears, with the maps it had; a program removed or replaced from
 * outside is reported, and put back by the next reload. Metrics are
 * served from libmicrohttpd's thread, the Redis mirror runs in its own
 * (sync.c); neither holds a lock while it waits on the network.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "attach.h"
#include "clock.h"
#include "caps.h"
#include "commands.h"
#include "conf.h"
#include "counters.h"
#include "iface.h"
#include "linkwatch.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "mirror.h"
#include "output.h"
#include "pins.h"
#include "xdp.h"

#define RESTORE_DEADLINE_MS 10000
/* How often each interface is checked when no link event says to, and
 * how soon after the last check a link event may ask for another (a
 * host making and deleting containers' interfaces sends many). */
#define CHECK_INTERVAL_MS 500
#define CHECK_MIN_GAP_MS 100
/* A failed attach of an interface that appeared is tried again after
 * this long, doubled each time up to the maximum. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000

enum iface_state {
	IF_WAITING,  /* no such interface, yet or any more: attached when it appears */
	IF_ATTACHED, /* our program, with our maps, is on it */
	IF_LOST,     /* our program was removed or replaced from outside: until a reload */
};

struct managed {
	struct tg_iface_conf ic; /* the file's, with the pinned table's size and mode */
	struct tg_maps m;        /* -1 until first attached; kept while waiting or lost */
	int owner;               /* tg_daemon_own: no other daemon adopts it */
	enum iface_state state;
	int ifindex;     /* where it was attached */
	__u32 config_id; /* tg_config's map id: the program on ifindex must use it */
	bool restore_pending;
	__u64 retry_ms; /* WAITING: no attach before this (tg_mono_ns() / 1e6) */
	unsigned int backoff_ms;
};

struct daemon {
	pthread_mutex_t lock; /* the list, against the metrics thread */
	struct managed *ifs[TG_MAX_IFACES];
	int n;
	struct tg_daemon_conf *conf;
	struct tg_sync sync;
	struct tg_http *http;
	const struct tg_cmdline *cl;
};

static void mirror_cfg(const struct tg_daemon_conf *c, struct tg_mirror_cfg *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->on = c->redis_on;
	mc->url = c->redis;
	mc->interval_ms = c->sync_interval_ms;
	mc->timeout_ms = c->redis_timeout_ms;
	snprintf(mc->prefix, sizeof(mc->prefix), "%s", c->redis_prefix);
}

/* What the sync thread (and a restore) needs of one interface: its maps.
 * The limits it needs, the prefixes above all, are read from the maps,
 * never from the file: 'tidegate set' may have changed them. */
static void sync_iface_of(const struct tg_iface_conf *ic, const struct tg_maps *m,
			  struct tg_sync_iface *si)
{
	memset(si, 0, sizeof(*si));
	snprintf(si->name, sizeof(si->name), "%s", ic->name);
	snprintf(si->zone, sizeof(si->zone), "%s", ic->zone);
	si->buckets_fd = m->buckets;
	si->config_fd = m->config;
	tg_sync_iface_refresh(si); /* the thread does it again every cycle */
}

/* Hand the interfaces and settings to the sync thread. */
static void push_to_sync(struct daemon *d)
{
	static struct tg_sync_iface sis[TG_MAX_IFACES];
	struct tg_mirror_cfg mc;
	int i, n;

	mirror_cfg(d->conf, &mc);
	for (i = n = 0; i < d->n; i++) {
		struct managed *mi = d->ifs[i];

		if (mi->m.buckets < 0)
			continue; /* never attached: nothing to mirror yet */
		/* A late restore the thread finished is not to run again. */
		if (mi->restore_pending && tg_sync_restored(&d->sync, mi->ic.name))
			mi->restore_pending = false;
		sync_iface_of(&mi->ic, &mi->m, &sis[n]);
		sis[n++].restore_pending = mi->restore_pending;
	}
	tg_sync_set(&d->sync, &mc, sis, n);
}

struct fill_ctx {
	struct daemon *d;
	const struct tg_iface_conf *ic;
	bool pending;
};

/* attach.c calls this with new, empty maps, before the program runs. */
static void restore_fill(void *arg, const char *ifname, const struct tg_maps *m,
			 const struct tg_limits *l)
{
	struct fill_ctx *fc = arg;
	struct tg_restore_counts rc = {};
	struct tg_mirror_cfg mc;
	struct tg_sync_iface si;
	char why[256];
	__u64 t0 = tg_mono_ns();
	int err;

	(void)l; /* the maps, just configured from it, say the same */
	mirror_cfg(fc->d->conf, &mc);
	sync_iface_of(fc->ic, m, &si);
	err = tg_mirror_restore(&mc, &si, TG_RESTORE_DEADLINE_MS, &rc, why, sizeof(why));
	tg_sync_add_restore(&fc->d->sync, &rc);
	if (err == -ECONNREFUSED) {
		tg_warn("%s: Redis is away (%s): attaching without a restore; buckets are "
			"restored when it returns", ifname, why);
		fc->pending = true;
		return;
	}
	/* Cut short (a timeout, Redis loading): the sync thread finishes it. */
	if (err) {
		tg_warn("%s: the restore stopped early after %llu buckets (%s); attaching, the "
			"rest is restored when Redis answers", ifname,
			(unsigned long long)rc.restored, why);
		fc->pending = true;
		return;
	}
	tg_info("%s: restored %llu buckets from Redis in %.3f s (%llu already full, %llu "
		"rejected)", ifname, (unsigned long long)rc.restored,
		(double)(tg_mono_ns() - t0) / 1e9, (unsigned long long)rc.full,
		(unsigned long long)(rc.rejected[TG_REJ_KEY] + rc.rejected[TG_REJ_VALUE] +
				     rc.rejected[TG_REJ_FUTURE]));
}

/*
 * The config's rules, live. At start they are added to whatever rules
 * the interface has (rules added with 'tidegate rule add' stay); on a
 * reload, old is the previous config: its rules that are gone from the
 * file are deleted, and the file's rules are put in force, those
 * unchanged keeping their buckets.
 */
static void apply_rules(const struct managed *mi, const struct tg_iface_conf *old,
			const struct tg_iface_conf *ic)
{
	int i, j, changed = 0, gone = 0, ret;
	char why[160], cidr[64];

	for (i = 0; old && i < old->nrules; i++) {
		const struct tg_cidr *c = &old->rules[i].spec.cidr;
		struct tg_rule_key key;
		struct tg_rule r;

		for (j = 0; j < ic->nrules; j++)
			if (!memcmp(&ic->rules[j].spec.cidr, c, sizeof(*c)))
				break;
		if (j < ic->nrules)
			continue;
		tg_cidr_to_key(c, &key);
		tg_cidr_format(c, cidr, sizeof(cidr));
		ret = tg_live_rule_del(&mi->m, &key, &r);
		if (ret && ret != -ENOENT)
			tg_err("%s: deleting the rule for %s: %s", ic->name, cidr, strerror(-ret));
		else if (!ret)
			gone++;
	}
	for (i = 0; i < ic->nrules; i++) {
		why[0] = '\0';
		ret = tg_live_rule_apply(&mi->m, &ic->rules[i].spec, why, sizeof(why));
		tg_cidr_format(&ic->rules[i].spec.cidr, cidr, sizeof(cidr));
		if (ret < 0)
			tg_err("%s: the rule for %s (line %d): %s%s%s", ic->name, cidr,
			       ic->rules[i].line, strerror(-ret), why[0] ? ": " : "", why);
		else
			changed += ret;
	}
	if (changed || gone)
		tg_info("%s: rules: %d put in force, %d deleted, %d unchanged", ic->name, changed,
			gone, ic->nrules - changed);
}

static struct managed *new_managed(const struct tg_iface_conf *ic)
{
	struct managed *mi = calloc(1, sizeof(*mi));

	if (!mi) {
		tg_err("%s: out of memory", ic->name);
		return NULL;
	}
	mi->ic = *ic;
	tg_maps_init(&mi->m);
	mi->owner = -1;
	mi->state = IF_WAITING;
	return mi;
}

static void set_state(struct daemon *d, struct managed *mi, enum iface_state state)
{
	pthread_mutex_lock(&d->lock);
	mi->state = state;
	pthread_mutex_unlock(&d->lock);
}

/*
 * Attach (or adopt) mi's interface with mi->ic, tg_lock() held and the
 * list's mutex not: 0, or -errno with the reason logged (-ENODEV: no
 * such interface). The maps mi held before (the interface went away,
 * or its program was removed) are pinned again if their pins are gone,
 * so the program comes back with the same buckets.
 */
static int attach_managed(struct daemon *d, struct managed *mi)
{
	struct fill_ctx fc = { .d = d, .ic = &mi->ic };
	struct tg_limits want = mi->ic.limits, live;
	struct tg_attach_req req = {
		.ifname = mi->ic.name, .mode = mi->ic.mode, .limits = &want, .reuse = true,
		.fill = d->conf->redis_on ? restore_fill : NULL, .fill_ctx = &fc,
	};
	struct tg_attach_res res;
	struct tg_maps m, old;
	char rate[64], ports[256], owner[300];
	int err;

	req.ifindex = (int)if_nametoindex(mi->ic.name);
	if (!req.ifindex)
		return -ENODEV;
	/* Our own claim would hide another daemon's: let go, look, take. */
	if (mi->owner >= 0)
		close(mi->owner);
	mi->owner = -1;
	if (tg_daemon_owner(mi->ic.name, owner, sizeof(owner))) {
		tg_err("%s is managed by another tidegate daemon (%s); not adopting it",
		       mi->ic.name, owner);
		return -EBUSY;
	}
	if (mi->m.config >= 0 && !tg_pins_exist(mi->ic.name)) {
		err = tg_maps_pin_fds(mi->ic.name, &mi->m);
		if (err)
			tg_warn("%s: pinning its maps again: %s; attaching with new ones",
				mi->ic.name, strerror(-err));
	}
	if (tg_attach_iface(&req, &m, &res))
		return -EIO;
	mi->owner = tg_daemon_own(mi->ic.name, owner, sizeof(owner));
	if (mi->owner < 0)
		tg_warn("%s: claiming it as this daemon's: %s; 'tidegate detach' will not ask for "
			"--force", mi->ic.name, strerror(-mi->owner));
	pthread_mutex_lock(&d->lock);
	old = mi->m;
	mi->m = m;
	mi->ifindex = req.ifindex;
	mi->config_id = tg_map_id(m.config);
	mi->restore_pending = fc.pending;
	mi->state = IF_ATTACHED;
	pthread_mutex_unlock(&d->lock);
	tg_maps_close(&old);
	apply_rules(mi, NULL, &mi->ic);
	/* What is in force, table size included. */
	if (!tg_live_read(&mi->m, &live)) {
		live.ports = mi->ic.limits.ports;
		mi->ic.limits = live;
	}
	mi->backoff_ms = 0;
	tg_rate_format(&mi->ic.limits.rate, rate, sizeof(rate));
	tg_format_ports(&mi->ic.limits.ports, ports, sizeof(ports));
	tg_info("%s: %s (%s mode, prog %u): %s burst %llu on ports %s%s, zone %s", mi->ic.name,
		res.was_attached ? "adopted the running limiter, buckets kept"
		: res.reused	 ? "attached with the pinned maps, buckets kept"
				 : "attached",
		tg_mode_name(res.att.mode), res.att.prog_id, rate,
		(unsigned long long)tg_limits_burst(&mi->ic.limits), ports,
		mi->ic.limits.dry_run ? " (dry-run)" : "", mi->ic.zone);
	return 0;
}

/* Whether the program on the interface is ours to detach. */
static bool holds_program(const struct managed *mi)
{
	return mi->state == IF_ATTACHED || (mi->state == IF_WAITING && mi->m.config >= 0);
}

static void drop_iface(struct managed *mi, bool detach)
{
	if (detach && holds_program(mi)) {
		int err = tg_detach_iface(mi->ic.name);

		if (err)
			tg_warn("%s: detaching: %s", mi->ic.name, strerror(-err));
		else
			tg_info("%s: detached", mi->ic.name);
	}
	if (mi->owner >= 0)
		close(mi->owner);
	tg_maps_close(&mi->m);
	free(mi);
}

/* Is our program still on mi's interface? 0, or why not (the interface
 * went, or its program was removed or replaced), already logged. */
static int check_attached(struct daemon *d, struct managed *mi, int ifindex)
{
	struct tg_attached att;
	int err;

	if (!ifindex) {
		tg_warn("%s: the interface is gone; waiting for it to come back, its maps kept",
			mi->ic.name);
		set_state(d, mi, IF_WAITING);
		return -ENODEV;
	}
	if (ifindex != mi->ifindex) {
		tg_warn("%s: the interface was made again (index %d, was %d); attaching again",
			mi->ic.name, ifindex, mi->ifindex);
		set_state(d, mi, IF_WAITING);
		return -ENODEV;
	}
	err = tg_xdp_find(ifindex, &att);
	if (err == -ENOENT) {
		tg_err("%s: tidegate's program was removed from the interface (by 'tidegate detach "
		       "--force' or another XDP loader): NOT PROTECTED until the next reload",
		       mi->ic.name);
		set_state(d, mi, IF_LOST);
		return err;
	}
	if (!err && !tg_prog_uses_map(att.prog_id, mi->config_id)) {
		tg_err("%s: tidegate's program was replaced by another tidegate's (prog %u) with "
		       "other maps: not managing it until the next reload", mi->ic.name,
		       att.prog_id);
		set_state(d, mi, IF_LOST);
		return -EEXIST;
	}
	return 0; /* or the look failed for a moment: the next check says */
}

/* A waiting interface that is there: attach it, or try later. */
static void attach_waiting(struct daemon *d, struct managed *mi, __u64 now_ms)
{
	bool had_maps = mi->m.config >= 0;
	int lock, err;

	if (now_ms < mi->retry_ms)
		return;
	lock = tg_lock();
	if (lock < 0) { /* another tidegate held it all along: soon again */
		mi->retry_ms = now_ms + RETRY_MIN_MS;
		return;
	}
	tg_info("%s: the interface is here; %s", mi->ic.name,
		had_maps ? "attaching it again with its maps" : "attaching");
	err = attach_managed(d, mi);
	tg_unlock(lock);
	if (!err) {
		push_to_sync(d);
		return;
	}
	mi->backoff_ms = mi->backoff_ms ? mi->backoff_ms * 2 : RETRY_MIN_MS;
	if (mi->backoff_ms > RETRY_MAX_MS)
		mi->backoff_ms = RETRY_MAX_MS;
	mi->retry_ms = now_ms + mi->backoff_ms;
	tg_warn("%s: not attached; trying again in %u s", mi->ic.name, mi->backoff_ms / 1000);
}

/* Every interface: on each link event and every CHECK_INTERVAL_MS. */
static void check_ifaces(struct daemon *d)
{
	__u64 now_ms = tg_mono_ns() / 1000000;
	int i;

	for (i = 0; i < d->n; i++) {
		struct managed *mi = d->ifs[i];
		int ifindex = (int)if_nametoindex(mi->ic.name);

		if (mi->state == IF_ATTACHED && check_attached(d, mi, ifindex))
			mi->retry_ms = 0;
		if (mi->state == IF_WAITING && ifindex)
			attach_waiting(d, mi, now_ms);
	}
}

/* A new interface of the config, at start or on a reload: attached if
 * it is there, else waited for. NULL if it is there and could not be
 * attached (the reason logged). */
static struct managed *add_iface(struct daemon *d, const struct tg_iface_conf *ic)
{
	struct managed *mi = new_managed(ic);
	int err;

	if (!mi)
		return NULL;
	err = attach_managed(d, mi);
	if (err == -ENODEV) {
		tg_warn("%s: no such interface yet; waiting for it", ic->name);
		return mi;
	}
	if (err) {
		tg_err("%s: not protecting it", ic->name);
		drop_iface(mi, false);
		return NULL;
	}
	return mi;
}

static int count_state(const struct daemon *d, enum iface_state state)
{
	int i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->ifs[i]->state == state;
	return n;
}

/* The metrics thread's view: counters read now, under the list's lock. */
static char *collect(void *arg, size_t *len)
{
	static struct tg_metrics_iface mifs[TG_MAX_IFACES];
	struct daemon *d = arg;
	struct tg_metrics_sync ms;
	int i, n;

	pthread_mutex_lock(&d->lock);
	n = d->n;
	for (i = 0; i < n; i++) {
		struct managed *mi = d->ifs[i];
		struct tg_metrics_iface *o = &mifs[i];

		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", mi->ic.name);
		o->attached = mi->state == IF_ATTACHED;
		o->readable = !tg_counters_read(mi->m.stats, &o->c) &&
			      !tg_fam_counters_read(mi->m.fstats, o->fam);
		o->max_sources = mi->ic.limits.max_sources;
		o->tracked = tg_sync_tracked(&d->sync, mi->ic.name);
	}
	tg_sync_read(&d->sync, &ms);
	pthread_mutex_unlock(&d->lock);
	return tg_metrics_render(mifs, n, &ms, len);
}

static int start_http(struct daemon *d)
{
	char why[200];

	if (!d->conf->metrics_on)
		return 0;
	d->http = tg_http_start(&d->conf->metrics_addr, d->conf->metrics_addrlen, collect, d, why,
				sizeof(why));
	if (!d->http) {
		tg_err("metrics on %s: %s", d->conf->metrics, why);
		return -1;
	}
	tg_info("metrics on http://%s/metrics", d->conf->metrics);
	return 0;
}

static struct tg_daemon_conf *load_conf(const struct tg_cmdline *cl)
{
	struct tg_daemon_conf *c = calloc(1, sizeof(*c));
	struct tg_diags *diags = calloc(1, sizeof(*diags));

	if (!c || !diags) {
		tg_err("out of memory");
		free(c);
		free(diags);
		return NULL;
	}
	if (tg_conf_build(cl->set[OPT_CONFIG] ? cl->val[OPT_CONFIG] : NULL, cl, c, diags)) {
		tg_diags_log(diags);
		free(c);
		c = NULL;
	} else {
		tg_diags_log(diags); /* the warnings */
	}
	free(diags);
	return c;
}

static bool limits_equal(const struct tg_limits *a, const struct tg_limits *b)
{
	return a->rate.count == b->rate.count && a->rate.period_ns == b->rate.period_ns &&
	       tg_limits_burst(a) == tg_limits_burst(b) && a->v4_prefix == b->v4_prefix &&
	       a->v6_prefix == b->v6_prefix && a->dry_run == b->dry_run &&
	       !memcmp(&a->ports, &b->ports, sizeof(a->ports)) &&
	       !memcmp(&a->action, &b->action, sizeof(a->action)) &&
	       a->rst_budget == b->rst_budget && a->log_interval == b->log_interval &&
	       a->log_budget == b->log_budget;
}

/*
 * SIGHUP: the file owns the limits of the interfaces it lists; what it
 * leaves out takes [defaults] and tidegate's defaults, as at start. So
 * the file is compared with what is in force, in the maps (which
 * 'tidegate set' may have changed), not with the file read before, and
 * written where they differ.
 */
static void apply_limits(struct managed *mi, const struct tg_iface_conf *ic)
{
	struct tg_limits cur, want = ic->limits;
	int err = tg_live_read(&mi->m, &cur);

	if (!err) {
		want.max_sources = cur.max_sources;
		if (limits_equal(&cur, &want))
			return;
		err = tg_live_write(&mi->m, &want, &cur);
	}
	if (err)
		tg_err("%s: applying the new limits: %s", ic->name, strerror(-err));
	else
		tg_info("%s: new limits in force, buckets kept", ic->name);
}

/* "protecting N interfaces", and what is not protected. */
static void protecting(const struct daemon *d, char *buf, size_t len)
{
	int on = count_state(d, IF_ATTACHED), waiting = count_state(d, IF_WAITING);
	int lost = count_state(d, IF_LOST);
	size_t n;

	n = (size_t)snprintf(buf, len, "protecting %d interface%s", on, on == 1 ? "" : "s");
	if (waiting && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", waiting for %d to appear", waiting);
	if (lost && n < len)
		snprintf(buf + n, len - n, ", %d removed from outside", lost);
}

static void log_protecting(const struct daemon *d, const char *what)
{
	char text[160];

	protecting(d, text, sizeof(text));
	tg_info("%s: %s (pid %d)", what, text, (int)getpid());
}

/* systemd's status line says what is protected; READY=1 after a reload. */
static void notify_ready(const struct daemon *d)
{
	char text[160];

	protecting(d, text, sizeof(text));
	sd_notifyf(0, "READY=1\nSTATUS=%s", text);
}

/* SIGHUP: the new file, applied as a difference. */
static void reload(struct daemon *d)
{
	struct tg_daemon_conf *nc = load_conf(d->cl), *old = d->conf;
	int i, j, lock;

	if (!nc) {
		tg_err("reload: the config has errors; keeping the running configuration");
		return;
	}
	lock = tg_lock();
	if (lock < 0) {
		char why[512];

		tg_lock_explain(lock, why, sizeof(why));
		tg_err("reload: %s; keeping the running configuration", why);
		free(nc);
		return;
	}
	pthread_mutex_lock(&d->lock);
	d->conf = nc;
	pthread_mutex_unlock(&d->lock);
	/* Interfaces no longer in the file: the file is what to protect. */
	for (i = 0; i < d->n;) {
		struct managed *mi = d->ifs[i];

		if (tg_conf_iface(nc, mi->ic.name)) {
			i++;
			continue;
		}
		tg_info("%s: no longer in the config", mi->ic.name);
		pthread_mutex_lock(&d->lock);
		d->ifs[i] = d->ifs[--d->n];
		pthread_mutex_unlock(&d->lock);
		drop_iface(mi, true);
	}
	/* Attaching may take a restore's time (up to 10 s): never under the
	 * list's mutex, which the metrics thread needs. The pin lock
	 * (tg_lock) stays held, so no CLI command changes the maps meanwhile. */
	for (j = 0; j < nc->niface; j++) {
		const struct tg_iface_conf *ic = &nc->iface[j];
		struct managed *mi = NULL;
		struct tg_iface_conf next = *ic;

		for (i = 0; i < d->n; i++)
			if (!strcmp(d->ifs[i]->ic.name, ic->name))
				mi = d->ifs[i];
		if (!mi) {
			mi = add_iface(d, ic);
			pthread_mutex_lock(&d->lock);
			if (mi)
				d->ifs[d->n++] = mi;
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		if (mi->m.config >= 0) {
			/* Its maps, on the interface or kept while it is away. */
			apply_limits(mi, ic);
			apply_rules(mi, &mi->ic, ic);
			if (ic->limits.max_sources != mi->ic.limits.max_sources)
				tg_warn("%s: max-sources %u needs a detach (buckets forgotten); "
					"keeping %u", ic->name, ic->limits.max_sources,
					mi->ic.limits.max_sources);
			if (ic->mode != mi->ic.mode)
				tg_warn("%s: mode %s needs a detach; staying in %s", ic->name,
					tg_mode_name(ic->mode), tg_mode_name(mi->ic.mode));
			next.limits.max_sources = mi->ic.limits.max_sources;
			next.mode = mi->ic.mode;
		}
		pthread_mutex_lock(&d->lock);
		mi->ic = next;
		pthread_mutex_unlock(&d->lock);
		if (mi->state == IF_LOST) {
			tg_info("%s: putting tidegate's program back", ic->name);
			if (attach_managed(d, mi) == -ENODEV)
				set_state(d, mi, IF_WAITING);
		}
		mi->retry_ms = 0; /* a waiting one: try at once */
	}
	tg_unlock(lock);

	if (strcmp(old->metrics, nc->metrics)) {
		tg_http_stop(d->http);
		d->http = NULL;
		start_http(d);
	}
	push_to_sync(d);
	free(old);
	log_protecting(d, "reloaded");
}

int tg_cmd_run(const struct tg_cmdline *cl)
{
	static struct daemon d;
	struct tg_linkwatch *lw = NULL;
	__u64 last_check = 0;
	bool pending = false; /* a link event since the last check */
	sigset_t sigs;
	int i, lock, err, sfd = -1, ret = TG_EXIT_OK;
	char url[400];

	tg_log_set_journal(true);
	if ((ret = tg_require_caps("run", TG_PRIV_ATTACH)))
		return ret;
	d.cl = cl;
	d.conf = load_conf(cl);
	if (!d.conf)
		return TG_EXIT_USAGE;
	if (tg_bpffs_ensure()) {
		free(d.conf);
		return TG_EXIT_FAIL;
	}
	/* Signals are read from a signalfd in this thread only (blocked
	 * before the threads start, so they inherit the mask). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_mutex_init(&d.lock, NULL);
	if (tg_sync_start(&d.sync)) {
		tg_err("starting the sync thread failed");
		free(d.conf);
		return TG_EXIT_FAIL;
	}
	if (d.conf->redis_on) {
		tg_redis_url_format(&d.conf->redis, url, sizeof(url));
		tg_info("mirroring buckets to %s every %llu ms, keys %s:ZONE:...", url,
			(unsigned long long)d.conf->sync_interval_ms, d.conf->redis_prefix);
	}

	lock = tg_lock();
	if (lock < 0) {
		char why[512];

		tg_lock_explain(lock, why, sizeof(why));
		tg_err("%s", why);
		ret = TG_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < d.conf->niface; i++) {
		struct managed *mi = add_iface(&d, &d.conf->iface[i]);

		if (mi)
			d.ifs[d.n++] = mi;
	}
	tg_unlock(lock);
	if (d.conf->niface && !d.n) {
		tg_err("no interface could be protected; stopping");
		ret = TG_EXIT_FAIL;
		goto out;
	}
	push_to_sync(&d);
	if (start_http(&d)) {
		ret = TG_EXIT_FAIL;
		goto out;
	}
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		tg_err("signalfd: %s", strerror(errno));
		ret = TG_EXIT_FAIL;
		goto out;
	}
	err = tg_linkwatch_open(&lw);
	if (err)
		tg_warn("watching link events: %s; checking the interfaces every %d ms only",
			strerror(-err), CHECK_INTERVAL_MS);
	log_protecting(&d, "running");
	/* systemd's Type=notify: started once attached and serving; a no-op
	 * outside systemd. */
	notify_ready(&d);

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = lw ? tg_linkwatch_fd(lw) : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		__u64 now = tg_mono_ns() / 1000000;
		__u64 due = last_check + (pending ? CHECK_MIN_GAP_MS : CHECK_INTERVAL_MS);

		if (poll(p, 2, due > now ? (int)(due - now) : 0) < 0 && errno != EINTR) {
			tg_err("waiting for signals and link events: %s", strerror(errno));
			ret = TG_EXIT_FAIL;
			break;
		}
		if (p[1].revents) {
			err = tg_linkwatch_drain(lw);
			if (err < 0)
				tg_debug("reading link events: %s", strerror(-err));
			pending = true;
		}
		if (p[0].revents && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				tg_info("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
				sd_notify(0, "STOPPING=1");
				break;
			}
			tg_info("SIGHUP: reloading the config");
			sd_notify(0, "RELOADING=1");
			reload(&d);
			notify_ready(&d);
		}
		now = tg_mono_ns() / 1000000;
		if (now >= last_check + (pending ? CHECK_MIN_GAP_MS : CHECK_INTERVAL_MS)) {
			check_ifaces(&d);
			last_check = now;
			pending = false;
		}
	}
out:
	tg_http_stop(d.http);
	tg_sync_stop(&d.sync); /* one last write first, if Redis is there */
	lock = tg_lock();
	for (i = 0; i < d.n; i++) {
		if (!d.conf->detach_on_exit && d.ifs[i]->state == IF_ATTACHED)
			tg_info("%s: left attached, buckets pinned", d.ifs[i]->ic.name);
		drop_iface(d.ifs[i], d.conf->detach_on_exit);
	}
	if (lock >= 0)
		tg_unlock(lock);
	d.n = 0;
	tg_linkwatch_close(lw);
	if (sfd >= 0)
		close(sfd);
	pthread_mutex_destroy(&d.lock);
	free(d.conf);
	return ret;
}
