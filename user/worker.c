// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* worker.c - a cycling thread, its stop and its wake-ups. */
#include <errno.h>
#include <time.h>

#include "clock.h"
#include "worker.h"

int tg_worker_start(struct tg_worker *w, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t ca;
	int err;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&w->thread, NULL, fn, arg);
	if (err) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -err;
	}
	w->running = true;
	return 0;
}

void tg_worker_poke(struct tg_worker *w)
{
	pthread_cond_signal(&w->cond);
}

void tg_worker_wait(struct tg_worker *w, __u64 until_ns, unsigned int seen)
{
	struct timespec until = { .tv_sec = (time_t)(until_ns / 1000000000ULL),
				  .tv_nsec = (long)(until_ns % 1000000000ULL) };

	while (!w->stop && w->gen == seen && tg_mono_ns() < until_ns)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
			break;
}

void tg_worker_stop(struct tg_worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}
