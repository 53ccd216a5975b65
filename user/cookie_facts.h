/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cookie_facts.h - the facts of the host a SYN cookie depends on, written
 * into tg_config at attach and kept by set: the SipHash key, the MSS
 * the interface takes, the window scale and options the listener's
 * kernel would choose, and whether the TC program that completes the
 * handshake is attached (without it no cookie is sent: the fallback on
 * kernels without bpf_sk_assign_tcp_reqsk is cookies off, SYNs to the
 * kernel and its own SYN cookies).
 */
#ifndef TG_COOKIE_FACTS_H
#define TG_COOKIE_FACTS_H

#include <stdbool.h>
#include <json-c/json.h>

#include "pins.h"
#include "tidegate.h"

/* Fill cfg's host facts for ifname, in the caller's network namespace;
 * a key already there is kept. -errno. */
int tg_cookies_facts(const char *ifname, bool tc_ready, struct tg_config *cfg);

/* Only the facts the listener's sysctls decide (options, window scale,
 * and whether the kernel takes cookie sockets at all): set re-reads them
 * so a sysctl changed since attach is followed. */
void tg_cookies_sysctls(struct tg_config *cfg, bool tc_ready);

/* The same, into the config map of m. */
int tg_cookies_write_facts(const struct tg_maps *m, const char *ifname, bool tc_ready);

/* Copy the host facts from one config to another (set keeps them). */
void tg_cookies_keep_facts(struct tg_config *to, const struct tg_config *from);

/* Why cookies are off although the mode asks for them, or NULL. */
const char *tg_cookies_unready_reason(const struct tg_config *cfg);

/* The mode in force on an interface and why, for status. */
struct json_object *tg_cookies_status_json(const struct tg_maps *m, int ifindex);

#endif /* TG_COOKIE_FACTS_H */
