// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rule_filter.c - the rule prefilter (rule_filter.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "rule_filter.h"
#include "rule_hash.h"

/* File k's prefix: under its network cut to the family's cut length,
 * or if shorter under its own length, listed in lens. */
static void mark(struct tg_rule_filter *f, const struct tg_rule_key *k)
{
	__u32 len = k->prefixlen - TG_RULE_KEY_BITS(0), cut, slot;
	__u64 a[2];

	memcpy(a, k->addr, sizeof(a));
	cut = k->family == 4 ? TG_RF_CUT4 : TG_RF_CUT6;
	if (len < cut)
		f->lens[k->family == 4 ? 0 : 1] |= 1ULL << len;
	else
		len = cut;
	slot = tg_rf_slot(k->family, len, a);
	f->bits[slot / 64] |= 1ULL << (slot % 64);
}

static int filter_write(const struct tg_maps *m, const struct tg_rule_filter *f)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(m->rfilter, &zero, f, BPF_ANY)) {
		int err = -errno;

		tg_err("writing %s: %s", TG_MAP_RFILTER, strerror(errno));
		return err;
	}
	return 0;
}

int tg_rule_filter_add(const struct tg_maps *m, const struct tg_rule_key *keys, int n)
{
	struct tg_rule_filter *f = malloc(sizeof(*f));
	__u32 zero = 0;
	int i, err;

	if (!f)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->rfilter, &zero, f)) {
		err = -errno;
		tg_err("reading %s: %s", TG_MAP_RFILTER, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++)
		mark(f, &keys[i]);
	err = filter_write(m, f);
out:
	free(f);
	return err;
}

int tg_rule_filter_set(const struct tg_maps *m, const struct tg_rule_entry *rules, int n)
{
	struct tg_rule_filter *f = calloc(1, sizeof(*f));
	int i, err;

	if (!f)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		mark(f, &rules[i].key);
	err = filter_write(m, f);
	free(f);
	return err;
}
