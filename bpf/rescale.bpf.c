// SPDX-License-Identifier: GPL-2.0
/*
 * rescale.bpf.c - carry the buckets across a limit changed live, and
 * void the front slots for a change their stamps do not follow.
 *
 * A bucket's state is a debt of time (tat - now) in units of the limit
 * it was charged under; read under another limit the same debt means
 * another number of tokens, so a tightened limit would hand a drained
 * source a nearly full bucket. This program rewrites each bucket of one
 * limit so that its tokens are kept: the same count when the burst
 * grows, the same share of the bucket when it shrinks, never more
 * tokens than before (the README's "Changing a limit live").
 *
 * Run by user/rescale.c with BPF_PROG_TEST_RUN on tidegate's own pinned
 * tg_buckets, in two passes around the write of the new limit: first
 * only the debts that grow, then only those that shrink. Between the
 * passes every bucket owes at least what it owes under either limit, so
 * no packet ever reads a refilled bucket. Each bucket is rewritten with
 * a compare-and-swap, as the data path updates it.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "tidegate.h"

char LICENSE[] SEC("license") = "GPL";

#define TG_RESCALE_TRIES 8

/* The XDP program's tg_buckets and tg_config_gen, whose pinned fds
 * user/rescale.c hands over. */
#include "shared_maps.h"

/* a * f / 2^32, rounded down, or limit when that is limit or more. */
static __always_inline __u64 mul_q32(__u64 a, __u64 f, __u64 limit)
{
	__u64 fh = f >> 32, fl = f & 0xffffffffULL;
	__u64 ah = a >> 32, al = a & 0xffffffffULL;
	__u64 r;

	if (fh && a > limit / fh)
		return limit;
	r = a * fh + ah * fl + ((al * fl) >> 32);
	return r < limit ? r : limit;
}

/*
 * The debt under the new limit of a bucket owing debt under the old:
 * the time its tokens took (old cap - debt) converted by the factor and
 * taken from the new cap. The product is rounded down, the factor up
 * (user/rescale.c), so a token is carried to within 2^-32 of its time.
 */
static __always_inline __u64 new_debt(__u64 debt, const struct tg_rescale *r)
{
	__u64 left = debt < r->old_cap_ns ? r->old_cap_ns - debt : 0;

	return r->new_cap_ns - mul_q32(left, r->factor_q32, r->new_cap_ns);
}

static long rescale_one(void *map, struct tg_source *key, struct tg_bucket *b,
			struct tg_rescale *r)
{
	int i;

	if (key->rule != r->rule || key->group != r->group)
		return 0;
	r->seen++;
	for (i = 0; i < TG_RESCALE_TRIES; i++) {
		__u64 old = *(volatile __u64 *)&b->tat_ns;
		__u64 debt = old > r->now_ns ? old - r->now_ns : 0;
		__u64 want = new_debt(debt, r);

		if (r->raise ? want <= debt : want >= debt)
			return 0;
		if (__sync_val_compare_and_swap(&b->tat_ns, old, r->now_ns + want) == old) {
			r->changed++;
			return 0;
		}
	}
	r->contended++;
	return 0;
}

/* The context is copied to the stack: the callback's must live there. */
SEC("syscall")
int tg_rescale(struct tg_rescale *ctx)
{
	struct tg_rescale r = *ctx;
	__u32 key = TG_GEN_FRONT, *epoch;

	if (!r.now_ns)
		r.now_ns = bpf_ktime_get_ns();
	epoch = bpf_map_lookup_elem(&tg_config_gen, &key);
	if (!r.raise && epoch)
		__sync_fetch_and_add(epoch, 1);
	bpf_for_each_map_elem(&tg_buckets, rescale_one, &r, 0);
	if (!r.raise && epoch)
		__sync_fetch_and_add(epoch, 1);
	*ctx = r;
	return 0;
}

/*
 * Void every front slot (bpf/front.h) of the interface: the front epoch
 * moves two on, so its parity, odd while a lowering above is under way,
 * is kept. For a change the slots' stamps do not follow (the fleet's
 * share of the limit, user/fleet.c), made after every packet that read
 * the old state has returned (user/rescale.c).
 */
SEC("syscall")
int tg_front_void(void *ctx)
{
	__u32 key = TG_GEN_FRONT, *epoch = bpf_map_lookup_elem(&tg_config_gen, &key);

	if (epoch)
		__sync_fetch_and_add(epoch, 2);
	return 0;
}
