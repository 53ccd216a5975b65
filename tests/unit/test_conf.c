// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_conf.c - the config file: values, layering, and every error's line. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "cli.h"
#include "conf.h"
#include "redis_url.h"
#include "tap.h"

static struct tg_daemon_conf *conf;
static struct tg_diags d;

static int find_diag(int line, bool warning, const char *word)
{
	int i;

	for (i = 0; i < d.n; i++)
		if (d.d[i].line == line && d.d[i].warning == warning && strstr(d.d[i].msg, word))
			return 1;
	return 0;
}

/* Is there an error (or warning) on LINE whose text contains WORD?
 * If not, list what there is. */
static int has_diag(int line, bool warning, const char *word)
{
	int i;

	if (find_diag(line, warning, word))
		return 1;
	for (i = 0; i < d.n; i++)
		tap_diag("  line %d %s: %s", d.d[i].line, d.d[i].warning ? "warning" : "error",
			 d.d[i].msg);
	return 0;
}

static void test_good(void)
{
	static const char text[] =
		"# a comment\n"
		"[daemon]\n"
		"metrics = [::1]:9100\n"
		"redis = redis://:pw@127.0.0.1:6390/3 ; inline comment\n"
		"sync-interval = 100ms\n"
		"redis-timeout = 1s\n"
		"redis-prefix = tg-test\n"
		"detach-on-exit = yes\n"
		"\n"
		"[defaults]\n"
		"rate = 10/second\n"
		"burst = 20\n"
		"\n"
		"[interface eth1]\n"
		"ports = 80, 443\n"
		"v4-prefix = 24\n"
		"zone = web\n"
		"rule = 198.51.100.0/24 allow\n"
		"rule = 2001:db8::/32 deny\n"
		"rule = 203.0.113.0/24 limit 10/second --burst 5 --shared --action drop\n"
		"action = rst\n"
		"log-budget = 50\n"
		"[interface eth2]\n"
		"rate = \"10 per minute\"\n"
		"mode = skb\n"
		"dry-run = yes\n"
		"max-sources = 1000\n";
	const struct tg_iface_conf *e1, *e2;

	tap_is(tg_conf_build_text(text, "good.conf", NULL, conf, &d), 0, "a good file has no errors");
	tap_ok(conf->metrics_on && conf->metrics_addr.ss_family == AF_INET6, "metrics on [::1]");
	tap_ok(conf->redis_on, "redis is on");
	tap_is(conf->redis.port, 6390, "redis port");
	tap_is(conf->redis.db, 3, "redis db");
	tap_is_str(conf->redis.password, "pw", "redis password, inline comment stripped");
	tap_is(conf->sync_interval_ms, 100, "sync-interval 100ms");
	tap_is(conf->redis_timeout_ms, 1000, "redis-timeout 1s");
	tap_is_str(conf->redis_prefix, "tg-test", "redis-prefix");
	tap_ok(conf->detach_on_exit, "detach-on-exit yes");
	tap_is(conf->niface, 2, "two interfaces");
	e1 = tg_conf_iface(conf, "eth1");
	e2 = tg_conf_iface(conf, "eth2");
	if (!tap_ok(e1 && e2, "both found"))
		return;
	tap_is(e1->limits.rate.count, 10, "eth1 takes the default rate");
	tap_is(e1->limits.burst, 20, "eth1 takes the default burst");
	tap_is(e1->limits.v4_prefix, 24, "eth1 v4-prefix");
	tap_is_str(e1->zone, "web", "eth1 zone");
	tap_is(e1->nrules, 3, "eth1 has three rules");
	tap_is(e1->rules[0].spec.kind, TG_RULE_ALLOW, "the first allows");
	tap_is(e1->rules[0].spec.cidr.family, 4, "  an IPv4 prefix");
	tap_is(e1->rules[0].spec.cidr.len, 24, "  a /24");
	tap_is(e1->rules[1].spec.kind, TG_RULE_DENY, "the second denies");
	tap_is(e1->rules[1].spec.cidr.family, 6, "  an IPv6 prefix");
	tap_is(e1->rules[1].spec.cidr.len, 32, "  a /32");
	tap_is(e1->rules[2].spec.kind, TG_RULE_LIMIT, "the third limits");
	tap_is(e1->rules[2].spec.rate.count, 10, "  10");
	tap_is(e1->rules[2].spec.burst, 5, "  --burst 5");
	tap_ok(e1->rules[2].spec.shared, "  --shared");
	tap_is(e1->rules[2].spec.action.kind, TG_ACT_DROP, "  --action drop");
	tap_is(e1->rules[2].line, 20, "  from line 20");
	tap_is(e1->limits.action.kind, TG_ACT_RST, "eth1 action rst");
	tap_is(e1->limits.log_budget, 50, "eth1 log-budget 50");
	tap_is(e2->limits.action.kind, TG_ACT_DROP, "eth2 keeps the default action, drop");
	tap_is(d.n, 0, "rules and actions are in force, no warning about them");
	tap_is(e2->limits.rate.period_ns, 60 * TG_NSEC_PER_SEC, "a quoted rate, per minute");
	tap_is(e2->limits.burst, 20, "the defaults' burst survives the interface's own rate");
	tap_is(e2->mode, XDP_MODE_SKB, "eth2 mode skb");
	tap_ok(e2->limits.dry_run, "eth2 dry-run");
	tap_is(e2->limits.max_sources, 1000, "eth2 max-sources");
	tap_is_str(e2->zone, "eth2", "the zone defaults to the interface name");
}

static void test_defaults(void)
{
	tap_is(tg_conf_build_text("[interface lo]\n", "min.conf", NULL, conf, &d), 0,
	       "one empty interface section is enough");
	tap_ok(conf->metrics_on, "metrics on by default");
	tap_is(((struct sockaddr_in *)&conf->metrics_addr)->sin_addr.s_addr, htonl(0x7f000001),
	       "on loopback");
	tap_ok(!conf->redis_on, "no redis by default");
	tap_is(conf->sync_interval_ms, 250, "sync every 250ms by default");
	tap_is(conf->redis_timeout_ms, 200, "redis timeout 200ms by default");
	tap_is_str(conf->redis_prefix, TG_DEFAULT_REDIS_PREFIX, "default prefix");
	tap_ok(!conf->detach_on_exit, "protection stays on exit by default");
	tap_ok(tg_conf_build_text("[daemon]\nmetrics = off\n", "x", NULL, conf, &d) == 0 &&
		       has_diag(0, true, "no interface to protect yet"),
	       "a file without interfaces is valid, with a warning (the daemon waits)");
	tap_is(tg_conf_build_text(NULL, "x", NULL, conf, &d), 1,
	       "no file and no interface on the command line is an error");
}

static void test_errors(void)
{
	static const char text[] =
		"rate = 5/s\n"                   /* 1: outside a section */
		"[daemon]\n"                     /* 2 */
		"metrics = localhost:99999\n"    /* 3: not numeric */
		"redis = http://x\n"             /* 4 */
		"rate = 10/s\n"                  /* 5: not a daemon key */
		"sync-interval = 5ms\n"          /* 6: too short */
		"[interface eth1]\n"             /* 7 */
		"rate = 10/fortnight\n"          /* 8 */
		"burst = 0\n"                    /* 9 */
		"burst = 5\n"                    /* 10: twice */
		"ports = 80,,443\n"              /* 11 */
		"this line has no equals\n"      /* 12 */
		"redis = redis://x\n"            /* 13: daemon key */
		"rule = 10.0.0.1/8 allow\n"      /* 14: host bits */
		"rule = 10.0.0.0/8 maybe\n"      /* 15 */
		"mode = turbo\n"                 /* 16 */
		"bogus = 1\n"                    /* 17 */
		"[interface eth1]\n"             /* 18: again */
		"[interface bad/name]\n"         /* 19 */
		"rate = 1/s\n"                   /* 20: under a bad header: not cascaded */
		"[frobs\n"                       /* 21 */
		"[whatever]\n"                   /* 22 */
		"zone = has space\n"             /* 23: under a bad header too */
		"[defaults]\n"                   /* 24 */
		"zone = x\n"                     /* 25: not a default */
		"[interface eth3]\n"             /* 26 */
		"rate = 1/day\n"                 /* 27 */
		"burst = 1000000000\n"           /* 28: spans centuries with the rate */
		"zone = a:b\n"                   /* 29 */
		"rule = 203.0.113.0/24 allow\n"  /* 30: fine */
		"rule = 203.0.113.0/24 deny\n"   /* 31: the same prefix again */
		"rule = 192.0.2.0/24 allow --shared\n" /* 32 */
		"rule = 192.0.2.0/24 limit\n"    /* 33: no rate */
		"action = redirect:tgnosuch0\n"; /* 34 */
	static const struct {
		int line;
		const char *word;
	} want[] = {
		{ 1, "outside" },       { 3, "ADDR:PORT" },  { 4, "redis://" },
		{ 5, "not [daemon]" },  { 6, "10ms" },       { 8, "fortnight" },
		{ 9, "whole number" },  { 10, "twice" },     { 11, "bad port" },
		{ 12, "KEY = VALUE" },  { 13, "daemon-wide" }, { 14, "bits set" },
		{ 15, "allow, deny" },  { 16, "native or skb" }, { 17, "unknown key" },
		{ 18, "again" },        { 19, "interface name" }, { 21, "']'" },
		{ 22, "unknown section" }, { 25, "one interface" }, { 28, "century" },
		{ 29, "zone" },         { 31, "duplicate" }, { 32, "does not belong" },
		{ 33, "RATE" },         { 34, "tgnosuch0" },
	};
	size_t i;
	int n;

	n = tg_conf_build_text(text, "bad.conf", NULL, conf, &d);
	tap_is(n, (int)(sizeof(want) / sizeof(want[0])), "every error is reported, not the first");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		tap_ok(has_diag(want[i].line, false, want[i].word), "line %d: %s", want[i].line,
		       want[i].word);
	tap_ok(!find_diag(20, false, ""), "keys under a bad header are not reported again");
	for (i = 1; i < (size_t)d.n; i++)
		if (d.d[i].line < d.d[i - 1].line)
			break;
	tap_is(i, d.n, "errors come in line order");
}

static void test_long_line(void)
{
	char *text = malloc(3000);

	snprintf(text, 3000, "[interface eth1]\nports = 80\nrate = %02000d\n", 1);
	tap_ok(tg_conf_build_text(text, "long.conf", NULL, conf, &d) >= 1 &&
		       has_diag(3, false, "longer"),
	       "an overlong line is an error on its line");
	free(text);
}

/* Lines up to 1000 characters are taken whole, however inih is built
 * (Debian's read 198 at most), with a UTF-8 BOM before the first. */
static void test_long_ok_and_bom(void)
{
	char *text = malloc(4000), *p;
	const struct tg_iface_conf *ic;
	int port;

	p = text + sprintf(text, "\xEF\xBB\xBF[interface eth1]\r\nports = 1");
	for (port = 2; port <= 200; port += 2)
		p += sprintf(p, ",%d", port);
	sprintf(p, "   ; a comment to make it longer still%0400d\r\n", 0);
	tap_diag("the ports line has %zu characters", strlen(strchr(text, 'p')) - 2);
	tap_is(tg_conf_build_text(text, "long.conf", NULL, conf, &d), 0,
	       "a ports line of some 800 characters, after a BOM, is taken");
	ic = tg_conf_iface(conf, "eth1");
	tap_ok(ic && tg_portset_count(&ic->limits.ports) == 101 &&
		       tg_portset_has(&ic->limits.ports, 200) && tg_portset_has(&ic->limits.ports, 1),
	       "  whole: 101 ports, 1 to 200");
	free(text);
}

/* A zone (or prefix) is checked whole: cut to its 47 characters first,
 * two long zones would share their Redis keys. */
static void test_long_names(void)
{
	char text[400], name[61];

	memset(name, 'z', 60);
	name[60] = '\0';
	snprintf(text, sizeof(text), "[interface eth1]\nzone = %.47sA\n[interface eth2]\nzone = %.47sB\n",
		 name, name);
	tap_is(tg_conf_build_text(text, "zones.conf", NULL, conf, &d), 2,
	       "two 48-character zones are both refused");
	tap_ok(has_diag(2, false, "zone") && has_diag(4, false, "1-47"), "  each on its line");
	snprintf(text, sizeof(text), "[interface eth1]\nzone = %.47s\n", name);
	tap_is(tg_conf_build_text(text, "zone.conf", NULL, conf, &d), 0, "47 characters are taken");
	tap_ok(tg_conf_build_text("[daemon]\nlog = syslog\nstate-dir = var/lib\n[interface eth1]\n",
				  "daemon.conf", NULL, conf, &d) == 2 &&
		       has_diag(2, false, "journal or off") && has_diag(3, false, "absolute path"),
	       "log = syslog and a relative state-dir are refused, each on its line");
	tap_is(tg_conf_build_text("[interface eth1]\n", "d.conf", NULL, conf, &d), 0,
	       "without them:");
	tap_ok(!conf->log_journal, "  the drop log is not the daemon's");
	tap_is_str(conf->state_dir, "/var/lib/tidegate", "  the rules are kept in /var/lib/tidegate");
	tap_is(tg_conf_build_text("[daemon]\nlog = journal\nstate-dir = /srv/tg\n[interface eth1]\n",
				  "j.conf", NULL, conf, &d), 0, "log = journal, state-dir = /srv/tg:");
	tap_ok(conf->log_journal, "  the daemon sends the drop log to the journal");
	tap_is_str(conf->state_dir, "/srv/tg", "  and keeps the rules in /srv/tg");
	snprintf(text, sizeof(text), "[daemon]\nredis-prefix = %s\n[interface eth1]\n", name);
	tap_ok(tg_conf_build_text(text, "prefix.conf", NULL, conf, &d) == 1 &&
		       has_diag(2, false, "redis-prefix"),
	       "a 60-character redis-prefix is refused");
}

static void test_cli_over_file(void)
{
	static const char text[] = "[daemon]\nsync-interval = 1s\n"
				   "[interface eth1]\nrate = 10/s\nburst = 50\n";
	struct tg_cmdline cl;

	memset(&cl, 0, sizeof(cl));
	cl.npos = 2;
	cl.pos[0] = "eth1";
	cl.pos[1] = "eth9";
	cl.set[OPT_BURST] = true;
	cl.val[OPT_BURST] = "7";
	cl.set[OPT_SYNC_INTERVAL] = true;
	cl.val[OPT_SYNC_INTERVAL] = "50ms";
	cl.set[OPT_DETACH_ON_EXIT] = true;
	tap_is(tg_conf_build_text(text, "cli.conf", &cl, conf, &d), 0, "file plus command line");
	tap_is(conf->sync_interval_ms, 50, "the command line's sync-interval wins");
	tap_ok(conf->detach_on_exit, "--detach-on-exit as a bare flag");
	tap_is(conf->niface, 2, "the command line adds eth9");
	tap_is(tg_conf_iface(conf, "eth1")->limits.burst, 7, "the command line's burst wins");
	tap_is(tg_conf_iface(conf, "eth1")->limits.rate.count, 10, "the file's rate stays");
	tap_is(tg_conf_iface(conf, "eth9")->limits.burst, 7, "eth9 gets the command line's burst");
	tap_is(tg_conf_iface(conf, "eth9")->line, 0, "eth9 comes from the command line");

	memset(&cl, 0, sizeof(cl));
	cl.npos = 1;
	cl.pos[0] = "eth2";
	cl.set[OPT_NO_DRY_RUN] = true;
	tap_is(tg_conf_build_text("[interface eth2]\ndry-run = yes\n", "e.conf", &cl, conf, &d), 0,
	       "--enforce over a file's dry-run");
	tap_ok(!tg_conf_iface(conf, "eth2")->limits.dry_run, "  enforces");
	cl.set[OPT_DRY_RUN] = true;
	tap_is(tg_conf_build_text(NULL, "x", &cl, conf, &d), 1, "--dry-run with --enforce is an error");

	memset(&cl, 0, sizeof(cl));
	cl.set[OPT_RATE] = true;
	cl.val[OPT_RATE] = "1/s";
	tap_ok(tg_conf_build_text(text, "cli.conf", &cl, conf, &d) == 1 &&
		       has_diag(0, false, "--rate applies"),
	       "--rate with no interface named is an error");
	memset(&cl, 0, sizeof(cl));
	cl.npos = 1;
	cl.pos[0] = "eth1";
	cl.set[OPT_REDIS] = true;
	cl.val[OPT_REDIS] = "redis://";
	tap_ok(tg_conf_build_text(NULL, "x", &cl, conf, &d) == 1 && has_diag(0, false, "--redis"),
	       "a bad --redis names the option");
	cl.val[OPT_REDIS] = "redis+cluster://127.0.0.1:7000";
	tap_ok(tg_conf_build_text(NULL, "x", &cl, conf, &d) == 1 &&
		       has_diag(0, false, "serves fleet mode only"),
	       "--redis with a cluster URL and no fleet: the mirror refuses it, saying why");
	cl.set[OPT_FLEET] = true;
	cl.val[OPT_FLEET] = "web";
	tap_ok(tg_conf_build_text(NULL, "x", &cl, conf, &d) == 0,
	       "--redis with a cluster URL and --fleet: fleet mode routes the cluster");
	cl.set[OPT_FLEET] = false;
}

/* port-limit = PORTS RATE [--burst N]: the file's --port PORTS --rate
 * RATE, repeatable, the defaults' first; and run's command line. */
static void test_port_limits(void)
{
	static const char good[] =
		"[defaults]\n"
		"port-limit = 8000-8099 20/second --burst 40\n"
		"[interface eth1]\n"
		"rate = 100/second\n"
		"port-limit = 22 3/minute\n"
		"port-limit = \"2222 10/minute\"\n";
	static const char bad[] =
		"[interface eth1]\n"                /* 1 */
		"port-limit = 22\n"                 /* 2: no rate */
		"port-limit = 0 3/minute\n"         /* 3 */
		"port-limit = 22 3/fortnight\n"     /* 4 */
		"port-limit = 22 3/minute --burst\n" /* 5 */
		"port-limit = 22 3/minute --burst 0\n" /* 6 */
		"port-limit = 8000-8100 1/second\n" /* 7: fine */
		"port-limit = 8050 1/second\n"      /* 8: inside 7's range */
		"port-limit = 25 1/day --burst 999999999\n" /* 9: centuries */
		"port-limit = 30-20 1/second\n";    /* 10: backwards */
	static const struct {
		int line;
		const char *word;
	} want[] = {
		{ 2, "PORTS RATE" }, { 3, "'0'" }, { 4, "fortnight" }, { 5, "PORTS RATE" },
		{ 6, "'0'" }, { 8, "8000-8100" }, { 9, "century" }, { 10, "backwards" },
	};
	const struct tg_iface_conf *ic;
	struct tg_cmdline cl;
	size_t i;
	int n;

	tap_is(tg_conf_build_text(good, "ports.conf", NULL, conf, &d), 0, "port-limit lines build");
	ic = tg_conf_iface(conf, "eth1");
	tap_ok(ic && ic->limits.groups[2].lo == 8000 && ic->limits.groups[2].hi == 8099 &&
		       ic->limits.groups[2].burst == 40 && ic->limits.groups[2].rate.count == 20,
	       "  [defaults]' 8000-8099 20/second --burst 40 is group 2");
	tap_ok(ic && ic->limits.groups[3].lo == 22 && ic->limits.groups[3].hi == 22 &&
		       ic->limits.groups[3].rate.count == 3 && !ic->limits.groups[3].burst,
	       "  22 3/minute is group 3, burst the rate's count");
	tap_ok(ic && ic->limits.groups[4].lo == 2222 && ic->limits.groups[4].rate.count == 10,
	       "  a quoted value (the rate in one word, as for rule) is group 4");
	tap_is(ic ? ic->limits.rate.count : 0, 100, "  the interface's rate is its own");

	n = tg_conf_build_text(bad, "bad.conf", NULL, conf, &d);
	tap_is(n, (int)(sizeof(want) / sizeof(want[0])), "every bad port-limit is reported");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		tap_ok(has_diag(want[i].line, false, want[i].word), "line %d: %s", want[i].line,
		       want[i].word);

	memset(&cl, 0, sizeof(cl));
	cl.npos = 1;
	cl.pos[0] = "eth1";
	cl.set[OPT_PORT] = true;
	cl.val[OPT_PORT] = "22";
	cl.set[OPT_RATE] = true;
	cl.val[OPT_RATE] = "5/minute";
	cl.set[OPT_BURST] = true;
	cl.val[OPT_BURST] = "2";
	tap_is(tg_conf_build_text("[interface eth1]\nrate = 7/second\n", "c.conf", &cl, conf, &d),
	       0, "run eth1 --port 22 --rate 5/minute --burst 2");
	ic = tg_conf_iface(conf, "eth1");
	tap_ok(ic && ic->limits.groups[2].lo == 22 && ic->limits.groups[2].rate.count == 5 &&
		       ic->limits.groups[2].burst == 2,
	       "  is a port-limit of eth1");
	tap_is(ic ? ic->limits.rate.count : 0, 7, "  and its --rate is not the interface's");
	cl.set[OPT_RATE] = false;
	cl.set[OPT_BURST] = false;
	tap_ok(tg_conf_build_text(NULL, "x", &cl, conf, &d) == 1 &&
		       has_diag(0, false, "--port 22"),
	       "run --port without --rate is an error naming it");
}

static void test_urls(void)
{
	static const struct {
		const char *url;
		int unix_socket;
		const char *host, *user, *pw;
		unsigned int port, db;
	} goods[] = {
		{ "redis://127.0.0.1", 0, "127.0.0.1", "", "", 6379, 0 },
		{ "redis://127.0.0.1:6390", 0, "127.0.0.1", "", "", 6390, 0 },
		{ "redis://127.0.0.1:6390/", 0, "127.0.0.1", "", "", 6390, 0 },
		{ "redis://localhost/5", 0, "localhost", "", "", 6379, 5 },
		{ "redis://:secret@10.0.0.1:7000/2", 0, "10.0.0.1", "", "secret", 7000, 2 },
		{ "redis://alice:p%40ss@h:1/0", 0, "h", "alice", "p@ss", 1, 0 },
		{ "redis://[::1]:6380/1", 0, "::1", "", "", 6380, 1 },
		{ "unix:///run/redis/redis.sock", 1, "/run/redis/redis.sock", "", "", 6379, 0 },
		{ "unix:///tmp/r.sock?db=4", 1, "/tmp/r.sock", "", "", 6379, 4 },
	};
	static const char *const bads[] = {
		"", "http://x", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
		"redis://h:port", "redis://h/x", "redis://h/1/2", "redis://nopass@h",
		"redis://:@h", "redis://[::1", "redis://h h", "unix://relative",
		"unix:///x?db=q", "unix:///x?foo=1", "redis://u:p%4@h", "redis://u:p%00@h",
		"redis://h:6379x",
	};
	struct tg_redis_url u;
	char why[160], buf[300];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		int ok = !tg_redis_url_parse(goods[i].url, &u, why, sizeof(why));

		if (!tap_ok(ok, "url %s parses", goods[i].url)) {
			tap_diag("  %s", why);
			continue;
		}
		tap_ok(u.unix_socket == goods[i].unix_socket && !strcmp(u.host, goods[i].host) &&
			       !strcmp(u.user, goods[i].user) && !strcmp(u.password, goods[i].pw) &&
			       u.port == goods[i].port && u.db == goods[i].db,
		       "url %s: host %s port %u db %u", goods[i].url, u.host, u.port, u.db);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		tap_ok(tg_redis_url_parse(bads[i], &u, why, sizeof(why)) < 0,
		       "url '%s' refused (%s)", bads[i], why);
	/* --help and the refusal state the grammar the parser takes: a user
	 * before the password (Redis 6 ACL), a database for a socket. */
	tap_ok(strstr(tg_opt_defs[OPT_REDIS].help, "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]") &&
		       strstr(tg_opt_defs[OPT_REDIS].help, "unix:///PATH[?db=N]"),
	       "--redis help: %s", tg_opt_defs[OPT_REDIS].help);
	tg_redis_url_parse("http://x", &u, why, sizeof(why));
	tap_ok(strstr(why, "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]") &&
		       strstr(why, "unix:///PATH[?db=N]"),
	       "  and a URL of no known scheme is refused with it: %s", why);
	tg_redis_url_parse("redis://:secret@10.0.0.1:7000/2", &u, why, sizeof(why));
	tg_redis_url_format(&u, buf, sizeof(buf));
	tap_ok(!strstr(buf, "secret") && strstr(buf, "***"), "the password is hidden: %s", buf);
}

/* redis+cluster://: the seeds in order, one password for all, no database. */
static void test_cluster_urls(void)
{
	static const struct {
		const char *url, *user, *pw, *seeds;
	} goods[] = {
		{ "redis+cluster://10.0.0.1:7000", "", "", "10.0.0.1:7000" },
		{ "redis+cluster://h1:7000,h2:7001,h3", "", "", "h1:7000,h2:7001,h3:6379" },
		{ "redis+cluster://:s%2Cx@h1:1,[::1]:2/", "", "s,x", "h1:1,::1:2" },
		{ "redis+cluster://bob:pw@[2001:db8::1]:7000,h", "bob", "pw",
		  "2001:db8::1:7000,h:6379" },
	};
	static const struct {
		const char *url, *why;
	} bads[] = {
		{ "redis+cluster://", "expected a host" },
		{ "redis+cluster://h1:7000,", "expected a host" },
		{ "redis+cluster://,h1", "expected a host" },
		{ "redis+cluster://h1:7000,,h2", "expected a host" },
		{ "redis+cluster://h1:7000/0", "no database" },
		{ "redis+cluster://h1:7000,h2:x", "port 'x'" },
		{ "redis+cluster://h1:99999", "port '99999'" },
		{ "redis+cluster://h1:7000,h1:7000", "given twice" },
		{ "redis+cluster://h1;h2:7001", "bad character ';'" },
		{ "redis+cluster://h1:7000;h2:7001", "port '7000;h2:7001'" },
		{ "redis+cluster://pw@h1", "[USER]:PASSWORD@" },
		{ "redis+cluster://:@h1", "empty password" },
		{ "redis+cluster://[::1:7000", "missing ']'" },
		{ "redis+cluster://a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "more than 16 seeds" },
		{ "redis://h1,h2", "unexpected ',h2'" },
		{ "redis://h1:7000,h2:7001", "port '7000,h2:7001'" },
	};
	struct tg_redis_url u;
	char why[200], buf[600], seeds[600];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		size_t o = 0;

		if (!tap_ok(!tg_redis_url_parse(goods[i].url, &u, why, sizeof(why)),
			    "cluster url %s parses", goods[i].url)) {
			tap_diag("  %s", why);
			continue;
		}
		seeds[0] = '\0';
		for (unsigned int k = 0; k < u.nseeds; k++)
			o += (size_t)snprintf(seeds + o, sizeof(seeds) - o, "%s%s:%u", k ? "," : "",
					      u.seeds[k].host, u.seeds[k].port);
		tap_ok(u.cluster && !u.unix_socket && !u.db && !strcmp(u.user, goods[i].user) &&
			       !strcmp(u.password, goods[i].pw) && !strcmp(seeds, goods[i].seeds) &&
			       !strcmp(u.host, u.seeds[0].host) && u.port == u.seeds[0].port,
		       "  seeds %s (want %s), user '%s'", seeds, goods[i].seeds, u.user);
	}
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int err = tg_redis_url_parse(bads[i].url, &u, why, sizeof(why));

		tap_ok(err == -EINVAL && strstr(why, bads[i].why), "url '%s' refused: %s",
		       bads[i].url, why);
	}
	tg_redis_url_parse("redis+cluster://u:secret@h1:7000,[::1]:7001", &u, why, sizeof(why));
	tg_redis_url_format(&u, buf, sizeof(buf));
	tap_is_str(buf, "redis+cluster://u:***@h1:7000,[::1]:7001",
		   "a cluster URL is written back with its password hidden");
	tg_redis_url_parse("redis+cluster://h1:7000,[::1]:7001", &u, why, sizeof(why));
	tg_redis_url_format(&u, buf, sizeof(buf));
	tap_ok(!tg_redis_url_parse(buf, &u, why, sizeof(why)) && u.nseeds == 2 &&
		       u.seeds[1].port == 7001 && !strcmp(u.seeds[1].host, "::1"),
	       "  and reads back the same: %s", buf);
}

int main(void)
{
	conf = calloc(1, sizeof(*conf));
	test_good();
	test_defaults();
	test_errors();
	test_long_line();
	test_long_ok_and_bom();
	test_long_names();
	test_cli_over_file();
	test_port_limits();
	test_urls();
	test_cluster_urls();
	free(conf);
	return tap_done();
}
