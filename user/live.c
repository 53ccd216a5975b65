// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* live.c - the config and ports maps. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "cookie_facts.h"
#include "live.h"
#include "rescale.h"
#include "log.h"
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
	for (i = 0; i < count; i++)
		if (vals[i] && keys[i] < TG_PORTS_MAX)
			tg_portset_add(set, keys[i]);
out:
	free(keys);
	free(vals);
	return err;
}

int tg_live_read(const struct tg_maps *m, struct tg_limits *l)
{
	struct tg_config cfg;
	__u32 zero = 0;

	/* The layout version was checked when the maps were opened. */
	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
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
 * Derive cfg's rule flags from the rules, make sure tg_redirect holds
 * every interface an action names before cfg is written, write cfg,
 * then drop the interfaces no action names any more.
 */
static int write_config(const struct tg_maps *m, struct tg_config *cfg)
{
	__u32 need[TG_MAX_REDIRECTS], key, next, gone[TG_MAX_REDIRECTS];
	struct tg_rule_entry *rules;
	int i, n, nneed = 0, ngone = 0, err = 0;
	__u32 zero = 0;
	void *prev = NULL;

	n = tg_rules_read(m->rules, &rules);
	if (n < 0)
		return n;
	cfg->flags &= ~(TG_F_RULES | TG_F_FLOWS);
	if (n)
		cfg->flags |= TG_F_RULES;
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
	if (bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY)) {
		err = -errno;
		goto out;
	}
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
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	return write_config(m, &cfg);
}

int tg_live_next_rule_id(const struct tg_maps *m, __u32 *id)
{
	struct tg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	if (cfg.rule_seq == UINT32_MAX)
		return -ENOSPC;
	*id = ++cfg.rule_seq;
	return bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY) ? -errno : 0;
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

int tg_live_write(const struct tg_maps *m, const struct tg_limits *l,
		  const struct tg_limits *old)
{
	struct tg_config cfg, cur = { 0 };
	struct config_write w = { m, &cfg };
	struct tg_gcra from, to;
	char why[160];
	unsigned int port;
	__u32 zero = 0;
	int err;

	err = tg_limits_to_config(l, &cfg, why, sizeof(why));
	if (err) {
		tg_err("%s", why);
		return err;
	}
	/* Rule ids are never handed out twice, whatever l says; the SYN
	 * cookie facts of the host are attach's to write, not ours. */
	if (!bpf_map_lookup_elem(m->config, &zero, &cur)) {
		if (cur.rule_seq > cfg.rule_seq)
			cfg.rule_seq = cur.rule_seq;
		tg_cookies_keep_facts(&cfg, &cur);
	}
	/* The default limit's buckets keep their tokens (a fresh table's
	 * config is all zeros: nothing to carry). */
	from = (struct tg_gcra){ cur.interval_ns, cur.tolerance_ns };
	to = (struct tg_gcra){ cfg.interval_ns, cfg.tolerance_ns };
	err = tg_rescale_change(m->buckets, 0, &from, &to, 0, apply_config, &w, NULL);
	if (err)
		return err;
	/* Add the new ports first, then clear the old: a port kept in both
	 * sets is never unprotected for a moment. */
	for (port = 1; port < TG_PORTS_MAX; port++) {
		bool want = tg_portset_has(&l->ports, port);
		bool had = old && tg_portset_has(&old->ports, port);

		if (want && !had && (err = write_port(m->ports, port, 1)))
			return err;
	}
	for (port = 1; old && port < TG_PORTS_MAX; port++) {
		if (tg_portset_has(&old->ports, port) && !tg_portset_has(&l->ports, port) &&
		    (err = write_port(m->ports, port, 0)))
			return err;
	}
	return 0;
}

int tg_live_rule_add(const struct tg_maps *m, const struct tg_rule_spec *spec,
		     struct tg_rule_key *key, struct tg_rule *r, char *why, size_t whylen)
{
	__u32 id;
	int err;

	tg_cidr_to_key(&spec->cidr, key);
	if (!tg_rule_find(m->rules, key, r))
		return -EEXIST;
	/* Check the spec before spending an id on it. */
	err = tg_rule_build(spec, 1, r, why, whylen);
	if (err)
		return err;
	err = tg_live_next_rule_id(m, &id);
	if (err)
		return err;
	r->id = id;
	if (r->action == TG_ACT_REDIRECT && (err = tg_live_redirect_add(m, r->action_ifindex)))
		return err;
	if (bpf_map_update_elem(m->rules, key, r, BPF_NOEXIST))
		return errno == EEXIST ? -EBUSY : -errno;
	return tg_live_sync(m);
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
	return r->kind == want->kind && r->flags == want->flags;
}

struct rule_write {
	const struct tg_maps *m;
	const struct tg_rule_key *key;
	const struct tg_rule *rule;
};

static int apply_rule(void *arg)
{
	struct rule_write *w = arg;

	if (bpf_map_update_elem(w->m->rules, w->key, w->rule, BPF_EXIST))
		return -errno;
	return tg_live_sync(w->m);
}

int tg_live_rule_apply(const struct tg_maps *m, const struct tg_rule_spec *spec, char *why,
		       size_t whylen)
{
	struct rule_write w = { m, NULL, NULL };
	struct tg_gcra from, to;
	struct tg_rule_key key;
	struct tg_rule have, want;
	int err;

	tg_cidr_to_key(&spec->cidr, &key);
	w.key = &key;
	w.rule = &want;
	err = tg_rule_find(m->rules, &key, &have);
	if (err == -ENOENT) {
		err = tg_live_rule_add(m, spec, &key, &want, why, whylen);
		return err ? err : 1;
	}
	if (err)
		return err;
	err = tg_rule_build(spec, have.id, &want, why, whylen);
	if (err)
		return err;
	if (!memcmp(&have, &want, sizeof(want)))
		return 0;
	from = (struct tg_gcra){ have.interval_ns, have.tolerance_ns };
	to = (struct tg_gcra){ want.interval_ns, want.tolerance_ns };
	/* Replaced in place, never deleted and added again: the trie swaps
	 * the value atomically, so no SYN finds the prefix without its rule
	 * (an allow range limited, a deny range passed), and a failure
	 * leaves the old rule in force. A new id, so new buckets, only when
	 * what the buckets mean changed. */
	if (!same_buckets(&have, &want)) {
		err = tg_live_next_rule_id(m, &want.id);
		if (err)
			return err;
	}
	if (want.action == TG_ACT_REDIRECT && (err = tg_live_redirect_add(m, want.action_ifindex)))
		return err;
	/* Kept buckets keep their tokens under the rule's new limit. */
	if (want.id == have.id)
		err = tg_rescale_change(m->buckets, want.id, &from, &to, 0, apply_rule, &w, NULL);
	else
		err = apply_rule(&w);
	return err ? err : 1;
}
