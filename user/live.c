// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* live.c - the config and ports maps. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "buckets.h"
#include "cfgslots.h"
#include "clock.h"
#include "cookie_facts.h"
#include "live.h"
#include "rescale.h"
#include "log.h"
#include "port_limits.h"
#include "rule_filter.h"
#include "rules.h"

static int read_ports(int fd, struct tg_portset *set)
{
	__u32 *keys = calloc(TG_PORTS_MAX, sizeof(*keys));
	__u8 *vals = calloc(TG_PORTS_MAX, sizeof(*vals));
	__u32 out_batch = 0, count = TG_PORTS_MAX, i;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	memset(set, 0, sizeof(*set));
	/* One syscall for the whole array rather than 65536 lookups. */
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	/* The interface's limited ports; a group's are in the config. */
	for (i = 0; i < count; i++)
		if (vals[i] == TG_PG_DEFAULT && keys[i] < TG_PORTS_MAX)
			tg_portset_add(set, keys[i]);
out:
	free(keys);
	free(vals);
	return err;
}

int tg_live_read(const struct tg_maps *m, struct tg_limits *l)
{
	struct tg_config cfg;
	int err;

	/* The layout version was checked when the maps were opened. */
	err = tg_config_read(m->config, m->config_gen, &cfg);
	if (err)
		return err;
	tg_limits_from_config(&cfg, l);
	return read_ports(m->ports, &l->ports);
}

static int write_port(int fd, unsigned int port, __u8 on)
{
	__u32 key = port;

	return bpf_map_update_elem(fd, &key, &on, BPF_ANY) ? -errno : 0;
}

int tg_live_redirect_add(const struct tg_maps *m, __u32 ifindex)
{
	if (bpf_map_update_elem(m->redirect, &ifindex, &ifindex, BPF_ANY)) {
		int err = -errno;

		tg_err("adding interface #%u to %s: %s", ifindex, TG_MAP_REDIRECT, strerror(errno));
		return err;
	}
	return 0;
}

static bool listed(const __u32 *v, int n, __u32 x)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/*
 * The rules in force: those whose --ttl ran out are deleted (the program
 * has ignored them since; deleted, they no longer hide a shorter prefix's
 * rule) and left out. Returns the count, *rules malloc'ed, or -errno.
 */
static int sweep_expired(const struct tg_maps *m, struct tg_rule_entry **rules)
{
	struct tg_rule_entry *v;
	__u64 now = tg_mono_ns();
	int i, n, kept = 0;

	n = tg_rules_read(m->rules, rules);
	if (n <= 0)
		return n;
	v = *rules;
	for (i = 0; i < n; i++) {
		if (tg_rule_expired(&v[i].rule, now) && !bpf_map_delete_elem(m->rules, &v[i].key))
			continue;
		v[kept++] = v[i];
	}
	return kept;
}

/*
 * Derive cfg's rule flags from the rules, make sure tg_redirect holds
 * every interface an action names before cfg is written, write cfg,
 * then drop the interfaces no action names any more.
 */
static int write_config(const struct tg_maps *m, struct tg_config *cfg)
{
	__u32 need[TG_MAX_REDIRECTS], key, next, gone[TG_MAX_REDIRECTS];
	struct tg_rule_entry *rules;
	int i, n, nneed = 0, ngone = 0, err = 0;
	void *prev = NULL;

	n = sweep_expired(m, &rules);
	if (n < 0)
		return n;
	/* The prefilter of exactly the rules left: after a delete, what
	 * clears the deleted rules' bits. */
	err = tg_rule_filter_set(m, rules, n);
	if (err)
		goto out;
	cfg->flags &= ~(TG_F_RULES | TG_F_FLOWS | TG_F_DENY_ALL);
	if (n)
		cfg->flags |= TG_F_RULES;
	for (i = 0; i < n; i++)
		if (rules[i].rule.flags & TG_RULE_F_ALL)
			cfg->flags |= TG_F_DENY_ALL;
	if (cfg->action == TG_ACT_REDIRECT)
		need[nneed++] = cfg->action_ifindex;
	for (i = 0; i < n; i++) {
		__u32 ifi = rules[i].rule.action_ifindex;

		if (rules[i].rule.action == TG_ACT_REDIRECT && !listed(need, nneed, ifi)) {
			if (nneed == TG_MAX_REDIRECTS) {
				tg_err("more than %d redirect interfaces", TG_MAX_REDIRECTS);
				err = -E2BIG;
				goto out;
			}
			need[nneed++] = ifi;
		}
	}
	if (nneed)
		cfg->flags |= TG_F_FLOWS;
	for (i = 0; i < nneed; i++)
		if ((err = tg_live_redirect_add(m, need[i])))
			goto out;
	err = tg_config_write(m->config, m->config_gen, cfg);
	if (err)
		goto out;
	while (!bpf_map_get_next_key(m->redirect, prev, &next) && ngone < TG_MAX_REDIRECTS) {
		key = next;
		prev = &key;
		if (!listed(need, nneed, key))
			gone[ngone++] = key;
	}
	for (i = 0; i < ngone; i++)
		bpf_map_delete_elem(m->redirect, &gone[i]);
out:
	free(rules);
	return err;
}

int tg_live_sync(const struct tg_maps *m)
{
	struct tg_config cfg;
	int err;

	err = tg_config_read(m->config, m->config_gen, &cfg);
	return err ?: write_config(m, &cfg);
}

int tg_live_next_rule_id(const struct tg_maps *m, __u32 *id)
{
	struct tg_config cfg;
	int err;

	err = tg_config_read(m->config, m->config_gen, &cfg);
	if (err)
		return err;
	/* Past TG_RULE_ID_MAX an id would not fit a bucket's key. */
	if (cfg.rule_seq >= TG_RULE_ID_MAX)
		return -ENOSPC;
	*id = ++cfg.rule_seq;
	return tg_config_write(m->config, m->config_gen, &cfg);
}

struct config_write {
	const struct tg_maps *m;
	struct tg_config *cfg;
};

static int apply_config(void *arg)
{
	struct config_write *w = arg;

	return write_config(w->m, w->cfg);
}

/* Each port whose group changes from old's to l's: with gaining, those
 * limited in l (a group or the interface's); without, those that are
 * limited no more. */
static int write_ports(const struct tg_maps *m, const struct tg_limits *l,
		       const struct tg_limits *old, bool gaining)
{
	unsigned int port;
	int err;

	for (port = 1; port < TG_PORTS_MAX; port++) {
		__u8 want = tg_port_group_of(l, port);
		__u8 had = old ? tg_port_group_of(old, port) : TG_PG_NONE;

		if (want == had || (want != TG_PG_NONE) != gaining)
			continue;
		if ((err = write_port(m->ports, port, want)))
			return err;
	}
	return 0;
}

/*
 * A new limit for the buckets of one port group (key_group: 0 the
 * interface's), then cfg written; each rescaled as rescale.h says.
 */
static int change_limit(const struct tg_maps *m, __u32 key_group, const struct tg_gcra *from,
			const struct tg_gcra *to, struct config_write *w)
{
	return tg_rescale_change(m->buckets, m->config_gen, 0, key_group, from, to, 0, apply_config, w,
				 NULL);
}

/* Forget the buckets of a group id about to be given to new ports: a
 * group removed earlier may have left some, charged at its limit; and
 * its floors of the fleet's view, which would deny the new group's
 * sources by the old group's limit. */
static int purge_group(const struct tg_maps *m, __u32 group, __u32 max_sources)
{
	struct tg_bucket_read r = { 0 };
	struct tg_floor_read f = { 0 };
	size_t i;
	int err;

	err = tg_buckets_read(m->buckets, tg_buckets_limit(max_sources), TG_BUCKETS_BATCH, &r);
	for (i = 0; !err && i < r.n; i++)
		if (r.keys[i].group == group)
			bpf_map_delete_elem(m->buckets, &r.keys[i]);
	tg_buckets_free(&r);
	if (!err && m->floor >= 0) {
		err = tg_floors_read(m->floor, &f);
		for (i = 0; !err && i < f.n; i++)
			if (f.keys[i].group == group)
				bpf_map_delete_elem(m->floor, &f.keys[i]);
		tg_floors_free(&f);
	}
	return err;
}

/*
 * Write l over old (NULL: a fresh table). A port is pointed at a group
 * only once the group's limit is live, and away from a group before it
 * is removed: first the config with the groups of both (l's limit for
 * a group in both, each change rescaled), then the ports, then l's
 * config alone. Ports that gain protection are written before those
 * that lose it, so a port kept is never unprotected for a moment.
 */
int tg_live_write(const struct tg_maps *m, const struct tg_limits *want,
		  const struct tg_limits *old)
{
	struct tg_config cfg, cur = { 0 }, final;
	struct config_write w = { m, &cfg };
	struct tg_limits *l, in_force;
	struct tg_gcra from, to;
	char why[160];
	int err, g, read_err;

	read_err = tg_config_read(m->config, m->config_gen, &cur);
	if (read_err)
		memset(&cur, 0, sizeof(cur)); /* nothing in force to keep */
	l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = *want;
	tg_limits_from_config(&cur, &in_force);
	err = tg_port_groups_align(l, &in_force, why, sizeof(why)) ?:
	      tg_limits_to_config(l, &final, why, sizeof(why));
	if (err) {
		tg_err("%s", why);
		goto out;
	}
	/* Rule ids are never handed out twice, whatever l says; the SYN
	 * cookie facts of the host are attach's to write, not ours. */
	if (!read_err) {
		if (cur.rule_seq > final.rule_seq)
			final.rule_seq = cur.rule_seq;
		tg_cookies_keep_facts(&final, &cur);
		tg_cookies_sysctls(&final, cur.cookie_opts & TG_COPT_TC);
	}
	/* The groups in force stay until no port points at them. */
	cfg = final;
	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		if (cur.port_groups[g].interval_ns)
			cfg.port_groups[g] = cur.port_groups[g]; /* a change: below */
		else if (final.port_groups[g].interval_ns &&
			 (err = purge_group(m, (__u32)g, final.max_sources)))
			goto out;
	}
	/* The default limit's buckets keep their tokens (a fresh table's
	 * config is all zeros: nothing to carry), and so do each group's. */
	from = (struct tg_gcra){ cur.interval_ns, cur.tolerance_ns };
	to = (struct tg_gcra){ cfg.interval_ns, cfg.tolerance_ns };
	err = change_limit(m, 0, &from, &to, &w);
	for (g = TG_PG_FIRST; !err && g < TG_PORT_GROUPS; g++) {
		const struct tg_port_group *was = &cur.port_groups[g], *now = &final.port_groups[g];

		if (!was->interval_ns || !now->interval_ns || !memcmp(was, now, sizeof(*was)))
			continue;
		from = (struct tg_gcra){ was->interval_ns, was->tolerance_ns };
		to = (struct tg_gcra){ now->interval_ns, now->tolerance_ns };
		cfg.port_groups[g] = *now;
		err = change_limit(m, (__u32)g, &from, &to, &w);
	}
	if (err)
		goto out;
	err = write_ports(m, l, old, true) ?: write_ports(m, l, old, false);
	if (err || !memcmp(&cfg, &final, sizeof(cfg)))
		goto out;
	cfg = final;
	err = apply_config(&w);
out:
	free(l);
	return err;
}

int tg_live_rule_del(const struct tg_maps *m, const struct tg_rule_key *key, struct tg_rule *r)
{
	int err;

	err = tg_rule_find(m->rules, key, r);
	if (err)
		return err;
	if (bpf_map_delete_elem(m->rules, key))
		return -errno;
	return tg_live_sync(m);
}

/* Whether r's buckets can serve want: the same kind and sharing, so the
 * same keys (buckets are keyed by rule id). A limit changed keeps them,
 * rescaled; an action alone does not touch them. */
static bool same_buckets(const struct tg_rule *r, const struct tg_rule *want)
{
	return r->kind == want->kind && (r->flags & TG_RULE_F_SHARED) ==
					(want->flags & TG_RULE_F_SHARED);
}

struct rule_write {
	const struct tg_maps *m;
	const struct tg_rule_key *key;
	const struct tg_rule *rule;
};

static int write_rule(void *arg)
{
	struct rule_write *w = arg;

	return bpf_map_update_elem(w->m->rules, w->key, w->rule, BPF_ANY) ? -errno : 0;
}

/*
 * Put spec's rule in force for key's prefix, the flags left to the
 * caller's sync. have is the rule in force there (NULL: none). A rule
 * replaces another in place, never deleted and added again: the trie
 * swaps the value atomically, so no SYN finds the prefix without its
 * rule (an allow range limited, a deny range passed), and a failure
 * leaves the old rule in force. A new id, so new buckets, only when
 * what the buckets mean changed; a changed limit keeps them, each with
 * its tokens (rescale.h). Returns 0 (the same rule is there), 1
 * (written, want filled), or -errno (-EINVAL/-ERANGE with why).
 */
static int rule_put(const struct tg_maps *m, const struct tg_rule_spec *spec,
		    const struct tg_rule_key *key, const struct tg_rule *have, struct tg_rule *want,
		    char *why, size_t whylen)
{
	struct rule_write w = { m, key, want };
	int err;

	/* Check the spec before spending an id on it. */
	err = tg_rule_build(spec, have ? have->id : 1, want, why, whylen);
	if (err)
		return err;
	if (have && !memcmp(have, want, sizeof(*want)))
		return 0;
	if (!have || !same_buckets(have, want)) {
		err = tg_live_next_rule_id(m, &want->id);
		if (err)
			return err;
	}
	if (want->action == TG_ACT_REDIRECT && (err = tg_live_redirect_add(m, want->action_ifindex)))
		return err;
	if (have && want->id == have->id) {
		struct tg_gcra from = { have->interval_ns, have->tolerance_ns };
		struct tg_gcra to = { want->interval_ns, want->tolerance_ns };

		err = tg_rescale_change(m->buckets, m->config_gen, want->id, 0, &from, &to, 0, write_rule, &w,
					NULL);
	} else {
		err = write_rule(&w);
	}
	return err ? err : 1;
}

/* The rule for exactly key's prefix, if one is in force (an expired one
 * is as good as none: the next sync deletes it). 0 or -ENOENT. */
static int rule_in_force(const struct tg_maps *m, const struct tg_rule_key *key, struct tg_rule *r)
{
	int err = tg_rule_find(m->rules, key, r);

	if (!err && tg_rule_expired(r, tg_mono_ns()))
		return -ENOENT;
	return err;
}

int tg_live_rule_add(const struct tg_maps *m, const struct tg_rule_spec *spec,
		     struct tg_rule_key *key, struct tg_rule *r, char *why, size_t whylen)
{
	int err;

	tg_cidr_to_key(&spec->cidr, key);
	if (!rule_in_force(m, key, r))
		return -EEXIST;
	err = tg_rule_filter_add(m, key, 1);
	if (err)
		return err;
	err = rule_put(m, spec, key, NULL, r, why, whylen);
	return err < 0 ? err : tg_live_sync(m);
}

int tg_live_rule_apply(const struct tg_maps *m, const struct tg_rule_spec *spec, char *why,
		       size_t whylen)
{
	struct tg_rule_key key;
	struct tg_rule have, want;
	int ret;

	tg_cidr_to_key(&spec->cidr, &key);
	ret = rule_in_force(m, &key, &have);
	if (ret && ret != -ENOENT)
		return ret;
	if (ret) {
		int err = tg_rule_filter_add(m, &key, 1);

		if (err)
			return err;
	}
	ret = rule_put(m, spec, &key, ret ? NULL : &have, &want, why, whylen);
	if (ret == 1) {
		int err = tg_live_sync(m);

		if (err)
			return err;
	}
	return ret;
}

/* The rules before an import, to put back should it fail half-way. */
static void import_undo(const struct tg_maps *m, const struct tg_rule_entry *before, int nbefore,
			const struct tg_rule_key *written, int nwritten)
{
	int i;

	for (i = 0; i < nwritten; i++) {
		const struct tg_rule_entry *was = tg_rule_entry_find(before, nbefore, &written[i]);

		if (was)
			bpf_map_update_elem(m->rules, &was->key, &was->rule, BPF_ANY);
		else
			bpf_map_delete_elem(m->rules, &written[i]);
	}
	for (i = 0; i < nbefore; i++)
		bpf_map_update_elem(m->rules, &before[i].key, &before[i].rule, BPF_NOEXIST);
}

int tg_live_rules_import(const struct tg_maps *m, const struct tg_rule_spec *specs, int n,
			 bool replace, struct tg_import_result *res, char *why, size_t whylen)
{
	struct tg_rule_entry *before = NULL, *keep = NULL;
	struct tg_rule_key *written = NULL;
	int i, nbefore, nwritten = 0, err = 0;

	memset(res, 0, sizeof(*res));
	nbefore = tg_rules_read(m->rules, &before);
	if (nbefore < 0)
		return nbefore;
	written = calloc((size_t)n + 1, sizeof(*written));
	keep = calloc((size_t)n + 1, sizeof(*keep));
	if (!written || !keep) {
		err = -ENOMEM;
		goto out;
	}
	/* Every prefix's filter bit first, in one write (written holds the
	 * keys until the loop fills it). The rules undo puts back were in
	 * force when we started, so theirs are set already. */
	for (i = 0; i < n; i++)
		tg_cidr_to_key(&specs[i].cidr, &written[i]);
	err = tg_rule_filter_add(m, written, n);
	if (err)
		goto out;
	for (i = 0; i < n && !err; i++) {
		struct tg_rule have, want;
		int ret;

		tg_cidr_to_key(&specs[i].cidr, &keep[i].key);
		ret = rule_in_force(m, &keep[i].key, &have);
		if (ret && ret != -ENOENT) {
			err = ret;
			break;
		}
		ret = rule_put(m, &specs[i], &keep[i].key, ret ? NULL : &have, &want, why, whylen);
		if (ret < 0) {
			res->failed = i;
			err = ret;
		} else if (ret) {
			written[nwritten++] = keep[i].key;
			if (tg_rule_entry_find(before, nbefore, &keep[i].key))
				res->changed++;
			else
				res->added++;
		} else {
			res->unchanged++;
		}
	}
	if (!err && replace) {
		qsort(keep, (size_t)n, sizeof(*keep), tg_rule_entry_cmp);
		for (i = 0; i < nbefore && !err; i++) {
			if (tg_rule_entry_find(keep, n, &before[i].key))
				continue;
			if (bpf_map_delete_elem(m->rules, &before[i].key) && errno != ENOENT)
				err = -errno;
			else
				res->deleted++;
		}
	}
	if (err) {
		/* All or nothing: the rules as they were, deleted ones too. */
		import_undo(m, before, nbefore, written, nwritten);
		memset(res, 0, sizeof(*res));
		res->failed = i;
	}
	i = tg_live_sync(m);
	err = err ?: i;
out:
	free(before);
	free(keep);
	free(written);
	return err;
}
