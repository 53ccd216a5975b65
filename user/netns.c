// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* netns.c - the pin directory of this process's network namespace. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include "netns.h"
#include "tidegate.h"

/* The inode the kernel gives the initial network namespace since it
 * numbers initial namespaces statically (PROC_NET_INIT_INO); earlier
 * kernels number it like any other, and /proc/1 tells. */
#define NET_INIT_INO 0xEFFFFFF9U

static char base[64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool initial(const struct stat *self)
{
	struct stat init;

	if (!stat("/proc/1/ns/net", &init))
		return init.st_ino == self->st_ino && init.st_dev == self->st_dev;
	return self->st_ino == NET_INIT_INO;
}

static void find_base(void)
{
	struct stat self;

	/* Without /proc, nothing tells the namespaces apart: the root. */
	if (stat("/proc/self/ns/net", &self) || initial(&self))
		snprintf(base, sizeof(base), "%s", TG_PIN_ROOT);
	else
		snprintf(base, sizeof(base), "%s/netns:%llu", TG_PIN_ROOT,
			 (unsigned long long)self.st_ino);
}

const char *tg_pin_base(void)
{
	pthread_once(&once, find_base);
	return base;
}
