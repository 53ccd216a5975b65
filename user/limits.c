// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* limits.c - from the operator's limit to the program's config. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "port_limits.h"

void tg_limits_default(struct tg_limits *l)
{
	char why[128];

	memset(l, 0, sizeof(*l));
	tg_rate_parse(TG_DEFAULT_RATE, &l->rate, why, sizeof(why));
	tg_parse_ports(TG_DEFAULT_PORTS, &l->ports, why, sizeof(why));
	l->v4_prefix = TG_DEFAULT_V4_PREFIX;
	l->v6_prefix = TG_DEFAULT_V6_PREFIX;
	l->max_sources = TG_DEFAULT_MAX_SOURCES;
	l->action.kind = TG_ACT_DROP;
	l->rst_budget = TG_DEFAULT_RST_BUDGET;
	l->log_interval = TG_DEFAULT_LOG_INTERVAL;
	l->log_budget = TG_DEFAULT_LOG_BUDGET;
	l->syn_cookies = TG_DEFAULT_COOKIE_MODE;
	l->cookie_budget = TG_DEFAULT_COOKIE_BUDGET;
}

static const char *const cookie_modes[] = {
	[TG_COOKIES_OFF] = "off",
	[TG_COOKIES_ON] = "on",
	[TG_COOKIES_AUTO] = "auto",
};

int tg_cookie_mode_parse(const char *text, __u32 *mode)
{
	__u32 i;

	for (i = 0; i < sizeof(cookie_modes) / sizeof(cookie_modes[0]); i++)
		if (!strcmp(text, cookie_modes[i])) {
			*mode = i;
			return 0;
		}
	return -EINVAL;
}

const char *tg_cookie_mode_name(__u32 mode)
{
	return mode < sizeof(cookie_modes) / sizeof(cookie_modes[0]) ? cookie_modes[mode]
								     : "unknown";
}

__u32 tg_limits_new_source_rate(const struct tg_limits *l)
{
	__u32 derived = l->max_sources / TG_NEW_SOURCE_TURNOVER_S;

	if (l->new_source_rate)
		return l->new_source_rate;
	return derived ? derived : 1;
}

__u32 tg_new_source_burst(__u32 new_source_rate)
{
	__u32 burst = new_source_rate / TG_NEW_SOURCE_BURST_DIV;

	return burst ? burst : 1;
}

__u64 tg_limits_burst(const struct tg_limits *l)
{
	return l->burst ? l->burst : l->rate.count;
}

__be32 tg_prefix_mask_v4(unsigned int len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

void tg_prefix_mask_v6(unsigned int len, __be32 mask[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int bits = len > 32 ? 32 : len;

		mask[i] = tg_prefix_mask_v4(bits);
		len -= bits;
	}
}

static unsigned int mask_len(const __be32 *mask, int words)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < words; i++)
		n += (unsigned int)__builtin_popcount(ntohl(mask[i]));
	return n;
}

int tg_limit_check(const struct tg_rate *rate, __u64 burst, __u64 *interval_ns,
		   __u64 *tolerance_ns, char *why, size_t whylen)
{
	__u64 interval = tg_rate_interval_ns(rate);

	if (!interval) {
		snprintf(why, whylen, "rate: more than one SYN per nanosecond");
		return -EINVAL;
	}
	if (burst < 1 || burst > TG_MAX_BURST) {
		snprintf(why, whylen, "burst %llu is out of range 1-%llu",
			 (unsigned long long)burst, TG_MAX_BURST);
		return -ERANGE;
	}
	if ((burst - 1) > TG_MAX_TOLERANCE_NS / interval) {
		snprintf(why, whylen, "burst %llu at one SYN every %llu ns spans more than a century",
			 (unsigned long long)burst, (unsigned long long)interval);
		return -ERANGE;
	}
	if (rate->count > UINT32_MAX) {
		snprintf(why, whylen, "rate count %llu is too large",
			 (unsigned long long)rate->count);
		return -ERANGE;
	}
	*interval_ns = interval;
	*tolerance_ns = (burst - 1) * interval;
	return 0;
}

/* Each group's limit, checked as the interface's is. */
static int port_groups_to_config(const struct tg_limits *l, struct tg_config *cfg, char *why,
				 size_t whylen)
{
	char sub[160], ports[16];
	int g;

	for (g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_limit *pl = &l->groups[g];
		struct tg_port_group *pg = &cfg->port_groups[g];
		__u64 burst = pl->burst ? pl->burst : pl->rate.count;
		int err;

		if (!pl->hi)
			continue;
		err = tg_limit_check(&pl->rate, burst, &pg->interval_ns, &pg->tolerance_ns, sub,
				     sizeof(sub));
		if (err) {
			tg_port_range_format(pl, ports, sizeof(ports));
			snprintf(why, whylen, "port %s: %s", ports, sub);
			return err;
		}
		pg->rate_period_ns = pl->rate.period_ns;
		pg->rate_count = (__u32)pl->rate.count;
		pg->burst = (__u32)burst;
		pg->port_lo = pl->lo;
		pg->port_hi = pl->hi;
	}
	return 0;
}

int tg_limits_to_config(const struct tg_limits *l, struct tg_config *cfg, char *why,
			size_t whylen)
{
	__u64 burst = tg_limits_burst(l), interval, tolerance;
	__u32 new_sources = tg_limits_new_source_rate(l);
	int err;

	err = tg_limit_check(&l->rate, burst, &interval, &tolerance, why, whylen);
	if (err)
		return err;
	if (l->v4_prefix < 1 || l->v4_prefix > 32) {
		snprintf(why, whylen, "IPv4 prefix /%u is out of range 1-32", l->v4_prefix);
		return -ERANGE;
	}
	if (l->v6_prefix < 1 || l->v6_prefix > 128) {
		snprintf(why, whylen, "IPv6 prefix /%u is out of range 1-128", l->v6_prefix);
		return -ERANGE;
	}

	if (l->rst_budget < 1 || l->rst_budget > TG_MAX_RST_BUDGET) {
		snprintf(why, whylen, "RST budget %u is out of range 1-%u", l->rst_budget,
			 TG_MAX_RST_BUDGET);
		return -ERANGE;
	}
	if (l->log_budget < 1 || l->log_budget > TG_MAX_LOG_BUDGET) {
		snprintf(why, whylen, "log budget %u is out of range 1-%u", l->log_budget,
			 TG_MAX_LOG_BUDGET);
		return -ERANGE;
	}
	if (l->log_interval < 1 || l->log_interval > TG_MAX_LOG_INTERVAL) {
		snprintf(why, whylen, "log interval %u is out of range 1-%u", l->log_interval,
			 TG_MAX_LOG_INTERVAL);
		return -ERANGE;
	}

	if (l->syn_cookies > TG_COOKIES_AUTO) {
		snprintf(why, whylen, "SYN cookie mode %u is not off, on or auto", l->syn_cookies);
		return -EINVAL;
	}
	if (l->cookie_budget < 1 || l->cookie_budget > TG_MAX_COOKIE_BUDGET) {
		snprintf(why, whylen, "cookie budget %u is out of range 1-%u", l->cookie_budget,
			 TG_MAX_COOKIE_BUDGET);
		return -ERANGE;
	}
	if (l->new_source_rate > TG_MAX_NEW_SOURCE_RATE) {
		snprintf(why, whylen, "new-source rate %u is out of range 1-%u",
			 l->new_source_rate, TG_MAX_NEW_SOURCE_RATE);
		return -ERANGE;
	}

	memset(cfg, 0, sizeof(*cfg));
	err = port_groups_to_config(l, cfg, why, whylen);
	if (err)
		return err;
	cfg->interval_ns = interval;
	cfg->tolerance_ns = tolerance;
	cfg->v4_mask = tg_prefix_mask_v4(l->v4_prefix);
	tg_prefix_mask_v6(l->v6_prefix, cfg->v6_mask);
	cfg->flags = l->dry_run ? TG_F_DRY_RUN : 0;
	cfg->burst = (__u32)burst;
	cfg->rate_count = (__u32)l->rate.count;
	cfg->rate_period_ns = l->rate.period_ns;
	cfg->max_sources = l->max_sources;
	cfg->layout_version = TG_LAYOUT_VERSION;
	cfg->action = l->action.kind ? l->action.kind : TG_ACT_DROP;
	cfg->action_ifindex = l->action.kind == TG_ACT_REDIRECT ? l->action.ifindex : 0;
	cfg->v4_prefix = (__u8)l->v4_prefix;
	cfg->v6_prefix = (__u8)l->v6_prefix;
	cfg->rule_seq = l->rule_seq;
	/* A budget of N per second with a burst of N, as GCRA. */
	cfg->rst_interval_ns = TG_NSEC_PER_SEC / l->rst_budget;
	cfg->rst_tolerance_ns = (l->rst_budget - 1) * cfg->rst_interval_ns;
	cfg->log_interval_ns = (__u64)l->log_interval * TG_NSEC_PER_SEC;
	cfg->log_budget_interval_ns = TG_NSEC_PER_SEC / l->log_budget;
	cfg->log_budget_tolerance_ns = (l->log_budget - 1) * cfg->log_budget_interval_ns;
	cfg->cookie_mode = l->syn_cookies;
	cfg->cookie_budget = l->cookie_budget;
	cfg->cookie_interval_ns = TG_NSEC_PER_SEC / l->cookie_budget;
	cfg->cookie_tolerance_ns = (l->cookie_budget - 1) * cfg->cookie_interval_ns;
	cfg->new_source_rate = l->new_source_rate;
	cfg->newsrc_interval_ns = TG_NSEC_PER_SEC / new_sources;
	cfg->newsrc_tolerance_ns = (tg_new_source_burst(new_sources) - 1) * cfg->newsrc_interval_ns;
	return 0;
}

void tg_limits_from_config(const struct tg_config *cfg, struct tg_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->rate.count = cfg->rate_count;
	l->rate.period_ns = cfg->rate_period_ns;
	l->burst = cfg->burst;
	l->v4_prefix = mask_len(&cfg->v4_mask, 1);
	l->v6_prefix = mask_len(cfg->v6_mask, 4);
	l->dry_run = cfg->flags & TG_F_DRY_RUN;
	l->max_sources = cfg->max_sources;
	l->action.kind = cfg->action ? cfg->action : TG_ACT_DROP;
	l->action.ifindex = cfg->action_ifindex;
	l->rule_seq = cfg->rule_seq;
	l->rst_budget = cfg->rst_interval_ns ?
		(__u32)(cfg->rst_tolerance_ns / cfg->rst_interval_ns + 1) : TG_DEFAULT_RST_BUDGET;
	l->log_budget = cfg->log_budget_interval_ns ?
		(__u32)(cfg->log_budget_tolerance_ns / cfg->log_budget_interval_ns + 1) :
		TG_DEFAULT_LOG_BUDGET;
	l->log_interval = (__u32)(cfg->log_interval_ns / TG_NSEC_PER_SEC);
	l->syn_cookies = cfg->cookie_mode;
	l->cookie_budget = cfg->cookie_budget ? cfg->cookie_budget : TG_DEFAULT_COOKIE_BUDGET;
	l->new_source_rate = cfg->new_source_rate;
	for (int g = TG_PG_FIRST; g < TG_PORT_GROUPS; g++) {
		const struct tg_port_group *pg = &cfg->port_groups[g];

		if (!pg->interval_ns)
			continue;
		l->groups[g] = (struct tg_port_limit){
			.lo = pg->port_lo,
			.hi = pg->port_hi,
			.rate = { .count = pg->rate_count, .period_ns = pg->rate_period_ns },
			.burst = pg->burst,
		};
	}
}
