// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* interrupt.c - SIGINT and SIGTERM as a flag. */
#include "interrupt.h"

volatile sig_atomic_t tg_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	tg_interrupted = 1;
}

void tg_interrupt_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
