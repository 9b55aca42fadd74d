/* buf: see include/buf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

size_t
buf_alloc_for(const struct buf *b, size_t n)
{
	size_t want, alloc;

	if (n > b->cap || b->len > b->cap - n)
		return b->alloc;
	want = b->len + n + 1;
	if (want <= b->alloc)
		return b->alloc;
	alloc = b->alloc ? b->alloc : 256;
	while (alloc < want)
		alloc = alloc > ((size_t)-1) / 2 ? want : alloc * 2;
	if (alloc > b->cap + 1)
		alloc = b->cap + 1;
	if (alloc < want)
		alloc = want;
	return alloc;
}

int
buf_grow(struct buf *b, size_t n, struct error *err)
{
	size_t alloc;
	char *p;

	if (n > b->cap || b->len > b->cap - n)
		return error_set(err, ERR_TOO_BIG,
		    "over the limit of %zu bytes", b->cap);
	if ((alloc = buf_alloc_for(b, n)) == b->alloc)
		return 0;
	p = realloc(b->data, alloc);
	if (p == NULL)
		return error_set(err, ERR_NOMEM, "out of memory (%zu bytes)",
		    alloc);
	b->data = p;
	b->alloc = alloc;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n, struct error *err)
{
	if (buf_grow(b, n, err) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s, struct error *err)
{
	return buf_append(b, s, strlen(s), err);
}

int
buf_printf(struct buf *b, struct error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return error_set(err, ERR_INTERNAL, "bad format");
	if (buf_grow(b, (size_t)n, err) < 0)
		return -1;
	va_start(ap, fmt);
	/* Room was made for all of it: anything else is a failure. */
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n)
		n = -1;
	va_end(ap);
	if (n < 0)
		return error_set(err, ERR_INTERNAL, "bad format");
	b->len += (size_t)n;
	return 0;
}

char *
buf_take(struct buf *b, size_t *len)
{
	char *p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
