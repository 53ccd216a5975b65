/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * limits.h - the limit as the operator states it, and its translation
 * into the struct tg_config the XDP program reads.
 */
#ifndef TG_LIMITS_H
#define TG_LIMITS_H

#include <stdbool.h>

#include "parse.h"
#include "rate.h"
#include "tidegate.h"

/* Defaults: lenient enough for a NAT gateway full of browsers, still
 * four orders of magnitude under what one flooding host can send. */
#define TG_DEFAULT_RATE        "100/second"
#define TG_DEFAULT_PORTS       "80,443"
#define TG_DEFAULT_V4_PREFIX   32
#define TG_DEFAULT_V6_PREFIX   64
#define TG_DEFAULT_MAX_SOURCES 262144
#define TG_MAX_MAX_SOURCES     (1U << 26)
#define TG_MAX_BURST           1000000000ULL
/* tolerance_ns is kept under this so now + tolerance + interval can
 * never overflow 64 bits, even after centuries of uptime. */
#define TG_MAX_TOLERANCE_NS    (1ULL << 62)
/* Actions and the drop log */
#define TG_DEFAULT_RST_BUDGET   1000 /* RSTs per second, all sources together */
#define TG_MAX_RST_BUDGET       1000000
#define TG_DEFAULT_LOG_INTERVAL 10   /* seconds between two lines of one source */
#define TG_MAX_LOG_INTERVAL     86400
#define TG_DEFAULT_LOG_BUDGET   100  /* log lines per second, all sources */
#define TG_MAX_LOG_BUDGET       100000
/* SYN cookies: SYN-ACKs per second, all sources together (the burst
 * the same), and auto mode's new-source budget. By default auto trips
 * when new sources arrive faster than would turn the whole table over
 * in TG_NEW_SOURCE_TURNOVER_S seconds. */
#define TG_DEFAULT_COOKIE_MODE   TG_COOKIES_AUTO
#define TG_DEFAULT_COOKIE_BUDGET 1000000
#define TG_MAX_COOKIE_BUDGET     100000000
#define TG_NEW_SOURCE_TURNOVER_S 60
/* Auto mode's burst: new sources arriving within 1/TG_NEW_SOURCE_BURST_DIV
 * of a second at the new-source rate take buckets before it trips. Each
 * of those is tracked from then on, so a spoofed flood's first burst
 * keeps reaching the kernel at its sources' own rate for as long as the
 * flood lasts; a trip costs a real client nothing (its handshake stays
 * one round trip), so the burst is kept small. */
#define TG_NEW_SOURCE_BURST_DIV  10
#define TG_MAX_NEW_SOURCE_RATE   100000000

/* What happens to a SYN over its limit: TG_ACT_* and, for a redirect,
 * the interface. */
struct tg_act {
	__u32 kind;
	__u32 ifindex;
};

/* A port group with a limit of its own (tidegate.h: struct
 * tg_port_group), as the operator states it; user/port_limits.c. */
struct tg_port_limit {
	__u16 lo, hi;        /* the ports lo-hi; hi 0: the slot is free */
	struct tg_rate rate;
	__u64 burst;         /* 0: the count of the rate */
};

struct tg_limits {
	struct tg_rate rate;
	__u64 burst; /* 0: the count of the rate */
	unsigned int v4_prefix;
	unsigned int v6_prefix;
	bool dry_run;
	__u32 max_sources;
	struct tg_portset ports;
	struct tg_act action;
	__u32 rst_budget;   /* per second; also the burst */
	__u32 log_interval; /* seconds */
	__u32 log_budget;   /* lines per second; also the burst */
	__u32 rule_seq;     /* carried, not set by the operator */
	__u32 syn_cookies;     /* TG_COOKIES_* */
	__u32 cookie_budget;   /* SYN-ACKs per second; also the burst */
	__u32 new_source_rate; /* per second; 0: derived from max_sources */
	/* By group id (tg_ports' value); below TG_PG_FIRST unused. A
	 * group's ports are limited whether or not they are in ports. */
	struct tg_port_limit groups[TG_PORT_GROUPS];
};

/* "off" / "on" / "auto" into a TG_COOKIES_*; -EINVAL otherwise. */
int tg_cookie_mode_parse(const char *text, __u32 *mode);
const char *tg_cookie_mode_name(__u32 mode);

/* The new-source rate in force: as given, or max_sources spread over
 * TG_NEW_SOURCE_TURNOVER_S seconds (at least 1). */
__u32 tg_limits_new_source_rate(const struct tg_limits *l);
/* Auto mode's burst for that rate: TG_NEW_SOURCE_BURST_DIV's share of a
 * second's worth (at least 1). */
__u32 tg_new_source_burst(__u32 new_source_rate);

void tg_limits_default(struct tg_limits *l);

/* The burst in effect: as given, or the rate's count. */
__u64 tg_limits_burst(const struct tg_limits *l);

/*
 * A rate and a burst, checked together, for the interface's limit and
 * for limit rules alike: at most one SYN per nanosecond, a burst of 1 to
 * TG_MAX_BURST, (burst - 1) x interval within TG_MAX_TOLERANCE_NS, a
 * count that fits 32 bits. Fills the interval and the tolerance they
 * make. 0, or -EINVAL/-ERANGE with why.
 */
int tg_limit_check(const struct tg_rate *rate, __u64 burst, __u64 *interval_ns,
		   __u64 *tolerance_ns, char *why, size_t whylen);

/* Fill cfg from l. Returns 0, or -EINVAL/-ERANGE with why. */
int tg_limits_to_config(const struct tg_limits *l, struct tg_config *cfg, char *why,
			size_t whylen);

/* The operator's view of a running config (ports are read separately). */
void tg_limits_from_config(const struct tg_config *cfg, struct tg_limits *l);

__be32 tg_prefix_mask_v4(unsigned int len);
void tg_prefix_mask_v6(unsigned int len, __be32 mask[4]);

#endif /* TG_LIMITS_H */
