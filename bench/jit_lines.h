/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jit_lines.h - where each source line of a loaded BPF program lies in
 * its JIT image: the kernel's own line table (bpf_prog_info's
 * jited_line_info beside line_info), so that a profile's sampled kernel
 * addresses can be put on lines of bpf/ where neither perf annotate
 * (no libopcode) nor bpftool's JIT dump (no libbfd) can
 * (scripts/profile-xdp.sh).
 */
#ifndef TG_BENCH_JIT_LINES_H
#define TG_BENCH_JIT_LINES_H

#include <linux/types.h>

struct json_object;

/* The JIT image of program ID: its functions, as a JSON array of {
 * "name", "addr" (the kernel address, in hex), "len" (bytes) }, and its
 * line table, as one of { "addr", "func", "file" (its base name),
 * "line", "src" } in address order; with IMAGE, the image's bytes
 * written to that file, its functions' code one after another in the
 * order FUNCS lists them, for a disassembler to read where bpftool
 * cannot (it writes the image only when built with libbfd). 0 or -errno
 * (-ENODATA: the program has no BTF line info, or its JIT is off;
 * -EPERM: the kernel hides kernel addresses from this user,
 * kptr_restrict). */
int tg_jit_lines(__u32 id, const char *image, struct json_object **funcs,
		 struct json_object **lines);

#endif
