/* thread: see include/thread.h. */
#include <sys/prctl.h>

#include <errno.h>
#include <string.h>

#include "thread.h"
#include "banned.h"

void
thread_cond_init(pthread_cond_t *wake)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(wake, &attr);
	pthread_condattr_destroy(&attr);
}

void
worker_init(struct worker *w)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	thread_cond_init(&w->wake);
}

/* The thread's first steps: its name, then the module's main. */
static void *
trampoline(void *arg)
{
	struct worker *w = arg;

	prctl(PR_SET_NAME, w->name, 0, 0, 0);
	return w->main(w->arg);
}

int
worker_start(struct worker *w, const char *name, void *(*main)(void *),
	     void *arg, struct error *err)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	w->stop = w->woken = 0;
	pthread_mutex_unlock(&w->lock);
	w->name = name;
	w->main = main;
	w->arg = arg;
	if ((rc = pthread_create(&w->thread, NULL, trampoline, w)) != 0)
		return error_set(err, ERR_INTERNAL, "cannot start the %s "
		    "thread: %s", name, strerror(rc));
	w->running = 1;
	return 0;
}

void
worker_wake(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->woken = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

int
worker_wait(struct worker *w, const struct timespec *until)
{
	while (!w->stop && !w->woken &&
	    pthread_cond_timedwait(&w->wake, &w->lock, until) != ETIMEDOUT)
		;
	w->woken = 0;
	return w->stop;
}

int
worker_nap(struct worker *w, unsigned ms)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&w->lock);
	stop = worker_wait(w, &until);
	pthread_mutex_unlock(&w->lock);
	return stop;
}

int
worker_stopping(struct worker *w)
{
	int stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

void
worker_stop(struct worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = 0;
}

void
worker_release(struct worker *w)
{
	worker_stop(w);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
}
