/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * percpu.h - one element of a per-CPU map, every CPU's copy.
 */
#ifndef TG_PERCPU_H
#define TG_PERCPU_H

#include <stddef.h>

/*
 * Look up KEY in the per-CPU map MAP_FD, whose values are SIZE bytes (a
 * multiple of 8, as the kernel lays each CPU's copy out): *VALUES gets
 * an array of one copy per possible CPU, for the caller to free(). The
 * number of CPUs, or -errno (then *VALUES is NULL).
 */
int tg_percpu_read(int map_fd, const void *key, size_t size, void **values);

#endif /* TG_PERCPU_H */
