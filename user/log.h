/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log.h - one levelled logger for tidegate, libbpf and libxdp.
 * Quiet unless -v; libbpf's warnings (the verifier's log among them) are
 * kept so a failure can say why in short.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

#include <stdbool.h>

enum tg_log_level {
	TG_LOG_ERR,
	TG_LOG_WARN,
	TG_LOG_INFO,
	TG_LOG_DEBUG,
};

void tg_log_init(int verbosity);

/*
 * Daemon mode: every line on stderr starts with its syslog level as
 * "<N>" (sd-daemon(3): <3> error, <4> warning, <6> info, <7> debug), so
 * journald files it at that priority; info lines are shown.
 */
void tg_log_set_journal(bool on);
bool tg_log_journal(void);
void tg_log(enum tg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define tg_err(...)   tg_log(TG_LOG_ERR, __VA_ARGS__)
#define tg_warn(...)  tg_log(TG_LOG_WARN, __VA_ARGS__)
#define tg_info(...)  tg_log(TG_LOG_INFO, __VA_ARGS__)
#define tg_debug(...) tg_log(TG_LOG_DEBUG, __VA_ARGS__)

/* The verifier's verdict from the libbpf output kept since the last
 * reset: its last meaningful line, or NULL. */
void tg_log_libbpf_reset(void);
const char *tg_log_verifier_summary(void);

#endif /* TG_LOG_H */
