/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics_process.h - the process_* metrics every Prometheus client
 * library exports (names and units as client_golang's), read from
 * /proc/self, so the usual dashboards and alerts on memory, CPU and
 * file descriptors work on tidegate too.
 */
#ifndef TG_METRICS_PROCESS_H
#define TG_METRICS_PROCESS_H

#include <stdio.h>
#include <linux/types.h>

struct tg_proc {
	double cpu_s;        /* user + system */
	double start_time_s; /* since the epoch */
	__u64 rss_bytes, vsize_bytes;
	__u64 open_fds, max_fds;
};

/*
 * The fields of /proc/PID/stat that p takes (cpu_s, start_time_s,
 * rss_bytes, vsize_bytes), from its text: ticks and page_size are
 * sysconf's _SC_CLK_TCK and _SC_PAGESIZE, btime the boot time from
 * /proc/stat. The command name may hold spaces and parentheses: the
 * fields start after the last ')'. 0, or -EINVAL. Pure.
 */
int tg_proc_parse_stat(const char *text, long ticks, long page_size, __u64 btime,
		       struct tg_proc *p);

/* /proc/stat's "btime N" line: 0, or -EINVAL. Pure. */
int tg_proc_parse_btime(const char *text, __u64 *btime);

/* This process, now. 0 or -errno. */
int tg_proc_read(struct tg_proc *p);

/* The process_* families, in the text exposition format. */
void tg_proc_render(FILE *f, const struct tg_proc *p);

#endif /* TG_METRICS_PROCESS_H */
