// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_flood.c - the real flood program (bpf/flood.bpf.c) under
 * BPF_PROG_TEST_RUN: every frame it makes has the next source and
 * source port, and both checksums verify, recomputed here from scratch.
 *
 * Live frames keep what the previous run left in their page, so the
 * rewrite must hold from any starting content: each case runs once on
 * the pristine frame and once feeding each output back in. The packet
 * socket's sender (user/flood_sock.c) must make the same bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flood.h"
#include "flood_sock.h"
#include "flood.skel.h"
#include "tap.h"
#include "tidegate.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	printf("# ");
	return vprintf(fmt, ap);
}

/* The generator's own loader, so the test runs what flood runs. */
static struct flood_bpf *load(const struct tg_flood_spec *s, const struct tg_flood_frame *f)
{
	struct flood_bpf *skel;

	return tg_flood_load(f, s->sources, &skel) ? NULL : skel;
}

/* The L3 header and TCP of a frame copied 2 bytes into an aligned buffer. */
struct view {
	unsigned char buf[TG_FLOOD_FRAME_MAX + 2] __attribute__((aligned(8)));
	const unsigned char *l3, *tcp;
	size_t tcp_len;
};

static void view_of(struct view *v, const unsigned char *frame, __u32 len, int family)
{
	memcpy(v->buf + 2, frame, len);
	v->l3 = v->buf + 2 + 14;
	v->tcp = v->l3 + (family == AF_INET ? 20 : 40);
	v->tcp_len = len - (size_t)(v->tcp - (v->buf + 2));
}

static int run_case(const char *name, const struct tg_flood_spec *s, bool chain)
{
	unsigned char in[TG_FLOOD_FRAME_MAX], out[TG_FLOOD_FRAME_MAX], mine[TG_FLOOD_FRAME_MAX];
	struct tg_flood_cursor cur = { 0 };
	struct tg_flood_frame f;
	struct flood_bpf *skel;
	char why[128];
	__u32 i, runs = s->sources * 2 + 3, bad_src = 0, bad_ip = 0, bad_tcp = 0, bad_port = 0;
	__u32 bad_ret = 0, bad_stamp = 0, first_bad = 0;
	__u64 frames = 0;
	int fd, err;

	err = tg_flood_build(s, &f, why, sizeof(why));
	if (!tap_ok(!err, "%s: frame builds", name)) {
		tap_diag("  %s", why);
		return 1;
	}
	skel = load(s, &f);
	if (!tap_ok(skel != NULL, "%s: the flood program loads", name))
		return 1;
	fd = bpf_program__fd(skel->progs.flood_xdp);
	memcpy(in, f.data, f.len);
	for (i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = f.len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
		struct view v;
		__u8 want[16];
		__u16 sport;
		bool bad = false;

		if (bpf_prog_test_run_opts(fd, &o)) {
			tap_ok(0, "%s: test run %u: %s", name, i, strerror(errno));
			flood_bpf__destroy(skel);
			return 1;
		}
		view_of(&v, out, o.data_size_out, s->family);
		tg_flood_source(s, &f, i % s->sources, want);
		if (o.retval != XDP_TX)
			bad_ret++, bad = true;
		if (memcmp(v.l3 + (s->family == AF_INET ? 12 : 8), want,
			   s->family == AF_INET ? 4 : 16))
			bad_src++, bad = true;
		if (s->family == AF_INET && tg_inet_csum(v.l3, 20, 0))
			bad_ip++, bad = true;
		if (tg_flood_tcp_csum(s->family, v.l3, v.tcp, v.tcp_len))
			bad_tcp++, bad = true;
		sport = (__u16)(v.tcp[0] << 8 | v.tcp[1]);
		if (sport != TG_FLOOD_PORT_BASE + (i & TG_FLOOD_PORT_MASK))
			bad_port++, bad = true;
		tg_flood_stamp(&f, s->sources, &cur, mine);
		if (memcmp(mine, out, f.len))
			bad_stamp++, bad = true;
		if (bad && !first_bad)
			first_bad = i + 1;
		if (chain)
			memcpy(in, out, f.len);
	}
	tap_is(bad_ret, 0, "%s: every run returns XDP_TX", name);
	tap_is(bad_src, 0, "%s: frame i comes from source i mod %u", name, s->sources);
	if (s->family == AF_INET)
		tap_is(bad_ip, 0, "%s: every IPv4 header checksum verifies", name);
	tap_is(bad_tcp, 0, "%s: every TCP checksum verifies", name);
	tap_is(bad_port, 0, "%s: source ports count up from %d", name, TG_FLOOD_PORT_BASE);
	tap_is(bad_stamp, 0, "%s: the packet socket's frames are the same bytes", name);
	if (first_bad)
		tap_diag("  first bad frame: run %u", first_bad - 1);
	err = tg_flood_frames(bpf_map__fd(skel->maps.tg_flood), &frames);
	tap_is(err, 0, "%s: tg_flood_frames reads the count", name);
	tap_is(frames, runs, "%s: the program counted every frame it made", name);
	flood_bpf__destroy(skel);
	return 0;
}

/* A send the kernel refuses leaves the rotation where it was: its
 * frames come first next time, and no source is skipped. */
static void sock_cursor(const struct tg_flood_spec *s)
{
	struct tg_flood_cursor c = { .next_source = 7, .next_port = 9 };
	struct tg_flood_frame f;
	char why[128];
	int r;

	if (!tap_ok(!tg_flood_build(s, &f, why, sizeof(why)), "socket sender: frame builds"))
		return;
	r = tg_flood_sock_send(-1, &f, s->sources, &c, TG_FLOOD_SOCK_BATCH);
	tap_is(r, -EBADF, "socket sender: a refused send returns -errno");
	tap_ok(c.next_source == 7 && c.next_port == 9,
	       "socket sender: and leaves the cursor where it was (%u, %u)", c.next_source,
	       c.next_port);
}

int main(void)
{
	struct tg_flood_spec s = {
		.src_mac = { 0x02, 0, 0, 0, 0, 2 },
		.dst_mac = { 0x02, 0, 0, 0, 0, 1 },
		.dport = 80,
	};
	cpu_set_t one;

	if (geteuid() != 0)
		tap_skip_all("needs root for BPF_PROG_TEST_RUN");
	libbpf_set_print(quiet);
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1)
		tap_skip_all("the kernel cannot load XDP programs");
	/* The program keeps its place per CPU: stay on one. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);

	s.family = AF_INET;
	s.sources = 300;
	s.src_prefix = 32;
	inet_pton(AF_INET, "198.19.0.200", s.src); /* carries into the third byte */
	inet_pton(AF_INET, "198.18.0.1", s.dst);
	run_case("IPv4 /32, pristine frames", &s, false);
	run_case("IPv4 /32, frames fed back", &s, true);
	s.src_prefix = 24;
	s.sources = 40;
	run_case("IPv4 /24", &s, true);
	s.sources = 1;
	s.src_prefix = 32;
	run_case("IPv4, one source", &s, true);

	memset(s.src, 0, 16);
	memset(s.dst, 0, 16);
	s.family = AF_INET6;
	s.sources = 300;
	s.src_prefix = 64;
	inet_pton(AF_INET6, "2001:db8:19:ff00::", s.src);
	inet_pton(AF_INET6, "2001:db8:18::1", s.dst);
	run_case("IPv6 /64, pristine frames", &s, false);
	run_case("IPv6 /64, frames fed back", &s, true);
	s.src_prefix = 128;
	run_case("IPv6 /128", &s, true);
	sock_cursor(&s);
	return tap_done();
}
