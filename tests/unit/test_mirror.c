// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* test_mirror.c - the Redis key schema, value checks and clock conversion. */
#include <arpa/inet.h>

#include "clock.h"
#include "rkeys.h"
#include "shard.h"
#include "tap.h"

#define SEC 1000000000ULL

static struct tg_source v4(const char *a)
{
	struct tg_source s = { .addr = { [10] = 0xff, [11] = 0xff } };

	inet_pton(AF_INET, a, s.addr + 12);
	return s;
}

static struct tg_source v6(const char *a)
{
	struct tg_source s;

	inet_pton(AF_INET6, a, s.addr);
	return s;
}

static void test_shard(void)
{
	struct tg_source a = v4("198.51.100.7");
	/* FNV-1a 32 of bytes c6 33 64 07, by hand: the format is part of
	 * what other machines must agree on, so pin it. */
	__u32 h = 2166136261U;
	const __u8 b[4] = { 198, 51, 100, 7 };
	int i;

	for (i = 0; i < 4; i++)
		h = (h ^ b[i]) * 16777619U;
	tap_is(tg_source_shard(&a), h % 1024, "IPv4 shard is fnv1a32 of the 4 bytes mod 1024");
	/* Known vector: fnv1a32("") = 0x811c9dc5; of "a" = 0xe40c292c. */
	{
		struct tg_source s = v6("::");
		__u32 z = 2166136261U;

		for (i = 0; i < 16; i++)
			z = (z ^ 0) * 16777619U;
		tap_is(tg_source_shard(&s), z % 1024, "IPv6 shard hashes all 16 bytes");
	}
	/* IPv4-mapped is ::ffff:0:0/96 exactly: any other byte of the first
	 * twelve makes it IPv6 (include/shard.h compares them by words). */
	tap_ok(tg_source_is_v4(&a), "::ffff:198.51.100.7 is IPv4");
	for (i = 0; i < 12; i++) {
		struct tg_source s = a;

		s.addr[i] ^= i < 10 ? 0x01 : 0x80;
		if (tg_source_is_v4(&s)) {
			tap_ok(0, "a key differing from ::ffff:0:0/96 in byte %d is not IPv4", i);
			return;
		}
	}
	tap_ok(1, "a key differing from ::ffff:0:0/96 in any one of its 12 bytes is not IPv4");
}

static void test_keys(void)
{
	struct tg_source a = v4("198.51.100.7"), b = v4("198.51.100.0"),
			 c = v6("2001:db8:1:2::"), back;
	char key[TG_KEY_MAX], want[TG_KEY_MAX], pat[TG_KEY_MAX];
	int n;

	n = tg_key_format(key, sizeof(key), "tg", "eth1", &a, 32, 64);
	snprintf(want, sizeof(want), "tg:eth1:{s:%04u}:v4:198.51.100.7", tg_source_shard(&a));
	tap_is_str(key, want, "an IPv4 /32 key");
	tap_is(n, (int)strlen(want), "its length");
	tap_is(tg_key_parse(key, strlen(key), "tg", "eth1", 32, 64, &back), 0, "parses back");
	tap_ok(!memcmp(&back, &a, sizeof(a)), "to the same source");

	tg_key_format(key, sizeof(key), "tg", "eth1", &b, 24, 64);
	snprintf(want, sizeof(want), "tg:eth1:{s:%04u}:v4:198.51.100.0/24", tg_source_shard(&b));
	tap_is_str(key, want, "an IPv4 /24 key carries its length");
	tap_is(tg_key_parse(key, strlen(key), "tg", "eth1", 24, 64, &back), 0, "parses with /24");
	tap_ok(tg_key_parse(key, strlen(key), "tg", "eth1", 32, 64, &back) < 0,
	       "refused when the configured prefix is /32");

	tg_key_format(key, sizeof(key), "tg", "web", &c, 32, 64);
	snprintf(want, sizeof(want), "tg:web:{s:%04u}:v6:2001:db8:1:2::/64", tg_source_shard(&c));
	tap_is_str(key, want, "an IPv6 /64 key");
	tap_is(tg_key_parse(key, strlen(key), "tg", "web", 32, 64, &back), 0, "parses back");
	tap_ok(!memcmp(&back, &c, sizeof(c)), "to the same /64");
	tap_ok(tg_key_parse(key, strlen(key), "tg", "eth1", 32, 64, &back) < 0,
	       "another zone's key is refused");
	tap_ok(tg_key_parse(key, strlen(key), "tx", "web", 32, 64, &back) < 0,
	       "another prefix's key is refused");
	tg_key_pattern(pat, sizeof(pat), "tg", "web");
	tap_is_str(pat, "tg:web:{s:*}:v*", "the SCAN pattern");
}

static void test_hostile_keys(void)
{
	struct tg_source a = v4("198.51.100.7"), back;
	unsigned int s = tg_source_shard(&a), wrong = (s + 1) % 1024;
	char bad[12][TG_KEY_MAX];
	int i;

	snprintf(bad[0], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:198.51.100.7", wrong);
	snprintf(bad[1], TG_KEY_MAX, "tg:eth1:{s:%u}:v4:198.51.100.7", s + 10000);
	snprintf(bad[2], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:198.51.100.256", s);
	snprintf(bad[3], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:198.51.100.7/32", s);
	snprintf(bad[4], TG_KEY_MAX, "tg:eth1:{s:%04u}:v5:198.51.100.7", s);
	snprintf(bad[5], TG_KEY_MAX, "tg:eth1:{s:%04u}:v6:198.51.100.7", s);
	snprintf(bad[6], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:198.51.100.7 ", s);
	snprintf(bad[7], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:", s);
	snprintf(bad[8], TG_KEY_MAX, "tg:eth1:{s:%04u}", s);
	snprintf(bad[9], TG_KEY_MAX, "tg:eth1:{s:abcd}:v4:198.51.100.7");
	snprintf(bad[10], TG_KEY_MAX, "tg:eth1:{s:%04u}:v4:198.051.100.7", s);
	snprintf(bad[11], TG_KEY_MAX, "tg:eth1:{s:%04u}:v6:2001:DB8:1:2::/64",
		 tg_source_shard(&(struct tg_source){ .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 } }));
	for (i = 0; i < 12; i++)
		tap_ok(tg_key_parse(bad[i], strlen(bad[i]), "tg", "eth1", 32, 64, &back) < 0,
		       "key '%s' refused", bad[i]);
	{
		struct tg_source c = v6("2001:db8:1:2::1");
		char key[TG_KEY_MAX];

		snprintf(key, sizeof(key), "tg:eth1:{s:%04u}:v6:2001:db8:1:2::1/64",
			 tg_source_shard(&c));
		tap_ok(tg_key_parse(key, strlen(key), "tg", "eth1", 32, 64, &back) < 0,
		       "an IPv6 key with bits past its /64 is refused");
	}
	{
		const char k[] = "tg:eth1:{s:0001}\0:v4:1.2.3.4";

		tap_ok(tg_key_parse(k, sizeof(k) - 1, "tg", "eth1", 32, 64, &back) < 0,
		       "a key with a NUL inside is refused");
	}
}

static void test_values(void)
{
	static const char *const bads[] = { "", "0", "-5", "+5", "12a", "1.5", " 12", "nan",
					    "99999999999999999999", "1e9", "0x10" };
	__u64 us = 0;
	size_t i;

	tap_is(tg_value_parse("1752000000123456", 16, &us), 0, "a µs timestamp parses");
	tap_is(us, 1752000000123456ULL, "to itself");
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		tap_ok(tg_value_parse(bads[i], strlen(bads[i]), &us) < 0, "value '%s' refused",
		       bads[i]);
}

static void test_clock(void)
{
	/* This machine: up 11 days. Redis' wall clock: mid-2025. */
	__u64 t0 = 950400ULL * SEC, t1 = t0 + 200000, redis_us = 1752000000000000ULL;
	__s64 off = tg_clock_offset(t0, t1, redis_us);
	__u64 tat = t0 + 5 * SEC + 123, tat_us, back;

	tap_is(off, (__s64)(redis_us * 1000) - (__s64)(t0 + 100000),
	       "the offset is taken at the round trip's midpoint");
	tat_us = tg_mono_to_redis_us(tat, off);
	back = tg_redis_us_to_mono(tat_us, off);
	tap_ok(back >= tat && back - tat < 1000, "mono -> redis -> mono rounds up by < 1 µs "
						 "(%llu ns)", (unsigned long long)(back - tat));
	/* The metric: the same Redis answer against this machine's wall
	 * clock, which reads 0.25 s behind Redis' at the midpoint. */
	tap_is(tg_wall_offset(off, redis_us * 1000 - SEC / 4, t0 + 100000), SEC / 4,
	       "Redis' wall clock minus ours: 0.25 s, the uptime gone from the offset");
	tap_is(tg_wall_offset(off, redis_us * 1000 + 2 * SEC, t0 + 100000), -2 * (__s64)SEC,
	       "  and -2 s when ours is ahead");
	tap_is(tg_ttl_ms(t0 + 1500 * 1000000ULL + 1, t0), 1501, "TTL rounds up to the ms");
	tap_is(tg_ttl_ms(t0, t0), 1, "TTL is at least 1 ms");
	tap_is(tg_ttl_ms(t0 - 5, t0), 1, "TTL of a past TAT is 1 ms");

	/*
	 * A reboot: the machine comes back 40 s later (Redis time), its
	 * monotonic clock restarted and now reads 3 s. The bucket's TAT was
	 * 5 s after t0; 40 s have passed on Redis' clock, so a TAT of
	 * 5 s after t0 is in the past: the bucket is full.
	 */
	{
		__u64 r2 = redis_us + 40 * 1000000ULL, m2 = 3 * SEC;
		__s64 off2 = tg_clock_offset(m2, m2, r2);
		struct tg_restore_frame f = { .redis_now_us = r2, .offset_ns = off2,
					      .interval_ns = SEC / 10, .tolerance_ns = 49 * SEC / 10 };
		__u64 out = 0;

		tap_is(tg_restore_decide(&f, tat_us, &out), TG_RESTORE_FULL,
		       "after the reboot, a TAT long past means a full bucket");
		/* A TAT 4 s ahead of Redis' now at the reboot is 4 s ahead of
		 * the new boot's now: same remaining budget, new clock. */
		tap_is(tg_restore_decide(&f, r2 + 4000000ULL, &out), TG_RESTORE,
		       "a TAT 4 s ahead is restored");
		tap_is(out, m2 + 4 * SEC, "as 4 s ahead of the new boot's clock, exactly");
		tap_is(tg_restore_decide(&f, r2 + 5000001ULL + 2000000ULL, &out),
		       TG_RESTORE_REJECT_FUTURE,
		       "a TAT past now + tolerance + interval + margin is refused");
		tap_is(tg_restore_decide(&f, r2 + 5000000ULL + 2000000ULL, &out), TG_RESTORE,
		       "at now + tolerance + interval + margin it is still taken");
		tap_is(tg_restore_decide(&f, ~0ULL / 2, &out), TG_RESTORE_REJECT_FUTURE,
		       "an absurd TAT is refused");
		/* Redis' clock behind the machine's boot: a TAT before the boot. */
		f.offset_ns = (__s64)((r2 + 2000) * 1000);
		tap_is(tg_restore_decide(&f, r2 + 1000, &out), TG_RESTORE_FULL,
		       "a TAT that maps before the boot means a full bucket");
	}
	/* Machines whose clocks differ: one offset per machine, same TAT. */
	{
		__u64 ra = redis_us, ma = 1000 * SEC, mb = 7 * SEC;
		__s64 oa = tg_clock_offset(ma, ma, ra), ob = tg_clock_offset(mb, mb, ra);
		__u64 tat_a = ma + 2 * SEC, us = tg_mono_to_redis_us(tat_a, oa);

		tap_is(tg_redis_us_to_mono(us, ob), mb + 2 * SEC,
		       "a TAT written by one machine means the same moment on another");
	}
}

/* After 'set --v4-prefix 24' the table still holds /32 buckets: they
 * are not written under /24 keys (restore would refuse them). */
static void test_fits(void)
{
	struct tg_source a = v4("198.51.100.7"), n = v4("198.51.100.0"),
			 s = v6("2001:db8:1:2::"), h = v6("2001:db8:1:2::1");

	tap_ok(tg_source_fits(&a, 32, 64), "198.51.100.7 fits /32");
	tap_ok(!tg_source_fits(&a, 24, 64), "  not /24: host bits past it");
	tap_ok(tg_source_fits(&n, 24, 64), "198.51.100.0 fits /24");
	tap_ok(tg_source_fits(&s, 32, 64), "2001:db8:1:2:: fits /64");
	tap_ok(!tg_source_fits(&s, 32, 48), "  not /48");
	tap_ok(!tg_source_fits(&h, 32, 64), "2001:db8:1:2::1 does not fit /64");
	tap_ok(tg_source_fits(&h, 32, 128), "  but /128");
}

int main(void)
{
	test_shard();
	test_fits();
	test_keys();
	test_hostile_keys();
	test_values();
	test_clock();
	return tap_done();
}
