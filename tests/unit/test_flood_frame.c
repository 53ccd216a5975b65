// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_flood_frame.c - the SYN `tidegate flood` crafts: every byte that
 * matters, both checksums (by a checksum written here from RFC 1071,
 * not the one under test), the source sequence and the refusals; and
 * the pacing arithmetic of --pps.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <string.h>

#include "flood.h"
#include "tap.h"
#include "tidegate.h"

/* RFC 1071, byte by byte, on a buffer assembled here. */
static unsigned int ref_sum(const unsigned char *p, size_t n)
{
	unsigned int s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += i & 1 ? p[i] : (unsigned int)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* 1 if the TCP segment's checksum verifies with its pseudo-header. */
static int tcp_ok(int family, const unsigned char *l3, const unsigned char *tcp, size_t len)
{
	unsigned char buf[256];
	size_t n = 0;

	if (family == AF_INET) {
		memcpy(buf, l3 + 12, 8); /* saddr, daddr */
		buf[8] = 0;
		buf[9] = IPPROTO_TCP;
		buf[10] = (unsigned char)(len >> 8);
		buf[11] = (unsigned char)len;
		n = 12;
	} else {
		memcpy(buf, l3 + 8, 32);
		memset(buf + 32, 0, 8);
		buf[34] = (unsigned char)(len >> 8);
		buf[35] = (unsigned char)len;
		buf[39] = IPPROTO_TCP;
		n = 40;
	}
	memcpy(buf + n, tcp, len);
	return ref_sum(buf, n + len) == 0xffff;
}

static void spec_v4(struct tg_flood_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->family = AF_INET;
	memcpy(s->src_mac, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(s->dst_mac, "\x02\x00\x00\x00\x00\x01", 6);
	inet_pton(AF_INET, "198.19.0.0", s->src);
	inet_pton(AF_INET, "198.18.0.1", s->dst);
	s->dport = 443;
	s->sources = 1000;
	s->src_prefix = 32;
}

static void spec_v6(struct tg_flood_spec *s)
{
	spec_v4(s);
	s->family = AF_INET6;
	memset(s->src, 0, 16);
	memset(s->dst, 0, 16);
	inet_pton(AF_INET6, "2001:db8:19::", s->src);
	inet_pton(AF_INET6, "2001:db8:18::1", s->dst);
	s->src_prefix = 64;
}

static void src_is(const struct tg_flood_spec *s, const struct tg_flood_frame *f, __u32 i,
		   const char *want)
{
	char got[INET6_ADDRSTRLEN];
	__u8 a[16];

	tg_flood_source(s, f, i, a);
	inet_ntop(s->family, a, got, sizeof(got));
	tap_is_str(got, want, "source %u of %s is %s", i, s->family == AF_INET ? "v4" : "v6",
		   want);
}

/* The frame 2 bytes into an aligned buffer, its headers aligned. */
static const unsigned char *aligned(const struct tg_flood_frame *f, unsigned char *buf)
{
	memcpy(buf + 2, f->data, f->len);
	return buf + 2;
}

static void test_v4(void)
{
	unsigned char buf[TG_FLOOD_FRAME_MAX + 2] __attribute__((aligned(8)));
	const unsigned char *d;
	struct tg_flood_spec s;
	struct tg_flood_frame f;
	const struct ethhdr *eth;
	const struct iphdr *ip;
	const struct tcphdr *th;
	const unsigned char *opt;
	char why[128];

	spec_v4(&s);
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "IPv4 frame builds");
	d = aligned(&f, buf);
	eth = (const void *)d;
	ip = (const void *)(d + sizeof(*eth));
	th = (const void *)(ip + 1);
	opt = (const void *)(th + 1);
	tap_is(f.len, 14 + 20 + 24, "  58 bytes: Ethernet, IPv4, TCP with MSS");
	tap_ok(!memcmp(eth->h_dest, s.dst_mac, 6) && !memcmp(eth->h_source, s.src_mac, 6),
	       "  MACs as given");
	tap_is(ntohs(eth->h_proto), ETH_P_IP, "  ethertype IPv4");
	tap_is(ip->version, 4, "  version 4");
	tap_is(ip->ihl, 5, "  no IP options");
	tap_is(ntohs(ip->tot_len), 44, "  total length 44");
	tap_is(ip->protocol, IPPROTO_TCP, "  protocol TCP");
	tap_is(ntohs(ip->frag_off), 0x4000, "  DF, not a fragment");
	tap_is(ref_sum((const void *)ip, 20), 0xffff, "  IP header checksum verifies");
	tap_ok(!memcmp(&ip->saddr, s.src, 4) && !memcmp(&ip->daddr, s.dst, 4),
	       "  addresses as given");
	tap_is(ntohs(th->dest), 443, "  destination port 443");
	tap_is(ntohs(th->source), TG_FLOOD_PORT_BASE, "  source port the first of the cycle");
	tap_ok(th->syn && !th->ack && !th->rst && !th->fin, "  SYN alone");
	tap_is(th->doff, 6, "  data offset 6 (MSS option)");
	tap_ok(opt[0] == 2 && opt[1] == 4 && (opt[2] << 8 | opt[3]) == TG_FLOOD_MSS,
	       "  MSS option %d", TG_FLOOD_MSS);
	tap_ok(tcp_ok(AF_INET, (const void *)ip, (const void *)th, 24),
	       "  TCP checksum verifies with the pseudo-header");
	tap_is(tg_flood_tcp_csum(AF_INET, (const void *)ip, (const void *)th, 24), 0,
	       "  tg_flood_tcp_csum agrees");
	tap_is(f.src_off, 14 + 12, "  the rotating word is saddr");
	tap_is(f.ip_csum_off, 14 + 10, "  IP checksum offset");
	tap_is(f.tcp_csum_off, 14 + 20 + 16, "  TCP checksum offset");
	tap_is(f.sport_off, 14 + 20, "  source port offset");
	tap_is(f.src_shift, 0, "  /32: sources one address apart");
	src_is(&s, &f, 0, "198.19.0.0");
	src_is(&s, &f, 999, "198.19.3.231");

	s.src_prefix = 24;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "/24 sources build");
	tap_is(f.src_shift, 8, "  shifted by 8 bits");
	src_is(&s, &f, 2, "198.19.2.0");
}

static void test_v6(void)
{
	unsigned char buf[TG_FLOOD_FRAME_MAX + 2] __attribute__((aligned(8)));
	const unsigned char *d;
	struct tg_flood_spec s;
	struct tg_flood_frame f;
	const struct ipv6hdr *ip6;
	const struct tcphdr *th;
	char why[128];

	spec_v6(&s);
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "IPv6 frame builds");
	d = aligned(&f, buf);
	ip6 = (const void *)(d + 14);
	th = (const void *)(ip6 + 1);
	tap_is(f.len, 14 + 40 + 24, "  78 bytes");
	tap_is(d[12] << 8 | d[13], ETH_P_IPV6, "  ethertype IPv6");
	tap_is(ip6->version, 6, "  version 6");
	tap_is(ip6->nexthdr, IPPROTO_TCP, "  next header TCP, no extension headers");
	tap_is(ntohs(ip6->payload_len), 24, "  payload length 24");
	tap_is(ip6->hop_limit, 64, "  hop limit 64");
	tap_ok(tcp_ok(AF_INET6, (const void *)ip6, (const void *)th, 24),
	       "  TCP checksum verifies with the IPv6 pseudo-header");
	tap_is(f.ip_csum_off, 0, "  no IP checksum to fix");
	tap_is(f.src_off, 14 + 8 + 4, "  /64: the rotating word is saddr's second");
	src_is(&s, &f, 1, "2001:db8:19:1::");
	src_is(&s, &f, 70000, "2001:db8:1a:1170::");

	s.src_prefix = 48;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "/48 sources build");
	src_is(&s, &f, 1, "2001:db8:1a::");
	s.src_prefix = 128;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "/128 sources build");
	tap_is(f.src_off, 14 + 8 + 12, "  the rotating word is saddr's last");
	src_is(&s, &f, 5, "2001:db8:19::5");
}

static void test_refusals(void)
{
	struct tg_flood_spec s;
	struct tg_flood_frame f;
	char why[128];
	__u8 mac[6];

	spec_v4(&s);
	s.sources = 0;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -ERANGE, "0 sources refused");
	s.sources = TG_FLOOD_MAX_SOURCES + 1;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -ERANGE, "too many sources refused");
	s.sources = 10;
	s.src_prefix = 33;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -ERANGE, "IPv4 /33 refused");
	s.src_prefix = 0;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -ERANGE, "/0 refused");
	s.src_prefix = 32;
	inet_pton(AF_INET, "255.255.255.250", s.src);
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -ERANGE,
	       "10 sources after 255.255.255.250 do not fit");
	tap_ok(strstr(why, "do not fit") != NULL, "  and it says so: %s", why);
	inet_pton(AF_INET, "255.255.255.246", s.src);
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), 0, "10 sources from .246 just fit");
	s.family = AF_UNIX;
	tap_is(tg_flood_build(&s, &f, why, sizeof(why)), -EINVAL, "another family refused");

	tap_is(tg_parse_mac("02:00:5e:10:00:ff", mac), 0, "a MAC parses");
	tap_ok(mac[0] == 2 && mac[3] == 0x10 && mac[5] == 0xff, "  to its bytes");
	tap_is(tg_parse_mac("02:00:5e:10:00", mac), -EINVAL, "five bytes refused");
	tap_is(tg_parse_mac("02:00:5e:10:00:fff", mac), -EINVAL, "a long byte refused");
	tap_is(tg_parse_mac("02-00-5e-10-00-ff", mac), -EINVAL, "dashes refused");
}

static void test_pace(void)
{
	struct tg_flood_pacer p = { .pps = 1000, .start = 100.0 };
	double wait, now, cost;
	__u64 n, calls;

	tap_is(tg_flood_pace(&p, 100.0, 50, &wait), 0, "1000/s: nothing owed at the start");
	tap_ok(wait > 0.00099 && wait < 0.00101, "  wait one frame's time: %g s", wait);
	tap_is(tg_flood_pace(&p, 100.0105, 50, &wait), 10, "10.5 ms in: 10 whole frames owed");
	p.sent = 10;
	tap_is(tg_flood_pace(&p, 100.0105, 50, &wait), 0, "  once sent, none");
	tap_ok(wait > 0.00049 && wait < 0.00051, "  until the 11th, 0.5 ms on: %g s", wait);
	tap_is(tg_flood_pace(&p, 100.050, 3, &wait), 3, "never more than is left");

	p = (struct tg_flood_pacer){ .pps = 1000000, .start = 0 };
	tap_is(tg_flood_pace(&p, 0.0005, 1U << 30, &wait), 0,
	       "1 Mpps: 500 owed is under a tick's 1000, so wait");
	tap_ok(wait > 0.00049 && wait < 0.00051, "  for the rest of the tick: %g s", wait);
	tap_is(tg_flood_pace(&p, 0.0005, 200, &wait), 200, "  unless that is all that is left");
	tap_is(tg_flood_pace(&p, 1.0, 1U << 30, &wait), 100000,
	       "a 1 s stall: only the lag's 100 ms worth is owed");
	tap_ok(p.start > 0.8999 && p.start < 0.9001, "  the start moved up: %g", p.start);

	/* A sender whose every call costs 30 ms (the live-frame run's
	 * teardown) plus 0.5 us a frame still averages the rate asked, and
	 * never more. */
	p = (struct tg_flood_pacer){ .pps = 1000000, .start = 0 };
	for (now = 0, calls = 0; now < 10.0; calls++) {
		n = tg_flood_pace(&p, now, 1U << 30, &wait);
		if (!n) {
			now += wait;
			continue;
		}
		p.sent += n;
		cost = 0.030 + (double)n * 0.5e-6;
		now += cost;
	}
	tap_ok(p.sent <= 10000000 + 100000 && p.sent >= 9900000,
	       "30 ms a call, 10 s at 1 Mpps: %llu sent in %llu calls",
	       (unsigned long long)p.sent, (unsigned long long)calls);
}

int main(void)
{
	test_v4();
	test_v6();
	test_refusals();
	test_pace();
	return tap_done();
}
