// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * flood_sock.c - the flood's frames through a packet socket (see
 * flood_sock.h): slower than live frames, which never build an skb,
 * but the same frames, in the same order.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "csum_fix.h"
#include "flood_sock.h"

void tg_flood_stamp(const struct tg_flood_frame *f, __u32 sources, struct tg_flood_cursor *c,
		    __u8 *out)
{
	__u32 idx = c->next_source, word, old;
	__u16 csum, port, oldport;

	memcpy(out, f->data, f->len);
	c->next_source = idx + 1 >= sources ? 0 : idx + 1;
	word = htonl(f->src_base + (idx << f->src_shift));
	memcpy(&old, out + f->src_off, sizeof(old));
	if (f->ip_csum_off) {
		memcpy(&csum, out + f->ip_csum_off, sizeof(csum));
		tg_csum_replace4(&csum, old, word);
		memcpy(out + f->ip_csum_off, &csum, sizeof(csum));
	}
	/* TCP's pseudo-header holds the source address too. */
	memcpy(&csum, out + f->tcp_csum_off, sizeof(csum));
	tg_csum_replace4(&csum, old, word);
	memcpy(out + f->src_off, &word, sizeof(word));

	port = htons((__u16)(TG_FLOOD_PORT_BASE + (c->next_port++ & TG_FLOOD_PORT_MASK)));
	memcpy(&oldport, out + f->sport_off, sizeof(oldport));
	tg_csum_replace2(&csum, oldport, port);
	memcpy(out + f->sport_off, &port, sizeof(port));
	memcpy(out + f->tcp_csum_off, &csum, sizeof(csum));
}

int tg_flood_sock_open(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
	};
	int fd, one = 1;

	/* Protocol 0: the socket sends and never receives. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int tg_flood_sock_send(int fd, const struct tg_flood_frame *f, __u32 sources,
		       struct tg_flood_cursor *c, unsigned int n)
{
	__u8 frames[TG_FLOOD_SOCK_BATCH][TG_FLOOD_FRAME_MAX];
	struct mmsghdr msgs[TG_FLOOD_SOCK_BATCH];
	struct iovec iov[TG_FLOOD_SOCK_BATCH];
	struct tg_flood_cursor start = *c;
	unsigned int i;
	int sent;

	if (n > TG_FLOOD_SOCK_BATCH)
		n = TG_FLOOD_SOCK_BATCH;
	memset(msgs, 0, sizeof(msgs[0]) * n);
	for (i = 0; i < n; i++) {
		tg_flood_stamp(f, sources, c, frames[i]);
		iov[i] = (struct iovec){ .iov_base = frames[i], .iov_len = f->len };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	sent = sendmmsg(fd, msgs, n, 0);
	if (sent < 0) {
		sent = -errno;
		*c = start;
		return sent;
	}
	/* Frames the kernel did not take come first next time. */
	c->next_source = (__u32)(((__u64)start.next_source + (unsigned int)sent) % sources);
	c->next_port = start.next_port + (unsigned int)sent;
	return sent;
}
