// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * conf.c - the config file, through inih, and the command line over it.
 *
 * inih splits lines into sections and KEY = VALUE pairs and strips
 * comments. Debian builds it without line numbers in its callback, so
 * the lines reach inih through our own reader, which counts them: the
 * callback then knows its line, and a line inih could not take (no '=',
 * no ']') is one the callback never saw. So every error, not only the
 * first, is reported with its line.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"
#include "conf.h"
#include "limit_opts.h"
#include "log.h"
#include "parse.h"

#define NR_KEYS    OPT__MAX

#define MAX_LINE   1000
#define MAX_FILE   (1 << 20)

static const char *key_name(int id)
{
	return tg_opt_defs[id].name;
}

struct raw_val {
	char *text; /* NULL with set: a bare flag on the command line */
	int line;   /* 0: the command line */
	bool set;
	int id;     /* the option of a list's line (raw_sect.rule) */
};

struct raw_sect {
	char name[IF_NAMESIZE];
	int line;
	struct raw_val v[NR_KEYS];
	int nrules;
	struct raw_val rule[TG_CONF_MAX_RULES]; /* the TG_OPT_FILE keys' lines, in order */
};

enum cur { CUR_NONE, CUR_DAEMON, CUR_DEFAULTS, CUR_IFACE, CUR_BAD };
enum line_kind { LK_NONE, LK_BLANK, LK_SECTION, LK_KEY };

struct raw {
	struct tg_diags *diags;
	struct raw_val daemon[NR_KEYS];
	struct raw_sect defaults;
	int nsect;
	struct raw_sect sect[TG_MAX_IFACES];
	enum cur cur;
	int cur_sect;
	/* the reader */
	const char *text;
	size_t pos, len;
	int lineno;
	enum line_kind kind;
	bool handled;
};

static void diag(struct tg_diags *d, int line, bool warning, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void diag(struct tg_diags *d, int line, bool warning, const char *fmt, ...)
{
	va_list ap;

	if (!warning)
		d->errors++;
	if (d->n == TG_MAX_DIAGS) {
		d->dropped++;
		return;
	}
	d->d[d->n].line = line;
	d->d[d->n].warning = warning;
	va_start(ap, fmt);
	vsnprintf(d->d[d->n].msg, sizeof(d->d[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
}

/* "--rate '10/x'" on the command line, "rate '10/x'" in the file. */
static const char *what(const struct raw_val *v, int id, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s '%s'", v->line ? "" : "--", key_name(id),
		 v->text ? v->text : "");
	return buf;
}

static struct raw_sect *find_sect(struct raw *r, const char *name)
{
	int i;

	for (i = 0; i < r->nsect; i++)
		if (!strcmp(r->sect[i].name, name))
			return &r->sect[i];
	return NULL;
}

static struct raw_sect *add_sect(struct raw *r, const char *name, int line)
{
	struct raw_sect *s;

	if (r->nsect == TG_MAX_IFACES) {
		diag(r->diags, line, false, "more than %d interfaces", TG_MAX_IFACES);
		return NULL;
	}
	s = &r->sect[r->nsect++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
	return s;
}

static void open_section(struct raw *r, char *name, int line)
{
	char *arg;
	struct raw_sect *s;

	r->cur = CUR_BAD;
	if (!strcmp(name, "daemon")) {
		r->cur = CUR_DAEMON;
		return;
	}
	if (!strcmp(name, "defaults")) {
		r->cur = CUR_DEFAULTS;
		return;
	}
	if (strncmp(name, "interface", 9) || !isspace((unsigned char)name[9])) {
		diag(r->diags, line, false, "unknown section [%s]: expected [daemon], [defaults] "
					   "or [interface NAME]", name);
		return;
	}
	arg = name + 9;
	while (isspace((unsigned char)*arg))
		arg++;
	if (!tg_ifname_valid(arg)) {
		diag(r->diags, line, false, "[interface %s]: not a valid interface name", arg);
		return;
	}
	s = find_sect(r, arg);
	if (s) {
		diag(r->diags, line, false, "[interface %s] again (first on line %d)", arg, s->line);
		return;
	}
	s = add_sect(r, arg, line);
	if (s) {
		r->cur = CUR_IFACE;
		r->cur_sect = (int)(s - r->sect);
	}
}

/* The line inih just took, if it never reached the callback, was bad. */
static void check_last_line(struct raw *r)
{
	if (r->kind == LK_KEY && !r->handled)
		diag(r->diags, r->lineno, false, "expected KEY = VALUE or [SECTION]");
	r->kind = LK_NONE;
}

/* inih's fgets: one line at a time, so we know which line it is on. */
static char *reader(char *str, int num, void *stream)
{
	struct raw *r = stream;
	const char *line, *nl, *p;
	size_t n, take;

	check_last_line(r);
	if (r->pos >= r->len)
		return NULL;
	line = r->text + r->pos;
	nl = memchr(line, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - line) + 1 : r->len - r->pos;
	r->pos += n;
	r->lineno++;
	r->handled = false;

	take = n < (size_t)num - 1 ? n : (size_t)num - 1;
	memcpy(str, line, take);
	str[take] = '\0';
	if (take < n) {
		diag(r->diags, r->lineno, false, "line is longer than %d characters", num - 3);
		str[0] = '\0'; /* give inih nothing of it */
		r->kind = LK_BLANK;
		return str;
	}
	if (memchr(str, '\0', take)) {
		diag(r->diags, r->lineno, false, "a NUL byte in the line");
		str[0] = '\0';
		r->kind = LK_BLANK;
		return str;
	}
	p = str;
	if (r->lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!*p || *p == ';' || *p == '#') {
		r->kind = LK_BLANK;
	} else if (*p == '[') {
		const char *end = strchr(p, ']');
		char name[128];
		size_t len;

		r->kind = LK_SECTION;
		if (!end) {
			diag(r->diags, r->lineno, false, "section header without ']'");
			r->cur = CUR_BAD;
			return str;
		}
		p++;
		while (p < end && isspace((unsigned char)*p))
			p++;
		len = (size_t)(end - p);
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, p, len);
		name[len] = '\0';
		open_section(r, name, r->lineno);
	} else {
		r->kind = LK_KEY;
	}
	return str;
}

/* A key of the file: a scoped option's name; -1 if none. */
static int find_key(const char *name)
{
	int id;

	for (id = 0; id < OPT__MAX; id++)
		if (tg_opt_in_file(id) && !strcmp(key_name(id), name))
			return id;
	return -1;
}

static void set_val(struct raw_val *v, const char *text, int line)
{
	free(v->text);
	v->text = text ? strdup(text) : NULL;
	v->line = line;
	v->set = true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct raw *r = user;
	const struct tg_opt_def *def;
	struct raw_val *vals, *v;
	char unq[MAX_LINE + 1];
	int line = r->lineno, id;
	bool daemon_key;

	(void)section;
	r->handled = true;
	if (r->cur == CUR_BAD)
		return 1; /* the bad header was reported; do not cascade */
	id = find_key(name);
	if (!value) {
		if (id >= 0)
			diag(r->diags, line, false, "'%s' needs a value: %s = VALUE", name, name);
		else
			diag(r->diags, line, false, "expected KEY = VALUE or [SECTION], got '%s'",
			     name);
		return 1;
	}
	if (id < 0) {
		diag(r->diags, line, false, "unknown key '%s'", name);
		return 1;
	}
	def = &tg_opt_defs[id];
	daemon_key = def->scope == TG_SCOPE_DAEMON;
	if (r->cur == CUR_NONE) {
		diag(r->diags, line, false, "'%s' is outside any section: put it under %s", name,
		     daemon_key ? "[daemon]" : "[interface NAME] or [defaults]");
		return 1;
	}
	if (r->cur == CUR_DAEMON && !daemon_key) {
		diag(r->diags, line, false, "'%s' belongs in [interface NAME]%s, not [daemon]",
		     name, def->flags & TG_OPT_ONE_IFACE ? "" : " or [defaults]");
		return 1;
	}
	if (r->cur != CUR_DAEMON && daemon_key) {
		diag(r->diags, line, false, "'%s' is daemon-wide: it belongs in [daemon]", name);
		return 1;
	}
	if (r->cur == CUR_DEFAULTS && (def->flags & TG_OPT_ONE_IFACE)) {
		diag(r->diags, line, false, "'%s' names one interface: put it in [interface NAME]",
		     name);
		return 1;
	}
	/* "10 per minute" may be quoted; the quotes are not the value. */
	snprintf(unq, sizeof(unq), "%s", value);
	if (strlen(unq) >= 2 && unq[0] == '"' && unq[strlen(unq) - 1] == '"') {
		unq[strlen(unq) - 1] = '\0';
		memmove(unq, unq + 1, strlen(unq));
	}
	if (r->cur == CUR_DAEMON)
		vals = r->daemon;
	else if (r->cur == CUR_DEFAULTS)
		vals = r->defaults.v;
	else
		vals = r->sect[r->cur_sect].v;
	if (def->flags & TG_OPT_FILE) { /* rules, port limits: one per line, all kept */
		struct raw_sect *s = r->cur == CUR_DEFAULTS ? &r->defaults : &r->sect[r->cur_sect];

		if (s->nrules == TG_CONF_MAX_RULES) {
			diag(r->diags, line, false, "more than %d rules and port limits",
			     TG_CONF_MAX_RULES);
			return 1;
		}
		s->rule[s->nrules].id = id;
		set_val(&s->rule[s->nrules++], unq, line);
		return 1;
	}
	v = &vals[id];
	if (v->set) {
		diag(r->diags, line, false, "'%s' is set twice in this section (first on line %d)",
		     name, v->line);
		return 1;
	}
	set_val(v, unq, line);
	return 1;
}

static void free_vals(struct raw_val *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i].text);
}

static void free_raw(struct raw *r)
{
	int i;

	free_vals(r->daemon, NR_KEYS);
	free_vals(r->defaults.v, NR_KEYS);
	free_vals(r->defaults.rule, r->defaults.nrules);
	for (i = 0; i < r->nsect; i++) {
		free_vals(r->sect[i].v, NR_KEYS);
		free_vals(r->sect[i].rule, r->sect[i].nrules);
	}
	free(r);
}

/* With --port, --rate and --burst are the ports' own limit. */
static bool port_owns(const struct tg_cmdline *cl, int id)
{
	return id == OPT_PORT || id == OPT_DEFAULT ||
	       (cl->set[OPT_PORT] && (id == OPT_RATE || id == OPT_BURST));
}

/* run IFACE --port PORTS --rate RATE [--burst N]: a port-limit line. */
static void port_from_cli(struct raw *r, struct raw_sect *s, const struct tg_cmdline *cl)
{
	char text[MAX_LINE + 1];

	if (!cl->set[OPT_RATE] || cl->set[OPT_DEFAULT]) {
		diag(r->diags, 0, false, "--port %s: run takes --rate RATE [--burst N] with it "
					 "(ports without a limit of their own are --ports')",
		     cl->val[OPT_PORT]);
		return;
	}
	if (s->nrules == TG_CONF_MAX_RULES) {
		diag(r->diags, 0, false, "more than %d rules and port limits", TG_CONF_MAX_RULES);
		return;
	}
	snprintf(text, sizeof(text), "%s %s%s%s", cl->val[OPT_PORT], cl->val[OPT_RATE],
		 cl->set[OPT_BURST] ? " --burst " : "", cl->set[OPT_BURST] ? cl->val[OPT_BURST] : "");
	s->rule[s->nrules].id = OPT_PORT_LIMIT;
	set_val(&s->rule[s->nrules++], text, 0);
}

/* The command line of run, laid over the file: the daemon's options
 * over [daemon], an interface's over each interface it names. */
static void apply_cli(struct raw *r, const struct tg_cmdline *cl)
{
	int p, id;

	for (id = 0; id < OPT__MAX; id++)
		if (cl->set[id] && tg_opt_defs[id].scope == TG_SCOPE_DAEMON)
			set_val(&r->daemon[id], cl->val[id], 0);
	for (p = 0; p < cl->npos; p++) {
		struct raw_sect *s;

		if (!tg_ifname_valid(cl->pos[p])) {
			diag(r->diags, 0, false, "'%s' is not a valid interface name", cl->pos[p]);
			continue;
		}
		s = find_sect(r, cl->pos[p]);
		if (!s)
			s = add_sect(r, cl->pos[p], 0);
		if (s && cl->set[OPT_PORT])
			port_from_cli(r, s, cl);
		for (id = 0; s && id < OPT__MAX; id++)
			if (cl->set[id] && tg_opt_per_iface(id) && !port_owns(cl, id))
				set_val(&s->v[id], cl->val[id], 0);
	}
	if (cl->set[OPT_DRY_RUN] && cl->set[OPT_NO_DRY_RUN])
		diag(r->diags, 0, false, "--dry-run and --enforce contradict each other");
	if (!cl->npos)
		for (id = 0; id < OPT__MAX; id++)
			if (cl->set[id] && tg_opt_per_iface(id))
				diag(r->diags, 0, false, "--%s applies to the interfaces named on the "
							 "command line: name one, or set it in the "
							 "file", tg_opt_defs[id].name);
}

/*
 * One option of the daemon from its text (NULL: a bare flag). 0, or
 * -EINVAL with why; -ENOENT for an option that is not the daemon's.
 */
static int daemon_set(struct tg_daemon_conf *c, int id, const char *text, char *why,
		      size_t whylen)
{
	switch (id) {
	case OPT_METRICS:
		snprintf(c->metrics, sizeof(c->metrics), "%s", text);
		c->metrics_on = strcmp(text, "off") != 0;
		if (c->metrics_on && (strlen(text) >= sizeof(c->metrics) ||
				      tg_parse_listen(text, &c->metrics_addr, &c->metrics_addrlen))) {
			snprintf(why, whylen, "expected ADDR:PORT such as 127.0.0.1:9477 or "
					      "[::1]:9477, or off");
			return -EINVAL;
		}
		return 0;
	case OPT_REDIS:
		c->redis_on = text[0] != '\0';
		if (c->redis_on && tg_redis_url_parse(text, &c->redis, why, whylen))
			return -EINVAL;
		return 0;
	case OPT_SYNC_INTERVAL:
		if (tg_parse_duration_ms(text, 10, 60000, &c->sync_interval_ms)) {
			snprintf(why, whylen, "expected a duration from 10ms to 60s, such as 250ms");
			return -EINVAL;
		}
		return 0;
	case OPT_REDIS_TIMEOUT:
		if (tg_parse_duration_ms(text, 10, 10000, &c->redis_timeout_ms)) {
			snprintf(why, whylen, "expected a duration from 10ms to 10s, such as 200ms");
			return -EINVAL;
		}
		return 0;
	case OPT_REDIS_PREFIX:
		if (!tg_valid_name(text, sizeof(c->redis_prefix))) {
			snprintf(why, whylen, "expected 1-%zu letters, digits, '.', '_' or '-'",
				 sizeof(c->redis_prefix) - 1);
			return -EINVAL;
		}
		snprintf(c->redis_prefix, sizeof(c->redis_prefix), "%s", text);
		return 0;
	case OPT_FLEET:
		c->fleet_on = text[0] != '\0';
		if (c->fleet_on && !tg_valid_name(text, 33)) {
			snprintf(why, whylen, "expected 1-32 letters, digits, '.', '_' or '-'");
			return -EINVAL;
		}
		snprintf(c->fleet, sizeof(c->fleet), "%s", text);
		return 0;
	case OPT_FLEET_INTERVAL:
		if (tg_parse_duration_ms(text, 10, 10000, &c->fleet_interval_ms)) {
			snprintf(why, whylen, "expected a duration from 10ms to 10s, such as 100ms");
			return -EINVAL;
		}
		return 0;
	case OPT_FLEET_BURST_SHARE: {
		char *end;
		unsigned long k;

		errno = 0;
		k = strtoul(text, &end, 10);
		if (errno || end == text || *end || text[0] == '-' || k < 1 || k > 64) {
			snprintf(why, whylen, "expected a whole number from 1 to 64");
			return -EINVAL;
		}
		c->fleet_burst_share = (unsigned int)k;
		return 0;
	}
	case OPT_LOG:
		if (strcmp(text, "journal") && strcmp(text, "off")) {
			snprintf(why, whylen, "expected journal or off");
			return -EINVAL;
		}
		c->log_journal = !strcmp(text, "journal");
		return 0;
	case OPT_STATE_DIR:
		if (text[0] != '/' || strlen(text) >= sizeof(c->state_dir)) {
			snprintf(why, whylen, "expected an absolute path of at most %zu characters",
				 sizeof(c->state_dir) - 1);
			return -EINVAL;
		}
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", text);
		return 0;
	case OPT_DETACH_ON_EXIT:
		c->detach_on_exit = true;
		if (text && tg_parse_bool(text, &c->detach_on_exit)) {
			snprintf(why, whylen, "expected yes or no");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(why, whylen, "not an option of the daemon");
	return -ENOENT;
}

static void resolve_daemon(struct raw *r, struct tg_daemon_conf *c)
{
	static const struct {
		int id;
		const char *text;
	} defaults[] = {
		{ OPT_METRICS, TG_DEFAULT_METRICS },
		{ OPT_SYNC_INTERVAL, TG_DEFAULT_SYNC_INTERVAL },
		{ OPT_REDIS_TIMEOUT, TG_DEFAULT_REDIS_TIMEOUT },
		{ OPT_REDIS_PREFIX, TG_DEFAULT_REDIS_PREFIX },
		{ OPT_STATE_DIR, TG_DEFAULT_STATE_DIR },
		{ OPT_FLEET_INTERVAL, TG_DEFAULT_FLEET_INTERVAL },
		{ OPT_FLEET_BURST_SHARE, TG_DEFAULT_FLEET_BURST_SHARE },
	};
	char why[200], w[600];
	size_t i;
	int id;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		daemon_set(c, defaults[i].id, defaults[i].text, why, sizeof(why));
	for (id = 0; id < OPT__MAX; id++) {
		const struct raw_val *v = &r->daemon[id];

		if (v->set && daemon_set(c, id, v->text, why, sizeof(why)))
			diag(r->diags, v->line, false, "%s: %s", what(v, id, w, sizeof(w)), why);
	}
	/* The fleet shares its buckets through Redis: no Redis, no fleet. */
	if (c->fleet_on && !c->redis_on)
		diag(r->diags, r->daemon[OPT_FLEET].line, false,
		     "%s: a fleet needs the Redis its members share: set redis too",
		     what(&r->daemon[OPT_FLEET], OPT_FLEET, w, sizeof(w)));
	/* Only the fleet routes a cluster's slots (rcluster.h); the mirror
	 * speaks to one server. */
	if (c->redis_on && c->redis.cluster && !c->fleet_on)
		diag(r->diags, r->daemon[OPT_REDIS].line, false,
		     "%s: a redis+cluster:// URL serves fleet mode only (set fleet too); the "
		     "bucket mirror needs one server (redis:// or unix://)",
		     what(&r->daemon[OPT_REDIS], OPT_REDIS, w, sizeof(w)));
}

static void resolve_iface(struct raw *r, const struct raw_sect *s, struct tg_iface_conf *ic)
{
	struct tg_diags *d = r->diags;
	const struct raw_val *v;
	struct tg_config cfg;
	char why[200], w[600];
	int line_rb = s->line, i, id;

	tg_iface_conf_default(ic, s->name);
	ic->line = s->line;
	/* The section's value, else the defaults', in the table's order. */
	for (id = 0; id < OPT__MAX; id++) {
		if (!tg_opt_per_iface(id) || (tg_opt_defs[id].flags & TG_OPT_FILE))
			continue;
		v = s->v[id].set ? &s->v[id] : &r->defaults.v[id];
		if (!v->set)
			continue;
		if (tg_iface_set(ic, id, v->text, why, sizeof(why)))
			diag(d, v->line, false, "%s: %s", what(v, id, w, sizeof(w)), why);
		if ((id == OPT_RATE || id == OPT_BURST) && v->line > line_rb)
			line_rb = v->line;
	}
	if (tg_limits_to_config(&ic->limits, &cfg, why, sizeof(why)))
		diag(d, line_rb, false, "[interface %s]: %s", s->name, why);
	if (!s->v[OPT_ZONE].set && !tg_valid_name(ic->zone, sizeof(ic->zone)))
		diag(d, s->line, false, "zone '%s': expected 1-%zu letters, digits, '.', '_' or '-' "
					"(set zone = NAME for this interface)", ic->zone,
		     sizeof(ic->zone) - 1);

	/* Rules and port limits: the defaults' and then the section's, all. */
	for (i = 0; i < r->defaults.nrules + s->nrules; i++) {
		v = i < r->defaults.nrules ? &r->defaults.rule[i] : &s->rule[i - r->defaults.nrules];
		if (tg_iface_set(ic, v->id, v->text, why, sizeof(why))) {
			diag(d, v->line, false, "%s: %s", what(v, v->id, w, sizeof(w)), why);
			continue;
		}
		if (v->id == OPT_RULE)
			ic->rules[ic->nrules - 1].line = v->line;
	}

}

/* In line order, as a compiler would list them; stable. */
static void sort_diags(struct tg_diags *d)
{
	int i, j;

	for (i = 1; i < d->n; i++) {
		struct tg_diag t = d->d[i];

		for (j = i; j > 0 && d->d[j - 1].line > t.line; j--)
			d->d[j] = d->d[j - 1];
		d->d[j] = t;
	}
}

static int build(struct raw *r, const struct tg_cmdline *cl, struct tg_daemon_conf *c)
{
	int i;

	if (cl)
		apply_cli(r, cl);
	memset(c, 0, sizeof(*c));
	resolve_daemon(r, c);
	for (i = 0; i < r->nsect; i++)
		resolve_iface(r, &r->sect[i], &c->iface[c->niface++]);
	/* A file without interfaces is one just installed: the daemon runs
	 * and waits for a section and a reload. */
	if (!c->niface && r->text)
		diag(r->diags, 0, true, "no interface to protect yet: add an [interface NAME] "
					"section, then reload the daemon");
	else if (!c->niface)
		diag(r->diags, 0, false, "no interface to protect: name one on the command line, or "
					 "add an [interface NAME] section");
	sort_diags(r->diags);
	return r->diags->errors;
}

static int build_text(const char *text, size_t len, const char *name,
		      const struct tg_cmdline *cl, struct tg_daemon_conf *conf,
		      struct tg_diags *diags)
{
	struct raw *r = calloc(1, sizeof(*r));
	int ret;

	memset(diags, 0, sizeof(*diags));
	diags->file = name;
	if (!r) {
		diag(diags, 0, false, "out of memory");
		return diags->errors;
	}
	r->diags = diags;
	if (text) {
		r->text = text;
		r->len = len;
		/* inih's knobs: no continuation lines (an indented line is a
		 * line of its own), '#' and ';' comments, long lines. */
		ini_allow_multiline = false;
		ini_allow_no_value = true;
		ini_allow_inline_comments = true;
		ini_inline_comment_prefixes = (char *)";#";
		ini_use_stack = false;
		/* On the heap, inih's buffer is ini_initial_alloc bytes
		 * (200 unless told), whatever ini_max_line says; three more
		 * than the longest line, for "\r\n\0". */
		ini_allow_realloc = false;
		ini_initial_alloc = MAX_LINE + 3;
		ini_max_line = MAX_LINE + 3;
		ini_parse_stream(reader, r, handler, r);
	}
	ret = build(r, cl, conf);
	free_raw(r);
	return ret;
}

int tg_conf_build_text(const char *text, const char *name, const struct tg_cmdline *cl,
		       struct tg_daemon_conf *conf, struct tg_diags *diags)
{
	return build_text(text, text ? strlen(text) : 0, name, cl, conf, diags);
}

int tg_conf_build(const char *path, const struct tg_cmdline *cl, struct tg_daemon_conf *conf,
		  struct tg_diags *diags)
{
	char *text = NULL;
	struct stat st;
	size_t n = 0;
	FILE *f = NULL;
	int fd, ret;

	if (!path)
		return tg_conf_build_text(NULL, "command line", cl, conf, diags);
	/* Non-blocking, so a FIFO cannot hang us before we see it is one. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && !fstat(fd, &st) && !S_ISREG(st.st_mode)) {
		close(fd);
		memset(diags, 0, sizeof(*diags));
		diags->file = path;
		diag(diags, 0, false, "%s is %s, not a regular file", path,
		     S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
										: "a special file");
		return diags->errors;
	}
	if (fd >= 0)
		f = fdopen(fd, "r");
	if (!f) {
		memset(diags, 0, sizeof(*diags));
		diags->file = path;
		diag(diags, 0, false, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return diags->errors;
	}
	text = malloc(MAX_FILE + 1);
	if (text)
		n = fread(text, 1, MAX_FILE + 1, f);
	fclose(f);
	if (!text || n > MAX_FILE) {
		free(text);
		memset(diags, 0, sizeof(*diags));
		diags->file = path;
		diag(diags, 0, false, "%s: %s", path, text ? "larger than 1 MiB" : "out of memory");
		return diags->errors;
	}
	text[n] = '\0';
	ret = build_text(text, n, path, cl, conf, diags);
	free(text);
	return ret;
}

void tg_diags_log(const struct tg_diags *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		const struct tg_diag *g = &d->d[i];

		if (g->line)
			tg_log(g->warning ? TG_LOG_WARN : TG_LOG_ERR, "%s:%d: %s", d->file, g->line,
			       g->msg);
		else
			tg_log(g->warning ? TG_LOG_WARN : TG_LOG_ERR, "%s", g->msg);
	}
	if (d->dropped)
		tg_err("... and %d more", d->dropped);
}

const struct tg_iface_conf *tg_conf_iface(const struct tg_daemon_conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->niface; i++)
		if (!strcmp(c->iface[i].name, name))
			return &c->iface[i];
	return NULL;
}
