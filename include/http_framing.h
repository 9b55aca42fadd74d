/*
 * http_framing: where a request's body ends, as RFC 9112 section 6 says,
 * judged on its headers before the body is read. Two parties that read
 * the framing of one request differently (a proxy and this daemon, say)
 * see two different requests: so a request whose framing could be read
 * two ways is refused, never guessed at.
 *   400  Content-Length together with Transfer-Encoding (6.1)
 *   400  two Content-Length values that differ, or one not a number (6.3)
 *   400  Transfer-Encoding in an HTTP/1.0 request (6.1), an empty one,
 *        or chunked more than once (7)
 *   501  a transfer coding other than chunked (6.1)
 * libmicrohttpd by itself takes the first Content-Length, prefers chunked
 * to a length, and waits for the end of the connection on an unknown
 * coding.
 *
 * The header values are kept, not owned: they must outlive the check.
 */
#ifndef TLSRPT_HTTP_FRAMING_H
#define TLSRPT_HTTP_FRAMING_H

#include <stddef.h>

#include "bounds.h"

struct http_framing {
	unsigned lengths;		/* Content-Length fields seen */
	const char *length;		/* the first one */
	const char *other_length;	/* one that says another length */
	const char *bad_length;		/* one that is not a number */
	unsigned encodings;		/* Transfer-Encoding fields seen */
	unsigned chunked;		/* times "chunked" was named */
	char unknown[HTTP_CODING_MAX];	/* the first coding not chunked */
};

/* Start with no header seen. */
void http_framing_init(struct http_framing *f);

/* One header of the request, as received (any other name is ignored). */
void http_framing_add(struct http_framing *f, const char *name,
		      const char *value);

/*
 * 0 when the body's end is known one way only; else the status to answer
 * (400 or 501) with the reason in reason (len bytes). http10 is set for
 * an HTTP/1.0 request.
 */
unsigned http_framing_check(const struct http_framing *f, int http10,
			    char *reason, size_t len);

#endif
