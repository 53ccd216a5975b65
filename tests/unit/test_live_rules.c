// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_live_rules.c - tg_live_rule_apply, on real maps (made from the
 * skeleton, no program loaded): a changed rule is replaced in place, so
 * its prefix is never without a rule and a failed change keeps the old
 * one; it gets a new id (new buckets) only when kind or sharing
 * changed. Needs root (BPF maps).
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "live.h"
#include "rules.h"
#include "tap.h"
#include "tidegate.skel.h"

static struct tg_maps m;
static struct tg_rule_key key;
static volatile int stop_reader;
static long lookups, missing;

static int apply(const char *text, struct tg_rule *r)
{
	struct tg_rule_spec spec;
	char why[160] = "";
	int ret;

	if (tg_rule_spec_parse(text, &spec, why, sizeof(why))) {
		tap_diag("  '%s': %s", text, why);
		return -EINVAL;
	}
	ret = tg_live_rule_apply(&m, &spec, why, sizeof(why));
	if (ret < 0)
		tap_diag("  '%s': %s (%s)", text, strerror(-ret), why);
	if (r && tg_rule_find(m.rules, &key, r))
		memset(r, 0, sizeof(*r));
	return ret;
}

static void test_ids(void)
{
	struct tg_rule r;
	__u32 id;

	tap_is(apply("198.51.100.0/24 allow", &r), 1, "a new rule is added");
	tap_is(r.kind, TG_RULE_ALLOW, "  allow");
	id = r.id;
	tap_is(apply("198.51.100.0/24 allow", &r), 0, "the same rule again: nothing to do");
	tap_is(r.id, id, "  same id");
	tap_is(apply("198.51.100.0/24 deny", &r), 1, "allow -> deny: changed");
	tap_ok(r.id > id, "  a new kind, a new id (%u > %u)", r.id, id);
	id = r.id;
	tap_is(apply("198.51.100.0/24 deny --action rst", &r), 1, "deny -> deny --action rst");
	tap_is(r.id, id, "  the action alone keeps the id (and the buckets)");
	tap_is(r.action, TG_ACT_RST, "  the action is rst");
	tap_is(apply("198.51.100.0/24 limit 10/second", &r), 1, "deny -> limit 10/second");
	tap_ok(r.id > id, "  a new id");
	id = r.id;
	tap_is(apply("198.51.100.0/24 limit 10/second --action rst", &r), 1, "  --action rst");
	tap_is(r.id, id, "  keeps the id");
	tap_is(apply("198.51.100.0/24 limit 20/second --action rst", &r), 1, "limit 20/second");
	tap_is(r.id, id, "  another limit keeps the id (its buckets are rescaled)");
	tap_is(apply("198.51.100.0/24 limit 20/second --burst 5 --action rst", &r), 1, "--burst 5");
	tap_is(r.id, id, "  another burst keeps the id too");
	tap_is(apply("198.51.100.0/24 limit 20/second --burst 5 --shared --action rst", &r), 1,
	       "--shared");
	tap_ok(r.id > id, "  shared buckets, a new id");
}

/* A change that cannot be made leaves the rule in force as it was. */
static void test_failure_keeps_rule(void)
{
	struct tg_rule_spec spec;
	struct tg_rule before, after;
	char why[160];
	int ret;

	apply("198.51.100.0/24 deny", &before);
	tg_rule_spec_parse("198.51.100.0/24 deny", &spec, why, sizeof(why));
	spec.action.kind = TG_ACT_REDIRECT;
	spec.action.ifindex = 0x7ffffff0; /* no such interface: tg_redirect refuses it */
	ret = tg_live_rule_apply(&m, &spec, why, sizeof(why));
	tap_ok(ret < 0, "a redirect to an interface that does not exist fails (%s)",
	       strerror(-ret));
	tap_is(tg_rule_find(m.rules, &key, &after), 0, "  the prefix still has its rule");
	tap_ok(!memcmp(&before, &after, sizeof(after)), "  unchanged (id %u, kind %u)", after.id,
	       after.kind);
}

static void *reader(void *arg)
{
	struct tg_rule r;

	(void)arg;
	while (!stop_reader) {
		lookups++;
		if (bpf_map_lookup_elem(m.rules, &key, &r))
			missing++;
	}
	return NULL;
}

/* While rules are changed over and over, a reader never finds the
 * prefix without a rule. */
static void test_never_missing(void)
{
	static const char *const seq[] = { "198.51.100.0/24 allow", "198.51.100.0/24 deny",
					   "198.51.100.0/24 deny --action rst",
					   "198.51.100.0/24 limit 5/second" };
	pthread_t t;
	int i, fails = 0;

	apply(seq[0], NULL);
	pthread_create(&t, NULL, reader, NULL);
	for (i = 1; i <= 2000; i++)
		fails += apply(seq[i % 4], NULL) != 1;
	stop_reader = 1;
	pthread_join(t, NULL);
	tap_is(fails, 0, "2000 changes applied");
	tap_ok(lookups > 0, "  a reader looked the prefix up %ld times meanwhile", lookups);
	tap_is(missing, 0, "  and never found it without a rule");
}

int main(void)
{
	struct tidegate_bpf *skel;
	struct tg_cidr c;
	struct tg_limits l;
	char why[160];

	if (geteuid())
		tap_skip_all("needs root: BPF maps");
	libbpf_set_print(NULL);
	skel = tidegate_bpf__open();
	if (!skel || bpf_program__set_autoload(skel->progs.tidegate_xdp, false) ||
	    tidegate_bpf__load(skel) || tg_maps_of_obj(skel->obj, &m))
		tap_skip_all("cannot make the maps");
	tg_limits_default(&l);
	if (tg_live_write(&m, &l, NULL))
		tap_skip_all("cannot write the config");
	tg_cidr_parse("198.51.100.0/24", &c, why, sizeof(why));
	tg_cidr_to_key(&c, &key);

	test_ids();
	test_failure_keeps_rule();
	test_never_missing();
	tidegate_bpf__destroy(skel);
	return tap_done();
}
