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
#include "netns.h"
#include "rulestate.h"

#define TG_RULESTATE_MAGIC "# tidegate rules, written at unix time "

int tg_rulestate_path(const char *dir, const char *ifname, char *buf, size_t len)
{
	const char *ns = tg_netns_name();
	int n = ns[0] ? snprintf(buf, len, "%s/rules/netns-%s/%s", dir, ns, ifname)
		      : snprintf(buf, len, "%s/rules/%s", dir, ifname);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static __u64 wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/*
 * The rules in force at now (CLOCK_MONOTONIC) as text, without the
 * header, each --ttl what is left at ref: what decides a rewrite. Taken
 * at the time the file was written, a TTL reads as the file has it, so
 * the time passing alone rewrites nothing.
 */
static char *rules_text(const struct tg_maps *m, __u64 now, __u64 ref, int *err)
{
	struct tg_rule_entry *rules;
	char *text = NULL, line[320];
	size_t size = 0;
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
		tg_rule_format(&rules[i].key, &rules[i].rule, ref, line, sizeof(line));
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

/* The wall time (ns) a header line says the file was written at; 0 if
 * it says none. Whole seconds are read too (a file written by hand). */
static __u64 header_time(const char *head)
{
	size_t n = strlen(TG_RULESTATE_MAGIC);
	unsigned long long secs;
	char frac[10] = "";
	__u64 ns = 0;
	int i;

	if (strncmp(head, TG_RULESTATE_MAGIC, n) ||
	    sscanf(head + n, "%llu.%9[0-9]", &secs, frac) < 1)
		return 0;
	for (i = 0; i < 9; i++)
		ns = ns * 10 + (frac[i] >= '0' && frac[i] <= '9' ? (__u64)(frac[i] - '0') : 0);
	return secs * 1000000000ULL + ns;
}

/* What the file holds past its header line, or NULL; *written, the
 * header's time. */
static char *file_rules(const char *path, __u64 *written)
{
	char *text = NULL, *body;
	size_t size = 0;
	FILE *f = fopen(path, "r");

	*written = 0;
	if (!f)
		return NULL;
	if (getdelim(&text, &size, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	if (!text)
		return NULL;
	*written = header_time(text);
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

static void sync_dir(const char *path)
{
	char dir[4096], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int tg_rulestate_save(const char *path, const char *ifname, const struct tg_maps *m,
		      bool *changed)
{
	char tmp[4096], *text = NULL, *had;
	__u64 now = tg_mono_ns(), wall = wall_ns(), written, ago;
	int err, fd;
	FILE *f;

	*changed = false;
	had = file_rules(path, &written);
	if (had && written && written <= wall) {
		ago = wall - written;
		text = rules_text(m, now, ago < now ? now - ago : 0, &err);
		if (!text)
			goto out;
		if (!strcmp(had, text))
			goto out;
		free(text);
	}
	text = rules_text(m, now, now, &err);
	if (!text || (!had && !text[0]))
		goto out; /* no rules, and no file to say so: nothing to keep */
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
	fprintf(f, TG_RULESTATE_MAGIC "%llu.%09llu, of %s\n%s",
		(unsigned long long)(wall / 1000000000ULL),
		(unsigned long long)(wall % 1000000000ULL), ifname, text);
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
	sync_dir(path); /* the rename itself, through a power cut */
out:
	free(text);
	free(had);
	return err;
}

/* The rules of a state file's text, read from f: TTLs less the time
 * since its header says it was written. */
static int rules_read(FILE *f, struct tg_rule_set *set, char *why, size_t whylen)
{
	char head[256] = "";
	__u64 written = 0, wall = wall_ns(), gone_ms;
	int err, i, kept = 0;

	if (fgets(head, sizeof(head), f))
		written = header_time(head);
	rewind(f);
	err = tg_rule_set_read(f, set, why, whylen);
	if (err)
		return err;
	gone_ms = written && wall > written ? (wall - written) / 1000000ULL : 0;
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

int tg_rulestate_load(const char *path, struct tg_rule_set *set, char *why, size_t whylen)
{
	FILE *f;
	int err;

	memset(set, 0, sizeof(*set));
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	err = rules_read(f, set, why, whylen);
	fclose(f);
	return err;
}

int tg_rulestate_parse(const char *text, size_t len, struct tg_rule_set *set, char *why,
		       size_t whylen)
{
	FILE *f;
	int err;

	memset(set, 0, sizeof(*set));
	if (!len)
		return 0;
	f = fmemopen((void *)text, len, "r");
	if (!f)
		return -errno;
	err = rules_read(f, set, why, whylen);
	fclose(f);
	return err;
}

__u64 tg_rulestate_written(const char *text)
{
	return header_time(text);
}
