/*
 * outbox: see include/outbox.h. The statements are the same text on both
 * backends ($1, $2... are named parameters to SQLite), run through one
 * small executor per backend: the outbox is a few rows a minute, so it
 * does without prepared statements kept on the connection.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "outbox.h"
#include "store_backend.h"
#include "store_pg.h"
#include "store_sqlite.h"
#include "banned.h"

#define QV_MAX 8
#define QCOLS_MAX 8

/* A parameter: text (NULL is SQL NULL) or a number. */
struct qv {
	int is_int;
	int64_t i;
	const char *s;
};

static struct qv
T(const char *s)
{
	struct qv v = { 0, 0, s };

	return v;
}

static struct qv
I(int64_t i)
{
	struct qv v = { 1, i, NULL };

	return v;
}

/* Called per row with its columns as text (NULL for NULL). */
typedef int (*row_cb)(void *arg, int ncol, const char *const *col,
		      struct error *err);

static int
is_sqlite(struct store *st)
{
	return strcmp(store_backend(st), "sqlite") == 0;
}

static int
run_sqlite(struct store *st, const char *sql, const struct qv *v, size_t nv,
	   row_cb cb, void *arg, int64_t *changes, struct error *err)
{
	sqlite3 *db = store_sqlite_db(store_backend_handle(st));
	const char *col[QCOLS_MAX];
	sqlite3_stmt *stmt = NULL;
	char name[24];	/* "$" and a size_t */
	size_t i;
	int rc, idx, n, c;

	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_fail(db, rc, "outbox", err);
	for (i = 0; i < nv; i++) {
		if (fmt_whole(name, sizeof(name), "$%zu", i + 1) < 0 ||
		    (idx = sqlite3_bind_parameter_index(stmt, name)) == 0)
			continue;
		if (v[i].is_int)
			sqlite3_bind_int64(stmt, idx, v[i].i);
		else if (v[i].s == NULL)
			sqlite3_bind_null(stmt, idx);
		else
			sqlite3_bind_text(stmt, idx, v[i].s, -1,
			    SQLITE_TRANSIENT);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		n = sqlite3_column_count(stmt);
		if (n > QCOLS_MAX)
			n = QCOLS_MAX;
		for (c = 0; c < n; c++)
			col[c] = (const char *)sqlite3_column_text(stmt, c);
		if (cb != NULL && cb(arg, n, col, err) < 0) {
			sqlite3_finalize(stmt);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		store_sqlite_fail(db, rc, "outbox", err);
		sqlite3_finalize(stmt);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(db);
	sqlite3_finalize(stmt);
	return 0;
}

static int
run_pg(struct store *st, const char *sql, const struct qv *v, size_t nv,
       row_cb cb, void *arg, int64_t *changes, struct error *err)
{
	struct pg_store *s = store_backend_handle(st);
	const char *col[QCOLS_MAX];
	struct pg_args a;
	PGresult *res;
	size_t i;
	int r, c, n, ok = 0;

	if (pg_ensure(s, err) < 0)
		return -1;
	pg_args_init(&a);
	for (i = 0; i < nv; i++) {
		if (v[i].is_int)
			pg_arg_int(&a, v[i].i);
		else
			pg_arg_text(&a, v[i].s);
	}
	res = pg_exec(s, sql, &a, "outbox", err);
	pg_args_release(&a);
	if (res == NULL)
		return -1;
	n = PQnfields(res);
	if (n > QCOLS_MAX)
		n = QCOLS_MAX;
	for (r = 0; r < PQntuples(res) && ok == 0; r++) {
		for (c = 0; c < n; c++)
			col[c] = pg_str(res, r, c);
		if (cb != NULL && cb(arg, n, col, err) < 0)
			ok = -1;
	}
	if (changes != NULL)
		*changes = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return ok;
}

static int
run(struct store *st, const char *sql, const struct qv *v, size_t nv,
    row_cb cb, void *arg, int64_t *changes, struct error *err)
{
	if (is_sqlite(st))
		return run_sqlite(st, sql, v, nv, cb, arg, changes, err);
	return run_pg(st, sql, v, nv, cb, arg, changes, err);
}

static int
begin(struct store *st, struct error *err)
{
	return run(st, is_sqlite(st) ? "BEGIN IMMEDIATE" : "BEGIN", NULL, 0,
	    NULL, NULL, NULL, err);
}

static void
rollback(struct store *st)
{
	struct error ignored;

	run(st, "ROLLBACK", NULL, 0, NULL, NULL, NULL, &ignored);
}

/* COMMIT, then make it durable where the backend flushes apart. */
static int
commit(struct store *st, struct error *err)
{
	const struct store_ops *ops = store_backend_ops(st);

	if (run(st, "COMMIT", NULL, 0, NULL, NULL, NULL, err) < 0) {
		rollback(st);
		return -1;
	}
	if (ops->flush != NULL)
		return ops->flush(store_backend_handle(st), err);
	return 0;
}

static int
state_row(void *arg, int ncol, const char *const *col, struct error *err)
{
	struct outbox_state *s = arg;

	(void)err;
	if (ncol < 2 || col[0] == NULL)
		return 0;
	if (fmt_whole(s->verdict, sizeof(s->verdict), "%s", col[0]) < 0)
		s->verdict[0] = '\0';
	s->stopped = col[1] != NULL && strtoll(col[1], NULL, 10) != 0;
	s->known = 1;
	return 0;
}

int
outbox_state_get(struct store *st, const char *domain,
		 struct outbox_state *s, struct error *err)
{
	const struct qv v[] = { T(domain) };
	int rc;

	memset(s, 0, sizeof(*s));
	store_lock(st);
	rc = run(st, "SELECT verdict, stopped FROM notify_domain WHERE "
	    "domain = $1", v, 1, state_row, s, NULL, err);
	store_unlock(st);
	return rc;
}

static int
count_row(void *arg, int ncol, const char *const *col, struct error *err)
{
	int64_t *n = arg;

	(void)err;
	if (ncol >= 1 && col[0] != NULL)
		*n = strtoll(col[0], NULL, 10);
	return 0;
}

int
outbox_pair_seen(struct store *st, const char *domain,
		 const struct outbox_pair *p, int64_t since, int *seen,
		 struct error *err)
{
	const struct qv v[] = { T(domain), T(p->mx), T(p->type), I(since) };
	int64_t n = 0;
	int rc;

	store_lock(st);
	rc = run(st, "SELECT count(*) FROM notify_failure WHERE domain = $1 "
	    "AND receiving_mx_hostname = $2 AND result_type = $3 AND "
	    "last_seen >= $4", v, 4, count_row, &n, NULL, err);
	store_unlock(st);
	*seen = n > 0;
	return rc;
}

/* The compare and set of outbox_commit(), in its transaction. */
static int
set_state(struct store *st, const char *domain,
	  const struct outbox_state *old, const struct outbox_state *next,
	  int64_t now, int *done, struct error *err)
{
	int64_t changes = 0;

	if (!old->known) {
		const struct qv v[] = { T(domain), T(next->verdict),
		    I(next->stopped), I(now) };

		if (run(st, "INSERT INTO notify_domain (domain, verdict, "
		    "stopped, judged_at) VALUES ($1, $2, $3, $4) ON CONFLICT "
		    "(domain) DO NOTHING", v, 4, NULL, NULL, &changes,
		    err) < 0)
			return -1;
	} else {
		const struct qv v[] = { T(domain), T(next->verdict),
		    I(next->stopped), I(now), T(old->verdict),
		    I(old->stopped) };

		if (run(st, "UPDATE notify_domain SET verdict = $2, stopped = "
		    "$3, judged_at = $4 WHERE domain = $1 AND verdict = $5 "
		    "AND stopped = $6", v, 6, NULL, NULL, &changes, err) < 0)
			return -1;
	}
	*done = changes == 1;
	return 0;
}

int
outbox_commit(struct store *st, const char *domain,
	      const struct outbox_state *old, const struct outbox_state *next,
	      const struct outbox_pair *pairs, size_t npairs, int64_t now,
	      const struct outbox_event *events, size_t nevents,
	      const struct outbox_target *targets, size_t ntargets,
	      int *done, struct error *err)
{
	size_t i, j;

	*done = 0;
	store_lock(st);
	if (begin(st, err) < 0)
		goto fail;
	if (set_state(st, domain, old, next, now, done, err) < 0)
		goto undo;
	if (!*done) {
		rollback(st);
		store_unlock(st);
		return 0;
	}
	for (i = 0; i < npairs; i++) {
		const struct qv v[] = { T(domain), T(pairs[i].mx),
		    T(pairs[i].type), I(now) };

		if (run(st, "INSERT INTO notify_failure (domain, "
		    "receiving_mx_hostname, result_type, last_seen) VALUES "
		    "($1, $2, $3, $4) ON CONFLICT (domain, "
		    "receiving_mx_hostname, result_type) DO UPDATE SET "
		    "last_seen = excluded.last_seen", v, 4, NULL, NULL, NULL,
		    err) < 0)
			goto undo;
	}
	for (i = 0; i < nevents; i++)
		for (j = 0; j < ntargets; j++) {
			int mail = strcmp(targets[j].kind, "mail") == 0;
			/* A receiver is a value of a configuration line. */
			char target[sizeof("webhook ") + CONFIG_LINE_MAX];
			const struct qv v[] = { T(events[i].id), T(target),
			    T(mail ? events[i].mail_body :
			    events[i].webhook_body), I(now) };

			if (fmt_whole(target, sizeof(target), "%s %s",
			    targets[j].kind, targets[j].to) < 0) {
				error_set(err, ERR_INPUT, "a %s receiver of "
				    "more than %d bytes: shorten it",
				    targets[j].kind, CONFIG_LINE_MAX);
				goto undo;
			}
			if (run(st, "INSERT INTO notify_outbox (event_id, "
			    "target, body, created_at, next_at) VALUES ($1, "
			    "$2, $3, $4, $4) ON CONFLICT (event_id, target) "
			    "DO NOTHING", v, 4, NULL, NULL, NULL, err) < 0)
				goto undo;
		}
	if (commit(st, err) < 0) {
		*done = 0;
		goto fail;
	}
	store_unlock(st);
	return 0;
undo:
	*done = 0;
	rollback(st);
fail:
	store_unlock(st);
	return -1;
}

struct claim {
	struct outbox_item *items;
	int64_t *next_at;
	size_t n, max;
};

static void
item_release(struct outbox_item *it)
{
	free(it->event_id);
	free(it->kind);
	free(it->to);
	free(it->body);
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int
due_row(void *arg, int ncol, const char *const *col, struct error *err)
{
	struct claim *c = arg;
	struct outbox_item *it;
	const char *sp;

	if (ncol < 7 || c->n >= c->max)
		return 0;
	it = &c->items[c->n];
	memset(it, 0, sizeof(*it));
	it->id = strtoll(col[0] ? col[0] : "0", NULL, 10);
	it->event_id = dup_or_empty(col[1]);
	sp = col[2] ? strchr(col[2], ' ') : NULL;
	it->kind = sp ? strndup(col[2], (size_t)(sp - col[2])) : strdup("");
	it->to = dup_or_empty(sp ? sp + 1 : "");
	it->body = dup_or_empty(col[3]);
	it->created_at = strtoll(col[4] ? col[4] : "0", NULL, 10);
	it->attempts = strtoll(col[5] ? col[5] : "0", NULL, 10);
	c->next_at[c->n] = strtoll(col[6] ? col[6] : "0", NULL, 10);
	c->n++;
	if (!it->event_id || !it->kind || !it->to || !it->body)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

int
outbox_claim(struct store *st, int64_t now, int64_t lease, int all,
	     size_t max, struct outbox_item **items, size_t *n,
	     struct error *err)
{
	const struct qv v[] = { I(all ? INT64_MAX : now), I((int64_t)max) };
	struct claim c = { NULL, NULL, 0, max };
	size_t i, kept = 0;
	int64_t changes;

	*items = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	c.items = calloc(max, sizeof(*c.items));
	c.next_at = calloc(max, sizeof(*c.next_at));
	if (c.items == NULL || c.next_at == NULL) {
		free(c.items);
		free(c.next_at);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	store_lock(st);
	if (run(st, "SELECT id, event_id, target, body, created_at, attempts "
	    ", next_at FROM notify_outbox WHERE delivered_at IS NULL AND given_up_at "
	    "IS NULL AND next_at <= $1 ORDER BY next_at, id LIMIT $2", v, 2,
	    due_row, &c, NULL, err) < 0)
		goto fail;
	/* Claim each: whoever moves next_at first sends it. */
	for (i = 0; i < c.n; i++) {
		const struct qv w[] = { I(c.items[i].id), I(lease),
		    I(c.next_at[i]) };

		if (run(st, "UPDATE notify_outbox SET next_at = $2 WHERE id = "
		    "$1 AND next_at = $3 AND delivered_at IS NULL AND "
		    "given_up_at IS NULL", w, 3, NULL, NULL, &changes,
		    err) < 0)
			goto fail;
		if (changes == 1) {
			if (kept != i) {
				struct outbox_item t = c.items[kept];

				c.items[kept] = c.items[i];
				c.items[i] = t;
			}
			kept++;
		}
	}
	store_unlock(st);
	free(c.next_at);
	for (i = kept; i < c.n; i++)
		item_release(&c.items[i]);
	if (kept == 0) {
		free(c.items);
		return 0;
	}
	*items = c.items;
	*n = kept;
	return 0;
fail:
	store_unlock(st);
	free(c.next_at);
	outbox_items_free(c.items, c.n);
	return -1;
}

void
outbox_items_free(struct outbox_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		item_release(&items[i]);
	free(items);
}

/* One statement on one row, in a transaction of its own. */
static int
update_row(struct store *st, const char *sql, int64_t id, int64_t t,
	   struct error *err)
{
	const struct qv v[] = { I(id), I(t) };
	int rc;

	store_lock(st);
	rc = run(st, sql, v, 2, NULL, NULL, NULL, err);
	store_unlock(st);
	return rc;
}

int
outbox_delivered(struct store *st, int64_t id, int64_t now,
		 struct error *err)
{
	return update_row(st, "UPDATE notify_outbox SET delivered_at = $2, "
	    "attempts = attempts + 1 WHERE id = $1", id, now, err);
}

int
outbox_retry(struct store *st, int64_t id, int64_t next_at,
	     struct error *err)
{
	return update_row(st, "UPDATE notify_outbox SET next_at = $2, "
	    "attempts = attempts + 1 WHERE id = $1", id, next_at, err);
}

int
outbox_give_up(struct store *st, int64_t id, int64_t now, struct error *err)
{
	return update_row(st, "UPDATE notify_outbox SET given_up_at = $2, "
	    "attempts = attempts + 1 WHERE id = $1", id, now, err);
}

int
outbox_pending(struct store *st, int64_t *n, struct error *err)
{
	int rc;

	*n = 0;
	store_lock(st);
	rc = run(st, "SELECT count(*) FROM notify_outbox WHERE delivered_at "
	    "IS NULL AND given_up_at IS NULL", NULL, 0, count_row, n, NULL,
	    err);
	store_unlock(st);
	return rc;
}
