// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* counters.c - the names of tidegate's counters and their per-CPU sums. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

#define COUNTER(field, text) { #field, offsetof(struct tg_counters, field), text }

const struct tg_counter_def tg_counter_defs[TG_NR_COUNTERS] = {
	COUNTER(packets, "packets seen"),
	COUNTER(syn, "SYNs to limited ports"),
	COUNTER(allowed, "limited SYNs within their bucket, passed"),
	COUNTER(dropped, "limited SYNs over the limit, dropped"),
	COUNTER(would_drop, "over the limit in dry-run mode, passed"),
	COUNTER(pass_not_syn, "passed: not a SYN to a limited port"),
	COUNTER(pass_not_ip, "passed: neither IPv4 nor IPv6"),
	COUNTER(pass_trunc, "passed: truncated header"),
	COUNTER(pass_badhdr, "passed: malformed header"),
	COUNTER(pass_exthdr, "passed: an IPv6 extension header that cannot be walked"),
	COUNTER(pass_vlan, "passed: more than two VLAN tags"),
	COUNTER(fragment, "passed: non-first fragment"),
	COUNTER(frag_tiny, "first fragments cut inside TCP, charged as SYNs"),
	COUNTER(exthdr_long, "IPv6 chains longer than 8 headers, charged as SYNs"),
	COUNTER(new_source, "sources given a bucket"),
	COUNTER(table_full, "new sources that found the table full (the LRU evicted)"),
	COUNTER(evicted, "sources evicted from the full table to make room"),
	COUNTER(cas_retry, "bucket updates retried after a race with another CPU"),
	COUNTER(cas_exhausted, "SYNs refused after too many races (in dropped or would_drop)"),
	COUNTER(rule_allow, "SYNs passed by an allow rule"),
	COUNTER(rule_deny, "SYNs that hit a deny rule"),
	COUNTER(rule_limit, "SYNs charged to a limit rule's bucket"),
	COUNTER(act_drop, "dropped silently"),
	COUNTER(rst_sent, "refused with an RST+ACK"),
	COUNTER(rst_budget_exceeded, "RST wanted, over the RST budget: dropped"),
	COUNTER(rst_skipped, "RST wanted, not answerable (options, fragment, not unicast): dropped"),
	COUNTER(redirected, "sent to the redirect interface"),
	COUNTER(redirect_failed, "redirect interface missing: dropped"),
	COUNTER(flow_redirected, "later packets of redirected flows, sent after them"),
	COUNTER(log_emitted, "drop log lines written"),
	COUNTER(log_budget_exceeded, "drop log lines over the budget, not written"),
	COUNTER(log_lost, "drop log lines lost: the ring buffer was full"),
	COUNTER(cookie_syn, "SYNs from untracked sources covered by SYN cookies (not in syn)"),
	COUNTER(cookie_sent, "answered with a SYN cookie SYN-ACK"),
	COUNTER(cookie_budget_exceeded, "cookie wanted, over the cookie budget: dropped"),
	COUNTER(cookie_skipped, "cookie wanted, not answerable (options, fragment, not unicast): dropped"),
	COUNTER(cookie_ack_valid, "ACKs with a valid cookie, handed to the listener"),
	COUNTER(cookie_ack_invalid, "ACKs with a bad or stale cookie and no connection: dropped"),
	COUNTER(cookie_assign_failed, "valid cookies the kernel did not take (no listener, a sysctl)"),
	COUNTER(cookie_verified, "sources given a bucket by a valid cookie"),
	COUNTER(cookie_auto_trips, "times auto mode turned cookies on"),
};

/* Every field of struct tg_counters must have a name above. */
_Static_assert(sizeof(tg_counter_defs) / sizeof(tg_counter_defs[0]) == TG_NR_COUNTERS,
	       "a counter has no name");

int tg_counters_read(int stats_fd, struct tg_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tg_counters *percpu;
	__u32 zero = 0;
	int cpu, err = 0;
	size_t i;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &zero, percpu)) {
		err = -errno;
		goto out;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		const __u64 *src = (const __u64 *)&percpu[cpu];
		__u64 *dst = (__u64 *)sum;

		for (i = 0; i < TG_NR_COUNTERS; i++)
			dst[i] += src[i];
	}
out:
	free(percpu);
	return err;
}

int tg_fam_counters_read(int fstats_fd, struct tg_fam_counters sum[TG_NR_FAMILIES])
{
	int ncpu = libbpf_num_possible_cpus();
	struct tg_fam_counters *percpu;
	__u32 fam;
	int cpu, err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	memset(sum, 0, TG_NR_FAMILIES * sizeof(*sum));
	for (fam = 0; fam < TG_NR_FAMILIES && !err; fam++) {
		if (bpf_map_lookup_elem(fstats_fd, &fam, percpu)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			sum[fam].syn += percpu[cpu].syn;
			sum[fam].allowed += percpu[cpu].allowed;
			sum[fam].dropped += percpu[cpu].dropped;
			sum[fam].would_drop += percpu[cpu].would_drop;
		}
	}
	free(percpu);
	return err;
}

struct json_object *tg_counters_json(const struct tg_counters *c)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < TG_NR_COUNTERS; i++)
		json_object_object_add(o, tg_counter_defs[i].name,
				       json_object_new_int64((int64_t)tg_counter_get(
					       c, &tg_counter_defs[i])));
	return o;
}
