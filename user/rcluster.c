// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rcluster.c - Redis Cluster routing: slot map, per-master pipelines, redirects. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "keyslot.h"
#include "rcluster.h"
#include "redis.h"

/* A bound on the masters kept, so memory stays bounded whatever a node
 * claims; Redis itself advises at most 1000 nodes. */
#define RC_MAX_MASTERS 256
#define RC_BACKOFF_MIN_MS 100
#define RC_BACKOFF_MAX_MS 1000

struct rc_node {
	struct tg_redis_seed at;
	redisContext *c;
	struct tg_rc_master h;
	__u64 retry_ns; /* no new connect before this, after one failed */
	__u64 backoff_ms;
	/* The round in flight: its commands are order[first .. first+queued). */
	size_t first, queued, answered;
	bool flushed;
};

struct tg_rcluster {
	struct tg_redis_url url; /* the seeds, and the credentials of every node */
	__u64 timeout_ms;
	struct rc_node nodes[RC_MAX_MASTERS];
	size_t nnodes;
	__s16 owner[TG_RC_SLOTS]; /* index in nodes, -1: no master known */
	bool stale;               /* reload the map before the next batch */
	int ask_first;            /* for the map: the node a MOVED named, or -1 */
	struct tg_rc_stats st;
};

/* A command's routing while its batch runs. */
struct rc_pend {
	unsigned int slot;
	int node;
	bool pending;   /* to send in the next round */
	bool asking;    /* ASKING goes before it (its reply not yet read) */
	bool fixed;     /* for this node only: follow no redirect */
	int redirects;
};

static void node_addr(struct rc_node *nd)
{
	const struct tg_redis_seed at = nd->at;
	bool v6 = strchr(at.host, ':');

	snprintf(nd->h.addr, sizeof(nd->h.addr), "%s%s%s:%u", v6 ? "[" : "", at.host,
		 v6 ? "]" : "", at.port);
}

static int node_find_or_add(struct tg_rcluster *rc, const char *host, unsigned int port)
{
	struct rc_node *nd;

	for (size_t i = 0; i < rc->nnodes; i++)
		if (rc->nodes[i].at.port == port && !strcmp(rc->nodes[i].at.host, host))
			return (int)i;
	if (rc->nnodes == RC_MAX_MASTERS || strlen(host) >= sizeof(nd->at.host) || !port ||
	    port > 65535)
		return -1;
	nd = &rc->nodes[rc->nnodes];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->at.host, sizeof(nd->at.host), "%s", host);
	nd->at.port = port;
	nd->h.up = true;
	node_addr(nd);
	return (int)rc->nnodes++;
}

static void node_up(struct rc_node *nd)
{
	if (!nd->h.up)
		tg_info("redis cluster: master %s answers again", nd->h.addr);
	nd->h.up = true;
}

static void node_down(struct tg_rcluster *rc, struct rc_node *nd, const char *why)
{
	if (nd->h.up)
		tg_warn("redis cluster: master %s: %s", nd->h.addr, why);
	nd->h.up = false;
	snprintf(nd->h.last_error, sizeof(nd->h.last_error), "%s", why);
	rc->stale = true; /* a failover may have moved its slots */
}

static void node_disconnect(struct rc_node *nd)
{
	redisFree(nd->c);
	nd->c = NULL;
	nd->h.connected = false;
}

/* A connection to the node, opened now if need be; NULL with why. */
static redisContext *node_connect(struct tg_rcluster *rc, struct rc_node *nd, __u64 deadline_ns,
				  char *why, size_t whylen)
{
	struct tg_redis_url u = rc->url;
	__u64 now = tg_mono_ns();

	if (nd->c)
		return nd->c;
	if (deadline_ns && now >= deadline_ns) { /* the caller's time, not the node's fault */
		snprintf(why, whylen, "no time left to connect");
		return NULL;
	}
	if (now < nd->retry_ns) {
		snprintf(why, whylen, "%s", nd->h.last_error); /* still so, until the retry */
		return NULL;
	}
	u.cluster = false;
	u.nseeds = 0;
	u.db = 0;
	memcpy(u.host, nd->at.host, sizeof(u.host));
	u.port = nd->at.port;
	nd->c = tg_redis_open(&u, rc->timeout_ms, deadline_ns, why, whylen);
	if (!nd->c) {
		nd->backoff_ms = nd->backoff_ms ? nd->backoff_ms * 2 : RC_BACKOFF_MIN_MS;
		if (nd->backoff_ms > RC_BACKOFF_MAX_MS)
			nd->backoff_ms = RC_BACKOFF_MAX_MS;
		nd->retry_ns = tg_mono_ns() + nd->backoff_ms * TG_NSEC_PER_MSEC;
		return NULL;
	}
	nd->backoff_ms = 0;
	nd->h.connected = true;
	return nd->c;
}

static int reply_int(const redisReply *r, long long lo, long long hi, long long *v)
{
	if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < lo || r->integer > hi)
		return -1;
	*v = r->integer;
	return 0;
}

/* CLUSTER SLOTS from a node at host into rc->owner: masters only (the
 * first address of each range). 0, or -EPROTO with why. */
static int map_parse(struct tg_rcluster *rc, const redisReply *r, const char *host, char *why,
		     size_t whylen)
{
	__s16 *owner = malloc(sizeof(rc->owner));
	unsigned int covered = 0, changed = 0;
	int err = -EPROTO;

	if (!owner) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	memset(owner, 0xff, sizeof(rc->owner));
	if (r->type != REDIS_REPLY_ARRAY) {
		snprintf(why, whylen, "CLUSTER SLOTS: %s",
			 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		goto out;
	}
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i], *m;
		long long lo, hi, port;
		int idx;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    reply_int(e->element[0], 0, TG_RC_SLOTS - 1, &lo) ||
		    reply_int(e->element[1], lo, TG_RC_SLOTS - 1, &hi) ||
		    (m = e->element[2])->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
		    m->element[0]->type != REDIS_REPLY_STRING ||
		    reply_int(m->element[1], 1, 65535, &port)) {
			snprintf(why, whylen, "CLUSTER SLOTS: malformed range %zu", i);
			goto out;
		}
		/* An empty address: the node we asked (Redis does not know its own). */
		idx = node_find_or_add(rc, m->element[0]->len ? m->element[0]->str : host,
				       (unsigned int)port);
		if (idx < 0) {
			snprintf(why, whylen, "CLUSTER SLOTS: bad address or over %d masters",
				 RC_MAX_MASTERS);
			goto out;
		}
		for (long long s = lo; s <= hi; s++)
			owner[s] = (__s16)idx;
	}
	for (size_t s = 0; s < TG_RC_SLOTS; s++) {
		covered += owner[s] >= 0;
		changed += owner[s] != rc->owner[s];
	}
	if (!covered) {
		snprintf(why, whylen, "CLUSTER SLOTS: no slot is served");
		goto out;
	}
	memcpy(rc->owner, owner, sizeof(rc->owner));
	for (size_t i = 0; i < rc->nnodes; i++)
		rc->nodes[i].h.slots = 0;
	for (size_t s = 0; s < TG_RC_SLOTS; s++)
		if (owner[s] >= 0)
			rc->nodes[owner[s]].h.slots++;
	if (changed)
		tg_info("redis cluster: slot map from %s: %u slots changed owner, %u of %d served",
			host, changed, covered, TG_RC_SLOTS);
	err = 0;
out:
	free(owner);
	return err;
}

/* CLUSTER SLOTS over c; 0, or -errno with why. */
static int map_ask(struct tg_rcluster *rc, redisContext *c, const char *host, __u64 deadline_ns,
		   char *why, size_t whylen)
{
	redisReply *r;
	int err = tg_redis_command(c, tg_redis_deadline(rc->timeout_ms, deadline_ns), &r,
				   "CLUSTER SLOTS");

	if (err) {
		snprintf(why, whylen, "CLUSTER SLOTS: %s", tg_redis_why(c, NULL));
		return err;
	}
	err = map_parse(rc, r, host, why, whylen);
	freeReplyObject(r);
	return err;
}

/* The map from one node, connected to if need be; one that does not
 * answer is marked down. */
static int map_from_node(struct tg_rcluster *rc, struct rc_node *nd, __u64 deadline_ns,
			 char *why, size_t whylen)
{
	int err;

	if (!node_connect(rc, nd, deadline_ns, why, whylen))
		return -ENOTCONN;
	err = map_ask(rc, nd->c, nd->at.host, deadline_ns, why, whylen);
	if (err && err != -EPROTO && err != -ENOMEM) {
		node_disconnect(nd);
		node_down(rc, nd, why);
	}
	return err;
}

/*
 * Reload the slot map: from the node a MOVED named (it has just taken
 * the slot, so it knows; another may not have heard yet), then the
 * masters that answer, then the others, then the seeds. 0, or -errno
 * with why (the last failure).
 */
static int map_load(struct tg_rcluster *rc, __u64 deadline_ns, char *why, size_t whylen)
{
	size_t known = rc->nnodes;
	int first = rc->ask_first, err = -EHOSTUNREACH;

	snprintf(why, whylen, "no seed");
	rc->st.map_loads++;
	rc->ask_first = -1;
	if (first >= 0 && !(err = map_from_node(rc, &rc->nodes[first], deadline_ns, why, whylen)))
		goto done;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < known; i++) {
			struct rc_node *nd = &rc->nodes[i];

			if (nd->h.up != !pass || !nd->h.slots || (int)i == first)
				continue;
			if (!(err = map_from_node(rc, nd, deadline_ns, why, whylen)))
				goto done;
		}
	for (unsigned int i = 0; i < rc->url.nseeds; i++) {
		struct tg_redis_url u = rc->url;
		redisContext *c;

		u.cluster = false;
		memcpy(u.host, rc->url.seeds[i].host, sizeof(u.host));
		u.port = rc->url.seeds[i].port;
		c = tg_redis_open(&u, rc->timeout_ms, deadline_ns, why, whylen);
		if (!c)
			continue;
		err = map_ask(rc, c, u.host, deadline_ns, why, whylen);
		redisFree(c);
		if (!err)
			goto done;
	}
	rc->st.map_load_errors++;
	return err ? err : -EHOSTUNREACH;
done:
	rc->stale = false;
	return 0;
}

int tg_rc_open(const struct tg_redis_url *url, __u64 timeout_ms, struct tg_rcluster **out,
	       char *why, size_t whylen)
{
	struct tg_rcluster *rc;
	char last[200];
	int err;

	*out = NULL;
	if (!url->cluster || !url->nseeds) {
		snprintf(why, whylen, "not a redis+cluster:// URL");
		return -EINVAL;
	}
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	rc->url = *url;
	rc->timeout_ms = timeout_ms;
	memset(rc->owner, 0xff, sizeof(rc->owner));
	rc->ask_first = -1;
	/* No outer deadline: each seed gets timeout_ms. */
	err = map_load(rc, 0, last, sizeof(last));
	if (err) {
		snprintf(why, whylen, "no seed of %u gave the slot map; the last said: %s",
			 url->nseeds, last);
		tg_rc_close(rc);
		return err;
	}
	*out = rc;
	return 0;
}

void tg_rc_close(struct tg_rcluster *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i < rc->nnodes; i++)
		node_disconnect(&rc->nodes[i]);
	free(rc);
}

/* Forget the masters that serve no slot any more (an old master now a
 * replica, a removed node); between batches, when no index is in use. */
static void compact(struct tg_rcluster *rc)
{
	__s16 map[RC_MAX_MASTERS];
	size_t kept = 0;

	for (size_t i = 0; i < rc->nnodes; i++) {
		if (!rc->nodes[i].h.slots) {
			node_disconnect(&rc->nodes[i]);
			map[i] = -1;
			continue;
		}
		map[i] = (__s16)kept;
		if (kept != i)
			rc->nodes[kept] = rc->nodes[i];
		kept++;
	}
	rc->ask_first = -1;
	if (kept == rc->nnodes)
		return;
	rc->nnodes = kept;
	for (size_t s = 0; s < TG_RC_SLOTS; s++)
		if (rc->owner[s] >= 0)
			rc->owner[s] = map[rc->owner[s]];
}

static void cmd_fail(struct tg_rcluster *rc, struct tg_rc_cmd *cmd, int k, int err)
{
	cmd->status = err;
	cmd->master = k;
	if (k >= 0)
		rc->nodes[k].h.failures++;
	if (err == -ETIMEDOUT)
		rc->st.timeouts++;
	else if (err == -EIO || err == -EPROTO || err == -ENOTCONN)
		rc->st.conn_errors++;
}

/* Every command of the node's round not answered yet fails with err. */
static void node_broken(struct tg_rcluster *rc, int k, struct tg_rc_cmd *cmds,
			struct rc_pend *pend, const size_t *order, int err, const char *why)
{
	struct rc_node *nd = &rc->nodes[k];

	for (size_t i = nd->answered; i < nd->queued; i++) {
		size_t j = order[nd->first + i];

		pend[j].pending = false;
		cmd_fail(rc, &cmds[j], k, err);
	}
	nd->answered = nd->queued;
	if (!why) /* the batch's time ran out before anything was asked */
		return;
	if (err != -ENOTCONN)
		node_disconnect(nd); /* the stream may stop mid-reply */
	node_down(rc, nd, why);
}

/* "MOVED 3999 127.0.0.1:6381": the node named, or -1. */
static int redirect_node(struct tg_rcluster *rc, const char *text, const char *from_host)
{
	const char *addr = strchr(text, ' '), *colon;
	char host[256];
	unsigned long port;
	char *end;

	if (!addr || !(addr = strchr(addr + 1, ' ')) || !(colon = strrchr(++addr, ':')))
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (*end || colon - addr >= (long)sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	return node_find_or_add(rc, host[0] ? host : from_host, (unsigned int)port);
}

static bool starts(const char *s, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(s, word, n) && (s[n] == ' ' || s[n] == '\0');
}

/* The reply of command j, read from node k. */
static void deliver(struct tg_rcluster *rc, int k, struct tg_rc_cmd *cmd, struct rc_pend *p,
		    redisReply *r)
{
	struct rc_node *nd = &rc->nodes[k];
	bool moved, ask;

	cmd->master = k;
	if (r->type != REDIS_REPLY_ERROR) {
		cmd->status = 0;
		cmd->reply = r;
		node_up(nd);
		return;
	}
	moved = starts(r->str, "MOVED");
	ask = starts(r->str, "ASK");
	if (moved || ask) {
		int to = p->fixed || p->redirects ? -1 : redirect_node(rc, r->str, nd->at.host);

		if (ask)
			rc->st.ask++;
		if (moved) {
			rc->st.moved++;
			rc->stale = true;
			rc->ask_first = to;
		}
		if (to >= 0) {
			if (moved && rc->owner[p->slot] != to) { /* in case the reload fails */
				if (rc->owner[p->slot] >= 0)
					rc->nodes[rc->owner[p->slot]].h.slots--;
				rc->owner[p->slot] = (__s16)to;
				rc->nodes[to].h.slots++;
			}
			p->node = to;
			p->asking = ask;
			p->pending = true;
			p->redirects++;
			freeReplyObject(r);
			return;
		}
		cmd->reply = r;
		cmd_fail(rc, cmd, k, -EAGAIN);
		return;
	}
	cmd->reply = r;
	if (starts(r->str, "TRYAGAIN")) {
		rc->st.tryagain++;
		cmd_fail(rc, cmd, k, -EAGAIN);
		snprintf(nd->h.last_error, sizeof(nd->h.last_error), "%s", r->str);
		return;
	}
	if (starts(r->str, "CLUSTERDOWN") || starts(r->str, "LOADING") ||
	    starts(r->str, "MASTERDOWN")) {
		rc->st.clusterdown += starts(r->str, "CLUSTERDOWN");
		cmd_fail(rc, cmd, k, -EAGAIN);
		node_down(rc, nd, r->str);
		return;
	}
	cmd->status = 0; /* the command's own error, for the caller */
	node_up(nd);
}

/* Replies already buffered on node k, delivered in order. */
static int drain(struct tg_rcluster *rc, int k, struct tg_rc_cmd *cmds, struct rc_pend *pend,
		 const size_t *order)
{
	struct rc_node *nd = &rc->nodes[k];

	while (nd->answered < nd->queued) {
		size_t j = order[nd->first + nd->answered];
		void *r = NULL;

		if (redisGetReplyFromReader(nd->c, &r) != REDIS_OK)
			return -EPROTO;
		if (!r)
			return 0;
		if (pend[j].asking) { /* ASKING's +OK: the command's reply is next */
			pend[j].asking = false;
			freeReplyObject(r);
			continue;
		}
		nd->answered++;
		deliver(rc, k, &cmds[j], &pend[j], r);
	}
	return 0;
}

/* Queue node k's commands on its connection; 0 or -errno with why. */
static int queue(struct tg_rcluster *rc, int k, struct tg_rc_cmd *cmds, struct rc_pend *pend,
		 const size_t *order, __u64 deadline_ns, char *why, size_t whylen)
{
	struct rc_node *nd = &rc->nodes[k];

	if (tg_mono_ns() >= deadline_ns)
		return -ETIMEDOUT;
	if (!node_connect(rc, nd, deadline_ns, why, whylen))
		return -ENOTCONN;
	for (size_t i = 0; i < nd->queued; i++) {
		size_t j = order[nd->first + i];

		if ((pend[j].asking && redisAppendCommand(nd->c, "ASKING") != REDIS_OK) ||
		    redisAppendCommandArgv(nd->c, cmds[j].argc, cmds[j].argv,
					   cmds[j].argvlen) != REDIS_OK) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		nd->h.commands++;
	}
	nd->flushed = false;
	return 0;
}

/* The pending commands in order[], grouped by node in batch order. */
static void group(struct tg_rcluster *rc, struct tg_rc_cmd *cmds, struct rc_pend *pend, size_t n,
		  size_t *order)
{
	size_t at = 0;

	for (size_t k = 0; k < rc->nnodes; k++)
		rc->nodes[k].queued = rc->nodes[k].answered = 0;
	for (size_t j = 0; j < n; j++) {
		if (!pend[j].pending)
			continue;
		if (pend[j].node < 0) {
			pend[j].pending = false;
			cmd_fail(rc, &cmds[j], -1, -EHOSTUNREACH);
			continue;
		}
		rc->nodes[pend[j].node].queued++;
	}
	for (size_t k = 0; k < rc->nnodes; k++) {
		rc->nodes[k].first = at;
		at += rc->nodes[k].queued;
	}
	/* answered counts the filling here, then the replies read. */
	for (size_t j = 0; j < n; j++) {
		struct rc_node *nd;

		if (!pend[j].pending)
			continue;
		nd = &rc->nodes[pend[j].node];
		order[nd->first + nd->answered++] = j;
		pend[j].pending = false;
	}
	for (size_t k = 0; k < rc->nnodes; k++)
		rc->nodes[k].answered = 0;
}

/* One round: every pending command sent to its node, every reply read
 * as it comes from any node, all by deadline_ns. */
static void round_run(struct tg_rcluster *rc, struct tg_rc_cmd *cmds, struct rc_pend *pend,
		      size_t n, size_t *order, __u64 deadline_ns)
{
	struct pollfd fds[RC_MAX_MASTERS];
	int idx[RC_MAX_MASTERS];
	char why[200];

	group(rc, cmds, pend, n, order);
	for (size_t k = 0; k < rc->nnodes; k++) {
		struct rc_node *nd = &rc->nodes[k];
		int err;

		if (nd->queued &&
		    (err = queue(rc, (int)k, cmds, pend, order, deadline_ns, why, sizeof(why))))
			node_broken(rc, (int)k, cmds, pend, order, err,
				    err == -ETIMEDOUT ? NULL : why);
	}
	for (;;) {
		__u64 now;
		int m = 0, ready;

		for (size_t k = 0; k < rc->nnodes; k++) {
			struct rc_node *nd = &rc->nodes[k];

			if (nd->answered == nd->queued)
				continue;
			if (drain(rc, (int)k, cmds, pend, order)) {
				node_broken(rc, (int)k, cmds, pend, order, -EPROTO,
					    "a malformed reply");
				continue;
			}
			if (nd->answered == nd->queued)
				continue;
			fds[m] = (struct pollfd){ .fd = nd->c->fd,
						  .events = POLLIN | (nd->flushed ? 0 : POLLOUT) };
			idx[m++] = (int)k;
		}
		if (!m)
			return;
		now = tg_mono_ns();
		if (now >= deadline_ns) {
			for (int i = 0; i < m; i++)
				node_broken(rc, idx[i], cmds, pend, order, -ETIMEDOUT,
					    "no complete reply in time");
			return;
		}
		ready = poll(fds, (nfds_t)m,
			     (int)((deadline_ns - now + TG_NSEC_PER_MSEC - 1) / TG_NSEC_PER_MSEC));
		if (ready < 0 && errno != EINTR) {
			snprintf(why, sizeof(why), "poll: %s", strerror(errno));
			for (int i = 0; i < m; i++)
				node_broken(rc, idx[i], cmds, pend, order, -EIO, why);
			return;
		}
		for (int i = 0; i < m && ready > 0; i++) {
			struct rc_node *nd = &rc->nodes[idx[i]];
			int done = 0;

			if ((fds[i].revents & POLLOUT) && !nd->flushed) {
				if (redisBufferWrite(nd->c, &done) != REDIS_OK) {
					snprintf(why, sizeof(why), "write: %s", nd->c->errstr);
					node_broken(rc, idx[i], cmds, pend, order, -EIO, why);
					continue;
				}
				nd->flushed = done;
			}
			if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) &&
			    redisBufferRead(nd->c) != REDIS_OK) {
				snprintf(why, sizeof(why), "read: %s", nd->c->errstr);
				node_broken(rc, idx[i], cmds, pend, order, -EIO, why);
			}
		}
	}
}

/* Rounds until no command waits for a redirect (each follows at most one). */
static int run(struct tg_rcluster *rc, struct tg_rc_cmd *cmds, struct rc_pend *pend, size_t n,
	       __u64 deadline_ns)
{
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	int failed = 0;
	char why[200];

	if (!order)
		return -ENOMEM;
	for (int round = 0; round < 2; round++) {
		bool again = false;

		round_run(rc, cmds, pend, n, order, deadline_ns);
		for (size_t j = 0; j < n; j++)
			again |= pend[j].pending;
		if (!again)
			break;
		/* MOVED: the map is stale; reload it for the batches to come.
		 * A redirected command goes where its reply said: the map may
		 * come from a node that has not heard of the move yet. */
		if (rc->stale && map_load(rc, deadline_ns, why, sizeof(why)))
			tg_debug("redis cluster: reloading the slot map: %s", why);
	}
	for (size_t j = 0; j < n; j++) {
		if (pend[j].pending) /* a redirect after the retry */
			cmd_fail(rc, &cmds[j], cmds[j].master, -EAGAIN);
		failed += cmds[j].status != 0;
	}
	free(order);
	return failed;
}

/* Between batches: drop masters gone, reload a map known stale. */
static void prepare(struct tg_rcluster *rc, __u64 deadline_ns)
{
	char why[200];

	if (rc->stale && map_load(rc, deadline_ns, why, sizeof(why)))
		tg_debug("redis cluster: reloading the slot map: %s", why);
	compact(rc);
}

int tg_rc_batch(struct tg_rcluster *rc, struct tg_rc_cmd *cmds, size_t n, __u64 deadline_ns)
{
	struct rc_pend *pend = calloc(n ? n : 1, sizeof(*pend));
	int ret;

	if (!pend)
		return -ENOMEM;
	prepare(rc, deadline_ns);
	for (size_t j = 0; j < n; j++) {
		cmds[j].status = 0;
		cmds[j].reply = NULL;
		cmds[j].master = -1;
		pend[j].slot = tg_rc_keyslot(cmds[j].key, cmds[j].keylen);
		pend[j].node = rc->owner[pend[j].slot];
		pend[j].pending = true;
	}
	ret = run(rc, cmds, pend, n, deadline_ns);
	free(pend);
	return ret;
}

void tg_rc_cmds_free(struct tg_rc_cmd *cmds, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		freeReplyObject(cmds[j].reply);
		cmds[j].reply = NULL;
	}
}

int tg_rc_each_master(struct tg_rcluster *rc, int argc, const char **argv, const size_t *argvlen,
		      __u64 deadline_ns, char *why, size_t whylen)
{
	struct tg_rc_cmd *cmds;
	struct rc_pend *pend;
	size_t n;
	int err = 0;

	prepare(rc, deadline_ns);
	n = rc->nnodes;
	cmds = calloc(n ? n : 1, sizeof(*cmds));
	pend = calloc(n ? n : 1, sizeof(*pend));
	if (!cmds || !pend) {
		free(cmds);
		free(pend);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (size_t k = 0; k < n; k++) {
		cmds[k] = (struct tg_rc_cmd){ .argc = argc, .argv = argv, .argvlen = argvlen,
					      .master = -1 };
		pend[k] = (struct rc_pend){ .node = (int)k, .pending = true, .fixed = true };
	}
	if (run(rc, cmds, pend, n, deadline_ns) < 0) {
		snprintf(why, whylen, "out of memory");
		err = -ENOMEM;
	}
	for (size_t k = 0; k < n && !err; k++) {
		struct rc_node *nd = &rc->nodes[k];
		const redisReply *r = cmds[k].reply;

		if (!cmds[k].status && r && r->type == REDIS_REPLY_ERROR) {
			snprintf(nd->h.last_error, sizeof(nd->h.last_error), "%s", r->str);
			cmds[k].status = -EREMOTEIO;
		}
		if (cmds[k].status) {
			err = cmds[k].status;
			snprintf(why, whylen, "%s: %s", nd->h.addr,
				 r && r->type == REDIS_REPLY_ERROR ? r->str : nd->h.last_error);
		}
	}
	tg_rc_cmds_free(cmds, n);
	free(cmds);
	free(pend);
	return err;
}

size_t tg_rc_masters(const struct tg_rcluster *rc, struct tg_rc_master *out, size_t max)
{
	for (size_t k = 0; k < rc->nnodes && k < max; k++)
		out[k] = rc->nodes[k].h;
	return rc->nnodes;
}

bool tg_rc_slot_up(const struct tg_rcluster *rc, unsigned int slot)
{
	int owner = slot < TG_RC_SLOTS ? rc->owner[slot] : -1;

	return owner >= 0 && (size_t)owner < rc->nnodes && rc->nodes[owner].h.up;
}

void tg_rc_stats(const struct tg_rcluster *rc, struct tg_rc_stats *out)
{
	*out = rc->st;
}
