// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rulestate.c - an interface's rules in a file across restarts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "rulestate.h"

#define TG_RULESTATE_MAGIC "# tidegate rules, written at unix time "

int tg_rulestate_path(const char *dir, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/rules/%s", dir, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The rules as text, without the header: what decides a rewrite. */
static char *rules_text(const struct tg_maps *m, int *err)
{
	struct tg_rule_entry *rules;
	char *text = NULL, line[320];
	size_t size = 0;
	__u64 now = tg_mono_ns();
	FILE *f;
	int i, n;

	n = tg_rules_read(m->rules, &rules);
	if (n < 0) {
		*err = n;
		return NULL;
	}
	f = open_memstream(&text, &size);
	if (!f) {
		*err = -errno;
		free(rules);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (tg_rule_expired(&rules[i].rule, now))
			continue;
		tg_rule_format(&rules[i].key, &rules[i].rule, now, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	free(rules);
	if (fclose(f)) {
		*err = -errno;
		free(text);
		return NULL;
	}
	*err = 0;
	return text;
}

/* What the file holds past its header line, or NULL. */
static char *file_rules(const char *path)
{
	char *text = NULL, *body;
	size_t size = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&text, &size, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	if (!text)
		return NULL;
	body = strchr(text, '\n');
	body = strdup(body ? body + 1 : "");
	free(text);
	return body;
}

static int make_dirs(const char *path)
{
	char dir[4096], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0750) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return 0;
}

int tg_rulestate_save(const char *path, const char *ifname, const struct tg_maps *m,
		      bool *changed)
{
	char tmp[4096], *text, *had;
	int err, fd;
	FILE *f;

	*changed = false;
	text = rules_text(m, &err);
	if (!text)
		return err;
	had = file_rules(path);
	if (had && !strcmp(had, text))
		goto out;
	err = make_dirs(path);
	if (err)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f, TG_RULESTATE_MAGIC "%lld, of %s\n%s", (long long)time(NULL), ifname, text);
	if (fflush(f) || fsync(fileno(f))) {
		err = -errno;
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) || rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		goto out;
	}
	*changed = true;
out:
	free(text);
	free(had);
	return err;
}

int tg_rulestate_load(const char *path, struct tg_rule_set *set, char *why, size_t whylen)
{
	long long written = 0;
	char head[256] = "";
	__u64 gone_ms;
	int err, i, kept = 0;
	FILE *f;

	memset(set, 0, sizeof(*set));
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (fgets(head, sizeof(head), f) &&
	    !strncmp(head, TG_RULESTATE_MAGIC, strlen(TG_RULESTATE_MAGIC)))
		written = strtoll(head + strlen(TG_RULESTATE_MAGIC), NULL, 10);
	rewind(f);
	err = tg_rule_set_read(f, set, why, whylen);
	fclose(f);
	if (err)
		return err;
	gone_ms = written && time(NULL) > written ? (__u64)(time(NULL) - written) * 1000 : 0;
	for (i = 0; i < set->n; i++) {
		struct tg_rule_spec *s = &set->specs[i];

		if (s->ttl_ms && s->ttl_ms <= gone_ms)
			continue; /* ran out while nobody was looking */
		if (s->ttl_ms)
			s->ttl_ms -= gone_ms;
		set->specs[kept] = *s;
		set->lines[kept++] = set->lines[i];
	}
	set->n = kept;
	return 0;
}
