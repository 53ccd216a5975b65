/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * output.h - every result is built once as a JSON object and printed
 * either as JSON (--json) or as aligned text, so the two never disagree.
 */
#ifndef TG_OUTPUT_H
#define TG_OUTPUT_H

#include <stdbool.h>
#include <json-c/json.h>

/* Exit codes of every command. */
#define TG_EXIT_OK    0
#define TG_EXIT_FAIL  1 /* runtime failure */
#define TG_EXIT_USAGE 2 /* bad usage or input */

void tg_out_init(bool json);
bool tg_out_json(void);

/* Print and release o. */
void tg_out_print(struct json_object *o);

/* A number printed with at most three decimals, in text and JSON. */
struct json_object *tg_json_num(double v);

/* A number as the shortest text that reads back the same (numfmt.h):
 * for values a program reads, where three decimals would lose some. */
struct json_object *tg_json_exact(double v);

struct tg_rate;

/* A rate's numbers beside its display string: "<prefix>count" and
 * "<prefix>period_s", added to o ("rate_" for the rate itself). */
void tg_json_rate_add(struct json_object *o, const char *prefix, const struct tg_rate *r);

/* Print and release o on one line: JSON, or "key=value key=value"
 * (strings with spaces quoted), for streams such as the drop log. */
void tg_out_print_line(struct json_object *o);

/* That line's text, without the newline: malloc'ed, NULL if out of
 * memory. */
char *tg_out_line_text(struct json_object *o);

/* One line on stderr (and {"error": ...} on stdout in JSON mode);
 * returns code so callers can `return tg_fail(TG_EXIT_USAGE, ...)`. */
int tg_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TG_OUTPUT_H */
