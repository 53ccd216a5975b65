// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flood_loop.c - the flood's frames out of a veth loop (see flood_loop.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "flood.skel.h"
#include "flood_loop.h"
#include "flood_sock.h"
#include "link.h"
#include "log.h"

/* Short: the loop's CPU idles from a slice's end until the next seed. */
#define LOOP_POLL_NS 200000L
/* Polls with the count still that end a slice whose rounds are not
 * spent: its frames were lost. */
#define LOOP_IDLE_POLLS 10
/* Long enough for a slow receiver (a TCP stack) to empty a ring. */
#define LOOP_SETTLE_NS 2000000L

static int set_target(int map_fd, __u32 key, int ifindex, int prog_fd)
{
	struct bpf_devmap_val v = { .ifindex = (__u32)ifindex, .bpf_prog.fd = prog_fd };

	return bpf_map_update_elem(map_fd, &key, &v, BPF_ANY) ? -errno : 0;
}

int tg_flood_loop_open(struct tg_flood_loop *l, struct flood_bpf *skel,
		       const struct tg_flood_frame *f, int out_ifindex, int loop_ifindex,
		       int peer_ifindex)
{
	int map_fd = bpf_map__fd(skel->maps.tg_flood_fan);
	int one_fd = bpf_map__fd(skel->maps.tg_flood_fan1);
	int stamp_fd = bpf_program__fd(skel->progs.flood_stamp);
	__u32 i;
	int err;

	memset(l, 0, sizeof(*l));
	l->skel = skel;
	l->frame = f;
	l->out_ifindex = out_ifindex;
	l->sock = -1;
	/* Nothing goes round until a send sets a limit. */
	skel->bss->loop_limit = 0;

	/* Entry 0 sends each round back into the loop, the others out. */
	err = set_target(map_fd, 0, peer_ifindex, -1);
	for (i = 1; !err && i <= TG_FLOOD_FANOUT; i++)
		err = set_target(map_fd, i, out_ifindex, stamp_fd);
	if (!err)
		err = set_target(one_fd, 0, peer_ifindex, -1);
	if (!err)
		err = set_target(one_fd, 1, out_ifindex, stamp_fd);
	if (err) {
		tg_err("flood loop: filling its devmap: %s", strerror(-err));
		return err;
	}
	l->bounce = bpf_program__attach_xdp(skel->progs.flood_bounce, loop_ifindex);
	if (!l->bounce) {
		err = -errno;
		tg_err("flood loop: attaching to ifindex %d: %s", loop_ifindex, strerror(-err));
		goto fail;
	}
	l->fan = bpf_program__attach_xdp(skel->progs.flood_fan, peer_ifindex);
	if (!l->fan) {
		err = -errno;
		tg_err("flood loop: attaching to its peer, ifindex %d: %s", peer_ifindex,
		       strerror(-err));
		goto fail;
	}
	l->sock = tg_flood_sock_open(loop_ifindex);
	if (l->sock < 0) {
		err = l->sock;
		tg_err("flood loop: a packet socket for its seeds: %s", strerror(-err));
		goto fail;
	}
	return 0;
fail:
	tg_flood_loop_close(l);
	return err;
}

void tg_flood_loop_close(struct tg_flood_loop *l)
{
	if (l->sock >= 0)
		close(l->sock);
	l->sock = -1;
	bpf_link__destroy(l->fan);
	bpf_link__destroy(l->bounce);
	l->fan = l->bounce = NULL;
}

static __u64 claimed(const struct tg_flood_loop *l)
{
	return __atomic_load_n(&l->skel->bss->loop_claimed, __ATOMIC_RELAXED);
}

static void seed(struct tg_flood_loop *l)
{
	unsigned int i;

	for (i = 0; i < TG_FLOOD_LOOP_SEEDS; i++)
		if (send(l->sock, l->frame->data, l->frame->len, 0) < 0)
			break;
}

/* What the flooded veth's peer took in, as the veth counts it. */
static __u64 delivered(const struct tg_flood_loop *l)
{
	struct rtnl_link_stats64 st = { 0 };

	tg_iface_stats(l->out_ifindex, &st);
	return st.tx_packets + st.tx_dropped;
}

/* Stop the loop and wait for the frames in flight to be dropped or
 * taken in: none may be made, or still on its way, when the caller
 * reads the counts. The receiver may be slow (a whole TCP stack per
 * frame), so wait until neither count moves. */
static void drain(struct tg_flood_loop *l)
{
	struct timespec nap = { .tv_nsec = LOOP_SETTLE_NS };
	double until = tg_mono_s() + TG_FLOOD_LOOP_DRAIN_S;
	__u64 c, d;

	__atomic_store_n(&l->skel->bss->loop_stop, 1, __ATOMIC_RELEASE);
	do {
		c = claimed(l);
		d = delivered(l);
		nanosleep(&nap, NULL);
	} while ((claimed(l) != c || delivered(l) != d) && tg_mono_s() < until);
}

/* Run one slice: grant its rounds, seed it, and wait until it is spent
 * (its rounds gone and the count still; or the count still for a while,
 * the loop having died early, a ring full), the count is reached, or the
 * flood is stopped. Frames claimed when it ended. */
static __u64 slice(struct tg_flood_loop *l, __u64 n, volatile sig_atomic_t *stop,
		   double deadline)
{
	struct timespec nap = { .tv_nsec = LOOP_POLL_NS };
	__u64 last = claimed(l), c;
	unsigned int idle = 0;

	__atomic_store_n(&l->skel->bss->loop_rounds, TG_FLOOD_LOOP_ROUNDS, __ATOMIC_RELEASE);
	seed(l);
	for (;;) {
		nanosleep(&nap, NULL);
		c = claimed(l);
		if (c >= n || *stop || tg_mono_s() >= deadline)
			return c;
		idle = c == last ? idle + 1 : 0;
		if (idle && (__atomic_load_n(&l->skel->bss->loop_rounds, __ATOMIC_ACQUIRE) <= 0 ||
			     idle >= LOOP_IDLE_POLLS))
			return c;
		last = c;
	}
}

int tg_flood_loop_send(struct tg_flood_loop *l, __u64 n, volatile sig_atomic_t *stop,
		       double deadline, double *ended)
{
	struct flood_bpf__bss *bss = l->skel->bss;
	double start = tg_mono_s();
	int err = 0;

	bss->loop_claimed = 0;
	bss->loop_limit = n;
	__atomic_store_n(&bss->loop_stop, 0, __ATOMIC_RELEASE);
	while (!*stop && tg_mono_s() < deadline) {
		if (slice(l, n, stop, deadline) >= n)
			break;
		if (!claimed(l) && tg_mono_s() - start > TG_FLOOD_LOOP_DEAD_S) {
			tg_err("flood loop: no frame went round it in %.1f s: are both its "
			       "ends up?", TG_FLOOD_LOOP_DEAD_S);
			err = -EHOSTUNREACH;
			break;
		}
	}
	*ended = tg_mono_s();
	drain(l);
	return err;
}
