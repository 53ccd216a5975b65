// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pins.c - pin paths, the lock, and layout checks of pinned maps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "cfgslots.h"
#include "limits.h"
#include "log.h"
#include "netns.h"
#include "pins.h"
#include "tidegate.h"

#define BPFFS "/sys/fs/bpf"

/*
 * What a pinned map must look like before we read or write it. This
 * table is the one list of tidegate's maps: pinning, unpinning, opening,
 * closing and handing the maps to the program all walk it. (tg_front,
 * a per-CPU cache only the program reads, is not pinned: each load of
 * the program starts it empty, which is always right.)
 */
struct map_layout {
	const char *name;
	size_t fd_offset;
	enum bpf_map_type type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries; /* 0: set at attach, 1 to TG_MAX_MAX_SOURCES (--max-sources) */
};

#define FD(field) offsetof(struct tg_maps, field)

static const struct map_layout layouts[] = {
	{ TG_MAP_BUCKETS, FD(buckets), BPF_MAP_TYPE_LRU_HASH, sizeof(struct tg_source),
	  sizeof(struct tg_bucket), 0 },
	{ TG_MAP_CONFIG, FD(config), BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tg_config),
	  TG_CONFIG_SLOTS },
	{ TG_MAP_CFG_GEN, FD(config_gen), BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u32),
	  TG_GEN_KEYS },
	{ TG_MAP_PORTS, FD(ports), BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u8), TG_PORTS_MAX },
	{ TG_MAP_STATS, FD(stats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
	  sizeof(struct tg_counters), 1 },
	{ TG_MAP_RULES, FD(rules), BPF_MAP_TYPE_LPM_TRIE, sizeof(struct tg_rule_key),
	  sizeof(struct tg_rule), TG_MAX_RULES },
	{ TG_MAP_STATE, FD(state), BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tg_state), 1 },
	{ TG_MAP_REDIRECT, FD(redirect), BPF_MAP_TYPE_DEVMAP_HASH, sizeof(__u32), sizeof(__u32),
	  TG_MAX_REDIRECTS },
	{ TG_MAP_FLOWS, FD(flows), BPF_MAP_TYPE_LRU_HASH, sizeof(struct tg_flow), sizeof(__u32),
	  TG_MAX_FLOWS },
	{ TG_MAP_LOG, FD(log), BPF_MAP_TYPE_RINGBUF, 0, 0, TG_LOG_RING_BYTES },
	{ TG_MAP_FSTATS, FD(fstats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
	  sizeof(struct tg_fam_counters), TG_NR_FAMILIES },
	{ TG_MAP_RFILTER, FD(rfilter), BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct tg_rule_filter), 1 },
	{ TG_MAP_PSTATS, FD(pstats), BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
	  sizeof(struct tg_port_counters), TG_PORT_GROUPS },
	{ TG_MAP_FLEET, FD(fleet), BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tg_fleet), 1 },
	{ TG_MAP_FLOOR, FD(floor), BPF_MAP_TYPE_HASH, sizeof(struct tg_source),
	  sizeof(struct tg_floor), TG_MAX_FLOORS },
};

#define NR_LAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

/* Every fd of struct tg_maps has its row, and no row is left over. */
_Static_assert(sizeof(struct tg_maps) == NR_LAYOUTS * sizeof(int),
	       "struct tg_maps and layouts[] must list the same maps");

static int *map_fd(struct tg_maps *m, const struct map_layout *l)
{
	return (int *)((char *)m + l->fd_offset);
}

static int map_fd_of(const struct tg_maps *m, const struct map_layout *l)
{
	return *(const int *)((const char *)m + l->fd_offset);
}

void tg_maps_init(struct tg_maps *m)
{
	size_t i;

	for (i = 0; i < NR_LAYOUTS; i++)
		*map_fd(m, &layouts[i]) = -1;
}

int tg_maps_of_obj(struct bpf_object *obj, struct tg_maps *m)
{
	size_t i;

	tg_maps_init(m);
	for (i = 0; i < NR_LAYOUTS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, layouts[i].name);

		if (!map)
			return -ENOENT;
		*map_fd(m, &layouts[i]) = bpf_map__fd(map);
	}
	return 0;
}

int tg_maps_reuse(struct bpf_object *obj, const struct tg_maps *m)
{
	size_t i;
	int err;

	for (i = 0; i < NR_LAYOUTS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, layouts[i].name);

		if (!map)
			return -ENOENT;
		err = bpf_map__reuse_fd(map, map_fd_of(m, &layouts[i]));
		if (err)
			return err;
	}
	return 0;
}

int tg_bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		int err = -errno;

		tg_err("mounting bpffs on %s: %s", BPFFS, strerror(errno));
		return err;
	}
	tg_info("mounted bpffs on %s", BPFFS);
	return 0;
}

unsigned int tg_lock_wait_s(void)
{
	const char *env = getenv("TIDEGATE_LOCK_TIMEOUT");
	char *end;
	unsigned long v;

	if (env && *env) {
		errno = 0;
		v = strtoul(env, &end, 10);
		if (!errno && !*end && v <= 3600)
			return (unsigned int)v;
	}
	return TG_LOCK_WAIT_S;
}

/* The pid holding a flock on fd's inode, from /proc/locks; 0 if unknown. */
static int flock_holder(int fd)
{
	struct stat st;
	char line[256];
	int pid = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:1e:5678 0 EOF"; waiters have "->" */
	while (!pid && fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long ino;
		char type[16];
		int p;

		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", type, &p, &maj, &min, &ino) != 5)
			continue;
		if (!strcmp(type, "FLOCK") && ino == st.st_ino && maj == major(st.st_dev) &&
		    min == minor(st.st_dev))
			pid = p;
	}
	fclose(f);
	return pid;
}

/* "pid 1234: tidegate run --config ...", or unknown when the pid is not
 * known (not in this pid namespace, say). */
static void describe_holder(int fd, const char *unknown, char *buf, size_t len)
{
	char path[64], cmd[96] = "";
	int pid = flock_holder(fd);
	ssize_t n = -1, i;
	size_t base = 0;
	bool in_arg0 = true;
	int cfd;

	if (pid <= 0) {
		snprintf(buf, len, "%s", unknown);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cfd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		n = read(cfd, cmd, sizeof(cmd) - 1);
		close(cfd);
	}
	if (n <= 0) {
		snprintf(buf, len, "pid %d", pid);
		return;
	}
	/* The command line, its words apart, argv[0] by its base name. */
	cmd[n] = '\0';
	for (i = 0; i < n - 1; i++) {
		if (!cmd[i]) {
			cmd[i] = ' ';
			in_arg0 = false;
		} else if (cmd[i] == '/' && in_arg0) {
			base = (size_t)i + 1;
		}
	}
	snprintf(buf, len, "pid %d: %s", pid, cmd + base);
}

#define LOCK_HOLDER_UNKNOWN "another tidegate, e.g. the daemon restoring from Redis"

static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

int tg_lock(void)
{
	const struct timespec pause = { 0, 20 * 1000 * 1000 };
	char holder[300];
	__u64 deadline;
	int fd, err;

	if (mkdir(TG_PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	fd = open(TG_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	if (errno != EWOULDBLOCK)
		goto fail;
	/* Held: say so once, then wait, bounded (a daemon's restore holds
	 * it for up to 10 s an interface). */
	describe_holder(fd, LOCK_HOLDER_UNKNOWN, holder, sizeof(holder));
	tg_warn("waiting for the tidegate lock (held by %s)", holder);
	deadline = now_ms() + (__u64)tg_lock_wait_s() * 1000;
	do {
		nanosleep(&pause, NULL);
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return fd;
		if (errno != EWOULDBLOCK)
			goto fail;
	} while (now_ms() < deadline);
	errno = ETIMEDOUT;
fail:
	err = -errno;
	close(fd);
	return err;
}

void tg_lock_explain(int err, char *buf, size_t len)
{
	char holder[300];
	int fd;

	if (err != -ETIMEDOUT) {
		snprintf(buf, len, "locking %s: %s", TG_PIN_ROOT, strerror(-err));
		return;
	}
	fd = open(TG_PIN_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		describe_holder(fd, LOCK_HOLDER_UNKNOWN, holder, sizeof(holder));
		close(fd);
	} else {
		snprintf(holder, sizeof(holder), "another tidegate");
	}
	snprintf(buf, len, "gave up after %u s waiting for the tidegate lock on %s (held by %s); "
		 "try again once it is done", tg_lock_wait_s(), TG_PIN_ROOT, holder);
}

void tg_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

void tg_pin_path(char *buf, size_t len, const char *ifname, const char *map)
{
	if (map)
		snprintf(buf, len, "%s/%s/%s", tg_pin_base(), ifname, map);
	else
		snprintf(buf, len, "%s/%s", tg_pin_base(), ifname);
}

bool tg_pins_exist(const char *ifname)
{
	struct stat st;
	char path[256];

	tg_pin_path(path, sizeof(path), ifname, NULL);
	/* stat, not access: access checks the real uid without capabilities,
	 * and a user with CAP_DAC_OVERRIDE would be told nothing is there. */
	return stat(path, &st) == 0;
}

static int check_layout(int fd, const struct map_layout *l, const char *ifname)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	bool entries_ok;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	entries_ok = l->max_entries ? info.max_entries == l->max_entries
				    : info.max_entries >= 1 && info.max_entries <= TG_MAX_MAX_SOURCES;
	if (info.type != l->type || info.key_size != l->key_size ||
	    info.value_size != l->value_size || !entries_ok) {
		/* Callers explain; the detail is for -v. */
		tg_info("%s/%s: pinned map has type %u key %u value %u bytes, %u entries; this "
			"tidegate expects type %u key %u value %u, %u entries",
			ifname, l->name, info.type, info.key_size, info.value_size,
			info.max_entries, l->type, l->key_size, l->value_size, l->max_entries);
		return -EPROTO;
	}
	return 0;
}

/* What the config says of the layout of every map (TG_LAYOUT_VERSION). */
static int check_version(const struct tg_maps *m, const char *ifname)
{
	struct tg_config cfg;
	int err;

	err = tg_config_read(m->config, m->config_gen, &cfg);
	if (err)
		return err;
	if (cfg.layout_version != TG_LAYOUT_VERSION) {
		tg_info("%s/%s: layout version %u, this tidegate expects %u", ifname,
			TG_MAP_CONFIG, cfg.layout_version, TG_LAYOUT_VERSION);
		return -EPROTO;
	}
	return 0;
}

int tg_maps_open(const char *ifname, struct tg_maps *m)
{
	char path[256];
	size_t i;
	int err;

	tg_maps_init(m);
	for (i = 0; i < NR_LAYOUTS; i++) {
		int fd;

		tg_pin_path(path, sizeof(path), ifname, layouts[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		*map_fd(m, &layouts[i]) = fd;
		err = check_layout(fd, &layouts[i], ifname);
		if (err)
			goto fail;
	}
	err = check_version(m, ifname);
	if (err)
		goto fail;
	return 0;
fail:
	tg_maps_close(m);
	return err;
}

void tg_maps_close(struct tg_maps *m)
{
	size_t i;

	for (i = 0; i < NR_LAYOUTS; i++) {
		int *fd = map_fd(m, &layouts[i]);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int tg_maps_pin(struct bpf_object *obj, const char *ifname)
{
	char path[256];
	size_t i;
	int err;

	/* This namespace's directory first, outside the initial one. */
	if (mkdir(tg_pin_base(), 0700) && errno != EEXIST)
		return -errno;
	tg_pin_path(path, sizeof(path), ifname, NULL);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < NR_LAYOUTS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, layouts[i].name);

		tg_pin_path(path, sizeof(path), ifname, layouts[i].name);
		if (!map)
			return -ENOENT;
		err = bpf_map__pin(map, path);
		if (err)
			return err;
	}
	return 0;
}

int tg_maps_unpin(const char *ifname)
{
	char path[256];
	size_t i;
	int err = 0;

	for (i = 0; i < NR_LAYOUTS; i++) {
		tg_pin_path(path, sizeof(path), ifname, layouts[i].name);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	tg_pin_path(path, sizeof(path), ifname, TG_OWNER_DIR);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	tg_pin_path(path, sizeof(path), ifname, NULL);
	if (rmdir(path) && errno != ENOENT)
		err = -errno;
	/* A namespace's directory goes with its last interface. */
	if (strcmp(tg_pin_base(), TG_PIN_ROOT))
		rmdir(tg_pin_base());
	return err;
}

/* IFACE's pin dir, opened to take a lock on it: an fd or -errno. */
static int open_pin_dir(const char *ifname)
{
	char dir[256];
	int fd;

	tg_pin_path(dir, sizeof(dir), ifname, NULL);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int tg_follow_lock(const char *ifname, char *holder, size_t len)
{
	int fd = open_pin_dir(ifname), err;

	if (fd < 0)
		return fd;
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	err = -errno;
	if (err == -EWOULDBLOCK)
		describe_holder(fd, "another 'tidegate log'", holder, len);
	close(fd);
	return err;
}

/* IFACE's owner directory, made if need be, opened to lock it. */
static int open_owner_dir(const char *ifname, bool make)
{
	char dir[256];
	int fd;

	tg_pin_path(dir, sizeof(dir), ifname, TG_OWNER_DIR);
	if (make && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

#define OWNER_UNKNOWN "a tidegate daemon whose pid is not known here"

int tg_daemon_own(const char *ifname, char *holder, size_t len)
{
	int fd = open_owner_dir(ifname, true), err;

	if (fd < 0)
		return fd;
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	err = -errno;
	if (err == -EWOULDBLOCK)
		describe_holder(fd, OWNER_UNKNOWN, holder, len);
	close(fd);
	return err;
}

bool tg_daemon_owner(const char *ifname, char *holder, size_t len)
{
	int fd = open_owner_dir(ifname, false);
	bool owned;

	if (fd < 0)
		return false;
	/* Taken and given back at once: callers hold tg_lock(), as the
	 * daemon does when it takes ownership, so this never gets in its way. */
	owned = flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	if (owned)
		describe_holder(fd, OWNER_UNKNOWN, holder, len);
	close(fd);
	return owned;
}

int tg_maps_pin_fds(const char *ifname, const struct tg_maps *m)
{
	char path[256];
	size_t i;

	if (mkdir(tg_pin_base(), 0700) && errno != EEXIST)
		return -errno;
	tg_pin_path(path, sizeof(path), ifname, NULL);
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < NR_LAYOUTS; i++) {
		tg_pin_path(path, sizeof(path), ifname, layouts[i].name);
		if (bpf_obj_pin(map_fd_of(m, &layouts[i]), path) && errno != EEXIST)
			return -errno;
	}
	return 0;
}

int tg_pinned_map_id(const char *ifname, const char *map, __u32 *id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int fd, err = 0;

	tg_pin_path(path, sizeof(path), ifname, map);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	*id = info.id;
	return err;
}

int tg_maps_of_prog(__u32 prog_id, struct tg_maps *m)
{
	struct bpf_prog_info info = {};
	__u32 ids[64], len = sizeof(info), i;
	int fd = bpf_prog_get_fd_by_id(prog_id), err = 0;
	size_t k;

	tg_maps_init(m);
	if (fd < 0)
		return -errno;
	info.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	for (i = 0; !err && i < info.nr_map_ids && i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0 || bpf_obj_get_info_by_fd(mfd, &mi, &mlen)) {
			err = -errno;
			if (mfd >= 0)
				close(mfd);
			break;
		}
		for (k = 0; k < NR_LAYOUTS; k++)
			if (!strcmp(mi.name, layouts[k].name) && *map_fd(m, &layouts[k]) < 0)
				break;
		if (k < NR_LAYOUTS)
			*map_fd(m, &layouts[k]) = mfd;
		else
			close(mfd); /* .rodata and the like */
	}
	for (k = 0; !err && k < NR_LAYOUTS; k++)
		if (*map_fd(m, &layouts[k]) < 0)
			err = -ENOENT;
	if (err)
		tg_maps_close(m);
	return err;
}

__u32 tg_map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

int tg_pinned_ifaces(char (*names)[32], int max)
{
	struct dirent *de;
	DIR *d = opendir(tg_pin_base());
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		/* Not the other namespaces' directories (netns:INODE). */
		if (de->d_name[0] == '.' || de->d_type != DT_DIR || strchr(de->d_name, ':'))
			continue;
		snprintf(names[n++], 32, "%.31s", de->d_name);
	}
	closedir(d);
	return n;
}
