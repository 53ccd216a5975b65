// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * droplog_journal.c - the drop log to the journal, through libsystemd's
 * sd_journal_sendv: MESSAGE is the line `tidegate log` prints, and every
 * field of it is a TIDEGATE_<NAME> field (TIDEGATE_SOURCE, _PREFIX,
 * _RULE, _WHY, _ACTION, _DPORT, _DROPPED, ...), null ones left out,
 * beside TIDEGATE_INTERFACE and a PRIORITY.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <systemd/sd-journal.h>

#include "droplog_fmt.h"
#include "droplog_journal.h"
#include "log.h"
#include "output.h"

#define MAX_FIELDS 24 /* the line's fields, and ours */

struct tg_journal_fwd {
	char ifname[32];
	struct tg_droplog *dl;
	struct ring_buffer *rb;
	int lock;      /* tg_follow_lock's fd: the pin directory */
	__u32 log_id;  /* the tg_log map read */
	int send_err;  /* the journal's last refusal, said once */
	unsigned long long lost; /* lines the journal refused since */
};

/* A line's priority: the cookie path tripping, or spending its budget,
 * is a warning; a bucket's drop is what the limiter is for, a notice. */
static int priority(const char *why)
{
	if (!strcmp(why, "cookies_on") || !strcmp(why, "cookie_budget"))
		return LOG_WARNING;
	if (!strcmp(why, "cookies_off"))
		return LOG_INFO;
	return LOG_NOTICE;
}

/* "NAME=value" in a buffer of its own, for an iovec. */
static char *field(const char *name, const char *value)
{
	char *s = NULL;

	return asprintf(&s, "%s=%s", name, value) < 0 ? NULL : s;
}

/* "TIDEGATE_" and the line's key in capitals: "dport" -> TIDEGATE_DPORT. */
static char *line_field(const char *key, const char *value)
{
	char name[64];
	size_t i, n = (size_t)snprintf(name, sizeof(name), "TIDEGATE_%s", key);

	for (i = 9; i < n && i < sizeof(name); i++)
		name[i] = (char)toupper((unsigned char)name[i]);
	return field(name, value);
}

static int send_line(struct tg_journal_fwd *j, struct json_object *o)
{
	struct iovec iov[MAX_FIELDS];
	char *text = tg_out_line_text(o), prio[4];
	struct json_object *why;
	int i, n = 0, err;

	if (!text)
		return -ENOMEM;
	snprintf(prio, sizeof(prio), "%d",
		 priority(json_object_object_get_ex(o, "why", &why) ? json_object_get_string(why)
								    : ""));
	iov[n++].iov_base = field("MESSAGE", text);
	iov[n++].iov_base = field("PRIORITY", prio);
	iov[n++].iov_base = field("SYSLOG_IDENTIFIER", "tidegate");
	iov[n++].iov_base = field("TIDEGATE_INTERFACE", j->ifname);
	json_object_object_foreach(o, key, val)
	{
		if (val && n < MAX_FIELDS)
			iov[n++].iov_base = line_field(key, json_object_get_string(val));
	}
	free(text);
	err = 0;
	for (i = 0; i < n; i++) {
		if (!iov[i].iov_base)
			err = -ENOMEM;
		else
			iov[i].iov_len = strlen(iov[i].iov_base);
	}
	if (!err)
		err = sd_journal_sendv(iov, n);
	for (i = 0; i < n; i++)
		free(iov[i].iov_base);
	return err;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tg_journal_fwd *j = ctx;
	struct json_object *o = tg_droplog_fields(j->dl, data, size);
	int err;

	if (!o)
		return 0;
	err = send_line(j, o);
	json_object_put(o);
	if (err && err != j->send_err)
		tg_warn("%s: the journal does not take drop log lines: %s; they are lost until "
			"it does", j->ifname, strerror(-err));
	else if (!err && j->send_err)
		tg_info("%s: the journal takes drop log lines again (%llu lost)", j->ifname,
			j->lost);
	if (err)
		j->lost++;
	else
		j->lost = 0;
	j->send_err = err;
	return 0;
}

static bool same_dir(int fd, const char *ifname)
{
	struct stat a, b;
	char dir[256];

	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	return !fstat(fd, &a) && !stat(dir, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int tg_journal_fwd_open(const char *ifname, const struct tg_maps *m,
			struct tg_journal_fwd **out, char *holder, size_t len)
{
	struct tg_journal_fwd *j = calloc(1, sizeof(*j));
	int err;

	*out = NULL;
	if (!j)
		return -ENOMEM;
	snprintf(j->ifname, sizeof(j->ifname), "%s", ifname);
	j->lock = tg_follow_lock(ifname, holder, len);
	if (j->lock < 0) {
		err = j->lock;
		free(j);
		return err;
	}
	j->log_id = tg_map_id(m->log);
	j->dl = tg_droplog_new(m->stats);
	j->rb = j->dl ? ring_buffer__new(m->log, on_event, j, NULL) : NULL;
	if (!j->rb) {
		err = j->dl ? -errno : -ENOMEM;
		tg_journal_fwd_close(j);
		return err;
	}
	*out = j;
	return 0;
}

bool tg_journal_fwd_current(const struct tg_journal_fwd *j, const struct tg_maps *m)
{
	return tg_map_id(m->log) == j->log_id && same_dir(j->lock, j->ifname);
}

int tg_journal_fwd_fd(const struct tg_journal_fwd *j)
{
	return ring_buffer__epoll_fd(j->rb);
}

void tg_journal_fwd_drain(struct tg_journal_fwd *j)
{
	int err = ring_buffer__consume(j->rb);

	if (err < 0)
		tg_warn("%s: reading the drop log: %s", j->ifname, strerror(-err));
}

void tg_journal_fwd_close(struct tg_journal_fwd *j)
{
	if (!j)
		return;
	if (j->rb) {
		ring_buffer__consume(j->rb);
		ring_buffer__free(j->rb);
	}
	tg_droplog_free(j->dl);
	if (j->lock >= 0)
		close(j->lock);
	free(j);
}
