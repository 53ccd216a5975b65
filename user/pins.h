/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pins.h - tidegate's maps pinned under /sys/fs/bpf/tidegate/IFACE/, the
 * lock around changing them, and the check that pinned maps have the
 * layout this binary expects before it trusts them.
 */
#ifndef TG_PINS_H
#define TG_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct bpf_object;

/* File descriptors of one interface's maps (pins.c's layouts[] lists
 * them, with what each must look like). */
struct tg_maps {
	int buckets;
	int config;
	int config_gen; /* tg_config_gen: which copy of tg_config is live */
	int ports;
	int stats;
	int rules;
	int state;
	int redirect;
	int flows;
	int log;
	int fstats; /* tg_fam_stats */
	int rfilter; /* tg_rule_filter */
	int pstats;  /* tg_port_stats */
	int fleet;   /* tg_fleet */
	int floor;   /* tg_floor */
};

/* Every fd -1. */
void tg_maps_init(struct tg_maps *m);

/* The fds of a loaded object's maps (the object keeps owning them);
 * -ENOENT if one is missing. */
int tg_maps_of_obj(struct bpf_object *obj, struct tg_maps *m);

/* Hand m's maps to an object that is not loaded yet (bpf_map__reuse_fd). */
int tg_maps_reuse(struct bpf_object *obj, const struct tg_maps *m);

/* Mount bpffs on /sys/fs/bpf if nothing is mounted there. */
int tg_bpffs_ensure(void);

/*
 * Serialise attach, set, rule and detach (and the daemon's attach,
 * restore and reload) across processes: a flock on TG_PIN_ROOT. If
 * another process holds it, say once on stderr who (its pid and command
 * from /proc/locks, when known), then wait up to tg_lock_wait_s()
 * seconds. Returns an fd for tg_unlock, or -errno: -ETIMEDOUT when the
 * wait ran out (tg_lock_explain says it for the user).
 */
int tg_lock(void);
void tg_unlock(int fd);

/* How long tg_lock waits: TG_LOCK_WAIT_S, or $TIDEGATE_LOCK_TIMEOUT
 * seconds (0-3600). */
#define TG_LOCK_WAIT_S 30
unsigned int tg_lock_wait_s(void);

/* One line saying why tg_lock failed with err, naming the holder. */
void tg_lock_explain(int err, char *buf, size_t len);

/* PATH of IFACE's pin dir (map == NULL) or of one of its maps, under
 * this network namespace's directory (netns.h). */
void tg_pin_path(char *buf, size_t len, const char *ifname, const char *map);
bool tg_pins_exist(const char *ifname);

/* Open IFACE's pinned maps and check their layout: type, key and value
 * size, max_entries, and tg_config's layout_version. Every reader and
 * writer opens them here. -ENOENT: nothing pinned; -EPROTO: pinned by an
 * incompatible tidegate (the detail is logged at -v). */
int tg_maps_open(const char *ifname, struct tg_maps *m);
void tg_maps_close(struct tg_maps *m);

/* Pin a loaded object's maps for IFACE, or remove IFACE's pins. */
int tg_maps_pin(struct bpf_object *obj, const char *ifname);
int tg_maps_unpin(const char *ifname);

/*
 * The drop log has one follower: each line goes to one reader, so two
 * would split them. A flock (LOCK_EX | LOCK_NB) on IFACE's pin dir, held
 * while the returned fd is open; -EWOULDBLOCK (holder then says who
 * follows it) or -errno.
 */
int tg_follow_lock(const char *ifname, char *holder, size_t len);

/*
 * The daemon owns the interfaces it manages: an exclusive flock on the
 * TG_OWNER_DIR directory in IFACE's pin dir, held while the returned fd
 * is open (so it goes with the daemon, even on SIGKILL), and taken with
 * tg_lock() held. A flock, so the kernel knows its holder's pid for
 * 'tidegate detach' and 'tidegate set' to name it. Returns the fd, or
 * -EWOULDBLOCK (holder then says who owns it) or -errno.
 */
#define TG_OWNER_DIR "daemon"
int tg_daemon_own(const char *ifname, char *holder, size_t len);
/* Whether a daemon owns IFACE; holder then names it. */
bool tg_daemon_owner(const char *ifname, char *holder, size_t len);

/* Pin the maps m holds as IFACE's, where a pin is missing: what the
 * daemon does to put back the maps a 'detach --force' unpinned. */
int tg_maps_pin_fds(const char *ifname, const struct tg_maps *m);

/* The maps program prog_id uses, found by name (tg_maps_close them);
 * -ENOENT if one is missing. What re-pins an attached program whose
 * pins were lost. */
int tg_maps_of_prog(__u32 prog_id, struct tg_maps *m);

/* The id of the map pinned as IFACE's MAP: 0, or -errno (-ENOENT: no
 * such pin, e.g. after a detach). */
int tg_pinned_map_id(const char *ifname, const char *map, __u32 *id);

/* The id of the map behind fd, or 0. */
__u32 tg_map_id(int fd);

/* Interfaces of this network namespace that have a pin dir; returns how
 * many were written. */
int tg_pinned_ifaces(char (*names)[32], int max);

#endif /* TG_PINS_H */
