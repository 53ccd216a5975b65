// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_detach.c - tidegate detach: the program and its pins, both gone. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "caps.h"
#include "commands.h"
#include "iface.h"
#include "log.h"
#include "output.h"
#include "tc.h"
#include "tidegate.h"
#include "xdp.h"

static int detach_locked(const char *ifname, bool force)
{
	bool pinned = tg_pins_exist(ifname);
	int ifindex = (int)if_nametoindex(ifname);
	struct json_object *o;
	struct tg_attached att;
	char owner[300];
	int err;

	/* The daemon would go on claiming protection it no longer gives
	 * (it notices, and says so, but the file it reads still lists
	 * IFACE): the way out is its config. */
	if (tg_daemon_owner(ifname, owner, sizeof(owner))) {
		if (!force)
			return tg_fail(TG_EXIT_FAIL, "%s is managed by the tidegate daemon (%s): take it "
					       "out of the daemon's config and reload it (systemctl reload "
					       "tidegate), or detach with --force and the daemon reports "
					       "it unprotected", ifname, owner);
		tg_warn("%s: detaching from under the tidegate daemon (%s); it reports the interface "
			"unprotected until its next reload", ifname, owner);
	}

	if (!ifindex) {
		/* The interface is gone, taking the program with it; what
		 * is left to clean is our pins. */
		if (!pinned)
			return tg_fail(TG_EXIT_USAGE, "unknown interface '%s'", ifname);
		err = tg_maps_unpin(ifname);
		if (err)
			return tg_fail(TG_EXIT_FAIL, "%s: removing pins: %s", ifname, strerror(-err));
		tg_warn("%s: the interface is gone; removed its pinned maps", ifname);
		goto done;
	}
	err = tg_xdp_find(ifindex, &att);
	if (err == -ENOENT && !pinned)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate is not attached", ifname);
	if (!err) {
		err = tg_xdp_detach(ifindex);
		if (err)
			return tg_fail(TG_EXIT_FAIL, "%s: detaching the XDP program: %s", ifname,
				       strerror(-err));
	} else
		tg_warn("%s: no tidegate program was attached; removing its stale pins", ifname);
	err = tg_tc_detach(ifindex);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: detaching the TC ingress program: %s", ifname,
			       strerror(-err));
	err = tg_maps_unpin(ifname);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: detached, but removing pins failed: %s", ifname,
			       strerror(-err));
done:
	o = json_object_new_object();
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "detached", json_object_new_boolean(1));
	tg_out_print(o);
	return TG_EXIT_OK;
}

int tg_cmd_detach(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	int lock, ret;

	if ((ret = tg_iface_name_check(ifname)))
		return ret;
	if ((ret = tg_require_caps("detach", TG_PRIV_ATTACH)))
		return ret;
	lock = tg_iface_lock();
	if (lock < 0)
		return -lock;
	ret = detach_locked(ifname, cl->set[OPT_FORCE]);
	tg_unlock(lock);
	return ret;
}
