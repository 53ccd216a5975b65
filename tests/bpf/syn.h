/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* syn.h - a SYN frame ready for BPF_PROG_TEST_RUN, for the bucket tests. */
#ifndef TG_TEST_SYN_H
#define TG_TEST_SYN_H

#include "pkt.h"

/* A SYN to port 80 from one source, ready to run. */
struct syn {
	__u8 frame[PKT_MAX];
	__u32 len;
};

static inline int syn_build(struct syn *f, const struct pkt_spec *s)
{
	int len = pkt_build(s, f->frame, sizeof(f->frame));

	if (len < 0)
		return len;
	f->len = (__u32)len;
	return 0;
}

/* From an IPv4 source, host order; a plain SYN always fits. */
static inline struct syn syn4(__u32 addr)
{
	struct pkt_spec s = pkt_syn4(addr, 80);
	struct syn f;

	syn_build(&f, &s);
	return f;
}

#endif /* TG_TEST_SYN_H */
