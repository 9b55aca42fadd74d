/* error: see include/error.h. */
#include <stdio.h>
#include <string.h>

#include "error.h"
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
	int n;

	if (err == NULL)
		return -1;
	err->kind = kind;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		err->msg[0] = '\0';
	else if ((size_t)n >= sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
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
	int n;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	return error_set(err, err->kind, "%s: %s", prefix, old);
}

const char *
error_kind_name(enum error_kind kind)
{
	switch (kind) {
	case ERR_NONE:		return "none";
	case ERR_INPUT:		return "input";
	case ERR_TOO_BIG:	return "too-big";
	case ERR_BUSY:		return "busy";
	case ERR_IO:		return "io";
	case ERR_NOMEM:		return "nomem";
	case ERR_INTERNAL:	return "internal";
	}
	return "unknown";
}
