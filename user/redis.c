// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* redis.c - Redis exchanges that end by a deadline, whatever the server does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "redis.h"
#include "rkeys.h"

__u64 tg_redis_deadline(__u64 timeout_ms, __u64 outer_ns)
{
	__u64 d = tg_mono_ns() + timeout_ms * TG_NSEC_PER_MSEC;

	return outer_ns && outer_ns < d ? outer_ns : d;
}

/* Fail the context the way hiredis does, so c->errstr says why. */
static int fail(redisContext *c, int err, const char *what)
{
	c->err = REDIS_ERR_IO;
	snprintf(c->errstr, sizeof(c->errstr), "%s", what);
	return err;
}

/* Until fd is ready for events, or the deadline. */
static int wait_fd(redisContext *c, short events, __u64 deadline_ns)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	for (;;) {
		__u64 now = tg_mono_ns();
		int n;

		if (now >= deadline_ns)
			return fail(c, -ETIMEDOUT, "no complete reply in time");
		n = poll(&p, 1, (int)((deadline_ns - now + TG_NSEC_PER_MSEC - 1) / TG_NSEC_PER_MSEC));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(c, -errno, strerror(errno));
	}
}

int tg_redis_append(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = redisvAppendCommand(c, fmt, ap);
	va_end(ap);
	return ret == REDIS_OK ? 0 : -ENOMEM;
}

int tg_redis_reply(redisContext *c, __u64 deadline_ns, redisReply **reply)
{
	void *r = NULL;
	int done = 0, err;

	*reply = NULL;
	if (c->err)
		return -EIO;
	while (!done) {
		if ((err = wait_fd(c, POLLOUT, deadline_ns)))
			return err;
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -EIO;
	}
	if (redisGetReplyFromReader(c, &r) != REDIS_OK)
		return -EPROTO;
	while (!r) {
		if ((err = wait_fd(c, POLLIN, deadline_ns)))
			return err;
		if (redisBufferRead(c) != REDIS_OK)
			return -EIO;
		if (redisGetReplyFromReader(c, &r) != REDIS_OK)
			return -EPROTO;
	}
	*reply = r;
	return 0;
}

int tg_redis_command(redisContext *c, __u64 deadline_ns, redisReply **reply, const char *fmt,
		     ...)
{
	va_list ap;
	int ret;

	*reply = NULL;
	va_start(ap, fmt);
	ret = redisvAppendCommand(c, fmt, ap);
	va_end(ap);
	if (ret != REDIS_OK)
		return -ENOMEM;
	return tg_redis_reply(c, deadline_ns, reply);
}

const char *tg_redis_why(const redisContext *c, const redisReply *r)
{
	if (r && r->type == REDIS_REPLY_ERROR)
		return r->str;
	if (r)
		return "unexpected reply";
	return c->errstr[0] ? c->errstr : "no reply";
}

static bool reply_ok(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");
}

/* One command that must answer +OK; false with why. */
static bool command_ok(redisContext *c, __u64 deadline_ns, const char *what, char *why,
		       size_t whylen, const char *fmt, ...)
{
	redisReply *r = NULL;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = redisvAppendCommand(c, fmt, ap);
	va_end(ap);
	if (ret == REDIS_OK)
		tg_redis_reply(c, deadline_ns, &r);
	if (reply_ok(r)) {
		freeReplyObject(r);
		return true;
	}
	snprintf(why, whylen, "%s: %s", what, tg_redis_why(c, r));
	freeReplyObject(r);
	return false;
}

redisContext *tg_redis_open(const struct tg_redis_url *url, __u64 timeout_ms, __u64 outer_ns,
			    char *why, size_t whylen)
{
	__u64 deadline = tg_redis_deadline(timeout_ms, outer_ns), now = tg_mono_ns();
	__u64 left_us = deadline > now ? (deadline - now) / TG_NSEC_PER_USEC : 0;
	struct timeval tv = { .tv_sec = (time_t)(left_us / 1000000),
			      .tv_usec = (suseconds_t)(left_us % 1000000) };
	redisContext *c;
	char what[32];

	if (url->cluster) {
		snprintf(why, whylen, "a redis+cluster:// URL names a cluster, whose nodes only the "
			 "cluster client (rcluster.h) routes to");
		return NULL;
	}
	if (!left_us) {
		snprintf(why, whylen, "connect: no time left");
		return NULL;
	}
	if (url->unix_socket)
		c = redisConnectUnixWithTimeout(url->host, tv);
	else
		c = redisConnectWithTimeout(url->host, (int)url->port, tv);
	if (!c) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (c->err) {
		snprintf(why, whylen, "connect: %s", c->errstr);
		goto fail;
	}
	/* From here every wait is a poll() to a deadline (redis.h): hiredis
	 * must not take EAGAIN for an error, as it does in blocking mode. */
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK)) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		goto fail;
	}
	c->flags &= ~REDIS_BLOCK;
	if (url->password[0] && url->user[0] &&
	    !command_ok(c, tg_redis_deadline(timeout_ms, outer_ns), "AUTH", why, whylen,
			"AUTH %s %s", url->user, url->password))
		goto fail;
	if (url->password[0] && !url->user[0] &&
	    !command_ok(c, tg_redis_deadline(timeout_ms, outer_ns), "AUTH", why, whylen,
			"AUTH %s", url->password))
		goto fail;
	snprintf(what, sizeof(what), "SELECT %u", url->db);
	if (url->db && !command_ok(c, tg_redis_deadline(timeout_ms, outer_ns), what, why, whylen,
				   "SELECT %u", url->db))
		goto fail;
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* Digits only, of a bulk or status reply element. */
static int reply_u64(const redisReply *r, __u64 *v)
{
	if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
		return -EINVAL;
	return tg_value_parse(r->str, r->len, v);
}

int tg_redis_time(redisContext *c, __u64 deadline_ns, __u64 *now_us, __s64 *offset_ns,
		  char *why, size_t whylen)
{
	__u64 t0 = tg_mono_ns(), t1, sec, usec;
	redisReply *r;
	int err = tg_redis_command(c, deadline_ns, &r, "TIME");

	t1 = tg_mono_ns();
	if (err) {
		snprintf(why, whylen, "TIME: %s", tg_redis_why(c, NULL));
		return err;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    reply_u64(r->element[0], &sec) || reply_u64(r->element[1], &usec) ||
	    usec >= 1000000 || sec > 100000000000ULL) {
		snprintf(why, whylen, "TIME: %s",
			 r->type == REDIS_REPLY_ERROR ? r->str : "a malformed reply");
		freeReplyObject(r);
		return -EPROTO;
	}
	freeReplyObject(r);
	*now_us = sec * 1000000ULL + usec;
	*offset_ns = tg_clock_offset(t0, t1, *now_us);
	return 0;
}
