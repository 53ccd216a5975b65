/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tidegate.h - the only types the XDP program and userspace share.
 *
 * Data only: fixed-width types, no kernel or libc includes beyond
 * <linux/types.h>, so both clang -target bpf and the host compiler see
 * the same layout. Every map is named here once.
 */
#ifndef TIDEGATE_H
#define TIDEGATE_H

#include <linux/types.h>

/* Map names: at most 15 characters, the kernel truncates longer ones. */
#define TG_MAP_BUCKETS "tg_buckets"
#define TG_MAP_CONFIG  "tg_config"
#define TG_MAP_PORTS   "tg_ports"
#define TG_MAP_STATS   "tg_stats"
#define TG_MAP_FSTATS  "tg_fam_stats"

#define TG_PROG_NAME   "tidegate"
#define TG_PIN_ROOT    "/sys/fs/bpf/tidegate"

/* Bumped whenever a map's key or value layout changes, so a newer binary
 * never trusts maps pinned by an older one. */
#define TG_LAYOUT_VERSION 2

/*
 * A traffic source: its address cut to the configured prefix. IPv4 is
 * stored IPv4-mapped (::ffff:a.b.c.d) so one 16-byte key serves both
 * families and a /32..1 IPv4 prefix is a /128..97 mapped one. Bytes in
 * network order, so `bpftool map dump` shows 198.18.0.2 as
 * [0,0,0,0,0,0,0,0,0,0,255,255,198,18,0,2].
 */
struct tg_source {
	__u8 addr[16];
} __attribute__((aligned(4)));

/*
 * One source's bucket, kept as GCRA does: the theoretical arrival time
 * of the next SYN. The bucket is full when tat_ns <= now; a SYN
 * conforms when tat_ns - now <= (burst - 1) * interval. One word, so it
 * is updated with a single compare-and-swap on any number of CPUs.
 */
struct tg_bucket {
	__u64 tat_ns;   /* theoretical arrival time, CLOCK_MONOTONIC ns */
	__u64 admitted; /* SYNs let through from this source, ever */
};

/* Bits of tg_config.flags */
#define TG_F_DRY_RUN (1U << 0) /* decide and count, never drop */

/*
 * The live configuration, one element of an ARRAY map that the CLI
 * rewrites in place. A packet may see a mix of old and new fields while
 * it is rewritten; every field is valid alone, so a mixed view decides
 * one packet by a mixture of two valid limits and nothing worse.
 */
struct tg_config {
	__u64 interval_ns;  /* one token every interval_ns: period / count */
	__u64 tolerance_ns; /* (burst - 1) * interval_ns */
	__be32 v4_mask;     /* source prefix mask, network order */
	__be32 v6_mask[4];
	__u32 flags;        /* TG_F_* */
	__u32 burst;        /* for display; tolerance_ns is what is used */
	__u32 rate_count;   /* the rate as the operator wrote it: */
	__u64 rate_period_ns; /* rate_count per rate_period_ns */
	__u32 max_sources;  /* size of tg_buckets, for display */
	__u32 layout_version;
};

/* tg_ports: ARRAY indexed by destination port (host order); 1 = limited */
#define TG_PORTS_MAX 65536

/*
 * tg_stats: a PERCPU_ARRAY of one element, so the program finds every
 * counter with one lookup and bpftool prints them by name. Userspace
 * sums the CPUs; its table of names is user/counters.c. Every field is
 * a __u64 so userspace may walk the struct as an array.
 */
struct tg_counters {
	__u64 packets;       /* every packet the program saw */
	__u64 syn;           /* SYNs to a limited port: allowed + dropped + would_drop */
	__u64 allowed;       /* limited SYNs within their bucket, passed */
	__u64 dropped;       /* limited SYNs over the limit, dropped */
	__u64 would_drop;    /* over the limit in dry-run mode, passed */
	__u64 pass_not_syn;  /* parsed, but not a SYN to a limited port */
	__u64 pass_not_ip;   /* neither IPv4 nor IPv6 (ARP, LLDP, ...) */
	__u64 pass_trunc;    /* a header ran past the end of the packet */
	__u64 pass_badhdr;   /* malformed header (IP version, IHL < 5, doff < 5) */
	__u64 pass_exthdr;   /* IPv6 extension chain too long or unknown */
	__u64 pass_vlan;     /* more than two VLAN tags */
	__u64 fragment;      /* non-first fragment: no TCP header, passed */
	__u64 frag_tiny;     /* first fragment cut inside TCP: charged as a SYN */
	__u64 new_source;    /* a source got a bucket */
	__u64 table_full;    /* ...while the table was full: the LRU evicted */
	__u64 evicted;       /* sources the LRU evicted to make room */
	__u64 cas_retry;     /* lost a compare-and-swap race and retried */
	__u64 cas_exhausted; /* contended past the retry bound: dropped */
};

#define TG_NR_COUNTERS (sizeof(struct tg_counters) / sizeof(__u64))

/*
 * tg_fam_stats: a PERCPU_ARRAY indexed by address family, so the limited
 * SYNs can be told apart by IPv4 and IPv6 (the metrics label them).
 * Only SYNs to limited ports are counted here; tg_stats has the rest.
 */
#define TG_FAM_V4 0
#define TG_FAM_V6 1
#define TG_NR_FAMILIES 2

struct tg_fam_counters {
	__u64 syn;        /* SYNs to a limited port from this family */
	__u64 allowed;    /* ...within their bucket, passed */
	__u64 dropped;    /* ...over the limit, dropped */
	__u64 would_drop; /* ...over the limit in dry-run mode, passed */
};

/*
 * The load generator behind `tidegate flood` (bpf/flood.bpf.c): its
 * state per CPU, in a PERCPU_ARRAY of one element. Source ports of the
 * frames it makes cycle through TG_FLOOD_PORT_BASE + (0..PORT_MASK).
 */
#define TG_MAP_FLOOD "tg_flood"
#define TG_FLOOD_PORT_BASE 0x8000
#define TG_FLOOD_PORT_MASK 0x7fff

struct tg_flood_cpu {
	__u32 next_source; /* index of the next frame's source address */
	__u32 next_port;   /* the next frame's source port, less PORT_BASE */
	__u64 frames;      /* frames this CPU made, ever */
};

#endif /* TIDEGATE_H */
