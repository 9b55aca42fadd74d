/*
 * buf: a growable byte buffer with a hard cap.
 *
 * Every buffer that outside input can grow is a struct buf with a named
 * limit from bounds.h. The data is always followed by a NUL byte that is
 * not counted in len, so text can be handed to string functions.
 */
#ifndef TLSRPT_BUF_H
#define TLSRPT_BUF_H

#include <stddef.h>

#include "error.h"

struct buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t alloc;
	size_t cap;	/* len never exceeds cap */
};

/* Start an empty buffer that may hold at most cap bytes. */
void buf_init(struct buf *b, size_t cap);

/* Free the data; the buffer is empty again and may be reused. */
void buf_release(struct buf *b);

/*
 * Make room for n more bytes. -1 with ERR_TOO_BIG when len + n would pass
 * the cap, ERR_NOMEM when allocation fails.
 */
int buf_grow(struct buf *b, size_t n, struct error *err);

/*
 * The size of the allocation buf_grow(b, n) leaves (b->alloc when there
 * is room already, or when n does not fit the cap), so that a caller can
 * charge it to a budget before it is made.
 */
size_t buf_alloc_for(const struct buf *b, size_t n);

/* Append n bytes (see buf_grow for the failures). */
int buf_append(struct buf *b, const void *p, size_t n, struct error *err);

/* Append a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s, struct error *err);

/* Append printf-style text. */
int buf_printf(struct buf *b, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Hand the data to the caller (who frees it) and empty the buffer. */
char *buf_take(struct buf *b, size_t *len);

#endif
