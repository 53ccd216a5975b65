// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_bans.c - bans in the real XDP program: a deny --all rule drops
 * every packet from its prefix, whatever it carries, counted in deny_all
 * (passed and counted in dry run); a rule's --ttl ends it at its instant
 * on the program's clock, not a nanosecond earlier or later; and an
 * expired rule still hides a shorter one until it is swept.
 */
#include "xdp_env.h"

/* A rule in rule add's words, put in force as rule add does. */
static int rule_add(struct env *e, const char *text)
{
	struct tg_rule_spec spec;
	struct tg_rule_key key;
	struct tg_rule r;
	char why[160];
	int err;

	if (tg_rule_spec_parse(text, &spec, why, sizeof(why))) {
		tap_diag("rule %s: %s", text, why);
		return -EINVAL;
	}
	err = tg_live_rule_add(&e->m, &spec, &key, &r, why, sizeof(why));
	if (err)
		tap_diag("rule %s: %s %s", text, strerror(-err), why);
	return err;
}

enum what { SYN80, ACK80, SYN22, UDP80 };

/* One frame from src: a SYN or an ACK to a port, or UDP (a TCP frame
 * whose protocol says UDP: XDP checks no checksum). */
static int frame_of(enum what w, const char *src, __u8 *buf)
{
	bool v6 = strchr(src, ':') != NULL;
	struct fspec s = { .v6 = v6, .src = src, .seq = 7,
			   .flags = w == ACK80 ? F_ACK : F_SYN,
			   .dport = w == SYN22 ? 22 : 80 };
	int len = fbuild(&s, buf);

	if (w == UDP80 && len > 0)
		buf[ETH_HLEN + (v6 ? 6 : 9)] = IPPROTO_UDP;
	return len;
}

/* Run one frame at now and check its verdict and every counter. */
static void expect(struct env *e, __u64 now, enum what w, const char *src, int verdict,
		   const struct tg_counters *want, const char *desc)
{
	struct tg_counters before = env_counters(e);
	__u8 buf[256];
	int len = frame_of(w, src, buf), got;

	env_clock(e, now);
	got = env_run(e, buf, (__u32)len, NULL, NULL);
	if (!tap_is(got, verdict, "%s: verdict", desc))
		tap_diag("  (XDP_DROP is %d, XDP_PASS %d)", XDP_DROP, XDP_PASS);
	env_moved(e, &before, want, desc);
}

static const struct tg_counters banned = { .packets = 1, .deny_all = 1 };
static const struct tg_counters admitted = { .packets = 1, .syn = 1, .allowed = 1,
					     .new_source = 1 };

static void test_ban_every_packet(void)
{
	const struct tg_counters passed = { .packets = 1, .pass_not_syn = 1 };
	/* Dry run: counted as banned, then decided as any SYN under a deny
	 * rule (its first drop, so its bucket is new and logs a line). */
	const struct tg_counters dry_syn = { .packets = 1, .deny_all = 1, .syn = 1,
					     .would_drop = 1, .rule_deny = 1, .new_source = 1,
					     .log_emitted = 1 };
	const struct tg_counters dry_ack = { .packets = 1, .deny_all = 1, .pass_not_syn = 1 };
	struct tg_limits l;
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "bans: load with 3/second burst 3"))
		return;
	if (!tap_ok(!rule_add(&e, "198.51.100.0/24 deny --all") &&
			    !rule_add(&e, "2001:db8:bad::/48 deny --all"),
		    "bans: deny --all for 198.51.100.0/24 and 2001:db8:bad::/48"))
		goto out;
	tap_ok(env_config(&e).flags & TG_F_DENY_ALL, "bans: the program looks every packet up");
	expect(&e, T0, SYN80, "198.51.100.7", XDP_DROP, &banned, "ban: SYN to 80");
	expect(&e, T0, ACK80, "198.51.100.7", XDP_DROP, &banned, "ban: ACK to 80");
	expect(&e, T0, SYN22, "198.51.100.7", XDP_DROP, &banned, "ban: SYN to 22, not limited");
	expect(&e, T0, UDP80, "198.51.100.7", XDP_DROP, &banned, "ban: UDP");
	expect(&e, T0, UDP80, "2001:db8:bad::7", XDP_DROP, &banned, "ban: IPv6 UDP");
	expect(&e, T0, ACK80, "2001:db8:bad:1::7", XDP_DROP, &banned, "ban: IPv6 ACK, same /48");
	expect(&e, T0, SYN80, "198.51.101.7", XDP_PASS, &admitted, "ban: the next /24 is free");
	expect(&e, T0, ACK80, "2001:db8:bae::7", XDP_PASS, &passed, "ban: the next /48 is free");

	l = e.lim;
	l.dry_run = true;
	if (!tap_ok(!env_limits(&e, &l), "bans: dry run"))
		goto out;
	expect(&e, T0, SYN80, "198.51.100.7", XDP_PASS, &dry_syn, "dry run: banned SYN passes");
	expect(&e, T0, ACK80, "198.51.100.7", XDP_PASS, &dry_ack, "dry run: banned ACK passes");
out:
	env_close(&e);
}

/*
 * A --ttl ends a rule at its instant: the ban holds 1 ns before, and
 * from that instant on the packet goes where it would have without it.
 */
static void test_ttl_edge(void)
{
	const struct tg_counters denied = { .packets = 1, .syn = 1, .dropped = 1, .rule_deny = 1,
					    .new_source = 1, .act_drop = 1, .log_emitted = 1 };
	const struct tg_counters again = { .packets = 1, .syn = 1, .allowed = 1 };
	const __u64 end = T0 + 10 * SEC_NS;
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "ttl: load with 3/second burst 3"))
		return;
	if (!tap_ok(!rule_add(&e, "198.51.100.0/24 deny --all --ttl 1h") &&
			    !rule_add(&e, "203.0.113.0/24 deny --ttl 1h") &&
			    !env_rule_expire_at(&e, "198.51.100.0/24", end) &&
			    !env_rule_expire_at(&e, "203.0.113.0/24", end),
		    "ttl: a ban and a deny rule, both ending at T0 + 10 s"))
		goto out;
	expect(&e, end - 1, UDP80, "198.51.100.7", XDP_DROP, &banned, "ttl: banned 1 ns before");
	expect(&e, end, SYN80, "198.51.100.7", XDP_PASS, &admitted, "ttl: free at the instant");
	expect(&e, end - 1, SYN80, "203.0.113.7", XDP_DROP, &denied, "ttl: denied 1 ns before");
	expect(&e, end, SYN80, "203.0.113.7", XDP_PASS, &admitted,
	       "ttl: the interface's limit at the instant");
	expect(&e, end + 1, SYN80, "203.0.113.7", XDP_PASS, &again, "ttl: and after");
out:
	env_close(&e);
}

/* Until the next rule command sweeps it, an expired rule still hides
 * a shorter one: its sources get the interface's limit. */
static void test_expired_hides_shorter(void)
{
	struct env e;

	if (!tap_ok(!env_open(&e, "3/second", 3), "hide: load with 3/second burst 3"))
		return;
	if (!tap_ok(!rule_add(&e, "198.51.0.0/16 deny --all") &&
			    !rule_add(&e, "198.51.100.0/24 allow --ttl 1h") &&
			    !env_rule_expire_at(&e, "198.51.100.0/24", T0 + SEC_NS),
		    "hide: a /16 ban, and a /24 allow in it ending at T0 + 1 s"))
		goto out;
	expect(&e, T0 + 2 * SEC_NS, SYN80, "198.51.100.7", XDP_PASS, &admitted,
	       "hide: the expired /24 still hides the ban");
	expect(&e, T0 + 2 * SEC_NS, SYN80, "198.51.7.7", XDP_DROP, &banned,
	       "hide: the rest of the /16 is banned");
out:
	env_close(&e);
}

int main(void)
{
	env_require_bpf();
	test_ban_every_packet();
	test_ttl_edge();
	test_expired_hides_shorter();
	return tap_done();
}
