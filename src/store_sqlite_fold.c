/*
 * store_sqlite_fold: see include/store_sqlite_fold.h.
 *
 * daily_upto (migrations 004 and 006) says how far the fold went: every
 * report up to report is folded; while a plan is under way, the reports
 * up to partial_to are also folded for the policy domains before
 * partial_domain (byte order, as SQLite sorts them), and those from
 * partial_domain on are the rest of the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "array.h"
#include "bounds.h"
#include "count.h"
#include "fmt.h"
#include "store_sqlite.h"
#include "store_sqlite_fold.h"
#include "banned.h"

enum {
	F_RANGE, F_CUT, F_ROWS, F_DAILY, F_INDEX, F_PARTIAL, F_DONE, F_COUNT
};

static const char *const fold_sql[F_COUNT] = {
	[F_RANGE] = "SELECT report, partial_to, partial_domain, "
	    "(SELECT COALESCE(MAX(id), 0) FROM report) FROM daily_upto",
	/* The first report past the plan's rows, when there is one. */
	[F_CUT] = "SELECT report FROM policy WHERE report > ?1 "
	    "ORDER BY report LIMIT 1 OFFSET ?2",
	[F_ROWS] = "SELECT policy_domain, start_time / 86400, "
	    "organization_name, policy_type, report, successful, failed, "
	    "end_time, id FROM policy WHERE report > ?1 AND report <= ?2 "
	    "AND policy_domain >= ?3 ORDER BY 1, 2, 3, 4, 5",
	[F_DAILY] = "INSERT INTO daily (policy_domain, day, "
	    "organization_name, policy_type, reports, successful, failed) "
	    "VALUES (?,?,?,?,?,?,?) ON CONFLICT (policy_domain, day, "
	    "organization_name, policy_type) DO UPDATE SET "
	    "reports = " COUNT_ADD_SQL("reports", "excluded.reports") ", "
	    "successful = " COUNT_ADD_SQL("successful", "excluded.successful")
	    ", failed = " COUNT_ADD_SQL("failed", "excluded.failed"),
	[F_INDEX] = "INSERT INTO policy_by_domain (policy_domain, end_time, "
	    "policy) VALUES (?,?,?)",
	[F_PARTIAL] = "UPDATE daily_upto SET partial_to = ?1, "
	    "partial_domain = ?2",
	[F_DONE] = "UPDATE daily_upto SET report = ?1, partial_to = NULL, "
	    "partial_domain = NULL",
};

/* A per-day aggregate's key and sums: one upsert. */
struct fold_key {
	const char *domain, *org, *type;
	int64_t day, reports, ok, failed, last_report;
};

/* An entry of the domain index. */
struct fold_row {
	const char *domain;
	int64_t end_time, policy;
};

#define FOLD_STRINGS_BLOCK	(64 * 1024)

struct sqlite_fold {
	sqlite3 *db;
	const char *path;
	sqlite3_stmt *st[F_COUNT];
	int64_t upto;		/* daily_upto.report, committed */
	int64_t upto_next;	/* ... once the open transaction commits */

	/* The plan: reports (from, to], domains from the first row's on */
	int planned;
	int64_t from, to;
	const char *mark;	/* partial_domain as the plan left it, or NULL */
	struct fold_key *keys;
	size_t nkeys, kdone, kalloc;
	struct fold_row *rows;
	size_t nrows, rdone, ralloc;
	struct arena strings;	/* each once where the sorted rows repeat it */
};

/* An SQLite failure, named with the store's path. */
static int
fail(struct sqlite_fold *f, int rc, const char *what, struct error *err)
{
	char where[512];

	fmt_cut(where, sizeof(where), "%s: %s", f->path, what);
	return store_sqlite_fail(f->db, rc, where, err);
}

struct sqlite_fold *
sqlite_fold_new(sqlite3 *db, const char *path, struct error *err)
{
	struct sqlite_fold *f = calloc(1, sizeof(*f));
	int i, rc;

	if (f == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	f->db = db;
	f->path = path;
	f->strings.block = FOLD_STRINGS_BLOCK;
	for (i = 0; i < F_COUNT; i++) {
		rc = sqlite3_prepare_v3(db, fold_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &f->st[i], NULL);
		if (rc != SQLITE_OK) {
			fail(f, rc, "preparing the fold", err);
			sqlite_fold_free(f);
			return NULL;
		}
	}
	return f;
}

static void
plan_clear(struct sqlite_fold *f)
{
	arena_release(&f->strings);
	free(f->keys);
	free(f->rows);
	f->keys = NULL;
	f->rows = NULL;
	f->nkeys = f->kdone = f->kalloc = 0;
	f->nrows = f->rdone = f->ralloc = 0;
	f->planned = 0;
	f->mark = NULL;
}

void
sqlite_fold_free(struct sqlite_fold *f)
{
	int i;

	if (f == NULL)
		return;
	plan_clear(f);
	for (i = 0; i < F_COUNT; i++)
		sqlite3_finalize(f->st[i]);
	free(f);
}

/* A copy of s in the plan's strings; prev when it is the same string.
 * NULL when out of memory (SQLite's too: every column read is NOT NULL). */
static const char *
keep(struct sqlite_fold *f, const char *prev, const unsigned char *s)
{
	if (s == NULL)
		return NULL;
	if (prev != NULL && strcmp(prev, (const char *)s) == 0)
		return prev;
	return arena_strndup(&f->strings, (const char *)s,
	    strlen((const char *)s));
}

/* Read the policy rows of the plan, in key order: keys and index rows. */
static int
plan_read(struct sqlite_fold *f, const char *first, struct error *err)
{
	sqlite3_stmt *st = f->st[F_ROWS];
	struct fold_key *k = NULL;
	const char *domain = NULL, *org = NULL, *type = NULL;
	int rc;

	sqlite3_bind_int64(st, 1, f->from);
	sqlite3_bind_int64(st, 2, f->to);
	sqlite3_bind_text(st, 3, first, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t day = sqlite3_column_int64(st, 1);
		int64_t report = sqlite3_column_int64(st, 4);
		struct fold_row *row;

		if ((domain = keep(f, domain, sqlite3_column_text(st, 0))) ==
		    NULL || (org = keep(f, org, sqlite3_column_text(st, 2))) ==
		    NULL || (type = keep(f, type,
		    sqlite3_column_text(st, 3))) == NULL)
			goto nomem;
		if (k == NULL || k->domain != domain || k->day != day ||
		    k->org != org || k->type != type) {
			if (array_grow(&f->keys, f->nkeys, &f->kalloc,
			    sizeof(*f->keys), 1024) < 0)
				goto nomem;
			k = &f->keys[f->nkeys++];
			*k = (struct fold_key){ .domain = domain, .org = org,
			    .type = type, .day = day };
		}
		if (report != k->last_report)
			k->reports++;
		k->last_report = report;
		k->ok = count_add(k->ok, sqlite3_column_int64(st, 5));
		k->failed = count_add(k->failed, sqlite3_column_int64(st, 6));
		if (array_grow(&f->rows, f->nrows, &f->ralloc,
		    sizeof(*f->rows), 1024) < 0)
			goto nomem;
		row = &f->rows[f->nrows++];
		row->domain = domain;
		row->end_time = sqlite3_column_int64(st, 7);
		row->policy = sqlite3_column_int64(st, 8);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(f, rc, "reading the policies to fold", err);
	return 0;
nomem:
	sqlite3_reset(st);
	return error_set(err, ERR_NOMEM, "out of memory");
}

/*
 * Read the plan: the rest of the one under way when daily_upto has one,
 * else the reports above daily_upto, as many as BOUND_FOLD_ROWS policy
 * rows hold. 0 and no plan when nothing is due.
 */
static int
plan(struct sqlite_fold *f, struct error *err)
{
	sqlite3_stmt *range = f->st[F_RANGE], *cut = f->st[F_CUT];
	char *first;
	int rc;

	if ((rc = sqlite3_step(range)) != SQLITE_ROW) {
		sqlite3_reset(range);
		if (rc != SQLITE_DONE)
			return fail(f, rc, "reading daily_upto", err);
		return error_set(err, ERR_INTERNAL, "%s: table daily_upto has "
		    "no row (was it changed by hand?); to rebuild the per-day "
		    "aggregates and the domain index, run in sqlite3: DELETE "
		    "FROM daily; DELETE FROM policy_by_domain; INSERT INTO "
		    "daily_upto (report) VALUES (0)", f->path);
	}
	f->upto = f->upto_next = f->from = sqlite3_column_int64(range, 0);
	if ((sqlite3_column_type(range, 1) == SQLITE_NULL) !=
	    (sqlite3_column_type(range, 2) == SQLITE_NULL)) {
		sqlite3_reset(range);
		return error_set(err, ERR_INTERNAL, "%s: table daily_upto has "
		    "one of partial_to and partial_domain without the other "
		    "(was it changed by hand?); to rebuild the per-day "
		    "aggregates and the domain index, run in sqlite3: DELETE "
		    "FROM daily; DELETE FROM policy_by_domain; UPDATE "
		    "daily_upto SET report = 0, partial_to = NULL, "
		    "partial_domain = NULL", f->path);
	}
	if (sqlite3_column_type(range, 1) != SQLITE_NULL) {
		/* The rest of the plan under way, to its end: the domains
		 * before first are folded up to there. */
		f->to = sqlite3_column_int64(range, 1);
		first = strdup((const char *)sqlite3_column_text(range, 2));
		if (first != NULL && (f->mark = keep(f, NULL,
		    (const unsigned char *)first)) == NULL) {
			free(first);
			first = NULL;
		}
		if (f->to < f->from)
			f->to = f->from;
	} else {
		f->to = sqlite3_column_int64(range, 3);
		first = strdup("");
		if (f->to <= f->from) {
			sqlite3_reset(range);
			free(first);
			return 0;
		}
		sqlite3_bind_int64(cut, 1, f->from);
		sqlite3_bind_int64(cut, 2, BOUND_FOLD_ROWS);
		if ((rc = sqlite3_step(cut)) == SQLITE_ROW) {
			int64_t past = sqlite3_column_int64(cut, 0);

			if (past - 1 > f->from && past - 1 < f->to)
				f->to = past - 1;
			else if (past < f->to)
				f->to = past;	/* one report, more rows */
		}
		sqlite3_reset(cut);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_reset(range);
			free(first);
			return fail(f, rc, "reading the policies to fold", err);
		}
	}
	sqlite3_reset(range);
	if (first == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	f->planned = 1;
	rc = plan_read(f, first, err);
	free(first);
	return rc;
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Write the plan's next slice: its domains' upserts and index entries,
 * and how far the plan went. */
static int
slice(struct sqlite_fold *f, struct error *err)
{
	sqlite3_stmt *daily = f->st[F_DAILY], *index = f->st[F_INDEX];
	sqlite3_stmt *mark;
	size_t end = f->rdone;
	const char *next;
	int rc;

	while (end < f->nrows && (end - f->rdone < BOUND_FOLD_SLICE ||
	    f->rows[end].domain == f->rows[end - 1].domain))
		end++;
	next = end < f->nrows ? f->rows[end].domain : NULL;
	for (; f->kdone < f->nkeys && f->keys[f->kdone].domain != next;
	    f->kdone++) {
		const struct fold_key *k = &f->keys[f->kdone];

		sqlite3_bind_text(daily, 1, k->domain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(daily, 2, k->day);
		sqlite3_bind_text(daily, 3, k->org, -1, SQLITE_STATIC);
		sqlite3_bind_text(daily, 4, k->type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(daily, 5, k->reports);
		sqlite3_bind_int64(daily, 6, k->ok);
		sqlite3_bind_int64(daily, 7, k->failed);
		if ((rc = step_done(daily)) != SQLITE_OK)
			return fail(f, rc, "folding into daily", err);
	}
	for (; f->rdone < end; f->rdone++) {
		const struct fold_row *r = &f->rows[f->rdone];

		sqlite3_bind_text(index, 1, r->domain, -1, SQLITE_STATIC);
		sqlite3_bind_int64(index, 2, r->end_time);
		sqlite3_bind_int64(index, 3, r->policy);
		if ((rc = step_done(index)) != SQLITE_OK)
			return fail(f, rc, "folding into policy_by_domain",
			    err);
	}
	f->mark = next;
	if (next != NULL) {
		mark = f->st[F_PARTIAL];
		sqlite3_bind_int64(mark, 1, f->to);
		sqlite3_bind_text(mark, 2, next, -1, SQLITE_STATIC);
	} else {
		mark = f->st[F_DONE];
		sqlite3_bind_int64(mark, 1, f->to);
	}
	if ((rc = step_done(mark)) != SQLITE_OK)
		return fail(f, rc, "updating daily_upto", err);
	if (next == NULL) {
		f->upto_next = f->to;
		plan_clear(f);
	}
	return 0;
}

/*
 * Whether daily_upto is where the plan left it: another program on the
 * same file (tlsrpt-import beside the daemon) may have folded since.
 */
static int
current(struct sqlite_fold *f, struct error *err)
{
	sqlite3_stmt *range = f->st[F_RANGE];
	const char *domain;
	int rc, same;

	if ((rc = sqlite3_step(range)) != SQLITE_ROW) {
		sqlite3_reset(range);
		return rc == SQLITE_DONE ? 0 :
		    fail(f, rc, "reading daily_upto", err);
	}
	domain = (const char *)sqlite3_column_text(range, 2);
	same = sqlite3_column_int64(range, 0) == f->from &&
	    (f->mark == NULL ? domain == NULL :
	    domain != NULL && strcmp(domain, f->mark) == 0 &&
	    sqlite3_column_int64(range, 1) == f->to);
	sqlite3_reset(range);
	return same;
}

int
sqlite_fold_run(struct sqlite_fold *f, int all, struct error *err)
{
	int rc;

	if (f->planned && (rc = current(f, err)) <= 0) {
		plan_clear(f);
		if (rc < 0)
			return -1;
	}
	do {
		if (!f->planned) {
			if (plan(f, err) < 0) {
				plan_clear(f);
				return -1;
			}
			if (!f->planned)
				return 0;
		}
		if (slice(f, err) < 0) {
			plan_clear(f);
			return -1;
		}
	} while (all);
	return f->planned;
}

int64_t
sqlite_fold_committed(struct sqlite_fold *f)
{
	f->upto = f->upto_next;
	return f->upto;
}

void
sqlite_fold_undone(struct sqlite_fold *f)
{
	plan_clear(f);
	f->upto_next = f->upto;
}
