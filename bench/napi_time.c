// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* napi_time.c - the receiver's own time per frame (napi_time.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "napi_time.h"
#include "napi_time.skel.h"
#include "percpu.h"
#include "tidegate.h"

int napi_time_open(int ifindex, struct napi_time_bpf **skelp)
{
	struct napi_time_bpf *skel;
	struct stat ns;
	int err;

	*skelp = NULL;
	if (stat("/proc/self/ns/net", &ns))
		return -errno;
	skel = napi_time_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->target_ifindex = ifindex;
	skel->rodata->target_netns = (__u32)ns.st_ino;
	err = napi_time_bpf__load(skel) ?: napi_time_bpf__attach(skel);
	if (err) {
		napi_time_bpf__destroy(skel);
		return err;
	}
	*skelp = skel;
	return 0;
}

int napi_time_read(struct napi_time_bpf *skel, struct napi_sum *sum)
{
	struct tg_napi_time *v;
	__u32 zero = 0;
	int ncpus, i;

	*sum = (struct napi_sum){ 0 };
	ncpus = tg_percpu_read(bpf_map__fd(skel->maps.napi_time), &zero, sizeof(*v), (void **)&v);
	if (ncpus < 0)
		return ncpus;
	for (i = 0; i < ncpus; i++) {
		sum->ns += v[i].ns;
		sum->polls += v[i].polls;
		sum->frames += v[i].frames;
		sum->full_polls += v[i].full_polls;
	}
	free(v);
	return 0;
}

void napi_time_close(struct napi_time_bpf *skel)
{
	napi_time_bpf__destroy(skel);
}
