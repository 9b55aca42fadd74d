/*
 * store_pg: the PostgreSQL backend of the store (include/store.h), for
 * several ingest nodes sharing one store.
 *
 * - A put first takes a transaction's advisory lock named by the report's
 *   identity (organization-name, report-id, range), so that the puts of
 *   one identity, on this node or another, decide one after the other
 *   whether they are new, a duplicate or a conflict (doc/identity.md):
 *   the second sees what the first committed. The identity and the
 *   digest of the content are a unique constraint besides, so that a
 *   copy is stored once whatever happens.
 * - synchronous_commit is on for the session, whatever the server's
 *   default: a COMMIT that returned is on the server's disk.
 * - The migrations of schema/postgresql/ are applied under an advisory
 *   lock, so that nodes starting at once apply each one once.
 * - When the server goes away (a restart), every call fails ERR_BUSY
 *   (the daemon answers 503, the import exits 75) and the next
 *   transaction connects again; a transaction is never carried over to
 *   a new connection.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array.h"
#include "count.h"
#include "fmt.h"
#include "schema.h"
#include "store_pg.h"
#include "banned.h"

/* pg_advisory_lock() key of the migrations: "TLSR" in ASCII. */
#define MIGRATION_LOCK	"1414288210"

/* Seconds to wait for the server when connecting, unless the URI says. */
#define CONNECT_TIMEOUT	"5"

/* A statement's name on the connection: tlsrpt_N. */
#define STMT_NAME_MAX 16

static const char *
stmt_name(char name[STMT_NAME_MAX], int which)
{
	int n = snprintf(name, STMT_NAME_MAX, "tlsrpt_%d", which);

	return n < 0 || n >= STMT_NAME_MAX ? "tlsrpt_bad" : name;
}

static const char *const sql_text[PG_STMT_COUNT] = {
	[PG_BEGIN] = "BEGIN",
	[PG_COMMIT] = "COMMIT",
	[PG_ROLLBACK] = "ROLLBACK",
	[PG_SAVEPOINT] = "SAVEPOINT one",
	[PG_RELEASE] = "RELEASE SAVEPOINT one",
	[PG_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT one",
	/* A put's (copy_key NULL) and a copy's: a row copied before is
	 * not copied again. */
	[PG_PAYLOAD] = "INSERT INTO payload (" STORE_COLUMNS_PAYLOAD
	    ", copy_key) VALUES "
	    "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) "
	    "ON CONFLICT (copy_key) DO NOTHING RETURNING id",
	[PG_LOCK] = "SELECT pg_advisory_xact_lock(" PG_IDENTITY_LOCK
	    ", $1::integer)",
	/* The copies of an identity (migration 003): any one of them
	 * names the first, through the index of report_copy. */
	[PG_FIRST] = "SELECT id, digest, received_at FROM report WHERE id = "
	    "(SELECT COALESCE(first_copy, id) FROM report WHERE "
	    "organization_name = $1 AND report_id = $2 AND start_time = $3 "
	    "AND end_time = $4 LIMIT 1)",
	[PG_SAME] = "SELECT id FROM report WHERE organization_name = $1 AND "
	    "report_id = $2 AND start_time = $3 AND end_time = $4 AND "
	    "digest = $5",
	[PG_MARK] = "UPDATE report SET conflicting = 1 WHERE id = $1 AND "
	    "conflicting = 0",
	[PG_DIGEST] = "UPDATE report SET digest = $1 WHERE id = $2",
	/* The values of store_policy_from_values(), after the row id,
	 * and of store_failure_from_values() (store_backend.h). */
	[PG_ROW_POLICIES] = "SELECT id, " STORE_COLUMNS_POLICY " FROM policy "
	    "WHERE report = $1 ORDER BY idx, id",
	[PG_ROW_FAILURES] = "SELECT " STORE_COLUMNS_FAILURE " FROM failure "
	    "WHERE policy IN (SELECT id FROM policy WHERE report = $1) "
	    "ORDER BY policy, id",
	[PG_REPORT] = "INSERT INTO report (" STORE_COLUMNS_REPORT ") "
	    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) "
	    "ON CONFLICT ON CONSTRAINT report_copy DO NOTHING RETURNING id",
	[PG_POLICY] = "INSERT INTO policy (" STORE_COLUMNS_POLICY ") "
	    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) "
	    "RETURNING id",
	[PG_FAILURE] = "INSERT INTO failure (" STORE_COLUMNS_FAILURE ") "
	    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
	[PG_COPIED] = "SELECT 1 FROM payload WHERE copy_key = $1",
	/* The per-day aggregates of the transaction's new reports (an
	 * array), in key order: two transactions adding to the same rows
	 * take their locks in one order, so wait but never deadlock. */
	[PG_DAILY] = "INSERT INTO daily (policy_domain, day, "
	    "organization_name, policy_type, reports, successful, failed) "
	    "SELECT policy_domain, start_time / 86400, organization_name, "
	    "policy_type, COUNT(DISTINCT report), "
	    COUNT_SUM_PG("successful") ", " COUNT_SUM_PG("failed")
	    " FROM policy WHERE report = ANY ($1::bigint[]) "
	    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 "
	    "ON CONFLICT (policy_domain, day, organization_name, "
	    "policy_type) DO UPDATE SET "
	    "reports = daily.reports + EXCLUDED.reports, "
	    "successful = " COUNT_ADD_SQL("daily.successful",
	    "EXCLUDED.successful") ", "
	    "failed = " COUNT_ADD_SQL("daily.failed", "EXCLUDED.failed"),
	[PG_EV_POLICIES] = "SELECT p.id, p.report, "
	    "COALESCE(r.first_copy, r.id), p.organization_name, "
	    "p.start_time, p.end_time, p.policy_type, p.policy_set, p.mode, "
	    "p.mx_patterns, p.successful, p.failed FROM policy p "
	    "JOIN report r ON r.id = p.report "
	    "WHERE p.policy_domain = $1 AND p.end_time > $2 AND "
	    "p.end_time <= $3 ORDER BY p.report, p.idx",
	[PG_EV_FAILURES] = "SELECT f.policy, f.result_type, "
	    "f.receiving_mx_hostname, f.failed_sessions "
	    "FROM policy p JOIN failure f ON f.policy = p.id "
	    "WHERE p.policy_domain = $1 AND p.end_time > $2 AND "
	    "p.end_time <= $3 ORDER BY f.policy, f.id",
	/* One step back through the index policy_domain. */
	[PG_EV_LAST] = "SELECT COALESCE(MAX(end_time), 0) FROM policy "
	    "WHERE policy_domain = $1 AND end_time <= $2",
	[PG_DOMAINS] = "SELECT DISTINCT policy_domain FROM policy "
	    "WHERE policy_domain <> '' ORDER BY 1",
	[PG_READ_DOMAINS] = "SELECT p.policy_domain, COUNT(DISTINCT r.id), "
	    "MIN(r.start_time), MAX(r.end_time) "
	    "FROM policy p JOIN report r ON r.id = p.report "
	    "WHERE p.policy_domain <> '' "
	    "GROUP BY p.policy_domain ORDER BY p.policy_domain",
	/*
	 * The server's snapshot (xmin:xmax:running): it is the same
	 * text twice only when no transaction ended and none was given an
	 * id in between, so a commit anywhere (another node, an import)
	 * changes it, and an idle server leaves it. The txid_ name,
	 * unlike pg_current_snapshot(), is there before PostgreSQL 13.
	 */
	[PG_CHANGES] = "SELECT txid_current_snapshot()::text",
	/* A page of names, one step down the index each. */
	[PG_DOMAIN_PAGE] = "WITH RECURSIVE page(d, n) AS ("
	    "SELECT (SELECT policy_domain FROM policy WHERE policy_domain > $1 "
	    "ORDER BY policy_domain LIMIT 1), 1 UNION ALL SELECT (SELECT "
	    "policy_domain FROM policy WHERE policy_domain > page.d ORDER BY "
	    "policy_domain LIMIT 1), n + 1 FROM page WHERE page.d IS NOT NULL "
	    "AND n < $2) SELECT d FROM page WHERE d IS NOT NULL",
	/* The UTC day of the report's last second, as SQLite's date(). */
	[PG_READ_TOTALS] = "SELECT COUNT(DISTINCT r.id), "
	    "COUNT(DISTINCT floor((r.end_time - 1) / 86400.0)), "
	    "COUNT(DISTINCT r.organization_name), "
	    "MIN(r.start_time), MAX(r.end_time) "
	    "FROM policy p JOIN report r ON r.id = p.report "
	    "WHERE p.policy_domain = $1",
	[PG_READ_TYPES] = "SELECT policy_type, COUNT(DISTINCT report), "
	    COUNT_SUM_PG("successful") ", " COUNT_SUM_PG("failed")
	    " FROM policy WHERE policy_domain = $1 GROUP BY policy_type "
	    "ORDER BY policy_type",
	/* A page of the quarantine after row $1, $2 rows at most (NULL:
	 * all), the data only when $3 is 1. */
	[PG_QUARANTINE] = "SELECT id, received_at, source, peer, user_agent, "
	    "message_id, path, part, encoding, size, reason, dkim_domain, "
	    "kept, sha256, CASE WHEN $3::integer = 1 THEN data END "
	    "FROM payload WHERE id > $1 AND outcome = 'rejected' "
	    "ORDER BY id LIMIT $2",
};

/* Length of the valid UTF-8 sequence at s, or 0 (as PostgreSQL checks:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

void
pg_args_init(struct pg_args *a)
{
	memset(a, 0, sizeof(*a));
}

static int
arg_slot(struct pg_args *a)
{
	if (a->n == PG_ARGS_MAX) {
		a->nomem = 1;
		return -1;
	}
	a->v[a->n] = NULL;
	a->len[a->n] = 0;
	a->fmt[a->n] = 0;
	a->owned[a->n] = NULL;
	return a->n++;
}

/* Text from outside (a User-Agent, a file name) may be any bytes; the
 * database takes UTF-8 only. */
void
pg_arg_text(struct pg_args *a, const char *v)
{
	const unsigned char *s;
	size_t n;
	char *c;
	int i;

	if ((i = arg_slot(a)) < 0 || v == NULL)
		return;
	for (s = (const unsigned char *)v; *s; s += n)
		if ((n = utf8_len(s)) == 0)
			break;
	if (*s == '\0') {
		a->v[i] = v;
		return;
	}
	if ((c = strdup(v)) == NULL) {
		a->nomem = 1;
		return;
	}
	for (s = (unsigned char *)c; *s; s += n)
		if ((n = utf8_len(s)) == 0) {
			*(unsigned char *)s = '?';
			n = 1;
		}
	a->owned[i] = c;
	a->v[i] = c;
}

void
pg_arg_int(struct pg_args *a, int64_t v)
{
	int i, n;

	if ((i = arg_slot(a)) < 0)
		return;
	n = snprintf(a->num[i], sizeof(a->num[i]), "%lld", (long long)v);
	if (n < 0 || (size_t)n >= sizeof(a->num[i]))
		a->nomem = 1;
	a->v[i] = a->num[i];
}

void
pg_arg_null(struct pg_args *a)
{
	arg_slot(a);
}

void
pg_arg_ints(struct pg_args *a, const int64_t *v, size_t n)
{
	size_t size, len = 1, i;
	char *t;
	int k;

	if ((k = arg_slot(a)) < 0)
		return;
	/* "{", each number (20 characters at most) after its comma, "}". */
	if (n > (SIZE_MAX - 3) / 21 || (t = malloc(n * 21 + 3)) == NULL) {
		a->nomem = 1;
		return;
	}
	size = n * 21 + 3;
	t[0] = '{';
	for (i = 0; i < n; i++) {
		if (fmt_whole(t + len, size - len, "%s%lld", i ? "," : "",
		    (long long)v[i]) < 0) {
			free(t);
			a->nomem = 1;
			return;
		}
		len += strlen(t + len);
	}
	t[len++] = '}';
	t[len] = '\0';
	a->owned[k] = t;
	a->v[k] = t;
}

void
pg_arg_bytes(struct pg_args *a, const void *p, size_t len)
{
	int i;

	if ((i = arg_slot(a)) < 0)
		return;
	if (len > 0x7fffffff) {
		a->nomem = 1;
		return;
	}
	a->v[i] = len ? p : "";
	a->len[i] = (int)len;
	a->fmt[i] = 1;
}

void
pg_args_release(struct pg_args *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->owned[i]);
	a->n = 0;
}

/* The server's message on one line; len is at least 4. */
static const char *
conn_message(PGconn *c, const PGresult *res, char *buf, size_t len)
{
	const char *m = res ? PQresultErrorMessage(res) : "";
	char *nl;

	if (m == NULL || m[0] == '\0')
		m = c ? PQerrorMessage(c) : "out of memory";
	fmt_cut(buf, len, "%s", m && m[0] ? m : "unknown failure");
	while ((nl = strchr(buf, '\n')) != NULL)
		*nl = nl[1] ? ' ' : '\0';
	return buf;
}

/*
 * What may pass is ERR_BUSY: the connection lost, the server starting
 * or stopping (57), out of resources (53), a deadlock or serialization
 * failure (40), a lock not available, a read-only server.
 */
static int
pg_fail(struct pg_store *s, const PGresult *res, const char *what,
	struct error *err)
{
	const char *state = res ? PQresultErrorField(res,
	    PG_DIAG_SQLSTATE) : NULL;
	enum error_kind kind = ERR_INTERNAL;
	char msg[ERROR_MSG_MAX];

	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK ||
	    res == NULL)
		kind = ERR_BUSY;
	else if (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "40", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strncmp(state, "58", 2) == 0 ||
	    strcmp(state, "55P03") == 0 || strcmp(state, "25006") == 0))
		kind = ERR_BUSY;
	return error_set(err, kind, "%s: %s: %s", s->label, what,
	    conn_message(s->conn, res, msg, sizeof(msg)));
}

PGresult *
pg_run(struct pg_store *s, enum pg_stmt which, const struct pg_args *a,
       struct error *err)
{
	static const struct pg_args none;
	char name[STMT_NAME_MAX];
	PGresult *res;
	ExecStatusType rc;

	if (a == NULL)
		a = &none;
	if (a->nomem) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	res = PQexecPrepared(s->conn, stmt_name(name, (int)which), a->n, a->v,
	    a->len, a->fmt, 0);
	rc = PQresultStatus(res);
	if (res != NULL && (rc == PGRES_COMMAND_OK || rc == PGRES_TUPLES_OK))
		return res;
	pg_fail(s, res, which <= PG_ROLLBACK_TO ? sql_text[which] :
	    which < PG_EV_POLICIES ? "writing" : "reading", err);
	PQclear(res);
	return NULL;
}

PGresult *
pg_exec(struct pg_store *s, const char *sql, const struct pg_args *a,
	const char *what, struct error *err)
{
	PGresult *res;
	ExecStatusType rc;

	if (a->nomem) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	res = PQexecParams(s->conn, sql, a->n, NULL, a->v, a->len, a->fmt, 0);
	rc = PQresultStatus(res);
	if (res != NULL && (rc == PGRES_COMMAND_OK || rc == PGRES_TUPLES_OK))
		return res;
	pg_fail(s, res, what, err);
	PQclear(res);
	return NULL;
}

int64_t
pg_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *
pg_str(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

/* A statement that is not a prepared one: session settings, the
 * migrations (SQL of this program, never of its input). */
static int
exec_plain(struct pg_store *s, const char *sql, const char *what,
	   struct error *err)
{
	PGresult *res = PQexec(s->conn, sql);
	ExecStatusType rc = PQresultStatus(res);

	if (res != NULL && (rc == PGRES_COMMAND_OK || rc == PGRES_TUPLES_OK)) {
		PQclear(res);
		return 0;
	}
	pg_fail(s, res, what, err);
	PQclear(res);
	return -1;
}

/* Notices (a table that exists already) are not for the log. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
prepare_all(struct pg_store *s, struct error *err)
{
	char name[STMT_NAME_MAX];
	PGresult *res;
	int i;

	for (i = 0; i < PG_STMT_COUNT; i++) {
		res = PQprepare(s->conn, stmt_name(name, i), sql_text[i], 0,
		    NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(s, res, "preparing statements", err);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	s->prepared = 1;
	return 0;
}

int
pg_ensure(struct pg_store *s, struct error *err)
{
	static const char *const keys[] = {
		"connect_timeout", "client_encoding", "dbname", NULL
	};
	const char *values[] = { CONNECT_TIMEOUT, "UTF8", s->uri, NULL };
	char msg[ERROR_MSG_MAX];

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK) {
		if (s->prepared || !s->migrated)
			return 0;
		return prepare_all(s, err);
	}
	if (s->tx)
		return error_set(err, ERR_BUSY, "%s: the connection was lost "
		    "during a transaction", s->label);
	s->prepared = 0;
	/* The URI comes after the defaults: what it says wins. */
	if (s->conn == NULL) {
		s->conn = PQconnectdbParams(keys, values, 1);
		if (s->conn == NULL)
			return error_set(err, ERR_NOMEM, "out of memory");
		PQsetNoticeProcessor(s->conn, quiet, NULL);
	} else if (PQstatus(s->conn) != CONNECTION_OK) {
		PQreset(s->conn);
	}
	if (PQstatus(s->conn) != CONNECTION_OK)
		return error_set(err, ERR_BUSY, "%s: cannot connect: %s",
		    s->label, conn_message(s->conn, NULL, msg, sizeof(msg)));
	s->epoch++;
	if (exec_plain(s, "SET synchronous_commit TO on",
	    "setting synchronous_commit", err) < 0)
		return -1;
	return s->migrated ? prepare_all(s, err) : 0;
}

/*
 * Apply the migrations above the database's version, each in its own
 * transaction, holding an advisory lock so that nodes starting at once
 * apply each migration once.
 */
static int
migrate(struct pg_store *s, struct error *err)
{
	const struct schema_migration *m;
	const char *params[2];
	char num[16];
	PGresult *res;
	int have, known = 0, rc = -1, n;

	for (m = schema_migrations; m->sql; m++)
		if (strcmp(m->backend, "postgresql") == 0 && m->version > known)
			known = m->version;
	if (exec_plain(s, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")",
	    "waiting for the migration lock", err) < 0)
		return -1;
	if (exec_plain(s, "CREATE TABLE IF NOT EXISTS tlsrpt_schema ("
	    "version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())",
	    "creating tlsrpt_schema", err) < 0)
		goto done;
	res = PQexec(s->conn, "SELECT COALESCE(MAX(version), 0) "
	    "FROM tlsrpt_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_fail(s, res, "reading the schema version", err);
		PQclear(res);
		goto done;
	}
	have = (int)pg_int(res, 0, 0);
	PQclear(res);
	if (have > known) {
		error_set(err, ERR_IO, "%s: schema version %d is newer than "
		    "this tlsrptd knows (%d); upgrade tlsrptd", s->label,
		    have, known);
		goto done;
	}
	for (m = schema_migrations; m->sql; m++) {
		if (strcmp(m->backend, "postgresql") != 0 ||
		    m->version <= have)
			continue;
		if (exec_plain(s, "BEGIN", "BEGIN", err) < 0)
			goto done;
		if (exec_plain(s, m->sql, m->name, err) < 0)
			goto rollback;
		n = snprintf(num, sizeof(num), "%d", m->version);
		if (n < 0 || (size_t)n >= sizeof(num)) {
			error_set(err, ERR_INTERNAL, "%s: bad version",
			    m->name);
			goto rollback;
		}
		params[0] = num;
		params[1] = m->name;
		res = PQexecParams(s->conn, "INSERT INTO tlsrpt_schema "
		    "(version, name) VALUES ($1, $2)", 2, NULL, params, NULL,
		    NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(s, res, m->name, err);
			PQclear(res);
			goto rollback;
		}
		PQclear(res);
		if (exec_plain(s, "COMMIT", "COMMIT", err) < 0)
			goto rollback;
		have = m->version;
	}
	rc = 0;
	goto done;
rollback:
	PQclear(PQexec(s->conn, "ROLLBACK"));
done:
	PQclear(PQexec(s->conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK
	    ")"));
	return rc;
}

/* The URI as messages show it: database and host, never a password. */
static char *
make_label(const char *uri)
{
	PQconninfoOption *opts, *o;
	const char *db = NULL, *host = NULL;
	char buf[256];

	opts = PQconninfoParse(uri, NULL);
	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
	}
	fmt_cut(buf, sizeof(buf), "postgresql database %s%s%s",
	    db ? db : "(default)", host ? " on " : "", host ? host : "");
	PQconninfoFree(opts);
	return strdup(buf);
}

static void pg_close(void *be);

static void *
pg_open(const char *spec, struct error *err)
{
	struct pg_store *s;
	char *errmsg = NULL;
	PQconninfoOption *check;

	/* A URI libpq cannot read is a mistake, not a server down. */
	if ((check = PQconninfoParse(spec, &errmsg)) == NULL) {
		error_set(err, ERR_IO, "%s: %s", spec, errmsg ? errmsg :
		    "out of memory");
		PQfreemem(errmsg);
		return NULL;
	}
	PQconninfoFree(check);
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->uri = strdup(spec)) == NULL ||
	    (s->label = make_label(spec)) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (pg_ensure(s, err) < 0 || migrate(s, err) < 0)
		goto fail;
	s->migrated = 1;
	if (pg_ensure(s, err) < 0)
		goto fail;
	return s;
fail:
	pg_close(s);
	return NULL;
}

static void
pg_close(void *be)
{
	struct pg_store *s = be;

	if (s == NULL)
		return;
	PQfinish(s->conn);
	free(s->daily);
	free(s->uri);
	free(s->label);
	free(s);
}

/* Run a statement whose result is not needed; a (or NULL) is released. */
static int
run_done(struct pg_store *s, enum pg_stmt which, struct pg_args *a,
	 struct error *err)
{
	PGresult *res = pg_run(s, which, a, err);

	if (a != NULL)
		pg_args_release(a);
	PQclear(res);
	return res == NULL ? -1 : 0;
}

/*
 * BEGIN on a connection that works. A connection the server closed
 * while idle (it restarted) shows only at its next use: that BEGIN
 * fails, nothing was begun, and one more try on a new connection is
 * safe.
 */
static int
begin_tx(struct pg_store *s, struct error *err)
{
	if (pg_ensure(s, err) < 0)
		return -1;
	if (run_done(s, PG_BEGIN, NULL, err) == 0)
		return 0;
	if (PQstatus(s->conn) == CONNECTION_OK)
		return -1;
	error_clear(err);
	if (pg_ensure(s, err) < 0)
		return -1;
	return run_done(s, PG_BEGIN, NULL, err);
}

/* Remember a report new in the open transaction, for upsert_daily(). */
static int
daily_add(struct pg_store *s, int64_t report, struct error *err)
{
	if (array_grow(&s->daily, s->ndaily, &s->daily_cap,
	    sizeof(*s->daily), 64) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	s->daily[s->ndaily++] = report;
	return 0;
}

/* The per-day aggregates of the transaction's new reports, at its end. */
static int
upsert_daily(struct pg_store *s, struct error *err)
{
	struct pg_args a;
	int rc;

	if (s->ndaily == 0)
		return 0;
	pg_args_init(&a);
	pg_arg_ints(&a, s->daily, s->ndaily);
	rc = run_done(s, PG_DAILY, &a, err);
	s->ndaily = s->daily_mark = 0;
	return rc;
}

/* COMMIT of a transaction that failed answers ROLLBACK: not durable. */
static int
commit_tx(struct pg_store *s, struct error *err)
{
	PGresult *res;
	int ok;

	if (upsert_daily(s, err) < 0)
		return -1;
	res = pg_run(s, PG_COMMIT, NULL, err);
	if (res == NULL)
		return -1;
	ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!ok)
		return error_set(err, ERR_BUSY, "%s: the transaction was "
		    "rolled back", s->label);
	return 0;
}

/*
 * A transaction (store_backend.h), or a savepoint of the open one. Its
 * new reports' per-day aggregates are upserted by commit_tx(); mark
 * keeps the count before a savepoint, to undo its reports alone.
 */
static int
pg_begin(void *be, int nested, struct error *err)
{
	struct pg_store *s = be;

	if (nested) {
		s->daily_mark = s->ndaily;
		return run_done(s, PG_SAVEPOINT, NULL, err);
	}
	s->ndaily = s->daily_mark = 0;
	if (begin_tx(s, err) < 0)
		return -1;
	s->tx = 1;
	s->tx_epoch = s->epoch;
	return 0;
}

static int
pg_commit(void *be, int nested, struct error *err)
{
	struct pg_store *s = be;

	if (nested)
		return run_done(s, PG_RELEASE, NULL, err);
	s->tx = 0;
	if (s->epoch != s->tx_epoch || PQstatus(s->conn) != CONNECTION_OK) {
		s->ndaily = 0;
		return error_set(err, ERR_BUSY, "%s: the connection was lost "
		    "during the transaction", s->label);
	}
	return commit_tx(s, err);
}

static void
pg_rollback(void *be, int nested)
{
	struct pg_store *s = be;
	PGTransactionStatusType ts;

	if (nested) {
		s->ndaily = s->daily_mark;
	} else {
		s->ndaily = 0;
		s->tx = 0;
	}
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return;
	ts = PQtransactionStatus(s->conn);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return;
	if (nested) {
		run_done(s, PG_ROLLBACK_TO, NULL, NULL);
		run_done(s, PG_RELEASE, NULL, NULL);
		return;
	}
	run_done(s, PG_ROLLBACK, NULL, NULL);
}

/* Run a statement that returns one id (or none: *id 0). */
static int
run_id(struct pg_store *s, enum pg_stmt which, struct pg_args *a,
       int64_t *id, struct error *err)
{
	PGresult *res = pg_run(s, which, a, err);

	pg_args_release(a);
	*id = 0;
	if (res == NULL)
		return -1;
	if (PQntuples(res) > 0)
		*id = pg_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/*
 * The payload row of a put (key NULL) or of a copy (key: its copy key):
 * *id its row, or 0 when a row of that copy key is there already.
 */
static int
insert_payload(struct pg_store *s, const struct store_payload *p,
	       const char *outcome, const char *reason, int64_t report,
	       const char *key, int64_t *id, struct error *err)
{
	const struct origin *o = p->origin;
	struct pg_args a;

	pg_args_init(&a);
	pg_arg_int(&a, p->received_at);
	pg_arg_text(&a, o->source ? o->source : "");
	pg_arg_text(&a, o->peer);
	pg_arg_text(&a, o->user_agent);
	pg_arg_text(&a, o->message_id);
	pg_arg_text(&a, o->path);
	pg_arg_text(&a, o->part);
	pg_arg_text(&a, p->encoding);
	pg_arg_int(&a, (int64_t)p->size);
	pg_arg_bytes(&a, p->data, p->len);
	pg_arg_text(&a, outcome);
	pg_arg_text(&a, reason);
	if (report > 0)
		pg_arg_int(&a, report);
	else
		pg_arg_null(&a);
	pg_arg_text(&a, o->dkim_domain);
	if (p->kept < p->size)
		pg_arg_int(&a, (int64_t)p->kept);
	else
		pg_arg_null(&a);
	pg_arg_text(&a, p->sha256);
	pg_arg_text(&a, key);
	return run_id(s, PG_PAYLOAD, &a, id, err);
}

/*
 * The payload row of a put: a new one, or, for a row of the quarantine
 * parsed again, that row changed in place (rejected with another reason,
 * or the payload of its report now).
 */
static int
put_payload(struct pg_store *s, const struct store_payload *p,
	    const char *outcome, const char *reason, int64_t report,
	    struct error *err)
{
	struct pg_args a;
	PGresult *res;
	int64_t id;
	int n;

	if (p->replaces == 0)
		return insert_payload(s, p, outcome, reason, report, NULL, &id,
		    err);
	pg_args_init(&a);
	if (reason != NULL) {
		pg_arg_text(&a, reason);
		pg_arg_int(&a, p->replaces);
		res = pg_exec(s, "UPDATE payload SET reason = $1 WHERE id = $2 "
		    "AND outcome = 'rejected'", &a, "writing", err);
	} else {
		pg_arg_text(&a, outcome);
		pg_arg_int(&a, report);
		pg_arg_int(&a, p->replaces);
		res = pg_exec(s, "UPDATE payload SET outcome = $1, reason = "
		    "NULL, report = $2 WHERE id = $3 AND outcome = 'rejected'",
		    &a, "writing", err);
	}
	pg_args_release(&a);
	if (res == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (n != 1)
		return error_set(err, ERR_INPUT, "row %lld is not in the "
		    "quarantine", (long long)p->replaces);
	return 0;
}

/* The n values of a row (store_backend.h) as the next parameters. */
static void
pg_arg_values(struct pg_args *a, const struct store_value *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (v[i].kind) {
		case STORE_NULL:
			pg_arg_null(a);
			break;
		case STORE_INT:
			pg_arg_int(a, v[i].i);
			break;
		case STORE_TEXT:
			pg_arg_text(a, v[i].s);
			break;
		}
}

/* A report's policy rows and their failure rows, column for column. */
static int
insert_policies(struct pg_store *s, int64_t report,
		const struct store_row_report *r, struct error *err)
{
	struct store_value v[STORE_POLICY_VALUES], fv[STORE_FAILURE_VALUES];
	const struct store_row_policy *p;
	struct pg_args a;
	int64_t policy;
	size_t i, j;

	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		store_policy_values(report, r, p, v);
		pg_args_init(&a);
		pg_arg_values(&a, v, STORE_POLICY_VALUES);
		if (run_id(s, PG_POLICY, &a, &policy, err) < 0)
			return -1;
		for (j = 0; j < p->nfailures; j++) {
			store_failure_values(policy, &p->failures[j], fv);
			pg_args_init(&a);
			pg_arg_values(&a, fv, STORE_FAILURE_VALUES);
			if (run_done(s, PG_FAILURE, &a, err) < 0)
				return -1;
		}
	}
	return 0;
}

void
pg_args_identity(struct pg_args *a, const struct store_row_report *r)
{
	pg_args_init(a);
	pg_arg_text(a, r->organization_name);
	pg_arg_text(a, r->report_id);
	pg_arg_int(a, r->start_time);
	pg_arg_int(a, r->end_time);
}

/* FNV-1a of n bytes, on from h. */
static uint32_t
fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0)
		h = (h ^ *c++) * 16777619u;
	return h;
}

/*
 * The key of the lock of an identity: 32 bits of it. Two identities of
 * one key only wait for each other.
 */
int64_t
pg_identity_key(const struct store_row_report *r)
{
	uint32_t h = 2166136261u;
	int64_t range[2] = { r->start_time, r->end_time };

	h = fnv1a(h, r->organization_name, strlen(r->organization_name) + 1);
	h = fnv1a(h, r->report_id, strlen(r->report_id) + 1);
	h = fnv1a(h, range, sizeof(range));
	return (int32_t)h;
}

/*
 * The n columns of row of res from column first as the values of a row
 * (store_backend.h): each a text (res's) or NULL, its number read too.
 */
static void
row_values(const PGresult *res, int row, int first, struct store_value *v,
	   int n)
{
	int i;

	for (i = 0; i < n; i++) {
		v[i].kind = PQgetisnull(res, row, first + i) ? STORE_NULL :
		    STORE_TEXT;
		v[i].s = pg_str(res, row, first + i);
		v[i].i = pg_int(res, row, first + i);
	}
}

/*
 * The digest of the content of the report of row id, from its rows:
 * for a report stored before the digests were (migration 003).
 */
static int
report_digest(struct pg_store *s, int64_t id, char out[STORE_DIGEST_HEX + 1],
	      struct error *err)
{
	struct store_value v[STORE_POLICY_VALUES], fv[STORE_FAILURE_VALUES];
	struct store_row_report r;
	struct store_row_policy *pols = NULL, *p;
	struct store_row_failure *fails = NULL;
	PGresult *pres = NULL, *fres = NULL;
	struct pg_args a;
	int i, j, np, nf, rc = -1;

	memset(&r, 0, sizeof(r));
	pg_args_init(&a);
	pg_arg_int(&a, id);
	pres = pg_run(s, PG_ROW_POLICIES, &a, err);
	pg_args_release(&a);
	pg_args_init(&a);
	pg_arg_int(&a, id);
	fres = pres ? pg_run(s, PG_ROW_FAILURES, &a, err) : NULL;
	pg_args_release(&a);
	if (fres == NULL)
		goto done;
	np = PQntuples(pres);
	nf = PQntuples(fres);
	pols = calloc(np > 0 ? (size_t)np : 1, sizeof(*pols));
	fails = calloc(nf > 0 ? (size_t)nf : 1, sizeof(*fails));
	if (pols == NULL || fails == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	/* Both in policy row order: each policy's failures in one run. */
	for (i = j = 0; i < np; i++) {
		p = &pols[i];
		row_values(pres, i, 1, v, STORE_POLICY_VALUES);
		store_policy_from_values(p, v);
		while (j < nf && pg_int(fres, j, 0) < pg_int(pres, i, 0))
			j++;
		p->failures = &fails[j];
		for (; j < nf && pg_int(fres, j, 0) == pg_int(pres, i, 0);
		    j++) {
			row_values(fres, j, 0, fv, STORE_FAILURE_VALUES);
			store_failure_from_values(&fails[j], fv);
			p->nfailures++;
		}
	}
	r.policies = pols;
	r.npolicies = (size_t)np;
	rc = store_rows_digest(&r, out, err);
done:
	free(pols);
	free(fails);
	PQclear(pres);
	PQclear(fres);
	return rc;
}

/*
 * Which copies of r's identity the store holds (doc/identity.md): none
 * (new), one of the same content (a duplicate of it), or only others (a
 * conflict with the first of them); two lookups through the index of
 * report_copy, however many copies there are. A first copy stored before
 * migration 003 has no digest: it is taken from its rows now, and kept.
 */
static int
find_copies(struct pg_store *s, const struct store_row_report *r,
	    struct store_put_result *res, struct error *err)
{
	char digest[STORE_DIGEST_HEX + 1];
	const char *d;
	struct pg_args a;
	PGresult *q;
	int64_t id;

	memset(res, 0, sizeof(*res));
	pg_args_identity(&a, r);
	q = pg_run(s, PG_FIRST, &a, err);
	pg_args_release(&a);
	if (q == NULL)
		return -1;
	if (PQntuples(q) == 0) {
		PQclear(q);
		return 0;
	}
	res->first = pg_int(q, 0, 0);
	res->first_received = pg_int(q, 0, 2);
	d = pg_str(q, 0, 1);
	/* Not a digest of ours: matches none, as a conflict. */
	if (fmt_whole(digest, sizeof(digest), "%s", d ? d : "") < 0)
		digest[0] = '\0';
	PQclear(q);
	if (d == NULL) {
		if (report_digest(s, res->first, digest, err) < 0)
			return -1;
		pg_args_init(&a);
		pg_arg_text(&a, digest);
		pg_arg_int(&a, res->first);
		if (run_done(s, PG_DIGEST, &a, err) < 0)
			return -1;
	}
	if (strcmp(digest, r->digest) == 0) {
		id = res->first;
	} else {
		pg_args_identity(&a, r);
		pg_arg_text(&a, r->digest);
		if (run_id(s, PG_SAME, &a, &id, err) < 0)
			return -1;
	}
	if (id > 0) {
		memset(res, 0, sizeof(*res));
		res->kind = STORE_PUT_DUPLICATE;
		res->report = id;
		return 0;
	}
	res->kind = STORE_PUT_CONFLICT;
	return 0;
}

/*
 * A report's rows, unless a copy of the same identity and content is
 * there (a duplicate); inside the caller's transaction or savepoint.
 */
static int
write_report(struct pg_store *s, const struct store_row_report *r,
	     struct store_put_result *res, struct error *err)
{
	struct pg_args a;
	int64_t id;

	pg_args_init(&a);
	pg_arg_int(&a, pg_identity_key(r));
	if (run_id(s, PG_LOCK, &a, &id, err) < 0 ||
	    find_copies(s, r, res, err) < 0)
		return -1;
	if (res->kind == STORE_PUT_DUPLICATE)
		return 0;
	pg_args_identity(&a, r);
	pg_arg_text(&a, r->contact_info);
	pg_arg_int(&a, r->received_at);
	pg_arg_text(&a, r->digest);
	if (res->first > 0)
		pg_arg_int(&a, res->first);
	else
		pg_arg_null(&a);
	pg_arg_int(&a, res->first > 0);
	if (run_id(s, PG_REPORT, &a, &id, err) < 0)
		return -1;
	if (id == 0)	/* a node that took no lock stored it meanwhile */
		return error_set(err, ERR_BUSY, "%s: report %s from %s was "
		    "stored meanwhile", s->label, r->report_id,
		    r->organization_name);
	res->report = id;
	if (res->first > 0) {
		pg_args_init(&a);
		pg_arg_int(&a, res->first);
		if (run_id(s, PG_MARK, &a, &id, err) < 0)
			return -1;
	}
	id = res->report;
	return insert_policies(s, id, r, err) < 0 ||
	    daily_add(s, id, err) < 0 ? -1 : 0;
}

static int
pg_put_report(void *be, const struct store_payload *p,
	      const struct store_row_report *r, struct store_put_result *res,
	      struct error *err)
{
	struct pg_store *s = be;

	memset(res, 0, sizeof(*res));
	if (write_report(s, r, res, err) < 0)
		return -1;
	return put_payload(s, p, res->kind == STORE_PUT_DUPLICATE ?
	    "duplicate" : "accepted", NULL, res->report, err);
}

static int
pg_put_rejected(void *be, const struct store_payload *p, const char *reason,
		struct error *err)
{
	return put_payload(be, p, "rejected", reason, 0, err);
}

/*
 * One row of another store. Its copy key (the source row's number, time,
 * size and checksum) says whether it was copied before. The outcome is
 * this store's: accepted when the report is new here (a conflicting copy
 * too), duplicate when a copy of the same content was here already.
 */
static int
pg_copy_put(void *be, const struct store_row *row, int *copied,
	    struct error *err)
{
	struct pg_store *s = be;
	const struct store_row_report *r = row->report;
	const char *outcome = row->outcome;
	struct store_put_result res;
	int64_t report = 0, id;
	struct pg_args a;
	char key[96];

	*copied = 0;
	if (fmt_whole(key, sizeof(key), "%lld:%lld:%zu:%08lx",
	    (long long)row->id, (long long)row->payload.received_at,
	    row->payload.size, crc32(0L, row->payload.data,
	    (uInt)row->payload.len)) < 0)
		return error_set(err, ERR_INTERNAL, "copy key too long");
	pg_args_init(&a);
	pg_arg_text(&a, key);
	if (run_id(s, PG_COPIED, &a, &id, err) < 0)
		return -1;
	if (id != 0)
		return 0;
	if (r != NULL) {
		if (write_report(s, r, &res, err) < 0)
			return -1;
		if (strcmp(outcome, "rejected") != 0)
			outcome = res.kind == STORE_PUT_DUPLICATE ?
			    "duplicate" : "accepted";
		report = res.report;
	}
	if (insert_payload(s, &row->payload, outcome, row->reason, report,
	    key, &id, err) < 0)
		return -1;
	*copied = id > 0;
	return 0;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.put_report = pg_put_report,
	.put_rejected = pg_put_rejected,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.read = &store_pg_read_ops,
	.copy_put = pg_copy_put,
	.prune = store_pg_prune,
};
