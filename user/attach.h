/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * attach.h - putting tidegate on an interface: the one path that
 * `tidegate attach` and the daemon (`tidegate run`) share.
 *
 * The maps are made (or reused from the pins) and configured before the
 * program is attached, so a program never runs half-configured and a
 * restore can fill an empty bucket table before the first packet.
 */
#ifndef TG_ATTACH_H
#define TG_ATTACH_H

#include <stdbool.h>
#include <xdp/libxdp.h>

#include "limits.h"
#include "pins.h"
#include "xdp.h"

struct tg_attach_req {
	const char *ifname;
	int ifindex;
	enum xdp_attach_mode mode;
	const struct tg_limits *limits;
	/*
	 * false (attach): refuse if tidegate is attached, remove stale pins.
	 * true (run): keep pinned maps whose layout matches, and a program
	 * that is already attached; refuse pins of another layout.
	 */
	bool reuse;
	/* Called with new, empty maps, configured, before the program is
	 * attached (a restore fills tg_buckets here). Its failure is
	 * logged by it and does not stop the attach. */
	void (*fill)(void *ctx, const char *ifname, const struct tg_maps *m,
		     const struct tg_limits *l);
	void *fill_ctx;
};

struct tg_attach_res {
	struct tg_attached att;
	bool reused;       /* pinned maps were kept: buckets carried over */
	bool was_attached; /* the program was already on the interface */
};

/*
 * Attach per req, with tg_lock() held. Returns TG_EXIT_OK with m holding
 * the interface's pinned maps (tg_maps_close them), or an exit code
 * after printing why; nothing new stays attached or pinned on failure.
 */
int tg_attach_iface(const struct tg_attach_req *req, struct tg_maps *m,
		    struct tg_attach_res *res);

/* Remove the program and the pins, quietly; -errno of the first failure. */
int tg_detach_iface(const char *ifname);

/* "native" / "drv" / "skb" / "generic" into a mode; -EINVAL otherwise. */
int tg_parse_mode(const char *text, enum xdp_attach_mode *mode);

#endif /* TG_ATTACH_H */
