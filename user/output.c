// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* output.c - JSON or aligned text from one JSON object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "numfmt.h"
#include "output.h"
#include "rate.h"

/* Compact, and "198.18.1.0/24" rather than json-c's "198.18.1.0\/24". */
#define TG_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static bool json_mode;

void tg_out_init(bool json)
{
	json_mode = json;
}

bool tg_out_json(void)
{
	return json_mode;
}

static int key_width(struct json_object *o)
{
	int w = 0;

	json_object_object_foreach(o, key, val)
	{
		int n = (int)strlen(key);

		(void)val;
		if (n > w)
			w = n;
	}
	return w;
}

static void print_text(struct json_object *o, int indent);

static void print_value(const char *key, struct json_object *val, int indent, int width)
{
	switch (json_object_get_type(val)) {
	case json_type_object:
		printf("%*s%s:\n", indent, "", key);
		print_text(val, indent + 2);
		break;
	case json_type_array: {
		size_t i, n = json_object_array_length(val);
		struct json_object *first = n ? json_object_array_get_idx(val, 0) : NULL;

		if (first && json_object_is_type(first, json_type_object)) {
			printf("%*s%s:\n", indent, "", key);
			for (i = 0; i < n; i++) {
				if (i)
					printf("\n");
				print_text(json_object_array_get_idx(val, i), indent + 2);
			}
			break;
		}
		printf("%*s%-*s  ", indent, "", width, key);
		for (i = 0; i < n; i++)
			printf("%s%s", i ? " " : "",
			       json_object_get_string(json_object_array_get_idx(val, i)));
		printf("\n");
		break;
	}
	case json_type_null:
		printf("%*s%-*s  -\n", indent, "", width, key);
		break;
	default:
		printf("%*s%-*s  %s\n", indent, "", width, key, json_object_get_string(val));
	}
}

static void print_text(struct json_object *o, int indent)
{
	int width = key_width(o);

	json_object_object_foreach(o, key, val)
		print_value(key, val, indent, width);
}

void tg_out_print(struct json_object *o)
{
	if (json_mode)
		printf("%s\n", json_object_to_json_string_ext(o, TG_JSON_FLAGS));
	else if (json_object_is_type(o, json_type_array)) {
		size_t i, n = json_object_array_length(o);

		for (i = 0; i < n; i++) {
			if (i)
				printf("\n");
			print_text(json_object_array_get_idx(o, i), 0);
		}
	} else
		print_text(o, 0);
	fflush(stdout);
	json_object_put(o);
}

struct json_object *tg_json_num(double v)
{
	char buf[64];
	size_t n;

	snprintf(buf, sizeof(buf), "%.3f", v);
	/* 12.500 -> 12.5, 3.000 -> 3 */
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
	return json_object_new_double_s(v, buf);
}

struct json_object *tg_json_exact(double v)
{
	char buf[TG_NUM_MAX];

	return json_object_new_double_s(v, tg_num_format(v, buf));
}

void tg_json_rate_add(struct json_object *o, const char *prefix, const struct tg_rate *r)
{
	char key[64];

	snprintf(key, sizeof(key), "%scount", prefix);
	json_object_object_add(o, key, json_object_new_int64((int64_t)r->count));
	snprintf(key, sizeof(key), "%speriod_s", prefix);
	json_object_object_add(o, key, tg_json_exact((double)r->period_ns / 1e9));
}

char *tg_out_line_text(struct json_object *o)
{
	const char *sep = "";
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	json_object_object_foreach(o, key, val)
	{
		const char *v = val ? json_object_get_string(val) : "-";

		fprintf(f, strchr(v, ' ') ? "%s%s=\"%s\"" : "%s%s=%s", sep, key, v);
		sep = " ";
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

void tg_out_print_line(struct json_object *o)
{
	char *text;

	if (json_mode) {
		printf("%s\n", json_object_to_json_string_ext(o, TG_JSON_FLAGS));
	} else {
		text = tg_out_line_text(o);
		printf("%s\n", text ? text : "(out of memory)");
		free(text);
	}
	fflush(stdout);
	json_object_put(o);
}

int tg_fail(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tg_log_journal())
		fprintf(stderr, "<3>%s\n", msg);
	else
		fprintf(stderr, "tidegate: %s\n", msg);
	if (json_mode) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "error", json_object_new_string(msg));
		printf("%s\n", json_object_to_json_string_ext(o, TG_JSON_FLAGS));
		json_object_put(o);
	}
	return code;
}
