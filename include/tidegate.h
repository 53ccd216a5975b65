/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tidegate.h - the only types the XDP program and userspace share.
 *
 * Data only: fixed-width types, no kernel or libc includes beyond
 * <linux/types.h>, so both clang -target bpf and the host compiler see
 * the same layout. Every map is named here once.
 */
#ifndef TIDEGATE_H
#define TIDEGATE_H

#include <linux/types.h>

/* Map names: at most 15 characters, the kernel truncates longer ones. */
#define TG_MAP_BUCKETS "tg_buckets"
#define TG_MAP_CONFIG  "tg_config"
#define TG_MAP_CFG_GEN "tg_config_gen"
#define TG_MAP_PORTS   "tg_ports"
#define TG_MAP_STATS   "tg_stats"
#define TG_MAP_RULES   "tg_rules"
#define TG_MAP_STATE   "tg_state"
#define TG_MAP_REDIRECT "tg_redirect"
#define TG_MAP_FLOWS   "tg_flows"
#define TG_MAP_LOG     "tg_log"
#define TG_MAP_FSTATS  "tg_fam_stats"
#define TG_MAP_RFILTER "tg_rule_filter"
#define TG_MAP_PSTATS  "tg_port_stats"
#define TG_MAP_FLEET   "tg_fleet"
#define TG_MAP_FLOOR   "tg_floor"

#define TG_PROG_NAME   "tidegate"
#define TG_PIN_ROOT    "/sys/fs/bpf/tidegate"

/* Bumped whenever a map's key or value layout changes, so a newer binary
 * never trusts maps pinned by an older one. */
#define TG_LAYOUT_VERSION 12

/* Rule ids fit the low bits of tg_source's rule word; its top byte is
 * the port group's (userspace hands out no id beyond TG_RULE_ID_MAX). */
#define TG_RULE_ID_BITS 24
#define TG_RULE_ID_MAX  ((1U << TG_RULE_ID_BITS) - 1)

/*
 * A traffic source: its address cut to the configured prefix. IPv4 is
 * stored IPv4-mapped (::ffff:a.b.c.d) so one 16-byte key serves both
 * families and a /32..1 IPv4 prefix is a /128..97 mapped one. Bytes in
 * network order, so `bpftool map dump` shows 198.18.0.2 as
 * [0,0,0,0,0,0,0,0,0,0,255,255,198,18,0,2].
 */
struct tg_source {
	__u8 addr[16];
	/* Whose bucket: 0 for the default limit, else the id of the rule
	 * that charged it. A --shared rule keeps one bucket keyed by its
	 * network; every other bucket by the source cut to --v4/--v6-prefix.
	 * Rule ids are never reused, so buckets of a rule deleted and added
	 * again never carry over, and a shared /24's bucket never meets the
	 * /32 bucket of its network address. */
	__u32 rule : TG_RULE_ID_BITS;
	/* A port group with a limit of its own (tg_ports, 2..): its buckets
	 * are apart from the interface's, so a source's SSH attempts never
	 * spend its HTTPS budget; 0 for every other bucket. In the rule
	 * word's top byte: the key stays 20 bytes. */
	__u32 group : 32 - TG_RULE_ID_BITS;
} __attribute__((aligned(4)));

_Static_assert(sizeof(struct tg_source) == 20, "a bucket's key is 20 bytes");

/*
 * One source's bucket, kept as GCRA does: the theoretical arrival time
 * of the next SYN. The bucket is full when tat_ns <= now; a SYN
 * conforms when tat_ns - now <= (burst - 1) * interval. One word, so it
 * is updated with a single compare-and-swap on any number of CPUs.
 */
struct tg_bucket {
	__u64 tat_ns;    /* theoretical arrival time, CLOCK_MONOTONIC ns */
	__u64 admitted;  /* SYNs let through from this source, ever */
	__u64 dropped;   /* SYNs over the limit or denied, ever (dry run too) */
	__u64 logged_ns; /* when the drop log last had a line for it (0: never),
			  * its bit 0 TG_BUCKET_UNVERIFIED */
};

/*
 * Bit 0 of tg_bucket.logged_ns (a nanosecond of the log's time is
 * nothing): the bucket was made for a source's first SYN while auto
 * mode's cookies were off but new sources came fast (bpf/bucket.h), so
 * the source may be one of a spoofed flood's first. While cookies are
 * in force such a source, within its limit, is challenged as an
 * untracked one (the sources of a spoofed flood that came before auto
 * tripped would otherwise reach the kernel for as long as it lasts);
 * its cookie coming back clears the bit.
 */
#define TG_BUCKET_UNVERIFIED 1ULL

/*
 * Fleet mode (user/fleet.h, README "One limit across a fleet"): every
 * machine of a fleet pushes its sources' admitted SYNs to Redis and gets
 * back the fleet's TAT of each, which the daemon writes here. tg_floor
 * is a HASH keyed by the bucket's own key (not LRU: a spoofed flood must
 * not evict the denials of real sources); the daemon alone writes it,
 * each value whole. A SYN is dropped when
 *   tat_ns + (bucket.admitted - mark) * interval > now + tolerance
 * (the fleet's view plus this machine's admissions it does not include
 * yet), and otherwise charged to the local bucket under the local share.
 */
struct tg_floor {
	__u64 tat_ns; /* the fleet's TAT for the source, CLOCK_MONOTONIC */
	__u64 mark;   /* the bucket's admitted count that tat_ns already includes */
};

#define TG_MAX_FLOORS 65536

/* Sources are spread over this many Redis shards (include/shard.h); a
 * bitmap of them is TG_SHARD_WORDS words. */
#define TG_REDIS_SHARDS 1024
#define TG_SHARD_WORDS  (TG_REDIS_SHARDS / 64)

/*
 * What a fleet member's daemon publishes, for `status`, `stats` and the
 * metrics, and (the first three fields) what the program reads:
 *   X(field, metric, help)
 */
#define TG_FLEET_COUNTERS(X)                                                                    \
	X(cycles, fleet_push_cycles_total, "push cycles that reached Redis")                    \
	X(cycles_failed, fleet_push_failures_total, "push cycles Redis did not answer in time") \
	X(pushed, fleet_deltas_pushed_total, "source deltas sent to Redis")                     \
	X(acked, fleet_deltas_acked_total, "source deltas Redis applied and answered")          \
	X(tokens, fleet_tokens_pushed_total, "admitted SYNs sent to Redis in those deltas")     \
	X(onsets_sent, fleet_denials_sent_total, "denials this machine announced to the fleet")  \
	X(onsets_read, fleet_denials_read_total, "denials read from the fleet's stream")        \
	X(floor_full, fleet_floor_full_total, "floors not written: tg_floor was full")          \
	X(mismatch, fleet_limit_mismatches_total,                                               \
	  "heartbeats that found a member with other limits for a zone")                       \
	X(resent, fleet_deltas_resent_total,                                                    \
	  "source deltas acked when sent again after their reply was lost")                    \
	X(resent_applied, fleet_deltas_resent_applied_total,                                    \
	  "of those, deltas Redis had applied already: not counted twice")

/* Gauges of the same kind: X(field, metric, help). */
#define TG_FLEET_GAUGES(X)                                                                      \
	X(shards_degraded, fleet_shards_degraded,                                               \
	  "shards whose master the last push could not reach (a Redis Cluster's): their "      \
	  "sources are held to the local share of an outage")

/* A Redis Cluster master as the last push cycle saw it. */
#define TG_FLEET_MASTERS 16 /* shown in status and the metrics, at most */
struct tg_fleet_master {
	char addr[56]; /* host:port */
	__u32 up;      /* its last exchange went through */
	__u32 slots;   /* of the 16384 it serves */
};

struct tg_fleet {
	__u32 size;       /* members the local shares divide by; 0: not in a fleet */
	__u16 burst_k;    /* local burst: ceil(burst_k * burst / size), at most burst */
	__u16 fallback_h; /* 0: Redis answers; h: it does not, local rate r * h / size */
	__u64 interval_ms;    /* the push interval */
	__u64 last_cycle_ns;  /* how long the last push cycle took */
	__u64 max_cycle_ns;   /* the longest one */
	__u64 last_ok_ns;     /* CLOCK_MONOTONIC of the last acknowledged cycle */
#define TG_FLEET_FIELD(field, metric, help) __u64 field;
	TG_FLEET_COUNTERS(TG_FLEET_FIELD)
#undef TG_FLEET_FIELD
	char name[48];    /* the fleet's name */
#define TG_FLEET_GAUGE_FIELD(field, metric, help) __u64 field;
	TG_FLEET_GAUGES(TG_FLEET_GAUGE_FIELD)
#undef TG_FLEET_GAUGE_FIELD
	__u32 nmasters;   /* a Redis Cluster's masters; 0: a standalone Redis */
	__u32 shard_h;    /* 0, or h for the sources of the shards set below */
	struct tg_fleet_master masters[TG_FLEET_MASTERS];
	/* Shards whose Redis Cluster master is away (include/shard.h): their
	 * sources alone take the outage share, r * shard_h / size. */
	__u64 shards_away[TG_SHARD_WORDS];
};

/*
 * A limit changed live: the buckets charged under the old limit are
 * rescaled by bpf/rescale.bpf.c so that none gains tokens from the
 * change (user/rescale.c runs it, README: "Changing a limit live").
 * The context of one run, in and out.
 */
struct tg_rescale {
	__u64 now_ns;         /* the clock's time; 0: read CLOCK_MONOTONIC */
	__u64 old_cap_ns;     /* tolerance + interval of the old limit */
	__u64 new_cap_ns;     /* ... and of the new one */
	__u64 factor_q32;     /* what a token's time becomes, 32.32 fixed point:
			       * min(new/old interval, new/old cap), rounded up */
	__u32 rule;           /* the buckets of this rule id (0: the default limit) */
	__u32 raise;          /* 1: only raise debts; 0: only lower them */
	__u32 group;          /* ...and of this port group (0: none) */
	__u32 reserved;
	__u64 seen;           /* out: buckets of that rule */
	__u64 changed;        /* out: buckets rewritten */
	__u64 contended;      /* out: left alone after losing every race */
};

/* Bits of tg_config.flags */
#define TG_F_DRY_RUN (1U << 0) /* decide and count, never drop */
#define TG_F_RULES   (1U << 1) /* tg_rules is not empty: look sources up */
#define TG_F_FLOWS   (1U << 2) /* a redirect action exists: follow tg_flows */
#define TG_F_DENY_ALL (1U << 3) /* a deny --all rule exists: look every packet up */

/*
 * SYN cookies (bpf/cookies.h): tg_config.cookie_mode. A SYN the mode
 * covers is answered from XDP with a SYN-ACK whose sequence number is a
 * cookie, and the client's ACK is handed to the listener by the TC
 * program; nothing is allocated for the SYN.
 */
enum tg_cookie_mode {
	TG_COOKIES_OFF = 0,  /* every SYN takes its bucket, as without cookies */
	TG_COOKIES_ON = 1,   /* every SYN from an untracked source gets a cookie */
	TG_COOKIES_AUTO = 2, /* as on, while new sources arrive faster than
			      * the new-source budget (and a while after) */
};

/* tg_config.cookie_opts: the TCP options the listener's network
 * namespace has on (its tcp_timestamps, tcp_sack, tcp_window_scaling
 * sysctls), so a cookie never promises one the kernel would refuse. */
#define TG_COPT_TS    (1U << 0)
#define TG_COPT_SACK  (1U << 1)
#define TG_COPT_WS    (1U << 2)
#define TG_COPT_READY (1U << 3) /* cookies may be sent: the TC program that
				 * completes handshakes is attached and the
				 * kernel takes cookie sockets (tcp_syncookies) */
#define TG_COPT_TC    (1U << 4) /* the TC program is attached */

/* What happens to a SYN over its limit (or denied): tg_config.action,
 * tg_rule.action. A rule's TG_ACT_DEFAULT takes the interface's action. */
enum tg_action {
	TG_ACT_DEFAULT = 0, /* rules: as the interface; interface: drop */
	TG_ACT_DROP = 1,
	TG_ACT_RST = 2,      /* answer RST+ACK from XDP, under a global budget */
	TG_ACT_REDIRECT = 3, /* to action_ifindex through tg_redirect, with its flow */
};

/*
 * The live configuration: tg_config is an ARRAY of TG_CONFIG_SLOTS
 * copies and tg_config_gen[0] a __u32, the generation, whose low bit
 * names the live copy. A packet reads the generation once and uses that
 * copy to its end; the writer (user/cfgslots.c) fills the other copy,
 * then bumps the generation with one 4-byte write, and never changes
 * what packets read in a copy a packet may still be reading. So every
 * packet sees one whole configuration, never a mix of two. At rest both
 * copies are equal.
 */
#define TG_CONFIG_SLOTS 2

/*
 * Ports with a limit of their own. tg_ports holds each port's group:
 * 0 not limited, TG_PG_DEFAULT the interface's limit, 2.. a group of
 * tg_config.port_groups, whose buckets are keyed apart (tg_source.group).
 * The group's limit lives in the config, so it flips with the rest; a
 * port is pointed at a group only after the group is live, and away
 * from it before the group is removed (user/live.c). Limit rules do not
 * apply to a group's ports: its limit holds for every source; allow and
 * deny rules do.
 */
#define TG_PG_NONE     0
#define TG_PG_DEFAULT  1
#define TG_PG_FIRST    2
#define TG_PORT_GROUPS 16 /* ids 0..15: 14 groups of their own */

struct tg_port_group {
	__u64 interval_ns;    /* as tg_config's; 0: the group is not in use */
	__u64 tolerance_ns;
	__u64 rate_period_ns; /* the rate as written: rate_count per period */
	__u32 rate_count;
	__u32 burst;
	__u16 port_lo;        /* the ports as written: port_lo-port_hi */
	__u16 port_hi;
	__u32 reserved;
};

struct tg_config {
	__u64 interval_ns;  /* one token every interval_ns: period / count */
	__u64 tolerance_ns; /* (burst - 1) * interval_ns */
	__be32 v4_mask;     /* source prefix mask, network order */
	__be32 v6_mask[4];
	__u32 flags;        /* TG_F_* */
	__u32 burst;        /* for display; tolerance_ns is what is used */
	__u32 rate_count;   /* the rate as the operator wrote it: */
	__u64 rate_period_ns; /* rate_count per rate_period_ns */
	__u32 max_sources;  /* size of tg_buckets: not for display only, the
			     * datapath compares the sources tracked with it
			     * to count table_full and evicted */
	__u32 layout_version;
	__u32 action;         /* TG_ACT_* for SYNs over the default limit */
	__u32 action_ifindex; /* TG_ACT_REDIRECT: where to */
	__u8 v4_prefix;       /* the lengths v4_mask and v6_mask cut, for */
	__u8 v6_prefix;       /* the drop log and top */
	__u16 reserved;
	__u32 rule_seq;       /* the last rule id handed out; ids are never reused.
			       * Userspace's alone: no packet reads it, so a
			       * change of it alone is written in place */
	/* All RSTs the interface may send, as a GCRA of its own (tg_state):
	 * so tidegate cannot be turned into a reflector of spoofed SYNs. */
	__u64 rst_interval_ns;
	__u64 rst_tolerance_ns;
	/* Drop log: one line per bucket per log_interval_ns at most, and all
	 * lines under a global GCRA budget (tg_state). */
	__u64 log_interval_ns;
	__u64 log_budget_interval_ns;
	__u64 log_budget_tolerance_ns;
	/* SYN cookies: the mode, the SipHash key (random per attach, kept
	 * by set), the SYN-ACK budget and, for auto, the new-source budget,
	 * each a GCRA in tg_state; the rates as written, per second. */
	__u32 cookie_mode;        /* TG_COOKIES_* */
	__u32 cookie_opts;        /* TG_COPT_* */
	__u64 cookie_key[2];
	__u64 cookie_interval_ns;
	__u64 cookie_tolerance_ns;
	__u64 newsrc_interval_ns;
	__u64 newsrc_tolerance_ns;
	__u32 cookie_budget;      /* SYN-ACKs per second, burst the same */
	__u32 new_source_rate;    /* new sources per second (auto's trip) */
	/* Facts of the host, written at attach and kept by set: */
	__u16 cookie_mss4;        /* the MSS to advertise: interface MTU - 40 */
	__u16 cookie_mss6;        /* ...- 60 */
	__u8 cookie_wscale;       /* the window scale the listener's kernel
				   * chooses (tcp_rmem, rmem_max): a cookie
				   * ACK's socket gets it, so we advertise it */
	__u8 cookie_reserved[3];
	/* Ports with a limit of their own, indexed by group id (the ids
	 * below TG_PG_FIRST unused). */
	struct tg_port_group port_groups[TG_PORT_GROUPS];
};

/*
 * tg_state: an ARRAY of one, the global GCRA words the program updates
 * with compare-and-swap (userspace only zeroes it at attach).
 */
struct tg_state {
	__u64 rst_tat_ns; /* RST replies budget */
	__u64 log_tat_ns; /* drop log budget */
	__u64 cookie_tat_ns;   /* SYN-ACK budget */
	__u64 newsrc_tat_ns;   /* auto: the new-source budget */
	__u64 cookie_last_ns;  /* a cookie was sent then (to a second): ACKs
				* are checked only while one may be alive */
	__u64 auto_until_ns;   /* auto: cookies cover new sources until then */
	__u64 auto_since_ns;   /* auto: when it last tripped */
	__s64 room;            /* tg_buckets: free slots known to be left,
				* a lower bound; <= 0: count the table */
	__u64 cookie_logged_ns[2]; /* the drop log's last line of each
				    * TG_COOKIE_LOG_SLOT kind */
};

/*
 * tg_config_gen's words: the generation, whose low bit is tg_config's
 * live copy; the last generation whose write completed (user/cfgslots.c);
 * and the front cache's epoch, moved before and after anything but a SYN
 * lowers buckets' tats (a limit changed live, bpf/rescale.bpf.c), so it
 * is odd meanwhile: front slots of an older epoch are void.
 */
enum tg_config_gen_key {
	TG_GEN_LIVE,
	TG_GEN_SETTLED,
	TG_GEN_FRONT,
	TG_GEN_KEYS,
};

/*
 * tg_front: a per-CPU, direct-mapped cache of sources the flood's fast
 * path denied (bpf/front.h), so a flooding source is dropped again
 * without the hash map. A slot holds until when the denial and its
 * quiet (no drop log line due) hold, and what they were read under: the
 * config generation and the front epoch (TG_GEN_FRONT). Only the
 * program reads and writes it.
 */
#define TG_FRONT_BITS  8
#define TG_FRONT_SLOTS (1U << TG_FRONT_BITS)

/* The longest a slot stands in for its bucket: a flooding source is
 * still looked up in tg_buckets every few ticks, so the LRU sees its
 * bucket in use and does not hand it to a newcomer first, as it did
 * when every SYN looked. */
#define TG_FRONT_TTL_NS (40ULL * 1000 * 1000)

/* The longest tick of any kernel (HZ 100): a slot's time in jiffies is
 * counted in ticks of this length, so it ends no later than it should
 * at any HZ (bpf/front.h, front_ticks). */
#define TG_FRONT_TICK_NS (10ULL * 1000 * 1000)

struct tg_front_slot {
	struct tg_source src;
	__u32 config_gen;
	__u64 until;       /* the slot holds while the clock is before it: jiffies,
			    * or the precise clock's ns when precise */
	__u32 epoch;       /* tg_config_gen[TG_GEN_FRONT] when filled */
	__u8 drop_shift;   /* count_drop's sampling step when filled (6 or 10) */
	__u8 log_budget;   /* quiet because the log budget is spent */
	__u8 precise;      /* filled near the edge, by the precise clock */
	__u8 pad;
};

struct tg_front {
	struct tg_front_slot slot[TG_FRONT_SLOTS];
};

/*
 * tg_rules: an LPM trie for both families. The first data word is the
 * family (4 or 6), so an IPv6 ::/0 never covers IPv4; prefixlen counts
 * it: 32 + the prefix length. IPv4 addresses sit in addr[0..3].
 */
struct tg_rule_key {
	__u32 prefixlen;
	__u32 family;
	__u8 addr[16];
};

#define TG_RULE_KEY_BITS(len) (32 + (len))

enum tg_rule_kind {
	TG_RULE_ALLOW = 1, /* never limited */
	TG_RULE_DENY = 2,  /* every SYN to a limited port dropped (by action) */
	TG_RULE_LIMIT = 3, /* a limit of its own */
};

#define TG_RULE_F_SHARED (1U << 0) /* one bucket for the whole prefix */
#define TG_RULE_F_ALL    (1U << 1) /* deny: every packet, not only SYNs to limited ports */

#define TG_MAX_RULES 16384

struct tg_rule {
	__u64 interval_ns;    /* limit rules: as in tg_config */
	__u64 tolerance_ns;
	__u64 rate_period_ns; /* the rate as written: rate_count per period */
	__u32 rate_count;
	__u32 burst;
	__u32 id;             /* > 0, unique per interface, never reused */
	__u32 action;         /* TG_ACT_*; DEFAULT: the interface's */
	__u32 action_ifindex;
	__u8 kind;            /* TG_RULE_* */
	__u8 flags;           /* TG_RULE_F_* */
	__u8 prefixlen;       /* as written: 0-32 or 0-128 */
	__u8 family;          /* 4 or 6 */
	__u8 net[16];         /* the network in tg_source form (IPv4-mapped) */
	__u64 expires_ns;     /* CLOCK_MONOTONIC after which the rule no longer
			       * applies (--ttl); 0: never */
};

/*
 * tg_rule_filter: an ARRAY of one, where rules may be, so that a source
 * no rule covers is told so without walking the trie (bpf/rules.h). A
 * rule at least TG_RF_CUT4 (IPv4) or TG_RF_CUT6 (IPv6) long is filed
 * under its network cut to that length: one probe, of the source's own
 * /24 or /48, finds all of them. A shorter rule is filed under its own
 * length, which lens lists (bit L of lens[0] for IPv4, of lens[1] for
 * IPv6), each such length one probe more. bits has the bit
 * include/rule_hash.h names for each. A set bit may be stale (a rule
 * deleted since) or shared, which costs only the walk; a missing one
 * never is: userspace sets a rule's bits before the rule is written and
 * clears them only by rebuilding from the trie (user/rule_filter.c).
 * Every bit of any mix of two such filters is set for every rule in
 * force, so a read while userspace rewrites it is still a superset.
 */
#define TG_RF_ORDER 19 /* 2^19 bits, 64 KiB: a few % false hits at 16,384 rules */
#define TG_RF_WORDS ((1U << TG_RF_ORDER) / 64)
#define TG_RF_CUT4 24
#define TG_RF_CUT6 48

struct tg_rule_filter {
	__u64 lens[2];
	__u64 bits[TG_RF_WORDS];
};

/*
 * tg_flows: an LRU hash of the flows whose SYN was redirected, so the
 * rest of each flow follows it to the same interface.
 */
struct tg_flow {
	__u8 saddr[16]; /* IPv4-mapped for IPv4, as tg_source */
	__u8 daddr[16];
	__be16 sport;
	__be16 dport;
};

#define TG_MAX_FLOWS 65536

/* tg_redirect: a DEVMAP_HASH keyed by ifindex, value the same ifindex. */
#define TG_MAX_REDIRECTS 64

/*
 * tg_log: a ring buffer of drop log lines, one struct each. A bucket
 * logs its first drop, then at most one line per log_interval_ns; all
 * lines together stay under the log budget.
 */
enum tg_log_why {
	TG_WHY_LIMIT = 1, /* over the default limit or a limit rule's */
	TG_WHY_DENY = 2,  /* a deny rule */
	/* The cookie path's lines: about the interface, not a bucket.
	 * addr is the source of the packet that made the line, bucket
	 * and rule are zero, dropped and admitted are left to the reader
	 * (the interface's counters). */
	TG_WHY_COOKIES_ON = 3,  /* auto mode turned cookies on: new sources
				 * outran rate_count per period */
	TG_WHY_COOKIES_OFF = 4, /* auto mode turned them off; time_ns is when
				 * the hold ended, since_ns how long they were on */
	TG_WHY_COOKIE_BUDGET = 5,  /* a covered SYN over the cookie budget
				    * (rate_count per period): dropped */
	TG_WHY_COOKIE_INVALID = 6, /* an ACK with a bad or stale cookie: dropped */
};

/* The kinds of cookie line that come at most once per log_interval_ns,
 * each with its own turn in tg_state.cookie_logged_ns. */
#define TG_COOKIE_LOG_KINDS 2
#define TG_COOKIE_LOG_SLOT(why) ((why) - TG_WHY_COOKIE_BUDGET)

#define TG_EV_DRY_RUN (1U << 0) /* nothing was dropped: dry run */
#define TG_EV_SHARED  (1U << 1) /* the bucket is a --shared rule's */

struct tg_log_event {
	__u64 time_ns;        /* CLOCK_MONOTONIC */
	__u64 since_ns;       /* since this bucket's previous line; 0: first */
	__u64 dropped;        /* the bucket's drops so far, this one included */
	__u64 admitted;       /* the bucket's admitted SYNs so far */
	__u64 rate_period_ns; /* the limit in force: rate_count per period */
	__u32 rate_count;     /* (0 for a deny rule) */
	__u32 rule_id;        /* 0: the default limit */
	__u8 addr[16];        /* the SYN's source, whole (IPv4-mapped) */
	__u8 bucket[16];      /* the bucket's address (source cut, or network) */
	__u16 dport;          /* host order */
	__u8 prefixlen;       /* of bucket: 1-32 (IPv4) or 1-128, 0 for /0 */
	__u8 family;          /* 4 or 6 */
	__u8 action;          /* TG_ACT_* taken (DROP..REDIRECT) */
	__u8 why;             /* TG_WHY_* */
	__u8 flags;           /* TG_EV_* */
	__u8 port_group;      /* the bucket's tg_source.group (0: none) */
};

#define TG_LOG_RING_BYTES (256 * 1024)

/* tg_ports: ARRAY indexed by destination port (host order), value the
 * port's group: TG_PG_NONE, TG_PG_DEFAULT or a group of its own */
#define TG_PORTS_MAX 65536

/*
 * tg_stats: a PERCPU_ARRAY of one element, so the program finds every
 * counter with one lookup and bpftool prints them by name. Userspace
 * sums the CPUs.
 *
 * Every counter is one row of this list, and everything else is made
 * from it: the struct's fields, their names and help in `tidegate stats`
 * (user/counters.c), and the Prometheus series (user/metrics.c):
 *
 *   X(field, metric, label, help)
 *
 * is exported as tidegate_<metric>{interface="...",KEY="<label>"}, KEY
 * being the label name metrics.c gives the labelled family <metric>; an
 * empty label makes a series of its own, <metric> unlabelled. The
 * syn_total family comes from tg_fam_stats, by address family: its rows
 * here are the totals, and syn itself (their sum) has no series.
 */
#define TG_COUNTERS(X)                                                                          \
	X(packets, packets_total, , "packets the XDP program saw")                             \
	X(syn, syn_total, , "SYNs to limited ports: allowed + dropped + would_drop")            \
	X(allowed, syn_total, allowed, "limited SYNs within their bucket, passed")              \
	X(dropped, syn_total, dropped, "limited SYNs over the limit, dropped")                  \
	X(would_drop, syn_total, would_drop, "over the limit in dry-run mode, passed")          \
	X(pass_not_syn, passed_total, not_syn, "passed: not a SYN to a limited port")           \
	X(pass_not_ip, passed_total, not_ip, "passed: neither IPv4 nor IPv6 (ARP, LLDP, ...)")  \
	X(pass_trunc, passed_total, truncated, "passed: a header ran past the end of the packet") \
	X(pass_badhdr, passed_total, bad_header,                                                \
	  "passed: malformed header (IP version, IHL < 5, doff < 5, an IPv4-mapped IPv6 "      \
	  "source)")                                                                           \
	X(pass_exthdr, passed_total, ext_header,                                                \
	  "passed: an IPv6 extension header that cannot be walked")                            \
	X(pass_tunnel, passed_total, tunnel,                                                    \
	  "passed: IP in IP or GRE (limit where it is decapsulated)")                          \
	X(pass_vlan, passed_total, vlan, "passed: more than two VLAN tags")                     \
	X(fragment, passed_total, fragment, "passed: non-first fragment, no TCP header")        \
	X(frag_tiny, tiny_fragments_total, , "first fragments cut inside TCP, charged as SYNs") \
	X(exthdr_long, long_ext_chains_total, ,                                                 \
	  "IPv6 chains longer than 8 headers, charged as SYNs")                                \
	X(new_source, new_sources_total, , "sources given a bucket")                           \
	X(table_full, table_full_total, ,                                                       \
	  "new sources that found the table full (the LRU evicted)")                           \
	X(evicted, evicted_total, , "sources evicted from the full table to make room")        \
	X(cas_retry, cas_retries_total, , "bucket updates retried after a race with another CPU") \
	X(cas_exhausted, cas_exhausted_total, ,                                                 \
	  "SYNs refused after too many races (in dropped or would_drop)")                      \
	X(fleet_denied, fleet_denied_total, ,                                                   \
	  "SYNs the fleet's view denied, this machine's bucket aside (in dropped or would_drop)") \
	/* Rules (each SYN counts in at most one) */                                           \
	X(rule_allow, rule_syn_total, allow, "SYNs passed by an allow rule (in allowed)")       \
	X(rule_deny, rule_syn_total, deny, "SYNs that hit a deny rule (in dropped or would_drop)") \
	X(rule_limit, rule_syn_total, limit, "SYNs charged to a limit rule's bucket")           \
	X(deny_all, deny_all_packets_total, ,                                                   \
	  "packets from a deny --all prefix, any protocol (dropped unless dry run)")          \
	/* Actions: dropped == act_drop + rst_sent + rst_budget_exceeded +                     \
	 * rst_skipped + redirected + redirect_failed */                                       \
	X(act_drop, action_total, drop, "dropped silently")                                     \
	X(rst_sent, action_total, rst, "refused with an RST+ACK (XDP_TX)")                      \
	X(rst_budget_exceeded, action_total, rst_over_budget,                                   \
	  "RST wanted, over the RST budget: dropped")                                          \
	X(rst_skipped, action_total, rst_skipped,                                               \
	  "RST wanted, not answerable (options, fragment, not unicast): dropped")              \
	X(redirected, action_total, redirect, "sent to the redirect interface")                 \
	X(redirect_failed, action_total, redirect_failed,                                       \
	  "redirect interface not in tg_redirect: dropped")                                    \
	X(flow_redirected, flow_redirected_total, ,                                             \
	  "later packets of redirected flows, sent after their SYN")                           \
	/* Drop log */                                                                         \
	X(log_emitted, log_lines_total, written, "drop log lines written")                      \
	X(log_budget_exceeded, log_lines_total, over_budget,                                    \
	  "drop log lines over the budget, not written")                                       \
	X(log_lost, log_lines_total, lost, "drop log lines lost: the ring buffer was full")     \
	/* SYN cookies. A covered SYN is not in syn: it is charged to no                       \
	 * bucket. cookie_syn == cookie_sent + cookie_budget_exceeded +                        \
	 * cookie_skipped */                                                                   \
	X(cookie_syn, cookie_syn_total, ,                                                       \
	  "SYNs from untracked (or unverified) sources the cookie mode covered (not in syn)")  \
	X(cookie_sent, cookie_synack_total, sent, "answered with a SYN cookie SYN-ACK (XDP_TX)") \
	X(cookie_budget_exceeded, cookie_synack_total, over_budget,                             \
	  "cookie wanted, over the cookie budget: dropped")                                    \
	X(cookie_skipped, cookie_synack_total, skipped,                                         \
	  "cookie wanted, not answerable (options, fragment, not unicast): dropped")           \
	X(cookie_ack_valid, cookie_ack_total, valid,                                            \
	  "ACKs whose cookie the listener took as a connection (TC)")                          \
	X(cookie_ack_invalid, cookie_ack_total, invalid,                                        \
	  "ACKs to a limited port with a bad or stale cookie and no connection: dropped")      \
	X(cookie_assign_failed, cookie_ack_total, refused,                                      \
	  "valid cookies the kernel did not take (no listener, a sysctl): passed")             \
	X(cookie_verified, cookie_verified_sources_total, ,                                     \
	  "sources given a bucket (or proved, if unverified) by a valid cookie")               \
	X(cookie_auto_trips, cookie_auto_trips_total, , "times auto mode turned cookies on")  \
	X(cookie_unverified, cookie_unverified_total, ,                                         \
	  "of cookie_syn: from sources given a bucket before auto tripped, not yet verified")

#define TG_COUNTER_FIELD(field, metric, label, help) __u64 field;
struct tg_counters {
	TG_COUNTERS(TG_COUNTER_FIELD)
};
#undef TG_COUNTER_FIELD

#define TG_COUNTER_ONE(field, metric, label, help) +1
#define TG_NR_COUNTERS (0 TG_COUNTERS(TG_COUNTER_ONE))

/* Userspace walks the struct as an array of __u64: nothing else in it. */
_Static_assert(sizeof(struct tg_counters) == TG_NR_COUNTERS * sizeof(__u64),
	       "struct tg_counters holds only the rows of TG_COUNTERS");

/*
 * tg_fam_stats: a PERCPU_ARRAY indexed by address family, so the limited
 * SYNs can be told apart by IPv4 and IPv6 (the metrics label them).
 * Only SYNs to limited ports are counted here; tg_stats has the rest.
 */
#define TG_FAM_V4 0
#define TG_FAM_V6 1
#define TG_NR_FAMILIES 2

struct tg_fam_counters {
	__u64 syn;        /* SYNs to a limited port from this family */
	__u64 allowed;    /* ...within their bucket, passed */
	__u64 dropped;    /* ...over the limit, dropped */
	__u64 would_drop; /* ...over the limit in dry-run mode, passed */
};

/*
 * tg_port_stats: a PERCPU_ARRAY indexed by port group (tg_ports' value),
 * the limited SYNs of each: TG_PG_DEFAULT's are those the interface's
 * limit (or a rule) decided. One list, as TG_COUNTERS:
 *   X(field, label, help), exported as tidegate_port_syn_total{group,verdict}
 */
#define TG_PORT_COUNTERS(X)                                                     \
	X(syn, , "SYNs to the group's ports: allowed + dropped + would_drop")   \
	X(allowed, allowed, "within their bucket, passed")                      \
	X(dropped, dropped, "over the limit or denied, dropped")                \
	X(would_drop, would_drop, "over the limit in dry-run mode, passed")

#define TG_PORT_COUNTER_FIELD(field, label, help) __u64 field;
struct tg_port_counters {
	TG_PORT_COUNTERS(TG_PORT_COUNTER_FIELD)
};
#undef TG_PORT_COUNTER_FIELD

#define TG_PORT_COUNTER_ONE(field, label, help) +1
#define TG_NR_PORT_COUNTERS (0 TG_PORT_COUNTERS(TG_PORT_COUNTER_ONE))

/*
 * The load generator behind `tidegate flood` (bpf/flood.bpf.c): its
 * state per CPU, in a PERCPU_ARRAY of one element. Source ports of the
 * frames it makes cycle through TG_FLOOD_PORT_BASE + (0..PORT_MASK).
 */
#define TG_MAP_FLOOD "tg_flood"
#define TG_FLOOD_PORT_BASE 0x8000
#define TG_FLOOD_PORT_MASK 0x7fff
#define TG_FLOOD_FRAME_MAX 128 /* bytes of the frame it sends, at most */
#define TG_FLOOD_FRAME_WORDS (TG_FLOOD_FRAME_MAX / 8)
/* The veth loop's copies out of the flooded veth per round: each round
 * costs two hops of the loop, which the copies share. */
#define TG_FLOOD_FANOUT 8

struct tg_flood_cpu {
	__u32 next_source; /* index of the next frame's source address */
	__u32 next_port;   /* the next frame's source port, less PORT_BASE */
	__u64 frames;      /* frames this CPU made, ever */
};

/* The benchmark's clock on one veth's NAPI polls (bpf/napi_time.bpf.c),
 * per CPU. */
struct tg_napi_time {
	__u64 started; /* when the next poll to end began, ns; 0 if unknown */
	__u64 ns;      /* time spent in its polls */
	__u64 polls;
	__u64 frames;  /* frames those polls took in */
	__u64 full_polls; /* polls that used their whole budget */
};

#endif /* TIDEGATE_H */
