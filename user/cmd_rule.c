// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_rule.c - tidegate rule add|del|list|import: allow, deny and limit
 * rules, one at a time or a whole file at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "caps.h"
#include "clock.h"
#include "commands.h"
#include "iface.h"
#include "live.h"
#include "output.h"
#include "rules.h"

enum rule_verb { RULE_ADD, RULE_DEL, RULE_LIST, RULE_IMPORT };

/* The options only `rule add` takes: they are words of the rule. */
static const int spec_opts[] = { OPT_BURST, OPT_SHARED, OPT_ACTION, OPT_ALL, OPT_TTL };
#define NR_SPEC_OPTS (sizeof(spec_opts) / sizeof(spec_opts[0]))

static const struct {
	const char *name;
	enum rule_verb verb;
	int min_pos, max_pos; /* with the verb */
	int own_opt;          /* an option of this verb's only, -1 if none */
	const char *usage;
} verbs[] = {
	{ "add", RULE_ADD, 4, 5, -1,
	  "rule add IFACE CIDR allow|deny|limit RATE [--burst N] [--shared] [--all] [--action A] "
	  "[--ttl DURATION]" },
	{ "del", RULE_DEL, 3, 3, OPT_MISSING_OK, "rule del IFACE CIDR [--missing-ok]" },
	{ "list", RULE_LIST, 2, 2, -1, "rule list IFACE [--json]" },
	{ "import", RULE_IMPORT, 3, 3, OPT_REPLACE, "rule import IFACE FILE|- [--replace]" },
};

#define NR_VERBS (sizeof(verbs) / sizeof(verbs[0]))

/*
 * The rule of `rule add`: its positional words and its options make one
 * line for tg_rule_spec_parse, the one grammar of rules (the config
 * file's and `rule import`'s too). A bad one is a usage error (exit 2).
 */
static int parse_spec(const struct tg_cmdline *cl, struct tg_rule_spec *spec)
{
	char line[512], why[200];
	size_t n = 0, i;
	int k;

	for (k = 2; k < cl->npos && n < sizeof(line); k++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", k > 2 ? " " : "",
				      cl->pos[k]);
	for (i = 0; i < NR_SPEC_OPTS && n < sizeof(line); i++) {
		int o = spec_opts[i];

		if (cl->set[o])
			n += (size_t)snprintf(line + n, sizeof(line) - n, " --%s%s%s",
					      tg_opt_defs[o].name, cl->val[o] ? " " : "",
					      cl->val[o] ? cl->val[o] : "");
	}
	if (n >= sizeof(line))
		return tg_fail(TG_EXIT_USAGE, "rule: the rule is too long");
	if (tg_rule_spec_parse(line, spec, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "rule: %s", why);
	return 0;
}

static struct json_object *answer(const char *ifname, struct json_object *rule, bool changed)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "rule", rule);
	json_object_object_add(o, "changed", json_object_new_boolean(changed));
	return o;
}

static bool same_rule(const struct tg_rule *have, const struct tg_rule_spec *spec)
{
	struct tg_rule want;
	char why[160];

	if (tg_rule_build(spec, have->id, &want, why, sizeof(why)))
		return false;
	return !memcmp(have, &want, sizeof(want));
}

/* Adding the very rule that is there succeeds and says it changed
 * nothing, so a ban can be repeated (fail2ban does); another rule for
 * the same prefix is refused: delete it first. */
static int rule_add(const char *ifname, const struct tg_maps *m, const struct tg_rule_spec *spec,
		    const char *cidr)
{
	struct tg_rule_key key;
	char why[160] = "";
	struct tg_rule r;
	int err;

	err = tg_live_rule_add(m, spec, &key, &r, why, sizeof(why));
	if (err == -EEXIST && same_rule(&r, spec)) {
		if (!tg_out_json())
			printf("%s: unchanged: ", ifname);
		tg_out_print(answer(ifname, tg_rule_json(&key, &r, tg_mono_ns()), false));
		return TG_EXIT_OK;
	}
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
	tg_out_print(answer(ifname, tg_rule_json(&key, &r, tg_mono_ns()), true));
	return TG_EXIT_OK;
}

static int rule_del(const char *ifname, const struct tg_maps *m, const struct tg_cidr *c,
		    const char *cidr, bool missing_ok)
{
	struct tg_rule_key key;
	struct tg_rule r;
	int err;

	tg_cidr_to_key(c, &key);
	err = tg_live_rule_del(m, &key, &r);
	if (err == -ENOENT && missing_ok) {
		if (tg_out_json())
			tg_out_print(answer(ifname, NULL, false));
		else
			printf("%s: no rule for %s: unchanged\n", ifname, cidr);
		return TG_EXIT_OK;
	}
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: no rule for %s (see 'tidegate rule list %s')",
			       ifname, cidr, ifname);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: deleting the rule for %s: %s", ifname, cidr,
			       strerror(-err));
	tg_out_print(answer(ifname, tg_rule_json(&key, &r, tg_mono_ns()), true));
	return TG_EXIT_OK;
}

/* The width of each column of the rule list. */
struct widths {
	int cidr, kind, rate, opts;
};

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Text: one rule a line in the words `rule import` takes back, in
 * columns as the other tables are, its id and what is left of its --ttl
 * after a '#'. */
static int print_rules(const struct tg_rule_entry *rules, int n, __u64 now)
{
	struct tg_rule_words *w = calloc((size_t)n, sizeof(*w));
	struct widths wd = { 0 };
	int i;

	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		tg_rule_words(&rules[i].key, &rules[i].rule, now, &w[i]);
		wd.cidr = max_int(wd.cidr, (int)strlen(w[i].cidr));
		wd.kind = max_int(wd.kind, (int)strlen(w[i].kind));
		wd.rate = max_int(wd.rate, (int)strlen(w[i].rate));
		wd.opts = max_int(wd.opts, (int)strlen(w[i].opts));
	}
	for (i = 0; i < n; i++) {
		printf("%-*s  %-*s", wd.cidr, w[i].cidr, wd.kind, w[i].kind);
		if (wd.rate)
			printf("  %-*s", wd.rate, w[i].rate);
		if (wd.opts)
			printf("  %-*s", wd.opts, w[i].opts);
		printf("  # id %u%s\n", rules[i].rule.id,
		       tg_rule_expired(&rules[i].rule, now) ? ", expired" : "");
	}
	free(w);
	return 0;
}

static int rule_list(const char *ifname, const struct tg_maps *m)
{
	struct tg_rule_entry *rules;
	struct json_object *list;
	__u64 now = tg_mono_ns();
	int i, n, err = 0;

	n = tg_rules_read(m->rules, &rules);
	if (n < 0)
		return tg_fail(TG_EXIT_FAIL, "%s: reading the rules: %s", ifname, strerror(-n));
	if (tg_out_json()) {
		list = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(list, tg_rule_json(&rules[i].key, &rules[i].rule, now));
		tg_out_print(list);
	} else if (!n) {
		printf("# no rules on %s\n", ifname);
	} else {
		err = print_rules(rules, n, now);
	}
	free(rules);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: listing the rules: %s", ifname, strerror(-err));
	return TG_EXIT_OK;
}

/* Refuse what would hang or mislead: a FIFO, a directory, a device.
 * Opened without blocking, so a FIFO is refused, not waited on. */
static FILE *open_rules_file(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	if (!strcmp(path, "-"))
		return stdin;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* The whole file, checked before anything changes; a negated exit code
 * on failure. */
static int read_rules(const char *path, struct tg_rule_set *set)
{
	char why[240];
	FILE *f = open_rules_file(path);
	int err;

	if (!f)
		return -tg_fail(errno == EINVAL ? TG_EXIT_USAGE : TG_EXIT_FAIL,
				"rule import: %s: %s", path,
				errno == EINVAL ? "not a regular file" : strerror(errno));
	err = tg_rule_set_read(f, set, why, sizeof(why));
	if (f != stdin)
		fclose(f);
	if (err == -EINVAL)
		return -tg_fail(TG_EXIT_USAGE, "rule import: %s:%s", path, why);
	if (err)
		return -tg_fail(TG_EXIT_FAIL, "rule import: reading %s: %s", path, strerror(-err));
	return 0;
}

static int rule_import(const char *ifname, const struct tg_maps *m,
		       const struct tg_rule_set *set, bool replace, const char *path)
{
	const struct tg_rule_spec *specs = set->specs;
	const int *lines = set->lines;
	int n = set->n;
	struct tg_import_result res;
	struct json_object *o;
	char why[160] = "";
	int err;

	err = tg_live_rules_import(m, specs, n, replace, &res, why, sizeof(why));
	if (err && res.failed < n)
		return tg_fail(err == -EINVAL || err == -ERANGE ? TG_EXIT_USAGE : TG_EXIT_FAIL,
			       "rule import: %s:%d: %s%s; nothing changed", path,
			       lines[res.failed], why[0] ? why : strerror(-err),
			       err == -ENOSPC || err == -E2BIG ? " (the rule table is full)" : "");
	if (err)
		return tg_fail(TG_EXIT_FAIL, "rule import: %s: %s", ifname, strerror(-err));
	o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "rules", json_object_new_int(n));
	json_object_object_add(o, "added", json_object_new_int(res.added));
	json_object_object_add(o, "changed", json_object_new_int(res.changed));
	json_object_object_add(o, "unchanged", json_object_new_int(res.unchanged));
	json_object_object_add(o, "deleted", json_object_new_int(res.deleted));
	tg_out_print(o);
	return TG_EXIT_OK;
}

int tg_cmd_rule(const struct tg_cmdline *cl)
{
	struct tg_rule_set set = { 0 };
	struct tg_rule_spec spec;
	const char *ifname;
	struct tg_cidr cidr;
	struct tg_maps m;
	char why[160];
	size_t v, i;
	int ret, lock;

	for (v = 0; v < NR_VERBS; v++)
		if (!strcmp(cl->pos[0], verbs[v].name))
			break;
	if (v == NR_VERBS)
		return tg_fail(TG_EXIT_USAGE, "rule: unknown '%s': expected add, del, list or import",
			       cl->pos[0]);
	if (cl->npos < verbs[v].min_pos || cl->npos > verbs[v].max_pos)
		return tg_fail(TG_EXIT_USAGE, "rule %s: %s arguments (usage: tidegate %s)",
			       verbs[v].name, cl->npos < verbs[v].min_pos ? "missing" : "too many",
			       verbs[v].usage);
	for (i = 0; i < NR_SPEC_OPTS && verbs[v].verb != RULE_ADD; i++)
		if (cl->set[spec_opts[i]])
			return tg_fail(TG_EXIT_USAGE, "rule %s: --%s is for 'rule add'",
				       verbs[v].name, tg_opt_defs[spec_opts[i]].name);
	for (i = 0; i < NR_VERBS; i++)
		if (i != v && verbs[i].own_opt >= 0 && cl->set[verbs[i].own_opt])
			return tg_fail(TG_EXIT_USAGE, "rule %s: --%s is for 'rule %s'",
				       verbs[v].name, tg_opt_defs[verbs[i].own_opt].name,
				       verbs[i].name);
	ifname = cl->pos[1];
	if (verbs[v].verb == RULE_ADD && (ret = parse_spec(cl, &spec)))
		return ret;
	if (verbs[v].verb == RULE_DEL && tg_cidr_parse(cl->pos[2], &cidr, why, sizeof(why)))
		return tg_fail(TG_EXIT_USAGE, "rule: CIDR '%s': %s", cl->pos[2], why);
	/* The whole file is read and checked before the lock is taken. */
	if (verbs[v].verb == RULE_IMPORT && (ret = read_rules(cl->pos[2], &set)) < 0)
		return -ret;
	if ((ret = tg_require_caps("rule", TG_PRIV_MAPS)))
		goto out;
	lock = tg_iface_lock_open(ifname, &m);
	if (lock < 0) {
		ret = -lock;
		goto out;
	}
	switch (verbs[v].verb) {
	case RULE_ADD:
		ret = rule_add(ifname, &m, &spec, cl->pos[2]);
		break;
	case RULE_DEL:
		ret = rule_del(ifname, &m, &cidr, cl->pos[2], cl->set[OPT_MISSING_OK]);
		break;
	case RULE_IMPORT:
		ret = rule_import(ifname, &m, &set, cl->set[OPT_REPLACE], cl->pos[2]);
		break;
	default:
		ret = rule_list(ifname, &m);
		break;
	}
	tg_iface_unlock_close(lock, &m);
out:
	tg_rule_set_free(&set);
	return ret;
}
