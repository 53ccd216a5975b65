/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rules.h - allow, deny and limit rules: CIDRs parsed strictly, rules
 * built for the tg_rules trie, read back and printed.
 */
#ifndef TG_RULES_H
#define TG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "limits.h"
#include "tidegate.h"

/* A prefix as written: IPv4 in addr[0..3]. */
struct tg_cidr {
	__u8 family; /* 4 or 6 */
	__u8 len;    /* 0-32 or 0-128 */
	__u8 addr[16];
};

/*
 * "198.51.100.0/24", "2001:db8::/32", or a bare address (a /32 or
 * /128). Refused with -EINVAL and why: a malformed address or length,
 * host bits set beyond the length (why names the network meant), an
 * IPv4-mapped IPv6 prefix (write IPv4 as IPv4).
 */
int tg_cidr_parse(const char *text, struct tg_cidr *c, char *why, size_t whylen);
void tg_cidr_format(const struct tg_cidr *c, char *buf, size_t len);

void tg_cidr_to_key(const struct tg_cidr *c, struct tg_rule_key *k);
void tg_cidr_from_key(const struct tg_rule_key *k, struct tg_cidr *c);

/* An address in tg_source form (IPv4-mapped) and a prefix length in
 * its family's terms: "198.51.100.7", "198.51.100.0/24", "2001:db8::/64".
 * The length is left out when it is the whole address. */
void tg_source_format(const __u8 addr[16], unsigned int len, char *buf, size_t size);
bool tg_addr_is_v4(const __u8 addr[16]);

/* A rule as the operator states it on the command line. */
struct tg_rule_spec {
	struct tg_cidr cidr;
	__u8 kind;          /* TG_RULE_* */
	bool shared;
	struct tg_rate rate; /* limit */
	__u64 burst;         /* limit; 0: the rate's count */
	struct tg_act action; /* kind 0: the interface's */
	bool all;            /* deny: every packet (--all), not only SYNs */
	__u64 ttl_ms;        /* --ttl: the rule expires this long after it is
			      * put in force; 0: never */
};

/* --ttl bounds: a second to a year. */
#define TG_RULE_TTL_MIN_MS 1000ULL
#define TG_RULE_TTL_MAX_MS (366ULL * 86400 * 1000)

/* Parse "allow", "deny", "limit"; 0 if none of them. */
__u8 tg_rule_kind_parse(const char *text);
const char *tg_rule_kind_name(__u8 kind);

/*
 * A rule from one line of words, as 'tidegate rule add IFACE' takes them
 * after IFACE: "CIDR allow", "CIDR deny [--all] [--action A]", "CIDR
 * limit RATE [--burst N] [--shared] [--action A]", each with [--ttl
 * DURATION] (the rate in one word: 10/second, 100/10s). For the config
 * file's "rule = ..." and `rule import`; what `rule list` prints. 0, or
 * -EINVAL and why.
 */
int tg_rule_spec_parse(const char *text, struct tg_rule_spec *spec, char *why, size_t whylen);

/* Two specs that make the same rule (the id aside). */
bool tg_rule_spec_equal(const struct tg_rule_spec *a, const struct tg_rule_spec *b);

/* Fill r from spec with rule id. Returns 0, or -ERANGE/-EINVAL and why. */
int tg_rule_build(const struct tg_rule_spec *spec, __u32 id, struct tg_rule *r, char *why,
		  size_t whylen);

/* One rule as JSON: id, cidr, kind, rate, burst, shared, all, action,
 * ttl (seconds left, null if none), expired. now_ns: CLOCK_MONOTONIC. */
struct json_object *tg_rule_json(const struct tg_rule_key *k, const struct tg_rule *r,
				 __u64 now_ns);

/* A rule in the words tg_rule_spec_parse takes back (a --ttl of what is
 * left), so `rule list` output can be imported: by column, for a table,
 * or as one line. */
struct tg_rule_words {
	char cidr[64];
	char kind[16];
	char rate[64];  /* "" but for limit rules */
	char opts[160]; /* "--burst 5 --shared ...", "" for none */
};

void tg_rule_words(const struct tg_rule_key *k, const struct tg_rule *r, __u64 now_ns,
		   struct tg_rule_words *w);
void tg_rule_format(const struct tg_rule_key *k, const struct tg_rule *r, __u64 now_ns,
		    char *buf, size_t len);

/* Whether the rule's --ttl has run out at now_ns. */
bool tg_rule_expired(const struct tg_rule *r, __u64 now_ns);

struct tg_rule_entry {
	struct tg_rule_key key;
	struct tg_rule rule;
};

/* The order of tg_rules_read: family, address, length (qsort, bsearch). */
int tg_rule_entry_cmp(const void *a, const void *b);

/* key's entry in v, sorted by tg_rule_entry_cmp; NULL if none. */
const struct tg_rule_entry *tg_rule_entry_find(const struct tg_rule_entry *v, int n,
					       const struct tg_rule_key *key);

/* Every rule in the trie, IPv4 first, then by address and length.
 * *out is malloc'ed (free it). Returns the count or -errno. */
int tg_rules_read(int fd, struct tg_rule_entry **out);

/* How many rules the trie holds (keys walked, no values read): the
 * count, or -errno. */
int tg_rules_count(int fd);

/* The rule with exactly this prefix: 0, or -ENOENT. */
int tg_rule_find(int fd, const struct tg_rule_key *k, struct tg_rule *r);

/* Rules read from a file, in order, with the line each came from. */
struct tg_rule_set {
	struct tg_rule_spec *specs;
	int *lines;
	int n;
};

/* The largest rule file: the table's size, with room for comments. */
#define TG_RULE_FILE_MAX_LINES (4 * TG_MAX_RULES)

/*
 * Read rules, one a line in the words of tg_rule_spec_parse ('#' starts
 * a comment, blank lines skipped), all checked before any is used: a
 * bad line, a prefix given twice, or more than the table holds gives
 * -EINVAL and why, which starts with the line number ("7: ..."). set is
 * filled (free it with tg_rule_set_free); 0 or -errno.
 */
int tg_rule_set_read(FILE *f, struct tg_rule_set *set, char *why, size_t whylen);
void tg_rule_set_free(struct tg_rule_set *set);

#endif /* TG_RULES_H */
