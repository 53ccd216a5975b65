// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_fuzz_corpus.c - every input in tests/fuzz/corpus/TARGET/ through
 * its fuzz target (tests/fuzz/targets.h), under ASan and UBSan: the
 * seeds, and each crash libFuzzer once found, kept there as a test. A
 * crash or a broken property aborts this test, naming the input.
 */
#include <dirent.h>
#include <libgen.h>

#include "fuzz/targets.h"
#include "tap.h"

static int replay_file(const struct fuzz_target *t, const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	printf("# %s: %s\n", t->name, path);
	fflush(stdout);
	t->one(buf, n);
	return 0;
}

int main(void)
{
	char here[] = __FILE__, dir[4096], path[8192];
	size_t i;

	for (i = 0; i < FUZZ_NR_TARGETS; i++) {
		const struct fuzz_target *t = &fuzz_targets[i];
		struct dirent *de;
		int n = 0, bad = 0;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/../fuzz/corpus/%s", dirname(here), t->name);
		strcpy(here, __FILE__);
		d = opendir(dir);
		if (!tap_ok(d != NULL, "%s: open its corpus %s", t->name, dir))
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			bad += replay_file(t, path) != 0;
			n++;
		}
		closedir(d);
		tap_ok(n > 0 && !bad, "%s: %d inputs replayed (%d unreadable)", t->name, n, bad);
	}
	return tap_done();
}
