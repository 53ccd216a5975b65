// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * run_rules.c - the rules survive a reboot. Rules are changed by the CLI
 * (`rule add`, `rule import`, fail2ban's action) straight in the pinned
 * maps, with no daemon in the way; so the daemon is the one that keeps
 * them: it reads the rules of each attached interface every few hundred
 * ms and at stop, and rewrites STATE_DIR/rules/IFACE (tmp + rename, see
 * rulestate.c) only when they changed. A reboot takes the pins; at the
 * next start the maps are new, and the file's rules are put in before
 * the program is attached, so no packet meets the interface without
 * them. A --ttl ban keeps its expiry: the file says when it was written.
 * With Redis, the sync thread keeps a copy of the file there too
 * (rules_redis.h), put back when it is the newer of the two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "log.h"
#include "mirror.h"
#include "rules_redis.h"
#include "rulestate.h"
#include "run.h"

void tg_run_rules_save(struct daemon *d, struct managed *mi)
{
	char path[4096];
	bool changed = false;
	int err;

	/* Lost: the pins may be another tidegate's now, not ours to keep. */
	if (mi->state != IF_ATTACHED || mi->m.rules < 0)
		return;
	err = tg_rulestate_path(d->conf->state_dir, mi->ic.name, path, sizeof(path));
	if (!err)
		err = tg_rulestate_save(path, mi->ic.name, &mi->m, &changed);
	if (err && err != mi->save_err)
		tg_warn("%s: keeping its rules in %s: %s; they will not outlive a reboot until "
			"that works (state-dir)", mi->ic.name, path, strerror(-err));
	else if (!err && mi->save_err)
		tg_info("%s: its rules are kept in %s again", mi->ic.name, path);
	else if (changed)
		tg_debug("%s: rules kept in %s", mi->ic.name, path);
	mi->save_err = err;
}

/*
 * The copy in Redis, when it is newer than the file (or there is no
 * file): the state directory lost with a disk, or a machine rebuilt
 * under the same host name. NULL when the file is to be read.
 */
static char *newer_copy(const struct daemon *d, const char *ifname, const char *zone,
			const char *path, size_t *len)
{
	struct tg_mirror_cfg mc = { 0 };
	char why[256] = "", *text = NULL, *file;
	__u64 file_written = 0;
	size_t flen;
	FILE *f;
	int err;

	if (!tg_conf_mirror_on(d->conf))
		return NULL;
	mc.url = d->conf->redis;
	mc.timeout_ms = d->conf->redis_timeout_ms;
	snprintf(mc.prefix, sizeof(mc.prefix), "%s", d->conf->redis_prefix);
	err = tg_rules_redis_fetch(&mc, zone, TG_RESTORE_DEADLINE_MS, &text, len, why,
				   sizeof(why));
	if (err) {
		tg_warn("%s: reading its rules' copy in Redis: %s; using %s alone", ifname, why,
			path);
		return NULL;
	}
	if (!text)
		return NULL;
	f = fopen(path, "r");
	if (f) {
		file = NULL;
		flen = 0;
		if (getline(&file, &flen, f) > 0)
			file_written = tg_rulestate_written(file);
		free(file);
		fclose(f);
		if (tg_rulestate_written(text) <= file_written) {
			free(text);
			return NULL;
		}
	}
	return text;
}

void tg_run_rules_restore(const struct daemon *d, const char *ifname, const char *zone,
			  const struct tg_maps *m)
{
	struct tg_import_result res = { 0 };
	struct tg_rule_set set;
	char path[4096], why[256] = "", *copy = NULL;
	const char *from = path;
	size_t len = 0;
	int err;

	err = tg_rulestate_path(d->conf->state_dir, ifname, path, sizeof(path));
	if (!err) {
		copy = newer_copy(d, ifname, zone, path, &len);
		if (copy) {
			from = "Redis";
			err = tg_rulestate_parse(copy, len, &set, why, sizeof(why));
			free(copy);
		} else {
			err = tg_rulestate_load(path, &set, why, sizeof(why));
		}
	}
	if (err) {
		tg_warn("%s: reading the rules kept in %s: %s%s%s; starting without them", ifname,
			from, strerror(-err), why[0] ? ": line " : "", why);
		return;
	}
	if (set.n) {
		err = tg_live_rules_import(m, set.specs, set.n, false, &res, why, sizeof(why));
		if (err)
			tg_warn("%s: putting back the rules kept in %s: %s%s%s; starting without "
				"them", ifname, from, strerror(-err), why[0] ? ": " : "", why);
		else
			tg_info("%s: put back %d rules kept in %s (the pinned maps were gone)",
				ifname, res.added + res.changed + res.unchanged, from);
	}
	tg_rule_set_free(&set);
}
