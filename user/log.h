/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log.h - one levelled logger for tidegate, libbpf and libxdp.
 * Quiet unless -v; libbpf's warnings (the verifier's log among them) are
 * kept so a failure can say why in short.
 */
#ifndef TG_LOG_H
#define TG_LOG_H

enum tg_log_level {
	TG_LOG_ERR,
	TG_LOG_WARN,
	TG_LOG_INFO,
	TG_LOG_DEBUG,
};

void tg_log_init(int verbosity);
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
