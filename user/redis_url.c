// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* redis_url.c - redis://, unix:// and redis+cluster:// URLs, strictly. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "redis_url.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copy [s, s+n) to out, %-decoded; -1 if it does not fit or is malformed. */
static int decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || !(hi | lo))
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int parse_db(const char *text, unsigned int *db, char *why, size_t whylen)
{
	__u64 v;

	if (tg_parse_u64(text, 0, 1000000, &v)) {
		snprintf(why, whylen, "database '%s': expected a number from 0 to 1000000", text);
		return -EINVAL;
	}
	*db = (unsigned int)v;
	return 0;
}

static int parse_unix(const char *p, struct tg_redis_url *u, char *why, size_t whylen)
{
	const char *q = strchr(p, '?');
	size_t n = q ? (size_t)(q - p) : strlen(p);

	u->unix_socket = true;
	if (!n || p[0] != '/') {
		snprintf(why, whylen, "expected unix:///absolute/path");
		return -EINVAL;
	}
	if (n >= sizeof(u->host)) {
		snprintf(why, whylen, "the socket path is too long");
		return -EINVAL;
	}
	memcpy(u->host, p, n);
	u->host[n] = '\0';
	if (q) {
		if (strncmp(q, "?db=", 4)) {
			snprintf(why, whylen, "unknown parameter '%s' (only ?db=N)", q);
			return -EINVAL;
		}
		return parse_db(q + 4, &u->db, why, whylen);
	}
	return 0;
}

/* [USER]:PASSWORD@ at p, if any, into u; *p moves past it. */
static int parse_auth(const char **p, const char *limit, struct tg_redis_url *u, char *why,
		      size_t whylen)
{
	const char *at = memchr(*p, '@', (size_t)(limit - *p)), *colon;

	if (!at)
		return 0;
	colon = memchr(*p, ':', (size_t)(at - *p));
	if (!colon) {
		snprintf(why, whylen, "expected [USER]:PASSWORD@ before the host");
		return -EINVAL;
	}
	if (decode(*p, (size_t)(colon - *p), u->user, sizeof(u->user)) ||
	    decode(colon + 1, (size_t)(at - colon - 1), u->password, sizeof(u->password))) {
		snprintf(why, whylen, "malformed or too long user or password");
		return -EINVAL;
	}
	if (!u->password[0]) {
		snprintf(why, whylen, "empty password");
		return -EINVAL;
	}
	*p = at + 1;
	return 0;
}

/* HOST[:PORT] (HOST may be [IPv6]) from p up to the first of stops (or
 * the end) into s; *p moves past it. */
static int parse_hostport(const char **p, const char *stops, struct tg_redis_seed *s, char *why,
			  size_t whylen)
{
	const char *q = *p, *hostend;
	size_t hn;

	s->port = TG_REDIS_DEFAULT_PORT;
	if (*q == '[') {
		hostend = strchr(q, ']');
		if (!hostend) {
			snprintf(why, whylen, "missing ']' after the IPv6 address");
			return -EINVAL;
		}
		q++;
		hn = (size_t)(hostend - q);
		hostend++;
	} else {
		hostend = q + strcspn(q, ":/,");
		hn = (size_t)(hostend - q);
	}
	if (!hn || hn >= sizeof(s->host)) {
		snprintf(why, whylen, "expected a host");
		return -EINVAL;
	}
	memcpy(s->host, q, hn);
	s->host[hn] = '\0';
	for (size_t i = 0; i < hn; i++)
		if (!isalnum((unsigned char)s->host[i]) && !strchr(".-_:", s->host[i])) {
			snprintf(why, whylen, "bad character '%c' in the host", s->host[i]);
			return -EINVAL;
		}
	q = hostend;
	if (*q == ':') {
		char port[8];
		size_t n = strcspn(q + 1, stops);
		__u64 v;

		if (!n) {
			snprintf(why, whylen, "expected a port from 1 to 65535");
			return -EINVAL;
		}
		if (n >= sizeof(port)) {
			snprintf(why, whylen, "port '%.*s': expected 1 to 65535", (int)(n < 40 ? n : 40),
				 q + 1);
			return -EINVAL;
		}
		memcpy(port, q + 1, n);
		port[n] = '\0';
		if (tg_parse_u64(port, 1, 65535, &v)) {
			snprintf(why, whylen, "port '%s': expected 1 to 65535", port);
			return -EINVAL;
		}
		s->port = (unsigned int)v;
		q += 1 + n;
	}
	if (*q && !strchr(stops, *q)) {
		snprintf(why, whylen, "unexpected '%s' after the host", q);
		return -EINVAL;
	}
	*p = q;
	return 0;
}

/* The seeds after redis+cluster://[auth@]; each seed once. */
static int parse_cluster(const char *p, struct tg_redis_url *u, char *why, size_t whylen)
{
	int err;

	u->cluster = true;
	if ((err = parse_auth(&p, p + strcspn(p, "/"), u, why, whylen)))
		return err;
	for (;;) {
		struct tg_redis_seed *s = &u->seeds[u->nseeds];

		if (u->nseeds == TG_REDIS_MAX_SEEDS) {
			snprintf(why, whylen, "more than %d seeds", TG_REDIS_MAX_SEEDS);
			return -EINVAL;
		}
		if ((err = parse_hostport(&p, ",/", s, why, whylen)))
			return err;
		for (unsigned int i = 0; i < u->nseeds; i++)
			if (!strcmp(u->seeds[i].host, s->host) && u->seeds[i].port == s->port) {
				snprintf(why, whylen, "seed %s:%u given twice", s->host, s->port);
				return -EINVAL;
			}
		u->nseeds++;
		if (*p != ',')
			break;
		p++;
	}
	if (*p == '/' && p[1] != '\0') {
		snprintf(why, whylen, "a cluster has no database to choose ('%s')", p);
		return -EINVAL;
	}
	memcpy(u->host, u->seeds[0].host, sizeof(u->host));
	u->port = u->seeds[0].port;
	return 0;
}

int tg_redis_url_parse(const char *text, struct tg_redis_url *u, char *why, size_t whylen)
{
	const char *p;
	struct tg_redis_seed s = { 0 };
	int err;

	memset(u, 0, sizeof(*u));
	u->port = TG_REDIS_DEFAULT_PORT;
	if (!strncmp(text, "unix://", 7))
		return parse_unix(text + 7, u, why, whylen);
	if (!strncmp(text, "redis+cluster://", 16))
		return parse_cluster(text + 16, u, why, whylen);
	if (strncmp(text, "redis://", 8)) {
		snprintf(why, whylen, "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], "
			 "unix:///PATH[?db=N] or "
			 "redis+cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]");
		return -EINVAL;
	}
	p = text + 8;
	if ((err = parse_auth(&p, p + strcspn(p, "/"), u, why, whylen)) ||
	    (err = parse_hostport(&p, "/", &s, why, whylen)))
		return err;
	memcpy(u->host, s.host, sizeof(u->host));
	u->port = s.port;
	if (*p == '/' && p[1])
		return parse_db(p + 1, &u->db, why, whylen);
	return 0;
}

void tg_redis_url_format(const struct tg_redis_url *u, char *buf, size_t len)
{
	if (u->unix_socket) {
		if (u->db)
			snprintf(buf, len, "unix://%s?db=%u", u->host, u->db);
		else
			snprintf(buf, len, "unix://%s", u->host);
		return;
	}
	if (u->cluster) {
		size_t o = (size_t)snprintf(buf, len, "redis+cluster://%s%s", u->user,
					    u->password[0] ? ":***@" : "");

		for (unsigned int i = 0; i < u->nseeds && o < len; i++) {
			const struct tg_redis_seed *s = &u->seeds[i];
			bool v6 = strchr(s->host, ':');

			o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s:%u", i ? "," : "",
					      v6 ? "[" : "", s->host, v6 ? "]" : "", s->port);
		}
		return;
	}
	snprintf(buf, len, "redis://%s%s%s%s%s%s:%u/%u", u->user, u->password[0] ? ":***@" : "",
		 strchr(u->host, ':') ? "[" : "", u->host, strchr(u->host, ':') ? "]" : "", "",
		 u->port, u->db);
}
