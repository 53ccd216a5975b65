// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* attach.c - maps first, then the program: shared by attach and run. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "cookie_facts.h"
#include "live.h"
#include "log.h"
#include "output.h"
#include "tc.h"
#include "tidegate.skel.h"

int tg_parse_mode(const char *text, enum xdp_attach_mode *mode)
{
	if (!strcmp(text, "native") || !strcmp(text, "drv"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(text, "skb") || !strcmp(text, "generic"))
		*mode = XDP_MODE_SKB;
	else
		return -EINVAL;
	return 0;
}

static int explain_attach_failure(const char *ifname, enum xdp_attach_mode mode, int err)
{
	const char *verifier = tg_log_verifier_summary();

	if (err == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
		return tg_fail(TG_EXIT_FAIL, "%s: the driver has no native XDP; attach with --mode skb",
			       ifname);
	if (err == -EBUSY || err == -EEXIST)
		return tg_fail(TG_EXIT_FAIL, "%s: another XDP program holds the interface in a way "
				       "libxdp cannot share (%s); see 'xdp-loader status %s'",
			       ifname, strerror(-err), ifname);
	if ((err == -EACCES || err == -EINVAL) && verifier)
		return tg_fail(TG_EXIT_FAIL, "%s: the kernel rejected the XDP program: %s "
				       "(run with -vv for the verifier's log)", ifname, verifier);
	return tg_fail(TG_EXIT_FAIL, "%s: attaching the XDP program in %s mode: %s", ifname,
		       tg_mode_name(mode), strerror(-err));
}

/* Explain why IFACE's pinned maps cannot be used. */
static int refuse_pins(const char *ifname, int err)
{
	char dir[256];

	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	if (err == -EPROTO)
		return tg_fail(TG_EXIT_FAIL, "%s: the maps pinned at %s have another layout (made by "
				       "another tidegate version); refusing to touch them: detach "
				       "with that version, or remove %s", ifname, dir, dir);
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate is attached but its maps are not pinned "
				       "at %s; run 'tidegate detach %s', then start again",
			       ifname, dir, ifname);
	return tg_fail(TG_EXIT_FAIL, "%s: opening the maps pinned at %s: %s", ifname, dir,
		       strerror(-err));
}

/* Open and check the pins, and the config's layout. */
static int open_pinned(const char *ifname, struct tg_maps *m, struct tg_limits *old)
{
	int err = tg_maps_open(ifname, m);

	if (!err) {
		err = tg_live_read(m, old);
		if (err)
			tg_maps_close(m);
	}
	return err;
}

/* The program runs but its maps are not all pinned (an older tidegate
 * killed between attach and pin, pins removed by hand): pin the maps it
 * uses again, then open them as any pins. */
static int repin_running(const char *ifname, __u32 prog_id, struct tg_maps *m,
			 struct tg_limits *old)
{
	struct tg_maps running;
	int err = tg_maps_of_prog(prog_id, &running);

	if (!err) {
		err = tg_maps_pin_fds(ifname, &running);
		tg_maps_close(&running);
	}
	if (err)
		return err;
	tg_warn("%s: pinned again the maps of the running program (prog %u), which had lost "
		"their pins", ifname, prog_id);
	return open_pinned(ifname, m, old);
}

static __u32 pinned_max_entries(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* What the pinned maps can keep of l: the table size is fixed at creation. */
static void keep_table_size(const char *ifname, struct tg_limits *l, __u32 pinned)
{
	if (pinned && l->max_sources != pinned) {
		tg_warn("%s: keeping the pinned table of %u sources (max-sources %u needs "
			"'tidegate detach %s' first, which forgets every bucket)",
			ifname, pinned, l->max_sources, ifname);
		l->max_sources = pinned;
	}
}

/*
 * Put the TC program that completes cookie handshakes at the interface's
 * ingress (prog_fd < 0: keep the one there, if any), and tell the XDP
 * program whether it may send cookies. A
 * failure leaves cookies off, not the attach undone: rate limiting
 * works without them.
 */
static void attach_handshake(const char *ifname, int ifindex, int prog_fd,
			     const struct tg_maps *m)
{
	bool ready = false;
	__u32 id;
	int err;

	if (prog_fd < 0) {
		ready = !tg_tc_find(ifindex, &id);
	} else {
		err = tg_tc_attach(ifindex, prog_fd);
		if (err)
			tg_warn("%s: attaching the TC ingress program for SYN cookies: %s; "
				"cookies stay off", ifname, strerror(-err));
		ready = !err;
	}
	err = tg_cookies_write_facts(m, ifname, ready);
	if (err)
		tg_warn("%s: writing the SYN cookie settings: %s; cookies stay off", ifname,
			strerror(-err));
}

/* Make new maps, without loading the program: a second skeleton whose
 * program is not loaded gives BTF-typed maps that bpftool can print. */
static int create_maps(__u32 max_sources, struct tidegate_bpf **out)
{
	struct tidegate_bpf *skel = tidegate_bpf__open();
	int err;

	*out = NULL;
	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.tg_buckets, max_sources);
	if (!err)
		err = bpf_program__set_autoload(skel->progs.tidegate_xdp, false);
	if (!err)
		err = bpf_program__set_autoload(skel->progs.tidegate_tc, false);
	if (!err)
		err = tidegate_bpf__load(skel);
	if (err) {
		tidegate_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

int tg_attach_iface(const struct tg_attach_req *req, struct tg_maps *m,
		    struct tg_attach_res *res)
{
	struct tidegate_bpf *maps_skel = NULL, *skel = NULL;
	struct xdp_program *prog = NULL;
	const char *ifname = req->ifname;
	struct tg_limits l = *req->limits, old;
	struct tg_maps held;
	bool pinned_by_us = false, attached_by_us = false;
	int err, ret = TG_EXIT_FAIL;

	tg_maps_init(&held);
	tg_maps_init(m);
	memset(res, 0, sizeof(*res));

	if (!tg_xdp_find(req->ifindex, &res->att)) {
		if (!req->reuse)
			return tg_fail(TG_EXIT_FAIL, "%s: tidegate is already attached (%s mode); change "
					       "limits with 'tidegate set %s' or run 'tidegate detach %s' first",
				       ifname, tg_mode_name(res->att.mode), ifname, ifname);
		/* Running already: adopt it, its buckets and all. */
		err = open_pinned(ifname, &held, &old);
		if (err == -ENOENT)
			err = repin_running(ifname, res->att.prog_id, &held, &old);
		if (err)
			return refuse_pins(ifname, err);
		if (res->att.mode != req->mode)
			tg_warn("%s: attached in %s mode, not %s; detach to change the mode", ifname,
				tg_mode_name(res->att.mode), tg_mode_name(req->mode));
		keep_table_size(ifname, &l, pinned_max_entries(held.buckets));
		err = tg_live_write(&held, &l, &old);
		if (err) {
			tg_maps_close(&held);
			return tg_fail(TG_EXIT_FAIL, "%s: writing the config: %s", ifname,
				       strerror(-err));
		}
		/* Its TC program, if that attach put one there. */
		attach_handshake(ifname, req->ifindex, -1, &held);
		res->reused = res->was_attached = true;
		*m = held;
		return TG_EXIT_OK;
	}

	if (tg_pins_exist(ifname)) {
		err = req->reuse ? open_pinned(ifname, &held, &old) : -ENOENT;
		if (err == -ENOENT) {
			/* No program, and the maps are not all there: what an
			 * attach or detach interrupted half-way leaves, or what a
			 * plain attach starts afresh from. No program ran with
			 * them since, as pins come before the program. */
			tg_warn("%s: removing %s left without a program", ifname,
				req->reuse ? "incomplete pins" : "maps pinned by an earlier attach");
			tg_maps_unpin(ifname);
		} else if (err) {
			return refuse_pins(ifname, err);
		} else {
			keep_table_size(ifname, &l, pinned_max_entries(held.buckets));
			res->reused = true;
		}
	}

	if (!res->reused) {
		err = create_maps(l.max_sources, &maps_skel);
		if (!err)
			err = tg_maps_of_obj(maps_skel->obj, &held);
		if (err) {
			tidegate_bpf__destroy(maps_skel);
			return tg_fail(TG_EXIT_FAIL, "%s: creating the maps (%u sources): %s", ifname,
				       l.max_sources, strerror(-err));
		}
	}
	/* Configured before attach: the program never runs half set up. */
	err = tg_live_write(&held, &l, res->reused ? &old : NULL);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: writing the config: %s", ifname, strerror(-err));
		goto out;
	}
	if (!res->reused && req->fill)
		req->fill(req->fill_ctx, ifname, &held, &l);
	/*
	 * Pinned before the program is attached: a process killed at any
	 * point leaves either no program (and pins, complete or not, that
	 * the next attach or run takes or removes) or the program with all
	 * its maps pinned, which the next run adopts. Never a program whose
	 * maps nobody can find. From here a failure takes back what this
	 * call made, and only that: the pins it made (pins it reused hold
	 * buckets it must not lose) and the program it attached.
	 */
	if (!res->reused) {
		pinned_by_us = true; /* even a partial pin: the directory is ours */
		err = tg_maps_pin(maps_skel->obj, ifname);
		if (err) {
			ret = tg_fail(TG_EXIT_FAIL, "%s: pinning the maps: %s", ifname,
				      strerror(-err));
			goto undo;
		}
	}

	skel = tidegate_bpf__open();
	if (!skel) {
		ret = tg_fail(TG_EXIT_FAIL, "opening the embedded BPF object: %s", strerror(errno));
		goto undo;
	}
	err = bpf_map__set_max_entries(skel->maps.tg_buckets, l.max_sources);
	if (!err && !tg_tc_supported())
		err = bpf_program__set_autoload(skel->progs.tidegate_tc, false);
	if (!err)
		err = tg_maps_reuse(skel->obj, &held);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: handing the maps to the program: %s", ifname,
			      strerror(-err));
		goto undo;
	}
	err = tg_xdp_attach(skel, req->ifindex, req->mode, &prog);
	if (err) {
		ret = explain_attach_failure(ifname, req->mode, err);
		goto undo;
	}
	attached_by_us = true;
	if (tg_xdp_find(req->ifindex, &res->att)) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: the program vanished right after attach", ifname);
		attached_by_us = false;
		goto undo;
	}
	err = tg_maps_open(ifname, m);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: reopening the pinned maps: %s; detached the "
				      "program%s", ifname, strerror(-err),
			      pinned_by_us ? " and removed its pins" : "");
		goto undo;
	}
	attach_handshake(ifname, req->ifindex,
			 bpf_program__autoload(skel->progs.tidegate_tc) ?
				 bpf_program__fd(skel->progs.tidegate_tc) : -1, m);
	ret = TG_EXIT_OK;
	goto out;
undo:
	err = attached_by_us ? xdp_program__detach(prog, req->ifindex, req->mode, 0) : 0;
	if (err && err != -ENOENT)
		tg_warn("%s: detaching the program again: %s; see 'tidegate status'", ifname,
			strerror(-err));
	if (pinned_by_us && (err = tg_maps_unpin(ifname)))
		tg_warn("%s: removing the pins again: %s; 'tidegate detach %s' removes them",
			ifname, strerror(-err), ifname);
out:
	if (res->reused)
		tg_maps_close(&held);
	tidegate_bpf__destroy(skel);
	xdp_program__close(prog);
	tidegate_bpf__destroy(maps_skel);
	return ret;
}

int tg_detach_iface(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);
	int err = 0, e;

	if (ifindex) {
		e = tg_xdp_detach(ifindex);
		if (e && e != -ENOENT)
			err = e;
		e = tg_tc_detach(ifindex);
		if (e && !err)
			err = e;
	}
	e = tg_maps_unpin(ifname);
	if (e && !err)
		err = e;
	return err;
}
