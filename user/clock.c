// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* clock.c - monotonic ns <-> Redis µs. */
#include <time.h>

#include "clock.h"

__u64 tg_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__u64 tg_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

__s64 tg_wall_offset(__s64 mono_offset_ns, __u64 real_ns, __u64 mono_ns)
{
	/* redis - real = (redis - mono) - (real - mono) */
	return mono_offset_ns - ((__s64)real_ns - (__s64)mono_ns);
}

__s64 tg_clock_offset(__u64 t0_ns, __u64 t1_ns, __u64 redis_us)
{
	__u64 mid = t0_ns + (t1_ns - t0_ns) / 2;

	return (__s64)(redis_us * TG_NSEC_PER_USEC) - (__s64)mid;
}

__u64 tg_mono_to_redis_us(__u64 mono_ns, __s64 offset_ns)
{
	__s64 ns = (__s64)mono_ns + offset_ns;

	if (ns <= 0)
		return 0;
	return ((__u64)ns + TG_NSEC_PER_USEC - 1) / TG_NSEC_PER_USEC;
}

__u64 tg_redis_us_to_mono(__u64 redis_us, __s64 offset_ns)
{
	__s64 ns = (__s64)(redis_us * TG_NSEC_PER_USEC) - offset_ns;

	return ns > 0 ? (__u64)ns : 0;
}

__u64 tg_ttl_ms(__u64 tat_ns, __u64 now_ns)
{
	__u64 left = tat_ns > now_ns ? tat_ns - now_ns : 0;
	__u64 ms = (left + TG_NSEC_PER_MSEC - 1) / TG_NSEC_PER_MSEC;

	return ms ? ms : 1;
}
