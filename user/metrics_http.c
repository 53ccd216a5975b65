// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics_http.c - GET /metrics and /healthz through libmicrohttpd, in
 * its own thread.
 *
 * One polling thread (epoll) serves every connection, so a slow one
 * holds a slot, never the thread; the slots are many, a few per client
 * address, and a connection idle longer than the timeout is closed: a
 * client sending a byte every few seconds (slowloris) cannot keep the
 * scraper out. A request is read in one go by any real client.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

#define HTTP_CONNECTIONS   256 /* in all */
#define HTTP_PER_ADDRESS   8   /* from one client address */
#define HTTP_IDLE_TIMEOUT  3   /* seconds without a byte, then closed */
#define HTTP_LOG_EVERY_NS  (10 * 1000000000ULL) /* at most one line of libmicrohttpd's per */

struct tg_http {
	struct MHD_Daemon *d;
	tg_http_page_fn page;
	void *ctx;
	/* libmicrohttpd's messages, limited (its thread only) */
	__u64 log_next_ns;
	unsigned long log_dropped;
};

/*
 * libmicrohttpd's messages through tidegate's logger: prefixed like every
 * line, and limited, since a flood of refused connections makes one each.
 */
static void http_log(void *cls, const char *fmt, va_list ap)
{
	struct tg_http *h = cls;
	__u64 now = tg_mono_ns();
	char line[256];
	size_t n;

	if (now < h->log_next_ns) {
		h->log_dropped++;
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (h->log_dropped)
		tg_warn("metrics: %s (and %lu messages more in the last %llu s)", line,
			h->log_dropped, HTTP_LOG_EVERY_NS / 1000000000ULL);
	else
		tg_warn("metrics: %s", line);
	h->log_dropped = 0;
	h->log_next_ns = now + HTTP_LOG_EVERY_NS;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	static const char text_type[] = "text/plain; charset=utf-8";
	static char index_html[] = "<html><body><a href=\"/metrics\">tidegate metrics</a>, "
				   "<a href=\"/healthz\">health</a></body></html>\n";
	struct tg_http *h = cls;
	enum tg_http_page page;
	unsigned int status = MHD_HTTP_OK;
	char *body;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_size)
		return MHD_NO; /* we take no bodies */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text_type,
			     "only GET /metrics, /healthz\n", 28, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_html,
			     sizeof(index_html) - 1, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics"))
		page = TG_PAGE_METRICS;
	else if (!strcmp(url, "/healthz"))
		page = TG_PAGE_HEALTH;
	else
		return reply(conn, MHD_HTTP_NOT_FOUND, text_type,
			     "not found: try /metrics or /healthz\n", 36, MHD_RESPMEM_PERSISTENT);
	body = h->page(h->ctx, page, &status, &len);
	if (!body)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text_type,
			     "could not collect metrics\n", 26, MHD_RESPMEM_PERSISTENT);
	return reply(conn, status,
		     page == TG_PAGE_METRICS ? "text/plain; version=0.0.4; charset=utf-8" : text_type,
		     body, len, MHD_RESPMEM_MUST_FREE);
}

struct tg_http *tg_http_start(const struct sockaddr_storage *addr, socklen_t addrlen,
			      tg_http_page_fn fn, void *ctx, char *why, size_t whylen)
{
	struct tg_http *h = calloc(1, sizeof(*h));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	unsigned short port;

	(void)addrlen;
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	h->page = fn;
	h->ctx = ctx;
	if (addr->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	}
	errno = 0;
	/* The logger first: options before it would log on stderr. */
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, http_log, h, MHD_OPTION_SOCK_ADDR,
				(const struct sockaddr *)addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_ADDRESS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT,
				MHD_OPTION_END);
	if (!h->d) {
		snprintf(why, whylen, "%s", errno ? strerror(errno) : "libmicrohttpd refused");
		free(h);
		return NULL;
	}
	return h;
}

void tg_http_stop(struct tg_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
