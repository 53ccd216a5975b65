// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_compact.c - the compact table's prototype (baseline_compact in
 * bpf/baseline.bpf.c), which the benchmark measures beside tidegate,
 * limits what it claims to: one SYN per source at 1/minute burst 1,
 * sources apart, a /64 as one source, a full line denying a newcomer
 * without resetting anyone, a way taken back once its bucket is full
 * again, a burst, the hash spreading sources over the lines, and
 * everything but SYNs to its port passed.
 */
#include "xdp_env.h"
#include "baseline.skel.h"

static struct baseline_bpf *bl;
static int prog_fd;

/* Load with `lines` lines (a power of 2) and this limit. */
static int load(__u32 lines, __u64 interval_ns, __u64 burst)
{
	baseline_bpf__destroy(bl);
	bl = baseline_bpf__open();
	if (!bl)
		return -1;
	bl->rodata->compact_line_mask = lines - 1;
	bl->rodata->compact_interval_ns = interval_ns;
	bl->rodata->compact_tolerance_ns = (burst - 1) * interval_ns;
	if (bpf_map__set_max_entries(bl->maps.bl_compact, lines) || baseline_bpf__load(bl))
		return -1;
	prog_fd = bpf_program__fd(bl->progs.baseline_compact);
	return 0;
}

static int run(const char *src, __u16 dport, __u8 flags)
{
	struct fspec s = { .src = src, .v6 = strchr(src, ':') != NULL, .dport = dport,
			   .flags = flags };
	__u8 frame[256];
	int len = fbuild(&s, frame);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);

	if (len <= 0 || bpf_prog_test_run_opts(prog_fd, &o))
		return -1;
	return (int)o.retval;
}

static __u64 full_count(void)
{
	__u64 v[256] = { 0 }, sum = 0;
	__u32 zero = 0;
	int c, n = libbpf_num_possible_cpus();

	if (n > 256 || bpf_map_lookup_elem(bpf_map__fd(bl->maps.bl_compact_full), &zero, v))
		return ~0ULL;
	for (c = 0; c < n; c++)
		sum += v[c];
	return sum;
}

int main(void)
{
	static const char *line_mates[] = { "198.18.1.1", "198.18.1.2", "198.18.1.3",
					     "198.18.1.4" };
	int i, admitted;

	env_require_bpf();
	/* One line of four ways: the fifth new source finds it full. */
	if (!tap_ok(!load(1, 60 * SEC_NS, 1), "load baseline_compact with one line, 1/minute"))
		return tap_done();

	tap_is(run("198.18.1.1", 80, F_SYN), XDP_PASS, "a new source's SYN is admitted");
	tap_is(run("198.18.1.1", 80, F_SYN), XDP_DROP, "its second within the minute is dropped");
	tap_is(run("198.18.1.1", 80, F_SYN | F_ACK), XDP_PASS, "a SYN-ACK is not charged");
	tap_is(run("198.18.1.1", 80, F_ACK), XDP_PASS, "an ACK is not charged");
	tap_is(run("198.18.1.1", 443, F_SYN), XDP_PASS, "a SYN to another port is not charged");
	tap_is(run("2001:db8:0:1::1", 80, F_SYN), XDP_PASS, "an IPv6 source's SYN is admitted");
	tap_is(run("2001:db8:0:1::2", 80, F_SYN), XDP_DROP, "  its /64's next one is not");
	tap_is(run("2001:db8:0:2::1", 80, F_SYN), XDP_PASS, "  another /64's is");
	/* The line holds three sources now; one more fills it. */
	tap_is(run("198.18.1.2", 80, F_SYN), XDP_PASS, "a fourth source takes the last way");
	tap_is(run("198.18.1.3", 80, F_SYN), XDP_DROP, "a fifth finds the line full: denied");
	tap_is(full_count(), 1, "  and counted in bl_compact_full");
	for (i = 0, admitted = 0; i < 4; i++)
		admitted += run(line_mates[i], 80, F_SYN) == XDP_PASS;
	tap_is(admitted, 0, "no one's bucket was reset to make room");
	tap_is(run("ff02::1", 80, F_SYN), XDP_PASS, "an IPv6 multicast source passes uncharged");

	/* 1 a second: 1.3 s on (the coarse clock a tick behind at most),
	 * every bucket is full again. */
	if (tap_ok(!load(1, SEC_NS, 1), "reload: one line, 1/second")) {
		for (i = 0; i < 4; i++)
			run(line_mates[i], 80, F_SYN);
		tap_is(run("198.18.1.5", 80, F_SYN), XDP_DROP, "  a fifth source: the line is full");
		usleep(1300 * 1000);
		tap_is(run("198.18.1.5", 80, F_SYN), XDP_PASS,
		       "  1.3 s on, it takes a way whose bucket is full again");
	}
	if (tap_ok(!load(1, 60 * SEC_NS, 3), "reload: burst 3 at 1/minute")) {
		for (i = 0, admitted = 0; i < 5; i++)
			admitted += run("198.18.2.1", 80, F_SYN) == XDP_PASS;
		tap_is(admitted, 3, "  a source gets its burst of 3, no more");
	}
	/* 400 sources whose /64s count up, into 64 lines of 4: a hash that
	 * leaves lines empty admits far fewer than the 256 ways hold. */
	if (tap_ok(!load(64, 60 * SEC_NS, 1), "reload: 64 lines")) {
		char src[64];

		for (i = 0, admitted = 0; i < 400; i++) {
			snprintf(src, sizeof(src), "2001:db8:%x:%x::1", 0x19 + (i >> 16), i & 0xffff);
			admitted += run(src, 80, F_SYN) == XDP_PASS;
		}
		tap_ok(admitted >= 230 && admitted <= 256,
		       "  counting /64s spread over the lines: %d of 400 admitted into 256 ways",
		       admitted);
	}
	baseline_bpf__destroy(bl);
	return tap_done();
}
