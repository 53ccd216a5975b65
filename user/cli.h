/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cli.h - commands and options as tables. Each command names its own
 * options and the scopes it takes (options.h); parsing, checking and
 * help all come from the tables.
 */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "options.h"

enum tg_opt_scope {
	TG_SCOPE_COMMAND,
	TG_SCOPE_DAEMON,
	TG_SCOPE_IFACE,
	TG_SCOPE_LIMIT,
};

/* What a command takes besides its own options: tg_command.scopes. */
#define TG_TAKES(scope) (1U << TG_SCOPE_##scope)
#define TG_TAKES_ATTACH (1U << 8) /* of IFACE, only the TG_OPT_ATTACH ones */

#define TG_OPT_ENUM(id, ...) OPT_##id,
enum tg_opt_id {
	TG_OPTIONS(TG_OPT_ENUM)
	OPT__MAX,
};
#undef TG_OPT_ENUM

struct tg_opt_def {
	const char *name;
	char short_name;     /* 0 if none */
	const char *metavar; /* NULL for a flag */
	enum tg_opt_scope scope;
	unsigned int flags;  /* TG_OPT_* */
	const char *example;
	const char *help;
};

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
	const int *opts;  /* its own options, -1 terminated */
	int min_pos, max_pos;
	int (*run)(const struct tg_cmdline *cl);
	unsigned int scopes; /* TG_TAKES(...): the scoped options it takes */
};

extern const struct tg_opt_def tg_opt_defs[OPT__MAX];

/* Does cmd take option id, on its command line? From its own list and
 * its scopes. */
bool tg_cli_accepts(const struct tg_command *cmd, int id);

/* Is id a key of the config file? (A scoped option, not TG_OPT_CMDLINE.) */
bool tg_opt_in_file(int id);

/* Does id set something of an interface (IFACE or LIMIT scope)? */
bool tg_opt_per_iface(int id);

/* Parse argv (argv[0] is the command name). Returns 0, or TG_EXIT_USAGE
 * after printing one line naming the bad argument. */
int tg_cli_parse(const struct tg_command *cmd, int argc, char **argv, struct tg_cmdline *cl);

void tg_cli_usage(const struct tg_command *cmd, FILE *f);

#endif /* TG_CLI_H */
