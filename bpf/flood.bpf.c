// SPDX-License-Identifier: GPL-2.0
/*
 * flood.bpf.c - the SYN generator behind `tidegate flood`.
 *
 * Userspace crafts one checksum-valid SYN and hands it to
 * BPF_PROG_TEST_RUN in live-frame mode (BPF_F_TEST_XDP_LIVE_FRAMES).
 * The kernel runs this program once per frame and, because it returns
 * XDP_TX, sends the frame out of the ingress interface named in the
 * test context: a veth, whose peer receives it as from a wire.
 *
 * Each frame gets the next of nr_sources source addresses and a new
 * source port, and both checksums are fixed incrementally (RFC 1624).
 * Where the kernel refuses live frames, user/flood_sock.c makes the same
 * frames in userspace and sends them through a packet socket.
 * Live frames keep the content last written in their page, and not only
 * by this program: the receiver's XDP may answer a frame in place (the
 * RST+ACK of tidegate's --action rst is built in the SYN's page), and
 * the page comes back to the test run's pool with that answer in it. So
 * each frame is first made whole again from the template userspace
 * built, length included, then given its source and port.
 *
 * Where the fields are is decided by userspace (user/flood.c), which
 * built the frame; the offsets arrive as load-time constants, so the
 * verifier sees constant offsets and this file knows no layout.
 *
 * Where the kernel refuses live frames and a loop pair is given
 * (user/flood_loop.c), a few frames circle between the two ends of a
 * veth pair instead: flood_fan broadcasts each round through the devmap
 * tg_flood_fan, back into the loop and TG_FLOOD_FANOUT times out of the
 * flooded veth, where flood_stamp gives each copy its source; at the
 * loop's other end flood_bounce sends the round back. The frames never
 * leave XDP, so no skb is built for them, and they stay on the CPU that
 * seeded them.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum_fix.h"
#include "tidegate.h"

char LICENSE[] SEC("license") = "GPL";

/* Set through the skeleton before load. */
const volatile __u64 frame_words[TG_FLOOD_FRAME_WORDS]; /* the frame for source 0 */
const volatile __u32 frame_len;
const volatile __u32 nr_sources = 1;
const volatile __u32 src_off;     /* the 32-bit word of saddr that rotates */
const volatile __u32 src_base;    /* its value for source 0, host order */
const volatile __u32 src_shift;   /* source i adds i << src_shift to it */
const volatile __u32 ip_csum_off; /* IPv4 header checksum; 0 for IPv6 */
const volatile __u32 tcp_csum_off;
const volatile __u32 sport_off;

/* Per CPU: which source and port come next, and how many frames this
 * CPU made (what userspace reports: exact even if a run is cut short). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_flood_cpu);
} tg_flood SEC(".maps");

/* The veth loop's budget, in its .bss: limit and claimed written by
 * userspace while no loop runs, rounds at each slice it grants, stop to
 * end one. */
__u64 loop_limit;   /* frames the loop may make */
__u64 loop_claimed; /* frames flood_fan has sent copies out for */
__s64 loop_rounds;  /* rounds the loop may still go: at 0 it dies */
__u32 loop_stop;

/* Broadcast targets: the loop's own end, then the flooded veth
 * TG_FLOOD_FANOUT times (or once, for the last few frames of the
 * count), each copy through flood_stamp. */
struct tg_flood_fan_map {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, TG_FLOOD_FANOUT + 1);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
};
struct tg_flood_fan_map tg_flood_fan SEC(".maps");
struct tg_flood_fan_map tg_flood_fan1 SEC(".maps");

/* Make the frame at ctx the next of the rotation. 0, or -1 if it cannot
 * be (no state, or a frame the kernel will not resize). */
static __always_inline int stamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct tg_flood_cpu *st;
	__u32 zero = 0, idx, word, i;
	__u16 *tcp_csum, *sport, port;
	__u32 *saddr;

	st = bpf_map_lookup_elem(&tg_flood, &zero);
	if (!st)
		return -1;

	if (data + frame_len != end) {
		if (bpf_xdp_adjust_tail(ctx, (int)frame_len - (int)(end - data)))
			return -1;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
	}
	for (i = 0; i < TG_FLOOD_FRAME_WORDS && (i + 1) * 8 <= frame_len; i++) {
		__u64 *w = data + i * 8;

		if ((void *)(w + 1) > end)
			return -1;
		*w = frame_words[i];
	}
	for (i *= 8; i < TG_FLOOD_FRAME_MAX && i < frame_len; i++) {
		__u8 *b = data + i;

		if ((void *)(b + 1) > end)
			return -1;
		*b = ((const volatile __u8 *)frame_words)[i];
	}

	saddr = data + src_off;
	tcp_csum = data + tcp_csum_off;
	sport = data + sport_off;
	if ((void *)(saddr + 1) > end || (void *)(tcp_csum + 1) > end ||
	    (void *)(sport + 1) > end)
		return -1;

	idx = st->next_source;
	st->next_source = idx + 1 >= nr_sources ? 0 : idx + 1;
	word = bpf_htonl(src_base + (idx << src_shift));
	if (ip_csum_off) {
		__u16 *ip_csum = data + ip_csum_off;

		if ((void *)(ip_csum + 1) > end)
			return -1;
		tg_csum_replace4(ip_csum, *saddr, word);
	}
	/* TCP's pseudo-header holds the source address too. */
	tg_csum_replace4(tcp_csum, *saddr, word);
	*saddr = word;

	port = bpf_htons(TG_FLOOD_PORT_BASE + (st->next_port++ & TG_FLOOD_PORT_MASK));
	tg_csum_replace2(tcp_csum, *sport, port);
	*sport = port;

	st->frames++;
	return 0;
}

SEC("xdp")
int flood_xdp(struct xdp_md *ctx)
{
	return stamp(ctx) ? XDP_ABORTED : XDP_TX;
}

/* Only the flood's own frames go round: whatever else the loop's ends
 * receive (the kernel's own neighbour discovery) goes to the stack. */
static __always_inline bool loop_frame(struct xdp_md *ctx)
{
	return ctx->data_end - ctx->data == frame_len;
}

SEC("xdp")
int flood_fan(struct xdp_md *ctx)
{
	__u64 claimed, take;

	if (!loop_frame(ctx))
		return XDP_PASS;
	/*
	 * The loop runs in softirq on one CPU, which it would keep from
	 * anything else there, the thread that stops it included. So it
	 * runs in slices: it dies when its rounds are spent, and that
	 * thread, having had the CPU back, grants the next slice.
	 */
	if (loop_stop || __sync_fetch_and_add(&loop_rounds, -1) <= 0)
		return XDP_DROP;
	/*
	 * The count is kept here, not by dropping copies past it in
	 * flood_stamp: a devmap flush whose frames its program drops all
	 * skips the veth's flush, and the frames sent before it wait in
	 * the peer's ring for whatever traffic comes next.
	 */
	claimed = loop_claimed;
	if (claimed >= loop_limit)
		return XDP_DROP;
	take = loop_limit - claimed >= TG_FLOOD_FANOUT ? TG_FLOOD_FANOUT : 1;
	/* Lost to another CPU's loop: go round once more and retry. */
	if (__sync_val_compare_and_swap(&loop_claimed, claimed, claimed + take) != claimed)
		return XDP_TX;
	return bpf_redirect_map(take == 1 ? &tg_flood_fan1 : &tg_flood_fan, 0,
				BPF_F_BROADCAST);
}

SEC("xdp")
int flood_bounce(struct xdp_md *ctx)
{
	return loop_frame(ctx) ? XDP_TX : XDP_PASS;
}

/* Run on each copy on its way out of the flooded veth. */
SEC("xdp/devmap")
int flood_stamp(struct xdp_md *ctx)
{
	return stamp(ctx) ? XDP_DROP : XDP_PASS;
}
