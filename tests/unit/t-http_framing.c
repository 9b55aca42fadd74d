/* http_framing: each RFC 9112 rule, and what passes. */
#include <stdio.h>
#include <string.h>

#include "http_framing.h"
#include "tap.h"

/*
 * The status for a request of the given headers ("Name: value" strings,
 * NULL-terminated); the reason in reason.
 */
static unsigned
judge(int http10, char *reason, size_t len, const char *const *headers)
{
	struct http_framing f;
	char name[64];
	const char *colon, *value;
	size_t i, n;

	http_framing_init(&f);
	for (i = 0; headers[i] != NULL; i++) {
		colon = strchr(headers[i], ':');
		n = (size_t)(colon - headers[i]);
		if (colon == NULL || n >= sizeof(name))
			return 999;
		memcpy(name, headers[i], n);
		name[n] = '\0';
		value = colon + 1;
		while (*value == ' ')
			value++;
		http_framing_add(&f, name, value);
	}
	reason[0] = '\0';
	return http_framing_check(&f, http10, reason, len);
}

#define J(http10, ...) \
	judge(http10, reason, sizeof(reason), \
	    (const char *const[]){ __VA_ARGS__, NULL })

int
main(void)
{
	char reason[256];

	is_int(J(0, "Host: a"), 0, "no body: fine");
	is_int(J(0, "Content-Length: 42"), 0, "one length: fine");
	is_int(J(0, "Content-Length: 42", "content-length: 042"), 0,
	    "the same length twice (any case, leading zero): read as one");
	is_int(J(0, "Transfer-Encoding: chunked"), 0, "chunked: fine");
	is_int(J(0, "Transfer-Encoding: Chunked ;ext=1"), 0,
	    "Chunked with a parameter: fine");
	is_int(J(0, "Transfer-Encoding: , chunked,"), 0,
	    "empty list elements are no codings (RFC 9110 5.6.1)");

	is_int(J(0, "Content-Length: 42", "Content-Length: 43"), 400,
	    "two lengths that differ: 400");
	is_str(reason, "two Content-Length values, 42 and 43 (RFC 9112 "
	    "section 6.3)", "... saying both");
	is_int(J(0, "Content-Length: 42, 42"), 400,
	    "a list of lengths: 400 (RFC 9110 8.6 allows refusing it)");
	is_int(J(0, "Content-Length: -1"), 400, "a negative length: 400");
	is_int(J(0, "Content-Length: 99999999999999999999999"), 400,
	    "a length past 64 bits: 400");
	is_int(J(0, "Content-Length: "), 400, "an empty length: 400");

	is_int(J(0, "Content-Length: 5", "Transfer-Encoding: chunked"), 400,
	    "Content-Length with Transfer-Encoding: 400");
	ok(strstr(reason, "Content-Length together with Transfer-Encoding")
	    != NULL, "... saying so: %s", reason);
	is_int(J(0, "Transfer-Encoding: chunked", "Content-Length: 5"), 400,
	    "... in either order");
	is_int(J(0, "Transfer-Encoding: xchunked"), 501,
	    "another coding: 501");
	is_str(reason, "transfer coding \"xchunked\" is not implemented; "
	    "only chunked is (RFC 9112 section 6.1)", "... naming it");
	is_int(J(0, "Transfer-Encoding: gzip, chunked"), 501,
	    "gzip before chunked: 501");
	is_int(J(0, "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"),
	    501, "... in two fields too");
	is_int(J(0, "Transfer-Encoding: chunked, chunked"), 400,
	    "chunked twice: 400");
	is_int(J(0, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
	    400, "... in two fields too");
	is_int(J(0, "Transfer-Encoding: "), 400, "an empty coding: 400");
	is_int(J(1, "Transfer-Encoding: chunked"), 400,
	    "Transfer-Encoding in HTTP/1.0: 400");
	is_int(J(1, "Content-Length: 5"), 0, "HTTP/1.0 with a length: fine");
	is_int(J(0, "Transfer-Encoding: chunkedchunkedchunkedchunkedchunked"
	    "chunkedchunkedchunkedchunkedchunked"), 501,
	    "a long coding name: 501");
	ok(strlen(reason) < sizeof(reason), "... the reason cut to fit");
	return tap_done();
}
