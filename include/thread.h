/*
 * thread: how the daemon's background threads (the spool's drain, the
 * watch, the notify sender) are woken and stopped, alike: a flag set
 * under the thread's lock, its condition signalled, so that the thread
 * sees why it woke; to stop, the caller then waits for it to end. Those
 * that look again every few seconds nap with thread_nap().
 */
#ifndef TLSRPT_THREAD_H
#define TLSRPT_THREAD_H

#include <pthread.h>

/*
 * Make wake a condition whose timed waits count on the monotonic clock,
 * as thread_nap() needs: a step of the wall clock (NTP, an admin) then
 * neither stretches a nap nor cuts it short.
 */
void thread_cond_init(pthread_cond_t *wake);

/*
 * Wait on wake (made by thread_cond_init()) under lock, which the caller
 * does not hold, for up to seconds, or until *stop or, when woken is not
 * NULL, *woken is set; *woken is cleared. Returns *stop.
 */
int thread_nap(pthread_mutex_t *lock, pthread_cond_t *wake, const int *stop,
	       int *woken, unsigned seconds);

/* Set *flag to 1 under lock and signal wake. */
void thread_wake(pthread_mutex_t *lock, pthread_cond_t *wake, int *flag);

/* thread_wake() with the thread's stop flag, then join the thread. */
void thread_stop(pthread_t thread, pthread_mutex_t *lock,
		 pthread_cond_t *wake, int *stop);

#endif
