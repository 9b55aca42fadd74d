/*
 * store_pg_prune: the PostgreSQL backend's transaction of a retention
 * pass (store_retention.h, store_backend.h's prune op).
 *
 * As on SQLite (store_sqlite_prune.c): the reports are walked by
 * (end_time, id) through the index report_end, each removed with its
 * failure details, its policies and the payloads that name it, in that
 * order (the schema's references are checked here), a first copy after
 * its other copies; then the payloads received before the cut, oldest
 * row first. The per-day aggregates are upserted with each put, so every
 * report stored may go.
 *
 * Several nodes share the store: each transaction first takes the
 * prune lock, or leaves the pass to the node that holds it; and takes
 * the lock of each identity it removes a copy of (store_pg.c), or leaves
 * that identity to the next pass when a put of a copy of it holds the
 * lock. A put never waits for a pass, and never names a report a pass
 * has removed: it decides after the removal is committed.
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "store_pg.h"
#include "banned.h"

/* pg_try_advisory_xact_lock() key of the retention passes: "TLSP". */
#define PRUNE_LOCK	"1414288208"

static const char sql_prune_lock[] =
    "SELECT pg_try_advisory_xact_lock(" PRUNE_LOCK ")::int";
static const char sql_identity_lock[] =
    "SELECT pg_try_advisory_xact_lock(" PG_IDENTITY_LOCK ", $1::integer)::int";
/* The next report past ($2, $3) that ended before the cut $1. */
static const char sql_next[] =
    "SELECT id, end_time, (first_copy IS NULL)::int, organization_name, "
    "report_id, start_time FROM report WHERE end_time < $1 AND "
    "(end_time, id) > ($2, $3) ORDER BY end_time, id LIMIT 1";
static const char sql_copy[] =
    "SELECT id FROM report WHERE organization_name = $1 AND "
    "report_id = $2 AND start_time = $3 AND end_time = $4 AND id <> $5 "
    "ORDER BY id DESC LIMIT 1";
static const char sql_failures[] =
    "DELETE FROM failure WHERE id IN (SELECT f.id FROM policy p "
    "JOIN failure f ON f.policy = p.id WHERE p.report = $1 LIMIT $2)";
static const char sql_policies[] =
    "DELETE FROM policy WHERE id IN (SELECT id FROM policy "
    "WHERE report = $1 LIMIT $2)";
static const char sql_payloads[] =
    "DELETE FROM payload WHERE id IN (SELECT id FROM payload "
    "WHERE report = $1 LIMIT $2)";
static const char sql_report[] = "DELETE FROM report WHERE id = $1";
static const char sql_oldest[] =
    "SELECT id, received_at, (outcome = 'rejected')::int FROM payload "
    "ORDER BY id LIMIT 1";
static const char sql_payload[] = "DELETE FROM payload WHERE id = $1";

struct prune {
	struct pg_store *s;
	struct store_prune_pass *pass;
	int64_t left;		/* rows this transaction may still remove */
};

/* Run sql with a (released); its result, or NULL with err set. */
static PGresult *
run(struct prune *pr, const char *sql, struct pg_args *a, struct error *err)
{
	PGresult *res = pg_exec(pr->s, sql, a, err);

	pg_args_release(a);
	return res;
}

/* Run a statement that removes rows; how many, or -1. */
static int64_t
removed(struct prune *pr, const char *sql, struct pg_args *a,
	struct error *err)
{
	PGresult *res = run(pr, sql, a, err);
	int64_t n;

	if (res == NULL)
		return -1;
	n = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return n;
}

/* A DELETE of at most limit rows naming report id, or of row id. */
static int64_t
delete_of(struct prune *pr, const char *sql, int64_t id, int64_t limit,
	  struct error *err)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_int(&a, id);
	if (limit > 0)
		pg_arg_int(&a, limit);
	return removed(pr, sql, &a, err);
}

/* Count n rows removed; true when the transaction may remove no more. */
static int
spent(struct prune *pr, int64_t n)
{
	pr->left -= n;
	pr->pass->counts.rows += (size_t)n;
	return pr->left <= 0;
}

/*
 * Report id and every row that names it, as far as the transaction may
 * go: 1 when it is gone, 0 when the next transaction goes on with it.
 */
static int
remove_report(struct prune *pr, int64_t id, struct error *err)
{
	int64_t n;

	if ((n = delete_of(pr, sql_failures, id, pr->left, err)) < 0)
		return -1;
	if (spent(pr, n))
		return 0;
	if ((n = delete_of(pr, sql_policies, id, pr->left, err)) < 0)
		return -1;
	if (spent(pr, n))
		return 0;
	if ((n = delete_of(pr, sql_payloads, id, pr->left, err)) < 0)
		return -1;
	pr->pass->counts.payloads += (size_t)n;
	if (spent(pr, n))
		return 0;
	if (delete_of(pr, sql_report, id, 0, err) < 0)
		return -1;
	pr->pass->counts.reports++;
	spent(pr, 1);
	return 1;
}

/* A one-row, one-column query's number; 0 when it has no row. */
static int
number(struct prune *pr, const char *sql, struct pg_args *a, int64_t *v,
       struct error *err)
{
	PGresult *res = run(pr, sql, a, err);

	if (res == NULL)
		return -1;
	*v = PQntuples(res) > 0 ? pg_int(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

/*
 * A report of the walk (row c, first copy or not, of the identity r):
 * with its identity's lock, or left to the next pass when a put holds
 * it. A first copy goes after the other copies, the newest first.
 */
static int
remove_copy(struct prune *pr, const PGresult *c,
	    const struct store_row_report *r, struct error *err)
{
	struct pg_args a;
	int64_t got, id = pg_int(c, 0, 0), copy;
	int rc;

	pg_args_init(&a);
	pg_arg_int(&a, pg_identity_key(r));
	if (number(pr, sql_identity_lock, &a, &got, err) < 0)
		return -1;
	if (!got)
		return 1;
	while (pg_int(c, 0, 2)) {
		pg_args_init(&a);
		pg_arg_text(&a, r->organization_name);
		pg_arg_text(&a, r->report_id);
		pg_arg_int(&a, r->start_time);
		pg_arg_int(&a, r->end_time);
		pg_arg_int(&a, id);
		if (number(pr, sql_copy, &a, &copy, err) < 0)
			return -1;
		if (copy == 0)
			break;
		if ((rc = remove_report(pr, copy, err)) <= 0)
			return rc;
		if (pr->left <= 0)
			return 0;
	}
	return remove_report(pr, id, err);
}

/* The reports that ended before the cut, as far as the budget goes. */
static int
prune_reports(struct prune *pr, struct error *err)
{
	struct store_prune_pass *pass = pr->pass;
	struct store_row_report r;
	struct pg_args a;
	PGresult *c;
	int rc;

	while (pr->left > 0) {
		pg_args_init(&a);
		pg_arg_int(&a, pass->before);
		pg_arg_int(&a, pass->end);
		pg_arg_int(&a, pass->id);
		if ((c = run(pr, sql_next, &a, err)) == NULL)
			return -1;
		if (PQntuples(c) == 0) {
			PQclear(c);
			pass->phase = STORE_PRUNE_PAYLOADS;
			return 0;
		}
		memset(&r, 0, sizeof(r));
		r.organization_name = pg_str(c, 0, 3);
		r.report_id = pg_str(c, 0, 4);
		r.start_time = pg_int(c, 0, 5);
		r.end_time = pg_int(c, 0, 1);
		rc = remove_copy(pr, c, &r, err);
		if (rc > 0) {
			pass->end = r.end_time;
			pass->id = pg_int(c, 0, 0);
		}
		PQclear(c);
		if (rc <= 0)
			return rc;
	}
	return 0;
}

/* The payloads received before the cut, oldest row first. */
static int
prune_payloads(struct prune *pr, struct error *err)
{
	struct pg_args a;
	PGresult *res;
	int64_t id, received, rejected;

	while (pr->left > 0) {
		pg_args_init(&a);
		if ((res = run(pr, sql_oldest, &a, err)) == NULL)
			return -1;
		if (PQntuples(res) == 0 ||
		    (received = pg_int(res, 0, 1)) >= pr->pass->before) {
			PQclear(res);
			pr->pass->phase = STORE_PRUNE_DONE;
			return 0;
		}
		id = pg_int(res, 0, 0);
		rejected = pg_int(res, 0, 2);
		PQclear(res);
		if (delete_of(pr, sql_payload, id, 0, err) < 0)
			return -1;
		pr->pass->counts.payloads++;
		pr->pass->counts.rejected += rejected != 0;
		spent(pr, 1);
	}
	return 0;
}

/* A statement of the transaction itself: BEGIN, COMMIT, ROLLBACK. */
static int
tx(struct prune *pr, const char *sql, struct error *err)
{
	struct pg_args a;
	PGresult *res;
	int ok;

	pg_args_init(&a);
	if ((res = run(pr, sql, &a, err)) == NULL)
		return -1;
	ok = strcmp(sql, "COMMIT") != 0 ||
	    strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!ok)
		return error_set(err, ERR_BUSY, "%s: the transaction was "
		    "rolled back", pr->s->label);
	return 0;
}

int
store_pg_prune(void *be, struct store_prune_pass *pass, struct error *err)
{
	struct store_prune_pass before = *pass;
	struct prune pr = { .s = be, .pass = pass, .left = BOUND_PRUNE_ROWS };
	struct pg_args a;
	int64_t got;

	if (pg_ensure(pr.s, err) < 0 || tx(&pr, "BEGIN", err) < 0)
		return -1;
	pg_args_init(&a);
	if (number(&pr, sql_prune_lock, &a, &got, err) < 0)
		goto undo;
	if (!got) {
		/* Another node prunes now: the pass is its. */
		pass->phase = STORE_PRUNE_DONE;
	} else if ((pass->phase == STORE_PRUNE_REPORTS &&
	    prune_reports(&pr, err) < 0) ||
	    (pass->phase == STORE_PRUNE_PAYLOADS &&
	    prune_payloads(&pr, err) < 0)) {
		goto undo;
	}
	if (tx(&pr, "COMMIT", err) < 0)
		goto undo;
	return pass->phase != STORE_PRUNE_DONE;
undo:
	if (PQstatus(pr.s->conn) == CONNECTION_OK)
		tx(&pr, "ROLLBACK", NULL);
	*pass = before;
	return -1;
}
