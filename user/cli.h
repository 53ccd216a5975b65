/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h - commands and options as tables. Each command names the
 * options it takes; parsing, checking and help all come from the tables.
 */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum tg_opt_id {
	OPT_RATE,
	OPT_BURST,
	OPT_PORTS,
	OPT_V4_PREFIX,
	OPT_V6_PREFIX,
	OPT_MAX_SOURCES,
	OPT_MODE,
	OPT_DRY_RUN,
	OPT_NO_DRY_RUN,
	OPT_JSON,
	OPT_WATCH,
	OPT_CONFIG,
	OPT_METRICS,
	OPT_REDIS,
	OPT_SYNC_INTERVAL,
	OPT_REDIS_TIMEOUT,
	OPT_REDIS_PREFIX,
	OPT_ZONE,
	OPT_DETACH_ON_EXIT,
	OPT_DST_IP,
	OPT_DST_MAC,
	OPT_PORT,
	OPT_SRC,
	OPT_SRC_PREFIX,
	OPT_SOURCES,
	OPT_COUNT,
	OPT_DURATION,
	OPT_THREADS,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_ACTION,
	OPT_RST_BUDGET,
	OPT_LOG_INTERVAL,
	OPT_LOG_BUDGET,
	OPT_SHARED,
	OPT_ENTRIES,
	OPT_FORCE,
	OPT__MAX,
};

struct tg_opt_def {
	const char *name;
	char short_name;     /* 0 if none */
	const char *metavar; /* NULL for a flag */
	const char *help;
};

/* The option sets commands share; each ends with -1. */
#define TG_LIMIT_OPTS OPT_RATE, OPT_BURST, OPT_PORTS, OPT_V4_PREFIX, OPT_V6_PREFIX, \
	OPT_DRY_RUN, OPT_NO_DRY_RUN, TG_ACTION_OPTS

/* What happens over the limit, and the drop log's pace. */
#define TG_ACTION_OPTS OPT_ACTION, OPT_RST_BUDGET, OPT_LOG_INTERVAL, OPT_LOG_BUDGET

#define TG_MAX_POS 6

struct tg_cmdline {
	const char *pos[TG_MAX_POS];
	int npos;
	const char *val[OPT__MAX];
	bool set[OPT__MAX];
	int verbose;
};

struct tg_command {
	const char *name;
	const char *args; /* positional arguments, for usage */
	const char *summary;
	const int *opts;  /* accepted options, -1 terminated */
	int min_pos, max_pos;
	int (*run)(const struct tg_cmdline *cl);
};

extern const struct tg_opt_def tg_opt_defs[OPT__MAX];

/* Parse argv (argv[0] is the command name). Returns 0, or TG_EXIT_USAGE
 * after printing one line naming the bad argument. */
int tg_cli_parse(const struct tg_command *cmd, int argc, char **argv, struct tg_cmdline *cl);

void tg_cli_usage(const struct tg_command *cmd, FILE *f);

#endif /* TG_CLI_H */
