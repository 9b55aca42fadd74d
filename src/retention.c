/*
 * retention: see include/retention.h. The thread only schedules passes;
 * what a pass removes, and how it leaves the writer alone, is
 * store_retention.c's.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "retention.h"
#include "store_retention.h"
#include "thread.h"
#include "banned.h"

/* Seconds from a pass to the next, and after one that failed. */
#define RETENTION_EVERY	86400
#define RETENTION_RETRY	3600

struct retention {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t lock;	/* the three below */
	pthread_cond_t wake;
	unsigned days;
	int due;		/* a pass now */
	int stop;
};

static int
stopping(void *arg)
{
	struct retention *rt = arg;
	int stop;

	pthread_mutex_lock(&rt->lock);
	stop = rt->stop;
	pthread_mutex_unlock(&rt->lock);
	return stop;
}

/* One pass, logged; the seconds until the next. */
static time_t
pass(struct retention *rt, unsigned days)
{
	struct error err;
	char what[256];
	int rc;

	error_clear(&err);
	rc = store_prune_days(rt->st, days, stopping, rt, what, sizeof(what),
	    &err);
	if (rc < 0)
		log_warn("retention: %s; removed before that: %s; trying again "
		    "in an hour", err.msg, what);
	else
		log_info("retention: removed %s", what);
	return rc < 0 ? RETENTION_RETRY : RETENTION_EVERY;
}

static void *
retention_main(void *arg)
{
	struct retention *rt = arg;
	struct timespec next;
	unsigned days;

	prctl(PR_SET_NAME, "retention", 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&rt->lock);
	for (;;) {
		while (!rt->due && !rt->stop)
			if (pthread_cond_timedwait(&rt->wake, &rt->lock,
			    &next) == ETIMEDOUT)
				rt->due = 1;
		if (rt->stop)
			break;
		rt->due = 0;
		days = rt->days;
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += RETENTION_EVERY;
		if (days == 0)
			continue;
		pthread_mutex_unlock(&rt->lock);
		next.tv_sec += pass(rt, days) - RETENTION_EVERY;
		pthread_mutex_lock(&rt->lock);
	}
	pthread_mutex_unlock(&rt->lock);
	return NULL;
}

struct retention *
retention_start(struct store *st, unsigned days, struct error *err)
{
	struct retention *rt;
	int rc;

	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	rt->st = st;
	rt->days = days;
	rt->due = 1;
	pthread_mutex_init(&rt->lock, NULL);
	thread_cond_init(&rt->wake);
	if ((rc = pthread_create(&rt->thread, NULL, retention_main, rt)) != 0) {
		pthread_cond_destroy(&rt->wake);
		pthread_mutex_destroy(&rt->lock);
		free(rt);
		error_set(err, ERR_IO, "cannot start the retention thread: %s",
		    strerror(rc));
		return NULL;
	}
	return rt;
}

void
retention_reload(struct retention *rt, unsigned days)
{
	pthread_mutex_lock(&rt->lock);
	rt->days = days;
	pthread_mutex_unlock(&rt->lock);
	thread_wake(&rt->lock, &rt->wake, &rt->due);
}

void
retention_stop(struct retention *rt)
{
	if (rt == NULL)
		return;
	thread_stop(rt->thread, &rt->lock, &rt->wake, &rt->stop);
	pthread_cond_destroy(&rt->wake);
	pthread_mutex_destroy(&rt->lock);
	free(rt);
}
