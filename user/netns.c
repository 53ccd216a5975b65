// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* netns.c - the pin directory of this process's network namespace. */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "netns.h"
#include "tidegate.h"

/* The inode the kernel gives the initial network namespace since it
 * numbers initial namespaces statically (PROC_NET_INIT_INO); earlier
 * kernels number it like any other, and /proc/1 tells. */
#define NET_INIT_INO 0xEFFFFFF9U

static char base[64];
static char name[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool initial(const struct stat *self)
{
	struct stat init;

	if (!stat("/proc/1/ns/net", &init))
		return init.st_ino == self->st_ino && init.st_dev == self->st_dev;
	return self->st_ino == NET_INIT_INO;
}

/* The name `ip netns` gave the namespace self is, if any. */
static void find_name(const struct stat *self)
{
	DIR *d = opendir(TG_NETNS_RUN_DIR);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[sizeof(TG_NETNS_RUN_DIR) + 256 + 1];
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", TG_NETNS_RUN_DIR, e->d_name);
		if (!stat(path, &st) && st.st_ino == self->st_ino && st.st_dev == self->st_dev) {
			snprintf(name, sizeof(name), "%s", e->d_name);
			break;
		}
	}
	closedir(d);
}

static void find_base(void)
{
	struct stat self;

	/* Without /proc, nothing tells the namespaces apart: the root. */
	if (stat("/proc/self/ns/net", &self) || initial(&self)) {
		snprintf(base, sizeof(base), "%s", TG_PIN_ROOT);
		return;
	}
	snprintf(base, sizeof(base), "%s/netns:%llu", TG_PIN_ROOT,
		 (unsigned long long)self.st_ino);
	find_name(&self);
}

const char *tg_netns_name(void)
{
	pthread_once(&once, find_base);
	return name;
}

const char *tg_pin_base(void)
{
	pthread_once(&once, find_base);
	return base;
}
