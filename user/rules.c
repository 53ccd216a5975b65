// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rules.c - CIDRs and rules, between the command line and tg_rules. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "action.h"
#include "parse.h"
#include "clock.h"
#include "output.h"
#include "rules.h"

static const __u8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Clear the bits of addr (bytes bytes long) beyond len. */
static void mask_bits(__u8 *addr, unsigned int bytes, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int keep = len > i * 8 ? len - i * 8 : 0;

		if (keep < 8)
			addr[i] &= (__u8)(0xff00 >> keep);
	}
}

int tg_cidr_parse(const char *text, struct tg_cidr *c, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN + 1], net[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int max;
	__u8 masked[16];
	__u64 len;

	memset(c, 0, sizeof(*c));
	if (!alen || alen >= sizeof(addr)) {
		snprintf(why, whylen, "not an IPv4 or IPv6 address");
		return -EINVAL;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	len = max;
	if (slash && tg_parse_u64(slash + 1, 0, max, &len)) {
		snprintf(why, whylen, "prefix length '%s' is not a number from 0 to %u", slash + 1,
			 max);
		return -EINVAL;
	}
	c->len = (__u8)len;
	memcpy(masked, c->addr, sizeof(masked));
	mask_bits(masked, max / 8, c->len);
	if (memcmp(masked, c->addr, max / 8)) {
		inet_ntop(c->family == 4 ? AF_INET : AF_INET6, masked, net, sizeof(net));
		snprintf(why, whylen, "host bits set beyond /%u (the network is %s/%u)", c->len, net,
			 c->len);
		return -EINVAL;
	}
	if (c->family == 6 && c->len >= 96 && !memcmp(c->addr, v4_mapped_prefix, 12)) {
		snprintf(why, whylen, "an IPv4-mapped prefix; write the IPv4 prefix itself");
		return -EINVAL;
	}
	return 0;
}

void tg_cidr_format(const struct tg_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->len);
}

void tg_cidr_to_key(const struct tg_cidr *c, struct tg_rule_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = TG_RULE_KEY_BITS(c->len);
	k->family = c->family;
	memcpy(k->addr, c->addr, c->family == 4 ? 4 : 16);
}

void tg_cidr_from_key(const struct tg_rule_key *k, struct tg_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = (__u8)k->family;
	c->len = (__u8)(k->prefixlen - TG_RULE_KEY_BITS(0));
	memcpy(c->addr, k->addr, c->family == 4 ? 4 : 16);
}

bool tg_addr_is_v4(const __u8 addr[16])
{
	return !memcmp(addr, v4_mapped_prefix, sizeof(v4_mapped_prefix));
}

void tg_source_format(const __u8 addr[16], unsigned int len, char *buf, size_t size)
{
	bool v4 = tg_addr_is_v4(addr);
	char a[INET6_ADDRSTRLEN];

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, a, sizeof(a));
	if (len == (v4 ? 32u : 128u))
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, len);
}

static const char *const kind_names[] = {
	[TG_RULE_ALLOW] = "allow",
	[TG_RULE_DENY] = "deny",
	[TG_RULE_LIMIT] = "limit",
};

__u8 tg_rule_kind_parse(const char *text)
{
	__u8 k;

	for (k = TG_RULE_ALLOW; k <= TG_RULE_LIMIT; k++)
		if (!strcmp(text, kind_names[k]))
			return k;
	return 0;
}

const char *tg_rule_kind_name(__u8 kind)
{
	return kind >= TG_RULE_ALLOW && kind <= TG_RULE_LIMIT ? kind_names[kind] : "unknown";
}

int tg_rule_build(const struct tg_rule_spec *spec, __u32 id, struct tg_rule *r, char *why,
		  size_t whylen)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->kind = spec->kind;
	r->flags = (spec->shared ? TG_RULE_F_SHARED : 0) | (spec->all ? TG_RULE_F_ALL : 0);
	r->expires_ns = spec->ttl_ms ? tg_mono_ns() + spec->ttl_ms * 1000000ULL : 0;
	r->prefixlen = spec->cidr.len;
	r->family = spec->cidr.family;
	r->action = spec->action.kind;
	r->action_ifindex = spec->action.kind == TG_ACT_REDIRECT ? spec->action.ifindex : 0;
	if (spec->cidr.family == 4) {
		memcpy(r->net, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		memcpy(r->net + 12, spec->cidr.addr, 4);
	} else {
		memcpy(r->net, spec->cidr.addr, 16);
	}
	if (spec->kind == TG_RULE_LIMIT) {
		__u64 burst = spec->burst ? spec->burst : spec->rate.count;
		int err = tg_limit_check(&spec->rate, burst, &r->interval_ns, &r->tolerance_ns, why,
					 whylen);

		if (err)
			return err;
		r->rate_count = (__u32)spec->rate.count;
		r->rate_period_ns = spec->rate.period_ns;
		r->burst = (__u32)burst;
	}
	return 0;
}

int tg_rule_spec_parse(const char *text, struct tg_rule_spec *spec, char *why, size_t whylen)
{
	char buf[256], *words[12], *save = NULL, *w, sub[160];
	struct tg_rule r;
	int n = 0, i;
	__u64 v;

	memset(spec, 0, sizeof(*spec));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, whylen, "too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == (int)(sizeof(words) / sizeof(words[0]))) {
			snprintf(why, whylen, "too many words");
			return -EINVAL;
		}
		words[n++] = w;
	}
	if (n < 2) {
		snprintf(why, whylen, "expected CIDR allow|deny|limit RATE [--burst N] [--shared] "
			 "[--action A]");
		return -EINVAL;
	}
	if (tg_cidr_parse(words[0], &spec->cidr, sub, sizeof(sub))) {
		snprintf(why, whylen, "CIDR '%s': %s", words[0], sub);
		return -EINVAL;
	}
	spec->kind = tg_rule_kind_parse(words[1]);
	if (!spec->kind) {
		snprintf(why, whylen, "'%s': expected allow, deny or limit", words[1]);
		return -EINVAL;
	}
	i = 2;
	if (spec->kind == TG_RULE_LIMIT) {
		if (n < 3 || words[2][0] == '-') {
			snprintf(why, whylen, "limit needs a RATE (10/second)");
			return -EINVAL;
		}
		if (tg_rate_parse(words[2], &spec->rate, sub, sizeof(sub))) {
			snprintf(why, whylen, "rate '%s': %s", words[2], sub);
			return -EINVAL;
		}
		i = 3;
	}
	for (; i < n; i++) {
		bool more = i + 1 < n;

		if (!strcmp(words[i], "--shared") && spec->kind == TG_RULE_LIMIT) {
			spec->shared = true;
		} else if (!strcmp(words[i], "--burst") && spec->kind == TG_RULE_LIMIT && more) {
			if (tg_parse_u64(words[++i], 1, TG_MAX_BURST, &v)) {
				snprintf(why, whylen, "--burst '%s': expected 1 to %llu", words[i],
					 TG_MAX_BURST);
				return -EINVAL;
			}
			spec->burst = v;
		} else if (!strcmp(words[i], "--action") && spec->kind != TG_RULE_ALLOW && more) {
			if (tg_action_parse(words[++i], &spec->action, why, whylen))
				return -EINVAL;
		} else if (!strcmp(words[i], "--all") && spec->kind == TG_RULE_DENY) {
			spec->all = true;
		} else if (!strcmp(words[i], "--ttl") && more) {
			if (tg_parse_duration_ms(words[++i], TG_RULE_TTL_MIN_MS, TG_RULE_TTL_MAX_MS,
						 &spec->ttl_ms)) {
				snprintf(why, whylen, "--ttl '%s': expected a duration from 1s to "
					 "366d (90s, 10m, 2h, 7d)", words[i]);
				return -EINVAL;
			}
		} else {
			snprintf(why, whylen, "'%s' does not belong in a%s %s rule", words[i],
				 spec->kind == TG_RULE_ALLOW ? "n" : "", tg_rule_kind_name(spec->kind));
			return -EINVAL;
		}
	}
	/* Catch what only the whole shows: burst x interval. */
	return tg_rule_build(spec, 1, &r, why, whylen) ? -EINVAL : 0;
}

bool tg_rule_spec_equal(const struct tg_rule_spec *a, const struct tg_rule_spec *b)
{
	struct tg_rule ra, rb;
	char why[160];

	if (tg_rule_build(a, 1, &ra, why, sizeof(why)) || tg_rule_build(b, 1, &rb, why, sizeof(why)))
		return false;
	/* Two builds read the clock apart: compare the TTLs instead. */
	ra.expires_ns = rb.expires_ns = 0;
	return a->ttl_ms == b->ttl_ms && !memcmp(&ra, &rb, sizeof(ra));
}

bool tg_rule_expired(const struct tg_rule *r, __u64 now_ns)
{
	return r->expires_ns && now_ns >= r->expires_ns;
}

/* Whole seconds of --ttl left, rounded up, so that a line of `rule list`
 * imported again never outlives the rule it came from by more than a
 * second. */
static __u64 ttl_left_s(const struct tg_rule *r, __u64 now_ns)
{
	return tg_rule_expired(r, now_ns) ? 0 : (r->expires_ns - now_ns + 999999999ULL) / 1000000000ULL;
}

void tg_rule_words(const struct tg_rule_key *k, const struct tg_rule *r, __u64 now_ns,
		   struct tg_rule_words *w)
{
	struct tg_act act = { r->action, r->action_ifindex };
	size_t n = 0, len = sizeof(w->opts);
	char *extra = w->opts, a[80];
	struct tg_cidr c;

	tg_cidr_from_key(k, &c);
	tg_cidr_format(&c, w->cidr, sizeof(w->cidr));
	snprintf(w->kind, sizeof(w->kind), "%s", tg_rule_kind_name(r->kind));
	w->rate[0] = extra[0] = '\0';
	if (r->kind == TG_RULE_LIMIT) {
		struct tg_rate rt = { r->rate_count, r->rate_period_ns };

		tg_rate_format(&rt, w->rate, sizeof(w->rate));
		n += (size_t)snprintf(extra + n, len - n, " --burst %u", r->burst);
	}
	if ((r->flags & TG_RULE_F_SHARED) && n < len)
		n += (size_t)snprintf(extra + n, len - n, " --shared");
	if ((r->flags & TG_RULE_F_ALL) && n < len)
		n += (size_t)snprintf(extra + n, len - n, " --all");
	if (r->kind != TG_RULE_ALLOW && r->action && n < len) {
		tg_action_format(&act, a, sizeof(a));
		n += (size_t)snprintf(extra + n, len - n, " --action %s", a);
	}
	if (r->expires_ns && n < len)
		snprintf(extra + n, len - n, " --ttl %llus",
			 (unsigned long long)(ttl_left_s(r, now_ns) ?: 1));
	/* Each option after a blank: none before the first. */
	if (extra[0])
		memmove(extra, extra + 1, strlen(extra));
}

void tg_rule_format(const struct tg_rule_key *k, const struct tg_rule *r, __u64 now_ns,
		    char *buf, size_t len)
{
	struct tg_rule_words w;

	tg_rule_words(k, r, now_ns, &w);
	snprintf(buf, len, "%s %s%s%s%s%s", w.cidr, w.kind, w.rate[0] ? " " : "", w.rate,
		 w.opts[0] ? " " : "", w.opts);
}

struct json_object *tg_rule_json(const struct tg_rule_key *k, const struct tg_rule *r,
				 __u64 now_ns)
{
	struct json_object *o = json_object_new_object();
	struct tg_act act = { r->action, r->action_ifindex };
	struct tg_cidr c;
	char buf[128];

	tg_cidr_from_key(k, &c);
	tg_cidr_format(&c, buf, sizeof(buf));
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "cidr", json_object_new_string(buf));
	json_object_object_add(o, "kind", json_object_new_string(tg_rule_kind_name(r->kind)));
	if (r->kind == TG_RULE_LIMIT) {
		struct tg_rate rate = { r->rate_count, r->rate_period_ns };

		tg_rate_format(&rate, buf, sizeof(buf));
		json_object_object_add(o, "rate", json_object_new_string(buf));
		tg_json_rate_add(o, "rate_", &rate);
		json_object_object_add(o, "burst", json_object_new_int64(r->burst));
	} else {
		json_object_object_add(o, "rate", NULL);
		json_object_object_add(o, "rate_count", NULL);
		json_object_object_add(o, "rate_period_s", NULL);
		json_object_object_add(o, "burst", NULL);
	}
	json_object_object_add(o, "shared", json_object_new_boolean(r->flags & TG_RULE_F_SHARED));
	json_object_object_add(o, "all", json_object_new_boolean(r->flags & TG_RULE_F_ALL));
	if (r->kind == TG_RULE_ALLOW) {
		json_object_object_add(o, "action", NULL);
	} else {
		tg_action_format(&act, buf, sizeof(buf));
		json_object_object_add(o, "action", json_object_new_string(buf));
	}
	json_object_object_add(o, "ttl", r->expires_ns ?
				json_object_new_int64((int64_t)ttl_left_s(r, now_ns)) : NULL);
	json_object_object_add(o, "expired", json_object_new_boolean(tg_rule_expired(r, now_ns)));
	return o;
}

int tg_rule_entry_cmp(const void *a, const void *b)
{
	const struct tg_rule_entry *x = a, *y = b;
	int d;

	if (x->key.family != y->key.family)
		return x->key.family < y->key.family ? -1 : 1;
	d = memcmp(x->key.addr, y->key.addr, sizeof(x->key.addr));
	if (d)
		return d;
	return x->key.prefixlen < y->key.prefixlen ? -1 : x->key.prefixlen > y->key.prefixlen;
}

int tg_rules_count(int fd)
{
	struct tg_rule_key key, next;
	void *prev = NULL;
	int n = 0;

	/* Bounded as tg_rules_read: a rule deleted under us restarts the walk. */
	while (n < 2 * TG_MAX_RULES && !bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	if (errno != ENOENT && n < 2 * TG_MAX_RULES)
		return -errno;
	return n < TG_MAX_RULES ? n : TG_MAX_RULES;
}

int tg_rules_read(int fd, struct tg_rule_entry **out)
{
	struct tg_rule_entry *v = NULL;
	struct tg_rule_key key, next;
	size_t n = 0, cap = 0, steps = 0;
	void *prev = NULL;

	*out = NULL;
	/* Bounded: a rule deleted under us restarts the trie's walk. */
	while (steps++ <= 2 * TG_MAX_RULES && !bpf_map_get_next_key(fd, prev, &next)) {
		if (n == cap) {
			struct tg_rule_entry *nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		key = next;
		prev = &key;
		/* A rule deleted meanwhile is simply not listed. */
		if (bpf_map_lookup_elem(fd, &key, &v[n].rule))
			continue;
		v[n].key = key;
		n++;
		if (n >= TG_MAX_RULES)
			break;
	}
	if (errno != ENOENT && n < TG_MAX_RULES && steps <= 2 * TG_MAX_RULES) {
		int err = -errno;

		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), tg_rule_entry_cmp);
	*out = v;
	return (int)n;
}

int tg_rule_find(int fd, const struct tg_rule_key *k, struct tg_rule *r)
{
	struct tg_rule found;

	/* The trie answers with the longest match; it is this very prefix
	 * only if the rule found has the same family and length. */
	if (bpf_map_lookup_elem(fd, k, &found))
		return errno == ENOENT ? -ENOENT : -errno;
	if (found.family != k->family || found.prefixlen != k->prefixlen - TG_RULE_KEY_BITS(0))
		return -ENOENT;
	if (r)
		*r = found;
	return 0;
}

const struct tg_rule_entry *tg_rule_entry_find(const struct tg_rule_entry *v, int n,
					       const struct tg_rule_key *key)
{
	struct tg_rule_entry probe = { .key = *key };

	if (n <= 0)
		return NULL;
	return bsearch(&probe, v, (size_t)n, sizeof(*v), tg_rule_entry_cmp);
}

void tg_rule_set_free(struct tg_rule_set *set)
{
	free(set->specs);
	free(set->lines);
	memset(set, 0, sizeof(*set));
}

int tg_rule_set_read(FILE *f, struct tg_rule_set *set, char *why, size_t whylen)
{
	char *buf = NULL, sub[200];
	int lineno = 0, i, err = 0;
	size_t cap = 0;

	memset(set, 0, sizeof(*set));
	set->specs = calloc(TG_MAX_RULES, sizeof(*set->specs));
	set->lines = calloc(TG_MAX_RULES, sizeof(*set->lines));
	if (!set->specs || !set->lines) {
		err = -ENOMEM;
		goto out;
	}
	errno = 0;
	while (getline(&buf, &cap, f) > 0) {
		char *hash = strchr(buf, '#'), *p = buf;
		struct tg_rule_spec *spec = &set->specs[set->n];

		if (++lineno > TG_RULE_FILE_MAX_LINES) {
			snprintf(why, whylen, "%d: more than %d lines", lineno, TG_RULE_FILE_MAX_LINES);
			err = -EINVAL;
			goto out;
		}
		if (hash)
			*hash = '\0';
		buf[strcspn(buf, "\r\n")] = '\0';
		if (lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3))
			p += 3; /* a UTF-8 byte order mark */
		p += strspn(p, " \t");
		if (!*p)
			continue;
		if (set->n == TG_MAX_RULES) {
			snprintf(why, whylen, "%d: more than %d rules", lineno, TG_MAX_RULES);
			err = -EINVAL;
			goto out;
		}
		if (tg_rule_spec_parse(p, spec, sub, sizeof(sub))) {
			snprintf(why, whylen, "%d: %s", lineno, sub);
			err = -EINVAL;
			goto out;
		}
		for (i = 0; i < set->n; i++)
			if (!memcmp(&set->specs[i].cidr, &spec->cidr, sizeof(spec->cidr))) {
				snprintf(why, whylen, "%d: duplicate: line %d has a rule for the "
					 "same prefix", lineno, set->lines[i]);
				err = -EINVAL;
				goto out;
			}
		set->lines[set->n++] = lineno;
	}
	if (ferror(f))
		err = errno ? -errno : -EIO;
out:
	free(buf);
	if (err)
		tg_rule_set_free(set);
	return err;
}
