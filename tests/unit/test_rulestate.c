// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rulestate.c - rules kept in a file across restarts (rulestate.c),
 * on real maps made from the skeleton: saved, saved again only when they
 * change (not when only the time runs on), read back into fresh maps the same, TTLs less the time the file
 * lay there, a rule whose time ran out meanwhile left out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "live.h"
#include "rulestate.h"
#include "tap.h"
#include "tidegate.skel.h"

static struct tidegate_bpf *open_maps(struct tg_maps *m)
{
	struct tidegate_bpf *skel = tidegate_bpf__open();
	struct bpf_program *p;
	struct tg_limits l;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	tg_limits_default(&l);
	if (tidegate_bpf__load(skel) || tg_maps_of_obj(skel->obj, m) || tg_live_write(m, &l, NULL)) {
		tidegate_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int add(const struct tg_maps *m, const char *text)
{
	struct tg_rule_spec spec;
	char why[160] = "";

	if (tg_rule_spec_parse(text, &spec, why, sizeof(why)))
		return -EINVAL;
	return tg_live_rule_apply(m, &spec, why, sizeof(why));
}

/* The file's header with its time moved back by secs. */
static void age_file(const char *path, long secs)
{
	char *text = NULL, *rest;
	size_t size = 0;
	long long t;
	FILE *f = fopen(path, "r");

	if (!f || getdelim(&text, &size, '\0', f) < 0) {
		if (f)
			fclose(f);
		free(text);
		return;
	}
	fclose(f);
	rest = strchr(text, '\n');
	t = strtoll(strstr(text, "unix time ") + 10, NULL, 10);
	f = fopen(path, "w");
	fprintf(f, "# tidegate rules, written at unix time %lld, of test\n%s", t - secs,
		rest ? rest + 1 : "");
	fclose(f);
	free(text);
}

int main(void)
{
	char dir[] = "/tmp/tg-rulestate.XXXXXX", path[256], why[200] = "";
	struct tidegate_bpf *a, *b;
	struct tg_rule_set set;
	struct tg_import_result res;
	struct tg_maps ma, mb;
	struct tg_rule_entry *rules;
	bool changed;
	int n, i, ttl_seen = 0;

	if (geteuid())
		tap_skip_all("needs root: BPF maps");
	libbpf_set_print(NULL);
	a = open_maps(&ma);
	b = open_maps(&mb);
	if (!tap_ok(a && b, "make two sets of maps") || !mkdtemp(dir))
		return tap_done();
	tg_rulestate_path(dir, "eth9", path, sizeof(path));

	tap_is(tg_rulestate_load(path, &set, why, sizeof(why)), 0, "no file yet: no rules");
	tap_is(set.n, 0, "  an empty set");
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "save no rules");
	tap_ok(!changed && access(path, F_OK), "  no file made for nothing");
	add(&ma, "198.51.100.0/24 deny --all");
	add(&ma, "203.0.113.9 deny --ttl 1h");
	add(&ma, "203.0.113.10 deny --ttl 10s");
	add(&ma, "2001:db8:7::/48 limit 20/minute --burst 5 --shared --action rst");
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "save 4 rules");
	tap_ok(changed, "  the file was written");
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "save them again");
	tap_ok(!changed, "  unchanged: the file is left alone");
	usleep(1200000);
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "save them 1.2 s later");
	tap_ok(!changed, "  the TTLs ran on, but nothing changed: the file is left alone");
	add(&ma, "203.0.113.11 deny");
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "a fifth rule, saved");
	tap_ok(changed, "  the file was written");
	tap_is(tg_rulestate_load(path, &set, why, sizeof(why)), 0, "  read back at once");
	tap_is(set.n, 5, "  5 rules");
	tg_rule_set_free(&set);
	{
		struct tg_rule_key k;
		struct tg_cidr c;
		struct tg_rule r;

		tg_cidr_parse("203.0.113.11", &c, why, sizeof(why));
		tg_cidr_to_key(&c, &k);
		tg_live_rule_del(&ma, &k, &r);
	}
	tap_is(tg_rulestate_save(path, "eth9", &ma, &changed), 0, "the fifth deleted, saved");
	tap_ok(changed, "  the file was written");

	age_file(path, 60);
	tap_is(tg_rulestate_load(path, &set, why, sizeof(why)), 0, "read back a minute later");
	tap_is(set.n, 3, "  3 rules: the 10 s ban ran out meanwhile");
	for (i = 0; i < set.n; i++)
		if (set.specs[i].ttl_ms) {
			ttl_seen++;
			tap_ok(set.specs[i].ttl_ms <= 3540000 && set.specs[i].ttl_ms >= 3530000,
			       "  the 1 h ban has a minute less left (%llu ms)",
			       (unsigned long long)set.specs[i].ttl_ms);
		}
	tap_is(ttl_seen, 1, "  one rule with a TTL");
	tap_is(tg_live_rules_import(&mb, set.specs, set.n, false, &res, why, sizeof(why)), 0,
	       "put them in force on fresh maps");
	tap_is(res.added, 3, "  3 added");
	n = tg_rules_read(mb.rules, &rules);
	tap_is(n, 3, "  3 rules in force there");
	for (i = 0; i < n; i++)
		if (rules[i].rule.flags & TG_RULE_F_ALL)
			tap_ok(rules[i].key.prefixlen == TG_RULE_KEY_BITS(24),
			       "  the deny --all /24 is among them");
	free(rules);
	tg_rule_set_free(&set);

	/* The same file's text, as its copy in Redis holds it. */
	{
		char *text = NULL;
		size_t size = 0;
		FILE *f = fopen(path, "r");
		ssize_t len = f ? getdelim(&text, &size, '\0', f) : -1;
		__u64 wall = (__u64)time(NULL) * 1000000000ULL;

		if (f)
			fclose(f);
		tap_ok(len > 0, "the file's text read whole");
		tap_ok(len > 0 && tg_rulestate_written(text) + 59 * 1000000000ULL <= wall &&
			       tg_rulestate_written(text) + 62 * 1000000000ULL >= wall,
		       "  its header says it was written a minute ago");
		tap_is(len > 0 ? tg_rulestate_parse(text, (size_t)len, &set, why, sizeof(why)) : -1,
		       0, "  parsed as the file is read");
		tap_is(set.n, 3, "  the same 3 rules, the 10 s ban left out");
		tg_rule_set_free(&set);
		tap_ok(!tg_rulestate_written("# not a header\n"), "no header: written 0");
		tap_is(tg_rulestate_parse("198.19.0.0/16 frobnicate\n", 25, &set, why, sizeof(why)),
		       -EINVAL, "a bad line in a copy is refused");
		tap_ok(strstr(why, "1") != NULL, "  naming its line (%s)", why);
		tg_rule_set_free(&set);
		free(text);
	}

	unlink(path);
	snprintf(path, sizeof(path), "%s/rules", dir);
	rmdir(path);
	rmdir(dir);
	tidegate_bpf__destroy(a);
	tidegate_bpf__destroy(b);
	return tap_done();
}
