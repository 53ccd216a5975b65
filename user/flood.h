/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flood.h - the SYN load generator: one crafted frame, sent many times
 * through BPF_PROG_TEST_RUN in live-frame mode by bpf/flood.bpf.c,
 * which gives each copy the next source address and source port.
 *
 * Frame building is pure (no syscalls) so tests can check every byte;
 * running needs root and a loaded flood program.
 */
#ifndef TG_FLOOD_H
#define TG_FLOOD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "link.h"
#include "tidegate.h"

#define TG_FLOOD_MAX_SOURCES (1U << 24)
#define TG_FLOOD_MAX_THREADS 64
#define TG_FLOOD_MSS 1460

/* What to send. Addresses in network order; IPv4 in the first 4 bytes. */
struct tg_flood_spec {
	int family; /* AF_INET or AF_INET6 */
	__u8 src_mac[6];
	__u8 dst_mac[6];
	__u8 src[16];   /* source 0 */
	__u8 dst[16];
	__u16 dport;
	__u32 sources;  /* distinct source addresses, 1..TG_FLOOD_MAX_SOURCES */
	/* Sources differ within their first src_prefix bits: source i is
	 * src + i * 2^(width - src_prefix), so each falls in its own
	 * /src_prefix, and tidegate with that prefix sees i distinct ones. */
	unsigned int src_prefix;
};

/*
 * The frame for source 0, and where flood.bpf.c finds what it rewrites:
 * the one 32-bit word of the source address that changes (the spec is
 * refused if a source would need a carry out of it), and the checksums.
 */
struct tg_flood_frame {
	__u8 data[TG_FLOOD_FRAME_MAX];
	__u32 len;
	__u32 src_off;
	__u32 src_base;  /* the word for source 0, host order */
	__u32 src_shift; /* source i adds i << src_shift */
	__u32 ip_csum_off; /* 0 for IPv6, which has no header checksum */
	__u32 tcp_csum_off;
	__u32 sport_off;
};

/* Default prefixes: tidegate's own, so each source is one bucket. */
#define TG_FLOOD_V4_PREFIX 32
#define TG_FLOOD_V6_PREFIX 64

/* Build the frame. Returns 0, or -EINVAL/-ERANGE with why. */
int tg_flood_build(const struct tg_flood_spec *s, struct tg_flood_frame *f, char *why,
		   size_t whylen);

/* The address of source i (16 bytes, or the first 4 for IPv4). */
void tg_flood_source(const struct tg_flood_spec *s, const struct tg_flood_frame *f, __u32 i,
		     __u8 out[16]);

/* The Internet checksum of a TCP segment with its pseudo-header: 0 when
 * the segment's own checksum is right. For the tests and for checking a
 * built frame. */
__u16 tg_flood_tcp_csum(int family, const __u8 *l3, const __u8 *tcp, size_t tcp_len);
__u16 tg_inet_csum(const void *data, size_t len, __u32 sum);

/* "aa:bb:cc:dd:ee:ff" */
int tg_parse_mac(const char *text, __u8 mac[6]);

/*
 * The driver behind IFACE, by SIOCETHTOOL (ETHTOOL_GDRVINFO), as
 * `ethtool -i` shows it. Returns 0 or -errno.
 */
int tg_iface_driver(const char *ifname, char *driver, size_t len);

/* IFACE's MAC address. */
int tg_iface_mac(const char *ifname, __u8 mac[6]);


/*
 * Pacing, for a flood bounded in rate (--pps) as well as in count and
 * time. t seconds after start, a sender owes t * pps frames (whole
 * ones). It sends what it owes in one test-run call, or sleeps until it
 * owes at least a tick's worth (each call has a fixed cost, so calls of
 * one frame each could not keep up). A sender that fell more than TG_FLOOD_PACE_LAG_S behind (a
 * stall: descheduled, a slow call) does not catch up at full speed:
 * start moves forward and the frames beyond that lag are forgiven, so
 * no window of the flood runs faster than pps by more than that lag.
 * The lag must exceed a call's fixed cost (a live-frame run's teardown
 * waits for an RCU grace period, tens of milliseconds on some kernels),
 * or every call would forgive what the one before it cost.
 * Pure, so the arithmetic is tested without a clock.
 */
#define TG_FLOOD_PACE_TICK_S 0.001
#define TG_FLOOD_PACE_LAG_S  0.1

struct tg_flood_pacer {
	__u64 pps;    /* frames per second, > 0 */
	double start; /* seconds, on the caller's clock */
	__u64 sent;   /* frames sent since start */
};

/* Frames to send at `now`, at most `left`; 0 means sleep `*wait`
 * seconds first. The caller adds what it sent to p->sent. */
__u64 tg_flood_pace(struct tg_flood_pacer *p, double now, __u64 left, double *wait);

struct tg_flood_loop;

/* How to run the loaded program. */
struct tg_flood_run {
	int prog_fd;
	int ifindex;             /* frames leave here: XDP_TX back out of "ingress" */
	const struct tg_flood_frame *frame;
	__u32 sources;           /* the program's nr_sources, for the socket sender */
	__u64 count;             /* frames in all, shared among threads */
	double duration;         /* seconds; stop then even if count is not reached */
	unsigned int threads;
	__u32 batch;             /* frames per test-run batch (kernel default 64) */
	__u64 pps;               /* frames per second in all, shared among threads; 0: unpaced */
	volatile sig_atomic_t *stop; /* set from a signal handler to stop early */
	/* Where live frames are refused: send through this veth loop
	 * (user/flood_loop.h; one thread, unpaced), not a packet socket. */
	struct tg_flood_loop *loop;
};

struct tg_flood_result {
	double seconds; /* from the first thread's start to the last's end */
	__u64 calls;    /* BPF_PROG_TEST_RUN calls made */
	/* Frames sent through a packet socket (user/flood_sock.h) by
	 * threads the kernel refused live frames (EPERM): the program
	 * counts only its own. */
	__u64 sock_frames;
	unsigned int sock_threads;
	unsigned int loop_threads; /* threads that sent through the loop */
	bool live_refused; /* some thread was refused live frames (then err,
			    * if any, is its packet socket's) */
	int err;        /* first error a thread saw, -errno, or 0 */
};

/*
 * Send. Each thread runs on its own CPU of those this process may use
 * (so `taskset` decides where) and stops at its share of the count, at
 * the deadline or when *stop is set. Frames actually made are counted
 * by the program itself; read them with tg_flood_frames(), and add
 * res->sock_frames: a kernel that refuses live frames gets the same
 * frames through run->loop if there is one, else a packet socket.
 */
int tg_flood_send(const struct tg_flood_run *run, struct tg_flood_result *res);

/* Frames the program has made, summed over CPUs. */
int tg_flood_frames(int state_fd, __u64 *frames);

/* Open and load bpf/flood.bpf.c for frame f rotating over sources: the
 * frame's offsets become the program's rodata. 0 or -errno. */
struct flood_bpf;
int tg_flood_load(const struct tg_flood_frame *f, __u32 sources, struct flood_bpf **skelp);

#endif /* TG_FLOOD_H */
