/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * run.h - the daemon's interfaces (run_ifaces.c), shared with the
 * command that runs it (cmd_run.c): each one's state, attaching it or
 * waiting for it, checking it is still protected, and the hand-over of
 * its maps to the sync thread. Only the main thread changes them; the
 * metrics thread reads them under daemon.lock.
 */
#ifndef TG_RUN_H
#define TG_RUN_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "metrics.h"
#include "fleet.h"
#include "mirror.h"
#include "droplog_journal.h"
#include "pins.h"

enum iface_state {
	IF_WAITING,  /* no such interface, yet or any more: attached when it appears */
	IF_ATTACHED, /* our program, with our maps, is on it */
	IF_LOST,     /* our program was removed or replaced from outside: until a reload */
};

struct managed {
	struct tg_iface_conf ic; /* the file's, with the pinned table's size and mode */
	struct tg_maps m;        /* -1 until first attached; kept while waiting or lost */
	int owner;               /* tg_daemon_own: no other daemon adopts it */
	enum iface_state state;
	int ifindex;     /* where it was attached */
	__u32 config_id; /* tg_config's map id: the program on ifindex must use it */
	bool restore_pending;
	__u64 retry_ms; /* WAITING: no attach before this (tg_mono_ns() / 1e6) */
	unsigned int backoff_ms;
	struct tg_journal_fwd *journal; /* log = journal: its drop log's reader */
	int journal_err;  /* why there is none, said once */
	int save_err;     /* the state file's last failure, said once */
};

struct daemon {
	pthread_mutex_t lock; /* the list, against the metrics thread */
	struct managed *ifs[TG_MAX_IFACES];
	int n;
	struct tg_daemon_conf *conf;
	struct tg_sync sync;
	struct tg_fleet_thread fleet;
	struct tg_http *http;
	const struct tg_cmdline *cl;
	/* The config file: the last reload took it (or the start did), and
	 * when one last did (wall clock, s). Under lock, for the metrics. */
	bool reload_ok;
	double reload_ok_s;
};

/* Hand the interfaces with maps, and the settings, to the sync thread
 * and the fleet thread. */
void tg_run_push_sync(struct daemon *d);

/* Put ic's rules in force on mi's maps; old: the config they replace
 * (its rules gone from ic are deleted), NULL at attach. */
void tg_run_apply_rules(const struct managed *mi, const struct tg_iface_conf *old,
			const struct tg_iface_conf *ic);

/* Attach (or adopt) mi's interface, tg_lock() held, the list's mutex
 * not: 0 or -errno, logged (-ENODEV: no such interface). */
int tg_run_attach(struct daemon *d, struct managed *mi);

/* A new interface of the config: attached, or waited for if missing;
 * NULL if it is there and could not be attached. */
struct managed *tg_run_add_iface(struct daemon *d, const struct tg_iface_conf *ic);

/* Forget mi, detaching first if asked and the program is its own. */
void tg_run_drop_iface(struct managed *mi, bool detach);

void tg_run_set_state(struct daemon *d, struct managed *mi, enum iface_state state);

/* Check every interface: a removed program, an interface gone, or one
 * that appeared and is to be attached. */
void tg_run_check_ifaces(struct daemon *d);

/* log = journal (run_journal.c): start, move or stop each interface's
 * reader of its drop log, as the config and the pins now say. */
void tg_run_journal_update(struct daemon *d);
/* The readers' fds into p (at most max): how many. */
int tg_run_journal_fds(const struct daemon *d, struct pollfd *p, int max);
/* Send what the readers whose fds polled ready hold. */
void tg_run_journal_drain(struct daemon *d, const struct pollfd *p, int n);
void tg_run_journal_stop(struct managed *mi);

/* The rules kept across reboots (run_rules.c): mi's rules written to
 * its state file when they changed, and put back into new maps (the
 * pins were gone: a reboot) before the program is attached, or its copy
 * in Redis when that is newer (rules_redis.h). */
void tg_run_rules_save(struct daemon *d, struct managed *mi);
void tg_run_rules_restore(const struct daemon *d, const char *ifname, const char *zone,
			  const struct tg_maps *m);

/* "protecting N interfaces", and what is not protected. */
void tg_run_protecting(const struct daemon *d, char *buf, size_t len);

#endif /* TG_RUN_H */
