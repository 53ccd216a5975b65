// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* caps.c - the capabilities a command needs, checked before it starts. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "caps.h"
#include "output.h"
#include "tidegate.h"

struct need {
	int cap;
	const char *name;
	int also; /* a capability that grants the same (-1: none) */
	enum tg_privilege from; /* needed from this privilege up */
	const char *why;
};

static const struct need needs[] = {
	{ CAP_BPF, "CAP_BPF", CAP_SYS_ADMIN, TG_PRIV_MAPS, "to use BPF maps and programs" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", -1, TG_PRIV_QUERY,
	  "to look up the attached XDP program by id, and to mount bpffs" },
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN", -1, TG_PRIV_ATTACH, "to attach and detach XDP programs" },
	{ CAP_PERFMON, "CAP_PERFMON", CAP_SYS_ADMIN, TG_PRIV_ATTACH,
	  "for the verifier to load the program" },
};

static bool have(const struct __user_cap_data_struct *d, int cap)
{
	return cap >= 0 && (d[cap / 32].effective & (1U << (cap % 32)));
}

/*
 * The pins' directory (or bpffs, where it is to be made) must be usable
 * with these credentials: bpffs' root is root's, 0700, and only
 * CAP_DAC_OVERRIDE lets another user through.
 */
static int check_pin_access(const char *what)
{
	char dir[sizeof(TG_PIN_ROOT)];
	const char *path = TG_PIN_ROOT;

	if (access(TG_PIN_ROOT, F_OK) && errno == ENOENT) {
		snprintf(dir, sizeof(dir), "%s", TG_PIN_ROOT);
		*strrchr(dir, '/') = '\0';
		path = dir;
	}
	/* AT_EACCESS: the effective uid and capabilities, as opening a pin
	 * will use, not the real uid that access(2) checks. */
	if (!faccessat(AT_FDCWD, path, R_OK | W_OK | X_OK, AT_EACCESS))
		return 0;
	if (errno != EACCES && errno != EPERM)
		return 0; /* not ours to judge here: the command says what fails */
	return tg_fail(TG_EXIT_FAIL, "%s: %s is not open to uid %u: run as root, give "
				     "CAP_DAC_OVERRIDE, or make the user own it",
		       what, path, (unsigned int)geteuid());
}

int tg_require_caps(const char *what, enum tg_privilege p)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
	char missing[512] = "";
	size_t i, n = 0, len = 0;

	if (syscall(SYS_capget, &h, d))
		return tg_fail(TG_EXIT_FAIL, "%s: reading this process' capabilities: %s", what,
			       strerror(errno));
	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		const struct need *nd = &needs[i];

		if (nd->from > p || have(d, nd->cap) || have(d, nd->also))
			continue;
		len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%s (%s)",
					n ? ", " : "", nd->name, nd->why);
		n++;
	}
	if (n)
		return tg_fail(TG_EXIT_FAIL, "%s: needs %s: run as root or give it %s", what,
			       missing, n == 1 ? "that capability" : "those capabilities");
	return check_pin_access(what);
}
