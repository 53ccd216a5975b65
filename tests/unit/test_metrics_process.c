// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_metrics_process.c - the process_* metrics from /proc texts. */
#include <time.h>
#include <unistd.h>

#include "metrics_process.h"
#include "tap.h"

/* A real line's shape, with a command name made to trip a naive parser. */
static const char stat_line[] =
	"4242 (tide gate) (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 3 0 "
	"360000 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

static const char proc_stat[] = "cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\n"
				"intr 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 5\n";

int main(void)
{
	struct tg_proc p = {};
	__u64 btime = 0;

	tap_is(tg_proc_parse_btime(proc_stat, &btime), 0, "btime found");
	tap_is(btime, 1700000000, "  its value");
	tap_ok(tg_proc_parse_btime("cpu 1 2\nctxt 3\n", &btime) < 0, "no btime: an error");
	tap_is(tg_proc_parse_stat(stat_line, 100, 4096, btime, &p), 0,
	       "a name with spaces and parentheses parses");
	tap_ok(p.cpu_s == 3.25, "cpu: (250 + 75) ticks of 1/100 s = 3.25 s (%g)", p.cpu_s);
	tap_ok(p.start_time_s == 1700003600, "start: btime + 360000 ticks = +3600 s (%f)",
	       p.start_time_s);
	tap_is(p.vsize_bytes, 123456789, "virtual memory in bytes");
	tap_is(p.rss_bytes, 2048ULL * 4096, "resident: 2048 pages of 4 KiB");
	tap_ok(tg_proc_parse_stat("4242 (trunc", 100, 4096, btime, &p) < 0, "no ')': an error");
	tap_ok(tg_proc_parse_stat("4242 (x) S 1 2", 100, 4096, btime, &p) < 0,
	       "too few fields: an error");
	/* And this process, for real. */
	tap_is(tg_proc_read(&p), 0, "this process' /proc reads");
	tap_ok(p.open_fds >= 3 && p.open_fds < p.max_fds, "  open fds %llu, under max %llu",
	       (unsigned long long)p.open_fds, (unsigned long long)p.max_fds);
	tap_ok(p.rss_bytes > 0 && p.vsize_bytes >= p.rss_bytes, "  resident %llu <= virtual %llu",
	       (unsigned long long)p.rss_bytes, (unsigned long long)p.vsize_bytes);
	tap_ok(p.start_time_s > 1600000000 && p.start_time_s <= (double)time(NULL) + 1,
	       "  started after 2020 and not in the future (%f)", p.start_time_s);
	return tap_done();
}
