// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_attach.c - tidegate attach and tidegate set. */
#include <errno.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "caps.h"
#include "commands.h"
#include "iface.h"
#include "limit_opts.h"
#include "live.h"
#include "log.h"
#include "output.h"
#include "xdp.h"

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

static int attach_locked(const char *ifname, int ifindex, enum xdp_attach_mode mode,
			 const struct tg_limits *l)
{
	struct tg_attach_req req = {
		.ifname = ifname, .ifindex = ifindex, .mode = mode, .limits = l,
	};
	struct tg_attach_res res;
	struct tg_maps m;
	int ret;

	ret = tg_attach_iface(&req, &m, &res);
	if (ret)
		return ret;
	ret = print_effective(ifname, &m, &res.att);
	tg_maps_close(&m);
	return ret;
}

int tg_cmd_attach(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct tg_iface_conf ic;
	int ifindex, lock, ret;

	tg_iface_conf_default(&ic, ifname);
	if ((ret = tg_iface_opts_apply(cl, &ic)))
		return ret;
	ifindex = tg_iface_index(ifname);
	if (ifindex < 0)
		return -ifindex;
	if ((ret = tg_require_caps("attach", TG_PRIV_ATTACH)))
		return ret;
	lock = tg_iface_lock();
	if (lock < 0)
		return -lock;
	ret = attach_locked(ifname, ifindex, ic.mode, &ic.limits);
	tg_unlock(lock);
	return ret;
}

int tg_cmd_set(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct tg_iface_conf ic;
	struct tg_limits old;
	struct tg_attached att;
	struct tg_maps m;
	int ifindex, lock, ret, err;

	/* Bad values are usage errors whether or not tidegate is attached. */
	tg_iface_conf_default(&ic, ifname);
	if ((ret = tg_iface_opts_apply(cl, &ic)))
		return ret;
	ifindex = tg_iface_index(ifname);
	if (ifindex < 0)
		return -ifindex;
	if ((ret = tg_require_caps("set", TG_PRIV_MAPS)))
		return ret;
	lock = tg_iface_lock_open(ifname, &m);
	if (lock < 0)
		return -lock;
	err = tg_live_read(&m, &old);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: reading the config: %s", ifname, strerror(-err));
		goto out;
	}
	ic.limits = old;
	if ((ret = tg_iface_opts_apply(cl, &ic)))
		goto out;
	err = tg_live_write(&m, &ic.limits, &old);
	if (err) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: writing the config: %s", ifname, strerror(-err));
		goto out;
	}
	if (tg_daemon_marks(ifname))
		tg_warn("%s is managed by a tidegate daemon (tidegate run): this change holds until "
			"its next reload (SIGHUP) or restart, which put its config file's limits "
			"back; change the file to keep it", ifname);
	ret = print_effective(ifname, &m, tg_xdp_find(ifindex, &att) ? NULL : &att);
out:
	tg_iface_unlock_close(lock, &m);
	return ret;
}
