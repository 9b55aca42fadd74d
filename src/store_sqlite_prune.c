/*
 * store_sqlite_prune: the SQLite backend's transaction of a retention
 * pass (store_retention.h, store_backend.h's prune op).
 *
 * The report rows are read in id order, SCAN_IDS ids at a time, from
 * where the last transaction stopped: they are small, and an index of
 * their ends would cost every put (migration 010). Each report that
 * ended before the cut goes with its failure details, its policies and
 * their entries of the domain index policy_by_domain, and the payloads
 * that name it (through the index payload_report), in that order, so
 * that no row is ever left naming one gone, even between two
 * transactions of a report too large for one. A first copy of an
 * identity goes after its other copies, which name it. Only the reports
 * folded into the per-day aggregates go (up to daily_upto): one not
 * folded yet would be missing from them for ever. Then the payloads
 * received before the cut go, oldest row first, until one that is not:
 * rows are numbered as they come.
 */
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "banned.h"

enum {
	P_UPTO, P_NEXT, P_LAST_COPY, P_COPY, P_POLICIES, P_FAILURE_EDGE,
	P_FAILURES_BELOW, P_FAILURES, P_UNINDEX, P_POLICY, P_PAYLOAD_EDGE,
	P_PAYLOADS_BELOW, P_PAYLOADS, P_REPORT, P_OLDEST, P_PAYLOAD,
	P_COUNT
};

/*
 * Rows are removed by their parent's index, a bounded run at a time:
 * the row ?2 places past the first of the parent ?1 (an EDGE) bounds a
 * DELETE BELOW it; without one, the rest go (an IN (SELECT ... LIMIT)
 * would build a temporary table at each run, most of a pass's time).
 */
static const char *const prune_sql[P_COUNT] = {
	[P_UPTO] = "SELECT report FROM daily_upto",
	/* The next report in (?2, ?3] that ended before the cut ?1. */
	[P_NEXT] = "SELECT id, end_time, first_copy IS NULL, "
	    "organization_name, report_id, start_time FROM report "
	    "WHERE id > ?2 AND id <= ?3 AND end_time < ?1 ORDER BY id LIMIT 1",
	/* The copies of an identity, through the index report_copy. */
	[P_LAST_COPY] = "SELECT max(id) FROM report WHERE "
	    "organization_name = ?1 AND report_id = ?2 AND start_time = ?3 "
	    "AND end_time = ?4",
	[P_COPY] = "SELECT id FROM report WHERE organization_name = ?1 AND "
	    "report_id = ?2 AND start_time = ?3 AND end_time = ?4 AND "
	    "id <> ?5 ORDER BY id DESC LIMIT 1",
	[P_POLICIES] = "SELECT id, policy_domain, end_time FROM policy "
	    "WHERE report = ?1 LIMIT ?2",
	[P_FAILURE_EDGE] = "SELECT id FROM failure WHERE policy = ?1 "
	    "ORDER BY id LIMIT 1 OFFSET ?2",
	[P_FAILURES_BELOW] = "DELETE FROM failure WHERE policy = ?1 AND "
	    "id < ?2",
	[P_FAILURES] = "DELETE FROM failure WHERE policy = ?1",
	[P_UNINDEX] = "DELETE FROM policy_by_domain WHERE policy_domain = ?1 "
	    "AND end_time = ?2 AND policy = ?3",
	[P_POLICY] = "DELETE FROM policy WHERE id = ?1",
	[P_PAYLOAD_EDGE] = "SELECT id FROM payload WHERE report = ?1 "
	    "ORDER BY id LIMIT 1 OFFSET ?2",
	[P_PAYLOADS_BELOW] = "DELETE FROM payload WHERE report = ?1 AND "
	    "id < ?2",
	[P_PAYLOADS] = "DELETE FROM payload WHERE report = ?1",
	[P_REPORT] = "DELETE FROM report WHERE id = ?1",
	[P_OLDEST] = "SELECT id, received_at, outcome = 'rejected' "
	    "FROM payload ORDER BY id LIMIT 1",
	[P_PAYLOAD] = "DELETE FROM payload WHERE id = ?1",
};

/* Policies read at a time, to remove them after the read. */
#define POLICY_CHUNK 256

/* Report ids read at a time, and at most in one transaction. */
#define SCAN_IDS	4096
#define SCAN_MAX	(16 * SCAN_IDS)

struct prune {
	sqlite3 *db;
	sqlite3_stmt *st[P_COUNT];
	struct store_prune_pass *pass;
	int64_t upto;		/* daily_upto: the reports folded */
};

/* A report the walk found. */
struct candidate {
	int64_t id, end, start;
	int first;		/* the first copy of its identity */
	char *org, *rid;
};

static int
fail(struct prune *pr, int rc, struct error *err)
{
	return store_sqlite_fail(pr->db, rc, "removing old rows", err);
}

/* Step a statement that returns no row; its changes, or -1. */
static int64_t
change(struct prune *pr, int which, struct error *err)
{
	sqlite3_stmt *st = pr->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(pr, rc, err);
	return sqlite3_changes64(pr->db);
}

static int64_t
delete_id(struct prune *pr, int which, int64_t id, struct error *err)
{
	sqlite3_bind_int64(pr->st[which], 1, id);
	return change(pr, which, err);
}

/*
 * The rows of parent as far as the transaction may go (statements edge,
 * below and all): 1 when none is left, 0 when some are, -1. *n counts
 * the rows removed.
 */
static int
remove_children(struct prune *pr, int edge, int below, int all,
		int64_t parent, int64_t *n, struct error *err)
{
	sqlite3_stmt *st = pr->st[edge];
	int64_t first_kept = 0;
	int rc;

	sqlite3_bind_int64(st, 1, parent);
	sqlite3_bind_int64(st, 2, pr->pass->left);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		first_kept = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(pr, rc, err);
	sqlite3_bind_int64(pr->st[rc == SQLITE_ROW ? below : all], 1, parent);
	if (rc == SQLITE_ROW)
		sqlite3_bind_int64(pr->st[below], 2, first_kept);
	if ((*n = change(pr, rc == SQLITE_ROW ? below : all, err)) < 0)
		return -1;
	store_prune_spent(pr->pass, *n);
	return rc == SQLITE_DONE;
}

/*
 * The policies of report id, each with its failure details and its entry
 * of the domain index, as many as the transaction may still remove: 1
 * when none is left.
 */
static int
remove_policies(struct prune *pr, int64_t id, struct error *err)
{
	sqlite3_stmt *st = pr->st[P_POLICIES], *un = pr->st[P_UNINDEX];
	struct { int64_t id, end; char *domain; } p[POLICY_CHUNK];
	int64_t n;
	size_t np, i;
	int rc = 0;

	for (;;) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, POLICY_CHUNK);
		for (np = 0; np < POLICY_CHUNK &&
		    (rc = sqlite3_step(st)) == SQLITE_ROW; np++) {
			p[np].id = sqlite3_column_int64(st, 0);
			p[np].end = sqlite3_column_int64(st, 2);
			if ((p[np].domain = strdup((const char *)
			    sqlite3_column_text(st, 1))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			fail(pr, rc, err);
			rc = -1;
			goto out;
		}
		if (np == 0)
			return 1;
		for (i = 0; i < np; i++) {
			if ((rc = remove_children(pr, P_FAILURE_EDGE,
			    P_FAILURES_BELOW, P_FAILURES, p[i].id, &n,
			    err)) <= 0)
				goto out;
			sqlite3_bind_text(un, 1, p[i].domain, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int64(un, 2, p[i].end);
			sqlite3_bind_int64(un, 3, p[i].id);
			if (change(pr, P_UNINDEX, err) < 0 ||
			    delete_id(pr, P_POLICY, p[i].id, err) < 0) {
				rc = -1;
				goto out;
			}
			if (store_prune_spent(pr->pass, 2)) {
				rc = 0;
				goto out;
			}
		}
		for (i = 0; i < np; i++)
			free(p[i].domain);
	}
out:
	for (i = 0; i < np; i++)
		free(p[i].domain);
	return rc;
}

/*
 * Report id and every row that names it, as far as the transaction may
 * go: 1 when it is gone, 0 when the next transaction goes on with it.
 */
static int
remove_report(struct prune *pr, int64_t id, struct error *err)
{
	int64_t n;
	int rc;

	if ((rc = remove_policies(pr, id, err)) <= 0)
		return rc;
	rc = remove_children(pr, P_PAYLOAD_EDGE, P_PAYLOADS_BELOW,
	    P_PAYLOADS, id, &n, err);
	if (rc >= 0)
		pr->pass->counts.payloads += (size_t)n;
	if (rc <= 0 || pr->pass->left <= 0)
		return rc < 0 ? -1 : 0;
	if (delete_id(pr, P_REPORT, id, err) < 0)
		return -1;
	pr->pass->counts.reports++;
	store_prune_spent(pr->pass, 1);
	return 1;
}

static void
bind_identity(sqlite3_stmt *st, const struct candidate *c)
{
	sqlite3_bind_text(st, 1, c->org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->start);
	sqlite3_bind_int64(st, 4, c->end);
}

/*
 * A first copy: its other copies first, the newest first. The identity
 * waits for the next pass while one of them is not folded yet.
 */
static int
remove_identity(struct prune *pr, const struct candidate *c,
		struct error *err)
{
	sqlite3_stmt *last = pr->st[P_LAST_COPY], *copy = pr->st[P_COPY];
	int64_t id;
	int rc;

	bind_identity(last, c);
	rc = sqlite3_step(last);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(last, 0) : 0;
	sqlite3_reset(last);
	if (rc != SQLITE_ROW)
		return fail(pr, rc, err);
	if (id > pr->upto)
		return 1;
	for (;;) {
		bind_identity(copy, c);
		sqlite3_bind_int64(copy, 5, c->id);
		rc = sqlite3_step(copy);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(copy, 0) : 0;
		sqlite3_reset(copy);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			return fail(pr, rc, err);
		if ((rc = remove_report(pr, id, err)) <= 0)
			return rc;
		if (pr->pass->left <= 0)
			return 0;
	}
	return remove_report(pr, c->id, err);
}

/* The next report of the walk up to row last into c: 1, or 0 when
 * there is none. */
static int
next_report(struct prune *pr, int64_t last, struct candidate *c,
	    struct error *err)
{
	sqlite3_stmt *st = pr->st[P_NEXT];
	int rc;

	sqlite3_bind_int64(st, 1, pr->pass->before);
	sqlite3_bind_int64(st, 2, pr->pass->id);
	sqlite3_bind_int64(st, 3, last);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : fail(pr, rc, err);
	}
	c->id = sqlite3_column_int64(st, 0);
	c->end = sqlite3_column_int64(st, 1);
	c->first = sqlite3_column_int(st, 2);
	c->org = strdup((const char *)sqlite3_column_text(st, 3));
	c->rid = strdup((const char *)sqlite3_column_text(st, 4));
	c->start = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	if (c->org == NULL || c->rid == NULL) {
		free(c->org);
		free(c->rid);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	return 1;
}

/*
 * The reports that ended before the cut, up to daily_upto, as far as the
 * budget goes and SCAN_MAX ids at most.
 */
static int
prune_reports(struct prune *pr, struct error *err)
{
	struct store_prune_pass *pass = pr->pass;
	int64_t last, scanned = 0;
	struct candidate c;
	int rc;

	while (pr->pass->left > 0 && scanned < SCAN_MAX) {
		if (pass->id >= pr->upto) {
			pass->phase = STORE_PRUNE_PAYLOADS;
			return 0;
		}
		last = pr->upto - pass->id > SCAN_IDS ? pass->id + SCAN_IDS :
		    pr->upto;
		if ((rc = next_report(pr, last, &c, err)) < 0)
			return -1;
		if (rc == 0) {
			scanned += last - pass->id;
			pass->id = last;
			continue;
		}
		rc = c.first ? remove_identity(pr, &c, err) :
		    remove_report(pr, c.id, err);
		free(c.org);
		free(c.rid);
		if (rc < 0)
			return -1;
		scanned += c.id - pass->id;
		/* A report left half removed is taken up again first. */
		pass->id = rc > 0 ? c.id : c.id - 1;
	}
	return 0;
}

/* The payloads received before the cut, oldest row first. */
static int
prune_payloads(struct prune *pr, struct error *err)
{
	sqlite3_stmt *st = pr->st[P_OLDEST];
	int64_t id, received;
	int rc, rejected;

	while (pr->pass->left > 0) {
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				return fail(pr, rc, err);
			pr->pass->phase = STORE_PRUNE_DONE;
			return 0;
		}
		id = sqlite3_column_int64(st, 0);
		received = sqlite3_column_int64(st, 1);
		rejected = sqlite3_column_int(st, 2);
		sqlite3_reset(st);
		if (received >= pr->pass->before) {
			pr->pass->phase = STORE_PRUNE_DONE;
			return 0;
		}
		if (delete_id(pr, P_PAYLOAD, id, err) < 0)
			return -1;
		pr->pass->counts.payloads++;
		pr->pass->counts.rejected += rejected != 0;
		store_prune_spent(pr->pass, 1);
	}
	return 0;
}

int
store_sqlite_prune(void *be, struct store_prune_pass *pass,
		   struct error *err)
{
	struct store_prune_pass before = *pass;
	struct prune pr = { .db = store_sqlite_db(be), .pass = pass };
	int i, rc = -1;

	store_prune_begin(pass);
	for (i = 0; i < P_COUNT; i++)
		if ((rc = sqlite3_prepare_v2(pr.db, prune_sql[i], -1,
		    &pr.st[i], NULL)) != SQLITE_OK) {
			fail(&pr, rc, err);
			rc = -1;
			goto done;
		}
	if ((rc = sqlite3_exec(pr.db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL)) != SQLITE_OK) {
		fail(&pr, rc, err);
		rc = -1;
		goto done;
	}
	if ((rc = sqlite3_step(pr.st[P_UPTO])) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			error_set(err, ERR_INTERNAL, "removing old rows: table "
			    "daily_upto has no row");
		else
			fail(&pr, rc, err);
		goto undo;
	}
	pr.upto = sqlite3_column_int64(pr.st[P_UPTO], 0);
	sqlite3_reset(pr.st[P_UPTO]);
	if ((pass->phase == STORE_PRUNE_REPORTS &&
	    prune_reports(&pr, err) < 0) ||
	    (pass->phase == STORE_PRUNE_PAYLOADS &&
	    prune_payloads(&pr, err) < 0))
		goto undo;
	if ((rc = sqlite3_exec(pr.db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK) {
		fail(&pr, rc, err);
		goto undo;
	}
	rc = pass->phase != STORE_PRUNE_DONE;
	goto done;
undo:
	sqlite3_exec(pr.db, "ROLLBACK", NULL, NULL, NULL);
	*pass = before;
	rc = -1;
done:
	for (i = 0; i < P_COUNT; i++)
		sqlite3_finalize(pr.st[i]);
	return rc;
}
