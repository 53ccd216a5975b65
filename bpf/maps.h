/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - the maps, the test clock, and the table-size kfunc.
 * Part of the XDP program: included by tidegate.bpf.c, in the order
 * listed there, each header using what the ones before it declare.
 */
#ifndef TG_MAPS_H
#define TG_MAPS_H

#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

/* Set by the test loader only: read the clock from test_now_ns so tests
 * can check bucket arithmetic exactly. The verifier removes the branch
 * when it is false, so production pays nothing. */
const volatile bool test_clock = false;
__u64 test_now_ns = 0;

#include "shared_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_CONFIG_SLOTS);
	__type(key, __u32);
	__type(value, struct tg_config);
} tg_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_PORTS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} tg_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_counters);
} tg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TG_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* LPM tries require it */
	__type(key, struct tg_rule_key);
	__type(value, struct tg_rule);
} tg_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_rule_filter);
} tg_rule_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_state);
} tg_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, TG_MAX_REDIRECTS);
	__type(key, __u32);
	__type(value, __u32);
} tg_redirect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_MAX_FLOWS);
	__type(key, struct tg_flow);
	__type(value, __u32);
} tg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TG_LOG_RING_BYTES);
} tg_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TG_NR_FAMILIES);
	__type(key, __u32);
	__type(value, struct tg_fam_counters);
} tg_fam_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TG_PORT_GROUPS);
	__type(key, __u32);
	__type(value, struct tg_port_counters);
} tg_port_stats SEC(".maps");

/* The flood's front cache (tidegate.h: struct tg_front, bpf/front.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_front);
} tg_front SEC(".maps");

/* Fleet mode (tidegate.h: struct tg_floor, struct tg_fleet). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_fleet);
} tg_fleet SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_FLOORS);
	__type(key, struct tg_source);
	__type(value, struct tg_floor);
} tg_floor SEC(".maps");

/*
 * The configuration a packet is decided by (tidegate.h: struct
 * tg_config): read the generation once, at the packet's entry point,
 * and hand its slot to every function that looks the config up again,
 * so one packet never mixes two configurations. NULL only if a map is
 * missing, which the verifier makes callers handle.
 */
static __always_inline struct tg_config *config_live_gen(__u32 *slot, __u32 *genp)
{
	__u32 live = TG_GEN_LIVE, key, *gen = bpf_map_lookup_elem(&tg_config_gen, &live);

	if (!gen)
		return NULL;
	*genp = READ_ONCE(*gen);
	key = *genp & (TG_CONFIG_SLOTS - 1);
	*slot = key;
	return bpf_map_lookup_elem(&tg_config, &key);
}

static __always_inline struct tg_config *config_live(__u32 *slot)
{
	__u32 gen;

	return config_live_gen(slot, &gen);
}

static __always_inline struct tg_config *config_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&tg_config, &slot);
}

/*
 * The number of sources in tg_buckets, to tell a table-full insertion
 * (kernel 6.6+; without it table_full counts only failed insertions).
 * libbpf matches the kfunc's prototype against the kernel's BTF and
 * wants a struct, not a forward declaration, for its argument.
 */
struct bpf_map {
	int opaque;
};
extern __s64 bpf_map_sum_elem_count(struct bpf_map *map) __ksym __weak;

#endif /* TG_MAPS_H */
