/*
 * store_sqlite: the SQLite backend of the store (include/store.h).
 *
 * One file in WAL mode. A COMMIT writes the transaction to the write-ahead
 * log (synchronous=NORMAL) and sqlite_flush() then makes it durable with
 * fdatasync() of the log, outside the store's lock, so that the next group
 * of reports is written while the disk flushes this one (store.c). Nothing
 * is acknowledged before its flush: an acknowledged report survives a
 * crash or a power cut. Writes take the write lock up front (BEGIN
 * IMMEDIATE) and wait up to BOUND_BUSY_TIMEOUT_MS for another writer.
 * Every statement is prepared once and reused.
 *
 * Checkpoints (copying the log's pages into the database file, then
 * flushing it) run on the connection that commits, at SQLite's default
 * threshold, unless sqlite_start_writer() gave them a thread and a
 * connection of their own (the daemon): there they no longer hold up the
 * next group's writes. The log is bounded all the same: past CKPT_INLINE
 * pages the committing connection waits for the checkpointer and copies
 * what is left itself, and the next transaction then writes the log from
 * its start again.
 *
 * The per-day aggregates (table daily) and the domain index of the
 * policies (policy_by_domain) are folded in from the policy rows of the
 * reports above daily_upto: in the transaction of each put or batch, or,
 * once the writer threads run, by the writer between groups (store.c), a
 * slice of policy domains at a time (store_sqlite_fold.h). A report is
 * then answered before the fold, and the fold changes each row and page
 * once for thousands of reports instead of once per report. Readers find
 * a domain's policies through the view domain_policies (migrations 005
 * and 006): policy_by_domain, and the policy rows not folded yet.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "buf.h"
#include "count.h"
#include "fmt.h"
#include "schema.h"
#include "store_sqlite.h"
#include "store_sqlite_fold.h"
#include "thread.h"
#include "banned.h"

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_PAYLOAD, ST_REPORT, ST_FIRST,
	ST_SAME, ST_MARK, ST_DIGEST, ST_POLICY, ST_FAILURE, ST_SAVEPOINT,
	ST_RELEASE, ST_ROLLBACK_TO, ST_FOLD_RANGE, ST_REPLACE, ST_REASON,
	ST_COUNT
};

static const char *const sql_text[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT one",
	[ST_RELEASE] = "RELEASE one",
	[ST_ROLLBACK_TO] = "ROLLBACK TO one",
	[ST_PAYLOAD] = "INSERT INTO payload (" STORE_COLUMNS_PAYLOAD ") "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_REPORT] = "INSERT INTO report (" STORE_COLUMNS_REPORT ") "
	    "VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_POLICY] = "INSERT INTO policy (" STORE_COLUMNS_POLICY ") "
	    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_FAILURE] = "INSERT INTO failure (" STORE_COLUMNS_FAILURE ") "
	    "VALUES (?,?,?,?,?,?,?,?,?)",
	/* The copies of an identity (migration 007): any one of them
	 * names the first, through the index report_copy. */
	[ST_FIRST] = "SELECT id, digest, received_at FROM report WHERE id = "
	    "(SELECT COALESCE(first_copy, id) FROM report WHERE "
	    "organization_name = ?1 AND report_id = ?2 AND start_time = ?3 "
	    "AND end_time = ?4 LIMIT 1)",
	[ST_SAME] = "SELECT id FROM report WHERE organization_name = ?1 AND "
	    "report_id = ?2 AND start_time = ?3 AND end_time = ?4 AND "
	    "digest = ?5",
	[ST_MARK] = "UPDATE report SET conflicting = 1 WHERE id = ?1 AND "
	    "conflicting = 0",
	[ST_DIGEST] = "UPDATE report SET digest = ?1 WHERE id = ?2",
	[ST_FOLD_RANGE] = "SELECT (SELECT report FROM daily_upto), "
	    "(SELECT COALESCE(MAX(id), 0) FROM report)",
	/* A row of the quarantine parsed again (store_payload.replaces). */
	[ST_REPLACE] = "UPDATE payload SET outcome = ?1, reason = NULL, "
	    "report = ?2 WHERE id = ?3 AND outcome = 'rejected'",
	[ST_REASON] = "UPDATE payload SET reason = ?1 WHERE id = ?2 AND "
	    "outcome = 'rejected'",
};

struct sqlite_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];

	/* sqlite_flush(): the write-ahead log, opened on first use */
	pthread_mutex_t flush_lock;
	char *wal;
	int walfd;
	dev_t wal_dev;
	ino_t wal_ino;

	/* start_checkpointer() */
	sqlite3 *ckdb;		/* the checkpointer's connection */
	struct worker ckpt;	/* its lock: the three below */
	int ckpt_wanted, ckpt_running;
	int ckpt_upto;		/* pages of the log the last one copied */

	/* The per-day aggregates and policy_by_domain: folded in each
	 * transaction that stores a report, or, once the writer threads run
	 * (sqlite_start_writer()), by sqlite_fold() off the answer's path. */
	struct sqlite_fold *fold;
	int defer;		/* the writer threads run */
	int64_t folded;		/* daily_upto as this connection last saw it */
	int64_t stored;		/* the last report row this connection stored */
	int unfolded;		/* the open transaction stored a report */
};

/* Pages in the log past which the checkpointer copies them; past which
 * the committing connection waits for it and finishes the copy. */
#define CKPT_PAGES	BOUND_WAL_CHECKPOINT
#define CKPT_INLINE	BOUND_WAL_PAGES

static enum error_kind
fail_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return ERR_BUSY;
	case SQLITE_NOMEM:
		return ERR_NOMEM;
	default:
		return ERR_INTERNAL;
	}
}

/* Map an SQLite failure to an error kind: what may pass is ERR_BUSY. */
static int
db_fail(struct sqlite_store *s, int rc, const char *what, struct error *err)
{
	return error_set(err, fail_kind(rc), "%s: %s: %s", s->path, what,
	    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int
store_sqlite_fail(sqlite3 *db, int rc, const char *what, struct error *err)
{
	return error_set(err, fail_kind(rc), "%s: %s", what,
	    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int
exec(struct sqlite_store *s, const char *sql, struct error *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(s, rc, sql, err);
}

static int
user_version(struct sqlite_store *s, int *v, struct error *err)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "reading the schema version", err);
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(s, rc, "reading the schema version", err);
	return 0;
}

/*
 * Apply the migrations above the database's version, each in its own
 * write transaction that re-reads the version, so that two programs
 * starting at once on a new file apply each migration once.
 */
static int
migrate(struct sqlite_store *s, struct error *err)
{
	const struct schema_migration *m;
	char pragma[64];
	int have, known = 0, rc;

	for (m = schema_migrations; m->sql; m++)
		if (strcmp(m->backend, "sqlite") == 0 && m->version > known)
			known = m->version;
	if (user_version(s, &have, err) < 0)
		return -1;
	if (have > known)
		return error_set(err, ERR_IO, "%s: schema version %d is newer "
		    "than this tlsrptd knows (%d); upgrade tlsrptd", s->path,
		    have, known);
	for (m = schema_migrations; m->sql; m++) {
		if (strcmp(m->backend, "sqlite") != 0 || m->version <= have)
			continue;
		if (exec(s, "BEGIN IMMEDIATE", err) < 0)
			return -1;
		if (user_version(s, &have, err) < 0)
			goto fail;
		if (m->version <= have) {
			exec(s, "ROLLBACK", NULL);
			continue;
		}
		rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			db_fail(s, rc, m->name, err);
			goto fail;
		}
		if (fmt_whole(pragma, sizeof(pragma), "PRAGMA user_version = "
		    "%d", m->version) < 0) {
			error_set(err, ERR_INTERNAL, "%s: version %d", m->name,
			    m->version);
			goto fail;
		}
		if (exec(s, pragma, err) < 0 || exec(s, "COMMIT", err) < 0)
			goto fail;
		have = m->version;
	}
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void sqlite_close(void *be);
static void stop_checkpointer(struct sqlite_store *s);

/*
 * WAL mode, where a COMMIT is durable once sqlite_flush() has run. Should
 * the file system refuse WAL mode (no shared memory), a COMMIT is made
 * durable by itself (synchronous=FULL) and there is nothing to flush.
 */
static int
wal_mode(struct sqlite_store *s, struct error *err)
{
	sqlite3_stmt *st;
	char limit[64];
	int rc, wal;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "setting WAL mode", err);
	rc = sqlite3_step(st);
	wal = rc == SQLITE_ROW && sqlite3_stricmp((const char *)
	    sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(s, rc, "setting WAL mode", err);
	if (!wal)
		return exec(s, "PRAGMA synchronous = FULL", err);
	s->wal = strdup(sqlite3_filename_wal(sqlite3_db_filename(s->db,
	    "main")));
	if (s->wal == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	/* One large report grows the log by its size; once copied, the
	 * log is cut back to what the checkpoints keep it under, CKPT_INLINE
	 * pages of 4 KiB (doc/retention.md). */
	if (fmt_whole(limit, sizeof(limit), "PRAGMA journal_size_limit = %d",
	    CKPT_INLINE * 4096) < 0)
		return error_set(err, ERR_INTERNAL, "journal_size_limit");
	if (exec(s, limit, err) < 0)
		return -1;
	return exec(s, "PRAGMA synchronous = NORMAL", err);
}

/*
 * Each report of a batch is a savepoint, and SQLite keeps the pages a
 * savepoint changes in a sub-journal that goes to a temporary file past
 * 64 KiB: a write system call per page (BENCHMARKS.md).
 * Kept in memory instead (it is bounded by the batch), set before SQLite's
 * first use; should another part of the process have started SQLite
 * first, each connection keeps its temporary files in memory instead.
 */
static pthread_once_t configured = PTHREAD_ONCE_INIT;
static int journal_in_memory;

static void
configure(void)
{
	/* Nothing reads SQLite's memory statistics, and keeping them
	 * takes a mutex on every allocation. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	journal_in_memory = sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL,
	    -1) == SQLITE_OK;
}

static void *
sqlite_open(const char *spec, struct error *err)
{
	struct sqlite_store *s;
	int rc, i;

	pthread_once(&configured, configure);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->path = strdup(spec)) == NULL) {
		free(s);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->walfd = -1;
	pthread_mutex_init(&s->flush_lock, NULL);
	worker_init(&s->ckpt);
	rc = sqlite3_open_v2(spec, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, ERR_IO, "%s: cannot open the database: %s",
		    spec, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, BOUND_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	/*
	 * The schema's references are not checked on each insert (SQLite's
	 * default; BENCHMARKS.md has what the checks cost): every
	 * row this file inserts refers to a row it inserted or found just
	 * before, in the same transaction, and nothing deletes. The tests
	 * check the store with PRAGMA foreign_key_check after every failure
	 * they inject.
	 *
	 * Nor is payload.outcome's CHECK: SQLite evaluates "IN (three
	 * values)" by building a temporary index of the three for each row
	 * inserted (BENCHMARKS.md). This file inserts only the three
	 * literals the CHECK allows; other programs on the file (the sqlite3
	 * shell, say) still have it enforced.
	 */
	if (wal_mode(s, err) < 0 ||
	    exec(s, "PRAGMA foreign_keys = OFF", err) < 0 ||
	    exec(s, "PRAGMA ignore_check_constraints = ON", err) < 0 ||
	    (!journal_in_memory &&
	    exec(s, "PRAGMA temp_store = MEMORY", err) < 0) ||
	    migrate(s, err) < 0)
		goto fail;
	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, sql_text[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK) {
			db_fail(s, rc, "preparing statements", err);
			goto fail;
		}
	}
	if ((s->fold = sqlite_fold_new(s->db, s->path, err)) == NULL)
		goto fail;
	return s;
fail:
	sqlite_close(s);
	return NULL;
}

static void
sqlite_close(void *be)
{
	struct sqlite_store *s = be;
	int i;

	if (s == NULL)
		return;
	stop_checkpointer(s);
	sqlite_fold_free(s->fold);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	if (s->walfd >= 0)
		close(s->walfd);
	pthread_mutex_destroy(&s->flush_lock);
	worker_release(&s->ckpt);
	free(s->wal);
	free(s->path);
	free(s);
}

/*
 * The checkpointer thread: a passive checkpoint (it never waits for the
 * writer, nor holds it up) each time the log has passed CKPT_PAGES since
 * the last one. A checkpoint that fails loses nothing, the pages stay in
 * the log, and the next one copies them.
 */
static void *
checkpointer_main(void *arg)
{
	struct sqlite_store *s = arg;
	int copied;

	pthread_mutex_lock(&s->ckpt.lock);
	for (;;) {
		while (!s->ckpt_wanted && !s->ckpt.stop)
			pthread_cond_wait(&s->ckpt.wake, &s->ckpt.lock);
		if (s->ckpt.stop)
			break;
		s->ckpt_wanted = 0;
		s->ckpt_running = 1;
		pthread_mutex_unlock(&s->ckpt.lock);
		if (sqlite3_wal_checkpoint_v2(s->ckdb, "main",
		    SQLITE_CHECKPOINT_PASSIVE, NULL, &copied) != SQLITE_OK)
			copied = 0;
		pthread_mutex_lock(&s->ckpt.lock);
		if (copied > s->ckpt_upto)
			s->ckpt_upto = copied;
		s->ckpt_running = 0;
		pthread_cond_broadcast(&s->ckpt.wake);
	}
	pthread_mutex_unlock(&s->ckpt.lock);
	return NULL;
}

/*
 * Called by SQLite after each commit on the writing connection, with the
 * pages now in the log. Past CKPT_INLINE the checkpointer cannot keep up
 * (or the log never came back to its start): wait for it, then copy the
 * rest here, so that the next transaction starts the log again.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_store *s = arg;

	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&s->ckpt.lock);
	if (pages < s->ckpt_upto)	/* the log started again */
		s->ckpt_upto = 0;
	if (pages < CKPT_INLINE) {
		/* Every CKPT_PAGES; near CKPT_INLINE, after every commit,
		 * so that little is left to copy here. */
		if ((pages - s->ckpt_upto >= CKPT_PAGES ||
		    pages >= CKPT_INLINE - CKPT_PAGES) &&
		    !s->ckpt_running && !s->ckpt_wanted) {
			s->ckpt_wanted = 1;
			pthread_cond_broadcast(&s->ckpt.wake);
		}
		pthread_mutex_unlock(&s->ckpt.lock);
		return SQLITE_OK;
	}
	while (s->ckpt_running)
		pthread_cond_wait(&s->ckpt.wake, &s->ckpt.lock);
	s->ckpt_wanted = 0;
	s->ckpt_upto = 0;
	pthread_mutex_unlock(&s->ckpt.lock);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
	    NULL);
	return SQLITE_OK;
}

static int
start_checkpointer(struct sqlite_store *s, struct error *err)
{
	int rc;

	if (s->wal == NULL || s->ckdb != NULL)
		return 0;
	rc = sqlite3_open_v2(s->path, &s->ckdb, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, ERR_IO, "%s: cannot open the database for "
		    "checkpoints: %s", s->path, s->ckdb ?
		    sqlite3_errmsg(s->ckdb) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->ckdb, BOUND_BUSY_TIMEOUT_MS);
	/* A checkpoint is a no-op on a connection that has not yet read
	 * the database and so does not know it is in WAL mode. */
	rc = sqlite3_exec(s->ckdb, "SELECT 1 FROM sqlite_schema LIMIT 1",
	    NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		error_set(err, ERR_IO, "%s: cannot open the database for "
		    "checkpoints: %s", s->path, sqlite3_errmsg(s->ckdb));
		goto fail;
	}
	s->ckpt_wanted = 0;
	if (worker_start(&s->ckpt, "checkpoint", checkpointer_main, s,
	    err) < 0)
		goto fail;
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
fail:
	sqlite3_close(s->ckdb);
	s->ckdb = NULL;
	return -1;
}

static void
stop_checkpointer(struct sqlite_store *s)
{
	if (s->ckdb == NULL)
		return;
	sqlite3_wal_autocheckpoint(s->db, CKPT_PAGES);
	worker_stop(&s->ckpt);
	sqlite3_close(s->ckdb);
	s->ckdb = NULL;
}

/* A flush that failed, with errno: the reports are not acknowledged, and
 * their senders are told to try again. */
static int
flush_failed(struct sqlite_store *s, struct error *err)
{
	return error_set(err, ERR_BUSY, "%s: cannot flush the write-ahead log "
	    "to disk: %s", s->wal, strerror(errno));
}

/*
 * fdatasync() of the write-ahead log: every transaction committed so far
 * is then on disk. The log is opened once, and again should it be a new
 * file (the last connection to a store removes it on close).
 */
static int
sqlite_flush(void *be, struct error *err)
{
	struct sqlite_store *s = be;
	struct stat sb;
	int rc = 0;

	if (s->wal == NULL)
		return 0;
	pthread_mutex_lock(&s->flush_lock);
	if (stat(s->wal, &sb) < 0) {
		rc = flush_failed(s, err);
		goto done;
	}
	if (s->walfd < 0 || sb.st_dev != s->wal_dev ||
	    sb.st_ino != s->wal_ino) {
		if (s->walfd >= 0)
			close(s->walfd);
		s->walfd = open(s->wal, O_RDONLY | O_CLOEXEC);
		if (s->walfd < 0 || fstat(s->walfd, &sb) < 0) {
			rc = flush_failed(s, err);
			goto done;
		}
		s->wal_dev = sb.st_dev;
		s->wal_ino = sb.st_ino;
	}
	if (fdatasync(s->walfd) < 0)
		rc = flush_failed(s, err);
done:
	pthread_mutex_unlock(&s->flush_lock);
	return rc;
}

sqlite3 *
store_sqlite_db(void *be)
{
	return ((struct sqlite_store *)be)->db;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Run a prepared INSERT (or a one-row SELECT); SQLITE_DONE / ROW is ok. */
static int
run(struct sqlite_store *s, int which, struct error *err)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return rc;
	sqlite3_reset(st);
	return db_fail(s, rc, "writing", err);
}

/* Run a one-row statement that changes the store. */
static int
run_change(struct sqlite_store *s, int which, struct error *err)
{
	int rc = run(s, which, err);

	sqlite3_reset(s->st[which]);
	return rc < 0 ? -1 : 0;
}

static int
insert_payload(struct sqlite_store *s, const struct store_payload *p,
	       const char *outcome, const char *reason, sqlite3_int64 report,
	       struct error *err)
{
	sqlite3_stmt *st = s->st[ST_PAYLOAD];
	const struct origin *o = p->origin;
	int rc;

	sqlite3_bind_int64(st, 1, p->received_at);
	bind_text(st, 2, o->source);
	bind_text(st, 3, o->peer);
	bind_text(st, 4, o->user_agent);
	bind_text(st, 5, o->message_id);
	bind_text(st, 6, o->path);
	bind_text(st, 7, o->part);
	bind_text(st, 8, p->encoding);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)p->size);
	sqlite3_bind_blob64(st, 10, p->len ? p->data : "", p->len,
	    SQLITE_STATIC);
	bind_text(st, 11, outcome);
	bind_text(st, 12, reason);
	if (report > 0)
		sqlite3_bind_int64(st, 13, report);
	else
		sqlite3_bind_null(st, 13);
	bind_text(st, 14, o->dkim_domain);
	if (p->kept < p->size)
		sqlite3_bind_int64(st, 15, (sqlite3_int64)p->kept);
	else
		sqlite3_bind_null(st, 15);
	bind_text(st, 16, p->sha256);
	rc = run(s, ST_PAYLOAD, err);
	sqlite3_reset(st);
	return rc < 0 ? -1 : 0;
}

/*
 * The payload row of a put: a new one, or, for a row of the quarantine
 * parsed again, that row changed in place (rejected with another reason,
 * or the payload of its report now).
 */
static int
put_payload(struct sqlite_store *s, const struct store_payload *p,
	    const char *outcome, const char *reason, sqlite3_int64 report,
	    struct error *err)
{
	sqlite3_stmt *st;

	if (p->replaces == 0)
		return insert_payload(s, p, outcome, reason, report, err);
	if (reason != NULL) {
		st = s->st[ST_REASON];
		bind_text(st, 1, reason);
		sqlite3_bind_int64(st, 2, p->replaces);
		if (run_change(s, ST_REASON, err) < 0)
			return -1;
	} else {
		st = s->st[ST_REPLACE];
		bind_text(st, 1, outcome);
		sqlite3_bind_int64(st, 2, report);
		sqlite3_bind_int64(st, 3, p->replaces);
		if (run_change(s, ST_REPLACE, err) < 0)
			return -1;
	}
	if (sqlite3_changes(s->db) != 1)
		return error_set(err, ERR_INPUT, "row %lld is not in the "
		    "quarantine", (long long)p->replaces);
	return 0;
}

/* The n values of a row (store_backend.h) as st's parameters 1 to n. */
static void
bind_values(sqlite3_stmt *st, const struct store_value *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		switch (v[i].kind) {
		case STORE_NULL:
			sqlite3_bind_null(st, i + 1);
			break;
		case STORE_INT:
			sqlite3_bind_int64(st, i + 1, v[i].i);
			break;
		case STORE_TEXT:
			bind_text(st, i + 1, v[i].s);
			break;
		}
}

/* A policy row of report, and its failure rows. */
static int
insert_policy(struct sqlite_store *s, sqlite3_int64 report,
	      const struct store_row_report *r,
	      const struct store_row_policy *p, struct error *err)
{
	sqlite3_stmt *st = s->st[ST_POLICY], *fs = s->st[ST_FAILURE];
	struct store_value v[STORE_POLICY_VALUES], fv[STORE_FAILURE_VALUES];
	sqlite3_int64 policy;
	size_t i;
	int rc = -1;

	store_policy_values(report, r, p, v);
	bind_values(st, v, STORE_POLICY_VALUES);
	if (run(s, ST_POLICY, err) < 0)
		goto done;
	sqlite3_reset(st);
	policy = sqlite3_last_insert_rowid(s->db);

	for (i = 0; i < p->nfailures; i++) {
		store_failure_values(policy, &p->failures[i], fv);
		bind_values(fs, fv, STORE_FAILURE_VALUES);
		if (run(s, ST_FAILURE, err) < 0)
			goto done;
		sqlite3_reset(fs);
	}
	rc = 0;
done:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* A transaction (store_backend.h), or a savepoint of the open one. */
static int
sqlite_begin(void *be, int nested, struct error *err)
{
	return run_change(be, nested ? ST_SAVEPOINT : ST_BEGIN, err);
}

/*
 * The per-day aggregates and the domain index are folded in before the
 * COMMIT of a transaction that stored a report, unless the writer folds
 * them (s->defer). A rejected put, a duplicate or a quarantined row adds
 * nothing to fold: planning a fold for each would be work for nothing.
 */
static int
sqlite_commit(void *be, int nested, struct error *err)
{
	struct sqlite_store *s = be;

	if (nested)
		return run_change(s, ST_RELEASE, err);
	if (s->unfolded && !s->defer &&
	    sqlite_fold_run(s->fold, 1, err) < 0)
		return -1;
	if (run_change(s, ST_COMMIT, err) < 0)
		return -1;
	s->unfolded = 0;
	return 0;
}

static void
sqlite_rollback(void *be, int nested)
{
	struct sqlite_store *s = be;

	if (!nested)
		s->unfolded = 0;
	if (sqlite3_get_autocommit(s->db))
		return;
	if (nested) {
		sqlite3_step(s->st[ST_ROLLBACK_TO]);
		sqlite3_reset(s->st[ST_ROLLBACK_TO]);
		sqlite3_step(s->st[ST_RELEASE]);
		sqlite3_reset(s->st[ST_RELEASE]);
		return;
	}
	sqlite3_step(s->st[ST_ROLLBACK]);
	sqlite3_reset(s->st[ST_ROLLBACK]);
}

/*
 * The writer threads run: checkpoints move to a thread of their own, and
 * the per-day aggregates and the domain index are folded by
 * sqlite_fold_slice() instead of in each report's transaction. What was
 * left to fold (a crash before it could) is due at once.
 */
static int
sqlite_start_writer(void *be, struct error *err)
{
	struct sqlite_store *s = be;
	sqlite3_stmt *range = s->st[ST_FOLD_RANGE];

	if (run(s, ST_FOLD_RANGE, err) != SQLITE_ROW)
		return -1;
	s->folded = sqlite3_column_int64(range, 0);
	s->stored = sqlite3_column_int64(range, 1);
	sqlite3_reset(range);
	if (start_checkpointer(s, err) < 0)
		return -1;
	s->defer = 1;
	return 0;
}

static size_t
sqlite_due(void *be)
{
	struct sqlite_store *s = be;

	return s->stored > s->folded ? (size_t)(s->stored - s->folded) : 0;
}

/* One slice of the fold, a transaction of its own. */
static int
sqlite_fold_slice(void *be, struct error *err)
{
	struct sqlite_store *s = be;
	int64_t before = s->folded;
	int rc;

	if (run_change(s, ST_BEGIN, err) < 0)
		return -1;
	rc = sqlite_fold_run(s->fold, 0, err);
	if (rc < 0 || run_change(s, ST_COMMIT, err) < 0) {
		sqlite_rollback(s, 0);
		sqlite_fold_undone(s->fold);
		return -1;
	}
	s->folded = sqlite_fold_committed(s->fold);
	/*
	 * Nothing to fold: the file holds no report past daily_upto,
	 * whatever this connection counted. A group whose commit failed had
	 * counted its reports; without this the writer would fold nothing
	 * for ever.
	 */
	if (rc == 0 && s->folded == before)
		s->stored = s->folded;
	if (s->stored < s->folded)
		s->stored = s->folded;
	return rc;
}

static void
bind_identity(sqlite3_stmt *st, const struct store_row_report *r)
{
	bind_text(st, 1, r->organization_name);
	bind_text(st, 2, r->report_id);
	sqlite3_bind_int64(st, 3, r->start_time);
	sqlite3_bind_int64(st, 4, r->end_time);
}

/*
 * Which copies of r's identity the store holds (doc/identity.md): none
 * (new), one of the same content (a duplicate of it), or only others (a
 * conflict with the first of them); two lookups through the index
 * report_copy, however many copies there are. A first copy stored before
 * migration 007 has no digest: it is taken from its rows now, and kept.
 */
static int
find_copies(struct sqlite_store *s, const struct store_row_report *r,
	    struct store_put_result *res, struct error *err)
{
	sqlite3_stmt *st = s->st[ST_FIRST], *same = s->st[ST_SAME];
	char digest[STORE_DIGEST_HEX + 1];
	const char *d;
	int rc;

	memset(res, 0, sizeof(*res));
	bind_identity(st, r);
	if ((rc = run(s, ST_FIRST, err)) < 0)
		return -1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	res->first = sqlite3_column_int64(st, 0);
	res->first_received = sqlite3_column_int64(st, 2);
	d = (const char *)sqlite3_column_text(st, 1);
	/* Not a digest of ours: matches none, as a conflict. */
	if (fmt_whole(digest, sizeof(digest), "%s", d ? d : "") < 0)
		digest[0] = '\0';
	sqlite3_reset(st);
	if (d == NULL) {
		if (store_sqlite_report_digest(s->db, res->first, digest,
		    err) < 0)
			return -1;
		bind_text(s->st[ST_DIGEST], 1, digest);
		sqlite3_bind_int64(s->st[ST_DIGEST], 2, res->first);
		if (run_change(s, ST_DIGEST, err) < 0)
			return -1;
	}
	if (strcmp(digest, r->digest) == 0) {
		res->kind = STORE_PUT_DUPLICATE;
		res->report = res->first;
		res->first = res->first_received = 0;
		return 0;
	}
	bind_identity(same, r);
	bind_text(same, 5, r->digest);
	if ((rc = run(s, ST_SAME, err)) < 0)
		return -1;
	if (rc == SQLITE_ROW) {
		res->kind = STORE_PUT_DUPLICATE;
		res->report = sqlite3_column_int64(same, 0);
		res->first = res->first_received = 0;
	} else {
		res->kind = STORE_PUT_CONFLICT;
	}
	sqlite3_reset(same);
	return 0;
}

static int
sqlite_put_report(void *be, const struct store_payload *p,
		  const struct store_row_report *r,
		  struct store_put_result *res, struct error *err)
{
	struct sqlite_store *s = be;
	sqlite3_stmt *st = s->st[ST_REPORT], *mark = s->st[ST_MARK];
	sqlite3_int64 report;
	size_t i;

	if (find_copies(s, r, res, err) < 0)
		return -1;
	if (res->kind == STORE_PUT_DUPLICATE)
		return put_payload(s, p, "duplicate", NULL, res->report, err);
	bind_identity(st, r);
	bind_text(st, 5, r->contact_info);
	sqlite3_bind_int64(st, 6, p->received_at);
	bind_text(st, 7, r->digest);
	if (res->first > 0)
		sqlite3_bind_int64(st, 8, res->first);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int(st, 9, res->first > 0);
	if (run_change(s, ST_REPORT, err) < 0)
		return -1;
	report = sqlite3_last_insert_rowid(s->db);
	if (res->first > 0) {
		sqlite3_bind_int64(mark, 1, res->first);
		if (run_change(s, ST_MARK, err) < 0)
			return -1;
	}
	for (i = 0; i < r->npolicies; i++)
		if (insert_policy(s, report, r, &r->policies[i], err) < 0)
			return -1;
	if (put_payload(s, p, "accepted", NULL, report, err) < 0)
		return -1;
	/* Counted before the COMMIT: should it fail, sqlite_fold_slice()
	 * finds nothing to fold and counts again. */
	if (s->stored < report)
		s->stored = report;
	s->unfolded = 1;
	res->report = report;
	return 0;
}

static int
sqlite_put_rejected(void *be, const struct store_payload *p,
		    const char *reason, struct error *err)
{
	return put_payload(be, p, "rejected", reason, 0, err);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.put_report = sqlite_put_report,
	.put_rejected = sqlite_put_rejected,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.whole_groups = 1,
	.flush = sqlite_flush,
	.start_writer = sqlite_start_writer,
	.due = sqlite_due,
	.fold = sqlite_fold_slice,
	.read = &store_sqlite_read_ops,
	.copy_put = NULL,
	.prune = store_sqlite_prune,
};
