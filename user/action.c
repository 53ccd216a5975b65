// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* action.c - what to do with a SYN over its limit. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "action.h"
#include "parse.h"

#define REDIRECT_PREFIX "redirect:"

int tg_action_parse(const char *text, struct tg_act *act, char *why, size_t whylen)
{
	const char *ifname;
	unsigned int idx;

	memset(act, 0, sizeof(*act));
	if (!strcmp(text, "drop")) {
		act->kind = TG_ACT_DROP;
		return 0;
	}
	if (!strcmp(text, "rst")) {
		act->kind = TG_ACT_RST;
		return 0;
	}
	if (strncmp(text, REDIRECT_PREFIX, strlen(REDIRECT_PREFIX))) {
		snprintf(why, whylen, "expected drop, rst or redirect:IFACE");
		return -EINVAL;
	}
	ifname = text + strlen(REDIRECT_PREFIX);
	if (!tg_ifname_valid(ifname)) {
		snprintf(why, whylen, "'%s' is not a valid interface name", ifname);
		return -EINVAL;
	}
	idx = if_nametoindex(ifname);
	if (!idx) {
		snprintf(why, whylen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	act->kind = TG_ACT_REDIRECT;
	act->ifindex = idx;
	return 0;
}

const char *tg_action_name(unsigned int kind)
{
	switch (kind) {
	case TG_ACT_DEFAULT:
		return "default";
	case TG_ACT_DROP:
		return "drop";
	case TG_ACT_RST:
		return "rst";
	case TG_ACT_REDIRECT:
		return "redirect";
	default:
		return "unknown";
	}
}

void tg_action_format(const struct tg_act *act, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (act->kind != TG_ACT_REDIRECT) {
		snprintf(buf, len, "%s", tg_action_name(act->kind));
		return;
	}
	if (if_indextoname(act->ifindex, name))
		snprintf(buf, len, REDIRECT_PREFIX "%s", name);
	else
		snprintf(buf, len, REDIRECT_PREFIX "#%u", act->ifindex);
}
