// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * run_journal.c - log = journal: the daemon reads each interface's drop
 * log and sends it to the journal (droplog_journal.c). A reader is
 * started once the interface has maps, started again when a detach and
 * attach made them anew, and stopped when the config turns the journal
 * off. While a `tidegate log` follows the interface, the daemon says so
 * once and starts when it stops: each line goes to one reader.
 */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "run.h"

void tg_run_journal_stop(struct managed *mi)
{
	tg_journal_fwd_close(mi->journal);
	mi->journal = NULL;
}

static void start(struct managed *mi)
{
	char holder[300];
	int err = tg_journal_fwd_open(mi->ic.name, &mi->m, &mi->journal, holder, sizeof(holder));

	if (!err)
		tg_info("%s: the drop log goes to the journal", mi->ic.name);
	else if (err == mi->journal_err)
		return;
	else if (err == -EWOULDBLOCK)
		tg_warn("%s: the drop log is followed by %s; it goes to the journal once that "
			"stops", mi->ic.name, holder);
	else if (err != -ENOENT) /* no pin directory: it comes with the attach */
		tg_warn("%s: reading the drop log for the journal: %s", mi->ic.name,
			strerror(-err));
	mi->journal_err = err;
}

void tg_run_journal_update(struct daemon *d)
{
	int i;

	for (i = 0; i < d->n; i++) {
		struct managed *mi = d->ifs[i];
		bool want = d->conf->log_journal && mi->m.log >= 0;

		if (mi->journal && (!want || !tg_journal_fwd_current(mi->journal, &mi->m))) {
			tg_run_journal_stop(mi);
			if (!want)
				tg_info("%s: the drop log no longer goes to the journal", mi->ic.name);
		}
		if (want && !mi->journal)
			start(mi);
		if (!want)
			mi->journal_err = 0;
	}
}

int tg_run_journal_fds(const struct daemon *d, struct pollfd *p, int max)
{
	int i, n = 0;

	for (i = 0; i < d->n && n < max; i++) {
		if (!d->ifs[i]->journal)
			continue;
		p[n].fd = tg_journal_fwd_fd(d->ifs[i]->journal);
		p[n].events = POLLIN;
		p[n++].revents = 0;
	}
	return n;
}

void tg_run_journal_drain(struct daemon *d, const struct pollfd *p, int n)
{
	int i, k;

	for (k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		for (i = 0; i < d->n; i++)
			if (d->ifs[i]->journal && tg_journal_fwd_fd(d->ifs[i]->journal) == p[k].fd)
				tg_journal_fwd_drain(d->ifs[i]->journal);
	}
}
