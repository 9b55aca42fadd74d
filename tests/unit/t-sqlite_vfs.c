/*
 * Unit tests: store_sqlite_vfs, the log writes gathered per commit.
 *
 * Two connections through the VFS on one file, as the daemon and
 * tlsrpt-import beside it: what one gathered must reach the file when it
 * commits, and never once it rolled back (the frames it wrote for a
 * transaction too large for its cache, then undone): by then another
 * connection may have committed frames at the same place in the log.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_sqlite_vfs.h"
#include "tap.h"

static sqlite3 *
open_db(const char *path, const char *vfs)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int
run(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static long long
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static const char *
check(sqlite3 *db)
{
	static char out[256];
	sqlite3_stmt *st;

	snprintf(out, sizeof(out), "%s", "(no answer)");
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

int
main(void)
{
	char dir[] = "/tmp/t-vfs.XXXXXX", path[256], wal[300];
	const char *vfs = sqlite_vfs_name();
	sqlite3 *a, *b, *c;
	int round;

	ok(vfs != NULL, "the VFS is registered: %s", vfs ? vfs : "(none)");
	ok(mkdtemp(dir) != NULL, "scratch folder");
	snprintf(path, sizeof(path), "%s/v.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	a = open_db(path, vfs);
	b = open_db(path, vfs);
	ok(a != NULL && b != NULL && run(a, "PRAGMA journal_mode = WAL; "
	    "PRAGMA synchronous = NORMAL; CREATE TABLE t (who TEXT, x BLOB)")
	    == SQLITE_OK, "two connections on one file in WAL mode");

	for (round = 0; round < 3; round++) {
		/* a: a transaction too large for a tiny cache, written to the
		 * log before its end, then undone; the log empty before it,
		 * so that undoing it reads nothing back from the log. */
		ok(run(a, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK,
		    "round %d: the log emptied", round);
		ok(run(a, "PRAGMA cache_size = 8; BEGIN IMMEDIATE; "
		    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		    "FROM n WHERE i < 300) INSERT INTO t SELECT 'a', "
		    "randomblob(3000) FROM n; ROLLBACK") == SQLITE_OK,
		    "round %d: a writes 300 rows past its cache, then rolls "
		    "back", round);
		/* b: commits as many pages at the same place in the log. */
		ok(run(b, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
		    "i + 1 FROM n WHERE i < 300) INSERT INTO t SELECT 'b', "
		    "zeroblob(3000) FROM n") == SQLITE_OK,
		    "round %d: b commits 300 rows", round);
		/* a reads, then writes: nothing of its undone transaction
		 * may reach the file now. */
		is_int(one(a, "SELECT count(*) FROM t WHERE who = 'b'"),
		    300 * (round + 1), "round %d: a reads b's rows", round);
		ok(run(a, "INSERT INTO t VALUES ('a', x'00')") == SQLITE_OK,
		    "round %d: a commits a row", round);
		c = open_db(path, NULL);	/* the default VFS */
		is_int(c ? one(c, "SELECT count(*) FROM t WHERE who = 'b' AND "
		    "x = zeroblob(3000)") : -1, 300 * (round + 1),
		    "round %d: a third connection reads b's rows intact",
		    round);
		is_str(c ? check(c) : "", "ok", "round %d: integrity_check",
		    round);
		sqlite3_close(c);
	}
	sqlite3_close(a);
	sqlite3_close(b);

	/* After a crash: the files as they are, read afresh. */
	c = open_db(path, NULL);
	is_int(c ? one(c, "SELECT count(*) FROM t") : -1, 903, "reopened: "
	    "every row committed, none undone");
	sqlite3_close(c);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
