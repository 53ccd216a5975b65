/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * worker.h - a thread that works in cycles, told by its owner to stop or
 * to take new settings (a generation): what the mirror's sync thread and
 * fleet mode's thread share. The owner and the thread meet under lock;
 * the cond runs on CLOCK_MONOTONIC, so a step of the wall clock neither
 * stalls nor hurries a cycle.
 */
#ifndef TG_WORKER_H
#define TG_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <linux/types.h>

struct tg_worker {
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;        /* under lock: the owner asks the thread to end */
	unsigned int gen; /* under lock: bumped by the owner on new settings */
};

/* Start fn(arg) in a new thread. 0 or -errno. */
int tg_worker_start(struct tg_worker *w, void *(*fn)(void *), void *arg);

/* The owner, under lock: new settings, or the thread to stop; wakes it. */
void tg_worker_poke(struct tg_worker *w);

/* The thread, under lock: sleep until until_ns (CLOCK_MONOTONIC), a stop,
 * or a generation other than seen. */
void tg_worker_wait(struct tg_worker *w, __u64 until_ns, unsigned int seen);

/* Ask the thread to stop, wait for it to end, free the lock and cond. */
void tg_worker_stop(struct tg_worker *w);

#endif /* TG_WORKER_H */
