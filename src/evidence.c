/* evidence: see include/evidence.h. SQLite reads through the policy
 * table's (policy_domain, end_time) index. */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "store_backend.h"
#include "banned.h"

static const char sql_policies[] =
    "SELECT id, report, organization_name, start_time, end_time, "
    "policy_type, policy_set, mode, mx_patterns, successful, failed "
    "FROM policy WHERE policy_domain = ?1 AND end_time > ?2 AND "
    "end_time <= ?3 ORDER BY report, idx";

static const char sql_failures[] =
    "SELECT f.policy, f.result_type, f.receiving_mx_hostname, "
    "f.failed_sessions FROM policy p JOIN failure f ON f.policy = p.id "
    "WHERE p.policy_domain = ?1 AND p.end_time > ?2 AND p.end_time <= ?3 "
    "ORDER BY f.policy, f.id";

static int
db_error(sqlite3 *db, int rc, struct error *err)
{
	int code = rc & 0xff;

	return error_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ?
	    ERR_BUSY : code == SQLITE_NOMEM ? ERR_NOMEM : ERR_INTERNAL,
	    "reading the store: %s", sqlite3_errmsg(db));
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? strdup((const char *)v) : NULL;
}

/* The mx patterns column is a JSON array of strings. */
static int
load_patterns(struct evidence_policy *p, const char *json)
{
	json_t *arr, *v;
	size_t i;

	if (json == NULL || (arr = json_loads(json, 0, NULL)) == NULL)
		return 0;
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		p->mx_patterns = calloc(json_array_size(arr), sizeof(char *));
		if (p->mx_patterns == NULL) {
			json_decref(arr);
			return -1;
		}
		json_array_foreach(arr, i, v)
			if (json_is_string(v) && (p->mx_patterns[p->nmx] =
			    strdup(json_string_value(v))) != NULL)
				p->nmx++;
	}
	json_decref(arr);
	return 0;
}

static int
bind_window(sqlite3_stmt *st, const struct evidence *ev)
{
	return sqlite3_bind_text(st, 1, ev->domain, -1, SQLITE_STATIC) |
	    sqlite3_bind_int64(st, 2, ev->from) |
	    sqlite3_bind_int64(st, 3, ev->to);
}

int
evidence_load(struct store *stor, const char *domain, int64_t from,
	      int64_t to, struct evidence *ev, struct error *err)
{
	sqlite3 *db = store_sqlite_db(store_backend_handle(stor));
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t alloc = 0, k = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->from = from;
	ev->to = to;
	if ((ev->domain = strdup(domain)) == NULL)
		goto nomem;

	rc = sqlite3_prepare_v2(db, sql_policies, -1, &st, NULL);
	if (rc != SQLITE_OK || bind_window(st, ev) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct evidence_policy *p;

		if (ev->n == alloc) {
			void *g1, *g2;

			alloc = alloc ? alloc * 2 : 64;
			g1 = realloc(ev->policies, alloc * sizeof(*p));
			if (g1 == NULL)
				goto nomem;
			ev->policies = g1;
			g2 = realloc(ids, alloc * sizeof(*ids));
			if (g2 == NULL)
				goto nomem;
			ids = g2;
		}
		p = &ev->policies[ev->n];
		memset(p, 0, sizeof(*p));
		ids[ev->n++] = sqlite3_column_int64(st, 0);
		p->report = sqlite3_column_int64(st, 1);
		p->reporter = col_dup(st, 2);
		p->start = sqlite3_column_int64(st, 3);
		p->end = sqlite3_column_int64(st, 4);
		p->type = col_dup(st, 5);
		p->policy_set = col_dup(st, 6);
		p->mode = col_dup(st, 7);
		p->successful = sqlite3_column_int64(st, 9);
		p->failed = sqlite3_column_int64(st, 10);
		if (p->reporter == NULL || p->type == NULL ||
		    p->policy_set == NULL ||
		    load_patterns(p, (const char *)sqlite3_column_text(st,
		    8)) < 0)
			goto nomem;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;

	/* Both lists are in policy id order (ids grow with report and
	 * position), so one forward walk pairs them. */
	rc = sqlite3_prepare_v2(db, sql_failures, -1, &st, NULL);
	if (rc != SQLITE_OK || bind_window(st, ev) != SQLITE_OK)
		goto dberr;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct evidence_policy *p;
		struct evidence_failure *f;
		void *g;

		while (k < ev->n && ids[k] < id)
			k++;
		if (k == ev->n || ids[k] != id)
			for (k = 0; k < ev->n && ids[k] != id; k++)
				;
		if (k == ev->n)
			continue;
		p = &ev->policies[k];
		g = realloc(p->failures, (p->nfailures + 1) * sizeof(*f));
		if (g == NULL)
			goto nomem;
		p->failures = g;
		f = &p->failures[p->nfailures++];
		f->result_type = col_dup(st, 1);
		f->mx = col_dup(st, 2);
		f->sessions = sqlite3_column_int64(st, 3);
		if (f->result_type == NULL)
			goto nomem;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	free(ids);
	return 0;
dberr:
	db_error(db, rc, err);
	goto fail;
nomem:
	error_set(err, ERR_NOMEM, "out of memory reading %s", domain);
fail:
	sqlite3_finalize(st);
	free(ids);
	evidence_release(ev);
	return -1;
}

void
evidence_release(struct evidence *ev)
{
	size_t i, j;

	for (i = 0; i < ev->n; i++) {
		struct evidence_policy *p = &ev->policies[i];

		free(p->reporter);
		free(p->type);
		free(p->policy_set);
		free(p->mode);
		for (j = 0; j < p->nmx; j++)
			free(p->mx_patterns[j]);
		free(p->mx_patterns);
		for (j = 0; j < p->nfailures; j++) {
			free(p->failures[j].result_type);
			free(p->failures[j].mx);
		}
		free(p->failures);
	}
	free(ev->policies);
	free(ev->domain);
	memset(ev, 0, sizeof(*ev));
}

int
evidence_domains(struct store *stor, char ***domains, size_t *n,
		 struct error *err)
{
	sqlite3 *db = store_sqlite_db(store_backend_handle(stor));
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	char **v = NULL;
	int rc;

	*domains = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(db, "SELECT DISTINCT policy_domain FROM policy "
	    "WHERE policy_domain <> '' ORDER BY 1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(db, rc, err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			char **g;

			alloc = alloc ? alloc * 2 : 16;
			g = realloc(v, alloc * sizeof(*v));
			if (g == NULL)
				goto nomem;
			v = g;
		}
		if ((v[*n] = col_dup(st, 0)) == NULL)
			goto nomem;
		(*n)++;
	}
	if (rc != SQLITE_DONE) {
		db_error(db, rc, err);
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
