/*
 * retention: see include/retention.h. The thread only schedules passes;
 * what a pass removes, and how it leaves the writer alone, is
 * store_retention.c's.
 */
#include <pthread.h>
#include <stdlib.h>
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
	struct worker worker;	/* woken: a pass now */
	unsigned days;		/* under worker.lock */
};

/* store_prune_days() asks between transactions. */
static int
stopping(void *arg)
{
	struct retention *rt = arg;

	return worker_stopping(&rt->worker);
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

	clock_gettime(CLOCK_MONOTONIC, &next);	/* a pass at once */
	pthread_mutex_lock(&rt->worker.lock);
	while (!worker_wait(&rt->worker, &next)) {
		days = rt->days;
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += RETENTION_EVERY;
		if (days == 0)
			continue;
		pthread_mutex_unlock(&rt->worker.lock);
		next.tv_sec += pass(rt, days) - RETENTION_EVERY;
		pthread_mutex_lock(&rt->worker.lock);
	}
	pthread_mutex_unlock(&rt->worker.lock);
	return NULL;
}

struct retention *
retention_start(struct store *st, unsigned days, struct error *err)
{
	struct retention *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	rt->st = st;
	rt->days = days;
	worker_init(&rt->worker);
	if (worker_start(&rt->worker, "retention", retention_main, rt,
	    err) < 0) {
		retention_stop(rt);
		return NULL;
	}
	return rt;
}

void
retention_reload(struct retention *rt, unsigned days)
{
	pthread_mutex_lock(&rt->worker.lock);
	rt->days = days;
	pthread_mutex_unlock(&rt->worker.lock);
	worker_wake(&rt->worker);
}

void
retention_stop(struct retention *rt)
{
	if (rt == NULL)
		return;
	worker_release(&rt->worker);
	free(rt);
}
