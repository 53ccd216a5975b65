/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* commands.h - the handlers main.c's command table points at. */
#ifndef TG_COMMANDS_H
#define TG_COMMANDS_H

#include "cli.h"

int tg_cmd_attach(const struct tg_cmdline *cl);
int tg_cmd_set(const struct tg_cmdline *cl);
int tg_cmd_detach(const struct tg_cmdline *cl);
int tg_cmd_status(const struct tg_cmdline *cl);
int tg_cmd_stats(const struct tg_cmdline *cl);
int tg_cmd_rule(const struct tg_cmdline *cl);
int tg_cmd_log(const struct tg_cmdline *cl);
int tg_cmd_top(const struct tg_cmdline *cl);
int tg_cmd_check_config(const struct tg_cmdline *cl);
int tg_cmd_run(const struct tg_cmdline *cl);
int tg_cmd_flood(const struct tg_cmdline *cl);

#endif /* TG_COMMANDS_H */
