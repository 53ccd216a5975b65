// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rescale.c - run bpf/rescale.bpf.c around a limit change. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cfgslots.h"
#include "log.h"
#include "rescale.h"
#include "rescale.skel.h"
#include "tidegate.h"

/* Rounded up, so a bucket's tokens are carried to within one part in
 * 2^32 of a token's time: a full bucket stays full at the same instant,
 * where rounding down would leave it a few ns short of its last token. */
static __u64 ratio_q32(__u64 num, __u64 den)
{
	unsigned __int128 q = (((unsigned __int128)num << 32) + den - 1) / den;

	return q > UINT64_MAX ? UINT64_MAX : (__u64)q;
}

__u64 tg_rescale_factor(const struct tg_gcra *from, const struct tg_gcra *to)
{
	__u64 by_interval = ratio_q32(to->interval_ns, from->interval_ns);
	__u64 by_cap = ratio_q32(to->interval_ns + to->tolerance_ns,
				 from->interval_ns + from->tolerance_ns);

	return by_interval < by_cap ? by_interval : by_cap;
}

static int run_pass(int prog_fd, struct tg_rescale *r, bool raise, struct tg_rescale_result *res)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = r, .ctx_size_in = sizeof(*r));
	__u64 now = r->now_ns;

	r->raise = raise;
	r->seen = r->changed = r->contended = 0;
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		int err = -errno;

		tg_err("rescale the buckets to the new limit: %s", strerror(-err));
		return err;
	}
	res->seen = r->seen;
	res->changed += r->changed;
	res->contended += r->contended;
	r->now_ns = now; /* 0 again, where the clock is read each pass */
	return 0;
}

/*
 * tg_rescale over tidegate's pinned tg_config_gen (gen_fd) and
 * tg_buckets (buckets_fd), or, with buckets_fd -1, tg_front_void alone:
 * no table made, nor tg_rescale loaded, which would take the verifier
 * most of the time a void is waited for. 0 or -errno (logged).
 */
static int rescale_load(int buckets_fd, int gen_fd, struct rescale_bpf **skelp)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	struct rescale_bpf *skel;
	int err;

	*skelp = NULL;
	if (buckets_fd >= 0 && bpf_obj_get_info_by_fd(buckets_fd, &info, &info_len)) {
		err = -errno;
		tg_err("read tg_buckets' size: %s", strerror(-err));
		return err;
	}
	skel = rescale_bpf__open();
	if (!skel) {
		err = -errno;
		tg_err("open the rescale program: %s", strerror(-err));
		return err;
	}
	if (buckets_fd >= 0)
		err = bpf_program__set_autoload(skel->progs.tg_front_void, false) ?:
		      bpf_map__set_max_entries(skel->maps.tg_buckets, info.max_entries) ?:
		      bpf_map__reuse_fd(skel->maps.tg_buckets, buckets_fd);
	else
		err = bpf_program__set_autoload(skel->progs.tg_rescale, false) ?:
		      bpf_map__set_autocreate(skel->maps.tg_buckets, false);
	err = err ?: bpf_map__reuse_fd(skel->maps.tg_config_gen, gen_fd) ?: rescale_bpf__load(skel);
	if (err) {
		tg_err("load the rescale program: %s", strerror(-err));
		rescale_bpf__destroy(skel);
		return err;
	}
	*skelp = skel;
	return 0;
}

int tg_rescale_change(int buckets_fd, int gen_fd, __u32 rule, __u32 group,
		      const struct tg_gcra *from, const struct tg_gcra *to, __u64 now_ns,
		      int (*apply)(void *arg), void *arg, struct tg_rescale_result *res)
{
	struct tg_rescale_result ignored;
	struct tg_rescale r = {
		.now_ns = now_ns,
		.old_cap_ns = from->interval_ns + from->tolerance_ns,
		.new_cap_ns = to->interval_ns + to->tolerance_ns,
		.rule = rule,
		.group = group,
	};
	struct rescale_bpf *skel;
	int err, prog_fd;

	if (!res)
		res = &ignored;
	memset(res, 0, sizeof(*res));
	if (!memcmp(from, to, sizeof(*from)) || !from->interval_ns)
		return apply(arg);
	r.factor_q32 = tg_rescale_factor(from, to);

	err = rescale_load(buckets_fd, gen_fd, &skel);
	if (err)
		return err;
	prog_fd = bpf_program__fd(skel->progs.tg_rescale);
	err = run_pass(prog_fd, &r, true, res);
	if (err)
		goto out;
	err = apply(arg);
	if (err)
		goto out;
	err = run_pass(prog_fd, &r, false, res);
	if (!err)
		tg_debug("limit change: %llu buckets, %llu rescaled, %llu left contended",
			 (unsigned long long)res->seen, (unsigned long long)res->changed,
			 (unsigned long long)res->contended);
out:
	rescale_bpf__destroy(skel);
	return err;
}

int tg_front_void(const int *gen_fds, int n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct rescale_bpf **skel = calloc(n > 0 ? n : 1, sizeof(*skel));
	int i, err = 0;

	if (!skel)
		return -ENOMEM;
	/* Loaded first, so that only the grace period lies between the
	 * caller's change and the epoch's move. */
	for (i = 0; i < n && !err; i++)
		err = rescale_load(-1, gen_fds[i], &skel[i]);
	/* Every packet that began before the wait has returned: none can
	 * stamp a slot from the old state with the epoch moved below. */
	if (!err)
		err = tg_bpf_quiesce();
	for (i = 0; i < n && !err; i++)
		if (bpf_prog_test_run_opts(bpf_program__fd(skel[i]->progs.tg_front_void), &opts))
			err = -errno;
	if (err)
		tg_err("void the front slots: %s", strerror(-err));
	for (i = 0; i < n; i++)
		rescale_bpf__destroy(skel[i]);
	free(skel);
	return err;
}
