/*
 * spool: bodies the daemon took but cannot decode or store now, kept on
 * disk until it can (doc/spool.md, with the file format).
 *
 * Senders post a report once and do not retry, so a body within the
 * limits that meets a busy daemon (the decode budget spent, the store
 * locked, busy or down) is written here and answered 202; a worker thread
 * puts the bodies through the same pipeline, in the order they arrived,
 * as the budget and the store allow.
 *
 * Invariants:
 * - A body is acknowledged (spool_put() returns 0) only once it is
 *   durable: written under a temporary name, fsync'd, renamed, and the
 *   folder fsync'd. A temporary file found at start is one that was never
 *   acknowledged, and is removed; a file that does not read back whole
 *   (bad header, short, checksum) is renamed NAME.bad and left alone.
 * - A body is removed only after its outcome is durable in the store
 *   (accepted, duplicate, rejected into the quarantine, not a report).
 *   A crash in between means it is put through again, and the store
 *   answers duplicate: a body may be processed twice, never lost.
 * - The folder holds at most max_bytes, every file counted in whole 4 KiB
 *   blocks; a body that does not fit, or that the disk refuses, is
 *   refused (ERR_TOO_BIG, ERR_IO) and the listener answers 503.
 * - One daemon per folder: it is locked (flock) while open.
 */
#ifndef TLSRPT_SPOOL_H
#define TLSRPT_SPOOL_H

#include <stddef.h>
#include <time.h>

#include "bounds.h"
#include "error.h"

#define SPOOL_BLOCK		4096	/* the unit of max_bytes */
#define SPOOL_RETRY_MIN		1	/* seconds after a deferred body, */
#define SPOOL_RETRY_MAX		8	/* doubled each time up to this */

struct spool;

/* What a body arrived with; any string may be NULL. */
struct spool_meta {
	const char *source;		/* "https" or "http" */
	const char *peer;		/* after trusted proxies */
	const char *user_agent;
	const char *content_type;
	const char *content_encoding;
	struct timespec arrived;	/* CLOCK_REALTIME */
};

/* A body as the worker hands it over, valid during the call only. */
struct spool_entry {
	struct spool_meta meta;
	const char *name;		/* the file's name in the folder */
	const void *body;
	size_t len;
};

/*
 * Put one body through (spool_start). 0 when its outcome is durable, so
 * that the file may go; -1 with err when it must wait (deferred): the
 * worker tries it again later.
 */
typedef int (*spool_drain_fn)(const struct spool_entry *e, void *arg,
			      struct error *err);

/* The folder's state, for the metrics and /healthz. */
struct spool_stats {
	size_t bodies;
	size_t bytes;		/* in whole blocks */
	time_t oldest;		/* arrival of the oldest body, or 0 */
	int deferred;		/* the store refused the last body tried */
	char reason[ERROR_MSG_MAX];	/* why, when deferred */
};

/*
 * The spool folder of a store: DIR/spool beside a SQLite file, into out;
 * "" for a store that is no file (PostgreSQL, ":memory:").
 */
void spool_default_dir(const char *database, int sqlite, char *out,
		       size_t len);

/*
 * Open (making it, mode 0700, when missing) and lock the folder dir,
 * removing the temporary files of a crash and queueing the bodies left
 * there (the worker sets aside those that do not read back whole).
 * stall is spool_stalled()'s time in seconds (0: never). ERR_IO naming
 * the folder when it cannot be made, read or locked (another daemon uses
 * it).
 */
struct spool *spool_open(const char *dir, size_t max_bytes,
			 unsigned stall, struct error *err);

/* Stop the worker, unlock and free; NULL is allowed. */
void spool_close(struct spool *sp);

/* The limits of a config reload: max_bytes, and stall in seconds. */
void spool_set_limits(struct spool *sp, size_t max_bytes, unsigned stall);

/*
 * Keep len bytes of body with m, durably (above). ERR_TOO_BIG when the
 * folder is full, ERR_IO when the disk refused (full, read-only): the
 * message names the file, what failed and what to do. Safe from any
 * thread.
 */
int spool_put(struct spool *sp, const struct spool_meta *m,
	      const void *body, size_t len, struct error *err);

/*
 * The store refused a body (deferred): while bodies wait in the spool
 * and the worker has not stored one since, the listener sends new
 * bodies straight here rather than to the store, in arrival order
 * behind them. reason is kept for /healthz.
 */
void spool_hold_back(struct spool *sp, const char *reason);

/* Should a new body go straight to the spool (above)? */
int spool_holding_back(struct spool *sp);

/*
 * Start the worker thread: oldest first, each body through fn(entry,
 * arg); after a deferred one it waits SPOOL_RETRY_MIN seconds, doubling
 * to SPOOL_RETRY_MAX, before trying it again. fn and arg are kept.
 */
int spool_start(struct spool *sp, spool_drain_fn fn, void *arg,
		struct error *err);

/* Let the worker finish the body in hand and stop; the rest stays. */
void spool_stop(struct spool *sp);

/* A copy of the state. */
void spool_stats(struct spool *sp, struct spool_stats *st);

/*
 * Does the spool not drain: its oldest body waited longer than the stall
 * time? Then 1, with why in reason (for /healthz); sp may be NULL.
 */
int spool_stalled(struct spool *sp, char *reason, size_t len);

#endif
