// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log.c - levelled logging and the libbpf/libxdp print hooks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static int verbosity;
static bool journal;

/* sd-daemon priorities of our levels */
static const int syslog_level[] = { 3, 4, 6, 7 };

void tg_log_set_journal(bool on)
{
	journal = on;
}

bool tg_log_journal(void)
{
	return journal;
}

/* The last lines libbpf printed, for a short verifier verdict. */
#define KEPT_LINES 8
static char kept[KEPT_LINES][256];
static unsigned int kept_next;

void tg_log(enum tg_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	char line[1024];
	va_list ap;
	int n;

	if ((int)level > verbosity + (journal ? TG_LOG_INFO : TG_LOG_WARN))
		return;
	/* One write per line, so lines of several threads never mix. */
	if (journal)
		n = snprintf(line, sizeof(line), "<%d>%s", syslog_level[level], prefix[level]);
	else
		n = snprintf(line, sizeof(line), "tidegate: %s", prefix[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	strcat(line, "\n");
	fputs(line, stderr);
}

static void keep_line(const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!n)
		return;
	memcpy(kept[kept_next % KEPT_LINES], line, n + 1);
	kept_next++;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	if (level == LIBBPF_WARN)
		keep_line(fmt, copy);
	va_end(copy);
	/* libbpf and libxdp warn about recoverable things (probing old
	 * kernels, the .xdp_run_config section); show them with -v. */
	if ((level == LIBBPF_WARN && verbosity >= 1) ||
	    (level == LIBBPF_INFO && verbosity >= 2) ||
	    (level == LIBBPF_DEBUG && verbosity >= 3)) {
		if (journal) {
			char line[1024];

			vsnprintf(line, sizeof(line), fmt, ap);
			return fprintf(stderr, "<%d>%s", level == LIBBPF_WARN ? 4 : 7, line);
		}
		return vfprintf(stderr, fmt, ap);
	}
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return libbpf_print((enum libbpf_print_level)level, fmt, ap);
}

void tg_log_init(int v)
{
	verbosity = v;
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void tg_log_libbpf_reset(void)
{
	kept_next = 0;
	memset(kept, 0, sizeof(kept));
}

const char *tg_log_verifier_summary(void)
{
	unsigned int i;

	/* The verifier's log ends with the failing instruction's complaint,
	 * then libbpf's own lines ("-- END PROG LOAD LOG --", "failed to
	 * load program"). Report the last line that is not libbpf's. */
	for (i = 1; i <= KEPT_LINES && i <= kept_next; i++) {
		const char *l = kept[(kept_next - i) % KEPT_LINES];

		if (strncmp(l, "libbpf:", 7) && strncmp(l, "libxdp:", 7) &&
		    !strstr(l, "END PROG LOAD LOG") && !strstr(l, "processed "))
			return l;
	}
	return NULL;
}
