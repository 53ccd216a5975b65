// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_flood.c - tidegate flood: crafted SYNs out of a veth at millions
 * of packets per second, to load-test a sandbox before trusting a
 * configuration, and to drive the benchmark.
 *
 * It only ever sends out of a veth: the frames carry forged source
 * addresses, and a veth's far end is a namespace on this machine, never
 * a wire.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "caps.h"
#include "commands.h"
#include "flood.h"
#include "flood.skel.h"
#include "flood_loop.h"
#include "iface.h"
#include "interrupt.h"
#include "log.h"
#include "output.h"
#include "parse.h"

#define FLOOD_DEFAULT_COUNT    1000000ULL
#define FLOOD_MAX_COUNT        100000000000ULL
#define FLOOD_DEFAULT_DURATION 10.0
#define FLOOD_MAX_DURATION     3600.0
#define FLOOD_MAX_PPS          1000000000ULL
#define FLOOD_DEFAULT_SRC4     "198.19.0.0"
#define FLOOD_DEFAULT_SRC6     "2001:db8:19::"

static int parse_addr(const char *opt, const char *text, int *family, __u8 out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, text, out) == 1)
		*family = AF_INET6;
	else
		return tg_fail(TG_EXIT_USAGE, "%s '%s': not an IPv4 or IPv6 address", opt, text);
	return 0;
}

static int parse_u64_opt(const struct tg_cmdline *cl, int id, __u64 min, __u64 max, __u64 dflt,
			 __u64 *out)
{
	*out = dflt;
	if (cl->set[id] && tg_parse_u64(cl->val[id], min, max, out))
		return tg_fail(TG_EXIT_USAGE, "--%s '%s': expected a whole number from %llu to %llu",
			       tg_opt_defs[id].name, cl->val[id], (unsigned long long)min,
			       (unsigned long long)max);
	return 0;
}

static int parse_duration(const struct tg_cmdline *cl, double *out)
{
	const char *text = cl->val[OPT_DURATION];
	char *end;

	*out = FLOOD_DEFAULT_DURATION;
	if (!cl->set[OPT_DURATION])
		return 0;
	errno = 0;
	*out = strtod(text, &end);
	if (errno || end == text || *end || !isfinite(*out) || *out < 0.01 ||
	    *out > FLOOD_MAX_DURATION)
		return tg_fail(TG_EXIT_USAGE, "--duration '%s': expected seconds from 0.01 to %.0f",
			       text, FLOOD_MAX_DURATION);
	return 0;
}

/* Everything the options say, checked before anything is touched. */
static int parse_spec(const struct tg_cmdline *cl, struct tg_flood_spec *s, __u64 *count,
		      double *duration, unsigned int *threads, __u64 *pps)
{
	__u64 v;
	int fam, ret;

	memset(s, 0, sizeof(*s));
	if (!cl->set[OPT_DST_IP] || !cl->set[OPT_DST_MAC])
		return tg_fail(TG_EXIT_USAGE, "flood: --dst-ip and --dst-mac are required "
				       "(see 'tidegate help flood')");
	if ((ret = parse_addr("--dst-ip", cl->val[OPT_DST_IP], &s->family, s->dst)))
		return ret;
	if (tg_parse_mac(cl->val[OPT_DST_MAC], s->dst_mac))
		return tg_fail(TG_EXIT_USAGE, "--dst-mac '%s': expected aa:bb:cc:dd:ee:ff",
			       cl->val[OPT_DST_MAC]);
	if (cl->set[OPT_SRC]) {
		if ((ret = parse_addr("--src", cl->val[OPT_SRC], &fam, s->src)))
			return ret;
		if (fam != s->family)
			return tg_fail(TG_EXIT_USAGE, "--src '%s' and --dst-ip '%s' are not of one "
					       "address family", cl->val[OPT_SRC],
				       cl->val[OPT_DST_IP]);
	} else {
		inet_pton(s->family, s->family == AF_INET ? FLOOD_DEFAULT_SRC4 : FLOOD_DEFAULT_SRC6,
			  s->src);
	}
	if ((ret = parse_u64_opt(cl, OPT_PORT, 1, 65535, 80, &v)))
		return ret;
	s->dport = (__u16)v;
	if ((ret = parse_u64_opt(cl, OPT_SOURCES, 1, TG_FLOOD_MAX_SOURCES, 1, &v)))
		return ret;
	s->sources = (__u32)v;
	if ((ret = parse_u64_opt(cl, OPT_SRC_PREFIX, 1, s->family == AF_INET ? 32 : 128,
				 s->family == AF_INET ? TG_FLOOD_V4_PREFIX : TG_FLOOD_V6_PREFIX,
				 &v)))
		return ret;
	s->src_prefix = (unsigned int)v;
	if ((ret = parse_u64_opt(cl, OPT_COUNT, 1, FLOOD_MAX_COUNT, FLOOD_DEFAULT_COUNT, count)))
		return ret;
	if ((ret = parse_u64_opt(cl, OPT_THREADS, 1, TG_FLOOD_MAX_THREADS, 1, &v)))
		return ret;
	*threads = (unsigned int)v;
	if ((ret = parse_u64_opt(cl, OPT_PPS, 1, FLOOD_MAX_PPS, 0, pps)))
		return ret;
	if (*pps && *pps < *threads)
		return tg_fail(TG_EXIT_USAGE, "--pps %llu with --threads %u: each thread needs "
				       "at least one SYN per second", (unsigned long long)*pps,
			       *threads);
	if (cl->set[OPT_LOOP] && (*threads > 1 || *pps))
		return tg_fail(TG_EXIT_USAGE, "--loop with --%s: the loop runs on one CPU, "
				       "unpaced", *pps ? "pps" : "threads");
	return parse_duration(cl, duration);
}

/* Only a veth: its far end is on this machine, so forged sources stay
 * here. A physical NIC would put them on a real network, and so could a
 * peer enslaved to a bridge (or bond, or VRF) that has a physical port:
 * a peer with any master is refused, as is one the kernel does not name. */
static int require_veth(const char *ifname, int ifindex)
{
	struct tg_veth_peer peer;
	char driver[64];
	int err;

	err = tg_iface_driver(ifname, driver, sizeof(driver));
	if (err == -EOPNOTSUPP)
		snprintf(driver, sizeof(driver), "none");
	else if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: asking for its driver (SIOCETHTOOL): %s; flood "
				       "sends only out of a veth", ifname, strerror(-err));
	if (strcmp(driver, "veth"))
		return tg_fail(TG_EXIT_USAGE, "%s: driver '%s' is not veth; flood sends forged "
				       "sources, so only out of a veth whose peer is on this machine",
			       ifname, driver);
	err = tg_veth_peer(ifindex, &peer);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: finding its veth peer (RTM_GETLINK): %s; flood "
				       "sends only to a peer it can check", ifname, strerror(-err));
	if (peer.master)
		return tg_fail(TG_EXIT_USAGE, "%s: its veth peer (ifindex %d%s) is enslaved to "
				       "ifindex %d (a bridge, bond or VRF), which could carry "
				       "forged sources onto a wire; flood only to a peer with no "
				       "master", ifname, peer.ifindex,
			       peer.nsid >= 0 ? ", in another namespace" : "", peer.master);
	return 0;
}

/* The loop pair: a veth (require_veth) whose peer is here too, apart
 * from the flooded veth. Its peer's ifindex, or a negative exit code. */
static int loop_peer(const char *loopname, int loop_ifindex, int ifindex)
{
	struct tg_veth_peer peer;
	int ret, err;

	if ((ret = require_veth(loopname, loop_ifindex)))
		return -ret;
	err = tg_veth_peer(loop_ifindex, &peer);
	if (err)
		return -tg_fail(TG_EXIT_FAIL, "--loop %s: finding its veth peer: %s", loopname,
				strerror(-err));
	if (peer.nsid >= 0)
		return -tg_fail(TG_EXIT_USAGE, "--loop %s: its peer is in another namespace; "
					"the loop needs both ends here", loopname);
	if (loop_ifindex == ifindex || peer.ifindex == ifindex)
		return -tg_fail(TG_EXIT_USAGE, "--loop %s: the loop is a veth pair of its own, "
					"not the flooded one", loopname);
	return peer.ifindex;
}

int tg_flood_load(const struct tg_flood_frame *f, __u32 sources, struct flood_bpf **skelp)
{
	struct flood_bpf *skel;
	int err;

	*skelp = NULL;
	skel = flood_bpf__open();
	if (!skel)
		return -errno;
	memcpy((void *)skel->rodata->frame_words, f->data, f->len);
	skel->rodata->frame_len = f->len;
	skel->rodata->nr_sources = sources;
	skel->rodata->src_off = f->src_off;
	skel->rodata->src_base = f->src_base;
	skel->rodata->src_shift = f->src_shift;
	skel->rodata->ip_csum_off = f->ip_csum_off;
	skel->rodata->tcp_csum_off = f->tcp_csum_off;
	skel->rodata->sport_off = f->sport_off;
	tg_log_libbpf_reset();
	err = flood_bpf__load(skel);
	if (err) {
		flood_bpf__destroy(skel);
		return err;
	}
	*skelp = skel;
	return 0;
}

static const char *addr_str(int family, const __u8 *a, char *buf, size_t len)
{
	return inet_ntop(family, a, buf, (socklen_t)len);
}

static struct json_object *report(const char *ifname, const struct tg_flood_spec *s,
				  const struct tg_flood_frame *f, unsigned int threads, __u64 pps,
				  __u64 sent, double secs, const __u64 before[2],
				  const __u64 after[2], const char *sender)
{
	struct json_object *o = json_object_new_object();
	char buf[INET6_ADDRSTRLEN];
	__u8 a[16];

	json_object_object_add(o, "interface", json_object_new_string(ifname));
	json_object_object_add(o, "family",
			       json_object_new_string(s->family == AF_INET ? "ipv4" : "ipv6"));
	json_object_object_add(o, "destination",
			       json_object_new_string(addr_str(s->family, s->dst, buf, sizeof(buf))));
	json_object_object_add(o, "port", json_object_new_int(s->dport));
	json_object_object_add(o, "sources", json_object_new_int64(s->sources));
	tg_flood_source(s, f, 0, a);
	json_object_object_add(o, "first_source",
			       json_object_new_string(addr_str(s->family, a, buf, sizeof(buf))));
	tg_flood_source(s, f, s->sources - 1, a);
	json_object_object_add(o, "last_source",
			       json_object_new_string(addr_str(s->family, a, buf, sizeof(buf))));
	json_object_object_add(o, "source_prefix", json_object_new_int((int)s->src_prefix));
	json_object_object_add(o, "frame_bytes", json_object_new_int((int)f->len));
	json_object_object_add(o, "threads", json_object_new_int((int)threads));
	json_object_object_add(o, "sender", json_object_new_string(sender));
	json_object_object_add(o, "pps_limit", pps ? json_object_new_int64((int64_t)pps) : NULL);
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)sent));
	snprintf(buf, sizeof(buf), "%.6f", secs);
	json_object_object_add(o, "seconds", json_object_new_double_s(secs, buf));
	json_object_object_add(o, "pps",
			       json_object_new_int64(secs > 0 ? (int64_t)(sent / secs) : 0));
	/* A veth counts what its peer took in as its own tx, and frames the
	 * peer's queue had no room for as tx_dropped. */
	if (before && after) {
		json_object_object_add(o, "peer_received",
				       json_object_new_int64((int64_t)(after[0] - before[0])));
		json_object_object_add(o, "peer_dropped",
				       json_object_new_int64((int64_t)(after[1] - before[1])));
	}
	return o;
}

static int read_tx(int ifindex, __u64 v[2])
{
	struct rtnl_link_stats64 st = { 0 };
	int err = tg_iface_stats(ifindex, &st);

	v[0] = st.tx_packets;
	v[1] = st.tx_dropped;
	return err;
}

int tg_cmd_flood(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct tg_flood_result res;
	struct tg_flood_spec spec;
	struct tg_flood_frame frame;
	struct flood_bpf *skel = NULL;
	struct tg_flood_run run;
	struct tg_flood_loop loop;
	__u64 before[2], after[2], sent = 0, count = 0, pps = 0;
	unsigned int threads = 1;
	bool have_stats;
	double duration = FLOOD_DEFAULT_DURATION;
	char why[256];
	int ifindex, loop_ifindex = 0, loop_peer_ifindex = 0, ret, err;
	const char *sender;

	if ((ret = parse_spec(cl, &spec, &count, &duration, &threads, &pps)))
		return ret;
	ifindex = tg_iface_index(ifname);
	if (ifindex < 0)
		return -ifindex;
	if ((ret = tg_require_caps("flood", TG_PRIV_ATTACH)) || (ret = require_veth(ifname, ifindex)))
		return ret;
	if (cl->set[OPT_LOOP]) {
		loop_ifindex = tg_iface_index(cl->val[OPT_LOOP]);
		if (loop_ifindex < 0)
			return -loop_ifindex;
		loop_peer_ifindex = loop_peer(cl->val[OPT_LOOP], loop_ifindex, ifindex);
		if (loop_peer_ifindex < 0)
			return -loop_peer_ifindex;
	}
	err = tg_iface_mac(ifname, spec.src_mac);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: reading its MAC address: %s", ifname,
			       strerror(-err));
	err = tg_flood_build(&spec, &frame, why, sizeof(why));
	if (err)
		return tg_fail(TG_EXIT_USAGE, "flood: %s", why);

	err = tg_flood_load(&frame, spec.sources, &skel);
	if (err) {
		const char *verifier = tg_log_verifier_summary();

		return tg_fail(TG_EXIT_FAIL, "loading the flood program: %s%s%s", strerror(-err),
			       verifier ? ": " : "", verifier ? verifier : "");
	}
	if (loop_ifindex &&
	    tg_flood_loop_open(&loop, skel, &frame, ifindex, loop_ifindex, loop_peer_ifindex)) {
		ret = tg_fail(TG_EXIT_FAIL, "--loop %s: cannot run the loop (above)",
			      cl->val[OPT_LOOP]);
		goto out_skel;
	}
	tg_interrupt_on_signals();

	run = (struct tg_flood_run){
		.prog_fd = bpf_program__fd(skel->progs.flood_xdp),
		.ifindex = ifindex,
		.frame = &frame,
		.sources = spec.sources,
		.count = count,
		.duration = duration,
		.threads = threads,
		.pps = pps,
		.stop = &tg_interrupted,
		.loop = loop_ifindex ? &loop : NULL,
	};
	have_stats = !read_tx(ifindex, before);
	err = tg_flood_send(&run, &res);
	have_stats = have_stats && !read_tx(ifindex, after);
	if (tg_flood_frames(bpf_map__fd(skel->maps.tg_flood), &sent))
		sent = 0;
	sent += res.sock_frames;
	if (err) {
		if (res.live_refused)
			ret = tg_fail(TG_EXIT_FAIL, "%s: the kernel refused live frames, and the "
					       "%s sending instead failed: %s (after %llu frames)",
				      ifname, res.loop_threads ? "veth loop" : "packet socket",
				      strerror(-err), (unsigned long long)sent);
		else if (err == -EINVAL || err == -EOPNOTSUPP)
			ret = tg_fail(TG_EXIT_FAIL, "%s: BPF_PROG_TEST_RUN with live frames: %s "
					       "(needs Linux 5.18 or later)", ifname,
				      strerror(-err));
		else
			ret = tg_fail(TG_EXIT_FAIL, "%s: sending: %s (after %llu frames)", ifname,
				      strerror(-err), (unsigned long long)sent);
		goto out;
	}
	if (have_stats && sent && after[0] == before[0] && !res.sock_threads)
		tg_warn("%s: its peer took in none of %llu frames: the peer needs an XDP "
			"program or GRO on (ethtool -K PEER gro on) to receive XDP frames",
			ifname, (unsigned long long)sent);
	sender = res.loop_threads ? "veth loop" :
		 res.sock_threads ? "packet socket" : "live frames";
	tg_out_print(report(ifname, &spec, &frame, threads, pps, sent, res.seconds,
			    have_stats ? before : NULL, have_stats ? after : NULL,
			    sender));
	ret = TG_EXIT_OK;
out:
	if (loop_ifindex)
		tg_flood_loop_close(&loop);
out_skel:
	flood_bpf__destroy(skel);
	return ret;
}
