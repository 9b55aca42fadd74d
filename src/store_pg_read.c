/*
 * store_pg_read: the read side of the PostgreSQL backend (store_backend.h),
 * the same queries as store_sqlite_read.c giving the same rows in the
 * same order (text columns are COLLATE "C", as SQLite orders them).
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "store_pg.h"
#include "banned.h"

/*
 * A read on a connection the server closed while idle (a restart) fails
 * once; nothing was under way, so it is tried again on a new one.
 */
static PGresult *
read_run(struct pg_store *s, enum pg_stmt which, struct pg_args *a,
	 struct error *err)
{
	PGresult *res = NULL;

	if (pg_ensure(s, err) == 0) {
		res = pg_run(s, which, a, err);
		if (res == NULL && !s->tx &&
		    PQstatus(s->conn) != CONNECTION_OK) {
			error_clear(err);
			if (pg_ensure(s, err) == 0)
				res = pg_run(s, which, a, err);
		}
	}
	pg_args_release(a);
	return res;
}

static PGresult *
read_window(struct pg_store *s, enum pg_stmt which, const struct evidence *ev,
	    struct error *err)
{
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_text(&a, ev->domain);
	pg_arg_int(&a, ev->from);
	pg_arg_int(&a, ev->to);
	return read_run(s, which, &a, err);
}

static int
pg_evidence(void *be, struct evidence *ev, struct error *err)
{
	struct pg_store *s = be;
	struct pg_args a;
	PGresult *res;
	int i, n, rc = -1;

	if ((res = read_window(s, PG_EV_POLICIES, ev, err)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (evidence_add_policy(ev, pg_int(res, i, 0),
		    pg_int(res, i, 1), pg_int(res, i, 2), pg_str(res, i, 3),
		    pg_int(res, i, 4), pg_int(res, i, 5), pg_str(res, i, 6),
		    pg_str(res, i, 7), pg_str(res, i, 8), pg_str(res, i, 9),
		    pg_int(res, i, 10), pg_int(res, i, 11), err) < 0)
			goto done;
	PQclear(res);
	pg_args_init(&a);
	pg_arg_text(&a, ev->domain);
	pg_arg_int(&a, ev->to);
	if ((res = read_run(s, PG_EV_LAST, &a, err)) == NULL)
		return -1;
	ev->last_report = PQntuples(res) == 1 ? pg_int(res, 0, 0) : 0;
	PQclear(res);
	if ((res = read_window(s, PG_EV_FAILURES, ev, err)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (evidence_add_failure(ev, pg_int(res, i, 0),
		    pg_str(res, i, 1), pg_str(res, i, 2), pg_int(res, i, 3),
		    err) < 0)
			goto done;
	rc = 0;
done:
	PQclear(res);
	return rc;
}

static int
pg_domains(void *be, char ***domains, size_t *n, struct error *err)
{
	struct pg_store *s = be;
	struct pg_args a;
	PGresult *res;
	char **v;
	int i, rows;

	pg_args_init(&a);
	if ((res = read_run(s, PG_DOMAINS, &a, err)) == NULL)
		return -1;
	rows = PQntuples(res);
	v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*v));
	if (v == NULL)
		goto nomem;
	for (i = 0; i < rows; i++)
		if ((v[i] = strdup(PQgetvalue(res, i, 0))) == NULL)
			goto nomem;
	PQclear(res);
	*domains = v;
	*n = (size_t)rows;
	return 0;
nomem:
	PQclear(res);
	if (v != NULL)
		for (i = 0; i < rows; i++)
			free(v[i]);
	free(v);
	return error_set(err, ERR_NOMEM, "out of memory listing domains");
}

static int
pg_counts(void *be, const char *domain, const struct store_count_walk *w,
	  struct error *err)
{
	struct pg_args a;
	PGresult *res;
	int i, n;

	pg_args_init(&a);
	if (domain != NULL)
		pg_arg_text(&a, domain);
	if ((res = read_run(be, domain != NULL ? PG_READ_TYPES :
	    PG_READ_DOMAINS, &a, err)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (store_count_row(w, PQgetvalue(res, i, 0), pg_int(res, i, 1),
		    pg_int(res, i, 2), pg_int(res, i, 3)) != 0) {
			PQclear(res);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
	}
	PQclear(res);
	return 0;
}

static int
pg_changes(void *be, char *token, size_t len, struct error *err)
{
	struct pg_store *s = be;
	struct pg_args a;
	PGresult *res;
	const char *v;

	token[0] = '\0';
	pg_args_init(&a);
	if ((res = read_run(s, PG_CHANGES, &a, err)) == NULL)
		return -1;
	/* Many transactions running make a long text: past len, "", and
	 * the caller reads. */
	if (PQntuples(res) == 1 && (v = pg_str(res, 0, 0)) != NULL)
		fmt_whole(token, len, "%s", v);
	PQclear(res);
	return 0;
}

static int
pg_domain_page(void *be, const char *after, size_t limit,
	       store_name_cb cb, void *arg, struct error *err)
{
	struct pg_store *s = be;
	struct pg_args a;
	PGresult *res;
	int i, n;

	if (limit == 0)
		return 0;
	pg_args_init(&a);
	pg_arg_text(&a, after);
	pg_arg_int(&a, (int64_t)limit);
	if ((res = read_run(s, PG_DOMAIN_PAGE, &a, err)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (cb(PQgetvalue(res, i, 0), arg) < 0) {
			PQclear(res);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
	PQclear(res);
	return 0;
}

static int
pg_totals(void *be, const char *domain,
	  struct store_domain_totals *t, int *found,
	  struct error *err)
{
	struct pg_store *s = be;
	struct pg_args a;
	PGresult *res;

	*found = 0;
	pg_args_init(&a);
	pg_arg_text(&a, domain);
	if ((res = read_run(s, PG_READ_TOTALS, &a, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		t->reports = pg_int(res, 0, 0);
		t->days = pg_int(res, 0, 1);
		t->reporters = pg_int(res, 0, 2);
		t->first_seen = pg_int(res, 0, 3);
		t->last_seen = pg_int(res, 0, 4);
		*found = t->reports > 0;
	}
	PQclear(res);
	return 0;
}

/* The rows of the quarantine as SQLite's quarantine op reads them; a
 * limit of NULL is none. */
static int
pg_quarantine(void *be, int64_t after, size_t limit, int data,
	      store_row_cb cb, void *arg, struct error *err)
{
	struct pg_store *s = be;
	struct store_row row;
	struct origin o;
	struct pg_args a;
	PGresult *res;
	unsigned char *bytes = NULL;
	size_t len;
	int i, n, rc = -1, stop;

	pg_args_init(&a);
	pg_arg_int(&a, after);
	if (limit > 0)
		pg_arg_int(&a, (int64_t)limit);
	else
		pg_arg_null(&a);
	pg_arg_int(&a, data != 0);
	if ((res = read_run(s, PG_QUARANTINE, &a, err)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		memset(&row, 0, sizeof(row));
		memset(&o, 0, sizeof(o));
		row.id = pg_int(res, i, 0);
		row.payload.origin = &o;
		row.payload.received_at = pg_int(res, i, 1);
		o.source = pg_str(res, i, 2);
		o.peer = pg_str(res, i, 3);
		o.user_agent = pg_str(res, i, 4);
		o.message_id = pg_str(res, i, 5);
		o.path = pg_str(res, i, 6);
		o.part = pg_str(res, i, 7);
		row.payload.encoding = pg_str(res, i, 8);
		row.payload.size = (size_t)pg_int(res, i, 9);
		row.outcome = "rejected";
		row.reason = pg_str(res, i, 10);
		o.dkim_domain = pg_str(res, i, 11);
		row.payload.kept = PQgetisnull(res, i, 12) ?
		    row.payload.size : (size_t)pg_int(res, i, 12);
		row.payload.sha256 = pg_str(res, i, 13);
		row.payload.data = "";
		if (!PQgetisnull(res, i, 14)) {
			bytes = PQunescapeBytea((const unsigned char *)
			    PQgetvalue(res, i, 14), &len);
			if (bytes == NULL) {
				error_set(err, ERR_NOMEM, "out of memory");
				goto done;
			}
			row.payload.data = bytes;
			row.payload.len = len;
		}
		stop = cb(&row, arg, err);
		PQfreemem(bytes);
		bytes = NULL;
		if (stop < 0)
			goto done;
		if (stop)
			break;
	}
	rc = 0;
done:
	PQfreemem(bytes);
	PQclear(res);
	return rc;
}

const struct store_read_ops store_pg_read_ops = {
	.quarantine = pg_quarantine,
	.evidence = pg_evidence,
	.domains = pg_domains,
	.counts = pg_counts,
	.domain_page = pg_domain_page,
	.totals = pg_totals,
	.changes = pg_changes,
	.export = NULL,
};
