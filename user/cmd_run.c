// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_run.c - tidegate run: the daemon.
 *
 * The main thread owns the interfaces: it attaches (adopting what is
 * pinned and running, restoring from Redis what is new), then waits for
 * signals. SIGHUP re-reads the config and applies the difference live;
 * SIGTERM or SIGINT stops the daemon and leaves the limiter attached
 * unless --detach-on-exit. Metrics are served from libmicrohttpd's
 * thread, the Redis mirror runs in its own (sync.c); neither holds a
 * lock while it waits on the network.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "attach.h"
#include "clock.h"
#include "caps.h"
#include "commands.h"
#include "conf.h"
#include "counters.h"
#include "iface.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "mirror.h"
#include "output.h"
#include "pins.h"

struct managed {
	struct tg_iface_conf ic; /* the file's, with the pinned table's size and mode */
	struct tg_maps m;
	int mark; /* tg_daemon_mark: 'tidegate set' warns that we own the limits */
	bool restore_pending;
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
	int i;

	mirror_cfg(d->conf, &mc);
	for (i = 0; i < d->n; i++) {
		struct managed *mi = d->ifs[i];

		/* A late restore the thread finished is not to run again. */
		if (mi->restore_pending && tg_sync_restored(&d->sync, mi->ic.name))
			mi->restore_pending = false;
		sync_iface_of(&mi->ic, &mi->m, &sis[i]);
		sis[i].restore_pending = mi->restore_pending;
	}
	tg_sync_set(&d->sync, &mc, sis, d->n);
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
		tg_warn("%s: the restore stopped early after %llu buckets and %.3f s (%s); "
			"attaching, the rest is restored when Redis answers", ifname,
			(unsigned long long)rc.restored, (double)(tg_mono_ns() - t0) / 1e9, why);
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

/* Attach (or adopt) one interface; NULL with the reason logged. */
static struct managed *setup_iface(struct daemon *d, const struct tg_iface_conf *ic)
{
	struct fill_ctx fc = { .d = d, .ic = ic };
	struct tg_attach_req req = {
		.ifname = ic->name, .mode = ic->mode, .limits = &ic->limits, .reuse = true,
		.fill = d->conf->redis_on ? restore_fill : NULL, .fill_ctx = &fc,
	};
	struct tg_attach_res res;
	struct managed *mi;
	char rate[64], ports[256];

	req.ifindex = (int)if_nametoindex(ic->name);
	if (!req.ifindex) {
		tg_err("%s: no such interface; not protecting it", ic->name);
		return NULL;
	}
	mi = calloc(1, sizeof(*mi));
	if (!mi) {
		tg_err("%s: out of memory", ic->name);
		return NULL;
	}
	if (tg_attach_iface(&req, &mi->m, &res)) {
		free(mi);
		return NULL;
	}
	mi->mark = tg_daemon_mark(ic->name);
	if (mi->mark < 0)
		tg_warn("%s: marking it as the daemon's: %s; 'tidegate set' will not warn that the "
			"next reload puts the file's limits back", ic->name, strerror(-mi->mark));
	mi->ic = *ic;
	apply_rules(mi, NULL, ic);
	tg_live_read(&mi->m, &mi->ic.limits); /* what is in force, table size included */
	mi->ic.limits.ports = ic->limits.ports;
	mi->restore_pending = fc.pending;
	tg_rate_format(&mi->ic.limits.rate, rate, sizeof(rate));
	tg_format_ports(&mi->ic.limits.ports, ports, sizeof(ports));
	tg_info("%s: %s (%s mode, prog %u): %s burst %llu on ports %s%s, zone %s", ic->name,
		res.was_attached ? "adopted the running limiter, buckets kept"
		: res.reused	 ? "attached with the pinned maps, buckets kept"
				 : "attached",
		tg_mode_name(res.att.mode), res.att.prog_id, rate,
		(unsigned long long)tg_limits_burst(&mi->ic.limits), ports,
		mi->ic.limits.dry_run ? " (dry-run)" : "", mi->ic.zone);
	return mi;
}

static void drop_iface(struct managed *mi, bool detach)
{
	if (detach) {
		int err = tg_detach_iface(mi->ic.name);

		if (err)
			tg_warn("%s: detaching: %s", mi->ic.name, strerror(-err));
		else
			tg_info("%s: detached", mi->ic.name);
	}
	if (mi->mark >= 0)
		close(mi->mark);
	tg_maps_close(&mi->m);
	free(mi);
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
	       a->log_budget == b->log_budget && a->syn_cookies == b->syn_cookies &&
	       a->cookie_budget == b->cookie_budget && a->new_source_rate == b->new_source_rate;
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
	/* Interfaces no longer in the file: the file is what to protect. */
	for (i = 0; i < d->n;) {
		if (tg_conf_iface(nc, d->ifs[i]->ic.name)) {
			i++;
			continue;
		}
		tg_info("%s: no longer in the config", d->ifs[i]->ic.name);
		drop_iface(d->ifs[i], true);
		d->ifs[i] = d->ifs[--d->n];
	}
	for (j = 0; j < nc->niface; j++) {
		const struct tg_iface_conf *ic = &nc->iface[j];
		struct managed *mi = NULL;

		for (i = 0; i < d->n; i++)
			if (!strcmp(d->ifs[i]->ic.name, ic->name))
				mi = d->ifs[i];
		if (!mi) {
			/* Attaching may take a restore's time (up to 10 s): not
			 * under the list's mutex, which the metrics thread needs.
			 * The pin lock (tg_lock) stays held, so no CLI command
			 * changes the maps meanwhile. */
			pthread_mutex_unlock(&d->lock);
			mi = setup_iface(d, ic);
			pthread_mutex_lock(&d->lock);
			if (mi)
				d->ifs[d->n++] = mi;
			continue;
		}
		apply_limits(mi, ic);
		apply_rules(mi, &mi->ic, ic);
		if (ic->limits.max_sources != mi->ic.limits.max_sources)
			tg_warn("%s: max-sources %u needs a detach (buckets forgotten); keeping %u",
				ic->name, ic->limits.max_sources, mi->ic.limits.max_sources);
		if (ic->mode != mi->ic.mode)
			tg_warn("%s: mode %s needs a detach; staying in %s", ic->name,
				tg_mode_name(ic->mode), tg_mode_name(mi->ic.mode));
		{
			__u32 keep = mi->ic.limits.max_sources;
			enum xdp_attach_mode mode = mi->ic.mode;

			mi->ic = *ic;
			mi->ic.limits.max_sources = keep;
			mi->ic.mode = mode;
		}
	}
	pthread_mutex_unlock(&d->lock);
	tg_unlock(lock);

	if (strcmp(old->metrics, nc->metrics)) {
		tg_http_stop(d->http);
		d->http = NULL;
		start_http(d);
	}
	push_to_sync(d);
	free(old);
	tg_info("reloaded: protecting %d interface%s", d->n, d->n == 1 ? "" : "s");
}

int tg_cmd_run(const struct tg_cmdline *cl)
{
	static struct daemon d;
	sigset_t sigs;
	int i, lock, sig, ret = TG_EXIT_OK;
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
	/* Signals are taken by sigwait in this thread only. */
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
		struct managed *mi = setup_iface(&d, &d.conf->iface[i]);

		if (mi)
			d.ifs[d.n++] = mi;
	}
	tg_unlock(lock);
	if (!d.n) {
		tg_err("no interface could be protected; stopping");
		ret = TG_EXIT_FAIL;
		goto out;
	}
	push_to_sync(&d);
	if (start_http(&d)) {
		ret = TG_EXIT_FAIL;
		goto out;
	}
	tg_info("running: protecting %d interface%s (pid %d)", d.n, d.n == 1 ? "" : "s",
		(int)getpid());
	/* systemd's Type=notify: started once attached and serving; a no-op
	 * outside systemd. */
	sd_notifyf(0, "READY=1\nSTATUS=protecting %d interface%s", d.n, d.n == 1 ? "" : "s");

	for (;;) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig == SIGHUP) {
			tg_info("SIGHUP: reloading the config");
			sd_notify(0, "RELOADING=1");
			reload(&d);
			sd_notifyf(0, "READY=1\nSTATUS=protecting %d interface%s", d.n,
				   d.n == 1 ? "" : "s");
			continue;
		}
		tg_info("%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sd_notify(0, "STOPPING=1");
		break;
	}
out:
	tg_http_stop(d.http);
	tg_sync_stop(&d.sync); /* one last write first, if Redis is there */
	lock = tg_lock();
	for (i = 0; i < d.n; i++) {
		if (!d.conf->detach_on_exit)
			tg_info("%s: left attached, buckets pinned", d.ifs[i]->ic.name);
		drop_iface(d.ifs[i], d.conf->detach_on_exit);
	}
	if (lock >= 0)
		tg_unlock(lock);
	d.n = 0;
	pthread_mutex_destroy(&d.lock);
	free(d.conf);
	return ret;
}
