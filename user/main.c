// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* main.c - tidegate: per-source SYN rate limiting at XDP. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "log.h"
#include "output.h"

static int run_help(const struct tg_cmdline *cl);

/* Each command's own options; the scoped ones (options.h) come from
 * the scopes at the end of its row. */
static const int json_opts[] = { OPT_JSON, -1 };
static const int detach_opts[] = { OPT_FORCE, OPT_JSON, -1 };
static const int stats_opts[] = { OPT_JSON, OPT_WATCH, -1 };
static const int flood_opts[] = { OPT_DST_IP, OPT_DST_MAC, OPT_PORT, OPT_SOURCES, OPT_COUNT,
				  OPT_THREADS, OPT_PPS, OPT_DURATION, OPT_SRC, OPT_SRC_PREFIX,
				  OPT_LOOP, OPT_JSON, -1 };
static const int no_opts[] = { -1 };
static const int rule_opts[] = { OPT_BURST, OPT_SHARED, OPT_ACTION, OPT_ALL, OPT_TTL,
				  OPT_REPLACE, OPT_MISSING_OK, OPT_JSON, -1 };
static const int top_opts[] = { OPT_ENTRIES, OPT_JSON, OPT_WATCH, -1 };
static const int run_opts[] = { OPT_CONFIG, -1 };

static const struct tg_command commands[] = {
	{ "attach", "IFACE [options]",
	  "Attach the SYN limiter to IFACE and print the limits in force.", json_opts, 1, 1,
	  tg_cmd_attach, TG_TAKES(LIMIT) | TG_TAKES_ATTACH },
	{ "set", "IFACE [options]",
	  "Change IFACE's limits live; buckets of tracked sources are kept.\n"
	  "Options not given keep their value; a new --rate without --burst\n"
	  "sets the burst to the rate's count.",
	  json_opts, 1, 1, tg_cmd_set, TG_TAKES(LIMIT) },
	{ "detach", "IFACE [--force]",
	  "Remove the limiter and its pinned maps from IFACE.\n"
	  "An interface the daemon (tidegate run) manages needs --force: take it\n"
	  "out of the daemon's config and reload it instead.",
	  detach_opts, 1, 1, tg_cmd_detach, 0 },
	{ "status", "[IFACE] [--json]",
	  "List the interfaces tidegate is attached to, with mode and limits.", json_opts, 0,
	  1, tg_cmd_status, 0 },
	{ "stats", "IFACE [--json] [--watch SECONDS]",
	  "Print IFACE's counters, summed over CPUs.", stats_opts, 1, 1, tg_cmd_stats, 0 },
	{ "rule", "add|del|list|import IFACE [CIDR allow|deny|limit RATE | FILE] [options]",
	  "Allow, deny or limit source prefixes on IFACE, live.\n"
	  "The longest matching prefix wins, IPv4 and IPv6:\n"
	  "  rule add IFACE CIDR allow [--ttl DURATION]\n"
	  "  rule add IFACE CIDR deny [--all] [--action ACTION] [--ttl DURATION]\n"
	  "  rule add IFACE CIDR limit RATE [--burst N] [--shared] [--action ACTION] "
	  "[--ttl DURATION]\n"
	  "  rule del IFACE CIDR [--missing-ok]\n"
	  "  rule list IFACE [--json]            (text: lines that rule import takes)\n"
	  "  rule import IFACE FILE|- [--replace] (all or nothing; '#' comments)",
	  rule_opts, 2, 5, tg_cmd_rule, 0 },
	{ "log", "IFACE [--json]",
	  "Follow IFACE's drop log: who is being limited, and why.\n"
	  "A source's first over-limit SYN, then at most one line per source per\n"
	  "--log-interval, all under --log-budget; until interrupted, or until\n"
	  "IFACE is detached (exit 1). One follower per interface.",
	  json_opts, 1, 1, tg_cmd_log, 0 },
	{ "top", "IFACE [-n N] [--json] [--watch SECONDS]",
	  "The sources with the most drops and the highest current rate.", top_opts, 1, 1,
	  tg_cmd_top, 0 },
	{ "run", "[--config FILE] [IFACE...] [options]",
	  "Run the daemon: attach where needed, serve metrics, mirror buckets to Redis.\n"
	  "SIGHUP re-reads the config; SIGTERM stops, leaving the limiter attached\n"
	  "unless --detach-on-exit. Limit options apply to the IFACEs named here.",
	  run_opts, 0, TG_MAX_POS, tg_cmd_run,
	  TG_TAKES(DAEMON) | TG_TAKES(IFACE) | TG_TAKES(LIMIT) },
	{ "check-config", "FILE [--json]",
	  "Check a config file; every error is named with its line.", json_opts, 1, 1,
	  tg_cmd_check_config, 0 },
	{ "flood", "IFACE --dst-ip IP --dst-mac MAC [options]",
	  "Load-test a sandbox: send crafted SYNs out of a veth, fast.\n"
	  "SYNs come from --sources rotating addresses, made by\n"
	  "BPF_PROG_TEST_RUN with live frames, until --count or --duration,\n"
	  "at most --pps a second if given;\n"
	  "prints what was sent. Only out of a veth: the sources are forged,\n"
	  "so the frames must stay on this machine.",
	  flood_opts, 1, 1, tg_cmd_flood, 0 },
	{ "help", "[COMMAND]", "Show help for tidegate or one command.", no_opts, 0, 1,
	  run_help, 0 },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* The edit distance of a and b (short words: command names). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[32];

	if (la >= 32 || lb >= 32)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], next;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			next = row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag : 1 + min3(diag, row[j - 1], row[j]);
			diag = next;
		}
	}
	return row[lb];
}

/* An unknown command, with the nearest one when it is a typo away. */
static int unknown_command(const char *what, const char *name)
{
	const char *best = NULL;
	size_t i, d, best_d = 3;

	for (i = 0; i < NR_COMMANDS; i++) {
		d = distance(name, commands[i].name);
		if (d < best_d) {
			best_d = d;
			best = commands[i].name;
		}
	}
	if (best)
		return tg_fail(TG_EXIT_USAGE, "%sunknown command '%s': did you mean '%s'?", what,
			       name, best);
	return tg_fail(TG_EXIT_USAGE, "%sunknown command '%s' (see 'tidegate help')", what, name);
}

static const struct tg_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: tidegate COMMAND [options]\n\n"
		   "Per-source TCP SYN rate limiting at XDP (tidegate %s).\n\nCommands:\n",
		TG_VERSION);
	for (i = 0; i < NR_COMMANDS; i++) {
		const char *nl = strchr(commands[i].summary, '\n');
		int len = nl ? (int)(nl - commands[i].summary) : (int)strlen(commands[i].summary);

		fprintf(f, "  %-13s %.*s\n", commands[i].name, len, commands[i].summary);
	}
	fprintf(f, "\nRun 'tidegate help COMMAND' or 'tidegate COMMAND --help' for its options;\n"
		   "'tidegate --version' for the version alone.\n");
}

static int run_help(const struct tg_cmdline *cl)
{
	const struct tg_command *cmd;

	if (!cl->npos) {
		usage(stdout);
		return TG_EXIT_OK;
	}
	cmd = find_command(cl->pos[0]);
	if (!cmd)
		return unknown_command("help: ", cl->pos[0]);
	tg_cli_usage(cmd, stdout);
	return TG_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct tg_command *cmd;
	struct tg_cmdline cl;
	int err;

	if (argc < 2) {
		usage(stderr);
		return TG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return TG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tidegate %s\n", TG_VERSION);
		return TG_EXIT_OK;
	}
	/* JSON mode is known before parsing, so even a usage error is JSON. */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			tg_out_init(true);
	cmd = find_command(argv[1]);
	if (!cmd)
		return unknown_command("", argv[1]);
	err = tg_cli_parse(cmd, argc - 1, argv + 1, &cl);
	if (err)
		return err;
	if (cl.set[OPT_HELP]) {
		tg_cli_usage(cmd, stdout);
		return TG_EXIT_OK;
	}
	tg_log_init(cl.verbose);
	return cmd->run(&cl);
}
