/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * targets.h - every parser of outside input, as a fuzz target: bytes
 * in, the real parser called, and what must hold of its answer checked
 * (a value accepted is written back and read again to the same value).
 * A broken property aborts, so libFuzzer keeps the input.
 *
 * One table, two drivers: fuzz_main.c makes one libFuzzer binary per
 * target (make fuzz), and tests/unit/test_fuzz_corpus.c replays the
 * corpus in tests/fuzz/corpus/TARGET/ under ASan and UBSan in make
 * test, so every crash once found stays a test.
 */
#ifndef TG_FUZZ_TARGETS_H
#define TG_FUZZ_TARGETS_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <pthread.h>
#include <sys/un.h>
#include <bpf/bpf.h>

#include "action.h"
#include "conf.h"
#include "mirror.h"
#include "metrics.h"
#include "parse.h"
#include "rate.h"
#include "redis_url.h"
#include "rkeys.h"
#include "rules.h"

/* The input as a C string, as the parsers take it (a NUL inside cuts it,
 * as it would cut a command-line argument). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define fuzz_require(cond, ...)                                          \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "property broken: %s: ", #cond);  \
			fprintf(stderr, __VA_ARGS__);                     \
			fprintf(stderr, "\n");                            \
			abort();                                          \
		}                                                         \
	} while (0)

/* --rate and the rate of rule: a rate accepted is written back in its
 * canonical spelling, which reads as the same rate. */
static inline int fuzz_rate(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), why[160], buf[128];
	struct tg_rate r, again;

	if (!tg_rate_parse(s, &r, why, sizeof(why))) {
		fuzz_require(r.count > 0 && r.period_ns > 0, "'%s'", s);
		tg_rate_format(&r, buf, sizeof(buf));
		fuzz_require(!tg_rate_parse(buf, &again, why, sizeof(why)) &&
				     again.count == r.count && again.period_ns == r.period_ns,
			     "'%s' written back as '%s'", s, buf);
		(void)tg_rate_interval_ns(&r);
	}
	free(s);
	return 0;
}

/* --ports: a list accepted is written back and reads as the same set. */
static inline int fuzz_ports(const uint8_t *data, size_t size)
{
	static char buf[1 << 19];
	char *s = fuzz_text(data, size), why[160];
	struct tg_portset set, again;

	if (!tg_parse_ports(s, &set, why, sizeof(why))) {
		fuzz_require(!tg_portset_has(&set, 0), "port 0 from '%s'", s);
		tg_format_ports(&set, buf, sizeof(buf));
		fuzz_require(!tg_parse_ports(buf, &again, why, sizeof(why)) &&
				     !memcmp(&set, &again, sizeof(set)),
			     "'%s' written back as '%.200s'", s, buf);
	}
	free(s);
	return 0;
}

/* A rule's CIDR, a whole rule as the config file states it, an action. */
static inline int fuzz_cidr(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size), why[160], buf[128];
	struct tg_rule_spec spec;
	struct tg_cidr c, again;
	struct tg_act act;

	if (!tg_cidr_parse(s, &c, why, sizeof(why))) {
		fuzz_require((c.family == 4 && c.len <= 32) || (c.family == 6 && c.len <= 128),
			     "'%s': family %u length %u", s, c.family, c.len);
		tg_cidr_format(&c, buf, sizeof(buf));
		fuzz_require(!tg_cidr_parse(buf, &again, why, sizeof(why)) &&
				     !memcmp(&c, &again, sizeof(c)),
			     "'%s' written back as '%s'", s, buf);
	}
	if (!tg_rule_spec_parse(s, &spec, why, sizeof(why)))
		fuzz_require(spec.kind >= TG_RULE_ALLOW && spec.kind <= TG_RULE_LIMIT, "'%s'", s);
	(void)tg_action_parse(s, &act, why, sizeof(why));
	free(s);
	return 0;
}

/* The config file, with every value parser behind it. */
static inline int fuzz_conf(const uint8_t *data, size_t size)
{
	static struct tg_daemon_conf conf;
	static struct tg_diags diags;
	char *s = fuzz_text(data, size);
	int errors;

	memset(&conf, 0, sizeof(conf));
	memset(&diags, 0, sizeof(diags));
	errors = tg_conf_build_text(s, "fuzz.conf", NULL, &conf, &diags);
	fuzz_require(errors >= 0 && errors == diags.errors, "%d errors, %d in diags", errors,
		     diags.errors);
	fuzz_require(conf.niface >= 0 && conf.niface <= TG_MAX_IFACES, "%d interfaces",
		     conf.niface);
	free(s);
	return 0;
}

/* --redis: a URL accepted is written back and reads as the same. */
static inline int fuzz_redis_url(const uint8_t *data, size_t size)
{
	static char buf[1024];
	char *s = fuzz_text(data, size), why[160];
	struct tg_redis_url u, again;

	memset(&u, 0, sizeof(u));
	memset(&again, 0, sizeof(again));
	if (!tg_redis_url_parse(s, &u, why, sizeof(why))) {
		fuzz_require(u.host[sizeof(u.host) - 1] == '\0' && u.port <= 65535, "'%s'", s);
		fuzz_require(!u.cluster || (u.nseeds >= 1 && u.nseeds <= TG_REDIS_MAX_SEEDS &&
					    u.port == u.seeds[0].port && !u.db),
			     "'%s'", s);
		tg_redis_url_format(&u, buf, sizeof(buf));
		(void)tg_redis_url_parse(buf, &again, why, sizeof(why));
	}
	free(s);
	return 0;
}

/*
 * What Redis hands back: keys found by SCAN and the values read with
 * GETRANGE, not NUL-terminated. A key accepted is our exact spelling of
 * its source; a value accepted is 1-19 digits and not 0. The first byte
 * picks the prefix lengths, so keys of every length are accepted too.
 */
static inline int fuzz_redis_data(const uint8_t *data, size_t size)
{
	static const unsigned int v4[] = { 32, 24, 16, 1 }, v6[] = { 64, 128, 56, 1 };
	unsigned int v4p = size ? v4[data[0] & 3] : 32, v6p = size ? v6[data[0] >> 2 & 3] : 64;
	const char *key = (const char *)data + (size ? 1 : 0);
	size_t klen = size ? size - 1 : 0;
	struct tg_restore_frame f = { 0 };
	struct tg_source src;
	char again[512];
	__u64 us, ns;
	int n;

	memset(&src, 0, sizeof(src));
	if (!tg_key_parse(key, klen, "tidegate", "eth0", v4p, v6p, &src)) {
		n = tg_key_format(again, sizeof(again), "tidegate", "eth0", &src, v4p, v6p);
		fuzz_require(n == (int)klen && !memcmp(again, key, klen),
			     "key '%.*s' is spelled '%s'", (int)klen, key, again);
		fuzz_require(tg_source_fits(&src, v4p, v6p), "'%.*s' has host bits", (int)klen,
			     key);
	}
	if (!tg_value_parse(key, klen, &us)) {
		fuzz_require(us > 0 && klen >= 1 && klen <= 19, "'%.*s' read as %llu", (int)klen,
			     key, (unsigned long long)us);
		/* The frame's numbers from the input too: any clock, any limit. */
		if (size >= 1 + 4 * 8) {
			memcpy(&f.redis_now_us, data + 1, 8);
			memcpy(&f.offset_ns, data + 9, 8);
			memcpy(&f.interval_ns, data + 17, 8);
			memcpy(&f.tolerance_ns, data + 25, 8);
		}
		(void)tg_restore_decide(&f, us, &ns);
	}
	return 0;
}

/*
 * Whole replies from Redis, as the restore reads them: the input is what
 * a server on a unix socket sends back (RESP: TIME, then SCAN pages and
 * GETRANGE values), through hiredis into tg_mirror_restore, which writes
 * what it accepts into a real BPF hash of tg_buckets' layout. Needs root
 * for the map, as the daemon does.
 */
struct fuzz_redis {
	int listen_fd;
	const uint8_t *data;
	size_t size;
};

static char fuzz_redis_path[108];

/* The socket's file goes with the process. */
static void fuzz_redis_unlink(void)
{
	unlink(fuzz_redis_path);
}

static void *fuzz_redis_serve(void *arg)
{
	struct fuzz_redis *r = arg;
	char sink[4096];
	int fd = accept(r->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (r->size)
		(void)!send(fd, r->data, r->size, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), 0) > 0)
		;
	close(fd);
	return NULL;
}

static inline int fuzz_redis_replies(const uint8_t *data, size_t size)
{
	static struct tg_mirror_cfg cfg;
	static struct tg_sync_iface si;
	static struct fuzz_redis r = { .listen_fd = -1 };
	struct tg_restore_counts rc = { 0 };
	char why[256];
	pthread_t t;
	int err, i;

	if (r.listen_fd < 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(fuzz_redis_path, sizeof(fuzz_redis_path), "/tmp/tg-fuzz-redis.%d.sock",
			 getpid());
		memcpy(a.sun_path, fuzz_redis_path, sizeof(a.sun_path));
		unlink(a.sun_path);
		atexit(fuzz_redis_unlink);
		r.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
		fuzz_require(r.listen_fd >= 0 && !bind(r.listen_fd, (struct sockaddr *)&a, sizeof(a)) &&
				     !listen(r.listen_fd, 4),
			     "listen on %s: %s", a.sun_path, strerror(errno));
		cfg = (struct tg_mirror_cfg){ .on = true, .interval_ms = 250, .timeout_ms = 200 };
		cfg.url.unix_socket = true;
		snprintf(cfg.url.host, sizeof(cfg.url.host), "%s", a.sun_path);
		snprintf(cfg.prefix, sizeof(cfg.prefix), "tidegate");
		si = (struct tg_sync_iface){ .v4_prefix = 32, .v6_prefix = 64,
					     .interval_ns = 1000000000ULL,
					     .tolerance_ns = 9000000000ULL, .max_sources = 4096 };
		snprintf(si.zone, sizeof(si.zone), "eth0");
		si.buckets_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tg_fuzz_redis",
					       sizeof(struct tg_source), sizeof(struct tg_bucket),
					       4096, NULL);
		fuzz_require(si.buckets_fd >= 0, "a BPF hash for the buckets: %s (root?)",
			     strerror(errno));
	}
	r.data = data;
	r.size = size;
	fuzz_require(!pthread_create(&t, NULL, fuzz_redis_serve, &r), "a server thread");
	err = tg_mirror_restore(&cfg, &si, 2000, &rc, why, sizeof(why));
	pthread_join(t, NULL);
	if (getenv("TG_FUZZ_VERBOSE")) /* to see what a corpus input reaches */
		fprintf(stderr, "restore: %d %s; restored %llu, full %llu, rejected %llu %llu %llu\n",
			err, err ? why : "", (unsigned long long)rc.restored,
			(unsigned long long)rc.full, (unsigned long long)rc.rejected[0],
			(unsigned long long)rc.rejected[1], (unsigned long long)rc.rejected[2]);
	fuzz_require(err <= 0, "restore returned %d", err);
	for (i = 0; i < TG_NR_REJECT; i++)
		fuzz_require(rc.rejected[i] <= size, "%llu rejected of %zu bytes",
			     (unsigned long long)rc.rejected[i], size);
	fuzz_require(rc.restored + rc.full <= size, "%llu restored, %llu full of %zu bytes",
		     (unsigned long long)rc.restored, (unsigned long long)rc.full, size);
	return 0;
}

/* --metrics ADDR:PORT, and the durations, numbers and booleans of the
 * config file. */
static inline int fuzz_values(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size);
	struct sockaddr_storage ss;
	socklen_t len = 0;
	__u64 v;
	bool b;

	if (!tg_parse_listen(s, &ss, &len))
		fuzz_require(len > 0 && len <= sizeof(ss) &&
				     (ss.ss_family == AF_INET || ss.ss_family == AF_INET6),
			     "'%s'", s);
	if (!tg_parse_duration_ms(s, 1, 3600000, &v))
		fuzz_require(v >= 1 && v <= 3600000, "'%s' is %llu ms", s, (unsigned long long)v);
	if (!tg_parse_u64(s, 1, 1000000, &v))
		fuzz_require(v >= 1 && v <= 1000000, "'%s' is %llu", s, (unsigned long long)v);
	(void)tg_parse_bool(s, &b);
	free(s);
	return 0;
}

/*
 * The metrics server's request handling: the input is sent as it is to
 * the real server (libmicrohttpd and tidegate's handler) on loopback,
 * and whatever comes back must be an HTTP response or nothing.
 */
static char *fuzz_collect(void *ctx, enum tg_http_page page, unsigned int *status, size_t *len)
{
	(void)ctx;
	*status = page == TG_PAGE_HEALTH ? 503 : 200;
	*len = 22;
	return strdup("tidegate_packets 1\n\n\n\n");
}

static inline int fuzz_http_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &alen))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static const char fuzz_scrape[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

static inline int fuzz_metrics_http(const uint8_t *data, size_t size)
{
	static struct sockaddr_in addr;
	static struct tg_http *h;
	struct timeval tv = { .tv_sec = 2 };
	char reply[256], why[160];
	size_t got = 0;
	ssize_t n;
	int fd;

	if (!h) {
		int port = fuzz_http_port();

		addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
					     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		h = tg_http_start((struct sockaddr_storage *)&addr, sizeof(addr), fuzz_collect,
				  NULL, why, sizeof(why));
		fuzz_require(h != NULL && port > 0, "start the metrics server: %s", why);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	fuzz_require(fd >= 0, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd); /* the server's connection limit: not the input's fault */
		return 0;
	}
	if (size)
		(void)!send(fd, data, size, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	while (got < sizeof(reply) - 1 && (n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	close(fd);
	fuzz_require(got == 0 || !strncmp(reply, "HTTP/1.", got < 7 ? got : 7),
		     "the reply starts '%.40s'", reply);
	/* The seed scrape itself must be served: the target is not idle. */
	if (size == sizeof(fuzz_scrape) - 1 && !memcmp(data, fuzz_scrape, size))
		fuzz_require(!strncmp(reply, "HTTP/1.1 200", 12), "a scrape got '%.40s'", reply);
	return 0;
}

struct fuzz_target {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
};

static const struct fuzz_target fuzz_targets[] = {
	{ "rate", fuzz_rate },
	{ "ports", fuzz_ports },
	{ "cidr", fuzz_cidr },
	{ "conf", fuzz_conf },
	{ "redis_url", fuzz_redis_url },
	{ "redis_data", fuzz_redis_data },
	{ "redis_replies", fuzz_redis_replies },
	{ "values", fuzz_values },
	{ "metrics_http", fuzz_metrics_http },
};

#define FUZZ_NR_TARGETS (sizeof(fuzz_targets) / sizeof(fuzz_targets[0]))

#endif /* TG_FUZZ_TARGETS_H */
