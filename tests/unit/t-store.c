/* Unit tests: store (SQLite backend): migrations, identity, quarantine. */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "report.h"
#include "store.h"
#include "store_backend.h"
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

int
main(void)
{
	char dir[] = "/tmp/t-store.XXXXXX", path[256];
	struct origin o = { .source = "file", .path = "r1.json" };
	struct error err;
	struct report r;
	struct store *st;
	sqlite3 *db;
	int dup = -1;

	ok(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(path, sizeof(path), "%s/t.db", dir);

	st = store_open(path, &err);
	ok(st != NULL, "a new store is created");
	is_str(store_backend(st), "sqlite", "the SQLite backend");
	is_int(count(path, "PRAGMA user_version"), 1, "migrations applied");

	ok(report_parse(json, sizeof(json) - 1, &r, &err) == 0, "parse");
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &dup, &err) ==
	    0 && dup == 0, "first copy stored");
	ok(store_put_report(st, json, sizeof(json) - 1, &o, &r, &dup, &err) ==
	    0 && dup == 1, "second copy is a duplicate");
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

	/* Reopening applies nothing twice. */
	st = store_open(path, &err);
	ok(st != NULL, "reopen");
	store_close(st);
	is_int(count(path, "PRAGMA user_version"), 1, "still version 1");

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

	ok(store_open("postgresql://localhost/x", &err) == NULL &&
	    err.kind == ERR_IO, "no PostgreSQL in this build: %s", err.msg);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ok(system(path) == 0, "clean up");
	return tap_done();
}
