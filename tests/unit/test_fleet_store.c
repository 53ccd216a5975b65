// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_store.c - the fleet's Redis Functions and exchanges
 * (fleet_store.c) against a real redis-server, started here on a unix
 * socket and killed at the end: the GCRA accounting of a push (deltas,
 * refill credit of a replay, the debt cap, expiry at the TAT), the
 * heartbeat's count of members and its report of other limits, and the
 * denial stream.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fleet_store.h"
#include "redis.h"
#include "tap.h"

#define I_US   100000.0 /* 10/second */
#define TAU_US 500000.0 /* burst 6 */
#define DEBT_US 10000000ULL

static pid_t server;
static char sock[108], dir[64];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int start_redis(struct tg_redis_url *url)
{
	int i;

	snprintf(dir, sizeof(dir), "/tmp/tg-fleet-store.%d", (int)getpid());
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	server = fork();
	if (server < 0)
		return -errno;
	if (!server) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
		       "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
		       (char *)NULL);
		_exit(127);
	}
	memset(url, 0, sizeof(*url));
	url->unix_socket = true;
	snprintf(url->host, sizeof(url->host), "%s", sock);
	for (i = 0; i < 100; i++) {
		if (!access(sock, F_OK))
			return 0;
		sleep_ms(50);
	}
	return -ETIMEDOUT;
}

static void stop_redis(void)
{
	char cmd[160];

	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
}

static struct tg_fleet_store *st;
static char why[256];

static __u64 redis_now(void)
{
	__u64 now = 0;
	__s64 off;

	tg_fleet_store_time(st, "{t}:clock", &now, &off, why, sizeof(why));
	return now;
}

static __u64 calls; /* the last call id given */
static __u64 floors[TG_REDIS_SHARDS]; /* what the daemon keeps unanswered */

static int push(struct tg_fleet_item *it, size_t n, __u64 start_us)
{
	struct tg_fleet_charge ch = { I_US, TAU_US, DEBT_US, start_us, "tg:fleet:f", "node1",
				      &calls, floors };

	return tg_fleet_store_push(st, &ch, it, n, why, sizeof(why));
}

static struct tg_fleet_item item(const char *key, unsigned int shard, __u64 delta)
{
	struct tg_fleet_item it = { .shard = shard, .delta = delta };

	snprintf(it.key, sizeof(it.key), "%s", key);
	return it;
}

/* An integer command's reply (-3: none), by a second connection. */
static long long int_cmd(const struct tg_redis_url *url, const char *cmd, const char *key)
{
	redisContext *c = tg_redis_open(url, 1000, 0, why, sizeof(why));
	redisReply *r = NULL;
	long long v = -3;

	if (c && !tg_redis_command(c, tg_redis_deadline(1000, 0), &r, "%s %s", cmd, key) &&
	    r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	freeReplyObject(r);
	if (c)
		redisFree(c);
	return v;
}

static long long pttl(const struct tg_redis_url *url, const char *key)
{
	return int_cmd(url, "PTTL", key);
}

#define A "tg:fleet:f:web:{s:0007}:v4:198.51.100.7"
#define B "tg:fleet:f:web:{s:0007}:v4:198.51.100.8"
#define C "tg:fleet:f:web:{s:0009}:v4:198.51.100.9"

static void test_push(const struct tg_redis_url *url)
{
	struct tg_fleet_item it[3] = { item(A, 7, 3), item(B, 7, 20), item(C, 9, 1000) };
	__u64 t0 = redis_now(), t1, tat_a;

	if (!tap_is(push(it, 3, 0), 0, "push 3 sources in 2 shards"))
		tap_diag("%s", why);
	t1 = redis_now();
	tap_ok(it[0].acked && it[1].acked && it[2].acked, "  each acknowledged");
	tap_ok(it[0].now_us >= t0 && it[2].now_us <= t1 && it[0].now_us <= it[2].now_us,
	       "  with Redis' time of its own call (%lld us past t0)", (long long)(it[2].now_us - t0));
	tap_ok(it[0].tat_us >= t0 + 300000 && it[0].tat_us <= t1 + 300000,
	       "  a full bucket charged 3: TAT = now + 3 I (%lld us past t0)",
	       (long long)(it[0].tat_us - t0));
	tap_ok(it[1].tat_us >= t0 + 2000000 && it[1].tat_us <= t1 + 2000000,
	       "  charged 20: now + 20 I");
	tap_ok(it[2].tat_us >= t0 + 500000 + DEBT_US && it[2].tat_us <= t1 + 500000 + DEBT_US,
	       "  charged 1000: capped at now + tau + the debt cap (10 s)");
	{
		long long ms = pttl(url, A);

		tap_ok(ms > 200 && ms <= 301, "  the key expires at its TAT: PTTL %lld ms", ms);
	}
	tat_a = it[0].tat_us;
	it[0] = item(A, 7, 2);
	tap_is(push(it, 1, 0), 0, "push 2 more");
	tap_ok(it[0].tat_us == tat_a + 200000, "  a TAT ahead of now moves by 2 I: %+lld us",
	       (long long)(it[0].tat_us - tat_a - 200000));
	it[0] = item(A, 7, 0);
	tap_is(push(it, 1, 0), 0, "push nothing");
	tap_ok(it[0].tat_us == tat_a + 200000, "  a delta of 0 reads the TAT, unchanged");

	/* A replay of an outage's admissions: the refill since its start
	 * is credited. 5 admitted from 1 s ago: all refilled by now. */
	it[0] = item("tg:fleet:f:web:{s:0011}:v4:198.51.100.11", 11, 5);
	t0 = redis_now();
	tap_is(push(it, 1, t0 - 1000000), 0, "replay 5 admissions of an outage that began 1 s ago");
	tap_ok(it[0].tat_us == 0, "  the refill of the outage is credited: a full bucket (0)");
	tap_ok(pttl(url, it[0].key) == -2, "  and no key is written");
	it[0] = item("tg:fleet:f:web:{s:0011}:v4:198.51.100.11", 11, 15);
	t0 = redis_now();
	tap_is(push(it, 1, t0 - 1000000), 0, "replay 15 from 1 s ago");
	tap_ok(it[0].tat_us >= t0 + 500000 && it[0].tat_us <= redis_now() + 500000,
	       "  owes 1.5 s - 1 s: TAT = now + 0.5 s");
}

/* More than a call's worth of one shard in one push: two calls, in one
 * pipeline, in any order, either of which may be lost; the later one
 * must not forget the earlier. */
static void test_once_split(const struct tg_redis_url *url)
{
	enum { N = TG_FLEET_BATCH + 2 };
	struct tg_fleet_item *it = calloc(N, sizeof(*it));
	const char *key = "tg:fleet:f:{s:0031}:calls:node1";
	int i;

	if (!it)
		return;
	for (i = 0; i < N; i++) {
		char k[96];

		snprintf(k, sizeof(k), "tg:fleet:f:web:{s:0031}:v4:198.18.%d.%d", i / 256, i % 256);
		it[i] = item(k, 31, 1);
	}
	tap_is(push(it, N, 0), 0, "%d sources of one shard: 2 calls in one pipeline", N);
	tap_ok(it[0].call != it[N - 1].call, "  under 2 ids: %llu %llu",
	       (unsigned long long)it[0].call, (unsigned long long)it[N - 1].call);
	tap_is(int_cmd(url, "ZCARD", key), 2, "  both kept: the later call's floor is the earlier's id");
	free(it);
}

/* A call sent again after its reply was lost is applied once: the same
 * id, the same items, and Redis reads the TATs instead. */
static void test_once(const struct tg_redis_url *url)
{
	struct tg_fleet_item it[3] = { item("tg:fleet:f:web:{s:0021}:v4:198.51.100.21", 21, 4),
				       item("tg:fleet:f:web:{s:0021}:v4:198.51.100.22", 21, 1),
				       item("tg:fleet:f:web:{s:0023}:v4:198.51.100.23", 23, 2) };
	__u64 c0 = calls, tat[3], id[3];
	struct tg_fleet_item x;
	char key[128];
	int i;

	tap_is(push(it, 3, 0), 0, "push 3 sources in 2 shards, once each");
	tap_ok(it[0].call == c0 + 1 && it[1].call == c0 + 1 && it[2].call == c0 + 2,
	       "  a call id for each shard's call: %llu %llu %llu", (unsigned long long)it[0].call,
	       (unsigned long long)it[1].call, (unsigned long long)it[2].call);
	tap_ok(!it[0].applied_before && !it[2].applied_before, "  applied now, not before");
	snprintf(key, sizeof(key), "tg:fleet:f:{s:0021}:calls:node1");
	{
		long long ms = pttl(url, key);

		tap_ok(ms > 110000 && ms <= 120000, "  the node's calls of the shard, in its slot, "
		       "kept 120 s: PTTL %lld ms", ms);
		tap_is(int_cmd(url, "ZCARD", key), 1, "  the call recorded in them");
	}
	for (i = 0; i < 3; i++) {
		tat[i] = it[i].tat_us;
		id[i] = it[i].call;
		it[i].acked = false;
		it[i].tat_us = 0;
	}
	/* Its reply lost: sent again as it was. */
	tap_is(push(it, 3, 0), 0, "the same calls sent again");
	tap_ok(it[0].call == id[0] && it[2].call == id[2] && calls == c0 + 2, "  under their ids");
	tap_ok(it[0].acked && it[0].applied_before && it[2].applied_before,
	       "  acknowledged, applied before");
	tap_ok(it[0].tat_us == tat[0] && it[1].tat_us == tat[1] && it[2].tat_us == tat[2],
	       "  not charged twice: the TATs as they were");
	/* The same deltas under a new call: charged. */
	for (i = 0; i < 3; i++)
		it[i].call = 0;
	tap_is(push(it, 3, 0), 0, "the same deltas as new calls");
	tap_ok(!it[0].applied_before && it[0].tat_us == tat[0] + 4 * I_US,
	       "  charged: 4 I more (%+lld us)", (long long)(it[0].tat_us - tat[0] - 4 * I_US));
	tap_is(int_cmd(url, "ZCARD", key), 1, "  no call unanswered: only the last is kept");

	/* The floor keeps what may come again: call x unanswered while
	 * later calls go to its shard. */
	it[0] = item("tg:fleet:f:web:{s:0021}:v4:198.51.100.24", 21, 1);
	push(it, 1, 0);
	x = it[0];
	floors[21] = x.call;
	it[0] = item("tg:fleet:f:web:{s:0021}:v4:198.51.100.25", 21, 1);
	tap_is(push(it, 1, 0), 0, "a later call to the shard, with a call below it unanswered");
	tap_is(int_cmd(url, "ZCARD", key), 2, "  the calls from the floor on are kept");
	it[0] = x;
	tap_is(push(it, 1, 0), 0, "the unanswered call sent again");
	tap_ok(it[0].applied_before && it[0].tat_us == x.tat_us, "  applied before: not charged twice");
	floors[21] = 0;
	it[0] = item("tg:fleet:f:web:{s:0021}:v4:198.51.100.25", 21, 1);
	push(it, 1, 0);
	tap_is(int_cmd(url, "ZCARD", key), 1, "the floor gone, the next call forgets those below it");
	it[0] = x;
	tap_is(push(it, 1, 0), 0, "sent again after that");
	tap_ok(!it[0].applied_before, "  applied again: why the daemon's floor stays below every "
	       "call it may send again");
	test_once_split(url);
}

static void test_beat(void)
{
	struct tg_fleet_beat b;
	const char *nodes = "tg:fleet:{f}:nodes", *lim = "tg:fleet:{f}:limits:web";

	tap_is(tg_fleet_store_beat(st, nodes, lim, "a", "rate 10", 3000, &b, why, sizeof(why)), 0,
	       "heartbeat of a");
	tap_is(b.members, 1, "  1 member");
	tg_fleet_store_beat(st, nodes, lim, "b", "rate 10", 3000, &b, why, sizeof(why));
	tap_is(b.members, 2, "b too: 2 members");
	tap_is_str(b.other_node, "", "  the same limits: nobody reported");
	tg_fleet_store_beat(st, nodes, lim, "c", "rate 20", 3000, &b, why, sizeof(why));
	tap_is(b.members, 3, "c: 3 members");
	tap_ok(b.other_node[0] && !strcmp(b.other_sig, "rate 10"),
	       "  c's limits differ: a member with rate 10 is reported (%s)", b.other_node);
	sleep_ms(120);
	tg_fleet_store_beat(st, nodes, lim, "c", "rate 20", 100, &b, why, sizeof(why));
	tap_is(b.members, 1, "a and b silent longer than stale: gone, 1 member");
	tap_is_str(b.other_node, "", "  and their limits with them");
}

static void on_denial(void *arg, const char *key, size_t len, __u64 tat, __u64 at)
{
	char (*got)[128] = arg;
	int i;

	for (i = 0; got[i][0]; i++)
		;
	snprintf(got[i], sizeof(got[i]), "%.*s %llu %llu", (int)len, key,
		 (unsigned long long)tat, (unsigned long long)at);
}

static void test_denials(void)
{
	struct tg_fleet_item a = item(A, 7, 0), b = item(B, 7, 0);
	const struct tg_fleet_item *list[2] = { &a, &b };
	char got[8][128] = { { 0 } }, id[48] = "0-0", want[128];
	long n;

	a.tat_us = 111;
	b.tat_us = 222;
	a.now_us = b.now_us = 99;
	tap_is(tg_fleet_store_announce(st, "tg:fleet:{f}:denials", list, 2, why, sizeof(why)),
	       0, "announce 2 denials");
	n = tg_fleet_store_denials(st, "tg:fleet:{f}:denials", id, sizeof(id), 100, on_denial, got,
				   why, sizeof(why));
	tap_is(n, 2, "read them back");
	snprintf(want, sizeof(want), "%s 111 99", A);
	tap_is_str(got[0], want, "  key, TAT and the time it was read");
	snprintf(want, sizeof(want), "%s 222 99", B);
	tap_is_str(got[1], want, "  in order");
	tap_ok(strcmp(id, "0-0") != 0, "  the last id moved on (%s)", id);
	tap_is(tg_fleet_store_denials(st, "tg:fleet:{f}:denials", id, sizeof(id), 100, on_denial,
				      got, why, sizeof(why)),
	       0, "nothing new: nothing read");
}

int main(void)
{
	struct tg_redis_url url;
	int err;

	if (system("command -v redis-server >/dev/null 2>&1"))
		tap_skip_all("redis-server is not installed (scripts/install-deps.sh)");
	err = start_redis(&url);
	if (!tap_ok(!err, "a redis-server on a unix socket")) {
		stop_redis();
		return tap_done();
	}
	err = tg_fleet_store_open(&st, &url, 2000, why, sizeof(why));
	if (!tap_ok(!err, "connect and load the Functions"))
		tap_diag("%s", why);
	if (!err) {
		test_push(&url);
		test_once(&url);
		test_beat();
		test_denials();
		tg_fleet_store_close(st);
	}
	stop_redis();
	return tap_done();
}
