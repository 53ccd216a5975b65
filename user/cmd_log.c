// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cmd_log.c - tidegate log: follow the drop log. The program writes a
 * line for a bucket's first drop and then at most one per interval,
 * under a global budget; this prints each with the wall time, the
 * source, its bucket, the rule, the action, and the rate the bucket is
 * being offered against its limit (droplog_fmt.c). One follower per
 * interface (each line goes to one reader): not while the daemon sends
 * the log to the journal (log = journal), since it is then the reader.
 * It ends, with exit 1, when the interface's pins go away or are made
 * again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "caps.h"
#include "clock.h"
#include "commands.h"
#include "droplog_fmt.h"
#include "iface.h"
#include "interrupt.h"
#include "output.h"
#include "rate.h"
#include "tidegate.h"

static int on_event(void *ctx, void *data, size_t size)
{
	struct json_object *o = tg_droplog_fields(ctx, data, size);

	if (o)
		tg_out_print_line(o);
	return 0;
}

/*
 * Whether the drop log being followed is still IFACE's: after a detach
 * the ring buffer lives on as long as we hold it, silent, so the pins
 * are checked instead. 0, or an exit code after saying why.
 */
static int still_attached(const char *ifname, __u32 log_id)
{
	char dir[256];
	__u32 id;
	int err = tg_pinned_map_id(ifname, TG_MAP_LOG, &id);

	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	if (err == -ENOENT)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate was detached (nothing pinned at %s any "
					     "more); the drop log has ended", ifname, dir);
	if (err)
		return tg_fail(TG_EXIT_FAIL, "%s: checking the pins at %s: %s", ifname, dir,
			       strerror(-err));
	if (id != log_id)
		return tg_fail(TG_EXIT_FAIL, "%s: tidegate was detached and attached again; this "
					     "drop log has ended: run 'tidegate log %s' again",
			       ifname, ifname);
	return TG_EXIT_OK;
}

#define PIN_CHECK_NS TG_NSEC_PER_SEC

int tg_cmd_log(const struct tg_cmdline *cl)
{
	const char *ifname = cl->pos[0];
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	struct tg_droplog *dl = NULL;
	struct ring_buffer *rb = NULL;
	char holder[300], owner[300];
	__u64 next_check;
	struct tg_maps m;
	int ret, err, follow = -1;

	if ((ret = tg_require_caps("log", TG_PRIV_MAPS)))
		return ret;
	if ((ret = tg_iface_open_maps(ifname, &m)))
		return ret;
	follow = tg_follow_lock(ifname, holder, sizeof(holder));
	if (follow == -EWOULDBLOCK && tg_daemon_owner(ifname, owner, sizeof(owner)) &&
	    !strcmp(owner, holder)) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: the drop log goes to the journal: the tidegate "
					    "daemon (%s) reads it, as its config says (log = "
					    "journal); read it with 'journalctl TIDEGATE_INTERFACE=%s'",
			      ifname, holder, ifname);
		goto out;
	}
	if (follow == -EWOULDBLOCK) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: the drop log is already followed (by %s); each "
					    "line goes to one reader, so a second one would see only "
					    "some: stop that one first", ifname, holder);
		goto out;
	}
	if (follow < 0 || bpf_obj_get_info_by_fd(m.log, &info, &ilen)) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: %s: %s", ifname,
			      follow < 0 ? "locking the drop log" : "reading the drop log's id",
			      strerror(follow < 0 ? -follow : errno));
		goto out;
	}
	dl = tg_droplog_new(m.stats);
	if (!dl) {
		ret = tg_fail(TG_EXIT_FAIL, "log: %s", strerror(ENOMEM));
		goto out;
	}
	rb = ring_buffer__new(m.log, on_event, dl, NULL);
	if (!rb) {
		ret = tg_fail(TG_EXIT_FAIL, "%s: opening the drop log ring buffer: %s", ifname,
			      strerror(errno));
		goto out;
	}
	tg_interrupt_on_signals();
	if (!tg_out_json())
		fprintf(stderr, "tidegate: following the drop log of %s; Ctrl-C to stop\n", ifname);
	ret = TG_EXIT_OK;
	next_check = tg_mono_ns() + PIN_CHECK_NS;
	while (!tg_interrupted) {
		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR) {
			ret = tg_fail(TG_EXIT_FAIL, "%s: reading the drop log: %s", ifname,
				      strerror(-err));
			break;
		}
		if (tg_mono_ns() >= next_check) {
			/* What is left in the ring is printed before saying so. */
			ring_buffer__consume(rb);
			ret = still_attached(ifname, info.id);
			if (ret)
				break;
			next_check = tg_mono_ns() + PIN_CHECK_NS;
		}
	}
out:
	ring_buffer__free(rb);
	tg_droplog_free(dl);
	if (follow >= 0)
		close(follow);
	tg_maps_close(&m);
	return ret;
}
