/*
 * store: where reports live. One interface, two backends: a path selects
 * SQLite (the embedded default, one file in WAL mode), a postgresql:// URI
 * selects PostgreSQL. The rest of the code never sees which.
 *
 * Invariants:
 * - Every payload handed to the store is kept raw (compressed) with its
 *   origin, whatever its outcome, so a rejected report can be parsed again
 *   after a fix.
 * - A report's identity is (organization-name, report-id, start, end), and
 *   identity alone does not make a duplicate (doc/identity.md): a copy of
 *   the same identity and the same content (the digest of the parsed
 *   report's policies, counts and failure details) is recorded as a
 *   duplicate receipt and not stored again; a copy of the same identity
 *   and other content is a conflict, stored as a report of its own, and
 *   every copy of the identity is marked conflicting. A forged copy that
 *   came first never silences the real one. Each backend decides this
 *   for a put in its transaction, once even when several nodes take the
 *   same copy at once.
 * - Each put is durable when the call returns 0: only then may a caller
 *   answer "accepted" to a sender.
 * - Puts may come from several threads at once. Each is written by its
 *   caller in turn, or, once store_start_writer() has run, by the store's
 *   writer thread: the puts queued together are then one transaction
 *   (group commit), so that one disk flush makes them all durable; a put
 *   that fails fails alone (a savepoint each on PostgreSQL; on SQLite the
 *   group is undone and each written again alone). store_lock() gives a
 *   thread the store alone, for a read.
 * - Failures that may pass (busy, locked, disk full, read-only) are
 *   ERR_BUSY, so that the daemon answers 503 and an MTA pipe exits 75.
 */
#ifndef TLSRPT_STORE_H
#define TLSRPT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "report.h"

/* Where a payload came from; any field but source may be NULL. */
struct origin {
	const char *source;	/* "https", "mail", "file", "stdin" */
	const char *peer;	/* https: client address */
	const char *user_agent;	/* https: User-Agent */
	const char *message_id;	/* mail: Message-ID */
	const char *path;	/* file path or message path */
	const char *part;	/* mail: the report attachment's name */
	const char *dkim_domain; /* mail: the domain whose dkim=pass vouched
				    for the message (dkim-authserv-id) */
};

struct store;

/*
 * Does spec name a PostgreSQL store (a postgresql:// or postgres:// URI)?
 * Anything else is the path of a SQLite file.
 */
int store_is_postgresql(const char *spec);

/*
 * Open the store named by spec (a file path, or a postgresql:// URI),
 * creating it when it does not exist and applying the schema migrations.
 * Returns NULL with err set: ERR_BUSY when it is locked, ERR_IO when it
 * cannot be opened or is from a newer version.
 */
struct store *store_open(const char *spec, struct error *err);

/*
 * A connection of its own to the store spec names (opened already by
 * store_open()), for reads only: a put through it fails (ERR_INTERNAL).
 * Its reads never wait for the writes of the store_open() handle, nor
 * hold them up: SQLite in WAL mode gives each read a snapshot of the
 * transactions committed when it began, PostgreSQL gives each statement
 * one. Pooled for the daemon's read API by store_reader.h.
 */
struct store *store_open_reader(const char *spec, struct error *err);

/* Close the store; NULL is allowed. */
void store_close(struct store *st);

/*
 * Can the store take writes? A probe that writes nothing, cheap enough
 * for each health check: for SQLite, that the file, its write-ahead log,
 * shared memory and journal where they exist, and its folder may be
 * written now (not on a read-only mount, not immutable, not shut to the
 * daemon's user). ERR_BUSY with the file and why when not; PostgreSQL's
 * server says it at each write, so 0 there.
 */
int store_probe_writable(const struct store *st, struct error *err);

/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *st);

/* What store_put_report() found (doc/identity.md). */
enum store_put_kind {
	STORE_PUT_NEW,		/* the first copy of its identity: stored */
	STORE_PUT_DUPLICATE,	/* a copy of the same identity and content
				 * is there: only the receipt is recorded */
	STORE_PUT_CONFLICT,	/* copies of the same identity with other
				 * content are there: stored all the same,
				 * and every copy marked conflicting */
};

struct store_put_result {
	enum store_put_kind kind;
	int64_t report;		/* the report's row: the new one, or the
				 * copy a duplicate repeats */
	int64_t first;		/* conflict: the row of the first copy of
				 * the identity */
	int64_t first_received;	/* conflict: when that copy came, Unix
				 * seconds */
};

/*
 * Store the payload raw (rawlen bytes as received) and the report parsed
 * from it, in one durable transaction; res says whether the report was
 * new, a duplicate or a conflict (all zero when the put fails).
 */
int store_put_report(struct store *st, const void *raw, size_t rawlen,
		     const struct origin *o, const struct report *r,
		     struct store_put_result *res, struct error *err);

/*
 * The same in two steps, for a caller that parses on several threads and
 * stores on one (tlsrpt-import): store_rows_new() makes the report the
 * rows a store writes, with the digest of its content, where it was
 * parsed (r must outlive them); store_put_rows() stores them as
 * store_put_report() would. NULL with err set when out of memory.
 */
struct store_rows;

struct store_rows *store_rows_new(const struct report *r, struct error *err);
void store_rows_free(struct store_rows *rows);
int store_put_rows(struct store *st, const void *raw, size_t rawlen,
		   const struct origin *o, struct store_rows *rows,
		   struct store_put_result *res, struct error *err);

/* Keep a rejected payload in the quarantine with the reason. */
int store_put_rejected(struct store *st, const void *raw, size_t rawlen,
		       const struct origin *o, const char *reason,
		       struct error *err);

/*
 * The quarantine: the payloads rejected, by row (doc/quarantine.md).
 * A row is kept whole, or, past BOUND_QUARANTINE_KEEP, as its first
 * bytes (kept < size): such a row cannot be parsed again.
 */
struct store_quarantined {
	int64_t id;		/* its row */
	int64_t received_at;	/* Unix seconds */
	struct origin origin;	/* as it came */
	size_t size;		/* bytes received */
	size_t kept;		/* of them kept */
	const char *sha256;	/* of all size bytes, hex, or NULL */
	const char *reason;
	const void *data;	/* store_quarantine_get(): the kept bytes as
				 * received, else NULL */
	struct arena *owned;	/* store_quarantine_get(): the strings and
				 * data; store_quarantined_release() */
};

/* Called for each row of the quarantine; nonzero stops the walk. */
typedef int (*store_quarantine_cb)(const struct store_quarantined *q,
				   void *arg);

/*
 * Walk the rows of the quarantine after row `after` (0: from the first)
 * in row order, limit of them at most (0: all), without their data. The
 * store is held meanwhile (store_lock()): cb must not put.
 */
int store_quarantine_walk(struct store *st, int64_t after, size_t limit,
			  store_quarantine_cb cb, void *arg,
			  struct error *err);

/*
 * Row id of the quarantine with its kept bytes, as received, into q (the
 * caller's; store_quarantined_release() frees what it holds). *found 0
 * when the quarantine has no row id.
 */
int store_quarantine_get(struct store *st, int64_t id,
			 struct store_quarantined *q, int *found,
			 struct error *err);
void store_quarantined_release(struct store_quarantined *q);

/*
 * A row of the quarantine parsed again. store_quarantine_put_rows()
 * stores the report parsed from it (rows, store_rows_new()) as
 * store_put_rows() would, and the row becomes its payload, accepted or
 * duplicate: it leaves the quarantine. store_quarantine_reject() keeps
 * the row with a new reason. The report takes the row's time of receipt.
 * Both fail with ERR_INPUT when the row left the quarantine meanwhile.
 */
int store_quarantine_put_rows(struct store *st, int64_t id,
			      int64_t received_at, struct store_rows *rows,
			      struct store_put_result *res, struct error *err);
int store_quarantine_reject(struct store *st, int64_t id, const char *reason,
			    struct error *err);

/*
 * For a daemon that takes reports over many connections at once: from now
 * on puts are queued for the store's own two threads. The writer writes
 * whatever is queued as one transaction, then lets the flusher make it
 * durable while it writes the next group; one disk flush covers every
 * group committed before it. While at least siblings of the sources of
 * puts that others(arg) counts (connections busy, say) have no put queued
 * or in flight, more may be about to come: the writer then waits for
 * them, up to delay_us after the first put of the group, so that one
 * commit and one flush serve them all, at the price of that much more
 * latency. Under siblings (0 counts as 1) it does not wait: with few
 * sources, latency is what limits them. others is called with the
 * store's lock held and must not block; NULL (or delay_us 0) turns the
 * delay off. Puts inside a batch are still written by their caller.
 * Between groups, and once nothing has come for BOUND_FOLD_IDLE_MS, the
 * writer does the work the backend keeps off the answer's path (SQLite's
 * per-day aggregates and domain index), and it finishes that work before
 * it stops.
 *
 * store_stop_writer() lets the threads finish the puts queued and stop;
 * puts made after it are written by their callers again. store_close()
 * calls it.
 */
int store_start_writer(struct store *st, unsigned delay_us,
		       unsigned siblings, unsigned (*others)(void *arg),
		       void *arg, struct error *err);
void store_stop_writer(struct store *st);

/*
 * Hold the store alone (no put is written meanwhile) to read it through
 * the backend's handle (store_read.h); always pair with store_unlock().
 */
void store_lock(struct store *st);
void store_unlock(struct store *st);

/*
 * Group the next puts into one transaction, for a bulk import by one
 * thread: each put is then undone alone when it fails, but none is
 * durable, and none may be acknowledged, before store_batch_commit()
 * returns 0. When the commit fails, every put of the batch is gone
 * (ERR_BUSY: retry them all).
 */
int store_batch_begin(struct store *st, struct error *err);
int store_batch_commit(struct store *st, struct error *err);
void store_batch_rollback(struct store *st);

/*
 * Copy every payload of src (raw, with its origin, outcome and reason)
 * and the reports they name, with their policies and failure details,
 * into dst, in src's order, a transaction per STORE_COPY_BATCH rows.
 * Idempotent: a row copied before is not copied again, and a report
 * dst already holds (same identity, same content) is not stored twice;
 * conflicting copies stay apart, and marked, as src held them. Today
 * from SQLite into PostgreSQL only (ERR_INPUT otherwise). When it fails,
 * what the committed batches copied stays, and a new run goes on from
 * there.
 */
#define STORE_COPY_BATCH 256

struct store_copy_counts {
	size_t seen;		/* rows of src read */
	size_t copied;		/* rows new in dst, committed */
	size_t pending;		/* copied in the open batch */
};

int store_copy(struct store *dst, struct store *src,
	       struct store_copy_counts *counts, struct error *err);

#endif
