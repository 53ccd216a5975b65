// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fleet_rules.c - in fleet mode only the default limit's buckets
 * take part: a limit rule's bucket keeps its whole burst and reads no
 * floor (its rule id is this machine's own, so the fleet has no key for
 * it), while the default limit's buckets get the local share.
 */
#include "xdp_env.h"

static int burst_of(struct env *e, const char *src, int n)
{
	__u8 frame[256];
	int i, passed = 0;

	for (i = 0; i < n; i++) {
		struct fspec s = { .src = src, .seq = 1000 };
		int len = fbuild(&s, frame);

		if (env_run(e, frame, (__u32)len, NULL, NULL) == XDP_PASS)
			passed++;
	}
	return passed;
}

int main(void)
{
	struct tg_fleet fl = { .size = 3, .burst_k = 1 };
	struct tg_floor deny = { .tat_ns = T0 + 100 * SEC_NS };
	struct tg_source k = { 0 };
	struct env e;
	__u32 zero = 0;
	int id;

	env_require_bpf();
	if (!tap_ok(!env_open(&e, "10/second", 6), "load with 10/second burst 6"))
		return tap_done();
	id = env_rule(&e, "198.51.100.0/24", "limit", "10/second", 6, false, NULL);
	tap_ok(id > 0, "a limit rule for 198.51.100.0/24, 10/second burst 6");
	tap_ok(!bpf_map_update_elem(e.m.fleet, &zero, &fl, BPF_ANY), "a fleet of 3");
	/* A floor under the rule's own key, denying: not to be read. */
	k.rule = (__u32)id;
	k.addr[10] = k.addr[11] = 0xff;
	inet_pton(AF_INET, "198.51.100.7", k.addr + 12);
	tap_ok(!bpf_map_update_elem(e.m.floor, &k, &deny, BPF_ANY), "  a denying floor for its key");
	tap_is(burst_of(&e, "198.51.100.7", 8), 6, "a rule's bucket: its whole burst, no floor read");
	tap_is(burst_of(&e, "198.18.0.9", 8), 2, "the default limit's bucket: the share, ceil(6/3)");
	env_close(&e);
	return tap_done();
}
