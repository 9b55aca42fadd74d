/*
 * store_sqlite_read: the read side of the SQLite backend (store_backend.h):
 * the evidence of a domain through the view domain_policies (migration
 * 005: the folded index policy_by_domain, and the policies of the reports
 * not folded yet), the API's counts, and the export that store_copy()
 * walks. Statements are prepared per call: reads are few and long.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "count.h"
#include "fmt.h"
#include "store_sqlite.h"
#include "banned.h"

static const char sql_policies[] =
    "SELECT p.id, p.report, COALESCE(r.first_copy, r.id), "
    "p.organization_name, p.start_time, "
    "p.end_time, p.policy_type, p.policy_set, p.mode, p.mx_patterns, "
    "p.successful, p.failed "
    "FROM domain_policies d JOIN policy p ON p.id = d.policy "
    "JOIN report r ON r.id = p.report "
    "WHERE d.policy_domain = ?1 AND d.end_time > ?2 AND d.end_time <= ?3 "
    "ORDER BY p.report, p.idx";

/*
 * The newest report of the domain up to the window's end, wherever the
 * window starts (evidence.h): the last entry at or before ?2 of the
 * domain index, one step back through its key, and of the policy rows
 * not folded yet (the view domain_policies), which the fold keeps few. A
 * row a fold under way has put in the index already is counted twice,
 * which a maximum does not mind.
 */
static const char sql_last[] =
    "SELECT max(e) FROM ("
    "SELECT max(end_time) AS e FROM policy_by_domain "
    "WHERE policy_domain = ?1 AND end_time <= ?2 UNION ALL "
    "SELECT max(end_time) FROM policy "
    "WHERE report > (SELECT report FROM daily_upto) AND "
    "policy_domain = ?1 AND end_time <= ?2)";

static const char sql_failures[] =
    "SELECT f.policy, f.result_type, f.receiving_mx_hostname, "
    "f.failed_sessions FROM domain_policies d "
    "JOIN failure f ON f.policy = d.policy "
    "WHERE d.policy_domain = ?1 AND d.end_time > ?2 AND d.end_time <= ?3 "
    "ORDER BY f.policy, f.id";

/* The counts op's: a name and three counts a row. */
static const char sql_domains[] =
    "SELECT d.policy_domain, COUNT(DISTINCT r.id), "
    "MIN(r.start_time), MAX(r.end_time) "
    "FROM domain_policies d JOIN policy p ON p.id = d.policy "
    "JOIN report r ON r.id = p.report "
    "WHERE d.policy_domain <> '' "
    "GROUP BY d.policy_domain ORDER BY d.policy_domain";

static const char sql_types[] =
    "SELECT p.policy_type, COUNT(DISTINCT p.report), "
    COUNT_SUM_SQLITE("p.successful") ", " COUNT_SUM_SQLITE("p.failed")
    " FROM domain_policies d JOIN policy p ON p.id = d.policy "
    "WHERE d.policy_domain = ? "
    "GROUP BY p.policy_type ORDER BY p.policy_type";

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Prepare sql on the store's connection; -1 with err set. */
static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct error *err)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return store_sqlite_fail(db, rc, "reading the store", err);
	return 0;
}

/* sql prepared with the window of ev: ?1 its domain, ?2 and ?3 its
 * start and end. -1 with err set, nothing left to finalize. */
static int
prepare_window(sqlite3 *db, const char *sql, const struct evidence *ev,
	       sqlite3_stmt **st, struct error *err)
{
	int rc;

	if (prepare(db, sql, st, err) < 0)
		return -1;
	if ((rc = sqlite3_bind_text(*st, 1, ev->domain, -1, SQLITE_STATIC) |
	    sqlite3_bind_int64(*st, 2, ev->from) |
	    sqlite3_bind_int64(*st, 3, ev->to)) != SQLITE_OK) {
		store_sqlite_fail(db, rc, "reading the store", err);
		sqlite3_finalize(*st);
		return -1;
	}
	return 0;
}

static int
sqlite_evidence(void *be, struct evidence *ev, struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st = NULL;
	int rc;

	if (prepare_window(db, sql_policies, ev, &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (evidence_add_policy(ev, sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		    col(st, 3), sqlite3_column_int64(st, 4),
		    sqlite3_column_int64(st, 5), col(st, 6), col(st, 7),
		    col(st, 8), col(st, 9), sqlite3_column_int64(st, 10),
		    sqlite3_column_int64(st, 11), err) < 0)
			goto fail;
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	if (prepare(db, sql_last, &st, err) < 0)
		return -1;
	if ((rc = sqlite3_bind_text(st, 1, ev->domain, -1, SQLITE_STATIC) |
	    sqlite3_bind_int64(st, 2, ev->to)) != SQLITE_OK)
		goto dberr;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto dberr;
	ev->last_report = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (prepare_window(db, sql_failures, ev, &st, err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (evidence_add_failure(ev, sqlite3_column_int64(st, 0),
		    col(st, 1), col(st, 2), sqlite3_column_int64(st, 3),
		    err) < 0)
			goto fail;
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	return 0;
dberr:
	store_sqlite_fail(db, rc, "reading the store", err);
fail:
	sqlite3_finalize(st);
	return -1;
}

static int
sqlite_domains(void *be, char ***domains, size_t *n,
	       struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	char **v = NULL;
	int rc;

	if (prepare(db, "SELECT policy_domain FROM policy_by_domain "
	    "WHERE policy_domain <> '' GROUP BY 1 UNION "
	    "SELECT policy_domain FROM policy WHERE policy_domain <> '' AND "
	    "report > (SELECT report FROM daily_upto) ORDER BY 1", &st,
	    err) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&v, *n, &alloc, sizeof(*v), 16) < 0)
			goto nomem;
		if ((v[*n] = strdup(col(st, 0))) == NULL)
			goto nomem;
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		store_sqlite_fail(db, rc, "reading the store", err);
		goto fail;
	}
	sqlite3_finalize(st);
	*domains = v;
	return 0;
nomem:
	error_set(err, ERR_NOMEM, "out of memory listing domains");
fail:
	sqlite3_finalize(st);
	while (*n > 0)
		free(v[--(*n)]);
	free(v);
	return -1;
}

/*
 * Step st, bound already, to its end: row() makes each row a struct for
 * the caller's callback, which it calls; nonzero from it is out of
 * memory. st is finalized.
 */
static int
each_row(sqlite3 *db, sqlite3_stmt *st,
	 int (*row)(sqlite3_stmt *st, const void *arg), const void *arg,
	 struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (row(st, arg) != 0) {
			sqlite3_finalize(st);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(db, rc, "reading the store", err);
	return 0;
}

/* A row of a name and three counts, to the walk's callback. */
static int
count_row(sqlite3_stmt *st, const void *walk)
{
	return store_count_row(walk, col(st, 0), sqlite3_column_int64(st, 1),
	    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
}

static int
sqlite_counts(void *be, const char *domain, const struct store_count_walk *w,
	      struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st;

	if (prepare(db, domain != NULL ? sql_types : sql_domains, &st,
	    err) < 0)
		return -1;
	if (domain != NULL)
		sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	return each_row(db, st, count_row, w, err);
}

struct name_walk {
	store_name_cb cb;
	void *arg;
};

/* A row of a name, to the walk's callback. */
static int
name_row(sqlite3_stmt *st, const void *arg)
{
	const struct name_walk *w = arg;

	return w->cb(col(st, 0), w->arg) < 0;
}

/*
 * The names of the domain index one step down it each (recursive: the
 * least name after the last), so that a page of the list costs what it
 * holds, not what the store holds; and those of the policies not folded
 * yet, read once (there are few: store_sqlite_fold.h). Those are all the
 * rows past daily_upto, a superset of the view's: a row the view leaves
 * out is in the index already, and UNION keeps a name once.
 */
static int
sqlite_domain_page(void *be, const char *after, size_t limit,
		   store_name_cb cb, void *arg, struct error *err)
{
	static const char sql[] =
	    "WITH RECURSIVE page(d, n) AS ("
	    " SELECT (SELECT policy_domain FROM policy_by_domain"
	    "  WHERE policy_domain > ?1 ORDER BY policy_domain LIMIT 1), 1"
	    " UNION ALL SELECT (SELECT policy_domain FROM policy_by_domain"
	    "  WHERE policy_domain > page.d ORDER BY policy_domain LIMIT 1),"
	    "  n + 1 FROM page WHERE page.d IS NOT NULL AND n < ?2)"
	    " SELECT d FROM page WHERE d IS NOT NULL"
	    " UNION SELECT policy_domain FROM policy"
	    " WHERE report > (SELECT report FROM daily_upto)"
	    " AND policy_domain > ?1"
	    " ORDER BY 1 LIMIT ?2";
	struct name_walk w = { cb, arg };
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st;

	if (limit == 0)
		return 0;
	if (prepare(db, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	return each_row(db, st, name_row, &w, err);
}

static int
sqlite_totals(void *be, const char *domain,
	      struct store_domain_totals *t, int *found,
	      struct error *err)
{
	static const char sql[] =
	    "SELECT COUNT(DISTINCT r.id), "
	    "COUNT(DISTINCT date(r.end_time - 1, 'unixepoch')), "
	    "COUNT(DISTINCT r.organization_name), "
	    "MIN(r.start_time), MAX(r.end_time) "
	    "FROM domain_policies d JOIN policy p ON p.id = d.policy "
	    "JOIN report r ON r.id = p.report "
	    "WHERE d.policy_domain = ?";
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if (prepare(db, sql, &st, err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_sqlite_fail(db, rc, "reading the store", err);
	}
	t->reports = sqlite3_column_int64(st, 0);
	t->days = sqlite3_column_int64(st, 1);
	t->reporters = sqlite3_column_int64(st, 2);
	t->first_seen = sqlite3_column_int64(st, 3);
	t->last_seen = sqlite3_column_int64(st, 4);
	*found = t->reports > 0;
	sqlite3_finalize(st);
	return 0;
}

/*
 * PRAGMA data_version: a number of this connection that moves when
 * another connection (of this process, as the daemon's writer is to its
 * readers, or of another) committed since the last time it was asked,
 * and only then. It reads the header of the log, not a table.
 */
static int
sqlite_changes(void *be, char *token, size_t len, struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st;
	int64_t version;
	int rc;

	token[0] = '\0';
	if (prepare(db, "PRAGMA data_version", &st, err) < 0)
		return -1;
	rc = sqlite3_step(st);
	version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_sqlite_fail(db, rc, "reading the store", err);
	/* Too small a buffer: "", the caller reads. */
	fmt_whole(token, len, "%" PRId64, version);
	return 0;
}

/* The export's statements, prepared once for the walk. */
enum { X_PAYLOAD, X_REPORT, X_POLICY, X_FAILURE, X_COUNT };

static const char *const export_sql[X_COUNT] = {
	[X_PAYLOAD] = "SELECT id, received_at, source, peer, user_agent, "
	    "message_id, path, part, encoding, size, data, outcome, reason, "
	    "report, dkim_domain, kept, sha256 FROM payload ORDER BY id",
	[X_REPORT] = "SELECT organization_name, report_id, start_time, "
	    "end_time, contact_info, received_at, digest FROM report "
	    "WHERE id = ?",
	/* The values of store_policy_from_values(), after the row id,
	 * and of store_failure_from_values() (store_backend.h). */
	[X_POLICY] = "SELECT id, " STORE_COLUMNS_POLICY " FROM policy "
	    "WHERE report = ? ORDER BY idx, id",
	[X_FAILURE] = "SELECT " STORE_COLUMNS_FAILURE " FROM failure "
	    "WHERE policy = ? ORDER BY id",
};

/*
 * The strings of one report's rows are copied, since the policy and
 * failure statements step on while they are held.
 */
struct export_report {
	struct store_row_report r;
	char **strings;
	size_t nstrings, alloc;
};

static const char *
keep(struct export_report *x, const char *s, int *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	if (array_grow(&x->strings, x->nstrings, &x->alloc,
	    sizeof(*x->strings), 64) < 0) {
		*nomem = 1;
		return NULL;
	}
	if ((d = strdup(s)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	x->strings[x->nstrings++] = d;
	return d;
}

static void
export_report_release(struct export_report *x)
{
	size_t i;

	for (i = 0; i < x->r.npolicies; i++)
		free(x->r.policies[i].failures);
	free(x->r.policies);
	for (i = 0; i < x->nstrings; i++)
		free(x->strings[i]);
	free(x->strings);
	memset(x, 0, sizeof(*x));
}

/*
 * The n columns of st from column first as the values of a row
 * (store_backend.h), each of the kind SQLite holds it as, its texts
 * copied into x (*nomem set when one cannot be).
 */
static void
row_values(sqlite3_stmt *st, int first, struct store_value *v, int n,
	   struct export_report *x, int *nomem)
{
	int i, c;

	for (i = 0; i < n; i++) {
		c = first + i;
		v[i].s = NULL;
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL:
			v[i].kind = STORE_NULL;
			break;
		case SQLITE_INTEGER:
			v[i].kind = STORE_INT;
			break;
		default:
			v[i].kind = STORE_TEXT;
			v[i].s = keep(x, col(st, c), nomem);
		}
		/* After the text is kept: reading it as a number may
		 * change what SQLite holds of the column. */
		v[i].i = sqlite3_column_int64(st, c);
	}
}

static int
export_failures(sqlite3 *db, sqlite3_stmt *fs, int64_t policy,
		struct export_report *x, struct store_row_policy *p,
		struct error *err)
{
	struct store_value v[STORE_FAILURE_VALUES];
	struct store_row_failure *f;
	size_t alloc = 0;
	int rc, nomem = 0;

	sqlite3_reset(fs);
	sqlite3_bind_int64(fs, 1, policy);
	while ((rc = sqlite3_step(fs)) == SQLITE_ROW) {
		/* A policy may hold up to BOUND_FAILURES rows: the array
		 * doubles rather than grows by one row at a time. */
		if (array_grow(&p->failures, p->nfailures, &alloc,
		    sizeof(*f), 16) < 0)
			return error_set(err, ERR_NOMEM, "out of memory");
		f = &p->failures[p->nfailures++];
		memset(f, 0, sizeof(*f));
		row_values(fs, 0, v, STORE_FAILURE_VALUES, x, &nomem);
		store_failure_from_values(f, v);
		if (nomem)
			return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(db, rc, "reading failures", err);
	return 0;
}

/* The report of row id with its policies and failures into x. */
static int
export_report(sqlite3 *db, sqlite3_stmt **xs, int64_t id,
	      struct export_report *x, struct error *err)
{
	sqlite3_stmt *rs = xs[X_REPORT], *ps = xs[X_POLICY];
	struct store_value v[STORE_POLICY_VALUES];
	struct store_row_policy *p;
	size_t alloc = 0;
	int rc, nomem = 0;

	sqlite3_reset(rs);
	sqlite3_bind_int64(rs, 1, id);
	if ((rc = sqlite3_step(rs)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			return error_set(err, ERR_INTERNAL, "report %lld of a "
			    "payload is missing", (long long)id);
		return store_sqlite_fail(db, rc, "reading a report", err);
	}
	x->r.organization_name = keep(x, col(rs, 0), &nomem);
	x->r.report_id = keep(x, col(rs, 1), &nomem);
	x->r.start_time = sqlite3_column_int64(rs, 2);
	x->r.end_time = sqlite3_column_int64(rs, 3);
	x->r.contact_info = keep(x, col(rs, 4), &nomem);
	x->r.received_at = sqlite3_column_int64(rs, 5);
	x->r.digest = keep(x, col(rs, 6), &nomem);
	sqlite3_reset(rs);
	if (nomem)
		return error_set(err, ERR_NOMEM, "out of memory");
	sqlite3_reset(ps);
	sqlite3_bind_int64(ps, 1, id);
	while ((rc = sqlite3_step(ps)) == SQLITE_ROW) {
		if (array_grow(&x->r.policies, x->r.npolicies, &alloc,
		    sizeof(*p), 4) < 0)
			return error_set(err, ERR_NOMEM, "out of memory");
		p = &x->r.policies[x->r.npolicies++];
		memset(p, 0, sizeof(*p));
		row_values(ps, 1, v, STORE_POLICY_VALUES, x, &nomem);
		store_policy_from_values(p, v);
		if (nomem)
			return error_set(err, ERR_NOMEM, "out of memory");
		if (export_failures(db, xs[X_FAILURE],
		    sqlite3_column_int64(ps, 0), x, p, err) < 0)
			return -1;
	}
	if (rc != SQLITE_DONE)
		return store_sqlite_fail(db, rc, "reading policies", err);
	return 0;
}

int
store_sqlite_report_digest(sqlite3 *db, int64_t id,
			   char out[STORE_DIGEST_HEX + 1], struct error *err)
{
	sqlite3_stmt *xs[X_COUNT] = { NULL };
	struct export_report x;
	int i, rc = -1;

	memset(&x, 0, sizeof(x));
	for (i = X_REPORT; i < X_COUNT; i++)
		if (prepare(db, export_sql[i], &xs[i], err) < 0)
			goto done;
	if (export_report(db, xs, id, &x, err) == 0)
		rc = store_rows_digest(&x.r, out, err);
done:
	export_report_release(&x);
	for (i = 0; i < X_COUNT; i++)
		sqlite3_finalize(xs[i]);
	return rc;
}

/*
 * A payload row read by a statement of the columns of X_PAYLOAD, in its
 * order, into row and o (their strings are the statement's until its
 * next step).
 */
static void
payload_row(sqlite3_stmt *st, struct store_row *row, struct origin *o)
{
	memset(row, 0, sizeof(*row));
	memset(o, 0, sizeof(*o));
	row->id = sqlite3_column_int64(st, 0);
	row->payload.origin = o;
	row->payload.received_at = sqlite3_column_int64(st, 1);
	o->source = col(st, 2);
	o->peer = col(st, 3);
	o->user_agent = col(st, 4);
	o->message_id = col(st, 5);
	o->path = col(st, 6);
	o->part = col(st, 7);
	row->payload.encoding = col(st, 8);
	row->payload.size = (size_t)sqlite3_column_int64(st, 9);
	row->payload.data = sqlite3_column_blob(st, 10);
	row->payload.len = (size_t)sqlite3_column_bytes(st, 10);
	if (row->payload.data == NULL)
		row->payload.data = "";
	row->outcome = col(st, 11);
	row->reason = col(st, 12);
	o->dkim_domain = col(st, 14);
	row->payload.kept = sqlite3_column_type(st, 15) == SQLITE_NULL ?
	    row->payload.size : (size_t)sqlite3_column_int64(st, 15);
	row->payload.sha256 = col(st, 16);
}

static int
sqlite_export(void *be, store_row_cb cb, void *arg, struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *xs[X_COUNT] = { NULL }, *st;
	struct export_report x;
	struct store_row row;
	struct origin o;
	int i, rc = -1, step;

	memset(&x, 0, sizeof(x));
	for (i = 0; i < X_COUNT; i++)
		if (prepare(db, export_sql[i], &xs[i], err) < 0)
			goto done;
	st = xs[X_PAYLOAD];
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		payload_row(st, &row, &o);
		if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
			if (export_report(db, xs, sqlite3_column_int64(st, 13),
			    &x, err) < 0)
				goto done;
			row.report = &x.r;
		}
		if (cb(&row, arg, err) != 0)
			goto done;
		export_report_release(&x);
	}
	if (step != SQLITE_DONE) {
		store_sqlite_fail(db, step, "reading payloads", err);
		goto done;
	}
	rc = 0;
done:
	export_report_release(&x);
	for (i = 0; i < X_COUNT; i++)
		sqlite3_finalize(xs[i]);
	return rc;
}

/* Rows of the payload table with their outcome "rejected", in the
 * columns of X_PAYLOAD. The data only when asked for: SQLite then never
 * reads it. */
static const char sql_quarantine[] =
	"SELECT id, received_at, source, peer, user_agent, message_id, "
	"path, part, encoding, size, CASE WHEN ?3 THEN data END, outcome, "
	"reason, report, dkim_domain, kept, sha256 FROM payload "
	"WHERE id > ?1 AND outcome = 'rejected' ORDER BY id LIMIT ?2";

static int
sqlite_quarantine(void *be, int64_t after, size_t limit, int data,
		  store_row_cb cb, void *arg, struct error *err)
{
	sqlite3 *db = store_sqlite_db(be);
	sqlite3_stmt *st = NULL;
	struct store_row row;
	struct origin o;
	int rc = -1, step, stop;

	if (prepare(db, sql_quarantine, &st, err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, limit ? (sqlite3_int64)limit : -1);
	sqlite3_bind_int(st, 3, data != 0);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		payload_row(st, &row, &o);
		if ((stop = cb(&row, arg, err)) < 0)
			goto done;
		if (stop)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		store_sqlite_fail(db, step, "reading the quarantine", err);
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

const struct store_read_ops store_sqlite_read_ops = {
	.quarantine = sqlite_quarantine,
	.evidence = sqlite_evidence,
	.domains = sqlite_domains,
	.counts = sqlite_counts,
	.domain_page = sqlite_domain_page,
	.totals = sqlite_totals,
	.changes = sqlite_changes,
	.export = sqlite_export,
};
