/*
 * store_pg_prune: the PostgreSQL backend's transaction of a retention
 * pass (store_retention.h, store_backend.h's prune op).
 *
 * The reports that ended before the cut are walked by (end_time, id)
 * through the index report_end (migration 006), WALK at a time, each
 * with the count of the rows that name it. As many as the transaction
 * may remove go in one statement, with their failure details, policies
 * and payloads (the schema's references are checked at its end): a
 * statement each would make a pass a round trip to the server per row.
 * A first copy goes only with every other copy of its identity, which
 * names it. A report of more rows than a transaction takes goes as on
 * SQLite (store_sqlite_prune.c), in bounded runs over several, its
 * failure details first, a first copy after its other copies. Then the
 * payloads received before the cut go, oldest row first. The per-day
 * aggregates are upserted with each put, so every report stored may go.
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

#include "store_pg.h"
#include "banned.h"

/* pg_try_advisory_xact_lock() key of the retention passes: "TLSP". */
#define PRUNE_LOCK	"1414288208"

static const char sql_prune_lock[] =
    "SELECT pg_try_advisory_xact_lock(" PRUNE_LOCK ")::int";
/*
 * Every statement of a pass reads through an index, and is short: for
 * the transaction only, the planner is told so. Told by statistics taken
 * before a bulk import that the tables are small, it would read every
 * failure detail to count a report's; and a walk whose counts it thinks
 * costly would be compiled (JIT) each time, half a second for a few
 * milliseconds of work (a pass of 20,000 reports took 36 s, 1.7 s
 * without).
 */
static const char sql_plans[] =
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('enable_bitmapscan', 'off', true), "
    "set_config('enable_hashjoin', 'off', true), "
    "set_config('jit', 'off', true)";
static const char sql_identity_lock[] =
    "SELECT pg_try_advisory_xact_lock(" PG_IDENTITY_LOCK ", $1::integer)::int";
/* Reports the walk reads at a time. */
#define WALK	256
#define WALK_TEXT "256"

/*
 * The next reports past ($2, $3) that ended before the cut $1, each with
 * the rows that go with it. Each count is a lookup through the index of
 * its parent, whatever the statistics of the tables say (a join could
 * read every failure detail for each report).
 */
static const char sql_walk[] =
    "SELECT r.id, r.end_time, r.first, r.organization_name, r.report_id, "
    "r.start_time, "
    "COALESCE((SELECT sum((SELECT count(*) FROM failure f "
    "WHERE f.policy = p.id) + 1) FROM policy p WHERE p.report = r.id), 0) + "
    "(SELECT count(*) FROM payload y WHERE y.report = r.id) + 1 "
    "FROM (SELECT id, end_time, (first_copy IS NULL)::int AS first, "
    "organization_name, report_id, start_time FROM report "
    "WHERE end_time < $1 AND (end_time, id) > ($2, $3) "
    "ORDER BY end_time, id LIMIT " WALK_TEXT ") r ORDER BY r.end_time, r.id";
static const char sql_locks[] =
    "SELECT pg_try_advisory_xact_lock(" PG_IDENTITY_LOCK ", k)::int "
    "FROM unnest($1::integer[]) WITH ORDINALITY AS t(k, n) ORDER BY n";
/* The first copies of $1 named by a copy not in $2. */
static const char sql_outside[] =
    "SELECT DISTINCT first_copy FROM report WHERE "
    "first_copy = ANY ($1::bigint[]) AND NOT id = ANY ($2::bigint[])";
/* Reports $1 and the rows that name them, through their indexes. */
static const char sql_remove[] =
    "WITH f AS (DELETE FROM failure WHERE policy = ANY (ARRAY(SELECT id "
    "FROM policy WHERE report = ANY ($1::bigint[]))) RETURNING 1), "
    "p AS (DELETE FROM policy WHERE report = ANY ($1::bigint[]) "
    "RETURNING 1), "
    "y AS (DELETE FROM payload WHERE report = ANY ($1::bigint[]) "
    "RETURNING 1), "
    "d AS (DELETE FROM report WHERE id = ANY ($1::bigint[]) RETURNING 1) "
    "SELECT (SELECT count(*) FROM f) + (SELECT count(*) FROM p), "
    "(SELECT count(*) FROM y), (SELECT count(*) FROM d)";
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
};

/* Run sql with a (released); its result, or NULL with err set. */
static PGresult *
run(struct prune *pr, const char *sql, struct pg_args *a, struct error *err)
{
	PGresult *res = pg_exec(pr->s, sql, a, "removing old rows", err);

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

/*
 * Report id and every row that names it, as far as the transaction may
 * go: 1 when it is gone, 0 when the next transaction goes on with it.
 */
static int
remove_report(struct prune *pr, int64_t id, struct error *err)
{
	int64_t n;

	if ((n = delete_of(pr, sql_failures, id, pr->pass->left, err)) < 0)
		return -1;
	if (store_prune_spent(pr->pass, n))
		return 0;
	if ((n = delete_of(pr, sql_policies, id, pr->pass->left, err)) < 0)
		return -1;
	if (store_prune_spent(pr->pass, n))
		return 0;
	if ((n = delete_of(pr, sql_payloads, id, pr->pass->left, err)) < 0)
		return -1;
	pr->pass->counts.payloads += (size_t)n;
	if (store_prune_spent(pr->pass, n))
		return 0;
	if (delete_of(pr, sql_report, id, 0, err) < 0)
		return -1;
	pr->pass->counts.reports++;
	store_prune_spent(pr->pass, 1);
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

/* The identity of row i of the walk. */
static void
identity_of(const PGresult *c, int i, struct store_row_report *r)
{
	memset(r, 0, sizeof(*r));
	r->organization_name = pg_str(c, i, 3);
	r->report_id = pg_str(c, i, 4);
	r->start_time = pg_int(c, i, 5);
	r->end_time = pg_int(c, i, 1);
}

/*
 * Report i of the walk c, in bounded runs (a report of more rows than a
 * transaction takes): with its identity's lock, or left to the next pass
 * when a put holds it. A first copy goes after the other copies, the
 * newest first.
 */
static int
remove_copy(struct prune *pr, const PGresult *c, int i, struct error *err)
{
	struct store_row_report r;
	struct pg_args a;
	int64_t got, id = pg_int(c, i, 0), copy;
	int rc;

	identity_of(c, i, &r);
	pg_args_init(&a);
	pg_arg_int(&a, pg_identity_key(&r));
	if (number(pr, sql_identity_lock, &a, &got, err) < 0)
		return -1;
	if (!got)
		return 1;
	while (pg_int(c, i, 2)) {
		pg_args_identity(&a, &r);
		pg_arg_int(&a, id);
		if (number(pr, sql_copy, &a, &copy, err) < 0)
			return -1;
		if (copy == 0)
			break;
		if ((rc = remove_report(pr, copy, err)) <= 0)
			return rc;
		if (pr->pass->left <= 0)
			return 0;
	}
	return remove_report(pr, id, err);
}

/* Run sql with arrays (v2 NULL: one) as its parameters. */
static PGresult *
run_arrays(struct prune *pr, const char *sql, const int64_t *v1, size_t n1,
	   const int64_t *v2, size_t n2, struct error *err)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_ints(&a, v1, n1);
	if (v2 != NULL)
		pg_arg_ints(&a, v2, n2);
	return run(pr, sql, &a, err);
}

/*
 * The reports of the walk c (n rows) in one statement, as many as the
 * budget takes, in order; got[i] whether the lock of row i's identity is
 * held. *last is the last row passed (-1: none): removed, or left to
 * the next pass. A first copy named by a copy the statement leaves is
 * left too, and the walk goes back before it. 1 when a report could not
 * go that way (too many rows, or a first copy whose copies do not fit):
 * *last then stops before it.
 */
static int
remove_walked(struct prune *pr, const PGresult *c, int n, const int *got,
	      int *last, struct error *err)
{
	int64_t *ids = calloc((size_t)n, sizeof(*ids));
	int64_t *firsts = calloc((size_t)n, sizeof(*firsts));
	int64_t rows, left = pr->pass->left;
	size_t nid = 0, nfirst = 0, k;
	PGresult *res = NULL;
	int i, j, rc = -1, stopped = 0;

	if (ids == NULL || firsts == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	*last = -1;
	for (i = 0; i < n; i++) {
		if (!got[i]) {
			*last = i;
			continue;
		}
		if ((rows = pg_int(c, i, 6)) > left) {
			stopped = 1;
			break;
		}
		left -= rows;
		ids[nid++] = pg_int(c, i, 0);
		if (pg_int(c, i, 2))
			firsts[nfirst++] = pg_int(c, i, 0);
		*last = i;
	}
	if (nfirst > 0) {
		if ((res = run_arrays(pr, sql_outside, firsts, nfirst, ids, nid,
		    err)) == NULL)
			goto done;
		for (j = 0; j < PQntuples(res); j++) {
			int64_t first = pg_int(res, j, 0);

			for (k = 0; k < nid && ids[k] != first; k++)
				;
			if (k == nid)
				continue;
			ids[k] = ids[--nid];
			for (i = 0; pg_int(c, i, 0) != first; i++)
				;
			if (i - 1 < *last) {
				*last = i - 1;
				stopped = 1;
			}
		}
		PQclear(res);
		res = NULL;
	}
	if (nid > 0) {
		if ((res = run_arrays(pr, sql_remove, ids, nid, NULL, 0,
		    err)) == NULL)
			goto done;
		rows = pg_int(res, 0, 0) + pg_int(res, 0, 1) + pg_int(res, 0, 2);
		pr->pass->counts.payloads += (size_t)pg_int(res, 0, 1);
		pr->pass->counts.reports += (size_t)pg_int(res, 0, 2);
		store_prune_spent(pr->pass, rows);
	}
	rc = stopped && nid == 0;
done:
	PQclear(res);
	free(ids);
	free(firsts);
	return rc;
}

/* The reports that ended before the cut, as far as the budget goes. */
static int
prune_reports(struct prune *pr, struct error *err)
{
	struct store_prune_pass *pass = pr->pass;
	struct store_row_report r;
	int64_t keys[WALK];
	int got[WALK], n, i, last, rc;
	struct pg_args a;
	PGresult *c, *l;

	while (pr->pass->left > 0) {
		pg_args_init(&a);
		pg_arg_int(&a, pass->before);
		pg_arg_int(&a, pass->end);
		pg_arg_int(&a, pass->id);
		if ((c = run(pr, sql_walk, &a, err)) == NULL)
			return -1;
		if ((n = PQntuples(c)) == 0) {
			PQclear(c);
			pass->phase = STORE_PRUNE_PAYLOADS;
			return 0;
		}
		for (i = 0; i < n; i++) {
			identity_of(c, i, &r);
			keys[i] = pg_identity_key(&r);
		}
		if ((l = run_arrays(pr, sql_locks, keys, (size_t)n, NULL, 0,
		    err)) == NULL || PQntuples(l) != n) {
			if (l != NULL)
				error_set(err, ERR_INTERNAL, "removing old "
				    "rows: the identities' locks");
			PQclear(l);
			PQclear(c);
			return -1;
		}
		for (i = 0; i < n; i++)
			got[i] = (int)pg_int(l, i, 0);
		PQclear(l);
		rc = remove_walked(pr, c, n, got, &last, err);
		if (rc > 0) {
			/* The next report goes on its own, in runs. */
			for (i = last + 1; i < n && !got[i]; i++)
				;
			if (i < n && (rc = remove_copy(pr, c, i, err)) >= 0)
				last = rc > 0 ? i : i - 1;
			rc = rc < 0 ? -1 : 1;
		}
		if (rc >= 0 && last >= 0) {
			pass->end = pg_int(c, last, 1);
			pass->id = pg_int(c, last, 0);
		}
		PQclear(c);
		if (rc < 0)
			return -1;
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

	while (pr->pass->left > 0) {
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
		store_prune_spent(pr->pass, 1);
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
	struct prune pr = { .s = be, .pass = pass };
	struct pg_args a;
	int64_t got;

	store_prune_begin(pass);
	if (pg_ensure(pr.s, err) < 0 || tx(&pr, "BEGIN", err) < 0)
		return -1;
	pg_args_init(&a);
	if (number(&pr, sql_prune_lock, &a, &got, err) < 0)
		goto undo;
	if (!got) {
		/* Another node prunes now: the pass is its. */
		pass->phase = STORE_PRUNE_DONE;
	} else if (number(&pr, sql_plans, &a, &got, err) < 0 ||
	    (pass->phase == STORE_PRUNE_REPORTS &&
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
