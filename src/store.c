/*
 * store: see include/store.h. The backend-neutral half, and the group
 * commit: puts from several threads queue here; whichever caller finds the
 * connection free takes the whole queue and writes it as one transaction,
 * a savepoint per put. It then lets the connection go, so that the next
 * group is written while the disk flush (the backend's flush op) makes
 * this one durable; one flush covers every group committed before it.
 * Each caller returns only when its own put is durable (or failed).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "decode.h"
#include "store.h"
#include "store_backend.h"
#include "banned.h"

/* One put waiting for the writer; it lives on its caller's stack. */
struct put {
	const struct store_payload *p;
	const struct report *r;	/* NULL: a rejected payload */
	const char *reason;
	int rc, duplicate;
	int taken;		/* in a writer's group */
	int done;		/* written and flushed, or failed */
	struct error err;
	pthread_cond_t wake;	/* done, or first in the queue when idle */
	struct put *next;
};

struct store {
	const struct store_ops *ops;
	void *be;
	pthread_mutex_t lock;	/* queue, busy, lockers */
	pthread_cond_t idle;	/* busy went to 0, for store_lock() */
	int lockers;		/* threads waiting in store_lock() */
	int busy;		/* a thread is using the connection */

	/* flush_group(): groups are numbered as they commit */
	uint64_t committed, flushed, flush_failed;
	int flushing;
	struct error flush_err;	/* the last failed flush's */
	pthread_cond_t flush_done;
	int batch;		/* store_batch_begin() is open */
	struct put *queue, **tail;

	/* store_set_commit_delay() */
	unsigned delay_us;
	unsigned (*others)(void *arg);
	void *others_arg;
};

static int
is_postgresql(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 ||
	    strncmp(spec, "postgres://", 11) == 0;
}

struct store *
store_open(const char *spec, struct error *err)
{
	struct store *st;

	if (spec == NULL || spec[0] == '\0') {
		error_set(err, ERR_IO, "no database given");
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	st->ops = is_postgresql(spec) ? &store_pg_ops : &store_sqlite_ops;
	st->be = st->ops->open(spec, err);
	if (st->be == NULL) {
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->idle, NULL);
	pthread_cond_init(&st->flush_done, NULL);
	st->tail = &st->queue;
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->idle);
	pthread_cond_destroy(&st->flush_done);
	free(st);
}

const char *
store_backend(const struct store *st)
{
	return st->ops->name;
}

void *
store_backend_handle(struct store *st)
{
	return st->be;
}

const struct store_ops *
store_backend_ops(struct store *st)
{
	return st->ops;
}

/*
 * Payloads that arrived gzipped are kept as they came; others are
 * compressed with zlib, unless that would not make them smaller.
 * *tofree is what the caller frees afterwards.
 */
static int
payload_prepare(struct store_payload *p, const struct origin *o,
		const void *raw, size_t rawlen, void **tofree,
		struct error *err)
{
	uLongf zlen;
	void *z;

	memset(p, 0, sizeof(*p));
	*tofree = NULL;
	p->origin = o;
	p->received_at = (int64_t)time(NULL);
	p->size = rawlen;
	p->data = raw;
	p->len = rawlen;
	p->encoding = "identity";
	if (decode_sniff(raw, rawlen) == PAYLOAD_GZIP) {
		p->encoding = "gzip";
		return 0;
	}
	if (rawlen < 64)
		return 0;
	zlen = compressBound((uLong)rawlen);
	z = malloc(zlen);
	if (z == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK ||
	    zlen >= rawlen) {
		free(z);
		return 0;
	}
	*tofree = z;
	p->data = z;
	p->len = zlen;
	p->encoding = "zlib";
	return 0;
}

static void
put_one(struct store *st, struct put *pt)
{
	if (pt->r != NULL)
		pt->rc = st->ops->put_report(st->be, pt->p, pt->r,
		    &pt->duplicate, &pt->err);
	else
		pt->rc = st->ops->put_rejected(st->be, pt->p, pt->reason,
		    &pt->err);
}

/*
 * Write a group taken from the queue. One put alone is its own
 * transaction (or a savepoint of the caller's batch); several share one,
 * and when its COMMIT fails none of them was stored. A put of the group
 * that failed on something that may pass is tried once more alone after
 * the COMMIT: on a shared store (PostgreSQL) two nodes' groups taking the
 * same reports in another order deadlock, and the put the server chose
 * to undo then goes through, since it holds nothing another waits for.
 */
static void
write_group(struct store *st, struct put *group)
{
	struct error err;
	struct put *pt;

	if (st->batch || group->next == NULL) {
		for (pt = group; pt != NULL; pt = pt->next)
			put_one(st, pt);
		return;
	}
	error_clear(&err);
	if (st->ops->batch_begin(st->be, &err) < 0)
		goto failed;
	for (pt = group; pt != NULL; pt = pt->next)
		put_one(st, pt);
	if (st->ops->batch_commit(st->be, &err) == 0) {
		for (pt = group; pt != NULL; pt = pt->next)
			if (pt->rc < 0 && pt->err.kind == ERR_BUSY) {
				error_clear(&pt->err);
				pt->duplicate = 0;
				put_one(st, pt);
			}
		return;
	}
failed:
	for (pt = group; pt != NULL; pt = pt->next) {
		if (pt->rc == 0)
			pt->err = err;
		pt->rc = -1;
		pt->duplicate = 0;
	}
}

/*
 * The connection is free again (lock held): a store_lock() waiter gets it
 * first (they are rare, and a queue that never empties must not starve
 * them); else the first put in the queue becomes the next writer. Each
 * put has its own condition, so that a group's end wakes only the
 * threads it concerns, not every thread waiting.
 */
static void
release(struct store *st)
{
	st->busy = 0;
	if (st->lockers > 0)
		pthread_cond_signal(&st->idle);
	else if (st->queue != NULL)
		pthread_cond_signal(&st->queue->wake);
}

/*
 * Make a written group durable (lock held; returns with it held). One
 * flush covers every group committed before it started, so a writer whose
 * commit came while another flush ran waits for that one, then flushes
 * what is left, if anything: however many groups the disk flush lags
 * behind, there is at most one flush at a time. A flush that fails fails
 * every group it was to cover (a later flush that passes does not prove
 * the earlier writes reached the disk).
 */
static void
flush_group(struct store *st, struct put *group, uint64_t seq)
{
	struct error err;
	struct put *pt;
	uint64_t target;
	int rc;

	while (st->flushed < seq && st->flush_failed < seq) {
		if (st->flushing) {
			pthread_cond_wait(&st->flush_done, &st->lock);
			continue;
		}
		st->flushing = 1;
		target = st->committed;
		pthread_mutex_unlock(&st->lock);
		error_clear(&err);
		rc = st->ops->flush(st->be, &err);
		pthread_mutex_lock(&st->lock);
		st->flushing = 0;
		if (rc == 0) {
			st->flushed = target;
		} else {
			st->flush_failed = target;
			st->flush_err = err;
		}
		pthread_cond_broadcast(&st->flush_done);
	}
	/* A flush that passed stays passed, whatever a later one meets. */
	if (st->flushed >= seq)
		return;
	for (pt = group; pt != NULL; pt = pt->next) {
		if (pt->rc == 0)
			pt->err = st->flush_err;
		pt->rc = -1;
		pt->duplicate = 0;
	}
}

/*
 * A put about to be written alone while other sources may put soon waits
 * (lock held; returns with it held) up to the commit delay for company:
 * the puts that come meanwhile queue behind it and share its commit.
 */
static void
commit_delay(struct store *st, struct put *pt)
{
	struct timespec until;

	if (st->delay_us == 0 || st->batch || st->queue != pt ||
	    pt->next != NULL || st->others(st->others_arg) < 2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)st->delay_us * 1000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	while (pthread_cond_timedwait(&pt->wake, &st->lock, &until) == 0)
		;
}

/*
 * Queue pt and wait until it is written and durable, writing the queue
 * when the connection is free. The writer lets the connection go before
 * its group's disk flush, so that the next group is written while the
 * disk works.
 */
static int
put_wait(struct store *st, struct put *pt, struct error *err)
{
	struct put *group, *next;
	pthread_condattr_t attr;
	int batch;

	error_clear(&pt->err);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pt->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&st->lock);
	*st->tail = pt;
	st->tail = &pt->next;
	while (!pt->done) {
		if (st->busy || pt->taken) {
			pthread_cond_wait(&pt->wake, &st->lock);
			continue;
		}
		st->busy = 1;
		batch = st->batch;
		commit_delay(st, pt);
		group = st->queue;
		st->queue = NULL;
		st->tail = &st->queue;
		for (next = group; next != NULL; next = next->next)
			next->taken = 1;
		pthread_mutex_unlock(&st->lock);
		write_group(st, group);
		pthread_mutex_lock(&st->lock);
		release(st);
		if (!batch && st->ops->flush != NULL)
			flush_group(st, group, ++st->committed);
		for (; group != NULL; group = next) {
			next = group->next;
			group->done = 1;
			if (group != pt)
				pthread_cond_signal(&group->wake);
		}
	}
	pthread_mutex_unlock(&st->lock);
	pthread_cond_destroy(&pt->wake);
	if (pt->rc < 0 && err != NULL)
		*err = pt->err;
	return pt->rc;
}

int
store_put_report(struct store *st, const void *raw, size_t rawlen,
		 const struct origin *o, const struct report *r,
		 int *duplicate, struct error *err)
{
	struct store_payload p;
	struct put pt = { .p = &p, .r = r };
	void *tofree;
	int rc;

	*duplicate = 0;
	if (payload_prepare(&p, o, raw, rawlen, &tofree, err) < 0)
		return -1;
	rc = put_wait(st, &pt, err);
	*duplicate = pt.duplicate;
	free(tofree);
	return rc;
}

int
store_put_rejected(struct store *st, const void *raw, size_t rawlen,
		   const struct origin *o, const char *reason,
		   struct error *err)
{
	struct store_payload p;
	struct put pt = { .p = &p, .reason = reason };
	void *tofree;
	int rc;

	if (payload_prepare(&p, o, raw, rawlen, &tofree, err) < 0)
		return -1;
	rc = put_wait(st, &pt, err);
	free(tofree);
	return rc;
}

void
store_set_commit_delay(struct store *st, unsigned usec,
		       unsigned (*others)(void *arg), void *arg)
{
	pthread_mutex_lock(&st->lock);
	st->delay_us = others != NULL ? usec : 0;
	st->others = others;
	st->others_arg = arg;
	pthread_mutex_unlock(&st->lock);
}

void
store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	st->lockers++;
	while (st->busy)
		pthread_cond_wait(&st->idle, &st->lock);
	st->lockers--;
	st->busy = 1;
	pthread_mutex_unlock(&st->lock);
}

void
store_unlock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	release(st);
	pthread_mutex_unlock(&st->lock);
}

int
store_batch_begin(struct store *st, struct error *err)
{
	if (st->ops->batch_begin(st->be, err) < 0)
		return -1;
	st->batch = 1;
	return 0;
}

int
store_batch_commit(struct store *st, struct error *err)
{
	st->batch = 0;
	if (st->ops->batch_commit(st->be, err) < 0)
		return -1;
	return st->ops->flush != NULL ? st->ops->flush(st->be, err) : 0;
}

void
store_batch_rollback(struct store *st)
{
	st->batch = 0;
	st->ops->batch_rollback(st->be);
}

/* One row of the source, into the destination's open batch. */
struct copy_run {
	struct store *dst;
	struct store_copy_counts *counts;
	size_t inbatch;
};

static int
copy_row(const struct store_row *row, void *arg, struct error *err)
{
	struct copy_run *cr = arg;
	int copied = 0;

	if (cr->inbatch == 0 && store_batch_begin(cr->dst, err) < 0)
		return -1;
	if (cr->dst->ops->copy_put(cr->dst->be, row, &copied, err) < 0) {
		store_batch_rollback(cr->dst);
		cr->inbatch = 0;
		return -1;
	}
	cr->counts->seen++;
	cr->counts->pending += copied;
	if (++cr->inbatch < STORE_COPY_BATCH)
		return 0;
	cr->inbatch = 0;
	if (store_batch_commit(cr->dst, err) < 0)
		return -1;
	cr->counts->copied += cr->counts->pending;
	cr->counts->pending = 0;
	return 0;
}

int
store_copy(struct store *dst, struct store *src,
	   struct store_copy_counts *counts, struct error *err)
{
	struct copy_run cr = { .dst = dst, .counts = counts };

	memset(counts, 0, sizeof(*counts));
	if (src->ops->export == NULL)
		return error_set(err, ERR_INPUT, "cannot copy from a %s store",
		    src->ops->name);
	if (dst->ops->copy_put == NULL)
		return error_set(err, ERR_INPUT, "cannot copy into a %s store",
		    dst->ops->name);
	if (src == dst || (strcmp(src->ops->name, dst->ops->name) == 0))
		return error_set(err, ERR_INPUT, "copy from one %s store into "
		    "another is not supported", dst->ops->name);
	store_lock(src);
	store_lock(dst);
	if (src->ops->export(src->be, copy_row, &cr, err) < 0) {
		if (cr.inbatch > 0)
			store_batch_rollback(dst);
		counts->pending = 0;
		goto fail;
	}
	if (cr.inbatch > 0) {
		if (store_batch_commit(dst, err) < 0) {
			counts->pending = 0;
			goto fail;
		}
		counts->copied += counts->pending;
		counts->pending = 0;
	}
	store_unlock(dst);
	store_unlock(src);
	return 0;
fail:
	store_unlock(dst);
	store_unlock(src);
	return -1;
}
