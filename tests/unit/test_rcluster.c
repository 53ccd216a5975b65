// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rcluster.c - the Redis Cluster client against a real cluster:
 * six redis-server processes (3 masters, 3 replicas) made a cluster by
 * redis-cli, in a network namespace of their own when the test may make
 * one (else on loopback ports picked from the PID), in a temporary
 * directory. Every server dies with the test (PR_SET_PDEATHSIG, and
 * killed on exit). First the pure parts: CRC16 and hash tags.
 *
 * The cluster cases: keys land on the master that owns their slot; a
 * batch spread over every master comes back in order; a user and
 * password on every node; a function loaded on every master; a slot
 * migrated by hand (ASK while it moves, TRYAGAIN for a multi-key command
 * split by the move, MOVED after); 1000 slots resharded by redis-cli
 * under batches; a master stopped (only its commands fail, before and
 * after the cluster marks it failed) then replaced by its replica (the
 * same client succeeds again), and a master killed likewise.
 *
 * TG_RC_BENCH=KEYS adds a figure: keys/s through batches of 128.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "rcluster.h"
#include "redis.h"
#include "tap.h"

#define NODES 6
#define MS TG_NSEC_PER_MSEC
#define NKEYS 300

static char dir[64];
/* The cluster's nodes, and a standalone server for TG_RC_BENCH. */
static pid_t pids[NODES + 1];
static unsigned int ports[NODES + 1];
static char ids[NODES][48];
static int master_of[NODES]; /* replica: its master's index; master: -1 */

/* ---- the pure parts ---- */

static void test_slots(void)
{
	static const struct {
		const char *key, *hashed;
	} tags[] = {
		{ "{user1000}.following", "user1000" },
		{ "foo{}{bar}", "foo{}{bar}" },   /* empty first tag: the whole key */
		{ "foo{{bar}}zap", "{bar" },      /* the first { and the first } after it */
		{ "foo{bar}{zap}", "bar" },
		{ "{}", "{}" },
		{ "no}tag{", "no}tag{" },
		{ "{s:0042}:v4:198.18.0.1", "s:0042" },
	};

	tap_is(tg_crc16("123456789", 9), 0x31C3, "CRC16-XMODEM of \"123456789\" is 0x31C3");
	tap_is(tg_crc16("", 0), 0, "  and of nothing 0");
	tap_is(tg_rc_keyslot(NULL, 0), 0, "no key: slot 0");
	tap_is(tg_rc_keyslot("123456789", 9), 0x31C3 & 16383, "its slot is 0x31C3 mod 16384");
	tap_is(tg_rc_keyslot("foo", 3), 12182, "slot of foo (CLUSTER KEYSLOT says 12182)");
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		tap_is(tg_rc_keyslot(tags[i].key, strlen(tags[i].key)),
		       tg_rc_keyslot(tags[i].hashed, strlen(tags[i].hashed)),
		       "%s hashes as %s", tags[i].key, tags[i].hashed);
	tap_is(tg_rc_keyslot("{user1000}.following", 20), tg_rc_keyslot("{user1000}.followers", 20),
	       "one tag, one slot");
}

/* Each client takes only its own kind of URL, and says so. */
static void test_url_kinds(void)
{
	struct tg_rcluster *rc = (void *)1;
	struct tg_redis_url u;
	char why[200] = "";
	redisContext *c;

	tg_redis_url_parse("redis+cluster://127.0.0.1:1", &u, why, sizeof(why));
	c = tg_redis_open(&u, 100, 0, why, sizeof(why));
	tap_ok(!c && strstr(why, "names a cluster"), "a single connection refuses a cluster URL: %s",
	       why);
	redisFree(c);
	tg_redis_url_parse("redis://127.0.0.1:1", &u, why, sizeof(why));
	tap_ok(tg_rc_open(&u, 100, &rc, why, sizeof(why)) == -EINVAL && !rc,
	       "the cluster client refuses a redis:// URL: %s", why);
}

/* ---- the servers ---- */

static void cleanup(void)
{
	char cmd[96];

	for (int i = 0; i <= NODES; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
			pids[i] = 0;
		}
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
		dir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run argv with stdout and stderr to log; the child dies with us. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp(argv[0], argv);
	_exit(127);
}

static redisContext *conn(unsigned int port)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)port, tv);

	if (c && !c->err) {
		redisSetTimeout(c, tv);
		return c;
	}
	redisFree(c);
	return NULL;
}

/* One command to one node, no routing; NULL if no reply. */
static redisReply *cmd(unsigned int port, const char *fmt, ...)
{
	redisContext *c = conn(port);
	redisReply *r = NULL;
	va_list ap;

	if (!c)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

static bool reply_has(unsigned int port, const char *want, const char *fmt, const char *arg)
{
	redisReply *r = cmd(port, fmt, arg);
	bool ok = r && r->str && strstr(r->str, want);

	freeReplyObject(r);
	return ok;
}

/* The loopback in a namespace of our own; false if we may not. */
static bool own_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (unshare(CLONE_NEWNET))
		return false;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		return false;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return false;
	close(fd);
	return true;
}

static bool port_free(unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	if (fd >= 0)
		close(fd);
	return ok;
}

static int start_node(int i, bool cluster)
{
	char port[8], conf[96], log[96];
	char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1",
			 "--cluster-enabled", cluster ? "yes" : "no", "--cluster-config-file", conf,
			 "--cluster-node-timeout", "1000", "--dir", dir, "--save", "",
			 "--appendonly", "no", "--daemonize", "no",
			 /* a replica syncs at once, not 5 s later */
			 "--repl-diskless-sync-delay", "0",
			 /* the other shards serve while one is lost */
			 "--cluster-require-full-coverage", "no", NULL };

	snprintf(port, sizeof(port), "%u", ports[i]);
	snprintf(conf, sizeof(conf), "nodes-%u.conf", ports[i]);
	snprintf(log, sizeof(log), "%s/%u.log", dir, ports[i]);
	pids[i] = spawn(argv, log);
	for (int t = 0; t < 100; t++) {
		redisReply *r = cmd(ports[i], "PING");
		bool up = r && r->type == REDIS_REPLY_STATUS;

		freeReplyObject(r);
		if (up)
			return 0;
		if (waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
			pids[i] = 0;
			return -ECHILD;
		}
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/* A number from INFO replication, or -1. */
static long long info_num(unsigned int port, const char *field)
{
	redisReply *r = cmd(port, "INFO replication");
	const char *at = r && r->str ? strstr(r->str, field) : NULL;
	long long v = at ? atoll(at + strlen(field) + 1) : -1;

	freeReplyObject(r);
	return v;
}

/* The replica has all its master wrote (INFO's offsets meet). */
static bool replica_caught_up(int replica, int master)
{
	for (int t = 0; t < 100; t++) {
		long long m = info_num(ports[master], "master_repl_offset");

		if (m > 0 && info_num(ports[replica], "slave_repl_offset") == m)
			return true;
		usleep(20000);
	}
	return false;
}

/* Every node sees the cluster whole; ids and roles from CLUSTER NODES. */
static int wait_cluster(void)
{
	for (int t = 0; t < 200; t++) {
		bool ok = true;

		for (int i = 0; i < NODES && ok; i++)
			ok = reply_has(ports[i], "cluster_state:ok", "CLUSTER INFO", NULL);
		if (ok)
			break;
		if (t == 199)
			return -ETIMEDOUT;
		usleep(50000);
	}
	for (int i = 0; i < NODES; i++) {
		redisReply *r = cmd(ports[i], "CLUSTER MYID");
		char master[48] = "", flags[64], *line;
		redisReply *n;

		if (!r || r->type != REDIS_REPLY_STRING)
			return -EPROTO;
		snprintf(ids[i], sizeof(ids[i]), "%s", r->str);
		freeReplyObject(r);
		n = cmd(ports[i], "CLUSTER NODES");
		/* "<id> <addr> myself,slave <master id> ..." or "myself,master - ..." */
		line = n && n->str ? strstr(n->str, "myself") : NULL;
		if (!line || sscanf(line, "%63s %47s", flags, master) != 2)
			master[0] = '\0';
		freeReplyObject(n);
		master_of[i] = -1;
		for (int k = 0; k < NODES; k++)
			if (master[0] != '-' && !strcmp(ids[k], master))
				master_of[i] = k;
	}
	return 0;
}

static int make_cluster(void)
{
	char addr[NODES][32], log[96];
	char *argv[6 + NODES + 4] = { "redis-cli", "--cluster", "create" };
	int n = 3, status;
	bool netns = own_netns(), free_ports = false;
	unsigned int base = 30001;
	pid_t pid;

	/* Without a namespace, ports no one uses: each port, its bus port
	 * (+10000) and the dead seeds' (+50, +51) free. */
	for (int t = 0; t < 20 && !free_ports; t++) {
		if (!netns)
			base = 21000 + (unsigned int)((getpid() + t * 7919) % 5000) * 6;
		free_ports = port_free(base + 50) && port_free(base + 51);
		for (int i = 0; i < NODES; i++) {
			ports[i] = base + (unsigned int)i;
			free_ports &= port_free(ports[i]) && port_free(ports[i] + 10000);
		}
	}
	if (!free_ports)
		return -EADDRINUSE;
	tap_diag("servers on 127.0.0.1:%u-%u%s", base, base + NODES - 1,
		 netns ? ", in a network namespace of their own" : "");
	for (int i = 0; i < NODES; i++) {
		int err = start_node(i, true);

		if (err)
			return err;
		snprintf(addr[i], sizeof(addr[i]), "127.0.0.1:%u", ports[i]);
		argv[n++] = addr[i];
	}
	argv[n++] = "--cluster-replicas";
	argv[n++] = "1";
	argv[n++] = "--cluster-yes";
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/create.log", dir);
	pid = spawn(argv, log);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EPROTO;
	return wait_cluster();
}

/* ---- the cluster cases ---- */

static char keys[NKEYS][32], vals[NKEYS][32];
static const char *argvs[NKEYS][4];
static size_t lens[NKEYS][4];

/* cmds[i]: argv built from the words given, routed by the word at key. */
static void set_cmd(struct tg_rc_cmd *c, int i, int argc, int key, const char *w0,
		    const char *w1, const char *w2, const char *w3)
{
	const char *w[4] = { w0, w1, w2, w3 };

	for (int k = 0; k < argc; k++) {
		argvs[i][k] = w[k];
		lens[i][k] = strlen(w[k]);
	}
	memset(c, 0, sizeof(*c));
	c->argc = argc;
	c->argv = argvs[i];
	c->argvlen = lens[i];
	c->key = w[key];
	c->keylen = strlen(w[key]);
}

static int index_of_port(unsigned int port)
{
	for (int i = 0; i < NODES; i++)
		if (ports[i] == port)
			return i;
	return -1;
}

/* The node (index) a master of the client is, from its address. */
static int node_of(struct tg_rcluster *rc, int master)
{
	struct tg_rc_master m[16];
	size_t n = tg_rc_masters(rc, m, 16);
	const char *colon;

	if (master < 0 || (size_t)master >= n || !(colon = strrchr(m[master].addr, ':')))
		return -1;
	return index_of_port((unsigned int)atoi(colon + 1));
}

/* Which node owns slot, asked of node `ask` (CLUSTER SLOTS). */
static int owner_of(unsigned int slot, int ask)
{
	redisReply *r = cmd(ports[ask], "CLUSTER SLOTS");
	int who = -1;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *e = r->element[i];

		if ((unsigned long long)e->element[0]->integer <= slot &&
		    slot <= (unsigned long long)e->element[1]->integer)
			who = index_of_port((unsigned int)e->element[2]->element[1]->integer);
	}
	freeReplyObject(r);
	return who;
}

static int alive_node(void)
{
	for (int i = 0; i < NODES; i++)
		if (pids[i] > 0 && master_of[i] < 0)
			return i;
	return 0;
}

static void test_open(struct tg_rcluster **rc)
{
	struct tg_redis_url url;
	struct tg_rc_master m[16];
	char text[160], why[300];
	unsigned int slots = 0;
	size_t n;
	__u64 t0;
	int err;

	/* Ports no one listens on (inside the test's range). */
	snprintf(text, sizeof(text), "redis+cluster://127.0.0.1:%u,127.0.0.1:%u", ports[0] + 50,
		 ports[0] + 51);
	tg_redis_url_parse(text, &url, why, sizeof(why));
	t0 = tg_mono_ns();
	err = tg_rc_open(&url, 300, rc, why, sizeof(why));
	tap_ok(err < 0 && !*rc && strstr(why, "no seed of 2"),
	       "no seed answers: refused with why (%d): %s", err, why);
	tap_ok(tg_mono_ns() - t0 < 1000 * MS, "  within the seeds' timeouts");

	snprintf(text, sizeof(text), "redis+cluster://127.0.0.1:%u,127.0.0.1:%u", ports[0] + 50,
		 ports[3]);
	tg_redis_url_parse(text, &url, why, sizeof(why));
	err = tg_rc_open(&url, 500, rc, why, sizeof(why));
	if (!tap_ok(!err && *rc, "a dead seed then a live one: the map is learned (%s)",
		    err ? why : "ok"))
		return;
	n = tg_rc_masters(*rc, m, 16);
	tap_is(n, 3, "three masters");
	for (size_t i = 0; i < n && i < 16; i++) {
		int k = node_of(*rc, (int)i);

		slots += m[i].slots;
		tap_ok(k >= 0 && master_of[k] < 0, "  %s is a master (%u slots)", m[i].addr,
		       m[i].slots);
	}
	tap_is(slots, TG_RC_SLOTS, "  serving every slot between them");
}

static void test_keyslot_vs_server(void)
{
	redisContext *c = conn(ports[0]);
	int same = 0;

	for (int i = 0; i < 200; i++) {
		char k[48];
		redisReply *r;

		snprintf(k, sizeof(k), i % 3 ? "key:%d:%x" : "a{t%d}b{%x}", i, i * 2654435761u);
		r = redisCommand(c, "CLUSTER KEYSLOT %s", k);
		same += r && r->type == REDIS_REPLY_INTEGER &&
			r->integer == tg_rc_keyslot(k, strlen(k));
		freeReplyObject(r);
	}
	redisFree(c);
	tap_is(same, 200, "200 keys, some with tags: our slot is CLUSTER KEYSLOT's");
}

static void test_spread(struct tg_rcluster *rc)
{
	static struct tg_rc_cmd c[NKEYS];
	struct tg_rc_master m[16];
	int ok = 0, placed = 0, order = 0, failed;
	size_t n;

	for (int i = 0; i < NKEYS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k:%d", i);
		snprintf(vals[i], sizeof(vals[i]), "v%d", i * 7);
		set_cmd(&c[i], i, 3, 1, "SET", keys[i], vals[i], NULL);
	}
	failed = tg_rc_batch(rc, c, NKEYS, tg_redis_deadline(2000, 0));
	for (int i = 0; i < NKEYS; i++)
		ok += !c[i].status && c[i].reply && c[i].reply->type == REDIS_REPLY_STATUS;
	tap_is(failed, 0, "a batch of %d SETs: none failed", NKEYS);
	tap_is(ok, NKEYS, "  each answered +OK");
	n = tg_rc_masters(rc, m, 16);
	for (size_t i = 0; i < n; i++)
		tap_ok(m[i].commands > NKEYS / 6, "  %s took %llu of them", m[i].addr,
		       (unsigned long long)m[i].commands);
	/* On its owner, and only there: each master asked directly. */
	for (int i = 0; i < NKEYS; i++) {
		int owner = owner_of(tg_rc_keyslot(keys[i], strlen(keys[i])), 0), holders = 0;

		for (int k = 0; k < NODES; k++) {
			redisReply *r = master_of[k] < 0 ? cmd(ports[k], "GET %s", keys[i]) : NULL;

			if (r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, vals[i]))
				holders += k == owner && node_of(rc, c[i].master) == k ? 1 : 100;
			freeReplyObject(r);
		}
		placed += holders == 1;
	}
	tap_is(placed, NKEYS, "  every key is on the master that owns its slot, the one that answered");
	tg_rc_cmds_free(c, NKEYS);
	for (int i = 0; i < NKEYS; i++)
		set_cmd(&c[i], i, 2, 1, "GET", keys[i], NULL, NULL);
	failed = tg_rc_batch(rc, c, NKEYS, tg_redis_deadline(2000, 0));
	for (int i = 0; i < NKEYS; i++)
		order += !c[i].status && c[i].reply && c[i].reply->type == REDIS_REPLY_STRING &&
			 !strcmp(c[i].reply->str, vals[i]);
	tap_ok(!failed && order == NKEYS, "a batch of GETs: each reply where its command was (%d)",
	       order);
	tg_rc_cmds_free(c, NKEYS);
	/* A deadline already past: nothing sent, no master blamed. */
	failed = tg_rc_batch(rc, c, NKEYS, tg_mono_ns() - 1);
	order = 0;
	for (int i = 0; i < NKEYS; i++)
		order += c[i].status == -ETIMEDOUT && !c[i].reply;
	n = tg_rc_masters(rc, m, 16);
	tap_ok(failed == NKEYS && order == NKEYS && m[0].up && m[1].up && m[2].up,
	       "a batch past its deadline: every command -ETIMEDOUT, every master still up");
}

/* A user and password from the URL, on every node it opens. */
static void test_auth(void)
{
	static struct tg_rc_cmd c[NKEYS];
	struct tg_rcluster *rc = NULL;
	struct tg_redis_url url;
	char text[160], why[300];
	int right = 0, err;

	for (int k = 0; k < NODES; k++)
		freeReplyObject(cmd(ports[k], "ACL SETUSER tgrc on >s3cret ~* +@all"));
	snprintf(text, sizeof(text), "redis+cluster://tgrc:wrong@127.0.0.1:%u", ports[1]);
	tg_redis_url_parse(text, &url, why, sizeof(why));
	err = tg_rc_open(&url, 500, &rc, why, sizeof(why));
	tap_ok(err && !rc && strstr(why, "WRONGPASS"), "a wrong password: refused, saying so (%s)",
	       why);
	snprintf(text, sizeof(text), "redis+cluster://tgrc:s3cret@127.0.0.1:%u", ports[1]);
	tg_redis_url_parse(text, &url, why, sizeof(why));
	err = tg_rc_open(&url, 500, &rc, why, sizeof(why));
	if (!tap_ok(!err && rc, "user and password from the URL: the map is learned (%s)",
		    err ? why : "ok"))
		return;
	for (int i = 0; i < NKEYS; i++)
		set_cmd(&c[i], i, 2, 1, "GET", keys[i], NULL, NULL);
	err = tg_rc_batch(rc, c, NKEYS, tg_redis_deadline(2000, 0));
	for (int i = 0; i < NKEYS; i++)
		right += !c[i].status && c[i].reply && c[i].reply->str &&
			 !strcmp(c[i].reply->str, vals[i]);
	tap_ok(!err && right == NKEYS, "  and every master it opens takes them: %d GETs right",
	       right);
	tg_rc_cmds_free(c, NKEYS);
	tg_rc_close(rc);
}

/* FCALL tgrc_get on every key: how many came back right. */
static int fcall_all(struct tg_rcluster *rc)
{
	static struct tg_rc_cmd c[NKEYS];
	int same = 0;

	for (int i = 0; i < NKEYS; i++)
		set_cmd(&c[i], i, 4, 3, "FCALL", "tgrc_get", "1", keys[i]);
	tg_rc_batch(rc, c, NKEYS, tg_redis_deadline(2000, 0));
	for (int i = 0; i < NKEYS; i++)
		same += !c[i].status && c[i].reply && c[i].reply->type == REDIS_REPLY_STRING &&
			!strcmp(c[i].reply->str, vals[i]);
	tg_rc_cmds_free(c, NKEYS);
	return same;
}

static void test_each_master(struct tg_rcluster *rc)
{
	static const char lib[] =
		"#!lua name=tgrc\n"
		"redis.register_function('tgrc_get', function(keys, args) "
		"return redis.call('GET', keys[1]) end)";
	const char *argv[] = { "FUNCTION", "LOAD", "REPLACE", lib };
	size_t argvlen[] = { 8, 4, 7, sizeof(lib) - 1 };
	char why[300];
	int err, loaded = 0, same;

	err = tg_rc_each_master(rc, 4, argv, argvlen, tg_redis_deadline(2000, 0), why, sizeof(why));
	tap_ok(!err, "FUNCTION LOAD REPLACE on every master (%s)", err ? why : "ok");
	for (int k = 0; k < NODES; k++)
		if (master_of[k] < 0) {
			redisReply *r = cmd(ports[k], "FUNCTION LIST LIBRARYNAME tgrc");

			loaded += r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
			freeReplyObject(r);
		}
	tap_is(loaded, 3, "  each master has the library");
	same = fcall_all(rc);
	tap_is(same, NKEYS, "FCALL through the batch on every master: %d of %d right", same,
	       NKEYS);
	/* An error reply of the command itself is the caller's to read. */
	argv[0] = "FUNCTION";
	argv[1] = "LOAD";
	argv[2] = "#!lua name=tgrc\nthis is not lua";
	argvlen[2] = strlen(argv[2]);
	err = tg_rc_each_master(rc, 3, argv, argvlen, tg_redis_deadline(2000, 0), why, sizeof(why));
	tap_ok(err == -EREMOTEIO && strstr(why, "127.0.0.1:"),
	       "a library refused by the masters: -EREMOTEIO naming one (%s)", why);
}

#define MIGKEYS 4

static void test_migration(struct tg_rcluster *rc)
{
	static const char *const mk[MIGKEYS] = { "{mig}1", "{mig}2", "{mig}3", "{mig}4" };
	unsigned int slot = tg_rc_keyslot("mig", 3);
	int a = owner_of(slot, alive_node()), b = -1, got = 0;
	struct tg_rc_cmd c[MIGKEYS + 2];
	struct tg_rc_stats st0, st;
	char sl[8];
	redisReply *r;

	for (int k = 0; k < NODES; k++)
		if (master_of[k] < 0 && k != a && b < 0)
			b = k;
	snprintf(sl, sizeof(sl), "%u", slot);
	for (int i = 0; i < MIGKEYS; i++)
		set_cmd(&c[i], i, 3, 1, "SET", mk[i], mk[i], NULL);
	tap_ok(tg_rc_batch(rc, c, MIGKEYS, tg_redis_deadline(2000, 0)) == 0,
	       "slot %u: %d keys set on its master :%u", slot, MIGKEYS, a >= 0 ? ports[a] : 0);
	tg_rc_cmds_free(c, MIGKEYS);
	/* Half the slot's keys moved to b, the slot still a's. */
	freeReplyObject(cmd(ports[b], "CLUSTER SETSLOT %s IMPORTING %s", sl, ids[a]));
	freeReplyObject(cmd(ports[a], "CLUSTER SETSLOT %s MIGRATING %s", sl, ids[b]));
	r = cmd(ports[a], "MIGRATE 127.0.0.1 %u %s 0 5000 KEYS %s %s", ports[b], "", mk[0], mk[1]);
	tap_ok(r && r->type == REDIS_REPLY_STATUS, "  %s and %s migrated to :%u (%s)", mk[0], mk[1],
	       ports[b], r ? r->str : "no reply");
	freeReplyObject(r);
	tg_rc_stats(rc, &st0);
	set_cmd(&c[0], 0, 2, 1, "GET", mk[0], NULL, NULL);
	set_cmd(&c[1], 1, 2, 1, "GET", mk[2], NULL, NULL);
	set_cmd(&c[2], 2, 3, 1, "MGET", mk[1], mk[3], NULL);
	set_cmd(&c[3], 3, 2, 1, "GET", keys[0], NULL, NULL);
	tg_rc_batch(rc, c, 4, tg_redis_deadline(2000, 0));
	tg_rc_stats(rc, &st);
	tap_ok(!c[0].status && c[0].reply && c[0].reply->str && !strcmp(c[0].reply->str, mk[0]) &&
		       node_of(rc, c[0].master) == b,
	       "  a moved key: ASK followed to :%u (status %d)", ports[b], c[0].status);
	tap_ok(!c[1].status && c[1].reply && c[1].reply->str && !strcmp(c[1].reply->str, mk[2]) &&
		       node_of(rc, c[1].master) == a,
	       "  a key not moved yet: from :%u (status %d)", ports[a], c[1].status);
	tap_ok(c[2].status == -EAGAIN && c[2].reply && c[2].reply->type == REDIS_REPLY_ERROR &&
		       strstr(c[2].reply->str, "TRYAGAIN"),
	       "  MGET across the split: -EAGAIN, TRYAGAIN (%d %s)", c[2].status,
	       c[2].reply && c[2].reply->str ? c[2].reply->str : "");
	tap_ok(!c[3].status, "  another slot's command in the same batch unaffected");
	tap_ok(st.ask > st0.ask && st.tryagain > st0.tryagain, "  counted: ask %llu, tryagain %llu",
	       (unsigned long long)(st.ask - st0.ask),
	       (unsigned long long)(st.tryagain - st0.tryagain));
	tg_rc_cmds_free(c, 4);
	/* The rest moved, the slot given to b: MOVED for the client. */
	r = cmd(ports[a], "MIGRATE 127.0.0.1 %u %s 0 5000 KEYS %s %s", ports[b], "", mk[2], mk[3]);
	freeReplyObject(r);
	for (int k = 0; k < NODES; k++)
		if (master_of[k] < 0)
			freeReplyObject(cmd(ports[k], "CLUSTER SETSLOT %s NODE %s", sl, ids[b]));
	tg_rc_stats(rc, &st0);
	for (int i = 0; i < MIGKEYS; i++)
		set_cmd(&c[i], i, 2, 1, "GET", mk[i], NULL, NULL);
	tap_is(tg_rc_batch(rc, c, MIGKEYS, tg_redis_deadline(2000, 0)), 0,
	       "slot %u now :%u's: the batch succeeds", slot, ports[b]);
	tg_rc_stats(rc, &st);
	for (int i = 0; i < MIGKEYS; i++)
		got += c[i].reply && c[i].reply->str && !strcmp(c[i].reply->str, mk[i]) &&
		       node_of(rc, c[i].master) == b;
	tap_is(got, MIGKEYS, "  every key from its new master");
	tap_ok(st.moved > st0.moved && st.map_loads > st0.map_loads,
	       "  after MOVED (%llu) and a map reload (%llu)",
	       (unsigned long long)(st.moved - st0.moved),
	       (unsigned long long)(st.map_loads - st0.map_loads));
	tg_rc_cmds_free(c, MIGKEYS);
	/* Later batches go straight there. */
	tg_rc_stats(rc, &st0);
	tg_rc_batch(rc, c, MIGKEYS, tg_redis_deadline(2000, 0));
	tg_rc_stats(rc, &st);
	tap_is(st.moved, st0.moved, "  and the next batch meets no MOVED");
	tg_rc_cmds_free(c, MIGKEYS);
}

/* redis-cli --cluster ARGS..., its output in dir/NAME.log; its pid. */
static pid_t cli_cluster(const char *name, char *const args[])
{
	char *argv[16] = { "redis-cli", "--cluster" }, log[96];
	int n = 2;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	return spawn(argv, log);
}

static int exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int get_all(struct tg_rcluster *rc, struct tg_rc_cmd *c, __u64 ms, const int *owner,
		   int dead, int *exact);

/* 1000 slots moved by redis-cli --cluster reshard while batches of
 * GETs run: every GET answered right, through ASK and MOVED. */
static void test_reshard(struct tg_rcluster *rc)
{
	static struct tg_rc_cmd c[NKEYS];
	char addr[32], from[48], to[48];
	char *check[] = { "check", addr, NULL };
	char *reshard[] = { "reshard", addr, "--cluster-from", from, "--cluster-to", to,
			    "--cluster-slots", "1000", "--cluster-yes", NULL };
	int a = -1, b = -1, batches = 0, wrong = 0, status = -1, right;
	struct tg_rc_stats st0, st;
	pid_t pid;

	for (int k = 0; k < NODES; k++) {
		if (master_of[k] < 0 && a >= 0 && b < 0)
			b = k;
		if (master_of[k] < 0 && a < 0)
			a = k;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ports[a]);
	snprintf(from, sizeof(from), "%s", ids[a]);
	snprintf(to, sizeof(to), "%s", ids[b]);
	/* redis-cli wants every node to agree first (gossip after the
	 * hand migration). */
	for (int t = 0; t < 50 && exit_code(cli_cluster("check", check)); t++)
		usleep(100000);
	tg_rc_stats(rc, &st0);
	pid = cli_cluster("reshard", reshard);
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		get_all(rc, c, 1000, NULL, -1, &right);
		wrong += NKEYS - right;
		batches++;
		if (done == pid)
			break;
	}
	tg_rc_stats(rc, &st);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status),
	       "redis-cli --cluster reshard moves 1000 slots :%u -> :%u", ports[a], ports[b]);
	tap_is(wrong, 0, "  %d batches of %d GETs meanwhile, every one answered right", batches,
	       NKEYS);
	tap_ok(st.moved > st0.moved, "  through %llu MOVED and %llu ASK",
	       (unsigned long long)(st.moved - st0.moved),
	       (unsigned long long)(st.ask - st0.ask));
}

/* The GET batch over every key: how many failed, and in *exact how many
 * did as they should: the keys of dead's slots failed (owners as the
 * cluster said before), every other key got its value. */
static int get_all(struct tg_rcluster *rc, struct tg_rc_cmd *c, __u64 ms, const int *owner,
		   int dead, int *exact)
{
	int failed;

	for (int i = 0; i < NKEYS; i++)
		set_cmd(&c[i], i, 2, 1, "GET", keys[i], NULL, NULL);
	failed = tg_rc_batch(rc, c, NKEYS, tg_redis_deadline(ms, 0));
	*exact = 0;
	for (int i = 0; i < NKEYS; i++) {
		bool right = !c[i].status && c[i].reply && c[i].reply->str &&
			     !strcmp(c[i].reply->str, vals[i]);

		*exact += owner ? (owner[i] == dead ? c[i].status != 0 : right) : right;
	}
	tg_rc_cmds_free(c, NKEYS);
	return failed;
}

/* Node `ask` flags node `who` as failed (not only suspected: "fail?"). */
static bool marked_failed(int ask, int who)
{
	redisReply *r = cmd(ports[ask], "CLUSTER NODES");
	char addr[32];
	const char *line, *eol;
	bool yes = false;

	snprintf(addr, sizeof(addr), " 127.0.0.1:%u@", ports[who]);
	line = r && r->str ? strstr(r->str, addr) : NULL;
	if (line) {
		eol = strchr(line, '\n');
		line = strstr(line, ",fail ");
		yes = line && (!eol || line < eol);
	}
	freeReplyObject(r);
	return yes;
}

static void promote(int replica)
{
	redisReply *r = cmd(ports[replica], "CLUSTER FAILOVER FORCE");

	tap_ok(r && r->type == REDIS_REPLY_STATUS, "CLUSTER FAILOVER FORCE on its replica :%u (%s)",
	       ports[replica], r && r->str ? r->str : "no reply");
	freeReplyObject(r);
}

/* A master lost by sig (SIGSTOP: its commands time out; SIGKILL: its
 * connection breaks), then its replica promoted. */
static void test_lose_master(struct tg_rcluster *rc, int sig)
{
	static struct tg_rc_cmd c[NKEYS];
	static int owner[NKEYS];
	struct tg_rc_master m[16];
	int dead = -1, replica = -1, exact, failed, dead_keys = 0, down = 0, up = 0;
	__u64 t0;
	size_t n;

	for (int k = 0; k < NODES; k++)
		if (master_of[k] >= 0 && pids[k] > 0 && pids[master_of[k]] > 0 && dead < 0) {
			replica = k;
			dead = master_of[k];
		}
	if (!tap_ok(dead >= 0, "a master with a live replica to lose"))
		return;
	for (int i = 0; i < NKEYS; i++) {
		owner[i] = owner_of(tg_rc_keyslot(keys[i], strlen(keys[i])), replica);
		dead_keys += owner[i] == dead;
	}
	tap_ok(replica_caught_up(replica, dead), "  its replica :%u has every write", ports[replica]);
	kill(pids[dead], sig);
	t0 = tg_mono_ns();
	failed = get_all(rc, c, 500, owner, dead, &exact);
	tap_is(exact, NKEYS, "%s :%u: exactly its %d keys fail, the other %d succeed",
	       sig == SIGSTOP ? "SIGSTOP" : "SIGKILL", ports[dead], dead_keys, NKEYS - dead_keys);
	tap_is(failed, dead_keys, "  the batch counts %d failures", dead_keys);
	tap_ok(tg_mono_ns() - t0 < 1500 * MS, "  within its deadline (%llu ms)",
	       (unsigned long long)((tg_mono_ns() - t0) / MS));
	n = tg_rc_masters(rc, m, 16);
	for (size_t i = 0; i < n; i++) {
		if (node_of(rc, (int)i) == dead)
			down += !m[i].up && m[i].last_error[0] && m[i].failures;
		else
			up += m[i].up;
	}
	tap_ok(down == 1 && up == 2, "  its master is down (%s), the other two up",
	       ({
		       const char *e = "";
		       for (size_t i = 0; i < n; i++)
			       if (node_of(rc, (int)i) == dead)
				       e = m[i].last_error;
		       e;
	       }));
	/* Once the cluster has marked it failed (the node timeout, 1 s). */
	t0 = tg_mono_ns();
	while (!marked_failed(replica, dead) && tg_mono_ns() - t0 < 5000 * MS)
		usleep(50000);
	tap_ok(marked_failed(replica, dead),
	       "  the cluster marks it failed (%llu ms later)",
	       (unsigned long long)((tg_mono_ns() - t0) / MS));
	failed = get_all(rc, c, 500, owner, dead, &exact);
	tap_is(exact, NKEYS, "  still so once the cluster marks it failed (%d failed)", failed);
	promote(replica);
	for (int t = 0; t < 60; t++) {
		failed = get_all(rc, c, 500, NULL, -1, &exact);
		if (!failed)
			break;
		usleep(100000);
	}
	tap_ok(!failed && exact == NKEYS,
	       "  once :%u is master, the same client's batch succeeds again (%d values right)",
	       ports[replica], exact);
	n = tg_rc_masters(rc, m, 16);
	tap_ok(n == 3 && ({
		       bool has = false;
		       for (size_t i = 0; i < n; i++)
			       has |= node_of(rc, (int)i) == replica && m[i].up && m[i].slots;
		       has;
	       }),
	       "  its masters now include :%u, %zu in all", ports[replica], n);
	tap_is(fcall_all(rc), NKEYS, "  and the function loaded before runs there (replicated)");
	/* The lost master gone for good; the replica a master from now on. */
	kill(pids[dead], SIGKILL);
	waitpid(pids[dead], NULL, 0);
	pids[dead] = 0;
	master_of[replica] = -1;
	master_of[dead] = -2;
}

#define BATCH 128

/* CPU time this process has used, in ns. */
static __u64 cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

/* Keys/s through batches of BATCH SETs: the cluster client against one
 * standalone server fed the same pipelines through redis.c. Figures
 * only (TG_RC_BENCH=KEYS): the machine is shared and noisy. */
static void bench(struct tg_rcluster *rc, long total)
{
	static struct tg_rc_cmd c[BATCH];
	struct tg_redis_url url = { .port = ports[0] + 20 };
	char why[200];
	redisContext *sc;
	long failed = 0;
	__u64 t0, c0;
	double cl, sa, clcpu, sacpu;

	t0 = tg_mono_ns();
	c0 = cpu_ns();
	for (long done = 0; done < total; done += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(keys[i], sizeof(keys[i]), "b:%ld", (done + i) % 100000);
			set_cmd(&c[i], i, 3, 1, "SET", keys[i], "1234567890", NULL);
		}
		failed += tg_rc_batch(rc, c, BATCH, tg_redis_deadline(1000, 0));
		tg_rc_cmds_free(c, BATCH);
	}
	cl = (double)total * 1e9 / (double)(tg_mono_ns() - t0);
	clcpu = (double)(cpu_ns() - c0) / (double)total;
	ports[NODES] = ports[0] + 20;
	snprintf(url.host, sizeof(url.host), "127.0.0.1");
	if (!port_free(ports[NODES]) || start_node(NODES, false) ||
	    !(sc = tg_redis_open(&url, 1000, 0, why, sizeof(why)))) {
		tap_diag("bench: no standalone server");
		return;
	}
	t0 = tg_mono_ns();
	c0 = cpu_ns();
	for (long done = 0; done < total; done += BATCH) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(keys[i], sizeof(keys[i]), "b:%ld", (done + i) % 100000);
			tg_redis_append(sc, "SET %s %s", keys[i], "1234567890");
		}
		for (int i = 0; i < BATCH; i++) {
			redisReply *r;

			failed += tg_redis_reply(sc, tg_redis_deadline(1000, 0), &r) != 0;
			freeReplyObject(r);
		}
	}
	sa = (double)total * 1e9 / (double)(tg_mono_ns() - t0);
	sacpu = (double)(cpu_ns() - c0) / (double)total;
	redisFree(sc);
	tap_diag("bench: %ld SETs in batches of %d: 3-master cluster %.0f keys/s "
		 "(client CPU %.2f us/key), standalone %.0f keys/s (%.2f us/key), %ld failed",
		 total, BATCH, cl, clcpu / 1000, sa, sacpu / 1000, failed);
}

int main(void)
{
	struct tg_rcluster *rc = NULL;
	char tmpl[] = "/tmp/tg-rcluster.XXXXXX";
	redisReply *v;
	int err;

	signal(SIGPIPE, SIG_IGN);
	test_slots();
	test_url_kinds();
	if (system("redis-server --version >/dev/null 2>&1") ||
	    system("redis-cli --version >/dev/null 2>&1"))
		tap_skip_all("redis-server or redis-cli is missing: run scripts/install-deps.sh");
	if (!mkdtemp(tmpl))
		tap_skip_all("no temporary directory");
	snprintf(dir, sizeof(dir), "%s", tmpl);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = make_cluster();
	if (err) {
		char cmdline[160];

		tap_diag("the cluster did not form (%s); its logs:", strerror(-err));
		snprintf(cmdline, sizeof(cmdline), "tail -n 5 %s/*.log >&2", dir);
		if (system(cmdline))
			tap_diag("no logs");
		v = pids[0] ? cmd(ports[0], "INFO cluster") : NULL;
		if (v && v->str && strstr(v->str, "cluster_enabled:0"))
			tap_skip_all("this redis-server has no cluster mode");
		freeReplyObject(v);
		tap_ok(0, "a 3-master cluster with 3 replicas forms");
		return tap_done();
	}
	tap_ok(1, "a 3-master cluster with 3 replicas forms");
	test_open(&rc);
	if (!rc)
		return tap_done();
	test_keyslot_vs_server();
	test_spread(rc);
	test_auth();
	if (getenv("TG_RC_BENCH"))
		bench(rc, atol(getenv("TG_RC_BENCH")));
	test_each_master(rc);
	test_migration(rc);
	test_reshard(rc);
	test_lose_master(rc, SIGSTOP);
	test_lose_master(rc, SIGKILL);
	tg_rc_close(rc);
	return tap_done();
}
