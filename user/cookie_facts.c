// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cookie_facts.c - the host facts behind SYN cookies (cookie_facts.h). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cfgslots.h"
#include "cookie_facts.h"
#include "limits.h"
#include "log.h"
#include "tc.h"

#define TCP_MAX_WSCALE 14

/* A sysctl's first (or nth) number; def when it cannot be read. */
static unsigned long long sysctl_num(const char *path, int nth, unsigned long long def)
{
	unsigned long long v[3] = { def, def, def };
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return def;
	n = fscanf(f, "%llu %llu %llu", &v[0], &v[1], &v[2]);
	fclose(f);
	return n > nth ? v[nth] : def;
}

static int ifmtu(const char *ifname, unsigned int *mtu)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		err = -errno;
	else
		*mtu = (unsigned int)ifr.ifr_mtu;
	close(fd);
	return err;
}

/* The shift Linux's tcp_select_initial_window chooses. */
static __u8 kernel_wscale(void)
{
	unsigned long long space = sysctl_num("/proc/sys/net/ipv4/tcp_rmem", 2, 6291456);
	unsigned long long rmem_max = sysctl_num("/proc/sys/net/core/rmem_max", 0, 212992);
	int log2 = 0;

	if (rmem_max > space)
		space = rmem_max;
	while (space >> (log2 + 1))
		log2++;
	log2 -= 15;
	return (__u8)(log2 < 0 ? 0 : log2 > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : log2);
}

static __u16 mss_of(unsigned int mtu, unsigned int headers)
{
	return (__u16)(mtu > headers + 536 ? (mtu - headers > 65535 ? 65535 : mtu - headers)
					   : 536);
}

void tg_cookies_sysctls(struct tg_config *cfg, bool tc_ready)
{
	cfg->cookie_wscale = kernel_wscale();
	cfg->cookie_opts = 0;
	if (sysctl_num("/proc/sys/net/ipv4/tcp_timestamps", 0, 1))
		cfg->cookie_opts |= TG_COPT_TS;
	if (sysctl_num("/proc/sys/net/ipv4/tcp_sack", 0, 1))
		cfg->cookie_opts |= TG_COPT_SACK;
	if (sysctl_num("/proc/sys/net/ipv4/tcp_window_scaling", 0, 1))
		cfg->cookie_opts |= TG_COPT_WS;
	/* The kernel takes a cookie socket only with tcp_syncookies on. */
	if (tc_ready)
		cfg->cookie_opts |= TG_COPT_TC;
	if (tc_ready && sysctl_num("/proc/sys/net/ipv4/tcp_syncookies", 0, 1))
		cfg->cookie_opts |= TG_COPT_READY;
}

int tg_cookies_facts(const char *ifname, bool tc_ready, struct tg_config *cfg)
{
	unsigned int mtu = 1500;
	int err;

	if (!cfg->cookie_key[0] && !cfg->cookie_key[1] &&
	    getrandom(cfg->cookie_key, sizeof(cfg->cookie_key), 0) != sizeof(cfg->cookie_key))
		return -errno;
	err = ifmtu(ifname, &mtu);
	if (err)
		tg_warn("%s: reading the MTU for SYN cookies: %s; assuming 1500", ifname,
			strerror(-err));
	cfg->cookie_mss4 = mss_of(mtu, 40);
	cfg->cookie_mss6 = mss_of(mtu, 60);
	tg_cookies_sysctls(cfg, tc_ready);
	return 0;
}

int tg_cookies_write_facts(const struct tg_maps *m, const char *ifname, bool tc_ready)
{
	struct tg_config cfg;
	int err;

	err = tg_config_read(m->config, m->config_gen, &cfg);
	if (err)
		return err;
	err = tg_cookies_facts(ifname, tc_ready, &cfg);
	if (err)
		return err;
	return tg_config_write(m->config, m->config_gen, &cfg);
}

void tg_cookies_keep_facts(struct tg_config *to, const struct tg_config *from)
{
	memcpy(to->cookie_key, from->cookie_key, sizeof(to->cookie_key));
	to->cookie_mss4 = from->cookie_mss4;
	to->cookie_mss6 = from->cookie_mss6;
	to->cookie_wscale = from->cookie_wscale;
	to->cookie_opts = from->cookie_opts;
}

const char *tg_cookies_unready_reason(const struct tg_config *cfg)
{
	if (cfg->cookie_mode == TG_COOKIES_OFF)
		return NULL;
	if (cfg->flags & TG_F_DRY_RUN)
		return "dry run: nothing is answered";
	if (cfg->cookie_opts & TG_COPT_READY)
		return NULL;
	if (!tg_tc_supported())
		return "fallback: the kernel lacks bpf_sk_assign_tcp_reqsk (Linux 6.9+): SYNs go to the "
		       "kernel, whose own SYN cookies answer floods";
	if (!sysctl_num("/proc/sys/net/ipv4/tcp_syncookies", 0, 1))
		return "fallback: net.ipv4.tcp_syncookies is 0: the kernel would refuse the cookie sockets";
	return "fallback: the TC ingress program is not attached";
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

struct json_object *tg_cookies_status_json(const struct tg_maps *m, int ifindex)
{
	struct json_object *o = json_object_new_object();
	struct tg_config cfg;
	struct tg_state st = { 0 };
	const char *unready, *in_force;
	__u32 zero = 0, tc_id = 0;
	__u64 now = mono_ns();
	__u32 rate;
	char why[256];

	int err = tg_config_read(m->config, m->config_gen, &cfg);

	if (err) {
		json_object_object_add(o, "error", json_object_new_string(strerror(-err)));
		return o;
	}
	bpf_map_lookup_elem(m->state, &zero, &st);
	rate = cfg.newsrc_interval_ns ? (__u32)(1000000000ULL / cfg.newsrc_interval_ns) : 0;
	unready = tg_cookies_unready_reason(&cfg);
	if (cfg.cookie_mode == TG_COOKIES_OFF) {
		in_force = "off";
		snprintf(why, sizeof(why), "manual: --syn-cookies off");
	} else if (unready) {
		in_force = "off";
		snprintf(why, sizeof(why), "%s", unready);
	} else if (cfg.cookie_mode == TG_COOKIES_ON) {
		in_force = "on";
		snprintf(why, sizeof(why), "manual: --syn-cookies on");
	} else if (st.auto_until_ns > now) {
		in_force = "on";
		snprintf(why, sizeof(why),
			 "auto: new sources came faster than %u/second; on for %.0f s, until they "
			 "stay under it for %.0f s", rate, (double)(now - st.auto_since_ns) / 1e9,
			 (double)(st.auto_until_ns - now) / 1e9);
		json_object_object_add(o, "tripped_s_ago",
				       json_object_new_double((double)(now - st.auto_since_ns) / 1e9));
	} else {
		in_force = "off";
		snprintf(why, sizeof(why), "auto: new sources within %u/second", rate);
	}
	json_object_object_add(o, "mode", json_object_new_string(tg_cookie_mode_name(cfg.cookie_mode)));
	json_object_object_add(o, "in_force", json_object_new_string(in_force));
	json_object_object_add(o, "why", json_object_new_string(why));
	json_object_object_add(o, "new_source_rate", json_object_new_int64(rate));
	json_object_object_add(o, "handshake",
			       json_object_new_string(!tg_tc_find(ifindex, &tc_id)
							      ? "tc ingress, bpf_sk_assign_tcp_reqsk"
							      : "none: cookies stay off"));
	if (tc_id)
		json_object_object_add(o, "tc_prog_id", json_object_new_int64(tc_id));
	return o;
}
