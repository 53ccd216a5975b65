// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flood.c - craft one SYN, then send it many times through live frames. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
/* <limits.h> would find user/limits.h first; ethtool.h wants INT_MAX. */
#ifndef INT_MAX
#define INT_MAX __INT_MAX__
#endif
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "flood.h"
#include "flood_loop.h"
#include "flood_sock.h"
#include "percpu.h"
#include "tidegate.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

/*
 * Frames per BPF_PROG_TEST_RUN call, at most. Every call sets up and
 * tears down a page pool, and the teardown waits for an RCU grace
 * period: milliseconds, during which nothing is sent. So a thread asks
 * for all its frames in one call, and the deadline or a stop reaches it
 * as a signal, which ends a live-frame run between two batches. A paced
 * thread (--pps) cannot: it asks for what it owes, a tick's worth or
 * more, and pays that cost per call (tg_flood_pace).
 */
#define TG_FLOOD_CHUNK (1U << 30)
#define TG_FLOOD_WAKE_SIG SIGUSR1
#define TG_FLOOD_POLL_NS 5000000L

/* TCP options of the SYN: MSS only, as the smallest SYN a stack sends. */
#define TCP_OPT_LEN 4
#define TCPOPT_MSS  2
#define TCPOLEN_MSS 4

__u16 tg_inet_csum(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

__u16 tg_flood_tcp_csum(int family, const __u8 *l3, const __u8 *tcp, size_t tcp_len)
{
	__u8 pseudo[40];
	size_t plen;

	memset(pseudo, 0, sizeof(pseudo));
	if (family == AF_INET) {
		const struct iphdr *ip = (const void *)l3;

		memcpy(pseudo, &ip->saddr, 4);
		memcpy(pseudo + 4, &ip->daddr, 4);
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = (__u8)(tcp_len >> 8);
		pseudo[11] = (__u8)tcp_len;
		plen = 12;
	} else {
		const struct ipv6hdr *ip6 = (const void *)l3;

		memcpy(pseudo, &ip6->saddr, 16);
		memcpy(pseudo + 16, &ip6->daddr, 16);
		pseudo[34] = (__u8)(tcp_len >> 8);
		pseudo[35] = (__u8)tcp_len;
		pseudo[39] = IPPROTO_TCP;
		plen = 40;
	}
	/* Sum the pseudo-header unfolded, then the segment on top. */
	return tg_inet_csum(tcp, tcp_len, (__u16)~tg_inet_csum(pseudo, plen, 0));
}

/* Which 32-bit word of the address a prefix's last bit falls in, and
 * how far source numbers shift to land on that bit. */
static void prefix_word(const struct tg_flood_spec *s, unsigned int *word, unsigned int *shift)
{
	*word = (s->src_prefix - 1) / 32;
	*shift = 32 * (*word + 1) - s->src_prefix;
}

static __u32 src_word(const struct tg_flood_spec *s, unsigned int word)
{
	__u32 w;

	memcpy(&w, s->src + 4 * word, 4);
	return ntohl(w);
}

int tg_flood_build(const struct tg_flood_spec *s, struct tg_flood_frame *f, char *why,
		   size_t whylen)
{
	unsigned int width = s->family == AF_INET ? 32 : 128, word, shift;
	__u64 last, room;
	size_t l3, l4, tcp_len = sizeof(struct tcphdr) + TCP_OPT_LEN;
	/* Built 2 bytes into an aligned buffer, so the IP and TCP headers
	 * sit on 4-byte boundaries as their structs require. */
	__u8 buf[TG_FLOOD_FRAME_MAX + 2] __attribute__((aligned(8))) = { 0 };
	__u8 *data = buf + 2;
	struct ethhdr *eth;
	struct tcphdr *th;
	__u8 *opt;

	memset(f, 0, sizeof(*f));
	if (s->family != AF_INET && s->family != AF_INET6) {
		snprintf(why, whylen, "address family %d is neither IPv4 nor IPv6", s->family);
		return -EINVAL;
	}
	if (!s->sources || s->sources > TG_FLOOD_MAX_SOURCES) {
		snprintf(why, whylen, "%u sources: expected 1 to %u", s->sources,
			 TG_FLOOD_MAX_SOURCES);
		return -ERANGE;
	}
	if (s->src_prefix < 1 || s->src_prefix > width) {
		snprintf(why, whylen, "source prefix /%u: expected 1 to %u", s->src_prefix, width);
		return -ERANGE;
	}
	prefix_word(s, &word, &shift);
	/* Every source must come from the one word the program rewrites,
	 * with no carry into the word before it. */
	last = (__u64)(s->sources - 1) << shift;
	room = 0xffffffffULL - src_word(s, word);
	if (last > room) {
		snprintf(why, whylen,
			 "%u sources, one per /%u, do not fit after the base source address: "
			 "pick a lower base, a longer prefix or fewer sources",
			 s->sources, s->src_prefix);
		return -ERANGE;
	}

	l3 = sizeof(struct ethhdr);
	eth = (struct ethhdr *)data;
	memcpy(eth->h_dest, s->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, s->src_mac, ETH_ALEN);

	if (s->family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)(data + l3);

		eth->h_proto = htons(ETH_P_IP);
		l4 = l3 + sizeof(*ip);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((__u16)(sizeof(*ip) + tcp_len));
		ip->id = htons(1);
		ip->frag_off = htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		memcpy(&ip->saddr, s->src, 4);
		memcpy(&ip->daddr, s->dst, 4);
		ip->check = htons(tg_inet_csum(ip, sizeof(*ip), 0));
		f->ip_csum_off = (__u32)(l3 + offsetof(struct iphdr, check));
		f->src_off = (__u32)(l3 + offsetof(struct iphdr, saddr));
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(data + l3);

		eth->h_proto = htons(ETH_P_IPV6);
		l4 = l3 + sizeof(*ip6);
		ip6->version = 6;
		ip6->payload_len = htons((__u16)tcp_len);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, s->src, 16);
		memcpy(&ip6->daddr, s->dst, 16);
		f->src_off = (__u32)(l3 + offsetof(struct ipv6hdr, saddr) + 4 * word);
	}

	th = (struct tcphdr *)(data + l4);
	th->source = htons(TG_FLOOD_PORT_BASE);
	th->dest = htons(s->dport);
	th->seq = htonl(0x74676174); /* "tgat" */
	th->doff = (__u16)(tcp_len / 4);
	th->syn = 1;
	th->window = htons(64240);
	opt = (__u8 *)(th + 1);
	opt[0] = TCPOPT_MSS;
	opt[1] = TCPOLEN_MSS;
	opt[2] = TG_FLOOD_MSS >> 8;
	opt[3] = TG_FLOOD_MSS & 0xff;
	th->check = htons(tg_flood_tcp_csum(s->family, data + l3, (__u8 *)th, tcp_len));

	f->len = (__u32)(l4 + tcp_len);
	memcpy(f->data, data, f->len);
	f->src_base = src_word(s, word);
	f->src_shift = shift;
	f->tcp_csum_off = (__u32)(l4 + offsetof(struct tcphdr, check));
	f->sport_off = (__u32)(l4 + offsetof(struct tcphdr, source));
	return 0;
}

void tg_flood_source(const struct tg_flood_spec *s, const struct tg_flood_frame *f, __u32 i,
		     __u8 out[16])
{
	unsigned int word, shift;
	__u32 w;

	memset(out, 0, 16);
	memcpy(out, s->src, s->family == AF_INET ? 4 : 16);
	prefix_word(s, &word, &shift);
	w = htonl(f->src_base + (i << shift));
	memcpy(out + 4 * word, &w, 4);
}

int tg_parse_mac(const char *text, __u8 mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(text) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static int iface_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, req, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int tg_iface_driver(const char *ifname, char *driver, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int err;

	ifr.ifr_data = (void *)&info;
	err = iface_ioctl(ifname, SIOCETHTOOL, &ifr);
	if (err)
		return err;
	snprintf(driver, len, "%.*s", (int)sizeof(info.driver), info.driver);
	return 0;
}

int tg_iface_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = { 0 };
	int err;

	err = iface_ioctl(ifname, SIOCGIFHWADDR, &ifr);
	if (err)
		return err;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

__u64 tg_flood_pace(struct tg_flood_pacer *p, double now, __u64 left, double *wait)
{
	double pps = (double)p->pps, lag = TG_FLOOD_PACE_LAG_S * pps, owed = (now - p->start) * pps;
	__u64 due, tick = (__u64)(TG_FLOOD_PACE_TICK_S * pps);

	*wait = 0;
	if (owed - (double)p->sent > lag) {
		/* A stall: forgive what lies beyond the lag. */
		p->start = now - ((double)p->sent + lag) / pps;
		owed = (double)p->sent + lag;
	}
	due = owed > (double)p->sent ? (__u64)owed - p->sent : 0;
	if (tick < 1)
		tick = 1;
	if (tick > left)
		tick = left;
	if (due < tick) {
		*wait = (double)(p->sent + tick) / pps - (now - p->start);
		return 0;
	}
	return due < left ? due : left;
}

struct flood_thread {
	pthread_t tid;
	const struct tg_flood_run *run;
	int cpu;      /* -1: leave affinity alone */
	__u64 share;  /* frames this thread sends */
	__u64 pps;    /* its share of the rate; 0: unpaced */
	double deadline;
	double started, ended;
	__u64 calls;
	bool live_refused; /* the kernel answered live frames EPERM */
	bool looped;       /* then sent through run->loop */
	int sock;     /* the packet socket, once live frames were refused; else -1 */
	struct tg_flood_cursor cursor; /* its place in the rotation */
	__u64 sock_frames;
	int err;
	int done;     /* set, atomically, when the thread is about to end */
};

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

/* Its only work is to be delivered: a pending signal ends a live-frame
 * test run between batches. */
static void on_wake(int sig)
{
	(void)sig;
}

/* Send n frames through the thread's packet socket, unless stopped
 * first: how many went (counted in t->sock_frames whatever ends it), or
 * -errno. A full queue is waited out, for a second at most: a device
 * that keeps refusing (no carrier) fails the flood, not spins it. */
static __s64 sock_send(struct flood_thread *t, __u64 n)
{
	const struct tg_flood_run *run = t->run;
	double stalled = 0;
	__u64 done = 0;
	int r, err = 0;

	while (done < n && !*run->stop && tg_mono_s() < t->deadline) {
		r = tg_flood_sock_send(t->sock, run->frame, run->sources, &t->cursor,
				       n - done < TG_FLOOD_SOCK_BATCH ? (unsigned int)(n - done) :
								 TG_FLOOD_SOCK_BATCH);
		if (r == -ENOBUFS || r == -EAGAIN) {
			if (!stalled)
				stalled = tg_mono_s();
			else if (tg_mono_s() - stalled > TG_FLOOD_SOCK_STALL_S) {
				err = r;
				break;
			}
			sched_yield();
			continue;
		}
		if (r < 0) {
			if (r != -EINTR)
				err = r;
			break;
		}
		stalled = 0;
		done += (unsigned int)r;
	}
	t->sock_frames += done;
	return err ? err : (__s64)done;
}

static void *flood_thread(void *arg)
{
	struct flood_thread *t = arg;
	const struct tg_flood_run *run = t->run;
	struct xdp_md ctx_in = {
		.data_end = run->frame->len,
		.ingress_ifindex = (__u32)run->ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = run->frame->data,
		    .data_size_in = run->frame->len, .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = run->batch);
	struct tg_flood_pacer pacer = { .pps = t->pps };
	__u64 left = t->share, n;
	double wait;

	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	t->started = pacer.start = tg_mono_s();
	while (left && !*run->stop && tg_mono_s() < t->deadline) {
		n = left < TG_FLOOD_CHUNK ? left : TG_FLOOD_CHUNK;
		if (t->pps) {
			n = tg_flood_pace(&pacer, tg_mono_s(), n, &wait);
			if (!n) {
				/* The wake signal cuts this short too. */
				sleep_s(wait);
				continue;
			}
			pacer.sent += n;
		}
		if (t->sock >= 0) {
			__s64 r = sock_send(t, n);

			if (r < 0) {
				t->err = (int)r;
				break;
			}
			if (t->pps)
				pacer.sent -= n - (__u64)r;
			left -= (__u64)r;
			continue;
		}
		opts.repeat = (__u32)n;
		if (bpf_prog_test_run_opts(run->prog_fd, &opts)) {
			/* Refused outright: the same frames through the
			 * loop, or by packet socket. */
			if (errno == EPERM && !t->calls && run->loop) {
				t->live_refused = t->looped = true;
				t->err = tg_flood_loop_send(run->loop, left, run->stop,
							    t->deadline, &t->ended);
				break;
			}
			if (errno == EPERM && !t->calls) {
				t->live_refused = true;
				t->sock = tg_flood_sock_open(run->ifindex);
				if (t->sock >= 0) {
					if (t->pps)
						pacer.sent -= n;
					continue;
				}
				t->err = t->sock;
				break;
			}
			/* Cut short by the deadline or a stop: not a failure.
			 * How many it sent, the program counted. */
			if (errno != EINTR)
				t->err = -errno;
			break;
		}
		t->calls++;
		left -= opts.repeat;
	}
	if (!t->looped)
		t->ended = tg_mono_s();
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait for the threads; past the deadline or on a stop, signal those
 * still sending, again every few milliseconds: a signal that lands just
 * before a thread enters its test run does not stop that run. */
static void supervise(struct flood_thread *t, unsigned int n, const struct tg_flood_run *run,
		      double deadline)
{
	struct timespec nap = { .tv_nsec = TG_FLOOD_POLL_NS };
	unsigned int i, running;

	for (;;) {
		bool late = *run->stop || tg_mono_s() >= deadline;

		running = 0;
		for (i = 0; i < n; i++) {
			if (__atomic_load_n(&t[i].done, __ATOMIC_ACQUIRE))
				continue;
			running++;
			if (late)
				pthread_kill(t[i].tid, TG_FLOOD_WAKE_SIG);
		}
		if (!running)
			return;
		nanosleep(&nap, NULL);
	}
}

int tg_flood_send(const struct tg_flood_run *run, struct tg_flood_result *res)
{
	struct sigaction sa = { .sa_handler = on_wake }, old;
	struct flood_thread *t;
	cpu_set_t allowed;
	int cpus[TG_FLOOD_MAX_THREADS], ncpus = 0, c;
	unsigned int i, started = 0;
	double begin, first = 0, last = 0;
	int err = 0;

	memset(res, 0, sizeof(*res));
	/* Every paced thread needs a rate of at least one frame a second. */
	if (!run->threads || run->threads > TG_FLOOD_MAX_THREADS ||
	    (run->pps && run->pps < run->threads) ||
	    (run->loop && (run->threads > 1 || run->pps)))
		return -EINVAL;
	t = calloc(run->threads, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* Spread threads over the CPUs we are allowed, in order. */
	if (!sched_getaffinity(0, sizeof(allowed), &allowed))
		for (c = 0; c < CPU_SETSIZE && ncpus < TG_FLOOD_MAX_THREADS; c++)
			if (CPU_ISSET(c, &allowed))
				cpus[ncpus++] = c;
	/* No SA_RESTART: the signal must end the test run, not resume it. */
	sigemptyset(&sa.sa_mask);
	sigaction(TG_FLOOD_WAKE_SIG, &sa, &old);

	begin = tg_mono_s();
	for (i = 0; i < run->threads; i++) {
		t[i].run = run;
		t[i].sock = -1;
		t[i].cpu = ncpus > 1 ? cpus[i % (unsigned int)ncpus] : -1;
		t[i].share = run->count / run->threads + (i == 0 ? run->count % run->threads : 0);
		t[i].pps = run->pps / run->threads + (i == 0 ? run->pps % run->threads : 0);
		t[i].deadline = begin + run->duration;
		err = -pthread_create(&t[i].tid, NULL, flood_thread, &t[i]);
		if (err)
			break;
		started++;
	}
	supervise(t, started, run, begin + run->duration);
	for (i = 0; i < started; i++) {
		pthread_join(t[i].tid, NULL);
		res->calls += t[i].calls;
		res->sock_frames += t[i].sock_frames;
		res->live_refused |= t[i].live_refused;
		res->loop_threads += t[i].looped;
		if (t[i].sock >= 0) {
			res->sock_threads++;
			close(t[i].sock);
		}
		if (!err && t[i].err)
			err = t[i].err;
		if (!i || t[i].started < first)
			first = t[i].started;
		if (t[i].ended > last)
			last = t[i].ended;
	}
	sigaction(TG_FLOOD_WAKE_SIG, &old, NULL);
	res->seconds = started ? last - first : 0;
	res->err = err;
	free(t);
	return err;
}

int tg_flood_frames(int state_fd, __u64 *frames)
{
	struct tg_flood_cpu *v;
	__u32 zero = 0;
	int ncpus, i;

	*frames = 0;
	ncpus = tg_percpu_read(state_fd, &zero, sizeof(*v), (void **)&v);
	if (ncpus < 0)
		return ncpus;
	for (i = 0; i < ncpus; i++)
		*frames += v[i].frames;
	free(v);
	return 0;
}
