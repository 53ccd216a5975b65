// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_attach.c - tidegate attach and tidegate set. */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "commands.h"
#include "iface.h"
#include "limit_opts.h"
#include "live.h"
#include "log.h"
#include "output.h"
#include "tidegate.skel.h"
#include "xdp.h"

static int parse_mode(const struct tg_cmdline *cl, enum xdp_attach_mode *mode)
{
	const char *m = cl->set[OPT_MODE] ? cl->val[OPT_MODE] : "native";

	if (!strcmp(m, "native") || !strcmp(m, "drv"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(m, "skb") || !strcmp(m, "generic"))
		*mode = XDP_MODE_SKB;
	else
		return tg_fail(TG_EXIT_USAGE, "--mode '%s': expected native or skb", m);
	return 0;
}

/* Print the limits in force, read back from the maps, not from argv. */
static int print_effective(const char *ifname, const struct tg_maps *m,
			   const struct tg_attached *att)
{
	struct json_object *o;
	struct tg_limits l;
	int err;

	err = tg_live_read(m, &l);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: reading back the config: %s", ifname,
			       strerror(-err));
	o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	if (att) {
		json_object_object_add(o, "mode", json_object_new_string(tg_mode_name(att->mode)));
		json_object_object_add(o, "prog_id", json_object_new_int64(att->prog_id));
	}
	json_object_object_add(o, "limits", tg_limits_json(&l));
	tg_out_print(o);
	return TG_EXIT_OK;
}

static void maps_of(struct tidegate_bpf *skel, struct tg_maps *m)
{
	m->buckets = bpf_map__fd(skel->maps.tg_buckets);
	m->config = bpf_map__fd(skel->maps.tg_config);
	m->ports = bpf_map__fd(skel->maps.tg_ports);
	m->stats = bpf_map__fd(skel->maps.tg_stats);
	m->rules = bpf_map__fd(skel->maps.tg_rules);
	m->state = bpf_map__fd(skel->maps.tg_state);
	m->redirect = bpf_map__fd(skel->maps.tg_redirect);
	m->flows = bpf_map__fd(skel->maps.tg_flows);
	m->log = bpf_map__fd(skel->maps.tg_log);
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

static int attach_locked(const char *ifname, int ifindex, enum xdp_attach_mode mode,
			 const struct tg_limits *l)
{
	struct xdp_program *prog = NULL;
	struct tidegate_bpf *skel;
	struct tg_attached att;
	struct tg_maps m;
	int err, ret;

	if (!tg_xdp_find(ifindex, &att))
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate is already attached (%s mode); change "
				       "limits with 'tidegate set %s' or run 'tidegate detach %s' first",
			       ifname, tg_mode_name(att.mode), ifname, ifname);
	if (tg_pins_exist(ifname)) {
		tg_warn("%s: removing maps pinned by an earlier attach whose program is gone",
			ifname);
		tg_maps_unpin(ifname);
	}

	skel = tidegate_bpf__open();
	if (!skel)
		return tg_fail(TG_EXIT_FAIL, "opening the embedded BPF object: %s", strerror(errno));
	err = bpf_map__set_max_entries(skel->maps.tg_buckets, l->max_sources);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "sizing the source table: %s", strerror(-err));
		goto out;
	}
	err = tg_xdp_attach(skel, ifindex, mode, &prog);
	if (err) {
		ret = explain_attach_failure(ifname, mode, err);
		goto out;
	}
	/* Until the ports map is written nothing is limited, so the program
	 * passes everything while we finish: never a half-configured drop. */
	maps_of(skel, &m);
	err = tg_live_write(&m, l, NULL);
	if (!err)
		err = tg_maps_pin(skel->obj, ifname);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: configuring the attached program: %s; detached it",
			      ifname, strerror(-err));
		tg_xdp_detach(ifindex);
		tg_maps_unpin(ifname);
		goto out;
	}
	if (tg_xdp_find(ifindex, &att)) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: the program vanished right after attach", ifname);
		tg_maps_unpin(ifname);
		goto out;
	}
	ret = print_effective(ifname, &m, &att);
out:
	tidegate_bpf__destroy(skel);
	xdp_program__close(prog);
	return ret;
}

int tg_cmd_attach(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	enum xdp_attach_mode mode = XDP_MODE_NATIVE;
	struct tg_limits l;
	int ifindex, lock, ret;

	tg_limits_default(&l);
	if ((ret = tg_limit_opts_apply(cl, &l)) || (ret = parse_mode(cl, &mode)))
		return ret;
	ifindex = tg_iface_index(ifname);
	if (ifindex < 0)
		return -ifindex;
	if ((ret = tg_require_root("attach")))
		return ret;
	if (tg_bpffs_ensure())
		return TG_EXIT_FAIL;
	lock = tg_lock();
	if (lock < 0)
		return tg_fail(TG_EXIT_FAIL, "locking %s: %s", TG_PIN_ROOT, strerror(-lock));
	ret = attach_locked(ifname, ifindex, mode, &l);
	tg_unlock(lock);
	return ret;
}

int tg_cmd_set(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct tg_limits old, l;
	struct tg_attached att;
	struct tg_maps m;
	int ifindex, lock, ret, err;

	/* Bad values are usage errors whether or not tidegate is attached. */
	tg_limits_default(&l);
	if ((ret = tg_limit_opts_apply(cl, &l)))
		return ret;
	ifindex = tg_iface_index(ifname);
	if (ifindex < 0)
		return -ifindex;
	if ((ret = tg_require_root("set")))
		return ret;
	if ((ret = tg_iface_open_maps(ifname, &m)))
		return ret;
	lock = tg_lock();
	if (lock < 0) {
		tg_maps_close(&m);
		return tg_fail(TG_EXIT_FAIL, "locking %s: %s", TG_PIN_ROOT, strerror(-lock));
	}
	err = tg_live_read(&m, &old);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: reading the config: %s", ifname, strerror(-err));
		goto out;
	}
	l = old;
	if ((ret = tg_limit_opts_apply(cl, &l)))
		goto out;
	err = tg_live_write(&m, &l, &old);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: writing the config: %s", ifname, strerror(-err));
		goto out;
	}
	ret = print_effective(ifname, &m, tg_xdp_find(ifindex, &att) ? NULL : &att);
out:
	tg_unlock(lock);
	tg_maps_close(&m);
	return ret;
}
