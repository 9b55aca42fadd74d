/* store: see include/store.h. The backend-neutral half. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "decode.h"
#include "store.h"
#include "store_backend.h"
#include "banned.h"

struct store {
	const struct store_ops *ops;
	void *be;
};

static int
is_postgresql(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 ||
	    strncmp(spec, "postgres://", 11) == 0;
}

struct store *
store_open(const char *spec, struct error *err)
{
	struct store *st;

	if (spec == NULL || spec[0] == '\0') {
		error_set(err, ERR_IO, "no database given");
		return NULL;
	}
	if (is_postgresql(spec)) {
		error_set(err, ERR_IO, "%s: this build has no PostgreSQL "
		    "backend; use a SQLite file path", spec);
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	st->ops = &store_sqlite_ops;
	st->be = st->ops->open(spec, err);
	if (st->be == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	free(st);
}

const char *
store_backend(const struct store *st)
{
	return st->ops->name;
}

void *
store_backend_handle(struct store *st)
{
	return st->be;
}

/*
 * Payloads that arrived gzipped are kept as they came; others are
 * compressed with zlib, unless that would not make them smaller.
 * *tofree is what the caller frees afterwards.
 */
static int
payload_prepare(struct store_payload *p, const struct origin *o,
		const void *raw, size_t rawlen, void **tofree,
		struct error *err)
{
	uLongf zlen;
	void *z;

	memset(p, 0, sizeof(*p));
	*tofree = NULL;
	p->origin = o;
	p->received_at = (int64_t)time(NULL);
	p->size = rawlen;
	p->data = raw;
	p->len = rawlen;
	p->encoding = "identity";
	if (decode_sniff(raw, rawlen) == PAYLOAD_GZIP) {
		p->encoding = "gzip";
		return 0;
	}
	if (rawlen < 64)
		return 0;
	zlen = compressBound((uLong)rawlen);
	z = malloc(zlen);
	if (z == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK ||
	    zlen >= rawlen) {
		free(z);
		return 0;
	}
	*tofree = z;
	p->data = z;
	p->len = zlen;
	p->encoding = "zlib";
	return 0;
}

int
store_put_report(struct store *st, const void *raw, size_t rawlen,
		 const struct origin *o, const struct report *r,
		 int *duplicate, struct error *err)
{
	struct store_payload p;
	void *tofree;
	int rc;

	if (payload_prepare(&p, o, raw, rawlen, &tofree, err) < 0)
		return -1;
	rc = st->ops->put_report(st->be, &p, r, duplicate, err);
	free(tofree);
	return rc;
}

int
store_put_rejected(struct store *st, const void *raw, size_t rawlen,
		   const struct origin *o, const char *reason,
		   struct error *err)
{
	struct store_payload p;
	void *tofree;
	int rc;

	if (payload_prepare(&p, o, raw, rawlen, &tofree, err) < 0)
		return -1;
	rc = st->ops->put_rejected(st->be, &p, reason, err);
	free(tofree);
	return rc;
}

int
store_batch_begin(struct store *st, struct error *err)
{
	return st->ops->batch_begin(st->be, err);
}

int
store_batch_commit(struct store *st, struct error *err)
{
	return st->ops->batch_commit(st->be, err);
}

void
store_batch_rollback(struct store *st)
{
	st->ops->batch_rollback(st->be);
}
