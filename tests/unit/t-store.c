/*
 * Unit tests: store. The SQLite backend's files (migrations, WAL, the rows
 * as written), the values of a row's columns (store_rows.c), then the
 * shared suite, through the store's own interface only, on SQLite and,
 * when TLSRPT_TEST_PG names an empty PostgreSQL database
 * (tests/e2e/pg-store.sh), on PostgreSQL: identity, duplicates,
 * quarantine, batches, the group commit of concurrent puts, the reads.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "evidence.h"
#include "received.h"
#include "report.h"
#include "schema.h"
#include "rfc3339.h"
#include "store.h"
#include "store_backend.h"
#include "store_read.h"
#include "tap.h"

static const char json[] =
    "{\"organization-name\":\"Example Mail\",\"date-range\":{"
    "\"start-datetime\":\"2026-03-01T00:00:00Z\",\"end-datetime\":"
    "\"2026-03-01T23:59:59Z\"},\"report-id\":\"r1\",\"policies\":[{"
    "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\","
    "\"policy-string\":[\"version: STSv1\",\"mx: b.example.com\","
    "\"mx: a.example.com\",\"mode: testing\"]},\"summary\":{"
    "\"total-successful-session-count\":5,\"total-failure-session-count\":1},"
    "\"failure-details\":[{\"result-type\":\"starttls-not-supported\","
    "\"receiving-mx-hostname\":\"a.example.com\",\"failed-session-count\":1}"
    "]}]}";

/* The number of the newest SQLite migration compiled in. */
static int
newest_sqlite(void)
{
	const struct schema_migration *m;
	int v = 0;

	for (m = schema_migrations; m->sql; m++)
		if (strcmp(m->backend, "sqlite") == 0 && m->version > v)
			v = m->version;
	return v;
}

static long long
count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The test report with another report-id. */
static int
parse_as(const char *id, struct report *r)
{
	char buf[sizeof(json) + 64];
	const char *at = strstr(json, "\"r1\"");
	struct error err;
	int n;

	n = snprintf(buf, sizeof(buf), "%.*s\"%s\"%s", (int)(at - json),
	    json, id, at + 4);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return report_parse(buf, (size_t)n, TEST_RECEIVED, r, &err);
}

#define THREADS 8
#define PER_THREAD 25

struct worker {
	struct store *st;
	int n, failed, fresh_shared;
};

/* Each thread puts its own reports and the one all of them share. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct origin o = { .source = "https", .peer = "192.0.2.1",
	    .user_agent = "t-store \xff\xfe bytes" };
	struct error err;
	struct report r;
	char id[32];
	int i;
	struct store_put_result put;

	for (i = 0; i <= PER_THREAD; i++) {
		if (i == PER_THREAD)
			snprintf(id, sizeof(id), "shared");
		else
			snprintf(id, sizeof(id), "t%d-%d", w->n, i);
		if (parse_as(id, &r) < 0) {
			w->failed++;
			continue;
		}
		if (store_put_report(w->st, json, sizeof(json) - 1, &o, &r,
		    &put, &err) < 0)
			w->failed++;
		else if (i == PER_THREAD && put.kind == STORE_PUT_NEW)
			w->fresh_shared++;
		report_release(&r);
	}
	return NULL;
}

/* The sources of puts for the writer's commit delay: the threads. */
static unsigned
sources(void *arg)
{
	(void)arg;
	return THREADS;
}

static long long
json_int(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/*
 * Copies of one report, conflict.example's c1 from Forger: the summary's
 * counts and the failure details vary (doc/identity.md).
 */
static const char conflict_fmt[] =
    "{\"organization-name\":\"Forger\",\"date-range\":{"
    "\"start-datetime\":\"2026-03-0%dT00:00:00Z\",\"end-datetime\":"
    "\"2026-03-0%dT23:59:59Z\"},\"report-id\":\"%s\",\"policies\":[{"
    "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
    "\"conflict.example\"},\"summary\":{"
    "\"total-successful-session-count\":%d,"
    "\"total-failure-session-count\":%d}%s}]}";
static const char fails_ab[] =
    ",\"failure-details\":[{\"result-type\":\"certificate-expired\","
    "\"receiving-mx-hostname\":\"a.conflict.example\","
    "\"failed-session-count\":60},{\"result-type\":"
    "\"starttls-not-supported\",\"receiving-mx-hostname\":"
    "\"b.conflict.example\",\"failed-session-count\":40}]";
static const char fails_ba[] =
    ",\"failure-details\":[{\"failed-session-count\":40,\"result-type\":"
    "\"starttls-not-supported\",\"receiving-mx-hostname\":"
    "\"b.conflict.example\"},{\"result-type\":\"certificate-expired\","
    "\"receiving-mx-hostname\":\"a.conflict.example\","
    "\"failed-session-count\":60}]";
/* The forged copy (100 sessions, none failed) written otherwise. */
static const char forged_again[] =
    "{ \"report-id\": \"c1\",\n  \"policies\": [ { \"summary\": {\n"
    "    \"total-failure-session-count\": 0,\n"
    "    \"total-successful-session-count\": 100 },\n"
    "  \"policy\": { \"policy-domain\": \"conflict.example\",\n"
    "    \"policy-type\": \"sts\" } } ],\n"
    "  \"date-range\": { \"end-datetime\": \"2026-03-02T23:59:59Z\",\n"
    "    \"start-datetime\": \"2026-03-02T00:00:00Z\" },\n"
    "  \"organization-name\": \"Forger\" }\n";

/* Parse and put body; -1 when either fails. */
static int
put_body(struct store *st, const char *body, struct store_put_result *put)
{
	struct origin o = { .source = "https", .peer = "192.0.2.9" };
	struct error err;
	struct report r;
	int rc;

	if (report_parse(body, strlen(body), TEST_RECEIVED, &r, &err) < 0) {
		printf("#   %s\n", err.msg);
		return -1;
	}
	rc = store_put_report(st, body, strlen(body), &o, &r, put, &err);
	if (rc < 0)
		printf("#   %s\n", err.msg);
	report_release(&r);
	return rc;
}

static int
put_copy(struct store *st, int day, const char *id, int ok_n, int failed,
	 const char *details, struct store_put_result *put)
{
	char body[2048];
	int n = snprintf(body, sizeof(body), conflict_fmt, day, day, id, ok_n,
	    failed, details);

	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	return put_body(st, body, put);
}

/*
 * A forged copy first, then the real one: both stored, both answered as
 * new reports, the second naming the first; the same content again, in
 * any layout or order, a duplicate of its copy; and the evidence gives
 * each copy the identity of the first, and the domain's last report
 * whatever the window.
 */
static void
conflicts(struct store *st, const char *spec, const char *backend)
{
	struct store_put_result put;
	int64_t forged, real, third, c0, end, end0, t0 = time(NULL);
	struct evidence ev;
	struct error err;
	size_t i;
	int mine;

	rfc3339_parse("2026-03-02T23:59:59Z", &end);
	rfc3339_parse("2026-03-01T23:59:59Z", &end0);
	ok(put_copy(st, 1, "c0", 100, 0, "", &put) == 0 &&
	    put.kind == STORE_PUT_NEW, "%s: conflicts: another report of "
	    "the domain, a day before", backend);
	c0 = put.report;
	ok(put_copy(st, 2, "c1", 100, 0, "", &put) == 0 &&
	    put.kind == STORE_PUT_NEW && put.first == 0, "%s: conflicts: the "
	    "forged copy first: new", backend);
	forged = put.report;
	ok(put_copy(st, 2, "c1", 900, 100, fails_ab, &put) == 0 &&
	    put.kind == STORE_PUT_CONFLICT && put.first == forged &&
	    put.first_received >= t0 && put.first_received <= time(NULL) &&
	    put.report > forged, "%s: conflicts: the real copy is stored, "
	    "a conflict with the first", backend);
	real = put.report;
	ok(put_copy(st, 2, "c1", 100, 0, "", &put) == 0 &&
	    put.kind == STORE_PUT_DUPLICATE && put.report == forged &&
	    put.first == 0, "%s: conflicts: the forged copy again: a "
	    "duplicate of it", backend);
	ok(put_body(st, forged_again, &put) == 0 &&
	    put.kind == STORE_PUT_DUPLICATE && put.report == forged,
	    "%s: conflicts: ... in another layout and key order too",
	    backend);
	ok(put_copy(st, 2, "c1", 900, 100, fails_ba, &put) == 0 &&
	    put.kind == STORE_PUT_DUPLICATE && put.report == real,
	    "%s: conflicts: the real copy again, its failures in another "
	    "order: a duplicate of it", backend);
	ok(put_copy(st, 2, "c1", 100, 1, "", &put) == 0 &&
	    put.kind == STORE_PUT_CONFLICT && put.first == forged,
	    "%s: conflicts: a third content conflicts with the first",
	    backend);
	third = put.report;
	ok(put_copy(st, 2, "c1", 900, 100, fails_ab, &put) == 0 &&
	    put.kind == STORE_PUT_DUPLICATE && put.report == real,
	    "%s: conflicts: and the real copy is still a duplicate of "
	    "itself", backend);

	ok(evidence_load(st, "conflict.example", 0, 1900000000, &ev, &err) ==
	    0 && ev.n == 4, "%s: conflicts: evidence of the four reports",
	    backend);
	mine = 0;
	for (i = 0; i < ev.n; i++) {
		const struct evidence_policy *p = &ev.policies[i];

		if (p->report == c0)
			mine += p->identity == c0;
		else if (p->report == forged || p->report == real ||
		    p->report == third)
			mine += p->identity == forged;
	}
	is_int(mine, 4, "%s: conflicts: the copies share the first's "
	    "identity, the lone report has its own", backend);
	ok(ev.n == 4 && ev.policies[2].report == real &&
	    ev.policies[2].nfailures == 2 && ev.policies[2].failed == 100,
	    "%s: conflicts: the real copy's failures are there", backend);
	is_int(ev.last_report, end, "%s: conflicts: the last report in the "
	    "window", backend);
	evidence_release(&ev);
	ok(evidence_load(st, "conflict.example", end + 86400,
	    end + 30 * 86400, &ev, &err) == 0 && ev.n == 0,
	    "%s: conflicts: a window after the reports is empty", backend);
	is_int(ev.last_report, end, "%s: conflicts: ... and names the last "
	    "report before it", backend);
	evidence_release(&ev);
	ok(evidence_load(st, "conflict.example", 0, end - 1, &ev, &err) == 0,
	    "%s: conflicts: a window ending before the copies", backend);
	is_int(ev.last_report, end0, "%s: conflicts: ... its last report is "
	    "the one before", backend);
	evidence_release(&ev);
	ok(evidence_load(st, "conflict.example", 0, end0 - 1, &ev, &err) ==
	    0 && ev.last_report == 0, "%s: conflicts: no report by then: 0",
	    backend);
	evidence_release(&ev);
	if (strcmp(backend, "sqlite") != 0)
		return;
	is_int(count(spec, "SELECT count(*) FROM report WHERE conflicting = 1 "
	    "AND report_id = 'c1'"), 3, "%s: conflicts: the three copies "
	    "marked", backend);
	is_int(count(spec, "SELECT count(*) FROM report WHERE conflicting = 0 "
	    "AND first_copy IS NULL AND report_id = 'c0' AND length(digest) = "
	    "64"), 1, "%s: conflicts: the lone report is not", backend);
	is_int(count(spec, "SELECT count(*) FROM payload WHERE outcome = "
	    "'duplicate' AND report IN (SELECT id FROM report WHERE "
	    "report_id = 'c1')"), 4, "%s: conflicts: the duplicates' "
	    "receipts name their copy", backend);
}

/*
 * The checks shared_suite() makes on any backend; on SQLite,
 * conflicts() makes SHARED_SQLITE_ONLY more (tap.h: tap_suite_end).
 */
#define SHARED_CHECKS 62
/* A walk of the quarantine: its rows' ids and reasons. */
struct qwalk {
	int64_t ids[8];
	char reasons[8][64];
	size_t n;
};

static int
qwalk_row(const struct store_quarantined *q, void *arg)
{
	struct qwalk *w = arg;

	if (w->n < 8) {
		w->ids[w->n] = q->id;
		snprintf(w->reasons[w->n], sizeof(w->reasons[0]), "%s",
		    q->reason ? q->reason : "");
	}
	w->n++;
	return 0;
}

/*
 * The quarantine (store.h): walked without the data, a row read back as
 * it came, a report parsed from it stored in its place (it leaves), a row
 * that stays given its new reason, a row cut to BOUND_QUARANTINE_KEEP.
 */
static void
quarantine_suite(struct store *st, const char *backend)
{
	struct origin o = { .source = "https", .peer = "192.0.2.7" };
	struct store_quarantined q;
	struct store_put_result put;
	struct store_rows *rows;
	struct qwalk w = { .n = 0 };
	struct report r;
	struct error err;
	char body[2048];
	char *big;
	int found, n;
	int64_t id;

	n = snprintf(body, sizeof(body), conflict_fmt, 5, 5, "q1", 10, 0, "");
	ok(n > 0 && (size_t)n < sizeof(body) &&
	    store_put_rejected(st, body, (size_t)n, &o, "refused once",
	    &err) == 0 && store_put_rejected(st, "junk", 4, &o, "not json",
	    &err) == 0, "%s: two payloads rejected", backend);
	ok(store_quarantine_walk(st, 0, 0, qwalk_row, &w, &err) == 0 &&
	    w.n == 3 && strcmp(w.reasons[0], "policies: missing") == 0 &&
	    strcmp(w.reasons[1], "refused once") == 0,
	    "%s: the quarantine walked in row order", backend);
	id = w.ids[1];
	w.n = 0;
	ok(store_quarantine_walk(st, id, 1, qwalk_row, &w, &err) == 0 &&
	    w.n == 1 && strcmp(w.reasons[0], "not json") == 0,
	    "%s: a page after a row", backend);
	ok(store_quarantine_get(st, id, &q, &found, &err) == 0 && found &&
	    q.kept == (size_t)n && memcmp(q.data, body, q.kept) == 0 &&
	    q.kept == q.size && strcmp(q.origin.peer, "192.0.2.7") == 0,
	    "%s: a row read back as it came", backend);
	store_quarantined_release(&q);
	ok(report_parse(body, (size_t)n, TEST_RECEIVED, &r, &err) == 0 &&
	    (rows = store_rows_new(&r, &err)) != NULL, "%s: parsed again",
	    backend);
	ok(store_quarantine_put_rows(st, id, 1772668800, rows, &put,
	    &err) == 0 && put.kind == STORE_PUT_NEW,
	    "%s: stored in place of its row", backend);
	ok(store_quarantine_put_rows(st, id, 1772668800, rows, &put,
	    &err) < 0 && err.kind == ERR_INPUT,
	    "%s: once only: the row is not in the quarantine now", backend);
	store_rows_free(rows);
	report_release(&r);
	ok(store_quarantine_get(st, id, &q, &found, &err) == 0 && !found,
	    "%s: the row left the quarantine", backend);
	w.n = 0;
	ok(store_quarantine_reject(st, 0, "x", &err) < 0 &&
	    store_quarantine_walk(st, 0, 0, qwalk_row, &w, &err) == 0 &&
	    w.n == 2 && store_quarantine_reject(st, w.ids[1], "still not json",
	    &err) == 0, "%s: a row that stays takes its new reason",
	    backend);
	big = malloc(BOUND_QUARANTINE_KEEP + 100);
	if (big != NULL)
		memset(big, 'j', BOUND_QUARANTINE_KEEP + 100);
	w.n = 0;
	ok(big != NULL && store_put_rejected(st, big,
	    BOUND_QUARANTINE_KEEP + 100, &o, "too big", &err) == 0 &&
	    store_quarantine_walk(st, 0, 0, qwalk_row, &w, &err) == 0 &&
	    w.n == 3 && strcmp(w.reasons[1], "still not json") == 0,
	    "%s: the new reason kept, a big one added", backend);
	free(big);
	ok(store_quarantine_get(st, w.ids[2], &q, &found, &err) == 0 &&
	    found && q.size == BOUND_QUARANTINE_KEEP + 100 &&
	    q.kept == BOUND_QUARANTINE_KEEP && q.data != NULL &&
	    q.sha256 != NULL && strlen(q.sha256) == 64,
	    "%s: a big row is its first bytes, its size and SHA-256",
	    backend);
	store_quarantined_release(&q);
}

#define SHARED_SQLITE_ONLY 3

static int
no_row(const struct store_domain_row *row, void *arg)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

/* The token of a reader (the watch's), "" on failure. */
static void
token_of(struct store *rd, char *token, size_t len)
{
	const struct store_read_ops *read = store_backend_ops(rd)->read;
	struct error err;

	if (read->changes(store_backend_handle(rd), token, len, &err) < 0)
		token[0] = '\0';
}

/*
 * The token of changes on a reader of its own, as the watch reads it: the
 * same after reads (its own and the writer's), another after a put
 * through the writer's connection. A server's snapshot also moves with
 * its own upkeep (autovacuum's analyse): the same once in a few tries.
 */
static void
changes(struct store *st, const char *spec, const char *backend)
{
	char before[WATCH_CHANGES_MAX], after[WATCH_CHANGES_MAX];
	struct origin o = { .source = "file", .path = "t1.json" };
	struct store_put_result put;
	struct evidence ev;
	struct error err;
	struct report r;
	struct store *rd;
	json_t *doms;
	char *next;
	int tries, rows, same = 0;
	struct store_count_walk walk = { .domains = no_row, .arg = &rows };

	rd = store_open_reader(spec, &err);
	ok(rd != NULL, "%s: changes: a reader opened", backend);
	if (rd == NULL)
		return;
	for (tries = 0; tries < 5 && !same; tries++) {
		token_of(rd, before, sizeof(before));
		rows = 0;
		if (store_backend_ops(rd)->read->counts(
		    store_backend_handle(rd), NULL, &walk, &err) < 0 ||
		    rows != 2)
			break;
		if (evidence_load(st, "example.com", 0, 1900000000, &ev,
		    &err) < 0)
			break;
		evidence_release(&ev);
		if (store_read_domains(st, NULL, 10, &doms, &next, &err) < 0)
			break;
		json_decref(doms);
		token_of(rd, after, sizeof(after));
		same = before[0] != '\0' && strcmp(before, after) == 0;
	}
	ok(same, "%s: changes: the token is the same after reads", backend);
	ok(parse_as("t1", &r) == 0 && store_put_report(st, json,
	    sizeof(json) - 1, &o, &r, &put, &err) == 0 &&
	    put.kind == STORE_PUT_NEW, "%s: changes: a put", backend);
	report_release(&r);
	token_of(rd, after, sizeof(after));
	ok(same && after[0] != '\0' && strcmp(before, after) != 0,
	    "%s: changes: another token after a put by another connection",
	    backend);
	store_close(rd);
}

static void shared_suite_body(const char *, const char *);

static void
shared_suite(const char *spec, const char *backend)
{
	int first = tap_n;

	shared_suite_body(spec, backend);
	tap_suite_end(backend, first, SHARED_CHECKS +
	    (strcmp(backend, "sqlite") == 0 ? SHARED_SQLITE_ONLY : 0));
}

static void
shared_suite_body(const char *spec, const char *backend)
{
	struct origin o = { .source = "file", .path = "r1.json" };
	struct worker w[THREADS];
	pthread_t th[THREADS];
	struct evidence ev;
	struct error err;
	struct report r;
	struct store *st;
	json_t *counts, *doms, *pol;
	char **names, *next;
	size_t n;
	struct store_put_result put;
	int i, round, fresh = 0, failed = 0;

	printf("# shared suite on %s\n", backend);
	st = store_open(spec, &err);
	ok(st != NULL, "%s: store opened", backend);
	if (st == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(store_backend(st), backend, "%s: the backend", backend);
	ok(parse_as("r1", &r) == 0, "%s: parse", backend);
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &put, &err) ==
	    0 && put.kind == STORE_PUT_NEW, "%s: first copy stored", backend);
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &put, &err) ==
	    0 && put.kind == STORE_PUT_DUPLICATE, "%s: second copy is a "
	    "duplicate", backend);
	report_release(&r);
	ok(store_put_rejected(st, "{}", 2, &o, "policies: missing", &err) == 0,
	    "%s: rejected payload kept", backend);

	conflicts(st, spec, backend);

	ok(store_read_domain_counts(st, "example.com", &counts, &err) == 0 &&
	    counts != NULL, "%s: domain counts", backend);
	is_int(json_int(counts, "reports"), 1, "%s: one report", backend);
	is_int(json_int(counts, "reporters"), 1, "%s: one reporter", backend);
	is_int(json_int(counts, "days"), 1, "%s: one day", backend);
	pol = json_array_get(json_object_get(counts, "policies"), 0);
	is_str(json_string_value(json_object_get(pol, "policy_type")), "sts",
	    "%s: the sts policy", backend);
	is_int(json_int(pol, "successful") * 10 + json_int(pol, "failed"),
	    51, "%s: its sessions", backend);
	json_decref(counts);
	ok(store_read_domain_counts(st, "nothing.example", &counts, &err) ==
	    0 && counts == NULL, "%s: no counts for an unknown domain",
	    backend);

	ok(evidence_load(st, "example.com", 0, 1900000000, &ev, &err) == 0,
	    "%s: evidence", backend);
	ok(ev.n == 1 && strcmp(ev.policies[0].policy_set, "mode: testing\n"
	    "mx: a.example.com\nmx: b.example.com\nversion: STSv1") == 0 &&
	    ev.policies[0].nmx == 2 && ev.policies[0].mode &&
	    strcmp(ev.policies[0].mode, "testing") == 0 &&
	    strcmp(ev.policies[0].reporter, "Example Mail") == 0,
	    "%s: the policy as a sorted set, its mode and mx", backend);
	ok(ev.n == 1 && ev.policies[0].nfailures == 1 &&
	    strcmp(ev.policies[0].failures[0].result_type,
	    "starttls-not-supported") == 0 &&
	    strcmp(ev.policies[0].failures[0].mx, "a.example.com") == 0 &&
	    ev.policies[0].failures[0].sessions == 1,
	    "%s: its failure", backend);
	evidence_release(&ev);
	ok(evidence_load(st, "example.com", 1900000000, 1900000001, &ev,
	    &err) == 0 && ev.n == 0, "%s: nothing outside the window",
	    backend);
	evidence_release(&ev);
	ok(evidence_domains(st, &names, &n, &err) == 0 && n == 2 &&
	    strcmp(names[0], "conflict.example") == 0 &&
	    strcmp(names[1], "example.com") == 0, "%s: the domains", backend);
	while (n > 0)
		free(names[--n]);
	free(names);
	ok(store_read_domains(st, NULL, 10, &doms, &next, &err) == 0 &&
	    json_array_size(doms) == 2 && next == NULL,
	    "%s: the API's domains", backend);
	json_decref(doms);

	changes(st, spec, backend);	/* a report more: t1 */

	/* A batch rolled back leaves nothing; one committed keeps all. */
	ok(parse_as("b1", &r) == 0, "%s: parse b1", backend);
	ok(store_batch_begin(st, &err) == 0 && store_put_report(st, json,
	    sizeof(json) - 1, &o, &r, &put, &err) == 0 &&
	    put.kind == STORE_PUT_NEW, "%s: put in a batch", backend);
	store_batch_rollback(st);
	ok(store_batch_begin(st, &err) == 0 && store_put_report(st, json,
	    sizeof(json) - 1, &o, &r, &put, &err) == 0 &&
	    put.kind == STORE_PUT_NEW && store_put_report(st, json,
	    sizeof(json) - 1, &o, &r, &put, &err) == 0 &&
	    put.kind == STORE_PUT_DUPLICATE &&
	    store_batch_commit(st, &err) == 0,
	    "%s: after a rollback the same report is new; the batch commits",
	    backend);
	report_release(&r);

	/* Concurrent puts, each written by its caller in turn, then by the
	 * writer threads in shared transactions; the shared report once. */
	for (round = 0; round < 2; round++) {
		if (round == 1)
			ok(store_start_writer(st, 1000, 1, sources, NULL,
			    &err) == 0, "%s: the writer threads start",
			    backend);
		for (i = 0; i < THREADS; i++) {
			w[i].st = st;
			w[i].n = round * THREADS + i;
			w[i].failed = w[i].fresh_shared = 0;
			pthread_create(&th[i], NULL, worker_main, &w[i]);
		}
		for (i = 0; i < THREADS; i++) {
			pthread_join(th[i], NULL);
			failed += w[i].failed;
			fresh += w[i].fresh_shared;
		}
		is_int(failed, 0, "%s: %d threads' puts all stored (%s)",
		    backend, THREADS, round ? "writer threads" : "inline");
	}
	is_int(fresh, 1, "%s: the report all threads put is new once",
	    backend);
	ok(store_read_domain_counts(st, "example.com", &counts, &err) == 0 &&
	    counts != NULL, "%s: counts after the threads", backend);
	is_int(counts ? json_int(counts, "reports") : -1,
	    3 + 2 * THREADS * PER_THREAD + 1, "%s: every report once",
	    backend);
	store_stop_writer(st);
	json_decref(counts);
	store_close(st);

	/* Reopening applies nothing twice and keeps everything. */
	st = store_open(spec, &err);
	ok(st != NULL, "%s: reopened", backend);
	if (st == NULL)
		return;
	ok(store_read_domain_counts(st, "example.com", &counts, &err) == 0 &&
	    counts != NULL && json_int(counts, "reports") ==
	    3 + 2 * THREADS * PER_THREAD + 1, "%s: all there after reopening",
	    backend);
	json_decref(counts);
	quarantine_suite(st, backend);
	store_close(st);
}

/* One checkpoints() thread: CKPT_PUTS puts of CKPT_BLOB random bytes. */
#define CKPT_THREADS	4
#define CKPT_PUTS	256
#define CKPT_BLOB	(96 * 1024)

struct ckpt_worker {
	struct store *st;
	const char *wal;
	int n, failed;
	off_t wal_max;
};

static void *
ckpt_main(void *arg)
{
	struct ckpt_worker *w = arg;
	struct origin o = { .source = "file", .path = "big.json.gz" };
	unsigned char *blob = malloc(CKPT_BLOB);
	unsigned seed = (unsigned)w->n + 1;
	struct error err;
	struct report r;
	struct stat sb;
	char id[32];
	int i;
	struct store_put_result put;
	size_t k;

	for (i = 0; i < CKPT_PUTS && blob != NULL; i++) {
		/* gzip's magic: kept as it came, so every byte is written */
		blob[0] = 0x1f;
		blob[1] = 0x8b;
		for (k = 2; k < CKPT_BLOB; k++)
			blob[k] = (unsigned char)(rand_r(&seed) >> 7);
		snprintf(id, sizeof(id), "ckpt-%d-%d", w->n, i);
		if (parse_as(id, &r) < 0 || store_put_report(w->st, blob,
		    CKPT_BLOB, &o, &r, &put, &err) < 0 ||
		    put.kind != STORE_PUT_NEW)
			w->failed++;
		report_release(&r);
		if (stat(w->wal, &sb) == 0 && sb.st_size > w->wal_max)
			w->wal_max = sb.st_size;
	}
	if (blob == NULL)
		w->failed = CKPT_PUTS;
	free(blob);
	return NULL;
}

/*
 * With the writer threads, checkpoints run on a thread of their own: the
 * log is copied into the database while the store is open, and stays
 * bounded however much is written (here 96 MiB, three times the bound).
 */
static void
checkpoints(const char *dir)
{
	struct ckpt_worker w[CKPT_THREADS];
	pthread_t th[CKPT_THREADS];
	char path[256], wal[300];
	off_t wal_max = 0, bound;
	struct error err;
	struct store *st;
	struct stat sb;
	int i, failed = 0;

	snprintf(path, sizeof(path), "%s/ckpt.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	st = store_open(path, &err);
	ok(st != NULL && store_start_writer(st, 0, 0, NULL, NULL, &err) == 0,
	    "checkpoints: a store with the writer threads");
	if (st == NULL)
		return;
	for (i = 0; i < CKPT_THREADS; i++) {
		w[i] = (struct ckpt_worker){ .st = st, .wal = wal, .n = i };
		pthread_create(&th[i], NULL, ckpt_main, &w[i]);
	}
	for (i = 0; i < CKPT_THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
		if (w[i].wal_max > wal_max)
			wal_max = w[i].wal_max;
	}
	is_int(failed, 0, "checkpoints: %d puts of %d KiB stored",
	    CKPT_THREADS * CKPT_PUTS, CKPT_BLOB / 1024);
	/* The bound, plus the group that crossed it: a put per thread. */
	bound = (off_t)(BOUND_WAL_PAGES + CKPT_THREADS * (CKPT_BLOB / 4096 +
	    16)) * (4096 + 24);
	ok(wal_max > 0 && wal_max <= bound, "checkpoints: the log stays under "
	    "%lld bytes: at most %lld", (long long)bound, (long long)wal_max);
	ok(stat(path, &sb) == 0 && sb.st_size >= (off_t)CKPT_THREADS *
	    CKPT_PUTS * CKPT_BLOB / 2, "checkpoints: the database file holds "
	    "the log's pages while open: %lld bytes", (long long)sb.st_size);
	store_close(st);
	is_int(count(path, "SELECT count(*) FROM report"),
	    CKPT_THREADS * CKPT_PUTS, "checkpoints: every report after "
	    "closing");
}

/*
 * The per-day aggregates. With the writer threads they are folded in
 * off the answer's path: in batches while puts come, and once they stop
 * coming; inline, in each put's transaction. Either way daily ends equal
 * to the same sums made from the policy rows, and a fold that never
 * happened (a crash) is made up by the next.
 */
#define FOLD_THREADS 4
#define FOLD_PUTS 1100		/* 4,400 reports: one batch fold at least */

static const char fold_fmt[] =
    "{\"organization-name\":\"Org %d\",\"date-range\":{"
    "\"start-datetime\":\"2026-03-0%dT00:00:00Z\",\"end-datetime\":"
    "\"2026-03-0%dT23:59:59Z\"},\"report-id\":\"%s\",\"policies\":[{"
    "\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"d%d.example\"},"
    "\"summary\":{\"total-successful-session-count\":%d,"
    "\"total-failure-session-count\":%d}}%s]}";
static const char fold_second[] =
    ",{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"d%d.example\"},"
    "\"summary\":{\"total-successful-session-count\":2,"
    "\"total-failure-session-count\":1}}";

/* Report i of thread n: 3 reporters, 3 days, 7 domains; every 5th has two
 * policies of one domain (one report for the day's row all the same). */
static int
fold_put(struct store *st, int n, int i,
	 struct store_put_result *put)
{
	char id[32], second[256], body[1024];
	struct origin o = { .source = "https" };
	struct error err;
	struct report r;
	int len, rc;

	snprintf(id, sizeof(id), "fold-%d-%d", n, i);
	second[0] = '\0';
	if (i % 5 == 0)
		snprintf(second, sizeof(second), fold_second, i % 7);
	len = snprintf(body, sizeof(body), fold_fmt, i % 3, i % 3 + 1,
	    i % 3 + 1, id, i % 7, i, i % 4, second);
	if (len < 0 || (size_t)len >= sizeof(body) ||
	    report_parse(body, (size_t)len, TEST_RECEIVED, &r, &err) < 0)
		return -1;
	rc = store_put_report(st, body, (size_t)len, &o, &r, put, &err);
	report_release(&r);
	return rc;
}

struct fold_worker {
	struct store *st;
	int n, failed, dups;
};

static void *
fold_main(void *arg)
{
	struct fold_worker *w = arg;
	int i;
	struct store_put_result put;

	for (i = 0; i < FOLD_PUTS; i++) {
		if (fold_put(w->st, w->n, i, &put) < 0)
			w->failed++;
		if (i % 10 == 0 && (fold_put(w->st, w->n, i, &put) < 0 ||
		    put.kind != STORE_PUT_DUPLICATE))
			w->failed++;	/* the same report again */
	}
	return NULL;
}

/* Rows of daily that differ from the sums of the policy rows. */
static const char daily_wrong[] =
    "SELECT count(*) FROM (SELECT * FROM (SELECT policy_domain, "
    "start_time / 86400, organization_name, policy_type, "
    "COUNT(DISTINCT report), SUM(successful), SUM(failed) FROM policy "
    "GROUP BY 1, 2, 3, 4 EXCEPT SELECT * FROM daily) UNION ALL "
    "SELECT * FROM (SELECT * FROM daily EXCEPT SELECT policy_domain, "
    "start_time / 86400, organization_name, policy_type, "
    "COUNT(DISTINCT report), SUM(successful), SUM(failed) FROM policy "
    "GROUP BY 1, 2, 3, 4))";
static const char daily_lag[] =
    "SELECT (SELECT max(id) FROM report) - (SELECT report FROM daily_upto)";
/* Policies the domain index lacks or holds wrongly; policies the view
 * domain_policies does not give exactly once. */
static const char index_wrong[] =
    "SELECT count(*) FROM (SELECT * FROM (SELECT policy_domain, end_time, "
    "id FROM policy EXCEPT SELECT * FROM policy_by_domain) UNION ALL "
    "SELECT * FROM (SELECT * FROM policy_by_domain EXCEPT SELECT "
    "policy_domain, end_time, id FROM policy))";
static const char view_wrong[] =
    "SELECT count(*) FROM (SELECT p.id FROM policy p LEFT JOIN "
    "domain_policies d ON d.policy = p.id AND d.policy_domain = "
    "p.policy_domain AND d.end_time = p.end_time GROUP BY p.id "
    "HAVING count(d.policy) <> 1)";

static void
forget_daily(const char *path)
{
	sqlite3 *db;

	sqlite3_open(path, &db);
	sqlite3_exec(db, "UPDATE daily_upto SET report = 0; DELETE FROM daily; "
	    "DELETE FROM policy_by_domain",
	    NULL, NULL, NULL);
	sqlite3_close(db);
}

/*
 * A crash in the middle of a fold: the reports up to the last are folded
 * for the domains before d3.example, and not for the others.
 */
static void
half_folded(const char *path)
{
	sqlite3 *db;

	forget_daily(path);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "UPDATE daily_upto SET partial_to = (SELECT max(id) "
	    "FROM report), partial_domain = 'd3.example'; INSERT INTO daily "
	    "SELECT policy_domain, start_time / 86400, organization_name, "
	    "policy_type, COUNT(DISTINCT report), SUM(successful), "
	    "SUM(failed) FROM policy WHERE policy_domain < 'd3.example' "
	    "GROUP BY 1, 2, 3, 4; INSERT INTO policy_by_domain SELECT "
	    "policy_domain, end_time, id FROM policy WHERE policy_domain < "
	    "'d3.example'", NULL, NULL, NULL);
	sqlite3_close(db);
}

/* Everything folded, and folded right: when names the case. */
static void
all_folded(const char *path, const char *when)
{
	is_int(count(path, daily_lag), 0, "folds: %s, every report folded",
	    when);
	is_int(count(path, daily_wrong), 0, "folds: %s, daily is the sums of "
	    "the policy rows, none counted twice", when);
	is_int(count(path, index_wrong), 0, "folds: %s, the domain index "
	    "holds every policy once", when);
	is_int(count(path, view_wrong), 0, "folds: %s, the view gives every "
	    "policy once", when);
	is_int(count(path, "SELECT count(*) FROM pragma_foreign_key_check"),
	    0, "folds: %s, every row's references hold", when);
}

/*
 * One more report into the store at path, with the writer threads or
 * without them (inline), and then everything folded: by closing, or by
 * the put itself.
 */
static void
fold_again(const char *path, int writer, int i, const char *when)
{
	struct error err;
	struct store *st;
	struct store_put_result put;

	st = store_open(path, &err);
	ok(st != NULL && (!writer ||
	    store_start_writer(st, 0, 0, NULL, NULL, &err) == 0) &&
	    fold_put(st, 9, i, &put) == 0 && put.kind == STORE_PUT_NEW,
	    "folds: %s: one more report", when);
	if (writer)
		store_close(st);
	all_folded(path, when);
	if (!writer)
		store_close(st);
}

static void
folds(const char *dir)
{
	struct fold_worker w[FOLD_THREADS];
	pthread_t th[FOLD_THREADS];
	char path[256];
	struct error err;
	struct store *st;
	int i, failed = 0, tries;

	snprintf(path, sizeof(path), "%s/fold.db", dir);
	st = store_open(path, &err);
	ok(st != NULL && store_start_writer(st, 0, 0, NULL, NULL, &err) == 0,
	    "folds: a store with the writer threads");
	if (st == NULL)
		return;
	for (i = 0; i < FOLD_THREADS; i++) {
		w[i] = (struct fold_worker){ .st = st, .n = i };
		pthread_create(&th[i], NULL, fold_main, &w[i]);
	}
	for (i = 0; i < FOLD_THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
	}
	is_int(failed, 0, "folds: %d reports stored, each tenth twice",
	    FOLD_THREADS * FOLD_PUTS);
	/* Nothing more comes: the writer folds what is left, unasked. */
	for (tries = 0; tries < 1000 && count(path, daily_lag) != 0; tries++)
		usleep(10000);
	is_int(count(path, daily_lag), 0, "folds: every report folded while "
	    "the store is open and idle");
	is_int(count(path, daily_wrong), 0, "folds: daily is the sums of the "
	    "policy rows");
	is_int(count(path, "SELECT sum(reports) FROM daily"),
	    FOLD_THREADS * FOLD_PUTS, "folds: a report counts once per day's "
	    "row, however many of its policies share it");
	is_int(count(path, index_wrong), 0, "folds: the domain index holds "
	    "every policy once");
	is_int(count(path, "SELECT count(*) FROM daily_upto WHERE partial_to "
	    "IS NULL AND partial_domain IS NULL"), 1, "folds: no fold left "
	    "under way");
	store_close(st);

	/* A crash in the middle of a fold: the view finds every policy
	 * once, and the next writer folds the rest of it. */
	half_folded(path);
	is_int(count(path, view_wrong), 0, "folds: half-way, the view gives "
	    "every policy once");
	ok(count(path, "SELECT count(*) FROM policy_by_domain") > 0 &&
	    count(path, daily_lag) > 0, "folds: half-way, some folded, some "
	    "not");
	fold_again(path, 1, 3, "after a crash half-way, by closing");
	/* The same, finished inline by a put without the writer. */
	half_folded(path);
	fold_again(path, 0, 4, "inline after a crash half-way, by the put");

	/* A crash before the fold: the next writer makes it up; or a put
	 * without the writer, in its own transaction. */
	forget_daily(path);
	fold_again(path, 1, 1, "after a crash, by closing");
	forget_daily(path);
	fold_again(path, 0, 2, "inline, by the put");
}

/*
 * A group of the writer's puts with one that fails half-way (a trigger
 * stops its policy row, after its report row is in): only that one
 * fails. The group has no savepoint per put, so it is undone whole and
 * each put written again alone: the others are stored once each, as new
 * reports and not as duplicates of themselves, and nothing of the bad
 * one stays.
 */
#define BAD_THREADS 8

struct bad_worker {
	struct store *st;
	const char *prefix;	/* of the report-ids */
	int n, poison;		/* the put n == poison is the bad one */
	int rc;
	struct store_put_result put;
	char msg[ERROR_MSG_MAX];
};

static void *
bad_main(void *arg)
{
	struct bad_worker *w = arg;
	struct origin o = { .source = "https" };
	struct error err;
	struct report r;
	char id[32];

	if (w->n == w->poison)
		snprintf(id, sizeof(id), "poison");
	else
		snprintf(id, sizeof(id), "%s-%d", w->prefix, w->n);
	w->rc = -2;
	if (parse_as(id, &r) < 0)
		return NULL;
	w->rc = store_put_report(w->st, json, sizeof(json) - 1, &o, &r,
	    &w->put, &err);
	if (w->rc < 0)
		snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	report_release(&r);
	return NULL;
}

static unsigned
bad_sources(void *arg)
{
	(void)arg;
	return BAD_THREADS;
}

/* Copy the file at from to to, as a crash would leave it; -1 on error. */
static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in, *out;
	size_t n;
	int rc = 0;

	if ((in = fopen(from, "rb")) == NULL)
		return -1;
	if ((out = fopen(to, "wb")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	fclose(in);
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}

/*
 * Each report is in the log once its put returns: another connection
 * reads it while the store is open, and a copy of the files taken then
 * (a crash) holds it. Some puts are of 200 KiB, some several to a group.
 */
static void
log_writes(const char *dir)
{
	char path[256], wal[300], copy[300], copywal[310];
	struct origin o = { .source = "https" };
	unsigned char *blob = calloc(1, 200 * 1024);
	int i, seen = 0, kept = 0;
	struct store_put_result put;
	struct error err;
	struct report r;
	struct store *st;
	char id[32];

	snprintf(path, sizeof(path), "%s/gather.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(copy, sizeof(copy), "%s/crash.db", dir);
	snprintf(copywal, sizeof(copywal), "%s-wal", copy);
	st = store_open(path, &err);
	ok(st != NULL && blob != NULL && store_start_writer(st, 0, 0, NULL,
	    NULL, &err) == 0, "log writes: a store with the writer threads");
	if (st == NULL || blob == NULL) {
		store_close(st);
		free(blob);
		return;
	}
	blob[0] = 0x1f;		/* kept as it came, every byte written */
	blob[1] = 0x8b;
	for (i = 1; i <= 12; i++) {
		snprintf(id, sizeof(id), "gather-%d", i);
		blob[2] = (unsigned char)i;
		if (parse_as(id, &r) == 0 && store_put_report(st, blob,
		    i % 3 == 0 ? 200 * 1024 : 1 + (size_t)i * 700, &o, &r, &put,
		    &err) == 0)
			seen += count(path, "SELECT count(*) FROM report") == i;
		report_release(&r);
		if (i % 4 == 0 && copy_file(path, copy) == 0 &&
		    copy_file(wal, copywal) == 0) {
			kept += count(copy, "SELECT count(*) FROM report") == i;
			unlink(copywal);
			unlink(copy);
		}
	}
	is_int(seen, 12, "log writes: another connection reads each report "
	    "as soon as its put returns");
	is_int(kept, 3, "log writes: a copy of the files taken then holds it");
	store_close(st);
	free(blob);
}

/*
 * A group whose commit fails (the log cannot grow: the file size limit
 * stands in for a full disk): every put of it fails, and the writer,
 * which counted their reports as stored before the commit, must not
 * then fold for ever what is not there. The next puts are stored, and
 * closing folds them and returns.
 */
static void
group_commit_fails(const char *dir)
{
	struct bad_worker w[BAD_THREADS];
	pthread_t th[BAD_THREADS];
	struct rlimit old, low;
	char path[256], wal[300];
	struct error err;
	struct store *st;
	struct stat sb;
	int i, failed = 0;
	struct store_put_result put;

	snprintf(path, sizeof(path), "%s/commit.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	st = store_open(path, &err);
	ok(st != NULL && store_start_writer(st, 500000, 1, bad_sources, NULL,
	    &err) == 0 && fold_put(st, 9, 1, &put) == 0 &&
	    put.kind == STORE_PUT_NEW, "a failed group commit: a store with "
	    "one report");
	if (st == NULL)
		return;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	low = old;
	low.rlim_cur = stat(wal, &sb) == 0 ? (rlim_t)sb.st_size : 0;
	setrlimit(RLIMIT_FSIZE, &low);
	for (i = 0; i < BAD_THREADS; i++) {
		w[i] = (struct bad_worker){ .st = st, .prefix = "full",
		    .n = i, .poison = -1 };
		pthread_create(&th[i], NULL, bad_main, &w[i]);
	}
	for (i = 0; i < BAD_THREADS; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].rc == -1;
	}
	setrlimit(RLIMIT_FSIZE, &old);
	is_int(failed, BAD_THREADS, "a failed group commit: every put of it "
	    "fails: %s", w[0].msg);
	ok(fold_put(st, 9, 2, &put) == 0 && put.kind == STORE_PUT_NEW,
	    "a failed group commit: the next put is stored");
	alarm(60);	/* a writer folding for ever never lets close return */
	store_close(st);
	alarm(0);
	ok(1, "a failed group commit: the store closes");
	is_int(count(path, "SELECT count(*) FROM report"), 2, "a failed group "
	    "commit: two reports, none of the group");
	all_folded(path, "after a failed group commit");
}

static void
one_bad_put(const char *dir)
{
	struct bad_worker w[BAD_THREADS];
	pthread_t th[BAD_THREADS];
	char path[256];
	struct error err;
	struct store *st;
	sqlite3 *db;
	int i, stored = 0;

	snprintf(path, sizeof(path), "%s/bad.db", dir);
	store_close(store_open(path, &err));
	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TRIGGER poison BEFORE INSERT ON policy "
	    "WHEN (SELECT report_id FROM report WHERE id = NEW.report) = "
	    "'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END", NULL, NULL,
	    NULL);
	sqlite3_close(db);
	st = store_open(path, &err);
	/* Half a second for company: the eight puts make one group. */
	ok(st != NULL && store_start_writer(st, 500000, 1, bad_sources,
	    NULL,
	    &err) == 0, "one bad put: a store with the writer threads");
	if (st == NULL)
		return;
	for (i = 0; i < BAD_THREADS; i++) {
		w[i] = (struct bad_worker){ .st = st, .prefix = "group",
		    .n = i, .poison = 3 };
		pthread_create(&th[i], NULL, bad_main, &w[i]);
	}
	for (i = 0; i < BAD_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (i != 3 && w[i].rc == 0 && w[i].put.kind == STORE_PUT_NEW)
			stored++;
	}
	store_close(st);
	is_int(stored, BAD_THREADS - 1, "one bad put: the others are stored "
	    "as new reports");
	ok(w[3].rc == -1 && strstr(w[3].msg, "poisoned") != NULL,
	    "one bad put: it fails with the reason: %s", w[3].msg);
	is_int(count(path, "SELECT count(*) FROM report"), BAD_THREADS - 1,
	    "one bad put: a report row each, none for it");
	is_int(count(path, "SELECT count(*) FROM payload WHERE outcome = "
	    "'accepted'"), BAD_THREADS - 1, "one bad put: a payload each");
	is_int(count(path, "SELECT count(*) FROM payload"), BAD_THREADS - 1,
	    "one bad put: no other payload");
	is_int(count(path, "SELECT count(*) FROM policy"), BAD_THREADS - 1,
	    "one bad put: a policy row each");
	is_int(count(path, "SELECT count(*) FROM failure"), BAD_THREADS - 1,
	    "one bad put: a failure row each");
}

/* The position of column in a list of columns ("a, b, c"); -1: none. */
static int
column_at(const char *list, const char *column)
{
	size_t n = strlen(column);
	int k = 0;

	for (;;) {
		if (strncmp(list, column, n) == 0 &&
		    (list[n] == ',' || list[n] == '\0'))
			return k;
		if ((list = strchr(list, ',')) == NULL)
			return -1;
		list += strspn(list, ", ");
		k++;
	}
}

struct want_value {
	const char *column;
	enum store_value_kind kind;
	int64_t i;
	const char *s;
};

/*
 * Whether the n values v of a row are one for each column of list, and
 * those of want, each found by its column's name in list.
 */
static int
values_are(const char *list, const struct store_value *v, int n,
	   const struct want_value *want, int nwant)
{
	const struct store_value *g;
	const char *c;
	int k, w, columns = 1;

	for (c = list; *c; c++)
		columns += *c == ',';
	if (columns != n || n != nwant) {
		printf("#   %d columns, %d values, %d wanted\n", columns, n,
		    nwant);
		return 0;
	}
	for (w = 0; w < nwant; w++) {
		if ((k = column_at(list, want[w].column)) < 0) {
			printf("#   no column %s\n", want[w].column);
			return 0;
		}
		g = &v[k];
		if (g->kind != want[w].kind ||
		    (g->kind == STORE_INT && g->i != want[w].i) ||
		    (g->kind == STORE_TEXT && (g->s == NULL || want[w].s ==
		    NULL ? g->s != want[w].s : strcmp(g->s, want[w].s) != 0))) {
			printf("#   column %s: not its value\n",
			    want[w].column);
			return 0;
		}
	}
	return 1;
}

/*
 * The values of a policy and of a failure row (store_rows.c) against the
 * names of the columns they are bound to, and the rows read back from
 * them: a value moved, or a column added to a list without its value,
 * fails here before a backend writes a field into another's column.
 */
static void
value_mapping(void)
{
	static const struct want_value pw[] = {
		{ "report", STORE_INT, 42, NULL },
		{ "idx", STORE_INT, 3, NULL },
		{ "policy_type", STORE_TEXT, 0, "sts" },
		{ "policy_domain", STORE_TEXT, 0, "example.com" },
		{ "policy_string", STORE_TEXT, 0, "[\"mode: testing\"]" },
		{ "policy_set", STORE_TEXT, 0, "mode: testing" },
		{ "mode", STORE_TEXT, 0, NULL },
		{ "mx_patterns", STORE_TEXT, 0, "[]" },
		{ "max_age", STORE_NULL, 0, NULL },
		{ "mx_host", STORE_TEXT, 0, "[\"mx.example.com\"]" },
		{ "successful", STORE_INT, 5, NULL },
		{ "failed", STORE_INT, 1, NULL },
		{ "organization_name", STORE_TEXT, 0, "Example Mail" },
		{ "start_time", STORE_INT, 100, NULL },
		{ "end_time", STORE_INT, 200, NULL },
	};
	static const struct want_value fw[] = {
		{ "policy", STORE_INT, 7, NULL },
		{ "result_type", STORE_TEXT, 0, "starttls-not-supported" },
		{ "sending_mta_ip", STORE_TEXT, 0, "192.0.2.1" },
		{ "receiving_ip", STORE_TEXT, 0, NULL },
		{ "receiving_mx_hostname", STORE_TEXT, 0, "mx.example.com" },
		{ "receiving_mx_helo", STORE_TEXT, 0, "helo.example.com" },
		{ "additional_info", STORE_TEXT, 0, "https://example.com/i" },
		{ "failure_reason_code", STORE_TEXT, 0, "code" },
		{ "failed_sessions", STORE_INT, 1, NULL },
	};
	struct store_row_report r = { .organization_name = "Example Mail",
	    .start_time = 100, .end_time = 200 };
	struct store_row_policy p = { .idx = 3, .policy_type = "sts",
	    .policy_domain = "example.com",
	    .policy_string = "[\"mode: testing\"]",
	    .policy_set = "mode: testing", .mx_patterns = "[]",
	    .mx_host = "[\"mx.example.com\"]", .max_age = 86400,
	    .successful = 5, .failed = 1 }, back;
	struct store_row_failure f = { "starttls-not-supported", "192.0.2.1",
	    NULL, "mx.example.com", "helo.example.com",
	    "https://example.com/i", "code", 1 }, fback;
	struct store_value v[STORE_POLICY_VALUES], fv[STORE_FAILURE_VALUES];
	int k = column_at(STORE_COLUMNS_POLICY, "max_age");

	store_policy_values(42, &r, &p, v);
	ok(values_are(STORE_COLUMNS_POLICY, v, STORE_POLICY_VALUES, pw,
	    (int)(sizeof(pw) / sizeof(pw[0]))), "values: a policy row's, "
	    "each in its column (max_age NULL without one)");
	memset(&back, 0, sizeof(back));
	store_policy_from_values(&back, v);
	ok(back.idx == p.idx && back.policy_type == p.policy_type &&
	    back.policy_domain == p.policy_domain &&
	    back.policy_string == p.policy_string &&
	    back.policy_set == p.policy_set && back.mode == NULL &&
	    back.mx_patterns == p.mx_patterns && back.mx_host == p.mx_host &&
	    !back.has_max_age && back.max_age == 0 &&
	    back.successful == p.successful && back.failed == p.failed,
	    "values: a policy row read back from them");
	p.has_max_age = 1;
	p.mode = "testing";
	store_policy_values(42, &r, &p, v);
	store_policy_from_values(&back, v);
	ok(k >= 0 && v[k].kind == STORE_INT && v[k].i == 86400 &&
	    back.has_max_age && back.max_age == 86400 &&
	    strcmp(back.mode, "testing") == 0,
	    "values: a max_age and a mode, there and back");

	store_failure_values(7, &f, fv);
	ok(values_are(STORE_COLUMNS_FAILURE, fv, STORE_FAILURE_VALUES, fw,
	    (int)(sizeof(fw) / sizeof(fw[0]))), "values: a failure row's, "
	    "each in its column");
	memset(&fback, 0, sizeof(fback));
	store_failure_from_values(&fback, fv);
	ok(memcmp(&fback, &f, sizeof(f)) == 0,
	    "values: a failure row read back from them");
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/t-store.XXXXXX", path[256];
	struct origin o = { .source = "file", .path = "r1.json" };
	struct error err;
	struct report r;
	struct store *st;
	sqlite3 *db;
	struct store_put_result put;
	int mode;

	tap_plan_postgresql(argc, argv, SHARED_CHECKS);
	ok(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(path, sizeof(path), "%s/t.db", dir);

	st = store_open(path, &err);
	ok(st != NULL, "a new store is created");
	is_str(store_backend(st), "sqlite", "the SQLite backend");
	is_int(count(path, "PRAGMA user_version"), newest_sqlite(),
	    "migrations applied");

	ok(report_parse(json, sizeof(json) - 1, TEST_RECEIVED, &r,
	    &err) == 0, "parse");
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &put, &err) ==
	    0 && put.kind == STORE_PUT_NEW, "first copy stored");
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &put, &err) ==
	    0 && put.kind == STORE_PUT_DUPLICATE, "second copy is a duplicate");
	report_release(&r);
	ok(store_put_rejected(st, "{}", 2, &o, "policies: missing", &err) == 0,
	    "rejected payload kept");
	snprintf(path, sizeof(path), "%s/t.db-wal", dir);
	ok(access(path, F_OK) == 0, "write-ahead log in use");
	snprintf(path, sizeof(path), "%s/t.db", dir);
	store_close(st);

	is_int(count(path, "SELECT count(*) FROM report"), 1, "one report");
	is_int(count(path, "SELECT count(*) FROM payload"), 3, "three payloads");
	is_int(count(path, "SELECT count(*) FROM payload WHERE outcome = "
	    "'duplicate' AND report IS NOT NULL"), 1, "duplicate receipt");
	is_int(count(path, "SELECT count(*) FROM quarantine WHERE reason = "
	    "'policies: missing'"), 1, "quarantine with the reason");
	is_int(count(path, "SELECT count(*) FROM payload WHERE encoding = "
	    "'zlib' AND length(data) < size"), 2, "raw JSON kept compressed");
	is_int(count(path, "SELECT count(*) FROM policy WHERE policy_set = "
	    "'mode: testing\nmx: a.example.com\nmx: b.example.com\n"
	    "version: STSv1'"), 1, "policy lines kept as a sorted set");
	is_int(count(path, "SELECT count(*) FROM policy WHERE mx_patterns = "
	    "'[\"b.example.com\",\"a.example.com\"]' AND mode = 'testing' AND "
	    "organization_name = 'Example Mail'"), 1, "policy parsed");
	is_int(count(path, "SELECT count(*) FROM failure WHERE result_type = "
	    "'starttls-not-supported' AND failed_sessions = 1"), 1, "failure");
	value_mapping();

	/* The store writes with CHECK constraints off (store_sqlite.c): it
	 * wrote only outcomes the CHECK allows, which another connection
	 * still enforces. */
	is_int(count(path, "SELECT count(*) FROM payload WHERE outcome IN "
	    "('accepted', 'duplicate', 'rejected')"), 3, "every outcome one "
	    "the schema allows");
	sqlite3_open(path, &db);
	ok(sqlite3_exec(db, "INSERT INTO payload (received_at, source, "
	    "encoding, size, data, outcome) VALUES (0, 'file', 'identity', 0, "
	    "x'', 'kept')", NULL, NULL, NULL) == SQLITE_CONSTRAINT,
	    "the schema's CHECK still holds for other programs: %s",
	    sqlite3_errmsg(db));
	sqlite3_close(db);

	/* Reopening applies nothing twice. */
	st = store_open(path, &err);
	ok(st != NULL, "reopen");
	store_close(st);
	is_int(count(path, "PRAGMA user_version"), newest_sqlite(),
	    "still the newest version");

	/* A store from a newer tlsrptd is refused, not damaged. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path, &err);
	ok(st == NULL && err.kind == ERR_IO, "newer schema refused: %s",
	    err.msg);
	store_close(st);

	/* Not a database at all. */
	snprintf(path, sizeof(path), "%s/junk.db", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("this is not a database, just text long enough to look "
		    "like a header block of a file\n", f);
		fclose(f);
	}
	st = store_open(path, &err);
	ok(st == NULL, "a file that is not a database: %s", err.msg);
	store_close(st);

	/* PostgreSQL unreachable is a failure that may pass; a URI that
	 * cannot be read is not. */
	st = store_open("postgresql:///x?host=/nonexistent/tlsrpt-test",
	    &err);
	ok(st == NULL && err.kind == ERR_BUSY, "PostgreSQL not there: busy: "
	    "%s", err.msg);
	st = store_open("postgresql://host/x?nosuchoption=1", &err);
	ok(st == NULL && err.kind == ERR_IO, "a bad URI: %s", err.msg);

	/* A put is answered only once the write-ahead log is flushed: a
	 * log that cannot be flushed fails the put, as a failure that may
	 * pass; once it can be again, the same store goes on. Written by the
	 * caller, then by the writer threads. */
	for (mode = 0; mode < 2; mode++) {
		const char *how = mode ? "writer threads" : "inline";
		char wal[300], moved[310];

		snprintf(path, sizeof(path), "%s/flush%d.db", dir, mode);
		snprintf(wal, sizeof(wal), "%s-wal", path);
		snprintf(moved, sizeof(moved), "%s.moved", wal);
		st = store_open(path, &err);
		ok(st != NULL && (mode == 0 || store_start_writer(st, 0, 0, NULL,
		    NULL, &err) == 0) && parse_as("f1", &r) == 0 &&
		    store_put_report(st, json, sizeof(json) - 1, &o, &r, &put,
		    &err) == 0, "flush (%s): first put", how);
		report_release(&r);
		ok(rename(wal, moved) == 0, "flush (%s): log moved away", how);
		ok(parse_as("f2", &r) == 0 && store_put_report(st, json,
		    sizeof(json) - 1, &o, &r, &put, &err) < 0 &&
		    err.kind == ERR_BUSY && strstr(err.msg, "cannot flush") != NULL,
		    "flush (%s): a put whose flush fails fails: %s", how,
		    err.msg);
		ok(rename(moved, wal) == 0, "flush (%s): log back", how);
		ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &put,
		    &err) == 0 && put.kind == STORE_PUT_DUPLICATE,
		    "flush (%s): the same put again is a duplicate, now "
		    "durable", how);
		report_release(&r);
		ok(parse_as("f3", &r) == 0 && store_put_report(st, json,
		    sizeof(json) - 1, &o, &r, &put, &err) == 0 &&
		    put.kind == STORE_PUT_NEW, "flush (%s): and a new one is "
		    "stored", how);
		report_release(&r);
		store_close(st);
		is_int(count(path, "SELECT count(*) FROM report"), 3,
		    "flush (%s): three reports", how);
	}

	checkpoints(dir);
	folds(dir);
	one_bad_put(dir);
	group_commit_fails(dir);
	log_writes(dir);

	snprintf(path, sizeof(path), "%s/shared.db", dir);
	shared_suite(path, "sqlite");
	if (getenv("TLSRPT_TEST_PG") != NULL)
		shared_suite(getenv("TLSRPT_TEST_PG"), "postgresql");

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ok(system(path) == 0, "clean up");
	return tap_done();
}
