// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_rules.c - in fleet mode the limit rules' buckets take part
 * as the default limit's do: each gets the local share of its own burst
 * and reads the fleet's view under its own key (the rule's id here, the
 * rule's prefix in Redis: user/fleet_rules.h), a --shared rule's under
 * its network; a port group's bucket, whose limit is this machine's
 * own, keeps its whole burst and reads no floor.
 */
#include "xdp_env.h"

#include "cfgslots.h"
#include "fleet_rules.h"
#include "port_limits.h"

#define SSH 22

static int burst_of(struct env *e, const char *src, __u16 dport, int n)
{
	__u8 frame[256];
	int i, passed = 0;

	for (i = 0; i < n; i++) {
		struct fspec s = { .src = src, .dport = dport, .seq = 1000 };
		int len = fbuild(&s, frame);

		if (env_run(e, frame, (__u32)len, NULL, NULL) == XDP_PASS)
			passed++;
	}
	return passed;
}

static struct tg_source key_of(const char *addr, __u32 rule, __u32 group)
{
	struct tg_source k = { .rule = rule, .group = group };

	k.addr[10] = k.addr[11] = 0xff;
	inet_pton(AF_INET, addr, k.addr + 12);
	return k;
}

static int deny_floor(struct env *e, const char *addr, __u32 rule, __u32 group)
{
	struct tg_floor deny = { .tat_ns = T0 + 100 * SEC_NS };
	struct tg_source k = key_of(addr, rule, group);

	return bpf_map_update_elem(e->m.floor, &k, &deny, BPF_ANY);
}

static __u64 fleet_denied(struct env *e)
{
	return env_counters(e).fleet_denied;
}

/* Port at 10/second burst 6, a group of its own. */
static int port_group(struct env *e, __u16 port)
{
	struct tg_limits l = e->lim;
	struct tg_rate r;
	char why[160];

	if (tg_rate_parse("10/second", &r, why, sizeof(why)) ||
	    tg_port_limit_put(&l, port, port, &r, 6, why, sizeof(why))) {
		tap_diag("port limit: %s", why);
		return -EINVAL;
	}
	return env_limits(e, &l);
}

/* The port back under the interface's limit: its group removed. */
static int port_default(struct env *e, __u16 port)
{
	struct tg_limits l = e->lim;
	char why[160];

	if (tg_port_limit_default(&l, port, port, why, sizeof(why))) {
		tap_diag("port default: %s", why);
		return -EINVAL;
	}
	return env_limits(e, &l);
}

static bool has_floor(struct env *e, const char *addr, __u32 group)
{
	struct tg_source k = key_of(addr, 0, group);
	struct tg_floor f;

	return !bpf_map_lookup_elem(e->m.floor, &k, &f);
}

/* What the fleet thread reads: the rules, and the live config's groups. */
static int rules_read(struct env *e, struct tg_fleet_rules *out)
{
	struct tg_config cfg;
	int err = tg_config_read(e->m.config, e->m.config_gen, &cfg);

	return err ? err : tg_fleet_rules_read(e->m.rules, cfg.port_groups, "web", 32, 64, out);
}

/* The fleet's names for the rules and groups: by prefix and by ports,
 * the same on every member with the same rules, whatever their ids. */
static int test_names(struct env *e, int id, int sid)
{
	struct tg_fleet_rules r = { 0 }, again = { 0 };
	const struct tg_fleet_rule *a, *b;
	const char *z = "web@203.0.113.0/24";

	if (!tap_ok(!rules_read(e, &r), "the rules read for the fleet"))
		return id;
	tap_is(r.n, 3, "  two limit rules (an allow rule is not one) and the port group");
	a = tg_fleet_rule_by_id(&r, (__u32)id);
	b = tg_fleet_rule_by_id(&r, (__u32)sid);
	tap_ok(a && !strcmp(a->zone, "web@198.51.100.0/24"), "  a rule's zone: ZONE@CIDR (%s)",
	       a ? a->zone : "none");
	tap_ok(a && a->v4_prefix == 32 && a->v6_prefix == 64, "  its sources cut as the interface's");
	tap_ok(a && a->interval_ns == SEC_NS / 10 && a->tolerance_ns == 8 * SEC_NS / 10,
	       "  its limit: 10/second burst 9");
	tap_ok(b && b->v4_prefix == 24, "  a --shared rule's one bucket: keyed by its /24");
	tap_ok(tg_fleet_rule_by_zone(&r, z, strlen(z)) == b, "  found by its zone");
	tap_ok(!tg_fleet_rule_by_zone(&r, z, strlen(z) - 1), "  and only by the whole of it");
	tap_ok(!tg_fleet_rule_by_id(&r, 9999), "  no rule of another id");
	{
		const struct tg_fleet_rule *g = tg_fleet_rule_by_zone(&r, "web#22", 6);

		tap_ok(g && g->id == (__u32)TG_PG_FIRST << TG_RULE_ID_BITS,
		       "  the port group's zone: ZONE#PORTS (web#22), its limit id the group's");
		tap_ok(g && g->interval_ns == SEC_NS / 10 && g->tolerance_ns == 5 * SEC_NS / 10 &&
			       g->v4_prefix == 32,
		       "  its limit: 10/second burst 6, its sources cut as the interface's");
	}
	tap_ok(!strncmp(r.sig, "2 limit rules, 1 port group #", 29) && strlen(r.sig) == 37,
	       "  the signature the members compare: %s", r.sig);
	tap_ok(!rules_read(e, &again) && !strcmp(again.sig, r.sig),
	       "  read again: the same signature");
	env_rule_del(e, "198.51.100.0/24");
	id = env_rule(e, "198.51.100.0/24", "limit", "10/second", 9, false, NULL);
	rules_read(e, &again);
	tap_ok(!strcmp(again.sig, r.sig) && tg_fleet_rule_by_id(&again, (__u32)id),
	       "  the same rule added again under a new id: the same signature");
	env_rule_del(e, "198.51.100.0/24");
	env_rule(e, "198.51.100.0/24", "limit", "10/second", 8, false, NULL);
	rules_read(e, &again);
	tap_ok(strcmp(again.sig, r.sig), "  another burst: another signature (%s)", again.sig);
	env_rule_del(e, "198.51.100.0/24");
	id = env_rule(e, "198.51.100.0/24", "limit", "10/second", 9, false, NULL);
	tg_fleet_rules_free(&r);
	tg_fleet_rules_free(&again);
	return id;
}

int main(void)
{
	struct tg_fleet fl = { .size = 3, .burst_k = 1 };
	struct env e;
	__u32 zero = 0;
	__u64 d0;
	int id, sid;

	env_require_bpf();
	if (!tap_ok(!env_open(&e, "10/second", 6), "load with 10/second burst 6"))
		return tap_done();
	id = env_rule(&e, "198.51.100.0/24", "limit", "10/second", 9, false, NULL);
	tap_ok(id > 0, "a limit rule for 198.51.100.0/24, 10/second burst 9");
	sid = env_rule(&e, "203.0.113.0/24", "limit", "10/second", 9, true, NULL);
	tap_ok(sid > 0, "a --shared limit rule for 203.0.113.0/24, 10/second burst 9");
	tap_ok(!port_group(&e, SSH), "port 22: 10/second burst 6, a group of its own");
	tap_ok(env_rule(&e, "192.0.2.0/24", "allow", NULL, 0, false, NULL) > 0, "an allow rule");
	id = test_names(&e, id, sid);
	tap_ok(!bpf_map_update_elem(e.m.fleet, &zero, &fl, BPF_ANY), "a fleet of 3");

	tap_is(burst_of(&e, "198.18.0.9", 80, 8), 2, "the default limit's bucket: the share, ceil(6/3)");
	tap_is(burst_of(&e, "198.51.100.8", 80, 8), 3,
	       "a limit rule's bucket: the share of its own burst, ceil(9/3)");
	tap_is(burst_of(&e, "203.0.113.5", 80, 4) + burst_of(&e, "203.0.113.6", 80, 4), 3,
	       "  a --shared rule's one bucket too: 3 in all from two of its sources");

	/* The fleet's view under each bucket's own key. */
	tap_ok(!deny_floor(&e, "198.51.100.7", (__u32)id, 0), "a denying floor for a rule's bucket");
	d0 = fleet_denied(&e);
	tap_is(burst_of(&e, "198.51.100.7", 80, 4), 0, "  its source is dropped at its first SYN");
	tap_is(fleet_denied(&e) - d0, 4, "  by the fleet's view (fleet_denied)");
	tap_is(burst_of(&e, "198.51.100.9", 80, 8), 3, "  its neighbour in the rule is not");
	tap_ok(!deny_floor(&e, "203.0.113.0", (__u32)sid, 0),
	       "a denying floor for the --shared rule, keyed by its network");
	tap_is(burst_of(&e, "203.0.113.77", 80, 4), 0, "  every source of the prefix is dropped");

	/* A port group: one limit across the fleet too, named by its ports. */
	tap_is(burst_of(&e, "198.18.0.45", SSH, 8), 2,
	       "a port group's bucket: the share of its own burst, ceil(6/3)");
	tap_ok(!deny_floor(&e, "198.18.0.44", 0, TG_PG_FIRST), "a denying floor under a port group's key");
	d0 = fleet_denied(&e);
	tap_is(burst_of(&e, "198.18.0.44", SSH, 4), 0, "  its source's SSH SYNs are dropped");
	tap_is(fleet_denied(&e) - d0, 4, "  by the fleet's view");
	tap_is(burst_of(&e, "198.18.0.44", 80, 2), 2, "  its HTTP SYNs, another bucket, are not");
	/* Group ids are reused: the next group must not inherit the floor. */
	tap_ok(!port_default(&e, SSH) && !port_group(&e, 23),
	       "port 22's group removed, port 23 a group of its own (the same id)");
	tap_ok(!has_floor(&e, "198.18.0.44", TG_PG_FIRST), "  the old group's floor is gone with it");
	tap_is(burst_of(&e, "198.18.0.44", 23, 8), 2, "  the source's first SYNs to port 23: its share");
	env_close(&e);
	return tap_done();
}
