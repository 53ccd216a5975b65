/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * caps.h - what a command needs of the kernel, as capabilities rather
 * than uid 0, so tidegate runs as any user given just those (systemd's
 * AmbientCapabilities=, setpriv --ambient-caps).
 *
 * The kernel's own rules: CAP_SYS_ADMIN also grants what CAP_BPF and
 * CAP_PERFMON grant. The pins and libxdp's live on bpffs, whose root is
 * root's and 0700: a user other than root also needs CAP_DAC_OVERRIDE,
 * or to own what it uses there.
 */
#ifndef TG_CAPS_H
#define TG_CAPS_H

enum tg_privilege {
	TG_PRIV_MAPS,   /* read and write the pinned maps: stats, set, rule, top, log */
	TG_PRIV_QUERY,  /* and see which XDP program is attached: status */
	TG_PRIV_ATTACH, /* and load, attach and detach: attach, detach, run, flood */
};

/* 0, or TG_EXIT_FAIL after naming each capability missing and what for. */
int tg_require_caps(const char *what, enum tg_privilege p);

#endif /* TG_CAPS_H */
