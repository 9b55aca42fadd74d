/*
 * Unit tests: the store's readers (store_reader.h) and the paged list of
 * domains (store_read_domains), on SQLite and, when TLSRPT_TEST_PG names
 * an empty PostgreSQL database (tests/e2e/pg-store.sh), on PostgreSQL:
 * a reader sees what the store committed, takes no writes, and a put is
 * not held up while every reader is lent; pages of the domains cover
 * every one once, in order, whatever their size, folded into the domain
 * index or not yet.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "received.h"
#include "report.h"
#include "store.h"
#include "store_read.h"
#include "store_reader.h"
#include "tap.h"

#define DOMAINS	230	/* more than two pages of the default 100 */

/* A report of its own for domain number i. */
static int
put_domain(struct store *st, int i, struct error *err)
{
	struct origin o = { .source = "file", .path = "t.json" };
	struct report r;
	char json[1024];
	struct store_put_result res;
	int n, rc;

	n = snprintf(json, sizeof(json), "{\"organization-name\":\"Example\","
	    "\"date-range\":{\"start-datetime\":\"2026-03-01T00:00:00Z\","
	    "\"end-datetime\":\"2026-03-01T23:59:59Z\"},\"report-id\":"
	    "\"r%d\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-domain\":\"d%03d.example\",\"policy-string\":["
	    "\"version: STSv1\",\"mode: testing\",\"mx: mx.example\"]},"
	    "\"summary\":{\"total-successful-session-count\":1,"
	    "\"total-failure-session-count\":0}}]}", i, i);
	if (n < 0 || (size_t)n >= sizeof(json) ||
	    report_parse(json, (size_t)n, TEST_RECEIVED, &r, err) < 0)
		return -1;
	rc = store_put_report(st, json, (size_t)n, &o, &r, &res, err);
	report_release(&r);
	return rc;
}

/* Page through every domain limit at a time; -1 on a gap, a repeat or
 * a name out of order. */
static int
walk(struct store *st, size_t limit, int *pages, int *seen)
{
	char *after = NULL, *next = NULL, want[64];
	struct error err;
	json_t *page;
	size_t i;
	int rc = 0;

	*pages = *seen = 0;
	for (;;) {
		if (store_read_domains(st, after, limit, &page, &next,
		    &err) < 0) {
			printf("#   %s\n", err.msg);
			rc = -1;
			break;
		}
		(*pages)++;
		for (i = 0; i < json_array_size(page); i++) {
			snprintf(want, sizeof(want), "d%03d.example", *seen);
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(page, i), "domain")), want) != 0)
				rc = -1;
			(*seen)++;
		}
		if (json_array_size(page) > limit ||
		    (next != NULL && json_array_size(page) != limit))
			rc = -1;
		json_decref(page);
		free(after);
		after = next;
		if (after == NULL || rc < 0 || *pages > DOMAINS)
			break;
	}
	free(after);
	return rc;
}

struct putter {
	struct store *st;
	int rc;
};

static void *
putter_main(void *arg)
{
	struct putter *p = arg;
	struct error err;

	p->rc = put_domain(p->st, DOMAINS, &err);
	return NULL;
}

/* The checks suite() makes on either backend (tap.h: tap_suite_end). */
#define SUITE_CHECKS 12

static void suite_body(const char *, const char *);

static void
suite(const char *spec, const char *backend)
{
	int first = tap_n;

	suite_body(spec, backend);
	tap_suite_end(backend, first, SUITE_CHECKS);
}

static void
suite_body(const char *spec, const char *backend)
{
	struct store_readers *rs;
	struct store *st, *rd, *rd2;
	struct putter p;
	struct error err;
	pthread_t th;
	json_t *counts, *page;
	char *next = NULL;
	int i, failed = 0, pages, seen;

	printf("# readers on %s\n", backend);
	st = store_open(spec, &err);
	ok(st != NULL, "%s: store opened", backend);
	if (st == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	for (i = 0; i < DOMAINS; i++)
		failed += put_domain(st, i, &err) < 0;
	is_int(failed, 0, "%s: %d domains stored", backend, DOMAINS);
	ok(store_start_writer(st, 0, 1, NULL, NULL, &err) == 0,
	    "%s: the writer threads start", backend);

	rs = store_readers_open(spec, 2, &err);
	ok(rs != NULL, "%s: two readers open", backend);
	if (rs == NULL) {
		store_close(st);
		return;
	}
	rd = store_readers_take(rs);
	ok(walk(rd, 100, &pages, &seen) == 0 && seen == DOMAINS &&
	    pages == 3, "%s: pages of 100: every domain once, in order "
	    "(%d in %d pages)", backend, seen, pages);
	ok(walk(rd, 7, &pages, &seen) == 0 && seen == DOMAINS &&
	    pages == (DOMAINS + 6) / 7, "%s: pages of 7 too (%d pages)",
	    backend, pages);
	ok(walk(rd, DOMAINS, &pages, &seen) == 0 && seen == DOMAINS &&
	    pages == 1, "%s: a page of exactly all: no next", backend);
	ok(store_read_domains(rd, "d228.example", 5, &page, &next, &err) ==
	    0 && json_array_size(page) == 1 && next == NULL,
	    "%s: after the last but one: the last, and no next", backend);
	json_decref(page);
	free(next);
	ok(store_read_domains(rd, "zzz", 5, &page, &next, &err) == 0 &&
	    json_array_size(page) == 0 && next == NULL,
	    "%s: after the last: an empty page", backend);
	json_decref(page);
	free(next);

	/* Every reader lent: a put is not held up, and a reader sees it
	 * once committed. */
	rd2 = store_readers_take(rs);
	p.st = st;
	p.rc = -2;
	pthread_create(&th, NULL, putter_main, &p);
	pthread_join(th, NULL);
	is_int(p.rc, 0, "%s: a put while every reader is lent", backend);
	ok(store_read_domain_counts(rd2, "d230.example", &counts, &err) == 0
	    && counts != NULL, "%s: a reader sees the put committed",
	    backend);
	json_decref(counts);
	ok(put_domain(rd, DOMAINS + 1, &err) < 0 && err.kind == ERR_INTERNAL,
	    "%s: a reader takes no writes", backend);
	store_readers_give(rs, rd2);
	store_readers_give(rs, rd);
	store_readers_close(rs);
	store_close(st);
}

/*
 * SQLite: rows past daily_upto, not folded into the domain index yet (as
 * a crash, or the writer's backlog, leaves them), are in the pages too.
 */
static void
unfolded(const char *path)
{
	static const char sql[] =
	    "INSERT INTO report (organization_name, report_id, start_time, "
	    "end_time, received_at) VALUES ('Late', 'late-1', 1772323200, "
	    "1772409599, 1772409600);"
	    "INSERT INTO policy (report, idx, organization_name, start_time, "
	    "end_time, policy_type, policy_domain, policy_string, policy_set, "
	    "mode, mx_patterns, mx_host, successful, failed) SELECT MAX(id), "
	    "0, 'Late', 1772323200, 1772409599, 'sts', 'zz-unfolded.example', "
	    "'[]', '', 'testing', '[]', '[]', 1, 0 FROM report;";
	struct store_readers *rs;
	struct store *rd;
	struct error err;
	json_t *page;
	char *next = NULL;
	sqlite3 *db;
	const char *last;

	ok(sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "sqlite: a policy past daily_upto, not folded");
	sqlite3_close(db);
	rs = store_readers_open(path, 1, &err);
	if (rs == NULL) {
		ok(0, "sqlite: a reader opens: %s", err.msg);
		return;
	}
	rd = store_readers_take(rs);
	ok(store_read_domains(rd, "d229.example", 10, &page, &next, &err) ==
	    0 && json_array_size(page) == 2 && next == NULL,
	    "sqlite: the page after d229.example has two names");
	last = json_string_value(json_object_get(json_array_get(page, 1),
	    "domain"));
	is_str(last, "zz-unfolded.example", "sqlite: the one not folded");
	json_decref(page);
	free(next);
	store_readers_give(rs, rd);
	store_readers_close(rs);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/t-store_reader.XXXXXX", path[256];

	tap_plan_postgresql(argc, argv, SUITE_CHECKS);
	ok(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(path, sizeof(path), "%s/t.db", dir);
	suite(path, "sqlite");
	unfolded(path);
	if (getenv("TLSRPT_TEST_PG") != NULL)
		suite(getenv("TLSRPT_TEST_PG"), "postgresql");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
