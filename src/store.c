/*
 * store: see include/store.h. The backend-neutral half, and the two ways
 * a put is written.
 *
 * Inline, the default: the caller waits for the connection, writes its own
 * put as one transaction (or a savepoint of its batch), flushes it and lets
 * the connection go.
 *
 * With the writer threads (store_start_writer()), for a daemon's many
 * connections: callers queue their puts and sleep on a semaphore each. The
 * writer takes the whole queue and writes it as one transaction (see
 * write_group()), then hands it to the flusher and takes the next
 * queue, while the flusher's one disk flush makes durable every group
 * committed before it started. The flusher then wakes each caller of those
 * groups; nothing else wakes a caller, and no caller touches the store's
 * lock after queueing, so that a request costs its thread one sleep.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bounds.h"
#include "decode.h"
#include "fmt.h"
#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "thread.h"
#include "banned.h"

/* One put; it lives on its caller's stack. */
struct put {
	const struct store_payload *p;
	const struct store_row_report *r;	/* NULL: a rejected payload */
	const char *reason;
	int rc;
	struct store_put_result res;
	struct error err;
	sem_t done;		/* posted once: written and durable, or failed */
	struct put *next;
};

/*
 * The transaction open on the connection, of whoever holds it: a batch's
 * (each put a savepoint of it), a group's of the writer (all or nothing,
 * where the backend has whole_groups), or none (each put its own).
 */
enum tx { TX_NONE, TX_BATCH, TX_GROUP };

struct store {
	const struct store_ops *ops;
	void *be;
	char *file;		/* SQLite: the file, for store_probe_writable */
	int reader;		/* store_open_reader(): reads only */
	enum tx tx;		/* held with the connection, not the lock */
	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t idle;	/* busy went to 0 */
	int lockers;		/* threads waiting in store_lock() */
	int busy;		/* a thread is using the connection */
	int batch;		/* store_batch_begin() is open */

	/* store_start_writer() */
	int writing;		/* the writer threads run: puts queue */
	int stopping;		/* store_stop_writer() was called */
	int writer_done;	/* the writer has left */
	pthread_t writer, flusher;
	pthread_cond_t work;	/* for the writer: a put queued, or idle */
	pthread_cond_t flushable; /* for the flusher: a group committed */
	struct put *queue, **tail;	   /* waiting to be written */
	unsigned long groups;		   /* groups the writer has taken */
	int yielders;			   /* in store_unlock_for_puts() */
	struct put *written, **wtail;	   /* committed, to be flushed */
	unsigned delay_us;
	unsigned siblings;		/* sources worth waiting for, >= 1 */
	unsigned queued;		/* puts in the queue */
	unsigned inflight;		/* puts taken, not yet complete */
	struct timespec queued_at;	/* when the first of them came */
	int folding;			/* a fold is under way */
	struct timespec fold_after;	/* no fold before: the last failed */
	unsigned (*others)(void *arg);
	void *others_arg;
};
int
store_is_postgresql(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 ||
	    strncmp(spec, "postgres://", 11) == 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_stop_writer(st);
	st->ops->close(st->be);
	free(st->file);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->idle);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->flushable);
	free(st);
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
	st->ops = store_is_postgresql(spec) ? &store_pg_ops : &store_sqlite_ops;
	if (!store_is_postgresql(spec) && (st->file = strdup(spec)) == NULL) {
		free(st);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	st->be = st->ops->open(spec, err);
	if (st->be == NULL) {
		free(st->file);
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->idle, NULL);
	thread_cond_init(&st->work);
	pthread_cond_init(&st->flushable, NULL);
	st->tail = &st->queue;
	st->wtail = &st->written;
	return st;
}

struct store *
store_open_reader(const char *spec, struct error *err)
{
	struct store *st = store_open(spec, err);

	if (st != NULL)
		st->reader = 1;
	return st;
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
	p->kept = rawlen;
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

/* A transaction of several puts, of kind TX_BATCH or TX_GROUP. */
static int
tx_begin(struct store *st, enum tx kind, struct error *err)
{
	if (st->tx != TX_NONE)
		return error_set(err, ERR_INTERNAL, "a batch is already open");
	if (st->ops->begin(st->be, 0, err) < 0)
		return -1;
	st->tx = kind;
	return 0;
}

/* A failed COMMIT leaves nothing stored: the transaction is undone. */
static int
tx_commit(struct store *st, struct error *err)
{
	st->tx = TX_NONE;
	if (st->ops->commit(st->be, 0, err) == 0)
		return 0;
	st->ops->rollback(st->be, 0);
	return -1;
}

static void
tx_rollback(struct store *st)
{
	st->tx = TX_NONE;
	st->ops->rollback(st->be, 0);
}

/*
 * One put is one transaction, or, in a batch, one savepoint of the
 * batch's transaction, so that a put that fails is undone alone; in a
 * group neither: the writer undoes the group.
 */
static void
put_one(struct store *st, struct put *pt)
{
	int nested = st->tx == TX_BATCH, framed = st->tx != TX_GROUP;

	if (framed && st->ops->begin(st->be, nested, &pt->err) < 0) {
		pt->rc = -1;
		memset(&pt->res, 0, sizeof(pt->res));
		return;
	}
	if (pt->r != NULL)
		pt->rc = st->ops->put_report(st->be, pt->p, pt->r,
		    &pt->res, &pt->err);
	else
		pt->rc = st->ops->put_rejected(st->be, pt->p, pt->reason,
		    &pt->err);
	if (framed && pt->rc == 0 &&
	    st->ops->commit(st->be, nested, &pt->err) < 0)
		pt->rc = -1;
	if (pt->rc < 0) {
		if (framed)
			st->ops->rollback(st->be, nested);
		memset(&pt->res, 0, sizeof(pt->res));
	}
}

/* Every put of a group failed with err, unless it failed already. */
static void
fail_group(struct put *group, const struct error *err)
{
	struct put *pt;

	for (pt = group; pt != NULL; pt = pt->next) {
		if (pt->rc == 0)
			pt->err = *err;
		pt->rc = -1;
		memset(&pt->res, 0, sizeof(pt->res));
	}
}

/* Each put of a group written again alone, as if the group never was. */
static void
write_alone(struct store *st, struct put *group)
{
	struct put *pt;

	for (pt = group; pt != NULL; pt = pt->next) {
		pt->rc = 0;
		memset(&pt->res, 0, sizeof(pt->res));
		error_clear(&pt->err);
		put_one(st, pt);
	}
}

/*
 * Write a group taken from the queue. One put alone is its own
 * transaction (or a savepoint of the caller's batch); several share one,
 * and when its COMMIT fails none of them was stored.
 *
 * Where the backend has all-or-nothing groups (whole_groups), the puts
 * have no savepoint each; when one fails, the group is undone and each
 * put is written again alone, so that only that one fails. Otherwise
 * each put has its own savepoint in a batch, and a put that failed on
 * something that may pass is tried once more alone after the COMMIT: on
 * a shared store (PostgreSQL) two nodes' groups taking the same reports
 * in another order deadlock, and the put the server chose to undo then
 * goes through, since it holds nothing another waits for.
 */
static void
write_group(struct store *st, struct put *group)
{
	struct error err;
	struct put *pt;

	if (st->tx != TX_NONE || group->next == NULL) {
		for (pt = group; pt != NULL; pt = pt->next)
			put_one(st, pt);
		return;
	}
	error_clear(&err);
	if (st->ops->whole_groups) {
		if (tx_begin(st, TX_GROUP, &err) < 0) {
			fail_group(group, &err);
			return;
		}
		for (pt = group; pt != NULL; pt = pt->next) {
			put_one(st, pt);
			if (pt->rc < 0)
				break;
		}
		if (pt != NULL) {
			tx_rollback(st);
			write_alone(st, group);
		} else if (tx_commit(st, &err) < 0) {
			fail_group(group, &err);
		}
		return;
	}
	if (tx_begin(st, TX_BATCH, &err) < 0) {
		fail_group(group, &err);
		return;
	}
	for (pt = group; pt != NULL; pt = pt->next)
		put_one(st, pt);
	if (tx_commit(st, &err) < 0) {
		fail_group(group, &err);
		return;
	}
	for (pt = group; pt != NULL; pt = pt->next)
		if (pt->rc < 0 && pt->err.kind == ERR_BUSY) {
			error_clear(&pt->err);
			memset(&pt->res, 0, sizeof(pt->res));
			put_one(st, pt);
		}
}

/* The connection is free again (lock held). */
static void
release(struct store *st)
{
	st->busy = 0;
	if (st->lockers > 0 || !st->writing)
		pthread_cond_broadcast(&st->idle);
	else if (st->queue != NULL)
		pthread_cond_signal(&st->work);
}

/* A put's outcome is final: wake its caller, who may return at once. */
static void
complete(struct put *pt)
{
	sem_post(&pt->done);
}

/* The outcome of a flush for every put of a list it covered. */
static unsigned
complete_flushed(struct put *list, int rc, const struct error *err)
{
	struct put *pt, *next;
	unsigned n = 0;

	for (pt = list; pt != NULL; pt = next, n++) {
		next = pt->next;
		if (rc < 0) {
			if (pt->rc == 0)
				pt->err = *err;
			pt->rc = -1;
			memset(&pt->res, 0, sizeof(pt->res));
		}
		complete(pt);
	}
	return n;
}

/*
 * Whether enough puts not yet queued may join the queue soon to wait for
 * them (lock held): while at least siblings of the sources of puts
 * (connections busy) have none queued or in flight.
 */
static int
company_may_come(struct store *st)
{
	if (st->others == NULL)
		return 0;
	return st->queued + st->inflight + st->siblings <=
	    st->others(st->others_arg);
}

/* The time us microseconds after *from (CLOCK_MONOTONIC). */
static struct timespec
after_us(const struct timespec *from, long us)
{
	struct timespec t = *from;

	t.tv_sec += us / 1000000;
	t.tv_nsec += (us % 1000000) * 1000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	return t;
}

static int
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Do a part of the work the backend keeps off the answer's path (lock
 * held, the connection free: due and fold read what puts write). A fold
 * that fails loses nothing: the work stays due, and the next fold, a
 * second later at the soonest (one warning a second at most), does it.
 */
static void
fold(struct store *st)
{
	struct timespec now;
	struct error err;
	int rc;

	st->busy = 1;
	pthread_mutex_unlock(&st->lock);
	error_clear(&err);
	rc = st->ops->fold(st->be, &err);
	pthread_mutex_lock(&st->lock);
	release(st);
	st->folding = rc > 0;
	if (rc < 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		st->fold_after = after_us(&now, 1000000);
		log_warn("store: folding the reports answered into the per-day "
		    "aggregates and the domain index failed; trying again in "
		    "a second: %s", err.msg);
	}
}

/* Reports waiting to be folded, or 0 while a failed fold rests. */
static size_t
fold_due(struct store *st)
{
	struct timespec now;

	if (st->ops->due == NULL)
		return 0;
	if (st->fold_after.tv_sec != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (before(&now, &st->fold_after))
			return 0;
		st->fold_after.tv_sec = 0;
	}
	return st->ops->due(st->be);
}

/* Wait for work (lock held); false once the writer is to stop. */
static int
wait_for_work(struct store *st)
{
	struct timespec now, until;

	while (st->queue == NULL ? !st->stopping :
	    st->busy || st->lockers > 0) {
		if (st->queue != NULL || st->busy || fold_due(st) == 0) {
			pthread_cond_wait(&st->work, &st->lock);
			continue;
		}
		/* Nothing to write: fold once nothing came for a while. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		until = after_us(&now, BOUND_FOLD_IDLE_MS * 1000L);
		if (pthread_cond_timedwait(&st->work, &st->lock, &until) !=
		    ETIMEDOUT)
			continue;
		while (st->queue == NULL && !st->busy && st->lockers == 0 &&
		    !st->stopping && fold_due(st) > 0)
			fold(st);
	}
	if (st->queue != NULL)
		return 1;
	/* Stopping: leave nothing due, unless a fold fails. */
	while (!st->busy && st->lockers == 0 && fold_due(st) > 0) {
		fold(st);
		if (st->fold_after.tv_sec != 0)
			break;
	}
	return 0;
}

/*
 * The writer thread: one group per pass, all the puts queued when it
 * looks. While company may come, it first waits for it, up to the commit
 * delay after the first put of the group was queued: each commit and
 * flush costs the same whether it serves one put or fifty. Once a group
 * is handed to the flusher, and when nothing has come for a while, it
 * does the work the backend keeps off the answer's path.
 */
static void *
writer_main(void *arg)
{
	struct store *st = arg;
	struct timespec until;
	struct put *group, *pt, *next;

	prctl(PR_SET_NAME, "store-writer", 0, 0, 0);	/* top -H, ps -L */
	pthread_mutex_lock(&st->lock);
	for (;;) {
		if (!wait_for_work(st))
			break;
		st->busy = 1;
		if (st->delay_us > 0 && company_may_come(st)) {
			until = after_us(&st->queued_at, (long)st->delay_us);
			while (company_may_come(st) &&
			    pthread_cond_timedwait(&st->work, &st->lock,
			    &until) == 0)
				;
		}
		group = st->queue;
		st->queue = NULL;
		st->tail = &st->queue;
		st->inflight += st->queued;
		st->queued = 0;
		st->groups++;
		if (st->yielders > 0)
			pthread_cond_broadcast(&st->idle);
		pthread_mutex_unlock(&st->lock);
		write_group(st, group);
		pthread_mutex_lock(&st->lock);
		release(st);
		if (st->ops->flush == NULL) {
			for (pt = group; pt != NULL; pt = next) {
				next = pt->next;
				complete(pt);
				st->inflight--;
			}
			continue;
		}
		*st->wtail = group;
		for (pt = group; pt->next != NULL; pt = pt->next)
			;
		st->wtail = &pt->next;
		pthread_cond_signal(&st->flushable);
		if (!st->busy && st->lockers == 0 && (st->folding ||
		    fold_due(st) >= BOUND_FOLD_BATCH))
			fold(st);
	}
	st->writer_done = 1;
	pthread_cond_broadcast(&st->flushable);
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/*
 * The flusher thread: one flush makes durable every group committed
 * before it started, however many; a flush that fails fails every put it
 * was to cover (a later flush that passes does not prove their writes
 * reached the disk).
 */
static void *
flusher_main(void *arg)
{
	struct store *st = arg;
	struct put *list;
	struct error err;
	unsigned n;
	int rc;

	prctl(PR_SET_NAME, "store-flush", 0, 0, 0);
	pthread_mutex_lock(&st->lock);
	for (;;) {
		while (st->written == NULL && !st->writer_done)
			pthread_cond_wait(&st->flushable, &st->lock);
		if (st->written == NULL)
			break;
		list = st->written;
		st->written = NULL;
		st->wtail = &st->written;
		if (st->queue != NULL)
			pthread_cond_signal(&st->work);
		pthread_mutex_unlock(&st->lock);
		error_clear(&err);
		rc = st->ops->flush(st->be, &err);
		n = complete_flushed(list, rc, &err);
		pthread_mutex_lock(&st->lock);
		st->inflight -= n;
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

int
store_start_writer(struct store *st, unsigned delay_us, unsigned siblings,
		   unsigned (*others)(void *arg), void *arg,
		   struct error *err)
{
	int rc;

	pthread_mutex_lock(&st->lock);
	if (st->writing) {
		pthread_mutex_unlock(&st->lock);
		return error_set(err, ERR_INTERNAL, "the store's writer "
		    "already runs");
	}
	if (st->ops->start_writer != NULL) {
		while (st->busy)
			pthread_cond_wait(&st->idle, &st->lock);
		if (st->ops->start_writer(st->be, err) < 0) {
			pthread_mutex_unlock(&st->lock);
			return -1;
		}
	}
	st->delay_us = others != NULL ? delay_us : 0;
	st->siblings = siblings > 0 ? siblings : 1;
	st->others = others;
	st->others_arg = arg;
	st->stopping = st->writer_done = 0;
	rc = pthread_create(&st->writer, NULL, writer_main, st);
	if (rc == 0 && (rc = pthread_create(&st->flusher, NULL,
	    flusher_main, st)) != 0) {
		st->stopping = 1;
		pthread_cond_signal(&st->work);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->writer, NULL);
		return error_set(err, ERR_IO, "cannot start the store's "
		    "writer: %s", strerror(rc));
	}
	if (rc != 0) {
		pthread_mutex_unlock(&st->lock);
		return error_set(err, ERR_IO, "cannot start the store's "
		    "writer: %s", strerror(rc));
	}
	st->writing = 1;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

void
store_stop_writer(struct store *st)
{
	pthread_mutex_lock(&st->lock);
	if (!st->writing) {
		pthread_mutex_unlock(&st->lock);
		return;
	}
	st->writing = 0;
	st->stopping = 1;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->writer, NULL);
	pthread_join(st->flusher, NULL);
	pthread_mutex_lock(&st->lock);
	pthread_cond_broadcast(&st->idle);	/* inline puts from now on */
	pthread_mutex_unlock(&st->lock);
}

/*
 * Write pt and wait until it is durable: queued for the writer threads
 * when they run (and no batch is open), else written inline.
 */
static int
put_wait(struct store *st, struct put *pt, struct error *err)
{
	int flush;

	error_clear(&pt->err);
	if (st->reader)
		return error_set(err, ERR_INTERNAL, "a reader of the store "
		    "takes no writes");
	pthread_mutex_lock(&st->lock);
	while (st->busy && !(st->writing && !st->batch))
		pthread_cond_wait(&st->idle, &st->lock);
	if (st->writing && !st->batch) {
		sem_init(&pt->done, 0, 0);
		if (st->queue == NULL)
			clock_gettime(CLOCK_MONOTONIC, &st->queued_at);
		st->queued++;
		if ((st->queue == NULL && !st->busy) ||
		    (st->busy && !company_may_come(st)))
			pthread_cond_signal(&st->work);
		*st->tail = pt;
		st->tail = &pt->next;
		pthread_mutex_unlock(&st->lock);
		while (sem_wait(&pt->done) < 0 && errno == EINTR)
			;
		sem_destroy(&pt->done);
		goto out;
	}
	st->busy = 1;
	flush = !st->batch && st->ops->flush != NULL;
	pthread_mutex_unlock(&st->lock);
	put_one(st, pt);
	if (flush && pt->rc == 0 && st->ops->flush(st->be, &pt->err) < 0) {
		pt->rc = -1;
		memset(&pt->res, 0, sizeof(pt->res));
	}
	pthread_mutex_lock(&st->lock);
	release(st);
	pthread_mutex_unlock(&st->lock);
out:
	if (pt->rc < 0 && err != NULL)
		*err = pt->err;
	return pt->rc;
}

int
store_put_rows(struct store *st, const void *raw, size_t rawlen,
	       const struct origin *o, struct store_rows *rows,
	       struct store_put_result *res, struct error *err)
{
	struct store_payload p;
	struct put pt = { .p = &p, .r = &rows->r };
	void *tofree;
	int rc;

	memset(res, 0, sizeof(*res));
	if (payload_prepare(&p, o, raw, rawlen, &tofree, err) < 0)
		return -1;
	rows->r.received_at = p.received_at;
	rc = put_wait(st, &pt, err);
	if (rc == 0)
		*res = pt.res;
	free(tofree);
	return rc;
}

/*
 * The report is made rows, and its digest taken, here in the caller's
 * thread, before the put waits for the store: the writer only writes.
 */
int
store_put_report(struct store *st, const void *raw, size_t rawlen,
		 const struct origin *o, const struct report *r,
		 struct store_put_result *res, struct error *err)
{
	struct store_rows rows;
	int rc;

	memset(res, 0, sizeof(*res));
	if (store_rows_build(&rows, r, 0, err) < 0)
		return -1;
	rc = store_put_rows(st, raw, rawlen, o, &rows, res, err);
	store_rows_release(&rows);
	return rc;
}

/*
 * Junk must not fill the disk at the rate it is sent: past
 * BOUND_QUARANTINE_KEEP bytes a rejected payload is kept as its start,
 * with its size and the SHA-256 of the whole (doc/retention.md).
 */
int
store_put_rejected(struct store *st, const void *raw, size_t rawlen,
		   const struct origin *o, const char *reason,
		   struct error *err)
{
	char sha256[STORE_DIGEST_HEX + 1];
	struct store_payload p;
	struct put pt = { .p = &p, .reason = reason };
	size_t keep = rawlen;
	void *tofree;
	int rc;

	if (store_sha256_hex(raw, rawlen, sha256, err) < 0)
		return -1;
	if (keep > BOUND_QUARANTINE_KEEP)
		keep = BOUND_QUARANTINE_KEEP;
	if (payload_prepare(&p, o, raw, keep, &tofree, err) < 0)
		return -1;
	p.size = rawlen;
	p.sha256 = sha256;
	rc = put_wait(st, &pt, err);
	free(tofree);
	return rc;
}

/* The put of a row of the quarantine parsed again: the row changes in
 * place, so there is no payload to write. */
static void
payload_in_place(struct store_payload *p, const struct origin *none,
		 int64_t id, int64_t received_at)
{
	memset(p, 0, sizeof(*p));
	p->origin = none;
	p->received_at = received_at;
	p->encoding = "identity";
	p->data = "";
	p->replaces = id;
}

int
store_quarantine_put_rows(struct store *st, int64_t id, int64_t received_at,
			  struct store_rows *rows, struct store_put_result *res,
			  struct error *err)
{
	struct origin none = { .source = "" };
	struct store_payload p;
	struct put pt = { .p = &p, .r = &rows->r };
	int rc;

	memset(res, 0, sizeof(*res));
	if (id < 1)
		return error_set(err, ERR_INPUT, "row %lld is not in the "
		    "quarantine", (long long)id);
	payload_in_place(&p, &none, id, received_at);
	rows->r.received_at = received_at;
	rc = put_wait(st, &pt, err);
	if (rc == 0)
		*res = pt.res;
	return rc;
}

int
store_quarantine_reject(struct store *st, int64_t id, const char *reason,
			struct error *err)
{
	struct origin none = { .source = "" };
	struct store_payload p;
	struct put pt = { .p = &p, .reason = reason };

	if (id < 1)
		return error_set(err, ERR_INPUT, "row %lld is not in the "
		    "quarantine", (long long)id);
	payload_in_place(&p, &none, id, 0);
	return put_wait(st, &pt, err);
}

/* The walk of store_quarantine_walk(), or the one row of _get(). */
struct quarantine_walk {
	store_quarantine_cb cb;
	void *arg;
	int64_t id;			/* _get: the row wanted */
	struct store_quarantined *q;	/* _get: where it goes */
	int found;
};

static void
quarantined_from_row(struct store_quarantined *q, const struct store_row *row)
{
	memset(q, 0, sizeof(*q));
	q->id = row->id;
	q->received_at = row->payload.received_at;
	q->origin = *row->payload.origin;
	q->size = row->payload.size;
	q->kept = row->payload.kept;
	q->sha256 = row->payload.sha256;
	q->reason = row->reason;
}

static int
walk_row(const struct store_row *row, void *arg, struct error *err)
{
	struct quarantine_walk *w = arg;
	struct store_quarantined q;

	(void)err;
	quarantined_from_row(&q, row);
	return w->cb(&q, w->arg) != 0;
}

int
store_quarantine_walk(struct store *st, int64_t after, size_t limit,
		      store_quarantine_cb cb, void *arg, struct error *err)
{
	struct quarantine_walk w = { .cb = cb, .arg = arg };
	int rc;

	store_lock(st);
	rc = st->ops->read->quarantine(st->be, after, limit, 0, walk_row, &w,
	    err);
	store_unlock(st);
	return rc;
}

/* A copy of s (NULL stays NULL) in a; -1 when out of memory. */
static int
owned_str(struct arena *a, const char **s)
{
	if (*s == NULL)
		return 0;
	*s = arena_strndup(a, *s, strlen(*s));
	return *s == NULL ? -1 : 0;
}

/*
 * The row's data as received: stored as it came ("identity", "gzip": a
 * gzip body is kept as sent) or compressed by payload_prepare() ("zlib"),
 * into kept bytes; no more than BOUND_MESSAGE_MAX.
 */
static int
get_row(const struct store_row *row, void *arg, struct error *err)
{
	struct quarantine_walk *w = arg;
	struct store_quarantined *q = w->q;
	const struct store_payload *p = &row->payload;
	uLongf n;
	void *data;

	if (row->id != w->id)
		return 1;
	quarantined_from_row(q, row);
	if ((q->owned = calloc(1, sizeof(*q->owned))) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (owned_str(q->owned, &q->origin.source) < 0 ||
	    owned_str(q->owned, &q->origin.peer) < 0 ||
	    owned_str(q->owned, &q->origin.user_agent) < 0 ||
	    owned_str(q->owned, &q->origin.message_id) < 0 ||
	    owned_str(q->owned, &q->origin.path) < 0 ||
	    owned_str(q->owned, &q->origin.part) < 0 ||
	    owned_str(q->owned, &q->origin.dkim_domain) < 0 ||
	    owned_str(q->owned, &q->sha256) < 0 ||
	    owned_str(q->owned, &q->reason) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (q->kept > BOUND_MESSAGE_MAX)
		return error_set(err, ERR_TOO_BIG, "row %lld of the "
		    "quarantine holds %zu bytes, over the %zu read back",
		    (long long)row->id, q->kept, BOUND_MESSAGE_MAX);
	if ((data = arena_alloc(q->owned, q->kept + 1)) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	n = (uLongf)q->kept;
	if (p->encoding != NULL && strcmp(p->encoding, "zlib") == 0) {
		if (uncompress(data, &n, p->data, (uLong)p->len) != Z_OK ||
		    n != q->kept)
			return error_set(err, ERR_IO, "row %lld of the "
			    "quarantine: its data does not inflate to the "
			    "%zu bytes kept", (long long)row->id, q->kept);
	} else if (p->len == q->kept) {
		memcpy(data, p->data, p->len);
	} else {
		return error_set(err, ERR_IO, "row %lld of the quarantine: "
		    "%zu bytes of data for the %zu kept", (long long)row->id,
		    p->len, q->kept);
	}
	q->data = data;
	w->found = 1;
	return 1;
}

int
store_quarantine_get(struct store *st, int64_t id,
		     struct store_quarantined *q, int *found,
		     struct error *err)
{
	struct quarantine_walk w = { .id = id, .q = q };
	int rc;

	memset(q, 0, sizeof(*q));
	*found = 0;
	if (id < 1)
		return 0;
	store_lock(st);
	rc = st->ops->read->quarantine(st->be, id - 1, 1, 1, get_row, &w, err);
	store_unlock(st);
	if (rc < 0) {
		store_quarantined_release(q);
		return -1;
	}
	*found = w.found;
	return 0;
}

void
store_quarantined_release(struct store_quarantined *q)
{
	arena_free(q->owned);
	memset(q, 0, sizeof(*q));
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

/*
 * The writer defers to store_lock(): a task that locks again at once
 * would keep the puts queued meanwhile waiting until it ends. Woken when
 * the writer takes a group (writer_main()), or stops.
 */
void
store_unlock_for_puts(struct store *st)
{
	unsigned long seen;

	pthread_mutex_lock(&st->lock);
	release(st);
	seen = st->groups;
	st->yielders++;
	while (st->writing && !st->stopping && st->queue != NULL &&
	    st->groups == seen)
		pthread_cond_wait(&st->idle, &st->lock);
	st->yielders--;
	pthread_mutex_unlock(&st->lock);
}

int
store_batch_begin(struct store *st, struct error *err)
{
	if (tx_begin(st, TX_BATCH, err) < 0)
		return -1;
	st->batch = 1;
	return 0;
}

int
store_batch_commit(struct store *st, struct error *err)
{
	st->batch = 0;
	if (tx_commit(st, err) < 0)
		return -1;
	return st->ops->flush != NULL ? st->ops->flush(st->be, err) : 0;
}

void
store_batch_rollback(struct store *st)
{
	st->batch = 0;
	tx_rollback(st);
}

/* One row of the source, into the destination's open batch. */
struct copy_run {
	struct store *dst;
	struct store_copy_counts *counts;
	size_t inbatch;
};

/*
 * A report the source stored before it kept digests has none: it is
 * taken here from the rows, as a put would have.
 */
static int
copy_row(const struct store_row *row, void *arg, struct error *err)
{
	struct copy_run *cr = arg;
	struct store_row_report r;
	struct store_row with;
	char digest[STORE_DIGEST_HEX + 1];
	int copied = 0;

	if (row->report != NULL && row->report->digest == NULL) {
		if (store_rows_digest(row->report, digest, err) < 0)
			return -1;
		r = *row->report;
		r.digest = digest;
		with = *row;
		with.report = &r;
		row = &with;
	}
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
	if (src->ops->read->export == NULL)
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
	if (src->ops->read->export(src->be, copy_row, &cr, err) < 0) {
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

/* May f be written, when it exists (must: it has to)? */
static int
probe(const char *f, int must, struct error *err)
{
	if (!must && access(f, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (access(f, W_OK) < 0)
		return error_set(err, ERR_BUSY, "the store cannot take writes: "
		    "%s: %s", f, strerror(errno));
	return 0;
}

int
store_probe_writable(const struct store *st, struct error *err)
{
	static const char *const sides[] = { "-wal", "-shm", "-journal" };
	char side[4096], dir[4096], *slash;
	size_t i;

	if (st->file == NULL)
		return 0;
	if (probe(st->file, 1, err) < 0)
		return -1;
	for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++) {
		if (fmt_whole(side, sizeof(side), "%s%s", st->file,
		    sides[i]) < 0)
			return error_set(err, ERR_IO, "%s: path too long",
			    st->file);
		if (probe(side, 0, err) < 0)
			return -1;
	}
	/* The folder: where SQLite makes the log again after a restart. */
	if (fmt_whole(dir, sizeof(dir), "%s", st->file) < 0)
		return error_set(err, ERR_IO, "%s: path too long", st->file);
	if ((slash = strrchr(dir, '/')) == NULL)
		return probe(".", 1, err);
	slash[slash == dir ? 1 : 0] = '\0';
	return probe(dir, 1, err);
}
