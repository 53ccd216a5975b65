// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "commands.h"
#include "output.h"
int tg_cmd_run(const struct tg_cmdline *cl)
{
	return tg_fail(TG_EXIT_FAIL, "not yet");
}
