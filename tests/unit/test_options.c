// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_options.c - ports, numbers, prefixes, limits and the CLI tables. */
#include <arpa/inet.h>
#include <errno.h>

#include <stddef.h>

#include <json-c/json.h>

#include "cli.h"
#include "conf.h"
#include "limit_opts.h"
#include "limits.h"
#include "output.h"
#include "parse.h"
#include "port_limits.h"
#include "tap.h"

static void test_numbers(void)
{
	__u64 v = 0;

	tap_is(tg_parse_u64("42", 1, 100, &v), 0, "42 parses");
	tap_is(v, 42, "42 is 42");
	tap_ok(tg_parse_u64("0", 1, 100, &v) < 0, "0 below the range is refused");
	tap_ok(tg_parse_u64("101", 1, 100, &v) < 0, "101 above the range is refused");
	tap_ok(tg_parse_u64("", 0, 100, &v) < 0, "empty is refused");
	tap_ok(tg_parse_u64("-1", 0, 100, &v) < 0, "a sign is refused");
	tap_ok(tg_parse_u64("12abc", 0, 100, &v) < 0, "trailing text is refused");
	tap_ok(tg_parse_u64("99999999999999999999999", 0, ~0ULL, &v) < 0,
	       "a number past 64 bits is refused");
	tap_is(tg_parse_u64("18446744073709551615", 0, ~0ULL, &v), 0, "2^64-1 parses");
}

static void test_ports(void)
{
	static const struct {
		const char *text, *canonical;
		unsigned int count;
	} goods[] = {
		{ "80", "80", 1 },
		{ "80,443", "80,443", 2 },
		{ "443, 80", "80,443", 2 },
		{ "8000-8003", "8000-8003", 4 },
		{ "1-3,5,7-8", "1-3,5,7-8", 6 },
		{ "65535", "65535", 1 },
		{ "1-65535", "1-65535", 65535 },
		{ "80,80", "80", 1 },
	};
	static const char *const bads[] = { "", "0", "65536", "70000", "80-70", "80,,443",
					    "80,", ",80", "http", "80-", "-80", "80 443",
					    "123456" };
	struct tg_portset set;
	char why[128], buf[256];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		if (!tap_is(tg_parse_ports(goods[i].text, &set, why, sizeof(why)), 0,
			    "ports '%s' parse", goods[i].text))
			continue;
		tg_format_ports(&set, buf, sizeof(buf));
		tap_is_str(buf, goods[i].canonical, "ports '%s' print as '%s'", goods[i].text,
			   goods[i].canonical);
		tap_is(tg_portset_count(&set), goods[i].count, "ports '%s' count", goods[i].text);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		why[0] = '\0';
		tap_ok(tg_parse_ports(bads[i], &set, why, sizeof(why)) < 0 && why[0],
		       "ports '%s' refused (%s)", bads[i], why);
	}
}

/* Read back, a port set is the set stored: whole, or cut between ports. */
static void test_ports_back(void)
{
	struct tg_portset set = {}, back;
	struct tg_limits l;
	struct json_object *o, *v;
	char why[128], small[64], *text, *dots;
	unsigned int p;

	for (p = 10000; p < 10000 + 2 * 134; p += 2)
		tg_portset_add(&set, p);
	tg_limits_default(&l);
	l.ports = set;
	o = tg_limits_json(&l);
	v = json_object_object_get(o, "ports");
	text = strdup(v ? json_object_get_string(v) : "");
	json_object_put(o);
	tap_ok(strlen(text) > 511, "134 ports print as %zu characters, not cut at 511",
	       strlen(text));
	tap_ok(!tg_parse_ports(text, &back, why, sizeof(why)) && !memcmp(&back, &set, sizeof(set)),
	       "  and parse back to the same 134 ports");
	free(text);

	tap_is(tg_format_ports(&set, small, sizeof(small)), 134 * 6 - 1,
	       "the whole text's length, whatever the buffer");
	dots = strstr(small, ",...");
	tap_ok(dots && !dots[4], "a short buffer ends with ',...': %s", small);
	if (dots)
		*dots = '\0';
	tap_ok(!tg_parse_ports(small, &back, why, sizeof(why)), "  after whole ports only");
	for (p = 1; p < TG_PORTS_MAX && tg_portset_has(&back, p) <= tg_portset_has(&set, p); p++)
		;
	tap_is(p, TG_PORTS_MAX, "  every one of them stored");

	memset(&set, 0, sizeof(set));
	for (p = 1; p < TG_PORTS_MAX; p += 2)
		tg_portset_add(&set, p);
	text = tg_ports_text(&set);
	tap_ok(text && !tg_parse_ports(text, &back, why, sizeof(why)) &&
		       !memcmp(&back, &set, sizeof(set)),
	       "every odd port (%zu characters) round-trips", text ? strlen(text) : 0);
	free(text);
}

static void test_ifnames(void)
{
	static const char *const goods[] = { "eth0", "lo", "a", "abcdefghijklmno", "br-lan.10",
					     "veth@1", "..a", "é0" };
	static const char *const bads[] = { "", ".", "..", "eth0:1", "a/b", "a b", "a\tb",
					    "a\nb", "abcdefghijklmnop", "a\xa0" "b", ":" };
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		tap_ok(tg_ifname_valid(goods[i]), "interface name '%s' is valid", goods[i]);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		tap_ok(!tg_ifname_valid(bads[i]), "bad interface name %zu is refused", i);
}

static void test_masks(void)
{
	__be32 m6[4];

	tap_is(ntohl(tg_prefix_mask_v4(32)), 0xffffffffU, "/32 mask");
	tap_is(ntohl(tg_prefix_mask_v4(24)), 0xffffff00U, "/24 mask");
	tap_is(ntohl(tg_prefix_mask_v4(1)), 0x80000000U, "/1 mask");
	tg_prefix_mask_v6(64, m6);
	tap_ok(m6[0] == 0xffffffffU && m6[1] == 0xffffffffU && !m6[2] && !m6[3], "/64 mask");
	tg_prefix_mask_v6(56, m6);
	tap_ok(ntohl(m6[1]) == 0xffffff00U && !m6[2], "/56 mask");
	tg_prefix_mask_v6(128, m6);
	tap_ok(m6[3] == 0xffffffffU, "/128 mask");
	tg_prefix_mask_v6(97, m6);
	tap_ok(ntohl(m6[3]) == 0x80000000U && m6[2] == 0xffffffffU, "/97 mask");
}

static void test_limits(void)
{
	struct tg_limits l, back;
	struct tg_config cfg;
	char why[160];

	tg_limits_default(&l);
	tap_is(tg_limits_to_config(&l, &cfg, why, sizeof(why)), 0, "defaults are valid");
	tap_is(cfg.interval_ns, 10000000, "default 100/second: one every 10 ms");
	tap_is(cfg.tolerance_ns, 99 * 10000000ULL, "default burst 100: tolerance 99 intervals");
	tap_is(cfg.burst, 100, "burst defaults to the rate's count");

	tg_rate_parse("10/minute", &l.rate, why, sizeof(why));
	l.burst = 0;
	tg_limits_to_config(&l, &cfg, why, sizeof(why));
	tap_is(cfg.interval_ns, 6000000000ULL, "10/minute: one every 6 s");
	tap_is(cfg.burst, 10, "10/minute lets 10 through at once");
	l.v4_prefix = 24;
	l.v6_prefix = 56;
	l.dry_run = true;
	tg_limits_to_config(&l, &cfg, why, sizeof(why));
	tg_limits_from_config(&cfg, &back);
	tap_is(back.v4_prefix, 24, "v4 prefix survives the round trip");
	tap_is(back.v6_prefix, 56, "v6 prefix survives the round trip");
	tap_is(back.dry_run, 1, "dry-run survives the round trip");
	tap_is(back.rate.count, 10, "rate count survives");
	tap_is(back.rate.period_ns, 60 * TG_NSEC_PER_SEC, "rate period survives");

	l.v4_prefix = 33;
	tap_ok(tg_limits_to_config(&l, &cfg, why, sizeof(why)) < 0, "v4 /33 refused: %s", why);
	l.v4_prefix = 32;
	l.v6_prefix = 0;
	tap_ok(tg_limits_to_config(&l, &cfg, why, sizeof(why)) < 0, "v6 /0 refused: %s", why);
	l.v6_prefix = 64;
	tg_rate_parse("1/3650d", &l.rate, why, sizeof(why));
	l.burst = TG_MAX_BURST;
	tap_ok(tg_limits_to_config(&l, &cfg, why, sizeof(why)) < 0,
	       "a burst spanning centuries is refused: %s", why);
}

static int run_nothing(const struct tg_cmdline *cl)
{
	return 0;
}

static const int json_opts[] = { OPT_JSON, -1 };
static const struct tg_command test_cmd = { "set", "IFACE", "test", json_opts, 1, 1,
					    run_nothing, TG_TAKES(LIMIT) };

static int parse(struct tg_cmdline *cl, int argc, char **argv)
{
	return tg_cli_parse(&test_cmd, argc, argv, cl);
}

/* The command-line options of attach and set, as they apply them. */
static int apply(const struct tg_cmdline *cl, struct tg_limits *l)
{
	static struct tg_iface_conf ic;
	int ret;

	tg_iface_conf_default(&ic, "eth0");
	ic.limits = *l;
	ret = tg_iface_opts_apply(cl, &ic);
	*l = ic.limits;
	return ret;
}

static void test_cli(void)
{
	struct tg_cmdline cl;
	struct tg_limits l;

	{
		char *argv[] = { "set", "eth0", "--rate", "10 per minute", "-b", "3", "--json",
				 NULL };

		tap_is(parse(&cl, 7, argv), 0, "set with rate, burst and json parses");
		tap_is_str(cl.pos[0], "eth0", "the interface is the positional");
		tap_is_str(cl.val[OPT_RATE], "10 per minute", "--rate value");
		tap_is_str(cl.val[OPT_BURST], "3", "-b value");
		tap_ok(cl.set[OPT_JSON], "--json set");
		tg_limits_default(&l);
		tap_is(apply(&cl, &l), 0, "the options apply");
		tap_is(tg_limits_burst(&l), 3, "burst 3");
		tap_is(l.rate.period_ns, 60 * TG_NSEC_PER_SEC, "per minute");
	}
	{
		char *argv[] = { "set", "eth0", "--mode", "skb", NULL };

		tap_is(parse(&cl, 4, argv), TG_EXIT_USAGE, "an option the command does not take");
	}
	{
		char *argv[] = { "set", "eth0", "--frobnicate", NULL };

		tap_is(parse(&cl, 3, argv), TG_EXIT_USAGE, "an unknown option");
	}
	{
		char *argv[] = { "set", "eth0", "--rate", NULL };

		tap_is(parse(&cl, 3, argv), TG_EXIT_USAGE, "a missing option value");
	}
	{
		char *argv[] = { "set", NULL };

		tap_is(parse(&cl, 1, argv), TG_EXIT_USAGE, "a missing interface");
	}
	{
		char *argv[] = { "set", "eth0", "eth1", NULL };

		tap_is(parse(&cl, 3, argv), TG_EXIT_USAGE, "one interface too many");
	}
	{
		char *argv[] = { "set", "eth0", "--burst", "0", NULL };

		tap_is(parse(&cl, 4, argv), 0, "--burst 0 parses as text");
		tg_limits_default(&l);
		tap_is(apply(&cl, &l), TG_EXIT_USAGE, "--burst 0 is refused");
	}
	{
		char *argv[] = { "set", "eth0", "--dry-run", "--enforce", NULL };

		parse(&cl, 4, argv);
		tg_limits_default(&l);
		tap_is(apply(&cl, &l), TG_EXIT_USAGE,
		       "--dry-run with --enforce is refused");
	}
	{
		char *argv[] = { "set", "eth0", "--v6-prefix", "129", NULL };

		parse(&cl, 4, argv);
		tg_limits_default(&l);
		tap_is(apply(&cl, &l), TG_EXIT_USAGE, "--v6-prefix 129 is refused");
	}
	{
		char *argv[] = { "set", "eth0", "--rate", "5/s", NULL };

		parse(&cl, 4, argv);
		tg_limits_default(&l);
		l.burst = 77;
		apply(&cl, &l);
		tap_is(tg_limits_burst(&l), 5, "a new rate without --burst resets the burst");
	}
}

/* The scopes of attach and run, as main.c's table gives them. */
static const int run_own_opts[] = { OPT_CONFIG, -1 };
static const struct tg_command attach_cmd = { "attach", "IFACE", "test", json_opts, 1, 1,
					      run_nothing, TG_TAKES(LIMIT) | TG_TAKES_ATTACH };
static const struct tg_command run_cmd = { "run", "[IFACE...]", "test", run_own_opts, 0,
					   TG_MAX_POS, run_nothing,
					   TG_TAKES(DAEMON) | TG_TAKES(IFACE) | TG_TAKES(LIMIT) };

static struct tg_daemon_conf conf_def, conf_cli, conf_file;

/* The part of a daemon's config that is not its interfaces. */
static int daemon_differs(const struct tg_daemon_conf *a, const struct tg_daemon_conf *b)
{
	return memcmp(a, b, offsetof(struct tg_daemon_conf, niface)) != 0;
}

/* Two interfaces' settings, wherever they came from (lines aside). */
static int iface_differs(const struct tg_iface_conf *a, const struct tg_iface_conf *b)
{
	static struct tg_iface_conf x, y;
	int i;

	x = *a;
	y = *b;
	x.line = y.line = 0;
	for (i = 0; i < TG_CONF_MAX_RULES; i++)
		x.rules[i].line = y.rules[i].line = 0;
	return memcmp(&x, &y, sizeof(x)) != 0;
}

/* A limit's JSON value, as text (for comparing). */
static void limit_text(const struct tg_limits *l, int id, char *buf, size_t len)
{
	struct json_object *o = tg_limit_json(l, id);

	snprintf(buf, len, "%s", o ? json_object_to_json_string(o) : "(none)");
	json_object_put(o);
}

/*
 * Every option with a scope takes effect wherever it is accepted: on the
 * command line of run (over an interface it names, or the daemon), in
 * the file, the same way in both; on attach and set, as run applies it;
 * and a limit is printed back. An option half-wired fails here.
 */
static void test_every_option(void)
{
	struct tg_diags d;
	struct tg_cmdline cl;
	int id;

	tap_is(tg_conf_build_text("[interface lo]\n", "def", NULL, &conf_def, &d), 0,
	       "the default config builds");
	for (id = 0; id < OPT__MAX; id++) {
		const struct tg_opt_def *o = &tg_opt_defs[id];
		bool daemon = o->scope == TG_SCOPE_DAEMON;
		char text[256], flag[64], *argv[7];
		int argc = 0;

		if (o->scope == TG_SCOPE_COMMAND || (o->flags & TG_OPT_CMDLINE))
			continue;
		if (!tap_ok(o->example != NULL, "--%s has an example value", o->name))
			continue;
		/* A fleet shares its buckets through Redis: it needs one. */
		snprintf(text, sizeof(text), daemon ? "[daemon]\n%s%s = %s\n[interface lo]\n"
						     : "[interface lo]\n%s%s = %s\n",
			 id == OPT_FLEET ? "redis = unix:///run/r.sock\n" : "", o->name, o->example);
		tap_is(tg_conf_build_text(text, "file", NULL, &conf_file, &d), 0,
		       "%s = %s: in the file", o->name, o->example);
		tap_ok(daemon ? daemon_differs(&conf_file, &conf_def)
			      : iface_differs(&conf_file.iface[0], &conf_def.iface[0]),
		       "  it takes effect");

		snprintf(flag, sizeof(flag), "--%s", o->name);
		argv[argc++] = "run";
		argv[argc++] = "lo";
		if (id == OPT_FLEET) {
			argv[argc++] = "--redis";
			argv[argc++] = "unix:///run/r.sock";
		}
		argv[argc++] = flag;
		if (o->metavar)
			argv[argc++] = (char *)o->example;
		argv[argc] = NULL;
		if (o->flags & TG_OPT_FILE) {
			tap_is(tg_cli_parse(&run_cmd, argc, argv, &cl), TG_EXIT_USAGE,
			       "  not on the command line");
			continue;
		}
		if (!tap_is(tg_cli_parse(&run_cmd, argc, argv, &cl), 0, "  run lo %s %s", flag,
			    o->metavar ? o->example : ""))
			continue;
		tap_is(tg_conf_build_text(NULL, "cli", &cl, &conf_cli, &d), 0, "  builds");
		tap_ok(daemon ? !daemon_differs(&conf_cli, &conf_file)
			      : !iface_differs(&conf_cli.iface[0], &conf_file.iface[0]),
		       "  and does on run's command line what it does in the file");

		argv[0] = "attach";
		if (tg_cli_accepts(&attach_cmd, id)) {
			static struct tg_iface_conf ic;

			tg_iface_conf_default(&ic, "lo");
			tap_ok(tg_cli_parse(&attach_cmd, argc, argv, &cl) == 0 &&
				       tg_iface_opts_apply(&cl, &ic) == 0 &&
				       ic.mode == conf_file.iface[0].mode &&
				       !memcmp(&ic.limits, &conf_file.iface[0].limits,
					       sizeof(ic.limits)),
			       "  and on attach's (and set's) as in the file");
		}
		{
			struct tg_limits l;
			char want[512], got[512];
			char why[160];

			tg_limits_default(&l);
			if (tg_limit_set(&l, id, o->example, why, sizeof(why)) == -ENOENT)
				continue;
			limit_text(&conf_def.iface[0].limits, id, want, sizeof(want));
			limit_text(&l, id, got, sizeof(got));
			tap_ok(strcmp(got, "(none)") && strcmp(want, got),
			       "  a limit, printed back: %s (default %s)", got, want);
		}
	}
}

/* Port groups renumbered against those in force: the same ports keep
 * their id, new ones never take an id in force. */
static void test_port_groups_align(void)
{
	struct tg_limits force, want;
	struct tg_rate r = { 3, 60 * TG_NSEC_PER_SEC };
	char why[160];
	int g;

	tg_limits_default(&force);
	tg_limits_default(&want);
	tg_port_limit_put(&force, 22, 22, &r, 0, why, sizeof(why));   /* 2 */
	tg_port_limit_put(&force, 443, 443, &r, 0, why, sizeof(why)); /* 3 */
	tg_port_limit_put(&want, 2222, 2222, &r, 0, why, sizeof(why)); /* 2 */
	tg_port_limit_put(&want, 22, 22, &r, 5, why, sizeof(why));     /* 3 */
	tap_is(tg_port_groups_align(&want, &force, why, sizeof(why)), 0, "align: renumbered");
	tap_ok(want.groups[2].lo == 22 && want.groups[2].burst == 5,
	       "  22 keeps its id 2 (and its buckets), with its new burst");
	tap_ok(!want.groups[3].hi, "  id 3, 443's in force, is given to no other ports");
	tap_is(want.groups[4].lo, 2222, "  2222 takes id 4, free in both");

	tg_limits_default(&force);
	tg_limits_default(&want);
	for (g = 0; g < TG_PORT_GROUPS - TG_PG_FIRST; g++) {
		tg_port_limit_put(&force, (__u16)(100 + g), (__u16)(100 + g), &r, 0, why, sizeof(why));
		tg_port_limit_put(&want, (__u16)(200 + g), (__u16)(200 + g), &r, 0, why, sizeof(why));
	}
	why[0] = '\0';
	tap_ok(tg_port_groups_align(&want, &force, why, sizeof(why)) == -ENOSPC && why[0],
	       "14 groups in force, 14 others wanted: -ENOSPC (%s)", why);
	tap_is(tg_port_limit_put(&force, 300, 300, &r, 0, why, sizeof(why)), -ENOSPC,
	       "a 15th group is refused (%s)", why);
}

int main(void)
{
	test_numbers();
	test_ports();
	test_ifnames();
	test_ports_back();
	test_masks();
	test_limits();
	test_cli();
	test_every_option();
	test_port_groups_align();
	return tap_done();
}
