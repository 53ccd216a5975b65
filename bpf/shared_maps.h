/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shared_maps.h - the maps both programs that touch the buckets declare:
 * the XDP program (maps.h) and the live limit change (rescale.bpf.c),
 * which its loader points at the XDP program's pinned maps. One
 * declaration, so the two never disagree on a layout.
 */
#ifndef TG_SHARED_MAPS_H
#define TG_SHARED_MAPS_H

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* --max-sources (or the pinned map's), set before load */
	__type(key, struct tg_source);
	__type(value, struct tg_bucket);
} tg_buckets SEC(".maps");

/* enum tg_config_gen_key: the generation, whose low bit is tg_config's
 * live slot; the last generation whose write completed (userspace's,
 * user/cfgslots.c); the front cache's epoch, which a pass of
 * rescale.bpf.c that lowers buckets moves before it begins and after it
 * ends: odd in between, when the data path fills no front slot
 * (front.h), and every slot filled before it began void. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_GEN_KEYS);
	__type(key, __u32);
	__type(value, __u32);
} tg_config_gen SEC(".maps");

#endif /* TG_SHARED_MAPS_H */
