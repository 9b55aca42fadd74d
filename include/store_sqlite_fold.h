/*
 * store_sqlite_fold: the per-day aggregates (table daily) and the domain
 * index of the policies (policy_by_domain) of an SQLite store, folded in
 * from the policy rows of the reports above daily_upto. Only
 * store_sqlite.c uses it.
 *
 * A fold reads the policy rows of a range of reports, at most
 * BOUND_FOLD_ROWS of them (and always one whole report at least), into
 * memory, in key order: a plan. It writes the plan in slices of whole
 * domains, about BOUND_FOLD_SLICE rows each: one upsert per policy
 * domain, day, reporter and type, and one index entry per policy. Each
 * slice records in daily_upto how far it went (migration 006), so that
 * each may be a transaction of its own: a slice changes the pages of its
 * domains only, a crash between two folds nothing twice and loses
 * nothing, and the view domain_policies finds every policy once,
 * whatever the point the fold is at. The daemon's writer writes one
 * slice between two groups of reports, instead of holding the next group
 * for a whole fold.
 *
 * Every call runs in the caller's open write transaction. After that
 * transaction's COMMIT, sqlite_fold_committed(); after a ROLLBACK,
 * sqlite_fold_undone().
 */
#ifndef TLSRPT_STORE_SQLITE_FOLD_H
#define TLSRPT_STORE_SQLITE_FOLD_H

#include <stdint.h>

#include <sqlite3.h>

#include "error.h"

struct sqlite_fold;

/* Prepare the fold's statements on db (path names it in errors). */
struct sqlite_fold *sqlite_fold_new(sqlite3 *db, const char *path,
				    struct error *err);
void sqlite_fold_free(struct sqlite_fold *f);

/*
 * Fold every report stored (all), or one slice. 1 when a plan is still
 * under way after it, 0 when not, -1 on error (the caller rolls back).
 */
int sqlite_fold_run(struct sqlite_fold *f, int all, struct error *err);

/* The transaction of the calls since the last of these two committed:
 * daily_upto as it left it; or rolled back: the plan is read again. */
int64_t sqlite_fold_committed(struct sqlite_fold *f);
void sqlite_fold_undone(struct sqlite_fold *f);

#endif
