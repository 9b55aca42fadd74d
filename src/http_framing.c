/* http_framing: see include/http_framing.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "fmt.h"
#include "http_framing.h"
#include "banned.h"

void
http_framing_init(struct http_framing *f)
{
	memset(f, 0, sizeof(*f));
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The value of a Content-Length, 1*DIGIT with blanks around it; -1 when
 * it is not that (a list such as "42, 42" included: RFC 9110 8.6 lets a
 * recipient refuse it). */
static int
length_value(const char *v, unsigned long long *out)
{
	unsigned long long n = 0;
	int digits = 0;

	while (is_ows(*v))
		v++;
	for (; isdigit((unsigned char)*v); v++, digits++) {
		if (n > (~0ULL - 9) / 10)
			return -1;
		n = n * 10 + (unsigned)(*v - '0');
	}
	while (is_ows(*v))
		v++;
	if (digits == 0 || *v != '\0')
		return -1;
	*out = n;
	return 0;
}

static void
add_length(struct http_framing *f, const char *value)
{
	unsigned long long a, b;

	f->lengths++;
	if (length_value(value, &b) < 0) {
		if (f->bad_length == NULL)
			f->bad_length = value;
		return;
	}
	if (f->length == NULL) {
		f->length = value;
		return;
	}
	if (length_value(f->length, &a) == 0 && a != b &&
	    f->other_length == NULL)
		f->other_length = value;
}

/* Each coding of a list "gzip, chunked;x=y": names only, any case. */
static void
add_codings(struct http_framing *f, const char *value)
{
	const char *p = value, *end;
	size_t n;

	f->encodings++;
	for (;;) {
		while (is_ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			return;
		n = strcspn(p, ",;");
		for (end = p + n; end > p && is_ows(end[-1]); end--)
			;
		if ((size_t)(end - p) == 7 && strncasecmp(p, "chunked", 7) == 0)
			f->chunked++;
		else if (end > p && f->unknown[0] == '\0')
			fmt_cut(f->unknown, sizeof(f->unknown), "%.*s",
			    (int)(end - p), p);
		p += n;
		if (*p == ';')		/* parameters, up to the next coding */
			p += strcspn(p, ",");
	}
}

void
http_framing_add(struct http_framing *f, const char *name,
		 const char *value)
{
	if (name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "Content-Length") == 0)
		add_length(f, value);
	else if (strcasecmp(name, "Transfer-Encoding") == 0)
		add_codings(f, value);
}

/* The status, with its reason; a cut reason is still a reason. */
static unsigned __attribute__((format(printf, 4, 5)))
say(char *reason, size_t len, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(reason, len, fmt, ap);
	va_end(ap);
	return status;
}

unsigned
http_framing_check(const struct http_framing *f, int http10, char *reason,
		   size_t len)
{
	char q[ESCAPE_QUOTE_SIZE];

	if (f->encodings > 0 && f->lengths > 0)
		return say(reason, len, 400, "Content-Length together with "
		    "Transfer-Encoding: the body's end could be read two ways "
		    "(RFC 9112 section 6.1)");
	if (f->encodings > 0 && http10)
		return say(reason, len, 400, "Transfer-Encoding in an HTTP/1.0 "
		    "request (RFC 9112 section 6.1)");
	if (f->unknown[0] != '\0') {
		escape_quote(q, sizeof(q), f->unknown);
		return say(reason, len, 501, "transfer coding \"%s\" is not "
		    "implemented; only chunked is (RFC 9112 section 6.1)", q);
	}
	if (f->encodings > 0 && f->chunked == 0)
		return say(reason, len, 400, "an empty Transfer-Encoding "
		    "(RFC 9112 section 6.1)");
	if (f->chunked > 1)
		return say(reason, len, 400, "chunked named more than once in "
		    "Transfer-Encoding (RFC 9112 section 7)");
	if (f->bad_length != NULL) {
		escape_quote(q, sizeof(q), f->bad_length);
		return say(reason, len, 400, "Content-Length \"%s\" is not "
		    "a number (RFC 9112 section 6.3)", q);
	}
	if (f->other_length != NULL)
		return say(reason, len, 400, "two Content-Length values, %.32s "
		    "and %.32s (RFC 9112 section 6.3)", f->length,
		    f->other_length);
	return 0;
}
