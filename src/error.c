/* error: see include/error.h. */
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fmt.h"
#include "banned.h"

void
error_clear(struct error *err)
{
	if (err == NULL)
		return;
	err->kind = ERR_NONE;
	err->msg[0] = '\0';
}

int
error_vset(struct error *err, enum error_kind kind, const char *fmt,
	   va_list ap)
{
	if (err == NULL)
		return -1;
	err->kind = kind;
	vfmt_cut(err->msg, sizeof(err->msg), fmt, ap);
	return -1;
}

int
error_set(struct error *err, enum error_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int
error_prefix(struct error *err, const char *fmt, ...)
{
	char prefix[ERROR_MSG_MAX], old[ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vfmt_cut(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	return error_set(err, err->kind, "%s: %s", prefix, old);
}

int
error_too_big(struct error *err, const char *what, int more, size_t n,
	      size_t cap)
{
	if (n == 0)
		return error_set(err, ERR_TOO_BIG, "%s over the limit of %zu "
		    "bytes", what, cap);
	return error_set(err, ERR_TOO_BIG, "%s of %s%zu bytes over the limit "
	    "of %zu bytes", what, more ? "more than " : "", n, cap);
}
