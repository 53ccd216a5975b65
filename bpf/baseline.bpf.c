// SPDX-License-Identifier: GPL-2.0
/*
 * baseline.bpf.c - what the benchmark holds tidegate against: an XDP
 * program that drops everything (the ceiling of what any XDP filter can
 * absorb), one that passes everything (the cost of having XDP at all,
 * for connect latency), and an ideal filter that drops exactly the
 * packets from one source prefix, the flood's, because the benchmark
 * knows where its flood comes from and an operator would not (what
 * tidegate is held to in the operator's view, scripts/bench-operator.sh),
 * and one that sends every frame back where it came from with its ends
 * swapped (the least an XDP answer such as a SYN cookie's SYN-ACK can
 * cost: XDP_TX with no work to build it), and the compact table that
 * issue 10 asks about (below). All count what they saw per CPU, so the
 * receiving side's own counter says how much it handled.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bl_packets SEC(".maps");

static __always_inline void count(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&bl_packets, &zero);

	if (n)
		(*n)++;
}

SEC("xdp")
int baseline_drop(struct xdp_md *ctx)
{
	count();
	return XDP_DROP;
}

SEC("xdp")
int baseline_pass(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

/* baseline_filter's prefix, set through the skeleton before load: the
 * address and mask as 32-bit words in network order (IPv4 in word 0). */
const volatile __u32 filter_family; /* 4 or 6; anything else drops nothing */
const volatile __u32 filter_net[4];
const volatile __u32 filter_mask[4];

static __always_inline int in_prefix(const __u32 *a, int words)
{
	int i;

	for (i = 0; i < words; i++)
		if ((a[i] & filter_mask[i]) != filter_net[i])
			return 0;
	return 1;
}

/* Ethernet, then IPv4 or IPv6 from the prefix's family: dropped if the
 * source is in the prefix. No VLAN: the benchmark's veth has none. */
SEC("xdp")
int baseline_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	count();
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (filter_family == 4 && eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		return in_prefix(&ip->saddr, 1) ? XDP_DROP : XDP_PASS;
	}
	if (filter_family == 6 && eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		return in_prefix(ip6->saddr.in6_u.u6_addr32, 4) ? XDP_DROP : XDP_PASS;
	}
	return XDP_PASS;
}

/* Swap MACs, addresses and TCP ports: checksums are sums, so they hold. */
SEC("xdp")
int baseline_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u8 mac[ETH_ALEN];
	__be16 port;

	count();
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__be32 a;

		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		th = (void *)(ip + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a;

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		th = (void *)(ip6 + 1);
	} else {
		return XDP_DROP;
	}
	if ((void *)(th + 1) > end)
		return XDP_DROP;
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return XDP_TX;
}

/*
 * baseline_compact: the data path of a compact per-source limiter, to
 * measure what that design would give before building it into
 * tidegate (BENCHMARKS.md, "What a different design would buy").
 *
 * An array of 64-byte lines, each four 8-byte keys then their four
 * GCRA arrival times: 16 bytes a source, and a source's state is one
 * cache line, found by a hash of its key. The key is an IPv6
 * source's /64 or an IPv4 source's address; 0 is an empty way. A new
 * source takes an empty way, or one whose bucket is full again (tat
 * behind now: forgetting it changes no decision); a line with neither
 * denies the new source (never resets anyone's bucket). Only SYNs to
 * compact_port are charged (IPv6 from a multicast source passes: its
 * key would be IPv4's). What it leaves out, and tidegate has:
 * rules, port groups, counters per source and per reason, actions,
 * logs, the fleet, cookies, VLANs, options and extension headers.
 */
#define CT_WAYS 4
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

struct ct_line {
	__u64 key[CT_WAYS];
	__u64 tat_ns[CT_WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* lines, a power of 2: set by the loader */
	__type(key, __u32);
	__type(value, struct ct_line);
} bl_compact SEC(".maps");

const volatile __u64 compact_interval_ns = 60ULL * 1000 * 1000 * 1000;
const volatile __u64 compact_tolerance_ns; /* (burst - 1) * interval */
const volatile __u64 compact_seed;                          /* the hash's secret */
const volatile __u32 compact_line_mask;                     /* lines - 1 */
const volatile __u16 compact_port = 80;

/* The line's ways a new source found taken and not yet full again. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bl_compact_full SEC(".maps");

/* GCRA on one way, as bpf/gcra.h: deny while tat is more than the
 * tolerance ahead; admit by moving tat one interval on. */
static __always_inline int ct_charge(__u64 *tat_p)
{
	__u64 tat = READ_ONCE(*tat_p), now;

	if (tat > bpf_ktime_get_coarse_ns() + compact_tolerance_ns + 250ULL * 1000 * 1000)
		return XDP_DROP; /* as coarse_deny: no precise read */
	now = bpf_ktime_get_ns();
	if (tat > now + compact_tolerance_ns)
		return XDP_DROP;
	if (__sync_val_compare_and_swap(tat_p, tat, (tat > now ? tat : now) + compact_interval_ns) !=
	    tat)
		return XDP_DROP; /* another CPU charged it first: its SYN won */
	return XDP_PASS;
}

/* murmur3's finaliser over the key and a secret: every bit of the key
 * moves every bit of the line's index. A multiply alone does not do:
 * sources whose /64s differ only in the key's top byte (how a flood's
 * addresses count up) filled half the lines and left the rest empty. */
static __always_inline __u32 ct_hash(__u64 key)
{
	__u64 x = key ^ compact_seed;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (__u32)x;
}

static __always_inline int ct_decide(__u64 key)
{
	__u32 idx = ct_hash(key) & compact_line_mask, zero = 0;
	struct ct_line *l = bpf_map_lookup_elem(&bl_compact, &idx);
	__u64 now, *full;
	int i;

	if (!l)
		return XDP_PASS;
	for (i = 0; i < CT_WAYS; i++)
		if (READ_ONCE(l->key[i]) == key)
			return ct_charge(&l->tat_ns[i]);
	/* Full again by the coarse clock is full by the precise one: a
	 * source that finds its line full reads no precise clock. */
	now = bpf_ktime_get_coarse_ns();
	for (i = 0; i < CT_WAYS; i++) {
		__u64 old = READ_ONCE(l->key[i]), tat = READ_ONCE(l->tat_ns[i]), prev;

		if (old && tat > now)
			continue;
		prev = __sync_val_compare_and_swap(&l->key[i], old, key);
		if (prev == key)
			return ct_charge(&l->tat_ns[i]); /* another CPU made it first */
		if (prev != old)
			continue;
		/* Charge the way from the tat it had. Should its old owner
		 * have been charged in between, that charge must stand: the
		 * way goes back to it and this SYN is denied. (An empty way's
		 * tat moves only for this key, charged by another CPU.) Three
		 * CPUs racing on one way can still err by one SYN. */
		now = bpf_ktime_get_ns();
		if (__sync_val_compare_and_swap(&l->tat_ns[i], tat, now + compact_interval_ns) != tat) {
			if (old)
				__sync_val_compare_and_swap(&l->key[i], key, old);
			return XDP_DROP;
		}
		return XDP_PASS;
	}
	full = bpf_map_lookup_elem(&bl_compact_full, &zero);
	if (full)
		(*full)++;
	return XDP_DROP;
}

SEC("xdp")
int baseline_compact(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u64 key;

	count();
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		/* A multicast source is no sender's: its first byte is
		 * IPv4's tag below. */
		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP ||
		    ip6->saddr.in6_u.u6_addr8[0] == 0xff)
			return XDP_PASS;
		__builtin_memcpy(&key, &ip6->saddr, sizeof(key));
		th = (void *)(ip6 + 1);
	} else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return XDP_PASS;
		/* Its first byte (the key's lowest, on this little-endian
		 * target) 0xff: no /64's key above has it. */
		key = (__u64)ip->saddr << 32 | 0xff;
		th = (void *)(ip + 1);
	} else {
		return XDP_PASS;
	}
	if ((void *)(th + 1) > end || !th->syn || th->ack || th->dest != bpf_htons(compact_port))
		return XDP_PASS;
	return ct_decide(key ?: 1);
}
