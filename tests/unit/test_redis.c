// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_redis.c - redis.c's deadlines against a real server on a unix
 * socket that answers as told: at once, one byte every 20 ms (each byte
 * well within any per-read timeout), or with an error reply.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "redis.h"
#include "tap.h"

#define MS TG_NSEC_PER_MSEC

static const char time_reply[] = "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n";

struct server {
	int listen_fd;
	const char *reply;
	long byte_gap_ms; /* 0: the whole reply at once */
};

/* Serve one connection: for each command read, the reply as told. */
static void *serve(void *arg)
{
	struct server *sv = arg;
	int fd = accept(sv->listen_fd, NULL, NULL);
	char buf[4096];

	if (fd < 0)
		return NULL;
	while (read(fd, buf, sizeof(buf)) > 0) {
		size_t i, n = strlen(sv->reply);

		if (!sv->byte_gap_ms) {
			if (write(fd, sv->reply, n) != (ssize_t)n)
				break;
			continue;
		}
		for (i = 0; i < n; i++) {
			struct timespec gap = { 0, sv->byte_gap_ms * 1000000L };

			if (write(fd, sv->reply + i, 1) != 1)
				goto out;
			nanosleep(&gap, NULL);
		}
	}
out:
	close(fd);
	return NULL;
}

/* A server on a fresh socket, its URL in url; the thread in *t. */
static int start(struct server *sv, struct tg_redis_url *url, pthread_t *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(url, 0, sizeof(*url));
	url->unix_socket = true;
	snprintf(url->host, sizeof(url->host), "/tmp/tg-test-redis.%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", url->host);
	unlink(url->host);
	sv->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sv->listen_fd < 0 || bind(sv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(sv->listen_fd, 1))
		return -errno;
	return -pthread_create(t, NULL, serve, sv);
}

static void stop(struct server *sv, struct tg_redis_url *url, pthread_t t, redisContext *c)
{
	if (c)
		redisFree(c);
	pthread_join(t, NULL);
	close(sv->listen_fd);
	unlink(url->host);
}

static void test_prompt(void)
{
	struct server sv = { .reply = time_reply };
	struct tg_redis_url url;
	redisContext *c;
	__u64 now_us = 0;
	__s64 off;
	char why[128] = "";
	pthread_t t;
	int err = start(&sv, &url, &t);

	if (!tap_ok(!err, "a server on %s", url.host))
		return;
	c = tg_redis_open(&url, 200, 0, why, sizeof(why));
	tap_ok(c != NULL, "connected (%s)", why);
	if (c)
		tap_is(tg_redis_time(c, tg_redis_deadline(200, 0), &now_us, &off, why, sizeof(why)),
		       0, "TIME answered at once is read");
	tap_is(now_us, 1700000000123456ULL, "  and parsed");
	stop(&sv, &url, t, c);
}

/* 35 bytes, one every 20 ms: 700 ms in all, never 20 ms without a byte. */
static void test_trickle(void)
{
	struct server sv = { .reply = time_reply, .byte_gap_ms = 20 };
	struct tg_redis_url url;
	redisContext *c;
	redisReply *r = NULL;
	char why[128] = "";
	__u64 t0, took;
	pthread_t t;
	int err;

	if (!tap_ok(!start(&sv, &url, &t), "a trickling server"))
		return;
	c = tg_redis_open(&url, 200, 0, why, sizeof(why));
	if (!tap_ok(c != NULL, "connected (%s)", why)) {
		stop(&sv, &url, t, c);
		return;
	}
	t0 = tg_mono_ns();
	err = tg_redis_command(c, tg_redis_deadline(200, 0), &r, "TIME");
	took = (tg_mono_ns() - t0) / MS;
	tap_is(err, -ETIMEDOUT, "a reply trickled over 700 ms ends at the 200 ms deadline");
	tap_ok(took >= 195 && took <= 400, "  after %llu ms (want 200..400)",
	       (unsigned long long)took);
	tap_ok(strstr(c->errstr, "in time") != NULL, "  and says why: %s", c->errstr);
	tap_ok(r == NULL, "  no reply");
	/* An outer deadline shorter than the timeout wins. */
	redisFree(c);
	stop(&sv, &url, t, NULL);
	if (start(&sv, &url, &t))
		return;
	c = tg_redis_open(&url, 200, 0, why, sizeof(why));
	t0 = tg_mono_ns();
	err = c ? tg_redis_command(c, tg_redis_deadline(5000, t0 + 100 * MS), &r, "TIME") : -1;
	took = (tg_mono_ns() - t0) / MS;
	tap_is(err, -ETIMEDOUT, "with a 5 s timeout but 100 ms left of the whole, it ends at 100 ms");
	tap_ok(took >= 95 && took <= 300, "  after %llu ms (want 100..300)",
	       (unsigned long long)took);
	stop(&sv, &url, t, c);
}

static void test_error_reply(void)
{
	struct server sv = { .reply = "-LOADING Redis is loading the dataset in memory\r\n" };
	struct tg_redis_url url;
	redisContext *c;
	redisReply *r = NULL;
	char why[128] = "";
	pthread_t t;

	if (!tap_ok(!start(&sv, &url, &t), "a loading server"))
		return;
	c = tg_redis_open(&url, 200, 0, why, sizeof(why));
	tap_is(c ? tg_redis_command(c, tg_redis_deadline(200, 0), &r, "SCAN 0") : -1, 0,
	       "-LOADING is a reply, not a failure of the exchange");
	tap_ok(r && r->type == REDIS_REPLY_ERROR, "  an error reply");
	tap_is_str(c ? tg_redis_why(c, r) : NULL, "LOADING Redis is loading the dataset in memory",
		   "  whose text says why");
	freeReplyObject(r);
	stop(&sv, &url, t, c);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* the client hangs up on a trickling server */
	test_prompt();
	test_trickle();
	test_error_reply();
	return tap_done();
}
