/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * droplog_journal.h - the daemon's reader of an interface's drop log
 * when the config says log = journal: each line goes to the journal
 * with its fields (droplog_fmt.h) as TIDEGATE_* fields, so
 * `journalctl TIDEGATE_SOURCE=198.51.100.7` finds a source's lines.
 *
 * Each line goes to one reader, so it holds the follow lock that `tidegate
 * log` takes (tg_follow_lock): while it reads, `tidegate log` on the
 * interface is refused, and names the daemon.
 */
#ifndef TG_DROPLOG_JOURNAL_H
#define TG_DROPLOG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "pins.h"

struct tg_journal_fwd;

/* Start reading IFACE's drop log (m's tg_log). 0 with *out, or
 * -EWOULDBLOCK (holder then names who follows it) or -errno. */
int tg_journal_fwd_open(const char *ifname, const struct tg_maps *m,
			struct tg_journal_fwd **out, char *holder, size_t len);

/* Whether it still reads what IFACE's pins are: the same tg_log map,
 * locked in the same pin directory (a detach and attach makes both
 * anew). */
bool tg_journal_fwd_current(const struct tg_journal_fwd *j, const struct tg_maps *m);

/* An fd to poll for lines. */
int tg_journal_fwd_fd(const struct tg_journal_fwd *j);

/* Send what the ring buffer holds to the journal. A journal that does
 * not take lines is said once (and again once it takes them back, with
 * how many were lost meanwhile), never per line. */
void tg_journal_fwd_drain(struct tg_journal_fwd *j);

/* Drain, then stop reading and let go of the lock. NULL is fine. */
void tg_journal_fwd_close(struct tg_journal_fwd *j);

#endif /* TG_DROPLOG_JOURNAL_H */
