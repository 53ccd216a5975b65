// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rules_redis.c - the rule state file's copy in Redis. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "netns.h"
#include "redis.h"
#include "rules_redis.h"

/* The host name, with anything but [A-Za-z0-9._-] made '_'. */
static void host_name(char *buf, size_t len)
{
	size_t i;

	if (gethostname(buf, len) || !buf[0])
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	for (i = 0; buf[i]; i++) {
		char ch = buf[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			buf[i] = '_';
	}
}

int tg_rules_redis_key(char *buf, size_t len, const char *prefix, const char *zone)
{
	char host[256];
	int n;

	host_name(host, sizeof(host));
	if (tg_netns_name()[0])
		n = snprintf(buf, len, "%s:%s:rules:%s:netns-%s", prefix, zone, host,
			     tg_netns_name());
	else
		n = snprintf(buf, len, "%s:%s:rules:%s", prefix, zone, host);
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static bool same_file(const struct tg_rules_copied *c, const struct stat *st)
{
	return c->known && c->dev == st->st_dev && c->ino == st->st_ino &&
	       c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
	       c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The whole file, if no larger than TG_RULES_REDIS_MAX; the stat of
 * what was read. */
static int read_file(const char *path, char **text, size_t *len, struct stat *st)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return -errno;
	if (fstat(fileno(f), st)) {
		fclose(f);
		return -errno;
	}
	if ((size_t)st->st_size > TG_RULES_REDIS_MAX) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, (size_t)st->st_size, f);
	fclose(f);
	if (n != (size_t)st->st_size) {
		free(buf);
		return -EIO;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int tg_rules_redis_copy(redisContext *c, __u64 deadline_ns, const char *prefix,
			const char *zone, const char *path, struct tg_rules_copied *last)
{
	char key[512], *text = NULL;
	redisReply *r = NULL;
	struct stat st;
	size_t len = 0;
	int err;

	if (stat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (same_file(last, &st))
		return 0;
	err = tg_rules_redis_key(key, sizeof(key), prefix, zone);
	if (err < 0)
		return err;
	/* The file is replaced by rename, never rewritten in place: what
	 * is read is one whole version, and its stat says which. */
	err = read_file(path, &text, &len, &st);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = tg_redis_command(c, deadline_ns, &r, "SET %s %b", key, text, len);
	free(text);
	if (err)
		return err;
	if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK")) {
		freeReplyObject(r);
		return -EREMOTEIO;
	}
	freeReplyObject(r);
	*last = (struct tg_rules_copied){ .known = true, .dev = st.st_dev, .ino = st.st_ino,
					  .size = st.st_size, .mtime = st.st_mtim };
	return 1;
}

int tg_rules_redis_fetch(const struct tg_mirror_cfg *cfg, const char *zone, __u64 deadline_ms,
			 char **text, size_t *len, char *why, size_t whylen)
{
	__u64 outer = tg_mono_ns() + deadline_ms * TG_NSEC_PER_MSEC;
	redisReply *r = NULL;
	redisContext *c;
	char key[512];
	int err;

	*text = NULL;
	*len = 0;
	err = tg_rules_redis_key(key, sizeof(key), cfg->prefix, zone);
	if (err < 0) {
		snprintf(why, whylen, "the key is too long");
		return err;
	}
	c = tg_redis_open(&cfg->url, cfg->timeout_ms, outer, why, whylen);
	if (!c)
		return -ECONNREFUSED;
	err = tg_redis_command(c, tg_redis_deadline(cfg->timeout_ms, outer), &r, "GET %s", key);
	if (err) {
		snprintf(why, whylen, "GET %s: %s", key, tg_redis_why(c, NULL));
		goto out;
	}
	if (r->type == REDIS_REPLY_NIL)
		goto out;
	if (r->type != REDIS_REPLY_STRING || r->len > TG_RULES_REDIS_MAX) {
		snprintf(why, whylen, "GET %s: %s", key,
			 r->type == REDIS_REPLY_STRING ? "larger than any rule file"
						       : tg_redis_why(c, r));
		err = -EPROTO;
		goto out;
	}
	*text = malloc(r->len + 1);
	if (!*text) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(*text, r->str, r->len);
	(*text)[r->len] = '\0';
	*len = r->len;
out:
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return err;
}
