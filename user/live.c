// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* live.c - the config and ports maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "live.h"
#include "log.h"

static int read_ports(int fd, struct tg_portset *set)
{
	__u32 *keys = calloc(TG_PORTS_MAX, sizeof(*keys));
	__u8 *vals = calloc(TG_PORTS_MAX, sizeof(*vals));
	__u32 out_batch = 0, count = TG_PORTS_MAX, i;
	int err = 0;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	memset(set, 0, sizeof(*set));
	/* One syscall for the whole array rather than 65536 lookups. */
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < count; i++)
		if (vals[i] && keys[i] < TG_PORTS_MAX)
			tg_portset_add(set, keys[i]);
out:
	free(keys);
	free(vals);
	return err;
}

int tg_live_read(const struct tg_maps *m, struct tg_limits *l)
{
	struct tg_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->config, &zero, &cfg))
		return -errno;
	if (cfg.layout_version != TG_LAYOUT_VERSION) {
		tg_err("the config map has layout %u, this tidegate expects %u",
		       cfg.layout_version, TG_LAYOUT_VERSION);
		return -EPROTO;
	}
	tg_limits_from_config(&cfg, l);
	return read_ports(m->ports, &l->ports);
}

static int write_port(int fd, unsigned int port, __u8 on)
{
	__u32 key = port;

	return bpf_map_update_elem(fd, &key, &on, BPF_ANY) ? -errno : 0;
}

int tg_live_write(const struct tg_maps *m, const struct tg_limits *l,
		  const struct tg_limits *old)
{
	struct tg_config cfg;
	char why[160];
	unsigned int port;
	__u32 zero = 0;
	int err;

	err = tg_limits_to_config(l, &cfg, why, sizeof(why));
	if (err) {
		tg_err("%s", why);
		return err;
	}
	if (bpf_map_update_elem(m->config, &zero, &cfg, BPF_ANY))
		return -errno;
	/* Add the new ports first, then clear the old: a port kept in both
	 * sets is never unprotected for a moment. */
	for (port = 1; port < TG_PORTS_MAX; port++) {
		bool want = tg_portset_has(&l->ports, port);
		bool had = old && tg_portset_has(&old->ports, port);

		if (want && !had && (err = write_port(m->ports, port, 1)))
			return err;
	}
	for (port = 1; old && port < TG_PORTS_MAX; port++) {
		if (tg_portset_has(&old->ports, port) && !tg_portset_has(&l->ports, port) &&
		    (err = write_port(m->ports, port, 0)))
			return err;
	}
	return 0;
}
