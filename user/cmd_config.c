// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_config.c - tidegate check-config: every error, with its line. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "conf.h"
#include "limit_opts.h"
#include "output.h"
#include "xdp.h"

static struct json_object *diag_json(const struct tg_diag *g)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "line", json_object_new_int(g->line));
	json_object_object_add(o, "message", json_object_new_string(g->msg));
	return o;
}

static struct json_object *iface_json(const struct tg_iface_conf *ic)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "interface", json_object_new_string(ic->name));
	json_object_object_add(o, "zone", json_object_new_string(ic->zone));
	json_object_object_add(o, "mode", json_object_new_string(tg_mode_name(ic->mode)));
	json_object_object_add(o, "limits", tg_limits_json(&ic->limits));
	json_object_object_add(o, "rules", json_object_new_int(ic->nrules));
	return o;
}

int tg_cmd_check_config(const struct tg_cmdline *cl)
{
	struct tg_daemon_conf *c = calloc(1, sizeof(*c));
	struct json_object *o, *errs, *warns, *ifs;
	struct tg_diags d;
	int i, nerr;

	if (!c)
		return tg_fail(TG_EXIT_FAIL, "out of memory");
	nerr = tg_conf_build(cl->pos[0], NULL, c, &d);
	if (!tg_out_json()) {
		/* Compiler style, one line each, so editors can jump to them. */
		for (i = 0; i < d.n; i++) {
			const char *kind = d.d[i].warning ? "warning" : "error";

			if (d.d[i].line)
				printf("%s:%d: %s: %s\n", d.file, d.d[i].line, kind, d.d[i].msg);
			else
				printf("%s: %s: %s\n", d.file, kind, d.d[i].msg);
		}
		if (d.dropped)
			printf("%s: ... and %d more\n", d.file, d.dropped);
		printf("%s: %s (%d error%s, %d interface%s)\n", d.file,
		       nerr ? "invalid" : "valid", nerr, nerr == 1 ? "" : "s", c->niface,
		       c->niface == 1 ? "" : "s");
		free(c);
		return nerr ? TG_EXIT_USAGE : TG_EXIT_OK;
	}
	o = json_object_new_object();
	errs = json_object_new_array();
	warns = json_object_new_array();
	ifs = json_object_new_array();
	for (i = 0; i < d.n; i++)
		json_object_array_add(d.d[i].warning ? warns : errs, diag_json(&d.d[i]));
	for (i = 0; !nerr && i < c->niface; i++)
		json_object_array_add(ifs, iface_json(&c->iface[i]));
	json_object_object_add(o, "file", json_object_new_string(d.file));
	json_object_object_add(o, "valid", json_object_new_boolean(!nerr));
	json_object_object_add(o, "errors", errs);
	json_object_object_add(o, "warnings", warns);
	json_object_object_add(o, "interfaces", ifs);
	tg_out_print(o);
	free(c);
	return nerr ? TG_EXIT_USAGE : TG_EXIT_OK;
}
