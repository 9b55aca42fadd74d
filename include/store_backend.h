/*
 * store_backend: what a storage backend implements for store.c. Only
 * store.c and the backends include this; the rest of the code sees
 * store.h. The common work (compressing the raw payload, stamping the
 * time) is done once in store.c and handed down as a struct store_payload.
 */
#ifndef TLSRPT_STORE_BACKEND_H
#define TLSRPT_STORE_BACKEND_H

#include "store.h"

struct store_payload {
	const struct origin *origin;
	int64_t received_at;
	const char *encoding;	/* "gzip", "zlib" or "identity" */
	const void *data;	/* the raw payload, compressed */
	size_t len;
	size_t size;		/* bytes as received */
};

struct store_ops {
	const char *name;
	void *(*open)(const char *spec, struct error *err);
	void (*close)(void *be);
	int (*put_report)(void *be, const struct store_payload *p,
			  const struct report *r, int *duplicate,
			  struct error *err);
	int (*put_rejected)(void *be, const struct store_payload *p,
			    const char *reason, struct error *err);
	int (*batch_begin)(void *be, struct error *err);
	int (*batch_commit)(void *be, struct error *err);
	void (*batch_rollback)(void *be);
};

extern const struct store_ops store_sqlite_ops;

/*
 * For the read modules (store_read.c): the backend's private handle of an
 * open store, and, for the SQLite backend, its connection. The caller
 * holds whatever lock serialises the store's use.
 */
struct sqlite3;
void *store_backend_handle(struct store *st);
struct sqlite3 *store_sqlite_db(void *be);

#endif
