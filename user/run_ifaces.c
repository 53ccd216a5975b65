// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * run_ifaces.c - the daemon's interfaces: attached (adopting what is
 * pinned and running, restoring from Redis what is new) or waited for,
 * and checked on each link event and every few hundred ms: a program
 * removed or replaced from outside is reported and kept out until a
 * reload; an interface that goes away is attached again, with the maps
 * it had, when it comes back.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "clock.h"
#include "fleet_slots.h"
#include "live.h"
#include "log.h"
#include "output.h"
#include "run.h"
#include "xdp.h"

#define RESTORE_DEADLINE_MS 10000
/* A failed attach of an interface that appeared is tried again after
 * this long, doubled each time up to the maximum. */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000

static void mirror_cfg(const struct tg_daemon_conf *c, struct tg_mirror_cfg *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->on = tg_conf_mirror_on(c);
	mc->url = c->redis;
	mc->interval_ms = c->sync_interval_ms;
	mc->timeout_ms = c->redis_timeout_ms;
	snprintf(mc->prefix, sizeof(mc->prefix), "%s", c->redis_prefix);
	snprintf(mc->state_dir, sizeof(mc->state_dir), "%s", c->state_dir);
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
	si->config_gen_fd = m->config_gen;
	tg_sync_iface_refresh(si); /* the thread does it again every cycle */
}

/* Hand the interfaces to the fleet thread; an interface of a daemon
 * outside a fleet gets a tg_fleet of size 0, so XDP reads no floor a
 * fleet daemon before it left. */
static void push_fleet(struct daemon *d)
{
	static struct tg_fleet_iface fis[TG_MAX_IFACES];
	const struct tg_daemon_conf *c = d->conf;
	struct tg_fleet_cfg fc;
	int i, n;

	memset(&fc, 0, sizeof(fc));
	fc.on = c->fleet_on;
	snprintf(fc.name, sizeof(fc.name), "%s", c->fleet);
	snprintf(fc.prefix, sizeof(fc.prefix), "%s", c->redis_prefix);
	fc.url = c->redis;
	fc.interval_ms = c->fleet_interval_ms;
	fc.timeout_ms = c->redis_timeout_ms;
	fc.burst_k = c->fleet_burst_share;
	if (!fc.on) {
		/* Out of the fleet: the thread first, so that no cycle under
		 * way publishes a share after each interface's is cleared. */
		tg_fleet_set(&d->fleet, &fc, fis, 0);
		for (i = 0; i < d->n; i++) {
			struct managed *mi = d->ifs[i];
			int err;

			if (mi->m.buckets < 0)
				continue;
			err = tg_fleet_leave(mi->m.fleet, mi->m.config_gen);
			if (err)
				tg_warn("%s: leaving the fleet: %s", mi->ic.name, strerror(-err));
		}
		return;
	}
	for (i = n = 0; i < d->n; i++) {
		struct managed *mi = d->ifs[i];

		if (mi->m.buckets < 0)
			continue;
		sync_iface_of(&mi->ic, &mi->m, &fis[n].si);
		fis[n].fleet_fd = mi->m.fleet;
		fis[n].rules_fd = mi->m.rules;
		fis[n++].floor_fd = mi->m.floor;
	}
	tg_fleet_set(&d->fleet, &fc, fis, n);
}

/* Hand the interfaces and settings to the sync thread. */
void tg_run_push_sync(struct daemon *d)
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
	push_fleet(d);
}

struct fill_ctx {
	struct daemon *d;
	const struct tg_iface_conf *ic;
	bool pending;
};

/* attach.c calls this with new, empty maps, before the program runs:
 * the pins were gone (a reboot, or a detach). The rules kept in the
 * state file go back in, and the buckets from Redis when it is set. */
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
	tg_run_rules_restore(fc->d, ifname, fc->ic->zone, m);
	if (!tg_conf_mirror_on(fc->d->conf))
		return;
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
void tg_run_apply_rules(const struct managed *mi, const struct tg_iface_conf *old,
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

void tg_run_set_state(struct daemon *d, struct managed *mi, enum iface_state state)
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
int tg_run_attach(struct daemon *d, struct managed *mi)
{
	struct fill_ctx fc = { .d = d, .ic = &mi->ic };
	struct tg_limits want = mi->ic.limits, live;
	struct tg_attach_req req = {
		.ifname = mi->ic.name, .mode = mi->ic.mode, .limits = &want, .reuse = true,
		.fill = restore_fill, .fill_ctx = &fc,
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
	tg_run_apply_rules(mi, NULL, &mi->ic);
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

void tg_run_drop_iface(struct managed *mi, bool detach)
{
	tg_run_journal_stop(mi); /* its last lines, before the maps go */
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
		tg_run_set_state(d, mi, IF_WAITING);
		return -ENODEV;
	}
	if (ifindex != mi->ifindex) {
		tg_warn("%s: the interface was made again (index %d, was %d); attaching again",
			mi->ic.name, ifindex, mi->ifindex);
		tg_run_set_state(d, mi, IF_WAITING);
		return -ENODEV;
	}
	err = tg_xdp_find(ifindex, &att);
	if (err == -ENOENT) {
		tg_err("%s: tidegate's program was removed from the interface (by 'tidegate detach "
		       "--force' or another XDP loader): NOT PROTECTED until the next reload",
		       mi->ic.name);
		tg_run_set_state(d, mi, IF_LOST);
		return err;
	}
	if (!err && !tg_prog_uses_map(att.prog_id, mi->config_id)) {
		tg_err("%s: tidegate's program was replaced by another tidegate's (prog %u) with "
		       "other maps: not managing it until the next reload", mi->ic.name,
		       att.prog_id);
		tg_run_set_state(d, mi, IF_LOST);
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
	err = tg_run_attach(d, mi);
	tg_unlock(lock);
	if (!err) {
		tg_run_push_sync(d);
		return;
	}
	mi->backoff_ms = mi->backoff_ms ? mi->backoff_ms * 2 : RETRY_MIN_MS;
	if (mi->backoff_ms > RETRY_MAX_MS)
		mi->backoff_ms = RETRY_MAX_MS;
	mi->retry_ms = now_ms + mi->backoff_ms;
	tg_warn("%s: not attached; trying again in %u s", mi->ic.name, mi->backoff_ms / 1000);
}

/* Every interface: on each link event and every CHECK_INTERVAL_MS. */
void tg_run_check_ifaces(struct daemon *d)
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
struct managed *tg_run_add_iface(struct daemon *d, const struct tg_iface_conf *ic)
{
	struct managed *mi = new_managed(ic);
	int err;

	if (!mi)
		return NULL;
	err = tg_run_attach(d, mi);
	if (err == -ENODEV) {
		tg_warn("%s: no such interface yet; waiting for it", ic->name);
		return mi;
	}
	if (err) {
		tg_err("%s: not protecting it", ic->name);
		tg_run_drop_iface(mi, false);
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

/* "protecting N interfaces", and what is not protected. */
void tg_run_protecting(const struct daemon *d, char *buf, size_t len)
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
