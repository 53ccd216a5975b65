// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* iface.c - interface look-up and the checks before touching BPF. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "iface.h"
#include "output.h"
#include "parse.h"
#include "tidegate.h"

int tg_iface_name_check(const char *ifname)
{
	if (!tg_ifname_valid(ifname))
		return tg_fail(TG_EXIT_USAGE, "'%s' is not a valid interface name (1-%d characters, "
				       "not '.' or '..', no '/', ':' or white space)", ifname,
			       IF_NAMESIZE - 1);
	return TG_EXIT_OK;
}

int tg_iface_index(const char *ifname)
{
	unsigned int idx;

	if (tg_iface_name_check(ifname))
		return -TG_EXIT_USAGE;
	idx = if_nametoindex(ifname);
	if (!idx)
		return -tg_fail(TG_EXIT_USAGE, "unknown interface '%s'", ifname);
	return (int)idx;
}

int tg_iface_open_maps(const char *ifname, struct tg_maps *m)
{
	char dir[256];
	int err;

	tg_maps_init(m);
	if ((err = tg_iface_name_check(ifname)))
		return err;
	if (tg_bpffs_ensure())
		return TG_EXIT_FAIL;
	err = tg_maps_open(ifname, m);
	if (!err)
		return TG_EXIT_OK;
	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	/* Nothing pinned and no such interface: a typo, not a failure. */
	if (err == -ENOENT && !if_nametoindex(ifname))
		return tg_fail(TG_EXIT_USAGE, "unknown interface '%s'", ifname);
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate is not attached (nothing pinned at %s); "
				       "attach it with 'tidegate attach %s'", ifname, dir, ifname);
	if (err == -EPROTO)
		return tg_fail(TG_EXIT_FAIL, "%s: the maps pinned at %s were made by another "
				       "version of tidegate (layout differs; -v says how); detach "
				       "with that version or remove %s", ifname, dir, dir);
	return tg_fail(TG_EXIT_FAIL, "%s: opening the maps pinned at %s: %s", ifname, dir,
		       strerror(-err));
}

int tg_iface_lock(void)
{
	char why[512];
	int lock;

	if (tg_bpffs_ensure())
		return -TG_EXIT_FAIL;
	lock = tg_lock();
	if (lock >= 0)
		return lock;
	tg_lock_explain(lock, why, sizeof(why));
	return -tg_fail(TG_EXIT_FAIL, "%s", why);
}

int tg_iface_lock_open(const char *ifname, struct tg_maps *m)
{
	int lock = tg_iface_lock(), ret;

	tg_maps_init(m);
	if (lock < 0)
		return lock;
	ret = tg_iface_open_maps(ifname, m);
	if (ret) {
		tg_unlock(lock);
		return -ret;
	}
	return lock;
}

void tg_iface_unlock_close(int lock, struct tg_maps *m)
{
	tg_maps_close(m);
	tg_unlock(lock);
}
