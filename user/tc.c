// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tc.c - the TC ingress filter through libbpf's bpf_tc_* calls. */
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tc.h"

/* "tg" and a priority high enough to run before most filters. */
#define TG_TC_HANDLE   0x7467
#define TG_TC_PRIORITY 1

bool tg_tc_supported(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool found;

	if (libbpf_get_error(vmlinux))
		return false;
	found = btf__find_by_name_kind(vmlinux, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

int tg_tc_attach(int ifindex, int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TG_TC_HANDLE,
			    .priority = TG_TC_PRIORITY, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int tg_tc_detach(int ifindex)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TG_TC_HANDLE,
			    .priority = TG_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &opts);

	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int tg_tc_find(int ifindex, __u32 *prog_id)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TG_TC_HANDLE,
			    .priority = TG_TC_PRIORITY);
	int err = bpf_tc_query(&hook, &opts);

	if (err)
		return err == -EINVAL ? -ENOENT : err;
	*prog_id = opts.prog_id;
	return 0;
}
