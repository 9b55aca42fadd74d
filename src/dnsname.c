/* dnsname: see include/dnsname.h. */
#include <idn2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "dnsname.h"
#include "escape.h"
#include "fmt.h"
#include "banned.h"

static int
bad(const char *in, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
bad(const char *in, struct error *err, const char *fmt, ...)
{
	char q[ESCAPE_QUOTE_SIZE], why[ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(why, sizeof(why), fmt, ap);
	va_end(ap);
	escape_quote(q, sizeof(q), in);
	return error_set(err, ERR_INPUT, "\"%s\" is not a DNS name: %s", q,
	    why);
}

static int
is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* A character of a label, once lower-cased. */
static int
label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_';
}

/* Append n bytes to buf (of BOUND_DNS_NAME bytes) at *o, or fail. */
static int
append(const char *in, char *buf, size_t *o, const char *s, size_t n,
       struct error *err)
{
	if (n > BOUND_DNS_NAME - *o)
		return bad(in, err, "longer than %d octets", BOUND_DNS_NAME);
	memcpy(buf + *o, s, n);
	*o += n;
	return 0;
}

/* A U-label to its A-label, appended to buf. */
static int
append_alabel(const char *in, char *buf, size_t *o, const char *label,
	      size_t n, struct error *err)
{
	char u[BOUND_DNS_TEXT + 1], q[ESCAPE_QUOTE_SIZE];
	char *a = NULL;
	int rc;

	memcpy(u, label, n);
	u[n] = '\0';
	rc = idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc == IDN2_MALLOC)
		return error_set(err, ERR_NOMEM, "out of memory converting "
		    "a domain name");
	if (rc != IDN2_OK) {
		escape_quote(q, sizeof(q), u);
		return bad(in, err, "the label \"%s\": %s", q,
		    idn2_strerror(rc));
	}
	rc = append(in, buf, o, a, strlen(a), err);
	idn2_free(a);
	return rc;
}

int
dnsname_normalise(const char *in, char out[BOUND_DNS_NAME + 1],
		  struct error *err)
{
	char buf[BOUND_DNS_NAME + 1];
	const char *p, *dot, *end;
	size_t n = strlen(in), o = 0, i, label = 0;

	if (n > BOUND_DNS_TEXT)
		return bad(in, err, "longer than %d bytes", BOUND_DNS_TEXT);
	/* The root's dot: "example.com." is "example.com". */
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0)
		return bad(in, err, "empty");
	end = in + n;
	for (p = in; p <= end; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (dot == NULL)
			dot = end;
		if (is_ascii(p, (size_t)(dot - p))) {
			if (append(in, buf, &o, p, (size_t)(dot - p), err) < 0)
				return -1;
		} else if (append_alabel(in, buf, &o, p, (size_t)(dot - p),
		    err) < 0) {
			return -1;
		}
		if (dot < end && append(in, buf, &o, ".", 1, err) < 0)
			return -1;
	}

	/* Every label, the converted ones too (the mapping may add dots). */
	for (i = 0; i <= o; i++) {
		unsigned char c = i < o ? (unsigned char)buf[i] : '.';

		if (c == '.') {
			if (label == 0)
				return bad(in, err, "an empty label");
			if (label > BOUND_DNS_LABEL)
				return bad(in, err, "a label of %zu octets "
				    "(at most %d)", label, BOUND_DNS_LABEL);
			label = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		buf[i] = (char)c;
		if (!label_char(c) && c > 0x20 && c < 0x7f)
			return bad(in, err, "the character '%c' (only letters, "
			    "digits, '-' and '_')", c);
		if (!label_char(c))
			return bad(in, err, "the byte 0x%02x (only letters, "
			    "digits, '-' and '_')", c);
		label++;
	}
	memcpy(out, buf, o);
	out[o] = '\0';
	return 0;
}
