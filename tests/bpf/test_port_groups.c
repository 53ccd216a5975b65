// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_port_groups.c - ports with a limit of their own in the real XDP
 * program, written by tg_live_write as `set --port` writes them: exact
 * GCRA arithmetic of a group's bucket by the injected clock, a source's
 * SSH SYNs never spending its HTTPS budget (nor the reverse), the
 * counters of each group, rules over a group (allow and deny apply, a
 * limit rule does not), a group's limit rescaled without touching the
 * interface's buckets, --default handing the port back, and a group id
 * given again starting without the old group's buckets.
 */
#include "port_limits.h"
#include "rescale.h"
#include "xdp_env.h"

#define SSH   22
#define HTTPS 443
#define CLI   "198.18.7.1"

/* The interface: 10/second burst 5 on 443; 22 at 3/minute burst 2 (one
 * token every 20 s, tolerance 20 s), as `set --port 22 --rate 3/minute
 * --burst 2` would put it. */
static int open_env(struct env *e)
{
	struct tg_limits l;
	struct tg_rate r;
	char why[160];
	int err;

	err = env_open(e, "10/second", 5);
	if (err)
		return err;
	l = e->lim;
	l.syn_cookies = TG_COOKIES_OFF;
	memset(&l.ports, 0, sizeof(l.ports));
	tg_portset_add(&l.ports, HTTPS);
	if (tg_rate_parse("3/minute", &r, why, sizeof(why)) ||
	    tg_port_limit_put(&l, SSH, SSH, &r, 2, why, sizeof(why))) {
		tap_diag("port limit: %s", why);
		return -EINVAL;
	}
	return env_limits(e, &l);
}

static int syn_to(struct env *e, const char *src, __u16 dport)
{
	struct fspec s = { .src = src, .dport = dport, .seq = 1000 };
	__u8 frame[256];
	int len = fbuild(&s, frame);

	return env_run(e, frame, (__u32)len, NULL, NULL);
}

/* How many of n SYNs from src to dport pass, at the current clock. */
static int passed(struct env *e, const char *src, __u16 dport, int n)
{
	int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += syn_to(e, src, dport) == XDP_PASS;
	return ok;
}

static struct tg_source key_of(const char *addr, __u32 rule, __u32 group)
{
	struct tg_source k = { .rule = rule, .group = group };

	k.addr[10] = 0xff;
	k.addr[11] = 0xff;
	inet_pton(AF_INET, addr, k.addr + 12);
	return k;
}

static __u64 tat_of(struct env *e, const char *addr, __u32 rule, __u32 group)
{
	struct tg_source k = key_of(addr, rule, group);
	struct tg_bucket b;

	return bpf_map_lookup_elem(e->m.buckets, &k, &b) ? 0 : b.tat_ns;
}

static struct tg_port_counters group_counters(struct env *e, __u32 g)
{
	struct tg_port_counters pc[TG_PORT_GROUPS];

	if (tg_port_counters_read(e->m.pstats, pc))
		memset(pc, 0xff, sizeof(pc));
	return pc[g < TG_PORT_GROUPS ? g : 0];
}

static void test_layout(struct env *e)
{
	struct tg_config cfg = env_config(e);
	__u32 port = SSH;
	__u8 v = 0;

	tap_is(sizeof(struct tg_source), 20, "a bucket's key is still 20 bytes");
	bpf_map_lookup_elem(e->m.ports, &port, &v);
	tap_is(v, TG_PG_FIRST, "tg_ports[22] is group 2, the first of their own");
	port = HTTPS;
	bpf_map_lookup_elem(e->m.ports, &port, &v);
	tap_is(v, TG_PG_DEFAULT, "tg_ports[443] is the interface's limit");
	tap_is(cfg.port_groups[2].interval_ns, 20 * SEC_NS, "group 2: one token every 20 s");
	tap_is(cfg.port_groups[2].tolerance_ns, 20 * SEC_NS, "  burst 2: tolerance 20 s");
	tap_is(cfg.interval_ns, SEC_NS / 10, "the interface keeps 10/second");
}

/* Exact arithmetic of a group's bucket, and the budgets kept apart. */
static void test_arithmetic(struct env *e)
{
	struct tg_counters before = env_counters(e);
	const struct tg_counters want = {
		.packets = 13, .syn = 13, .allowed = 9, .dropped = 4, .new_source = 2,
		.act_drop = 4, .log_emitted = 3, /* the :22 bucket's line again 20 s on */
	};
	struct tg_port_counters ssh, https;

	env_clock(e, T0);
	tap_is(passed(e, CLI, SSH, 3), 2, "T0: 2 of 3 SYNs to :22 pass (burst 2)");
	tap_is(tat_of(e, CLI, 0, 2), T0 + 40 * SEC_NS, "  the group-2 bucket owes 40 s");
	tap_is(tat_of(e, CLI, 0, 0), 0, "  the interface's bucket does not exist yet");
	tap_is(passed(e, CLI, HTTPS, 6), 5, "T0: yet 5 of 6 SYNs to :443 pass (its own burst 5)");
	tap_is(tat_of(e, CLI, 0, 0), T0 + 5 * SEC_NS / 10, "  its bucket owes 5 intervals of 100 ms");
	tap_is(tat_of(e, CLI, 0, 2), T0 + 40 * SEC_NS, "  and the :22 bucket did not move");

	env_clock(e, T0 + 20 * SEC_NS - 1);
	tap_is(passed(e, CLI, SSH, 1), 0, "T0 + 20 s - 1 ns: :22 still refused, not a ns early");
	env_clock(e, T0 + 20 * SEC_NS);
	tap_is(passed(e, CLI, SSH, 2), 1, "T0 + 20 s: exactly one token back on :22");
	tap_is(tat_of(e, CLI, 0, 2), T0 + 60 * SEC_NS, "  the bucket owes 40 s again");
	tap_is(passed(e, CLI, HTTPS, 1), 1, "  :443 is full again meanwhile: it passes");
	env_moved(e, &before, &want, "two buckets, 13 SYNs");

	ssh = group_counters(e, 2);
	https = group_counters(e, TG_PG_DEFAULT);
	tap_ok(ssh.syn == 6 && ssh.allowed == 3 && ssh.dropped == 3 && !ssh.would_drop,
	       "tg_port_stats[2]: syn 6 = allowed 3 + dropped 3 (got %llu %llu %llu)",
	       (unsigned long long)ssh.syn, (unsigned long long)ssh.allowed,
	       (unsigned long long)ssh.dropped);
	tap_ok(https.syn == 7 && https.allowed == 6 && https.dropped == 1,
	       "tg_port_stats[1]: syn 7 = allowed 6 + dropped 1 (got %llu %llu %llu)",
	       (unsigned long long)https.syn, (unsigned long long)https.allowed,
	       (unsigned long long)https.dropped);
}

/* A flood on :22 (the fast path: far over the limit by the coarse
 * clock) never spends :443. */
static void test_flood_apart(struct env *e)
{
	const char *src = "198.18.7.2";
	struct fspec s = { .src = src, .dport = SSH, .seq = 1000 };
	__u8 frame[256];
	int len = fbuild(&s, frame);
	__u64 https_tat;

	env_clock(e, T0 + 100 * SEC_NS);
	tap_is(passed(e, src, HTTPS, 2), 2, "another source: 2 SYNs to :443 pass");
	https_tat = tat_of(e, src, 0, 0);
	tap_is(passed(e, src, SSH, 2), 2, "  2 to :22 pass");
	env_clock(e, T0 + 101 * SEC_NS);
	tap_is(env_run_n(e, frame, (__u32)len, 1000), XDP_DROP, "  1,000 more to :22: dropped");
	tap_is(tat_of(e, src, 0, 0), https_tat, "  its :443 bucket did not move");
	tap_is(passed(e, src, HTTPS, 3), 3, "  and 3 more to :443 pass");
}

/* Rules: allow and deny apply to a group's ports; a limit rule does not. */
static void test_rules(struct env *e)
{
	const char *lim = "198.18.8.1", *deny = "198.18.9.1", *allow = "198.18.10.1";

	env_clock(e, T0 + 200 * SEC_NS);
	tap_ok(env_rule(e, "198.18.8.0/24", "limit", "1/minute", 1, false, NULL) > 0 &&
		       env_rule(e, "198.18.9.0/24", "deny", NULL, 0, false, NULL) > 0 &&
		       env_rule(e, "198.18.10.0/24", "allow", NULL, 0, false, NULL) > 0,
	       "rules: limit 1/minute, deny, allow");
	tap_is(passed(e, lim, HTTPS, 3), 1, "limit rule: 1 of 3 to :443 (the rule's burst 1)");
	tap_is(passed(e, lim, SSH, 3), 2, "  but 2 of 3 to :22: the group's limit holds");
	tap_ok(tat_of(e, lim, 0, 2) != 0, "  in the group's bucket, not the rule's");
	tap_is(passed(e, deny, SSH, 2), 0, "deny rule: :22 refused");
	tap_is(passed(e, deny, HTTPS, 2), 0, "  and :443");
	tap_is(passed(e, allow, SSH, 5), 5, "allow rule: 5 of 5 to :22 pass");
	env_rule_del(e, "198.18.8.0/24");
	env_rule_del(e, "198.18.9.0/24");
	env_rule_del(e, "198.18.10.0/24");
}

struct apply_arg {
	struct env *e;
	const struct tg_config *cfg;
};

static int apply_cfg(void *arg)
{
	struct apply_arg *a = arg;

	return tg_config_write(a->e->m.config, a->e->m.config_gen, a->cfg);
}

/* A group's limit rescaled: its buckets only, exactly as rescale.h says. */
static void test_rescale(struct env *e)
{
	const char *src = "198.18.11.1";
	const __u64 now = T0 + 300 * SEC_NS;
	struct tg_config cfg = env_config(e);
	struct tg_gcra from = { cfg.port_groups[2].interval_ns, cfg.port_groups[2].tolerance_ns };
	struct tg_gcra to = { 10 * SEC_NS, 10 * SEC_NS }; /* 6/minute burst 2 */
	struct apply_arg a = { e, &cfg };
	struct tg_rescale_result res;
	__u64 https_tat;

	env_clock(e, now);
	tap_is(passed(e, src, SSH, 2), 2, "rescale: a source drains :22 (2)");
	tap_is(passed(e, src, HTTPS, 1), 1, "  and takes 1 of :443");
	https_tat = tat_of(e, src, 0, 0);
	cfg.port_groups[2].interval_ns = to.interval_ns;
	cfg.port_groups[2].tolerance_ns = to.tolerance_ns;
	tap_is(tg_rescale_change(e->m.buckets, e->m.config_gen, 0, 2, &from, &to, now, apply_cfg, &a, &res), 0,
	       "  group 2 to 6/minute burst 2, live");
	/* Debt 40 s of a 40 s cap: no token left; the new cap is 20 s. */
	tap_is(tat_of(e, src, 0, 2), now + 20 * SEC_NS, "  the drained bucket owes the new cap, 20 s");
	tap_is(tat_of(e, src, 0, 0), https_tat, "  its :443 bucket is not touched");
	/* 198.18.7.1, .7.2, .8.1, .11.1 (.9.1 is the deny rule's, .10.1
	 * passed by allow without a bucket). */
	tap_is(res.seen, 4, "  the 4 group-2 buckets seen, no other");
	env_clock(e, now + 10 * SEC_NS);
	tap_is(passed(e, src, SSH, 2), 1, "  10 s on: one token, at the new rate");
}

/* --port 22 --default: the port back under the interface's limit. */
static void test_default(struct env *e)
{
	struct tg_limits l = e->lim;
	__u32 port = SSH;
	char why[160];
	__u8 v = 0;

	tap_is(tg_port_limit_default(&l, SSH, SSH, why, sizeof(why)), 0, "--port 22 --default");
	tap_is(env_limits(e, &l), 0, "  written");
	bpf_map_lookup_elem(e->m.ports, &port, &v);
	tap_is(v, TG_PG_DEFAULT, "  tg_ports[22] is the interface's limit");
	tap_is(env_config(e).port_groups[2].interval_ns, 0, "  group 2 is gone from the config");
	env_clock(e, T0 + 400 * SEC_NS);
	tap_is(passed(e, "198.18.12.1", SSH, 6), 5, "  :22 now takes the interface's burst 5");
	tap_ok(tat_of(e, "198.18.12.1", 0, 0) != 0 && !tat_of(e, "198.18.12.1", 0, 2),
	       "  in the interface's bucket");
}

/* A group id given again (to other ports, another limit) starts with no
 * bucket of the group it was before: they are purged, not inherited. */
static void test_id_reused(struct env *e)
{
	struct tg_limits l = e->lim;
	struct tg_rate r;
	char why[160];

	tap_ok(tat_of(e, "198.18.11.1", 0, 2) != 0, "reuse: a bucket of the old group 2 is left");
	tg_rate_parse("1/hour", &r, why, sizeof(why));
	tap_is(tg_port_limit_put(&l, 2222, 2222, &r, 0, why, sizeof(why)), 0,
	       "--port 2222 --rate 1/hour");
	tap_is(env_limits(e, &l), 0, "  written");
	tap_is(env_config(e).port_groups[2].port_lo, 2222, "  it is group 2 again");
	tap_is(tat_of(e, "198.18.11.1", 0, 2), 0, "  the old group's buckets are gone");
	env_clock(e, T0 + 500 * SEC_NS);
	tap_is(passed(e, "198.18.11.1", 2222, 2), 1, "  1/hour: 1 of 2 SYNs to :2222 pass");
}

int main(void)
{
	struct env e;

	env_require_bpf();
	if (!tap_ok(!open_env(&e), "load; 10/second burst 5 on :443, 3/minute burst 2 on :22"))
		return tap_done();
	test_layout(&e);
	test_arithmetic(&e);
	test_flood_apart(&e);
	test_rules(&e);
	test_rescale(&e);
	test_default(&e);
	test_id_reused(&e);
	env_close(&e);
	return tap_done();
}
