// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cfgslots.c - the live configuration, read and published whole.
 *
 * The protocol (cfgslots.h, tidegate.h): tg_config_gen[0] is the
 * generation g, and copy g & 1 of tg_config is live. A write of cfg:
 *   1. fill copy (g + 1) & 1, which no packet reads (below);
 *   2. publish: tg_config_gen[0] = g + 1, one 4-byte map update;
 *   3. wait an RCU grace period: every packet that read g has returned;
 *   4. fill copy g & 1 with cfg too, so both copies are equal at rest;
 *   5. tg_config_gen[1] = g + 1: the write is settled.
 * Step 1's copy is free because the last write reached step 3; if its
 * writer died before step 5, the next writer waits a grace period first.
 * A write that changes nothing packets read (rule_seq alone: each rule
 * added hands out an id) is made in place in both copies, without a
 * grace period, which would otherwise cost every rule loaded from a
 * config file some milliseconds.
 * A read of the generation torn by step 2 picks one of two whole copies
 * (the old one is only rewritten after step 3), so packets need no more.
 * Userspace readers are not under RCU; they check the generation before
 * and after their copy, as a seqlock's readers do.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cfgslots.h"
#include "log.h"


#define SLOT(g) ((g) & (TG_CONFIG_SLOTS - 1))

/* Gives up after this many reads raced a write: each costs the writer a
 * grace period, so only a flood of writes can get here. */
#define READ_TRIES 16

static int gen_get(int gen_fd, __u32 key, __u32 *gen)
{
	return bpf_map_lookup_elem(gen_fd, &key, gen) ? -errno : 0;
}

int tg_config_read(int config_fd, int gen_fd, struct tg_config *cfg)
{
	__u32 g1, g2, slot;
	int i, err;

	for (i = 0; i < READ_TRIES; i++) {
		err = gen_get(gen_fd, TG_GEN_LIVE, &g1);
		if (err)
			return err;
		slot = SLOT(g1);
		if (bpf_map_lookup_elem(config_fd, &slot, cfg))
			return -errno;
		err = gen_get(gen_fd, TG_GEN_LIVE, &g2);
		if (err)
			return err;
		/* The copy read is only rewritten after the generation
		 * moved past g1 (step 4 follows step 2). */
		if (g1 == g2)
			return 0;
	}
	return -EAGAIN;
}

/*
 * An update of a map-in-map returns only after synchronize_rcu(): the
 * kernel does it (kernel/bpf/syscall.c, maybe_wait_bpf_programs) so
 * that userspace knows no program still holds what was replaced, and
 * the kernel's own selftests (prog_tests/btf_map_in_map.c) use it to
 * wait for a grace period. Non-sleepable BPF programs, as XDP and TC
 * programs are, run in RCU read-side sections, so when it returns every
 * run that had started has ended. A throwaway pair of maps: nothing is
 * pinned or kept.
 */
int tg_bpf_quiesce(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer, err = 0;
	__u32 zero = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tg_quiesce_in", sizeof(__u32), sizeof(__u32),
			       1, NULL);
	if (inner < 0) {
		err = -errno;
		goto fail;
	}
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "tg_quiesce", sizeof(__u32),
			       sizeof(__u32), 1, &opts);
	if (outer < 0) {
		err = -errno;
		close(inner);
		goto fail;
	}
	if (bpf_map_update_elem(outer, &zero, &inner, BPF_ANY))
		err = -errno;
	close(outer);
	close(inner);
	if (!err)
		return 0;
fail:
	tg_err("waiting for running BPF programs (a map-in-map update): %s", strerror(-err));
	return err;
}

static int slot_put(int config_fd, __u32 slot, const struct tg_config *cfg)
{
	if (!bpf_map_update_elem(config_fd, &slot, cfg, BPF_ANY))
		return 0;
	tg_err("writing copy %u of %s: %s", slot, TG_MAP_CONFIG, strerror(errno));
	return -errno;
}

static int gen_put(int gen_fd, __u32 key, __u32 gen)
{
	if (!bpf_map_update_elem(gen_fd, &key, &gen, BPF_ANY))
		return 0;
	tg_err("writing %s[%u]: %s", TG_MAP_CFG_GEN, key, strerror(errno));
	return -errno;
}

/*
 * cfg differs from the live copy in rule_seq at most: put it in both
 * copies, each rewritten with the same bytes but rule_seq's, so that a
 * packet reading either meanwhile reads the same as before. *done is
 * false if more differs.
 */
static int put_in_place(int config_fd, __u32 gen, const struct tg_config *cfg, bool *done)
{
	struct tg_config cur, want = *cfg;
	__u32 i, slot;
	int err;

	*done = false;
	slot = SLOT(gen);
	if (bpf_map_lookup_elem(config_fd, &slot, &cur)) {
		err = -errno;
		tg_err("reading copy %u of %s: %s", slot, TG_MAP_CONFIG, strerror(-err));
		return err;
	}
	want.rule_seq = cur.rule_seq;
	if (memcmp(&want, &cur, sizeof(cur)))
		return 0;
	*done = true;
	if (cfg->rule_seq == cur.rule_seq)
		return 0;
	for (i = 0; i < TG_CONFIG_SLOTS; i++) {
		if (bpf_map_lookup_elem(config_fd, &i, &cur)) {
			err = -errno;
			tg_err("reading copy %u of %s: %s", i, TG_MAP_CONFIG, strerror(-err));
			return err;
		}
		cur.rule_seq = cfg->rule_seq;
		err = slot_put(config_fd, i, &cur);
		if (err)
			return err;
	}
	return 0;
}

int tg_config_write(int config_fd, int gen_fd, const struct tg_config *cfg)
{
	__u32 gen, settled;
	bool done;
	int err;

	err = gen_get(gen_fd, TG_GEN_LIVE, &gen) ?: gen_get(gen_fd, TG_GEN_SETTLED, &settled);
	if (err) {
		tg_err("reading %s: %s", TG_MAP_CFG_GEN, strerror(-err));
		return err;
	}
	err = put_in_place(config_fd, gen, cfg, &done);
	if (err || done)
		return err;
	/* A writer died between steps 2 and 5: packets may still read
	 * the copy we are about to fill. */
	if (settled != gen && (err = tg_bpf_quiesce()))
		return err;
	err = slot_put(config_fd, SLOT(gen + 1), cfg);
	err = err ?: gen_put(gen_fd, TG_GEN_LIVE, gen + 1);
	err = err ?: tg_bpf_quiesce();
	err = err ?: slot_put(config_fd, SLOT(gen), cfg);
	return err ?: gen_put(gen_fd, TG_GEN_SETTLED, gen + 1);
}
