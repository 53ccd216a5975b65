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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>
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
#include "port_limits.h"
#include "pins.h"
#include "rules.h"
#include "run.h"
#include "xdp.h"

/* How often each interface is checked when no link event says to, and
 * how soon after the last check a link event may ask for another (a
 * host making and deleting containers' interfaces sends many). */
#define CHECK_INTERVAL_MS 500
#define CHECK_MIN_GAP_MS 100
/* How often the rules are compared with the state file (run_rules.c):
 * a rule added is on disk within this long. */
#define RULES_SAVE_MS 1000

/* Why an interface is not protected, for /healthz. */
static const char *why_not(const struct managed *mi)
{
	switch (mi->state) {
	case IF_WAITING:
		return "the interface is missing; waiting for it";
	case IF_LOST:
		return "the program was removed or replaced from outside; a reload puts it back";
	case IF_ATTACHED:
		break;
	}
	return NULL;
}

/* The metrics thread's view, under the list's lock: the states, and with
 * counters the counters, limits and rules read from the maps now. */
static int snapshot(struct daemon *d, struct tg_metrics_iface *mifs, bool counters)
{
	int i, n = d->n;

	for (i = 0; i < n; i++) {
		struct managed *mi = d->ifs[i];
		struct tg_metrics_iface *o = &mifs[i];

		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", mi->ic.name);
		o->attached = mi->state == IF_ATTACHED;
		o->why_not = why_not(mi);
		o->rules = -1;
		if (!counters)
			continue;
		o->readable = !tg_counters_read(mi->m.stats, &o->c) &&
			      !tg_fam_counters_read(mi->m.fstats, o->fam);
		o->ports_read = !tg_port_counters_read(mi->m.pstats, o->ports);
		o->max_sources = mi->ic.limits.max_sources;
		o->tracked = tg_sync_tracked(&d->sync, mi->ic.name);
		o->in_fleet = !tg_fleet_read(mi->m.fleet, &o->fleet) && o->fleet.size;
		if (mi->m.config >= 0) {
			o->limits_read = !tg_live_read(&mi->m, &o->limits);
			o->rules = tg_rules_count(mi->m.rules);
		}
	}
	return n;
}

/* tidegate_build_info's labels, once. */
static void build_info(struct tg_metrics_daemon *dm)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	dm->version = TG_VERSION;
	dm->libbpf = libbpf_version_string();
	dm->kernel = u.release;
}

static char *page(void *arg, enum tg_http_page pg, unsigned int *status, size_t *len)
{
	static struct tg_metrics_iface mifs[TG_MAX_IFACES];
	struct daemon *d = arg;
	struct tg_metrics_daemon dm = {};
	struct tg_metrics_sync ms;
	int n;

	pthread_mutex_lock(&d->lock);
	n = snapshot(d, mifs, pg == TG_PAGE_METRICS);
	dm.reload_ok = d->reload_ok;
	dm.reload_ok_s = d->reload_ok_s;
	if (pg == TG_PAGE_METRICS)
		tg_sync_read(&d->sync, &ms);
	pthread_mutex_unlock(&d->lock);
	if (pg == TG_PAGE_HEALTH)
		return tg_metrics_health(mifs, n, status, len);
	build_info(&dm);
	dm.proc_read = !tg_proc_read(&dm.proc);
	*status = 200;
	return tg_metrics_render(&dm, mifs, n, &ms, len);
}

/* The config file was taken, at start or by a reload; or refused. */
static void set_reloaded(struct daemon *d, bool ok)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&d->lock);
	d->reload_ok = ok;
	if (ok)
		d->reload_ok_s = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_unlock(&d->lock);
}

static int start_http(struct daemon *d)
{
	char why[200];

	if (!d->conf->metrics_on)
		return 0;
	d->http = tg_http_start(&d->conf->metrics_addr, d->conf->metrics_addrlen, page, d, why,
				sizeof(why));
	if (!d->http) {
		tg_err("metrics on %s: %s", d->conf->metrics, why);
		return -1;
	}
	tg_info("metrics on http://%s/metrics, health on /healthz", d->conf->metrics);
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
	       a->cookie_budget == b->cookie_budget && a->new_source_rate == b->new_source_rate &&
	       tg_port_limits_equal(a, b);
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

static void log_protecting(const struct daemon *d, const char *what)
{
	char text[160];

	tg_run_protecting(d, text, sizeof(text));
	tg_info("%s: %s (pid %d)", what, text, (int)getpid());
}

/* systemd's status line says what is protected; READY=1 after a reload. */
static void notify_ready(const struct daemon *d)
{
	char text[160];

	tg_run_protecting(d, text, sizeof(text));
	sd_notifyf(0, "READY=1\nSTATUS=%s", text);
}

/* SIGHUP: the new file, applied as a difference. */
static void reload(struct daemon *d)
{
	struct tg_daemon_conf *nc = load_conf(d->cl), *old = d->conf;
	int i, j, lock;

	if (!nc) {
		tg_err("reload: the config has errors; keeping the running configuration");
		set_reloaded(d, false);
		return;
	}
	lock = tg_lock();
	if (lock < 0) {
		char why[512];

		tg_lock_explain(lock, why, sizeof(why));
		tg_err("reload: %s; keeping the running configuration", why);
		set_reloaded(d, false);
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
		tg_run_drop_iface(mi, true);
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
			mi = tg_run_add_iface(d, ic);
			pthread_mutex_lock(&d->lock);
			if (mi)
				d->ifs[d->n++] = mi;
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		if (mi->m.config >= 0) {
			/* Its maps, on the interface or kept while it is away. */
			apply_limits(mi, ic);
			tg_run_apply_rules(mi, &mi->ic, ic);
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
			if (tg_run_attach(d, mi) == -ENODEV)
				tg_run_set_state(d, mi, IF_WAITING);
		}
		mi->retry_ms = 0; /* a waiting one: try at once */
	}
	tg_unlock(lock);

	if (strcmp(old->metrics, nc->metrics)) {
		tg_http_stop(d->http);
		d->http = NULL;
		start_http(d);
	}
	tg_run_push_sync(d);
	free(old);
	set_reloaded(d, true);
	log_protecting(d, "reloaded");
}

int tg_cmd_run(const struct tg_cmdline *cl)
{
	static struct daemon d;
	struct tg_linkwatch *lw = NULL;
	__u64 last_check = 0, last_save = 0;
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
	set_reloaded(&d, true); /* the file was taken at start */
	if (tg_sync_start(&d.sync)) {
		tg_err("starting the sync thread failed");
		free(d.conf);
		return TG_EXIT_FAIL;
	}
	if (tg_fleet_start(&d.fleet)) {
		tg_err("starting the fleet thread failed");
		tg_sync_stop(&d.sync);
		free(d.conf);
		return TG_EXIT_FAIL;
	}
	if (d.conf->fleet_on)
		tg_info("fleet %s: pushing admissions every %llu ms, local burst share %u", d.conf->fleet,
			(unsigned long long)d.conf->fleet_interval_ms, d.conf->fleet_burst_share);
	if (tg_conf_mirror_on(d.conf)) {
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
		struct managed *mi = tg_run_add_iface(&d, &d.conf->iface[i]);

		if (mi)
			d.ifs[d.n++] = mi;
	}
	tg_unlock(lock);
	if (d.conf->niface && !d.n) {
		tg_err("no interface could be protected; stopping");
		ret = TG_EXIT_FAIL;
		goto out;
	}
	tg_run_push_sync(&d);
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

	tg_run_journal_update(&d);
	for (;;) {
		struct pollfd p[2 + TG_MAX_IFACES] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = lw ? tg_linkwatch_fd(lw) : -1, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		__u64 now = tg_mono_ns() / 1000000;
		__u64 due = last_check + (pending ? CHECK_MIN_GAP_MS : CHECK_INTERVAL_MS);
		int nj = tg_run_journal_fds(&d, p + 2, TG_MAX_IFACES);

		if (poll(p, 2 + (nfds_t)nj, due > now ? (int)(due - now) : 0) < 0 &&
		    errno != EINTR) {
			tg_err("waiting for signals and link events: %s", strerror(errno));
			ret = TG_EXIT_FAIL;
			break;
		}
		tg_run_journal_drain(&d, p + 2, nj);
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
			tg_run_check_ifaces(&d);
			tg_run_journal_update(&d);
			last_check = now;
			pending = false;
		}
		if (now >= last_save + RULES_SAVE_MS) {
			for (i = 0; i < d.n; i++)
				tg_run_rules_save(&d, d.ifs[i]);
			last_save = now;
		}
	}
out:
	tg_http_stop(d.http);
	tg_fleet_stop(&d.fleet);
	tg_sync_stop(&d.sync); /* one last write first, if Redis is there */
	lock = tg_lock();
	for (i = 0; i < d.n; i++) {
		tg_run_rules_save(&d, d.ifs[i]); /* what the next start finds */
		if (!d.conf->detach_on_exit && d.ifs[i]->state == IF_ATTACHED)
			tg_info("%s: left attached, buckets pinned", d.ifs[i]->ic.name);
		tg_run_drop_iface(d.ifs[i], d.conf->detach_on_exit);
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
