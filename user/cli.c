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

#define TG_OPT_DEF(id, name, short_name, metavar, scope, flags, example, help) \
	[OPT_##id] = { name, short_name, metavar, TG_SCOPE_##scope, flags, example, help },

const struct tg_opt_def tg_opt_defs[OPT__MAX] = { TG_OPTIONS(TG_OPT_DEF) };

bool tg_opt_in_file(int id)
{
	return tg_opt_defs[id].scope != TG_SCOPE_COMMAND &&
	       !(tg_opt_defs[id].flags & TG_OPT_CMDLINE);
}

bool tg_opt_per_iface(int id)
{
	return tg_opt_defs[id].scope == TG_SCOPE_IFACE || tg_opt_defs[id].scope == TG_SCOPE_LIMIT;
}

bool tg_cli_accepts(const struct tg_command *cmd, int id)
{
	const struct tg_opt_def *d = &tg_opt_defs[id];
	const int *o;

	if (id == OPT_HELP || id == OPT_VERBOSE)
		return true;
	for (o = cmd->opts; o && *o >= 0; o++)
		if (*o == id)
			return true;
	if (d->scope == TG_SCOPE_COMMAND || (d->flags & TG_OPT_FILE))
		return false;
	if (cmd->scopes & (1U << d->scope))
		return true;
	return d->scope == TG_SCOPE_IFACE && (cmd->scopes & TG_TAKES_ATTACH) &&
	       (d->flags & TG_OPT_ATTACH);
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
		if (d->short_name && tg_cli_accepts(cmd, i)) {
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
				if (tg_opt_defs[i].short_name == c && tg_cli_accepts(cmd, i))
					id = i;
		if (id < 0 || !tg_cli_accepts(cmd, id))
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
	int id;

	fprintf(f, "Usage: tidegate %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
	fprintf(f, "\nOptions:\n");
	/* In the table's order, -v and -h last. */
	for (id = 0; id < OPT__MAX; id++) {
		const struct tg_opt_def *d = &tg_opt_defs[id];
		char left[48];

		if (!tg_cli_accepts(cmd, id) || id == OPT_VERBOSE || id == OPT_HELP)
			continue;
		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", d->short_name ? '-' : ' ',
			 d->short_name ? d->short_name : ' ', d->short_name ? ", " : "  ",
			 d->name, d->metavar ? " " : "", d->metavar ? d->metavar : "");
		/* Two spaces at least between an option and its help, so
		 * the completions (packaging/) can tell them apart. */
		fprintf(f, "  %-27s  %s\n", left, d->help);
	}
	fprintf(f, "  %-28s %s\n", "-v, --verbose", tg_opt_defs[OPT_VERBOSE].help);
	fprintf(f, "  %-28s %s\n", "-h, --help", tg_opt_defs[OPT_HELP].help);
}
