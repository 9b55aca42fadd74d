/*
 * error: the one way a function tells its caller what went wrong.
 *
 * Functions return 0 / -1 (or a pointer / NULL) and fill a caller's
 * struct error with a message a person can act on: the JSON path, the
 * header, the limit that was hit. The kind says what the caller should do
 * about it (reject the input, retry later, give up).
 */
#ifndef TLSRPT_ERROR_H
#define TLSRPT_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "bounds.h"

enum error_kind {
	ERR_NONE = 0,
	ERR_INPUT,	/* the input is bad: reject it, keep it in quarantine */
	ERR_TOO_BIG,	/* the input is over a named limit (also a rejection) */
	ERR_BUSY,	/* the store is busy or unwritable: retry later */
	ERR_IO,		/* a file could not be opened or read */
	ERR_NOMEM,	/* an allocation failed */
	ERR_INTERNAL,	/* a bug or an unexpected library failure */
};

struct error {
	enum error_kind kind;
	char msg[ERROR_MSG_MAX];
};

/* Empty the error. */
void error_clear(struct error *err);

/*
 * Set kind and a printf-style message. A message longer than the buffer is
 * cut and ends with "...". Always returns -1 so that callers can write
 * `return error_set(err, ...)`. err may be NULL.
 */
int error_set(struct error *err, enum error_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int error_vset(struct error *err, enum error_kind kind, const char *fmt,
	       va_list ap) __attribute__((format(printf, 3, 0)));

/* Put "prefix: " before the message already in err. Returns -1. */
int error_prefix(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * An input over a size limit, in the one wording every answer uses:
 * "WHAT of N bytes over the limit of CAP bytes", "of more than N bytes"
 * when more is set (only N were counted), "WHAT over the limit of CAP
 * bytes" when n is 0 (not known). ERR_TOO_BIG; returns -1.
 */
int error_too_big(struct error *err, const char *what, int more, size_t n,
		  size_t cap);

#endif
