// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xdp.c - attach and detach through libxdp. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "tidegate.skel.h"
#include "xdp.h"

#define TG_XDP_FUNC "tidegate_xdp"

const char *tg_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unknown";
	}
}

static bool is_ours(const struct xdp_program *p)
{
	return p && !strcmp(xdp_program__name(p), TG_XDP_FUNC);
}

/* Our program on the interface, or NULL; mp must be closed by caller. */
static struct xdp_program *find_prog(struct xdp_multiprog *mp)
{
	struct xdp_program *p;

	if (xdp_multiprog__is_legacy(mp))
		return is_ours(xdp_multiprog__main_prog(mp)) ? xdp_multiprog__main_prog(mp)
							     : NULL;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (is_ours(p))
			return p;
	return NULL;
}

int tg_xdp_find(int ifindex, struct tg_attached *att)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err = -ENOENT;

	if (libxdp_get_error(mp))
		return (int)libxdp_get_error(mp);
	p = find_prog(mp);
	if (p) {
		att->mode = xdp_multiprog__attach_mode(mp);
		att->prog_id = xdp_program__id(p);
		att->nr_programs = xdp_multiprog__is_legacy(mp) ?
					   1 : xdp_multiprog__program_count(mp);
		err = 0;
	}
	xdp_multiprog__close(mp);
	return err;
}

int tg_xdp_attach(struct tidegate_bpf *skel, int ifindex, enum xdp_attach_mode mode,
		  struct xdp_program **progp)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = skel->obj,
			    .prog_name = TG_XDP_FUNC);
	struct xdp_program *prog;
	int err;

	*progp = NULL;
	prog = xdp_program__create(&opts);
	err = (int)libxdp_get_error(prog);
	if (err)
		return err;
	tg_log_libbpf_reset();
	/* An explicit mode: libxdp falls back to skb only for UNSPEC. */
	err = xdp_program__attach(prog, ifindex, mode, 0);
	*progp = prog;
	return err;
}

int tg_prog_uses_map(__u32 prog_id, __u32 map_id)
{
	__u32 ids[64], len = sizeof(struct bpf_prog_info), i;
	struct bpf_prog_info info = {};
	int fd = bpf_prog_get_fd_by_id(prog_id), err = 0;

	if (fd < 0)
		return -errno;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	for (i = 0; i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == map_id)
			return 1;
	return 0;
}

int tg_xdp_detach(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err;

	err = (int)libxdp_get_error(mp);
	if (err)
		return err;
	p = find_prog(mp);
	if (!p)
		err = -ENOENT;
	else
		err = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	xdp_multiprog__close(mp);
	return err;
}
