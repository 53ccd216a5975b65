// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cli.c - getopt_long driven by the option table. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "limits.h"
#include "output.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

const struct tg_opt_def tg_opt_defs[OPT__MAX] = {
	[OPT_RATE] = { "rate", 'r', "RATE",
		       "SYNs per source: 10/second, 600/minute, 100/10s, \"10 per minute\" "
		       "(default " TG_DEFAULT_RATE ")" },
	[OPT_BURST] = { "burst", 'b', "N",
			"SYNs a quiet source may send at once (default: the rate's count)" },
	[OPT_PORTS] = { "ports", 'p', "LIST",
			"limited TCP destination ports: 80,443,8000-8080 (default "
			TG_DEFAULT_PORTS ")" },
	[OPT_V4_PREFIX] = { "v4-prefix", 0, "LEN",
			    "IPv4 sources share a bucket per /LEN, 1-32 (default "
			    STR(TG_DEFAULT_V4_PREFIX) ")" },
	[OPT_V6_PREFIX] = { "v6-prefix", 0, "LEN",
			    "IPv6 sources share a bucket per /LEN, 1-128 (default "
			    STR(TG_DEFAULT_V6_PREFIX) ")" },
	[OPT_MAX_SOURCES] = { "max-sources", 0, "N",
			      "sources tracked at once; the least recently seen is "
			      "evicted beyond (default " STR(TG_DEFAULT_MAX_SOURCES) ")" },
	[OPT_MODE] = { "mode", 'm', "native|skb", "XDP attach mode (default native)" },
	[OPT_DRY_RUN] = { "dry-run", 'n', NULL,
			  "decide and count, drop nothing (would_drop counts)" },
	[OPT_NO_DRY_RUN] = { "enforce", 0, NULL, "leave dry-run: drop again" },
	[OPT_JSON] = { "json", 'j', NULL, "print JSON" },
	[OPT_WATCH] = { "watch", 'w', "SECONDS",
			"print again every SECONDS, with rates, until interrupted" },
	[OPT_CONFIG] = { "config", 0, "FILE", "read interfaces and settings from FILE (INI)" },
	[OPT_METRICS] = { "metrics", 0, "ADDR:PORT",
			  "serve Prometheus metrics at http://ADDR:PORT/metrics, or 'off' "
			  "(default " TG_DEFAULT_METRICS ")" },
	[OPT_REDIS] = { "redis", 0, "URL",
			"mirror buckets to redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or "
			"unix:///PATH[?db=N]" },
	[OPT_SYNC_INTERVAL] = { "sync-interval", 0, "DURATION",
				"write changed buckets to Redis this often: 250ms, 1s "
				"(default " TG_DEFAULT_SYNC_INTERVAL ")" },
	[OPT_REDIS_TIMEOUT] = { "redis-timeout", 0, "DURATION",
				"give up on a Redis connect or reply after this long "
				"(default " TG_DEFAULT_REDIS_TIMEOUT ")" },
	[OPT_REDIS_PREFIX] = { "redis-prefix", 0, "NAME",
			       "first word of every Redis key (default " TG_DEFAULT_REDIS_PREFIX
			       ")" },
	[OPT_ZONE] = { "zone", 0, "NAME",
		       "the interface's name in Redis keys; machines sharing a limit share "
		       "it (default: the interface name)" },
	[OPT_DETACH_ON_EXIT] = { "detach-on-exit", 0, NULL,
				 "remove the limiter when the daemon stops (default: leave it "
				 "attached)" },
	[OPT_DST_IP] = { "dst-ip", 0, "IP", "the flooded host's IPv4 or IPv6 address" },
	[OPT_DST_MAC] = { "dst-mac", 0, "MAC",
			  "the MAC frames are sent to: the veth peer's, aa:bb:cc:dd:ee:ff" },
	[OPT_PORT] = { "port", 0, "PORT", "TCP destination port (default 80)" },
	[OPT_SRC] = { "src", 0, "IP",
		      "first source address (default 198.19.0.0 or 2001:db8:19::)" },
	[OPT_SRC_PREFIX] = { "src-prefix", 0, "LEN",
			     "one source per /LEN (default 32 for IPv4, 64 for IPv6: "
			     "tidegate's own prefixes)" },
	[OPT_SOURCES] = { "sources", 0, "N", "distinct source addresses, rotated (default 1)" },
	[OPT_COUNT] = { "count", 'c', "N", "SYNs to send in all (default 1000000)" },
	[OPT_DURATION] = { "duration", 0, "SECONDS",
			   "stop after this long even if COUNT is not reached (default 10)" },
	[OPT_THREADS] = { "threads", 0, "N",
			  "sending threads, one per CPU this process may use (default 1)" },
	[OPT_VERBOSE] = { "verbose", 'v', NULL,
			  "say more; twice or three times for libbpf's own output" },
	[OPT_HELP] = { "help", 'h', NULL, "show this help" },
	[OPT_ACTION] = { "action", 'a', "ACTION",
			 "what SYNs over the limit get: drop, rst (refused at once) or "
			 "redirect:IFACE (sent there with their flow); default drop" },
	[OPT_RST_BUDGET] = { "rst-budget", 0, "N",
			     "RSTs per second from all sources together; over it, drop "
			     "(default " STR(TG_DEFAULT_RST_BUDGET) ")" },
	[OPT_LOG_INTERVAL] = { "log-interval", 0, "SECONDS",
			       "drop log: at most one line per source per SECONDS (default "
			       STR(TG_DEFAULT_LOG_INTERVAL) ")" },
	[OPT_LOG_BUDGET] = { "log-budget", 0, "N",
			     "drop log: at most N lines per second in all (default "
			     STR(TG_DEFAULT_LOG_BUDGET) ")" },
	[OPT_SHARED] = { "shared", 's', NULL,
			 "the whole prefix shares one bucket (a botnet spread over it)" },
	[OPT_ENTRIES] = { "entries", 'n', "N", "show the N first sources of each list (default 10)" },
	[OPT_FORCE] = { "force", 'f', NULL,
		       "detach even from under the tidegate daemon that manages IFACE" },
};

static bool accepts(const struct tg_command *cmd, int id)
{
	const int *o;

	if (id == OPT_HELP || id == OPT_VERBOSE)
		return true;
	for (o = cmd->opts; o && *o >= 0; o++)
		if (*o == id)
			return true;
	return false;
}

int tg_cli_parse(const struct tg_command *cmd, int argc, char **argv, struct tg_cmdline *cl)
{
	struct option longopts[OPT__MAX + 1];
	char shortopts[2 * OPT__MAX + 2];
	int i, n = 0, s = 0, c, idx;

	memset(cl, 0, sizeof(*cl));
	shortopts[s++] = ':'; /* report a missing argument as ':' */
	for (i = 0; i < OPT__MAX; i++) {
		const struct tg_opt_def *d = &tg_opt_defs[i];

		longopts[n++] = (struct option){ d->name, d->metavar ? required_argument
								      : no_argument,
						 NULL, 256 + i };
		/* Short names are per command (-n is --dry-run for attach,
		 * the number of entries for top): only the accepted ones. */
		if (d->short_name && accepts(cmd, i)) {
			shortopts[s++] = d->short_name;
			if (d->metavar)
				shortopts[s++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[s] = '\0';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
		int id = -1;

		if (c >= 256)
			id = c - 256;
		else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			return tg_fail(TG_EXIT_USAGE, "%s: %s option '%s' (see 'tidegate help %s')",
				       cmd->name, c == ':' ? "missing value for" : "unknown",
				       bad, cmd->name);
		} else
			for (i = 0; i < OPT__MAX; i++)
				if (tg_opt_defs[i].short_name == c && accepts(cmd, i))
					id = i;
		if (id < 0 || !accepts(cmd, id))
			return tg_fail(TG_EXIT_USAGE, "%s: option --%s is not accepted here (see 'tidegate help %s')",
				       cmd->name, id < 0 ? "?" : tg_opt_defs[id].name, cmd->name);
		if (id == OPT_VERBOSE)
			cl->verbose++;
		cl->set[id] = true;
		cl->val[id] = optarg;
	}
	if (cl->set[OPT_HELP])
		return 0;
	for (i = optind; i < argc; i++) {
		if (cl->npos == cmd->max_pos || cl->npos == TG_MAX_POS)
			return tg_fail(TG_EXIT_USAGE, "%s: unexpected argument '%s'", cmd->name,
				       argv[i]);
		cl->pos[cl->npos++] = argv[i];
	}
	if (cl->npos < cmd->min_pos)
		return tg_fail(TG_EXIT_USAGE, "%s: missing %s (usage: tidegate %s %s)", cmd->name,
			       cmd->args, cmd->name, cmd->args);
	return 0;
}

void tg_cli_usage(const struct tg_command *cmd, FILE *f)
{
	const int *o;

	fprintf(f, "Usage: tidegate %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
	fprintf(f, "\nOptions:\n");
	for (o = cmd->opts; o && *o >= 0; o++) {
		const struct tg_opt_def *d = &tg_opt_defs[*o];
		char left[48];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", d->short_name ? '-' : ' ',
			 d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ",
			 d->name, d->metavar ? " " : "", d->metavar ? d->metavar : "");
		fprintf(f, "  %-28s %s\n", left, d->help);
	}
	fprintf(f, "  %-28s %s\n", "-v, --verbose", tg_opt_defs[OPT_VERBOSE].help);
	fprintf(f, "  %-28s %s\n", "-h, --help", tg_opt_defs[OPT_HELP].help);
}
