/* store_read: see include/store_read.h. */
#include <sqlite3.h>
#include <string.h>

#include "rfc3339.h"
#include "store_backend.h"
#include "store_read.h"
#include "banned.h"

static sqlite3 *
db_of(struct store *st, struct error *err)
{
	if (strcmp(store_backend(st), "sqlite") != 0) {
		error_set(err, ERR_INTERNAL, "the %s backend has no read API "
		    "yet", store_backend(st));
		return NULL;
	}
	return store_sqlite_db(store_backend_handle(st));
}

/* Failures that may pass (busy) are ERR_BUSY, as in store.h. */
static int
db_fail(sqlite3 *db, int rc, struct error *err)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
		return error_set(err, ERR_BUSY, "reading the store: %s",
		    sqlite3_errmsg(db));
	case SQLITE_NOMEM:
		return error_set(err, ERR_NOMEM, "out of memory");
	default:
		return error_set(err, ERR_INTERNAL, "reading the store: %s",
		    sqlite3_errmsg(db));
	}
}

static json_t *
json_time(sqlite3_int64 t)
{
	char s[RFC3339_LEN];

	rfc3339_format((int64_t)t, s);
	return json_string(s);
}

int
store_read_domains(struct store *st, json_t **out, struct error *err)
{
	static const char sql[] =
	    "SELECT p.policy_domain, COUNT(DISTINCT r.id), "
	    "MIN(r.start_time), MAX(r.end_time) "
	    "FROM policy p JOIN report r ON r.id = p.report "
	    "WHERE p.policy_domain <> '' "
	    "GROUP BY p.policy_domain ORDER BY p.policy_domain";
	sqlite3_stmt *stmt = NULL;
	json_t *arr = NULL, *o;
	sqlite3 *db;
	int rc;

	*out = NULL;
	if ((db = db_of(st, err)) == NULL)
		return -1;
	if ((rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL)) != SQLITE_OK)
		return db_fail(db, rc, err);
	if ((arr = json_array()) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		o = json_pack("{s:s, s:I, s:o, s:o}",
		    "domain", (const char *)sqlite3_column_text(stmt, 0),
		    "reports", (json_int_t)sqlite3_column_int64(stmt, 1),
		    "first_seen", json_time(sqlite3_column_int64(stmt, 2)),
		    "last_seen", json_time(sqlite3_column_int64(stmt, 3)));
		if (o == NULL || json_array_append_new(arr, o) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, err);
		goto fail;
	}
	sqlite3_finalize(stmt);
	*out = arr;
	return 0;
fail:
	sqlite3_finalize(stmt);
	json_decref(arr);
	return -1;
}

int
store_read_domain_counts(struct store *st, const char *domain, json_t **out,
			 struct error *err)
{
	static const char totals[] =
	    "SELECT COUNT(DISTINCT r.id), "
	    "COUNT(DISTINCT date(r.end_time - 1, 'unixepoch')), "
	    "COUNT(DISTINCT r.organization_name), "
	    "MIN(r.start_time), MAX(r.end_time) "
	    "FROM policy p JOIN report r ON r.id = p.report "
	    "WHERE p.policy_domain = ?";
	static const char by_type[] =
	    "SELECT policy_type, COUNT(DISTINCT report), SUM(successful), "
	    "SUM(failed) FROM policy WHERE policy_domain = ? "
	    "GROUP BY policy_type ORDER BY policy_type";
	sqlite3_stmt *stmt = NULL;
	json_t *obj = NULL, *types = NULL, *o;
	sqlite3 *db;
	int rc;

	*out = NULL;
	if ((db = db_of(st, err)) == NULL)
		return -1;
	if ((rc = sqlite3_prepare_v2(db, totals, -1, &stmt, NULL)) !=
	    SQLITE_OK)
		return db_fail(db, rc, err);
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) {
		db_fail(db, rc, err);
		goto fail;
	}
	if (sqlite3_column_int64(stmt, 0) == 0) {
		sqlite3_finalize(stmt);
		return 0;
	}
	obj = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "domain", domain,
	    "reports", (json_int_t)sqlite3_column_int64(stmt, 0),
	    "days", (json_int_t)sqlite3_column_int64(stmt, 1),
	    "reporters", (json_int_t)sqlite3_column_int64(stmt, 2),
	    "first_seen", json_time(sqlite3_column_int64(stmt, 3)),
	    "last_seen", json_time(sqlite3_column_int64(stmt, 4)));
	types = json_array();
	if (obj == NULL || types == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if ((rc = sqlite3_prepare_v2(db, by_type, -1, &stmt, NULL)) !=
	    SQLITE_OK) {
		db_fail(db, rc, err);
		goto fail;
	}
	sqlite3_bind_text(stmt, 1, domain, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		o = json_pack("{s:s, s:I, s:I, s:I}",
		    "policy_type", (const char *)sqlite3_column_text(stmt, 0),
		    "reports", (json_int_t)sqlite3_column_int64(stmt, 1),
		    "successful", (json_int_t)sqlite3_column_int64(stmt, 2),
		    "failed", (json_int_t)sqlite3_column_int64(stmt, 3));
		if (o == NULL || json_array_append_new(types, o) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		db_fail(db, rc, err);
		goto fail;
	}
	sqlite3_finalize(stmt);
	json_object_set_new(obj, "policies", types);
	*out = obj;
	return 0;
fail:
	sqlite3_finalize(stmt);
	json_decref(types);
	json_decref(obj);
	return -1;
}
