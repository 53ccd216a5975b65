// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* percpu.c - one element of a per-CPU map, every CPU's copy. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "percpu.h"

int tg_percpu_read(int map_fd, const void *key, size_t size, void **values)
{
	int ncpus = libbpf_num_possible_cpus();
	void *v;

	*values = NULL;
	if (ncpus < 0)
		return ncpus;
	if (size % 8)
		return -EINVAL;
	v = calloc((size_t)ncpus, size);
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, key, v)) {
		int err = -errno;

		free(v);
		return err;
	}
	*values = v;
	return ncpus;
}
