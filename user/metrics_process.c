// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* metrics_process.c - process_* metrics from /proc/self. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics_process.h"
#include "numfmt.h"

int tg_proc_parse_stat(const char *text, long ticks, long page_size, __u64 btime,
		       struct tg_proc *p)
{
	unsigned long long utime, stime, start, vsize;
	long long rss;
	const char *f = strrchr(text, ')');

	if (!f || ticks <= 0 || page_size <= 0)
		return -EINVAL;
	/* After ")": state (3) ... utime (14), stime (15), ...,
	 * starttime (22), vsize (23), rss (24). */
	if (sscanf(f + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d"
		   " %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return -EINVAL;
	p->cpu_s = (double)(utime + stime) / (double)ticks;
	p->start_time_s = (double)btime + (double)start / (double)ticks;
	p->vsize_bytes = vsize;
	p->rss_bytes = rss > 0 ? (__u64)rss * (__u64)page_size : 0;
	return 0;
}

int tg_proc_parse_btime(const char *text, __u64 *btime)
{
	const char *l = text;
	unsigned long long v;

	for (; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, "btime ", 6) && sscanf(l + 6, "%llu", &v) == 1) {
			*btime = v;
			return 0;
		}
	return -EINVAL;
}

/* A small /proc file whole, NUL-terminated: 0 or -errno. */
static int slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return err;
}

static int count_fds(__u64 *n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	__u64 c = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			c++;
	closedir(d);
	*n = c ? c - 1 : 0; /* not the directory's own */
	return 0;
}

int tg_proc_read(struct tg_proc *p)
{
	/* /proc/stat has a line per CPU before btime: room for many. */
	static char buf[65536];
	struct rlimit rl;
	__u64 btime;
	int err;

	memset(p, 0, sizeof(*p));
	if ((err = slurp("/proc/stat", buf, sizeof(buf))) || (err = tg_proc_parse_btime(buf, &btime)))
		return err;
	if ((err = slurp("/proc/self/stat", buf, sizeof(buf))) ||
	    (err = tg_proc_parse_stat(buf, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), btime, p)))
		return err;
	if ((err = count_fds(&p->open_fds)))
		return err;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	p->max_fds = rl.rlim_cur;
	return 0;
}

static void one(FILE *f, const char *name, const char *type, const char *help, double v)
{
	char num[TG_NUM_MAX];

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, type, name,
		tg_num_format(v, num));
}

void tg_proc_render(FILE *f, const struct tg_proc *p)
{
	one(f, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
	    p->cpu_s);
	one(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
	    (double)p->rss_bytes);
	one(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
	    (double)p->vsize_bytes);
	one(f, "process_open_fds", "gauge", "Number of open file descriptors.", (double)p->open_fds);
	one(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
	    (double)p->max_fds);
	one(f, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.", p->start_time_s);
}
