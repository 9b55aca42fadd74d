/* thread: see include/thread.h. */
#include "thread.h"
#include "banned.h"

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
