/*
 * thread: how the daemon's background threads (the spool's drain, the
 * watch, the notify sender) are woken and stopped, alike: a flag set
 * under the thread's lock, its condition signalled, so that the thread
 * sees why it woke; to stop, the caller then waits for it to end.
 */
#ifndef TLSRPT_THREAD_H
#define TLSRPT_THREAD_H

#include <pthread.h>

/* Set *flag to 1 under lock and signal wake. */
void thread_wake(pthread_mutex_t *lock, pthread_cond_t *wake, int *flag);

/* thread_wake() with the thread's stop flag, then join the thread. */
void thread_stop(pthread_t thread, pthread_mutex_t *lock,
		 pthread_cond_t *wake, int *stop);

#endif
