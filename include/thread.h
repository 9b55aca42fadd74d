/*
 * thread: the daemon's background threads (the retention, the notify
 * sender, the watch, the spool's drain, the connection guard, the maildir
 * watch, SQLite's checkpointer) each run as a struct worker, in the
 * module's storage: one thread, named for top -H and ps -L, a lock, a
 * condition the thread waits on, and the flags that say why it woke.
 *
 * - The lock is the module's too: it guards whatever state the module
 *   shares with its thread (the spool's queue, the guard's table), so that
 *   a change and the signal that tells the thread of it are one step. The
 *   flags stop and woken are read and set under it.
 * - The thread waits through worker_wait() or worker_nap() for stop,
 *   woken or a time; one that waits for its own state (the spool's drain
 *   for a body, the checkpointer for a request) waits on the condition
 *   itself, and is signalled by whoever changes that state.
 * - The condition's timed waits count on the monotonic clock: a step of
 *   the wall clock (NTP, an admin) neither stretches a wait nor cuts it
 *   short.
 * - To stop, stop is set under the lock, every thread waiting on the
 *   condition is woken, and the caller waits for the thread to end. A
 *   thread that waits elsewhere (maildir's, in poll(2)) is woken by its
 *   module before.
 *
 * worker_init() before anything else (the lock serves before the thread
 * starts and after it ends), worker_release() last.
 */
#ifndef TLSRPT_THREAD_H
#define TLSRPT_THREAD_H

#include <pthread.h>
#include <time.h>

#include "error.h"

/*
 * Make wake a condition whose timed waits count on the monotonic clock,
 * as a worker's is: for the threads that share one lock between several
 * conditions and do not fit a worker (store.c's writer and flusher).
 */
void thread_cond_init(pthread_cond_t *wake);

struct worker {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;		/* the thread is to end */
	int woken;		/* worker_wake() since the last wait */

	/* worker_start()'s, the thread's while it runs */
	pthread_t thread;
	int running;		/* started, not yet joined */
	const char *name;
	void *(*main)(void *);
	void *arg;
};

/* Make the lock and the condition; the thread is not started. */
void worker_init(struct worker *w);

/*
 * Start the thread: main(arg), under name (at most 15 bytes, kept, not
 * copied: a literal), with stop and woken cleared. On failure err says
 * "cannot start the NAME thread" and why. A worker stopped may be started
 * again.
 */
int worker_start(struct worker *w, const char *name, void *(*main)(void *),
		 void *arg, struct error *err);

/* Set woken under the lock and wake the thread. */
void worker_wake(struct worker *w);

/*
 * With the lock held: wait on the condition until stop or woken is set,
 * or until the monotonic time until. Clears woken; returns stop.
 */
int worker_wait(struct worker *w, const struct timespec *until);

/* worker_wait() for up to ms milliseconds, taking the lock for it. */
int worker_nap(struct worker *w, unsigned ms);

/* stop, read under the lock: for a long task to end early. */
int worker_stopping(struct worker *w);

/* Set stop, wake every waiter, and wait for the thread to end. Nothing
 * when it does not run. */
void worker_stop(struct worker *w);

/* worker_stop(), then free the lock and the condition. */
void worker_release(struct worker *w);

#endif
