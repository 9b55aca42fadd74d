/*
 * store_pg: what the two halves of the PostgreSQL backend share: the
 * writer (store_pg.c: connection, migrations, puts, the copy, the ops
 * table) and the reader (store_pg_read.c: the table of the read ops).
 * Only they include this.
 *
 * One connection per open store, used by one thread at a time (store.c
 * serialises it). Every statement is prepared on the connection, again
 * after a reconnect; parameters go as text, the payload as binary.
 */
#ifndef TLSRPT_STORE_PG_H
#define TLSRPT_STORE_PG_H

#include <libpq-fe.h>

#include "store_backend.h"

/* pg_advisory_xact_lock() class of the identities' locks: "TLSI". */
#define PG_IDENTITY_LOCK	"1414288201"

enum pg_stmt {
	PG_BEGIN, PG_COMMIT, PG_ROLLBACK, PG_SAVEPOINT, PG_RELEASE,
	PG_ROLLBACK_TO, PG_PAYLOAD, PG_LOCK, PG_FIRST, PG_SAME, PG_MARK,
	PG_DIGEST, PG_ROW_POLICIES, PG_ROW_FAILURES, PG_REPORT, PG_POLICY,
	PG_FAILURE, PG_COPIED, PG_DAILY,
	PG_EV_POLICIES, PG_EV_FAILURES, PG_EV_LAST, PG_DOMAINS,
	PG_READ_DOMAINS, PG_DOMAIN_PAGE, PG_READ_TOTALS, PG_READ_TYPES,
	PG_CHANGES, PG_QUARANTINE,
	PG_STMT_COUNT
};

struct pg_store {
	PGconn *conn;
	char *uri;
	char *label;		/* for messages: no password in it */
	int migrated;		/* the schema is there to prepare for */
	int prepared;		/* the statements exist on the connection */
	int tx;			/* a transaction of pg_begin() is open */
	unsigned epoch;		/* connections made so far */
	unsigned tx_epoch;	/* the connection it began on */
	/* The reports new in the open transaction, whose per-day
	 * aggregates are upserted just before its COMMIT; mark is the
	 * count before the open put (undone with its savepoint). */
	int64_t *daily;
	size_t ndaily, daily_cap, daily_mark;
};

#define PG_ARGS_MAX 20

/* The parameters of one statement, valid until pg_args_release(). */
struct pg_args {
	const char *v[PG_ARGS_MAX];
	int len[PG_ARGS_MAX], fmt[PG_ARGS_MAX];
	char *owned[PG_ARGS_MAX];
	char num[PG_ARGS_MAX][24];
	int n, nomem;
};

void pg_args_init(struct pg_args *a);
/* Text, made valid UTF-8 (a byte that is not becomes '?'); NULL is NULL. */
void pg_arg_text(struct pg_args *a, const char *v);
void pg_arg_int(struct pg_args *a, int64_t v);
void pg_arg_null(struct pg_args *a);
/* An array of numbers ("{1,2,3}", for a $n::bigint[] or integer[]). */
void pg_arg_ints(struct pg_args *a, const int64_t *v, size_t n);
void pg_arg_bytes(struct pg_args *a, const void *p, size_t len);
void pg_args_release(struct pg_args *a);

/*
 * Connect when the connection is gone (a restart of the server), and
 * prepare the statements; ERR_BUSY while the server cannot be reached.
 * Never inside a transaction: what it held is gone with the connection.
 */
int pg_ensure(struct pg_store *s, struct error *err);

/*
 * Run a prepared statement; its result (the caller PQclear()s it), or
 * NULL with err set (ERR_BUSY for what may pass).
 */
PGresult *pg_run(struct pg_store *s, enum pg_stmt which,
		 const struct pg_args *a, struct error *err);

/*
 * Run sql (of this program: a retention pass's or the outbox's, which
 * run too seldom to be prepared on every connection), with a as its
 * parameters; the result as pg_run() gives it, a failure named by what.
 */
PGresult *pg_exec(struct pg_store *s, const char *sql,
		  const struct pg_args *a, const char *what,
		  struct error *err);

/*
 * The key of the advisory lock of a report's identity (32 bits of it):
 * a put holds it while it decides and stores a copy (store_pg.c).
 */
int64_t pg_identity_key(const struct store_row_report *r);

/*
 * a, begun anew, with a report's identity as its first four parameters
 * (organization-name, report-id, start, end), as the statements that
 * look copies up take it.
 */
void pg_args_identity(struct pg_args *a, const struct store_row_report *r);

/* A column as a number; 0 when NULL. */
int64_t pg_int(const PGresult *res, int row, int col);
/* A column as a string; NULL when NULL. */
const char *pg_str(const PGresult *res, int row, int col);

extern const struct store_read_ops store_pg_read_ops;

/* One transaction of a retention pass (store_pg_prune.c). */
int store_pg_prune(void *be, struct store_prune_pass *pass,
		   struct error *err);

#endif
