/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* action.h - --action drop|rst|redirect:IFACE, parsed and printed. */
#ifndef TG_ACTION_H
#define TG_ACTION_H

#include <stddef.h>

#include "limits.h"

/*
 * "drop", "rst" or "redirect:IFACE" (IFACE must exist here). Returns 0,
 * or -EINVAL / -ENODEV with the reason in why.
 */
int tg_action_parse(const char *text, struct tg_act *act, char *why, size_t whylen);

/* "drop", "rst", "redirect:eth2" ("redirect:#7" if the interface is
 * gone), "default" for a rule's TG_ACT_DEFAULT. */
void tg_action_format(const struct tg_act *act, char *buf, size_t len);

/* The short name of a TG_ACT_* (no interface): "drop", "rst", "redirect". */
const char *tg_action_name(unsigned int kind);

#endif /* TG_ACTION_H */
