// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* redis_url.c - redis:// and unix:// URLs, strictly. */
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

int tg_redis_url_parse(const char *text, struct tg_redis_url *u, char *why, size_t whylen)
{
	const char *p, *at, *hostend, *slash;
	size_t hn;

	memset(u, 0, sizeof(*u));
	u->port = TG_REDIS_DEFAULT_PORT;
	if (!strncmp(text, "unix://", 7))
		return parse_unix(text + 7, u, why, whylen);
	if (strncmp(text, "redis://", 8)) {
		snprintf(why, whylen, "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or "
			 "unix:///PATH[?db=N]");
		return -EINVAL;
	}
	p = text + 8;
	slash = strchr(p, '/');
	at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (!colon) {
			snprintf(why, whylen, "expected [USER]:PASSWORD@ before the host");
			return -EINVAL;
		}
		if (decode(p, (size_t)(colon - p), u->user, sizeof(u->user)) ||
		    decode(colon + 1, (size_t)(at - colon - 1), u->password, sizeof(u->password))) {
			snprintf(why, whylen, "malformed or too long user or password");
			return -EINVAL;
		}
		if (!u->password[0]) {
			snprintf(why, whylen, "empty password");
			return -EINVAL;
		}
		p = at + 1;
	}
	if (*p == '[') {
		hostend = strchr(p, ']');
		if (!hostend) {
			snprintf(why, whylen, "missing ']' after the IPv6 address");
			return -EINVAL;
		}
		p++;
		hn = (size_t)(hostend - p);
		hostend++;
	} else {
		hostend = p + strcspn(p, ":/");
		hn = (size_t)(hostend - p);
	}
	if (!hn || hn >= sizeof(u->host)) {
		snprintf(why, whylen, "expected a host");
		return -EINVAL;
	}
	memcpy(u->host, p, hn);
	u->host[hn] = '\0';
	for (size_t i = 0; i < hn; i++)
		if (!isalnum((unsigned char)u->host[i]) && !strchr(".-_:", u->host[i])) {
			snprintf(why, whylen, "bad character '%c' in the host", u->host[i]);
			return -EINVAL;
		}
	p = hostend;
	if (*p == ':') {
		char port[8];
		size_t n = strcspn(p + 1, "/");
		__u64 v;

		if (!n || n >= sizeof(port)) {
			snprintf(why, whylen, "expected a port from 1 to 65535");
			return -EINVAL;
		}
		memcpy(port, p + 1, n);
		port[n] = '\0';
		if (tg_parse_u64(port, 1, 65535, &v)) {
			snprintf(why, whylen, "port '%s': expected 1 to 65535", port);
			return -EINVAL;
		}
		u->port = (unsigned int)v;
		p += 1 + n;
	}
	if (*p == '/') {
		if (!p[1])
			return 0;
		return parse_db(p + 1, &u->db, why, whylen);
	}
	if (*p) {
		snprintf(why, whylen, "unexpected '%s' after the host", p);
		return -EINVAL;
	}
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
	snprintf(buf, len, "redis://%s%s%s%s%s%s:%u/%u", u->user, u->password[0] ? ":***@" : "",
		 strchr(u->host, ':') ? "[" : "", u->host, strchr(u->host, ':') ? "]" : "", "",
		 u->port, u->db);
}
