/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * conf.h - the daemon's configuration: an INI file (read with inih)
 * whose keys are the command line's long options, word for word, and
 * the command line of `tidegate run` laid over it.
 *
 *   [daemon]                      ; daemon-wide: metrics, redis, ...
 *   metrics = 127.0.0.1:9477
 *   redis = redis://127.0.0.1:6379/0
 *   log = journal                 ; the drop log to the journal
 *   [defaults]                    ; limits every interface starts from
 *   rate = 100/second
 *   [interface eth1]              ; one per protected interface
 *   ports = 80,443
 *   action = rst                  ; drop, rst or redirect:IFACE, as --action
 *   rule = 198.51.100.0/24 allow  ; one per line, as 'tidegate rule add' takes them
 *   rule = 203.0.113.0/24 limit 10/second --burst 20 --shared
 *
 * Every value goes through the same function as its option, so the
 * file and the command line cannot disagree on what a value means.
 */
#ifndef TG_CONF_H
#define TG_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <xdp/libxdp.h>

#include "cli.h"
#include "limits.h"
#include "redis_url.h"
#include "rules.h"

#define TG_DEFAULT_METRICS       "127.0.0.1:9477"
#define TG_DEFAULT_SYNC_INTERVAL "250ms"
#define TG_DEFAULT_REDIS_TIMEOUT "200ms"
#define TG_DEFAULT_REDIS_PREFIX  "tidegate"
#define TG_DEFAULT_STATE_DIR     "/var/lib/tidegate"
#define TG_DEFAULT_FLEET_INTERVAL "100ms"
#define TG_DEFAULT_FLEET_BURST_SHARE "1"

#define TG_MAX_IFACES 64
#define TG_CONF_MAX_RULES 64 /* rule lines in a section */
#define TG_NAME_MAX   48
#define TG_MAX_DIAGS  64

/*
 * rule = CIDR allow|deny|limit ...: the words of 'tidegate rule add'
 * after IFACE (tg_rule_spec_parse). The daemon adds them live; see
 * cmd_run.c for what a reload changes.
 */
struct tg_conf_rule {
	struct tg_rule_spec spec;
	int line;
};

struct tg_iface_conf {
	char name[IF_NAMESIZE];
	struct tg_limits limits;
	enum xdp_attach_mode mode;
	char zone[TG_NAME_MAX]; /* the interface's name in Redis keys */
	int nrules;
	struct tg_conf_rule rules[TG_CONF_MAX_RULES];
	int line; /* of its [interface] header; 0 if only on the command line */
};

struct tg_daemon_conf {
	bool metrics_on;
	char metrics[80]; /* as written */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	bool redis_on;
	struct tg_redis_url redis; /* a cluster's (redis.cluster) serves the fleet only */
	__u64 sync_interval_ms;
	__u64 redis_timeout_ms;
	char redis_prefix[TG_NAME_MAX];
	bool fleet_on;
	char fleet[TG_NAME_MAX]; /* the fleet's name (fleet.h) */
	__u64 fleet_interval_ms;
	unsigned int fleet_burst_share;
	bool detach_on_exit;
	bool log_journal;   /* log = journal: the daemon reads the drop logs */
	char state_dir[256]; /* the rules kept across reboots (rulestate.h) */
	int niface;
	struct tg_iface_conf iface[TG_MAX_IFACES];
};

/* The bucket mirror, the restore and the rules' copy speak to one
 * server: a redis+cluster:// URL serves fleet mode alone. */
static inline bool tg_conf_mirror_on(const struct tg_daemon_conf *c)
{
	return c->redis_on && !c->redis.cluster;
}


/* What is wrong with a configuration, each with its line (0: the
 * command line). Warnings do not make it invalid. */
struct tg_diag {
	int line;
	bool warning;
	char msg[256];
};

struct tg_diags {
	const char *file; /* for messages: "FILE:LINE: ..." */
	int n, errors, dropped;
	struct tg_diag d[TG_MAX_DIAGS];
};

/*
 * Build the configuration from a file (path may be NULL) and from the
 * command line of run (cl may be NULL). The command line wins; limit
 * options on it apply to the interfaces it names. Returns the number of
 * errors, every one of them in diags; conf is complete only when 0.
 */
int tg_conf_build(const char *path, const struct tg_cmdline *cl, struct tg_daemon_conf *conf,
		  struct tg_diags *diags);

/* The same from text in memory (the file's name is only for messages). */
int tg_conf_build_text(const char *text, const char *name, const struct tg_cmdline *cl,
		       struct tg_daemon_conf *conf, struct tg_diags *diags);


/* One line per diagnostic, "FILE:LINE: error: ...", through the logger. */
void tg_diags_log(const struct tg_diags *d);

const struct tg_iface_conf *tg_conf_iface(const struct tg_daemon_conf *c, const char *name);

#endif /* TG_CONF_H */
