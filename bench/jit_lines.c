// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * jit_lines.c - a loaded program's JIT line table (jit_lines.h).
 *
 * The kernel keeps, for each line_info record of a JITed program, the
 * address its first instruction was JITed to (jited_line_info, in the
 * same order), and for each function (func_info, whose BTF type names
 * it) the address the function starts at (jited_ksyms). Both, and the
 * image itself, are read with a second bpf_prog_info call sized by the
 * first: one snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <json-c/json.h>

#include "jit_lines.h"

struct jit_table {
	struct bpf_prog_info info;
	struct bpf_line_info *lines;
	struct bpf_func_info *funcs;
	__u64 *line_addrs, *func_addrs;
	__u32 *func_lens;
	unsigned char *image;
};

static void jit_table_free(struct jit_table *t)
{
	free(t->lines);
	free(t->funcs);
	free(t->line_addrs);
	free(t->func_addrs);
	free(t->func_lens);
	free(t->image);
}

static int jit_table_read(int fd, struct jit_table *t)
{
	struct bpf_prog_info *info = &t->info, sizes = {};
	__u32 len = sizeof(sizes);

	if (bpf_obj_get_info_by_fd(fd, &sizes, &len))
		return -errno;
	if (!sizes.nr_line_info || sizes.nr_jited_line_info != sizes.nr_line_info ||
	    !sizes.nr_func_info || sizes.nr_jited_ksyms != sizes.nr_func_info ||
	    sizes.nr_jited_func_lens != sizes.nr_jited_ksyms)
		return -ENODATA;
	t->lines = calloc(sizes.nr_line_info, sizes.line_info_rec_size);
	t->line_addrs = calloc(sizes.nr_jited_line_info, sizes.jited_line_info_rec_size);
	t->funcs = calloc(sizes.nr_func_info, sizes.func_info_rec_size);
	t->func_addrs = calloc(sizes.nr_jited_ksyms, sizeof(__u64));
	t->func_lens = calloc(sizes.nr_jited_func_lens, sizeof(__u32));
	t->image = malloc(sizes.jited_prog_len);
	if (!t->lines || !t->line_addrs || !t->funcs || !t->func_addrs || !t->func_lens ||
	    !t->image)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	info->nr_line_info = sizes.nr_line_info;
	info->line_info_rec_size = sizes.line_info_rec_size;
	info->line_info = (__u64)(unsigned long)t->lines;
	info->nr_jited_line_info = sizes.nr_jited_line_info;
	info->jited_line_info_rec_size = sizes.jited_line_info_rec_size;
	info->jited_line_info = (__u64)(unsigned long)t->line_addrs;
	info->nr_func_info = sizes.nr_func_info;
	info->func_info_rec_size = sizes.func_info_rec_size;
	info->func_info = (__u64)(unsigned long)t->funcs;
	info->nr_jited_ksyms = sizes.nr_jited_ksyms;
	info->jited_ksyms = (__u64)(unsigned long)t->func_addrs;
	info->nr_jited_func_lens = sizes.nr_jited_func_lens;
	info->jited_func_lens = (__u64)(unsigned long)t->func_lens;
	info->jited_prog_len = sizes.jited_prog_len;
	info->jited_prog_insns = (__u64)(unsigned long)t->image;
	len = sizeof(*info);
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	/* A kernel that hides kernel addresses from this user (kptr_restrict)
	 * gives the counts and none of the addresses, nor the image. */
	if (!info->jited_line_info || !info->jited_ksyms || !info->jited_func_lens ||
	    !info->jited_prog_insns)
		return -EPERM;
	/* Records of another size than libbpf's structs: stepped over by
	 * their own size below, read no further than ours. */
	if (info->line_info_rec_size < sizeof(struct bpf_line_info) ||
	    info->func_info_rec_size < sizeof(struct bpf_func_info) ||
	    info->jited_line_info_rec_size != sizeof(__u64))
		return -EPROTO;
	return 0;
}

#define REC(base, i, size) ((const void *)((const char *)(base) + (size_t)(i) * (size)))

static const char *func_name(const struct jit_table *t, const struct btf *btf, __u32 i)
{
	const struct bpf_func_info *fi = REC(t->funcs, i, t->info.func_info_rec_size);
	const struct btf_type *type = btf__type_by_id(btf, fi->type_id);

	return type ? btf__name_by_offset(btf, type->name_off) : NULL;
}

/* The function whose code holds ADDR. */
static const char *func_of(const struct jit_table *t, const struct btf *btf, __u64 addr)
{
	__u32 i;

	for (i = 0; i < t->info.nr_jited_ksyms; i++)
		if (addr >= t->func_addrs[i] && addr - t->func_addrs[i] < t->func_lens[i])
			return func_name(t, btf, i);
	return NULL;
}

static struct json_object *func_json(const struct jit_table *t, const struct btf *btf, __u32 i)
{
	const char *name = func_name(t, btf, i);
	struct json_object *o = json_object_new_object();
	char addr[24];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)t->func_addrs[i]);
	json_object_object_add(o, "name", json_object_new_string(name ? name : "?"));
	json_object_object_add(o, "addr", json_object_new_string(addr));
	json_object_object_add(o, "len", json_object_new_int64(t->func_lens[i]));
	return o;
}

static struct json_object *line_json(const struct jit_table *t, const struct btf *btf, __u32 i)
{
	const struct bpf_line_info *li = REC(t->lines, i, t->info.line_info_rec_size);
	const char *file = btf__name_by_offset(btf, li->file_name_off);
	const char *src = btf__name_by_offset(btf, li->line_off);
	const char *func = func_of(t, btf, t->line_addrs[i]);
	struct json_object *o = json_object_new_object();
	char addr[24];

	if (file && strrchr(file, '/'))
		file = strrchr(file, '/') + 1;
	while (src && (*src == ' ' || *src == '\t'))
		src++;
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)t->line_addrs[i]);
	json_object_object_add(o, "addr", json_object_new_string(addr));
	json_object_object_add(o, "func", json_object_new_string(func ? func : "?"));
	json_object_object_add(o, "file", json_object_new_string(file ? file : "?"));
	json_object_object_add(o, "line", json_object_new_int(BPF_LINE_INFO_LINE_NUM(li->line_col)));
	json_object_object_add(o, "src", json_object_new_string(src ? src : ""));
	return o;
}

/* Write the image's bytes to PATH: no partial file on failure. */
static int image_write(const struct jit_table *t, const char *path)
{
	__u32 size = t->info.jited_prog_len;
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(t->image, 1, size, f) != size)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

/* Line records' indexes, by the address of their code (qsort_r). */
static int by_addr(const void *a, const void *b, void *table)
{
	const __u64 *addrs = ((const struct jit_table *)table)->line_addrs;
	__u64 x = addrs[*(const __u32 *)a], y = addrs[*(const __u32 *)b];

	return x < y ? -1 : x > y;
}

int tg_jit_lines(__u32 id, const char *image, struct json_object **funcs,
		 struct json_object **lines)
{
	struct jit_table t = {};
	struct btf *btf = NULL;
	__u32 i, *order = NULL;
	int fd, err;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = jit_table_read(fd, &t);
	close(fd);
	if (!err && !t.info.btf_id)
		err = -ENODATA;
	if (!err) {
		btf = btf__load_from_kernel_by_id(t.info.btf_id);
		if (!btf)
			err = -errno;
	}
	if (!err && image)
		err = image_write(&t, image);
	if (!err) {
		order = calloc(t.info.nr_line_info, sizeof(*order));
		if (!order)
			err = -ENOMEM;
	}
	if (!err) {
		/* Subprograms are JITed apart: their lines need not
		 * follow the entry point's in address order. */
		for (i = 0; i < t.info.nr_line_info; i++)
			order[i] = i;
		qsort_r(order, t.info.nr_line_info, sizeof(*order), by_addr, &t);
		*funcs = json_object_new_array();
		for (i = 0; i < t.info.nr_jited_ksyms; i++)
			json_object_array_add(*funcs, func_json(&t, btf, i));
		*lines = json_object_new_array();
		for (i = 0; i < t.info.nr_line_info; i++)
			json_object_array_add(*lines, line_json(&t, btf, order[i]));
	}
	free(order);
	btf__free(btf);
	jit_table_free(&t);
	return err;
}
