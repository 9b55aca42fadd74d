/*
 * store_sqlite: what the two halves of the SQLite backend share: the
 * writer (store_sqlite.c: open, migrations, puts, the ops table) and the
 * reader (store_sqlite_read.c: the table of the read ops, the export
 * among them). Only they include this.
 */
#ifndef TLSRPT_STORE_SQLITE_H
#define TLSRPT_STORE_SQLITE_H

#include <sqlite3.h>

#include "store_backend.h"

/* The connection of an open SQLite store. */
sqlite3 *store_sqlite_db(void *be);

/* Map an SQLite failure to an error kind (what may pass is ERR_BUSY). */
int store_sqlite_fail(sqlite3 *db, int rc, const char *what,
		      struct error *err);

/*
 * The digest of the content of the report of row id, from its rows
 * (store_rows_digest()): for a report stored before the digests were.
 */
int store_sqlite_report_digest(sqlite3 *db, int64_t id,
			       char out[STORE_DIGEST_HEX + 1],
			       struct error *err);

extern const struct store_read_ops store_sqlite_read_ops;

/* One transaction of a retention pass (store_sqlite_prune.c). */
int store_sqlite_prune(void *be, struct store_prune_pass *pass,
		       struct error *err);

#endif
