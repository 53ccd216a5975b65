/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * interrupt.h - Ctrl-C and SIGTERM end the commands that run until
 * interrupted (stats and top with --watch, log, flood) the same way:
 * the handler only sets tg_interrupted, which their loops check, so
 * they finish what they print and free what they hold.
 */
#ifndef TG_INTERRUPT_H
#define TG_INTERRUPT_H

#include <signal.h>

extern volatile sig_atomic_t tg_interrupted;

/* Set tg_interrupted on SIGINT and SIGTERM from now on. */
void tg_interrupt_on_signals(void);

#endif /* TG_INTERRUPT_H */
