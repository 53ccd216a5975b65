/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * clock.h - between BPF's clock and Redis'.
 *
 * Buckets hold CLOCK_MONOTONIC ns (bpf_ktime_get_ns), which restarts
 * near 0 at every boot and differs between machines. Redis holds µs of
 * the Redis server's wall clock (TIME), which neither does. Each sync
 * asks Redis for TIME between two monotonic readings t0 and t1 and takes
 * the midpoint as the moment Redis answered:
 *
 *   offset = redis_us * 1000 - (t0 + t1) / 2      (error <= RTT / 2)
 *   redis  = mono + offset,   mono = redis - offset
 *
 * Pure functions, unit-tested across a simulated reboot.
 */
#ifndef TG_CLOCK_H
#define TG_CLOCK_H

#include <linux/types.h>

#define TG_NSEC_PER_USEC 1000ULL
#define TG_NSEC_PER_MSEC 1000000ULL

/* Nanoseconds of CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads. */
__u64 tg_mono_ns(void);

/* The same in seconds, for deadlines and rates. */
static inline double tg_mono_s(void)
{
	return (double)tg_mono_ns() / 1e9;
}

__s64 tg_clock_offset(__u64 t0_ns, __u64 t1_ns, __u64 redis_us);

/* A monotonic time as Redis µs, rounded up: a converted TAT is never
 * earlier than the real one, so a restore never gives a token away. */
__u64 tg_mono_to_redis_us(__u64 mono_ns, __s64 offset_ns);

/* A Redis µs time as monotonic ns of this boot; 0 if it was before the
 * boot (any TAT that old means a full bucket). */
__u64 tg_redis_us_to_mono(__u64 redis_us, __s64 offset_ns);

/*
 * Redis' wall clock minus this machine's (CLOCK_REALTIME), from an
 * offset as above and the two local clocks read together (real_ns,
 * mono_ns): what an operator compares, where the offset to the
 * monotonic clock is mostly the uptime. Only for the metrics.
 */
__s64 tg_wall_offset(__s64 mono_offset_ns, __u64 real_ns, __u64 mono_ns);

/* Nanoseconds of CLOCK_REALTIME. */
__u64 tg_real_ns(void);

/* Milliseconds until tat_ns, rounded up, at least 1 (a relative TTL). */
__u64 tg_ttl_ms(__u64 tat_ns, __u64 now_ns);

#endif /* TG_CLOCK_H */
