/*
 * bench-summary: the summary of one domain over 14 days, and of every
 * domain, on a store of 1,000,000 reports across 10,000 domains, beside
 * the floor: the bare SQLite reads of the same rows.
 *
 * usage: bench-summary STORE [REPORTS DOMAINS]
 * The store is made (deterministically) when it does not exist, or, for a
 * postgresql:// URI (tests/bench/pg.sh), when it holds no report; then
 * the floor is the bare libpq reads of the same rows.
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyse.h"
#include "bench.h"
#include "corpus.h"
#include "report.h"
#include "store.h"
#include "store_pg.h"
#include "store_sqlite.h"

#define DAY 86400
#define END_DAY 20500	/* 2026-02-16: the last day of the corpus */

static int
is_pg(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 ||
	    strncmp(spec, "postgres://", 11) == 0;
}

static PGconn *
pg_conn(struct store *st)
{
	return ((struct pg_store *)store_backend_handle(st))->conn;
}

/* A PostgreSQL store exists when it holds a report. */
static int
pg_has_reports(const char *uri)
{
	struct error err;
	struct store *st = store_open(uri, &err);
	PGresult *res;
	int n = 0;

	if (st == NULL)
		return 0;
	res = PQexec(pg_conn(st), "SELECT count(*) FROM report");
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		n = atoi(PQgetvalue(res, 0, 0)) > 0;
	PQclear(res);
	store_close(st);
	return n;
}

static int
make_store(const char *path, long reports, long domains)
{
	long per = reports / domains, d, k, n = 0;
	struct corpus c;
	struct error err;
	struct store *st;
	struct report r;
	struct buf b;
	char dom[64];
	struct store_put_result put;
	double t0 = now_s();

	st = store_open(path, &err);
	if (st == NULL) {
		fprintf(stderr, "bench-summary: %s\n", err.msg);
		return -1;
	}
	/* Loading only: no fsync per report (the benchmark is the reads);
	 * on PostgreSQL, a transaction per 1,000 reports as well. */
	if (is_pg(path))
		PQclear(PQexec(pg_conn(st), "SET synchronous_commit = off"));
	else
		sqlite3_exec(store_sqlite_db(store_backend_handle(st)),
		    "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	corpus_seed(&c, 42);
	buf_init(&b, 1 << 20);
	for (k = 0; k < per; k++) {
		for (d = 0; d < domains; d++) {
			int org = (int)(k % 2);
			int64_t day = END_DAY - k / 2;
			int fails = corpus_next(&c) % 50 == 0 ? 5 : 0;

			snprintf(dom, sizeof(dom), "d%05ld.example", d);
			if (is_pg(path) && n % 1000 == 0 && ((n > 0 &&
			    store_batch_commit(st, &err) < 0) ||
			    store_batch_begin(st, &err) < 0)) {
				fprintf(stderr, "bench-summary: %s\n", err.msg);
				return -1;
			}
			b.len = 0;
			corpus_report(&c, &b, dom, org, day, fails);
			/* Received the day after the corpus ends. */
			if (report_parse(b.data, b.len,
			    (int64_t)(END_DAY + 1) * 86400,
			    &r, &err) < 0 ||
			    store_put_report(st, b.data, b.len,
			    &(struct origin){ .source = "file" }, &r, &put,
			    &err) < 0) {
				fprintf(stderr, "bench-summary: %s\n", err.msg);
				return -1;
			}
			report_release(&r);
			if (++n % 100000 == 0)
				fprintf(stderr, "  %ld reports stored (%.0f/s)\n",
				    n, n / (now_s() - t0));
		}
	}
	buf_release(&b);
	if (is_pg(path) && store_batch_commit(st, &err) < 0) {
		fprintf(stderr, "bench-summary: %s\n", err.msg);
		return -1;
	}
	store_close(st);
	return 0;
}

/* The floor: read the same rows with SQLite and nothing else, through the
 * folded domain index alone. */
static double
floor_one(sqlite3 *db, const char *dom, int64_t now)
{
	static const char *q[] = {
	    "SELECT p.id, p.report, p.organization_name, p.start_time, "
	    "p.end_time, p.policy_type, p.policy_set, p.mode, p.mx_patterns, "
	    "p.successful, p.failed FROM policy_by_domain d "
	    "JOIN policy p ON p.id = d.policy WHERE d.policy_domain = ?1 AND "
	    "d.end_time > ?2 AND d.end_time <= ?3",
	    "SELECT f.policy, f.result_type, f.receiving_mx_hostname, "
	    "f.failed_sessions FROM policy_by_domain d "
	    "JOIN failure f ON f.policy = d.policy WHERE d.policy_domain = ?1 "
	    "AND d.end_time > ?2 AND d.end_time <= ?3" };
	double t0 = now_s();
	sqlite3_stmt *st;
	int i;

	for (i = 0; i < 2; i++) {
		sqlite3_prepare_v2(db, q[i], -1, &st, NULL);
		sqlite3_bind_text(st, 1, dom, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now - 14 * DAY);
		sqlite3_bind_int64(st, 3, now);
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_finalize(st);
	}
	return now_s() - t0;
}

/* The floor on PostgreSQL: the same queries with libpq alone. */
static double
floor_pg(PGconn *conn, const char *dom, int64_t now)
{
	static const char *q[] = {
	    "SELECT id, report, organization_name, start_time, end_time, "
	    "policy_type, policy_set, mode, mx_patterns, successful, failed "
	    "FROM policy WHERE policy_domain = $1 AND end_time > $2 AND "
	    "end_time <= $3",
	    "SELECT f.policy, f.result_type, f.receiving_mx_hostname, "
	    "f.failed_sessions FROM policy p JOIN failure f ON f.policy = p.id "
	    "WHERE p.policy_domain = $1 AND p.end_time > $2 AND "
	    "p.end_time <= $3" };
	char from[32], to[32];
	const char *v[3] = { dom, from, to };
	double t0 = now_s();
	int i;

	snprintf(from, sizeof(from), "%lld", (long long)(now - 14 * DAY));
	snprintf(to, sizeof(to), "%lld", (long long)now);
	for (i = 0; i < 2; i++)
		PQclear(PQexecParams(conn, q[i], 3, NULL, v, NULL, NULL, 0));
	return now_s() - t0;
}

/*
 * Read the store file once, so that tlsrptd and the floor both read from
 * memory: the HTTPS runs before this one leave little of it in the page
 * cache, and the first to read a domain's pages would pay for both.
 */
static void
warm(const char *path)
{
	static char chunk[1 << 20];
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return;
	while (fread(chunk, 1, sizeof(chunk), f) == sizeof(chunk))
		;
	fclose(f);
}

int
main(int argc, char **argv)
{
	long reports = argc > 2 ? atol(argv[2]) : 1000000;
	long domains = argc > 3 ? atol(argv[3]) : 10000;
	double one[21], flo[21], t0, all;
	struct analyse_options opt;
	struct error err;
	struct store *st;
	FILE *f;
	char dom[64];
	json_t *doc;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-summary STORE [REPORTS DOMAINS]\n");
		return 64;
	}
	if (is_pg(argv[1]) ? pg_has_reports(argv[1]) :
	    (f = fopen(argv[1], "r")) != NULL && fclose(f) == 0) {
		;
	} else {
		fprintf(stderr, "bench-summary: making %s: %ld reports, %ld "
		    "domains\n", argv[1], reports, domains);
		if (make_store(argv[1], reports, domains) < 0)
			return 1;
	}
	if (!is_pg(argv[1]))
		warm(argv[1]);
	st = store_open(argv[1], &err);
	if (st == NULL) {
		fprintf(stderr, "bench-summary: %s\n", err.msg);
		return 1;
	}
	analyse_options_default(&opt);
	opt.now = (int64_t)(END_DAY + 1) * DAY;
	for (i = 0; i < 21; i++) {
		const char *d = dom;

		snprintf(dom, sizeof(dom), "d%05ld.example",
		    (long)(i * 7919) % domains);
		t0 = now_s();
		doc = analyse_summary(st, &d, 1, &opt, &err);
		one[i] = now_s() - t0;
		json_decref(doc);
		flo[i] = is_pg(argv[1]) ? floor_pg(pg_conn(st), dom, opt.now) :
		    floor_one(store_sqlite_db(store_backend_handle(st)), dom,
		    opt.now);
	}
	t0 = now_s();
	doc = analyse_summary(st, NULL, 0, &opt, &err);
	all = now_s() - t0;
	printf("summary bench: %s (%s, %ld reports, %ld domains)\n",
	    is_pg(argv[1]) ? "PostgreSQL" : argv[1], store_backend(st),
	    reports, domains);
	qsort(one, 21, sizeof(double), cmp_d);
	qsort(flo, 21, sizeof(double), cmp_d);
	printf("  %-34s %10s %10s %8s\n", "", "tlsrptd", "floor", "ratio");
	printf("  %-34s %8.2fms %8.2fms %7.1fx\n",
	    "one domain, 14 days (median of 21)", one[10] * 1e3,
	    flo[10] * 1e3, one[10] / flo[10]);
	printf("  %-34s %8.2fms %8.2fms %7.1fx\n", "one domain, slowest of 21",
	    one[20] * 1e3, flo[20] * 1e3, one[20] / flo[20]);
	printf("  %-34s %9.2fs %10s\n", "every domain, 14 days", all, "");
	printf("  domains summarised: %zu\n",
	    json_array_size(json_object_get(doc, "domains")));
	json_decref(doc);
	store_close(st);
	return 0;
}
