/*
 * store_sqlite: what the two halves of the SQLite backend share: the
 * writer (store_sqlite.c: open, migrations, puts) and the reader
 * (store_sqlite_read.c: the read ops and the export). Only they include
 * this.
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

int store_sqlite_evidence(void *be, struct evidence *ev, struct error *err);
int store_sqlite_domains(void *be, char ***domains, size_t *n,
			 struct error *err);
int store_sqlite_read_domains(void *be, store_domain_cb cb, void *arg,
			      struct error *err);
int store_sqlite_domain_page(void *be, const char *after, size_t limit,
			     store_name_cb cb, void *arg, struct error *err);
int store_sqlite_read_totals(void *be, const char *domain,
			     struct store_domain_totals *t, int *found,
			     struct error *err);
int store_sqlite_read_types(void *be, const char *domain, store_type_cb cb,
			    void *arg, struct error *err);
int store_sqlite_changes(void *be, char *token, size_t len,
			 struct error *err);
int store_sqlite_quarantine(void *be, int64_t after, size_t limit,
			    int data, store_row_cb cb, void *arg,
			    struct error *err);
int store_sqlite_export(void *be, store_row_cb cb, void *arg,
			struct error *err);

/* One transaction of a retention pass (store_sqlite_prune.c). */
int store_sqlite_prune(void *be, struct store_prune_pass *pass,
		       struct error *err);

#endif
