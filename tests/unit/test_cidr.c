// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_cidr.c - rule prefixes: parsed strictly, keyed apart by family,
 * and the action parser. */
#include <errno.h>

#include "action.h"
#include "rules.h"
#include "tap.h"

struct good {
	const char *text;
	__u8 family, len;
	const char *canonical;
};

static const struct good goods[] = {
	{ "198.51.100.0/24", 4, 24, "198.51.100.0/24" },
	{ "198.51.100.7", 4, 32, "198.51.100.7/32" },
	{ "198.51.100.7/32", 4, 32, "198.51.100.7/32" },
	{ "0.0.0.0/0", 4, 0, "0.0.0.0/0" },
	{ "10.0.0.0/8", 4, 8, "10.0.0.0/8" },
	{ "198.51.100.128/25", 4, 25, "198.51.100.128/25" },
	{ "2001:db8::/32", 6, 32, "2001:db8::/32" },
	{ "2001:DB8:0:0::/48", 6, 48, "2001:db8::/48" },
	{ "2001:db8::1", 6, 128, "2001:db8::1/128" },
	{ "::/0", 6, 0, "::/0" },
	{ "2001:db8:1:2:3:4:5:6/127", 6, 127, "2001:db8:1:2:3:4:5:6/127" },
	{ "::fffe:0:0/95", 6, 95, "::fffe:0:0/95" }, /* covers ::ffff:0:0/96: allowed, IPv6 only */
};

struct bad {
	const char *text;
	const char *why_has; /* the reason must say this */
};

static const struct bad bads[] = {
	{ "198.51.100.1/24", "host bits set" },
	{ "198.51.100.1/24", "198.51.100.0/24" }, /* and names the network meant */
	{ "2001:db8::1/64", "host bits set" },
	{ "2001:db8::1/64", "2001:db8::/64" },
	{ "10.0.0.0/33", "prefix length" },
	{ "2001:db8::/129", "prefix length" },
	{ "10.0.0.0/", "prefix length" },
	{ "10.0.0.0/-1", "prefix length" },
	{ "10.0.0.0/8x", "prefix length" },
	{ "10.0.0.0/ 8", "prefix length" },
	{ "10.0.0/8", "not an IPv4 or IPv6" },
	{ "256.0.0.0/8", "not an IPv4 or IPv6" },
	{ "example.com/24", "not an IPv4 or IPv6" },
	{ "/24", "not an IPv4 or IPv6" },
	{ "", "not an IPv4 or IPv6" },
	{ "2001:db8::g/64", "not an IPv4 or IPv6" },
	{ " 10.0.0.0/8", "not an IPv4 or IPv6" },
	{ "::ffff:198.51.100.0/120", "IPv4-mapped" },
	{ "::ffff:0:0/96", "IPv4-mapped" },
};

static void test_good(void)
{
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		char why[160] = "", buf[64] = "";
		struct tg_cidr c;
		int err = tg_cidr_parse(g->text, &c, why, sizeof(why));

		if (!tap_is(err, 0, "'%s' parses", g->text)) {
			tap_diag("  why: %s", why);
			continue;
		}
		tap_is(c.family, g->family, "  family %u", g->family);
		tap_is(c.len, g->len, "  length %u", g->len);
		tg_cidr_format(&c, buf, sizeof(buf));
		tap_is_str(buf, g->canonical, "  prints as %s", g->canonical);
	}
}

static void test_bad(void)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char why[160] = "";
		struct tg_cidr c;
		int err = tg_cidr_parse(bads[i].text, &c, why, sizeof(why));

		tap_is(err, -EINVAL, "'%s' is refused", bads[i].text);
		if (!tap_ok(strstr(why, bads[i].why_has) != NULL, "  saying '%s'", bads[i].why_has))
			tap_diag("  why: %s", why);
	}
}

/* The trie key: the family word first, the length counted after it. */
static void test_keys(void)
{
	struct tg_cidr c4, c6, back;
	struct tg_rule_key k4, k6;
	char why[160];

	tg_cidr_parse("198.51.100.0/24", &c4, why, sizeof(why));
	tg_cidr_parse("::/0", &c6, why, sizeof(why));
	tg_cidr_to_key(&c4, &k4);
	tg_cidr_to_key(&c6, &k6);
	tap_is(k4.prefixlen, 32 + 24, "IPv4 /24: key length 32 + 24");
	tap_is(k4.family, 4, "  family word 4");
	tap_ok(k4.addr[0] == 198 && k4.addr[1] == 51 && k4.addr[2] == 100 && k4.addr[3] == 0 &&
	       k4.addr[4] == 0 && k4.addr[15] == 0, "  the address in the first 4 bytes, the rest 0");
	tap_is(k6.prefixlen, 32, "IPv6 ::/0: key length 32, the family word only");
	tap_is(k6.family, 6, "  family word 6: it cannot match an IPv4 key");
	tg_cidr_from_key(&k4, &back);
	tap_ok(back.family == 4 && back.len == 24 && !memcmp(back.addr, c4.addr, 4),
	       "a key reads back as its CIDR");
}

static void test_source_format(void)
{
	__u8 v4[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 7 };
	__u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	char buf[64];

	tg_source_format(v4, 32, buf, sizeof(buf));
	tap_is_str(buf, "198.51.100.7", "an IPv4-mapped /32 prints as the address");
	tg_source_format(v4, 24, buf, sizeof(buf));
	tap_is_str(buf, "198.51.100.7/24", "  with a shorter length, address/len");
	tg_source_format(v6, 64, buf, sizeof(buf));
	tap_is_str(buf, "2001:db8::1/64", "an IPv6 source with its length");
}

static void test_actions(void)
{
	struct tg_act a;
	char why[160] = "", buf[64];

	tap_is(tg_action_parse("drop", &a, why, sizeof(why)), 0, "action drop");
	tap_is(a.kind, TG_ACT_DROP, "  kind drop");
	tap_is(tg_action_parse("rst", &a, why, sizeof(why)), 0, "action rst");
	tap_is(a.kind, TG_ACT_RST, "  kind rst");
	tap_is(tg_action_parse("redirect:lo", &a, why, sizeof(why)), 0, "action redirect:lo");
	tap_is(a.kind, TG_ACT_REDIRECT, "  kind redirect");
	tap_ok(a.ifindex > 0, "  with lo's index");
	tg_action_format(&a, buf, sizeof(buf));
	tap_is_str(buf, "redirect:lo", "  prints as redirect:lo");
	tap_is(tg_action_parse("redirect:tgnosuch0", &a, why, sizeof(why)), -ENODEV,
	       "redirect to an unknown interface refused");
	tap_ok(strstr(why, "tgnosuch0") != NULL, "  naming it");
	tap_is(tg_action_parse("redirect:", &a, why, sizeof(why)), -EINVAL, "redirect: alone refused");
	tap_is(tg_action_parse("reject", &a, why, sizeof(why)), -EINVAL, "an unknown action refused");
	tap_is(tg_action_parse("RST", &a, why, sizeof(why)), -EINVAL, "actions are lower case");
}

static void test_rule_kinds(void)
{
	tap_is(tg_rule_kind_parse("allow"), TG_RULE_ALLOW, "kind allow");
	tap_is(tg_rule_kind_parse("deny"), TG_RULE_DENY, "kind deny");
	tap_is(tg_rule_kind_parse("limit"), TG_RULE_LIMIT, "kind limit");
	tap_is(tg_rule_kind_parse("block"), 0, "kind block: none");
}

int main(void)
{
	test_good();
	test_bad();
	test_keys();
	test_source_format();
	test_actions();
	test_rule_kinds();
	return tap_done();
}
