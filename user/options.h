/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * options.h - every option of tidegate, declared once.
 *
 * X(ID, name, short, metavar, scope, flags, example, help)
 *
 *   name     the long option, and the config file's key
 *   short    the short option, 0 if none (per command: -n is two things)
 *   metavar  the value's name in help, NULL for a flag
 *   scope    where the option lives, which decides who takes it:
 *     COMMAND  one command's own: listed in that command's row (main.c)
 *     DAEMON   the daemon's: `run` and the file's [daemon]
 *     IFACE    an interface's, fixed while attached: `run IFACE`,
 *              [interface NAME] and [defaults]; `attach` too with ATTACH
 *     LIMIT    an interface's limits, changed live: `attach`, `set`,
 *              `run IFACE`, [interface NAME] and [defaults]
 *   flags    TG_OPT_*, below
 *   example  a valid value unlike the default, so a test can show that
 *            every scoped option takes effect wherever it is accepted
 *   help     one line for --help
 *
 * The command lines (cli.c), the file's keys and sections (conf.c), what
 * `set` changes and `check-config` prints (limit_opts.c) are all derived
 * from these rows: an option added here reaches all of them, and
 * tests/unit/test_options.c fails until it is applied everywhere.
 * The help strings use the defaults of limits.h and conf.h, which only
 * cli.c needs to see: the other expansions drop them.
 */
#ifndef TG_OPTIONS_H
#define TG_OPTIONS_H

/* Flags of an option */
#define TG_OPT_ATTACH   (1U << 0) /* IFACE scope: `attach` takes it too */
#define TG_OPT_ONE_IFACE (1U << 1) /* names one interface: not in [defaults] */
#define TG_OPT_CMDLINE  (1U << 2) /* on the command line only, not a file key */
#define TG_OPT_FILE     (1U << 3) /* a file key only; may be given more than once */

#define TG_OPTIONS(X)                                                                          \
	/* The daemon */                                                                       \
	X(CONFIG, "config", 0, "FILE", COMMAND, 0, NULL,                                        \
	  "read interfaces and settings from FILE (INI)")                                     \
	X(METRICS, "metrics", 0, "ADDR:PORT", DAEMON, 0, "[::1]:9100",                         \
	  "serve Prometheus metrics at http://ADDR:PORT/metrics, or 'off' (default "          \
	  TG_DEFAULT_METRICS ")")                                                              \
	X(REDIS, "redis", 0, "URL", DAEMON, 0, "redis://127.0.0.1:6390/2",                     \
	  "mirror buckets to redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or "                   \
	  "unix:///PATH[?db=N]; with --fleet also "                                            \
	  "redis+cluster://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]")                     \
	X(SYNC_INTERVAL, "sync-interval", 0, "DURATION", DAEMON, 0, "1s",                      \
	  "write changed buckets to Redis this often: 250ms, 1s (default "                     \
	  TG_DEFAULT_SYNC_INTERVAL ")")                                                        \
	X(REDIS_TIMEOUT, "redis-timeout", 0, "DURATION", DAEMON, 0, "2s",                      \
	  "give up on a Redis connect or reply after this long (default "                     \
	  TG_DEFAULT_REDIS_TIMEOUT ")")                                                        \
	X(REDIS_PREFIX, "redis-prefix", 0, "NAME", DAEMON, 0, "tg-test",                       \
	  "first word of every Redis key (default " TG_DEFAULT_REDIS_PREFIX ")")               \
	X(FLEET, "fleet", 0, "NAME", DAEMON, 0, "web",                                         \
	  "hold one limit per source with every daemon of fleet NAME on the same --redis")    \
	X(FLEET_INTERVAL, "fleet-interval", 0, "DURATION", DAEMON, 0, "50ms",                  \
	  "fleet: push admissions and read the fleet's view this often (default "             \
	  TG_DEFAULT_FLEET_INTERVAL ")")                                                       \
	X(FLEET_BURST_SHARE, "fleet-burst-share", 0, "K", DAEMON, 0, "2",                      \
	  "fleet: each member's local burst is ceil(K * burst / members), 1-64 (default "     \
	  TG_DEFAULT_FLEET_BURST_SHARE ")")                                                    \
	X(DETACH_ON_EXIT, "detach-on-exit", 0, NULL, DAEMON, 0, "yes",                         \
	  "remove the limiter when the daemon stops (default: leave it attached)")            \
	X(LOG, "log", 0, "journal|off", DAEMON, 0, "journal",                                 \
	  "journal: the daemon sends the drop log to the journal, with fields to filter "     \
	  "on (then 'tidegate log' is refused); default off")                                 \
	X(STATE_DIR, "state-dir", 0, "DIR", DAEMON, 0, "/tmp/tg-state",                        \
	  "keep each interface's rules in DIR/rules/IFACE, put back after a reboot (default " \
	  TG_DEFAULT_STATE_DIR ")")                                                           \
	/* An interface's, fixed while it is attached */                                       \
	X(MODE, "mode", 'm', "native|skb", IFACE, TG_OPT_ATTACH, "skb",                         \
	  "XDP attach mode (default native)")                                                  \
	X(MAX_SOURCES, "max-sources", 0, "N", IFACE, TG_OPT_ATTACH, "1000",                     \
	  "sources tracked at once; the least recently seen is evicted beyond (default "      \
	  STR(TG_DEFAULT_MAX_SOURCES) ")")                                                     \
	X(ZONE, "zone", 0, "NAME", IFACE, TG_OPT_ONE_IFACE, "web",                             \
	  "the interface's name in Redis keys; machines sharing a limit share it "            \
	  "(default: the interface name)")                                                     \
	/* An interface's limits, live; applied in this order (a rate resets the burst) */     \
	X(RATE, "rate", 'r', "RATE", LIMIT, 0, "7/second",                                      \
	  "SYNs per source: 10/second, 600/minute, 100/10s, \"10 per minute\" (default "      \
	  TG_DEFAULT_RATE ")")                                                                 \
	X(BURST, "burst", 'b', "N", LIMIT, 0, "9",                                             \
	  "SYNs a quiet source may send at once (default: the rate's count)")                 \
	X(PORTS, "ports", 'p', "LIST", LIMIT, 0, "22,8000-8080",                               \
	  "limited TCP destination ports: 80,443,8000-8080 (default " TG_DEFAULT_PORTS ")")   \
	X(V4_PREFIX, "v4-prefix", 0, "LEN", LIMIT, 0, "24",                                    \
	  "IPv4 sources share a bucket per /LEN, 1-32 (default " STR(TG_DEFAULT_V4_PREFIX)     \
	  ")")                                                                                 \
	X(V6_PREFIX, "v6-prefix", 0, "LEN", LIMIT, 0, "56",                                    \
	  "IPv6 sources share a bucket per /LEN, 1-128 (default " STR(TG_DEFAULT_V6_PREFIX)    \
	  ")")                                                                                 \
	X(DRY_RUN, "dry-run", 'n', NULL, LIMIT, 0, "yes",                                      \
	  "decide and count, drop nothing (would_drop counts)")                               \
	X(NO_DRY_RUN, "enforce", 0, NULL, LIMIT, TG_OPT_CMDLINE, NULL,                         \
	  "leave dry-run: drop again")                                                         \
	X(ACTION, "action", 'a', "ACTION", LIMIT, 0, "rst",                                    \
	  "what SYNs over the limit get: drop, rst (refused at once) or redirect:IFACE "      \
	  "(sent there with their flow); default drop")                                       \
	X(RST_BUDGET, "rst-budget", 0, "N", LIMIT, 0, "7",                                     \
	  "RSTs per second from all sources together; over it, drop (default "                \
	  STR(TG_DEFAULT_RST_BUDGET) ")")                                                      \
	X(LOG_INTERVAL, "log-interval", 0, "SECONDS", LIMIT, 0, "3",                           \
	  "drop log: at most one line per source per SECONDS (default "                       \
	  STR(TG_DEFAULT_LOG_INTERVAL) ")")                                                    \
	X(LOG_BUDGET, "log-budget", 0, "N", LIMIT, 0, "5",                                     \
	  "drop log: at most N lines per second in all (default " STR(TG_DEFAULT_LOG_BUDGET)   \
	  ")")                                                                                 \
	X(SYN_COOKIES, "syn-cookies", 0, "off|on|auto", LIMIT, 0, "on",                        \
	  "answer SYNs from untracked sources with SYN cookies from XDP: on, off, or auto "   \
	  "while new sources outrun --new-source-rate (default auto)")                        \
	X(NEW_SOURCE_RATE, "new-source-rate", 0, "RATE", LIMIT, 0, "300/second",               \
	  "auto: cookies once new sources arrive faster than RATE (default: --max-sources "   \
	  "per " STR(TG_NEW_SOURCE_TURNOVER_S) " s)")                                          \
	X(COOKIE_BUDGET, "cookie-budget", 0, "RATE", LIMIT, 0, "5000/second",                  \
	  "SYN cookie SYN-ACKs from all sources together; over it, drop (default "            \
	  STR(TG_DEFAULT_COOKIE_BUDGET) "/second)")                                            \
	X(PORT, "port", 0, "PORTS", LIMIT, TG_OPT_CMDLINE, NULL,                               \
	  "a port or range (22, 8000-8080) whose own limit --rate and --burst then give, "    \
	  "or --default removes; flood: the one TCP destination port (default 80)")           \
	X(PORT_LIMIT, "port-limit", 0, "PORTS RATE [--burst N]", LIMIT, TG_OPT_FILE,           \
	  "22 3/minute --burst 2",                                                             \
	  "ports with a limit of their own, as 'set IFACE --port PORTS --rate RATE' gives "   \
	  "it")                                                                                \
	X(DEFAULT, "default", 0, NULL, LIMIT, TG_OPT_CMDLINE, NULL,                             \
	  "with --port: the ports go back to the interface's limit")                          \
	X(RULE, "rule", 0, "CIDR allow|deny|limit ...", LIMIT, TG_OPT_FILE,                    \
	  "198.51.100.0/24 deny", "a rule, as 'tidegate rule add IFACE' takes its words")     \
	/* Commands' own */                                                                    \
	X(JSON, "json", 'j', NULL, COMMAND, 0, NULL, "print JSON")                              \
	X(WATCH, "watch", 'w', "SECONDS", COMMAND, 0, NULL,                                     \
	  "print again every SECONDS, with rates, until interrupted")                         \
	X(DST_IP, "dst-ip", 0, "IP", COMMAND, 0, NULL, "the flooded host's IPv4 or IPv6 address") \
	X(DST_MAC, "dst-mac", 0, "MAC", COMMAND, 0, NULL,                                      \
	  "the MAC frames are sent to: the veth peer's, aa:bb:cc:dd:ee:ff")                   \
	X(SRC, "src", 0, "IP", COMMAND, 0, NULL,                                                \
	  "first source address (default 198.19.0.0 or 2001:db8:19::)")                      \
	X(SRC_PREFIX, "src-prefix", 0, "LEN", COMMAND, 0, NULL,                                 \
	  "one source per /LEN (default 32 for IPv4, 64 for IPv6: tidegate's own prefixes)")  \
	X(SOURCES, "sources", 0, "N", COMMAND, 0, NULL,                                        \
	  "distinct source addresses, rotated (default 1)")                                   \
	X(COUNT, "count", 'c', "N", COMMAND, 0, NULL, "SYNs to send in all (default 1000000)") \
	X(DURATION, "duration", 0, "SECONDS", COMMAND, 0, NULL,                                 \
	  "stop after this long even if COUNT is not reached (default 10)")                   \
	X(THREADS, "threads", 0, "N", COMMAND, 0, NULL,                                        \
	  "sending threads, one per CPU this process may use (default 1)")                    \
	X(PPS, "pps", 0, "N", COMMAND, 0, NULL,                                                \
	  "send at most N SYNs per second in all (default: as fast as it can)")               \
	X(LOOP, "loop", 0, "IFACE", COMMAND, 0, NULL,                                          \
	  "where live frames are refused, send through a veth loop: IFACE and its peer here") \
	X(SHARED, "shared", 's', NULL, COMMAND, 0, NULL,                                       \
	  "the whole prefix shares one bucket (a botnet spread over it)")                     \
	X(ALL, "all", 0, NULL, COMMAND, 0, NULL,                                                \
	  "deny: drop every packet from the prefix, not only SYNs to limited ports")          \
	X(TTL, "ttl", 0, "DURATION", COMMAND, 0, NULL,                                          \
	  "the rule expires by itself this long after it is added: 90s, 10m, 2h, 7d")         \
	X(REPLACE, "replace", 0, NULL, COMMAND, 0, NULL,                                        \
	  "import: the file is the whole rule set (rules not in it are deleted)")             \
	X(MISSING_OK, "missing-ok", 0, NULL, COMMAND, 0, NULL,                                  \
	  "del: no rule for the prefix is not an error")                                      \
	X(ENTRIES, "entries", 'n', "N", COMMAND, 0, NULL,                                      \
	  "show the N first sources of each list (default 10)")                               \
	X(FORCE, "force", 'f', NULL, COMMAND, 0, NULL,                                        \
	  "detach even from under the tidegate daemon that manages IFACE")                    \
	/* Every command's */                                                                  \
	X(VERBOSE, "verbose", 'v', NULL, COMMAND, 0, NULL,                                     \
	  "say more; twice or three times for libbpf's own output")                           \
	X(HELP, "help", 'h', NULL, COMMAND, 0, NULL, "show this help")

#endif /* TG_OPTIONS_H */
