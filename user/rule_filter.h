/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rule_filter.h - tg_rule_filter kept a superset of the rules in force:
 * a rule's bit set before the rule is written, the whole filter rebuilt
 * from the rules at every sync (what clears a deleted rule's bit). The
 * program then walks the rule trie only for sources some rule may cover
 * (tidegate.h says how).
 */
#ifndef TG_RULE_FILTER_H
#define TG_RULE_FILTER_H

#include "pins.h"
#include "rules.h"

/* Set the bits of n rule prefixes, before they are written. 0 or -errno. */
int tg_rule_filter_add(const struct tg_maps *m, const struct tg_rule_key *keys, int n);

/* Make the filter exactly that of these rules, the rules in force (call
 * it after deleting, under the lock that keeps others from adding). */
int tg_rule_filter_set(const struct tg_maps *m, const struct tg_rule_entry *rules, int n);

#endif /* TG_RULE_FILTER_H */
