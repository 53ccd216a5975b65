// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cmd_status.c - where tidegate is attached, how, and with what limits. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "caps.h"
#include "commands.h"
#include "cookie_facts.h"
#include "fleet.h"
#include "iface.h"
#include "limit_opts.h"
#include "live.h"
#include "output.h"
#include "xdp.h"

#define MAX_IFACES 256

/* One interface's entry; *attached tells whether the program is there. */
static struct json_object *iface_status(const char *ifname, bool *attached)
{
	struct json_object *o = json_object_new_object(), *fleet;
	int ifindex = (int)if_nametoindex(ifname);
	struct tg_attached att;
	struct tg_limits l;
	struct tg_maps m;
	char dir[256];
	int err;

	*attached = ifindex && !tg_xdp_find(ifindex, &att);
	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "attached", json_object_new_boolean(*attached));
	if (*attached) {
		json_object_object_add(o, "mode", json_object_new_string(tg_mode_name(att.mode)));
		json_object_object_add(o, "prog_id", json_object_new_int64(att.prog_id));
		json_object_object_add(o, "xdp_programs", json_object_new_int(att.nr_programs));
	} else {
		json_object_object_add(o, "problem",
				       json_object_new_string(
					       ifindex ? "maps pinned but no program attached; "
							 "run 'tidegate detach' to clean up"
						       : "the interface is gone; run 'tidegate "
							 "detach' to remove its pins"));
	}
	json_object_object_add(o, "pins", json_object_new_string(dir));
	err = tg_maps_open(ifname, &m);
	if (!err) {
		if (!tg_live_read(&m, &l))
			json_object_object_add(o, "limits", tg_limits_json(&l));
		json_object_object_add(o, "syn_cookies", tg_cookies_status_json(&m, ifindex));
		fleet = tg_fleet_json(m.fleet);
		if (fleet)
			json_object_object_add(o, "fleet", fleet);
		tg_maps_close(&m);
	} else if (err == -EPROTO) {
		json_object_object_add(o, "problem",
				       json_object_new_string("maps pinned by another version "
							      "of tidegate (layout differs)"));
	}
	return o;
}

int tg_cmd_status(const struct tg_cmdline *cl)
{
	static char names[MAX_IFACES][32];
	struct json_object *o, *list;
	bool attached;
	int i, n, ret;

	if ((ret = tg_require_caps("status", TG_PRIV_QUERY)))
		return ret;
	if (tg_bpffs_ensure())
		return TG_EXIT_FAIL;
	if (cl->npos) {
		if ((ret = tg_iface_name_check(cl->pos[0])))
			return ret;
		if (!tg_pins_exist(cl->pos[0])) {
			if (tg_iface_index(cl->pos[0]) < 0)
				return TG_EXIT_USAGE;
			return tg_fail(TG_EXIT_FAIL, "%s: tidegate is not attached", cl->pos[0]);
		}
		o = iface_status(cl->pos[0], &attached);
		tg_out_print(o);
		return attached ? TG_EXIT_OK : TG_EXIT_FAIL;
	}
	list = json_object_new_array();
	n = tg_pinned_ifaces(names, MAX_IFACES);
	for (i = 0; i < n; i++)
		json_object_array_add(list, iface_status(names[i], &attached));
	o = json_object_new_object();
	json_object_object_add(o, "interfaces", list);
	if (!n && !tg_out_json()) {
		printf("tidegate is not attached to any interface\n");
		json_object_put(o);
		return TG_EXIT_OK;
	}
	tg_out_print(o);
	return TG_EXIT_OK;
}
