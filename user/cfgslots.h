/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cfgslots.h - the live configuration, read and published whole.
 *
 * tg_config holds TG_CONFIG_SLOTS copies and tg_config_gen the
 * generation whose low bit names the live one (include/tidegate.h). A
 * packet reads the generation once and its copy to the end; this is the
 * only code that reads or writes the two maps from userspace, so no
 * reader ever sees a configuration half-written.
 */
#ifndef TG_CFGSLOTS_H
#define TG_CFGSLOTS_H

#include <linux/types.h>

#include "tidegate.h"

/*
 * The configuration in force, whole: the live copy, read again if a
 * write published another generation while it was being read. 0 or
 * -errno (-EAGAIN if writes kept racing it, which a writer holding
 * tg_lock() cannot make happen more than a few times in a row).
 */
int tg_config_read(int config_fd, int gen_fd, struct tg_config *cfg);

/*
 * Publish cfg: fill the copy no packet reads, flip the generation with
 * one 4-byte write, wait until no BPF program can still be reading the
 * old copy, then bring the old copy up to date too, so both are equal
 * at rest (what `bpftool map dump` shows). Writers must be serialised
 * (tg_lock(), or one process owning the maps). Takes a kernel RCU grace
 * period, milliseconds, unless nothing packets read changed (rule_seq
 * alone, or nothing at all). 0 or -errno.
 */
int tg_config_write(int config_fd, int gen_fd, const struct tg_config *cfg);

/*
 * Return once every BPF program that was running at the call has
 * returned (an RCU grace period: XDP and TC programs run inside RCU
 * read-side sections). 0 or -errno.
 */
int tg_bpf_quiesce(void);

#endif /* TG_CFGSLOTS_H */
