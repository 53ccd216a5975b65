// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_rule.c - tidegate rule add|del|list: allow, deny and limit rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "caps.h"
#include "commands.h"
#include "iface.h"
#include "live.h"
#include "output.h"
#include "rules.h"

enum rule_verb { RULE_ADD, RULE_DEL, RULE_LIST };

static const struct {
	const char *name;
	enum rule_verb verb;
	int min_pos, max_pos; /* with the verb */
	const char *usage;
} verbs[] = {
	{ "add", RULE_ADD, 4, 5, "rule add IFACE CIDR allow|deny|limit RATE [--burst N] [--shared] "
				 "[--action A]" },
	{ "del", RULE_DEL, 3, 3, "rule del IFACE CIDR" },
	{ "list", RULE_LIST, 2, 2, "rule list IFACE [--json]" },
};

#define NR_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/* Everything wrong with the command line is a usage error (exit 2),
 * found before anything is opened. */
static int parse_spec(const struct tg_cmdline *cl, struct tg_rule_spec *spec)
{
	const char *cidr = cl->pos[2], *kind = cl->pos[3];
	char why[160];

	memset(spec, 0, sizeof(*spec));
	if (tg_cidr_parse(cidr, &spec->cidr, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "rule: CIDR '%s': %s", cidr, why);
	spec->kind = tg_rule_kind_parse(kind);
	if (!spec->kind)
		return tg_fail(TG_EXIT_USAGE, "rule: kind '%s': expected allow, deny or limit", kind);
	if (spec->kind == TG_RULE_LIMIT) {
		if (cl->npos < 5)
			return tg_fail(TG_EXIT_USAGE, "rule: limit needs a RATE (rule add IFACE %s limit "
					       "10/second)", cidr);
		if (tg_rate_parse(cl->pos[4], &spec->rate, why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "rule: rate '%s': %s", cl->pos[4], why);
		if (cl->set[OPT_BURST] &&
		    tg_parse_u64(cl->val[OPT_BURST], 1, TG_MAX_BURST, &spec->burst))
			return tg_fail(TG_EXIT_USAGE, "--burst '%s': expected a whole number from 1 to "
					       "%llu", cl->val[OPT_BURST], TG_MAX_BURST);
		spec->shared = cl->set[OPT_SHARED];
	} else {
		if (cl->npos > 4)
			return tg_fail(TG_EXIT_USAGE, "rule: unexpected argument '%s' (only limit "
					       "takes a RATE)", cl->pos[4]);
		if (cl->set[OPT_BURST] || cl->set[OPT_SHARED])
			return tg_fail(TG_EXIT_USAGE, "rule: --%s applies to limit rules only",
				       cl->set[OPT_BURST] ? "burst" : "shared");
	}
	if (cl->set[OPT_ACTION]) {
		if (spec->kind == TG_RULE_ALLOW)
			return tg_fail(TG_EXIT_USAGE, "rule: --action does not apply to allow rules");
		if (tg_action_parse(cl->val[OPT_ACTION], &spec->action, why, sizeof(why)))
			return tg_fail(TG_EXIT_USAGE, "--action '%s': %s", cl->val[OPT_ACTION], why);
	}
	return 0;
}

static struct json_object *with_iface(const char *ifname, struct json_object *rule)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "rule", rule);
	return o;
}

static int rule_add(const char *ifname, const struct tg_maps *m, const struct tg_rule_spec *spec,
		    const char *cidr)
{
	struct tg_rule_key key;
	char why[160] = "";
	struct tg_rule r;
	int err;

	err = tg_live_rule_add(m, spec, &key, &r, why, sizeof(why));
	if (err == -EEXIST)
		return tg_fail(TG_EXIT_USAGE, "rule: CIDR '%s': duplicate: %s already has rule %u "
				       "(%s) for it; delete it first", cidr, ifname, r.id,
			       tg_rule_kind_name(r.kind));
	if (err == -EINVAL || err == -ERANGE)
		return tg_fail(TG_EXIT_USAGE, "rule: %s: %s", cidr, why);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: adding the rule for %s: %s%s", ifname, cidr,
			       strerror(-err), err == -ENOSPC || err == -E2BIG ?
			       " (the rule table is full)" : "");
	tg_out_print(with_iface(ifname, tg_rule_json(&key, &r)));
	return TG_EXIT_OK;
}

static int rule_del(const char *ifname, const struct tg_maps *m, const struct tg_cidr *c,
		    const char *cidr)
{
	struct tg_rule_key key;
	struct tg_rule r;
	int err;

	tg_cidr_to_key(c, &key);
	err = tg_live_rule_del(m, &key, &r);
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: no rule for %s (see 'tidegate rule list %s')",
			       ifname, cidr, ifname);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: deleting the rule for %s: %s", ifname, cidr,
			       strerror(-err));
	tg_out_print(with_iface(ifname, tg_rule_json(&key, &r)));
	return TG_EXIT_OK;
}

static int rule_list(const char *ifname, const struct tg_maps *m)
{
	struct tg_rule_entry *rules;
	struct json_object *list;
	int i, n;

	n = tg_rules_read(m->rules, &rules);
	if (n < 0)
		return tg_fail(TG_EXIT_FAIL, "%s: reading the rules: %s", ifname, strerror(-n));
	list = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(list, tg_rule_json(&rules[i].key, &rules[i].rule));
	free(rules);
	if (!n && !tg_out_json()) {
		printf("no rules on %s\n", ifname);
		json_object_put(list);
		return TG_EXIT_OK;
	}
	if (tg_out_json()) {
		tg_out_print(list);
		return TG_EXIT_OK;
	}
	/* Text: one line per rule, from the same objects. */
	for (i = 0; i < n; i++)
		tg_out_print_line(json_object_get(json_object_array_get_idx(list, i)));
	json_object_put(list);
	return TG_EXIT_OK;
}

int tg_cmd_rule(const struct tg_cmdline *cl)
{
	struct tg_rule_spec spec;
	const char *ifname;
	struct tg_cidr cidr;
	struct tg_maps m;
	char why[160];
	size_t v;
	int ret, lock;

	for (v = 0; v < NR_VERBS; v++)
		if (!strcmp(cl->pos[0], verbs[v].name))
			break;
	if (v == NR_VERBS)
		return tg_fail(TG_EXIT_USAGE, "rule: unknown '%s': expected add, del or list",
			       cl->pos[0]);
	if (cl->npos < verbs[v].min_pos || cl->npos > verbs[v].max_pos)
		return tg_fail(TG_EXIT_USAGE, "rule %s: %s arguments (usage: tidegate %s)",
			       verbs[v].name, cl->npos < verbs[v].min_pos ? "missing" : "too many",
			       verbs[v].usage);
	if (verbs[v].verb != RULE_ADD && (cl->set[OPT_BURST] || cl->set[OPT_SHARED] ||
					  cl->set[OPT_ACTION]))
		return tg_fail(TG_EXIT_USAGE, "rule %s: options --burst, --shared and --action "
				       "are for 'rule add'", verbs[v].name);
	ifname = cl->pos[1];
	if (verbs[v].verb == RULE_ADD && (ret = parse_spec(cl, &spec)))
		return ret;
	if (verbs[v].verb == RULE_DEL && tg_cidr_parse(cl->pos[2], &cidr, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "rule: CIDR '%s': %s", cl->pos[2], why);
	if ((ret = tg_require_caps("rule", TG_PRIV_MAPS)))
		return ret;
	lock = tg_iface_lock_open(ifname, &m);
	if (lock < 0)
		return -lock;
	switch (verbs[v].verb) {
	case RULE_ADD:
		ret = rule_add(ifname, &m, &spec, cl->pos[2]);
		break;
	case RULE_DEL:
		ret = rule_del(ifname, &m, &cidr, cl->pos[2]);
		break;
	default:
		ret = rule_list(ifname, &m);
		break;
	}
	tg_iface_unlock_close(lock, &m);
	return ret;
}
