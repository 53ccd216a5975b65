// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_main.c - one libFuzzer binary per target of targets.h, chosen at
 * build time: clang -fsanitize=fuzzer,address,undefined -DFUZZ_TARGET=rate.
 */
#include "targets.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=NAME, a name in fuzz_targets[]"
#endif
#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_target *t;
	size_t i;

	for (i = 0; !t && i < FUZZ_NR_TARGETS; i++)
		if (!strcmp(fuzz_targets[i].name, FUZZ_STR(FUZZ_TARGET)))
			t = &fuzz_targets[i];
	if (!t)
		abort();
	return t->one(data, size);
}
