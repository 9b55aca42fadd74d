/* thread: see include/thread.h. */
#include <errno.h>
#include <time.h>

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

int
thread_nap(pthread_mutex_t *lock, pthread_cond_t *wake, const int *stop,
	   int *woken, unsigned seconds)
{
	struct timespec until;
	int stopped;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(lock);
	while (!*stop && (woken == NULL || !*woken) &&
	    pthread_cond_timedwait(wake, lock, &until) != ETIMEDOUT)
		;
	if (woken != NULL)
		*woken = 0;
	stopped = *stop;
	pthread_mutex_unlock(lock);
	return stopped;
}

void
thread_wake(pthread_mutex_t *lock, pthread_cond_t *wake, int *flag)
{
	pthread_mutex_lock(lock);
	*flag = 1;
	pthread_cond_signal(wake);
	pthread_mutex_unlock(lock);
}

void
thread_stop(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *wake,
	    int *stop)
{
	thread_wake(lock, wake, stop);
	pthread_join(thread, NULL);
}
