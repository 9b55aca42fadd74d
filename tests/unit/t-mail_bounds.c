/*
 * t-mail_bounds: the pass over a message's raw bytes counts, for every
 * shape GMime knows, at least the parts GMime builds (exactly as many for
 * a well-formed mail), and each bound holds at its edge: the limit
 * passes, one more is rejected with a reason naming it. A run of random
 * shapes (fixed seed) checks "never fewer than GMime" beyond the cases
 * written out. Run from the project root.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bounds.h"
#include "buf.h"
#include "files.h"
#include "mail.h"
#include "mail_bounds.h"
#include "tap.h"

#define FIXTURES "fixtures/mail/"

/* The parts of GMime's tree, counted as mail_bounds counts them. */
static size_t
gmime_parts(GMimeObject *obj)
{
	GMimeMessage *inner;
	size_t n = 0;
	int i;

	if (GMIME_IS_MULTIPART(obj)) {
		for (i = 0; i < g_mime_multipart_get_count(
		    GMIME_MULTIPART(obj)); i++)
			n += 1 + gmime_parts(g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i));
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));
		if (inner != NULL && g_mime_message_get_mime_part(inner))
			n += 1 + gmime_parts(
			    g_mime_message_get_mime_part(inner));
	}
	return n;
}

/* GMime's count for a message, or -1 when it makes no message of it. */
static long
gmime_count(const char *msg, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser *ps = g_mime_parser_new_with_stream(st);
	GMimeMessage *m;
	long n = -1;

	g_mime_parser_set_format(ps, GMIME_FORMAT_MESSAGE);
	if ((m = g_mime_parser_construct_message(ps, NULL)) != NULL) {
		n = g_mime_message_get_mime_part(m) != NULL ?
		    (long)gmime_parts(g_mime_message_get_mime_part(m)) : 0;
		g_object_unref(m);
	}
	g_object_unref(ps);
	g_object_unref(st);
	return n;
}

static long
scan_count(const char *msg, size_t len)
{
	struct mail_bounds mb;
	struct error err;

	if (mail_bounds_check(msg, len, &mb, &err) < 0)
		return -1;
	return (long)mb.parts;
}

/*
 * Shapes GMime reads in its own way; for each, the count here is at least
 * GMime's. `exact` when they must agree (well-formed mail).
 */
static const struct shape {
	const char *name;
	int exact;
	const char *msg;
} shapes[] = {
	{ "three parts", 1,
	  "Content-Type: multipart/mixed; boundary=b\n\n"
	  "--b\n\none\n--b\n\ntwo\n--b\nContent-Type: text/plain\n\n3\n"
	  "--b--\n" },
	{ "nested multipart", 1,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/alternative; boundary=b\n\n"
	  "--b\n\nx\n--b\n\ny\n--b--\n--a\n\nz\n--a--\n" },
	{ "the same boundary nested", 0,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n\nx\n--a\n\ny\n"
	  "--a--\n" },
	{ "forwarded message with parts", 1,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n\nhi\n--a\n"
	  "Content-Type: message/rfc822\n\nSubject: inner\n"
	  "Content-Type: multipart/report; boundary=b\n\n"
	  "--b\n\nx\n--b\nContent-Type: application/tlsrpt+json\n\n{}\n"
	  "--b--\n--a--\n" },
	{ "message/rfc822 at the top", 1,
	  "Content-Type: message/rfc822\n\nSubject: inner\n"
	  "Content-Type: multipart/mixed; boundary=c\n\n--c\n\n1\n--c\n\n2\n"
	  "--c--\n" },
	{ "digest: parts are messages", 0,
	  "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	  "Content-Type: multipart/mixed; boundary=e\n\n--e\n\n1\n--e\n\n2\n"
	  "--e--\n--d--\n" },
	{ "blanks after the boundary", 1,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b  \t\n\n1\n"
	  "--b \n\n2\n--b--  \n" },
	{ "CRLF", 1,
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n1\r\n"
	  "--b\r\n\r\n2\r\n--b--\r\n" },
	{ "RFC 2231 continued boundary", 1,
	  "Content-Type: multipart/mixed; boundary*0=\"ab\";\n"
	  " boundary*1=\"cd\"\n\n--abcd\n\n1\n--abcd\n\n2\n--abcd--\n" },
	{ "quoted boundary with spaces", 1,
	  "Content-Type: multipart/mixed; boundary=\"a b c\"\n\n--a b c\n\n1\n"
	  "--a b c\n\n2\n--a b c--\n" },
	{ "folded Content-Type", 1,
	  "Content-Type: multipart/mixed;\n\tboundary=\n  \"b\"\n\n--b\n\n1\n"
	  "--b\n\n2\n--b--\n" },
	{ "blank before the colon, odd case", 1,
	  "CONTENT-type  : multipart/mixed; boundary=b\n\n--b\n\n1\n--b\n\n2\n"
	  "--b--\n" },
	{ "two Content-Type headers", 0,
	  "Content-Type: multipart/mixed\nContent-Type: text/plain; "
	  "boundary=b\n\n--b\n\n1\n--b\n\n2\n--b--\n" },
	{ "comment in the Content-Type", 1,
	  "Content-Type: multipart/mixed; (a comment) boundary=b\n\n--b\n\n1\n"
	  "--b\n\n2\n--b--\n" },
	{ "no blank line after a part's headers", 0,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\nX-A: 1\n--b\n"
	  "Content-Type: multipart/mixed; boundary=c\n\n--c\n\n1\n--c\n\n2\n"
	  "--c--\n--b--\n" },
	{ "parts after the closing boundary", 0,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n1\n--b--\n"
	  "--b\n\n2\n--b\n\n3\n" },
	{ "missing closing boundary", 1,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n1\n--b\n\n2\n" },
	{ "inner boundary ends the outer part", 0,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n1\n--a\n\n2\n"
	  "--b\n\n3\n--a--\n" },
	{ "boundary that is a prefix of another", 1,
	  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	  "Content-Type: multipart/mixed; boundary=bb\n\n--bb\n\n1\n--bb\n\n2\n"
	  "--bb--\n--b--\n" },
	{ "empty boundary", 0,
	  "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\n1\n--\n\n2\n"
	  "----\n" },
	{ "message/rfc822 part that is empty", 0,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: message/rfc822\n\n--a\n\nx\n--a--\n" },
	{ "base64 message/rfc822", 0,
	  "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "U3ViamVjdDogeAoKeQo=\n--a--\n" },
	{ "a NUL byte in the Content-Type", 0,
	  "Content-Type: multipart/mixed; boundary=b\0x\n\n--b\n\n1\n--b\n\n2\n"
	  "--b--\n" },
};

static size_t
shape_len(const struct shape *s)
{
	const char *p = s->msg;

	/* One shape holds a NUL byte: its length runs to the "--b--". */
	if (strcmp(s->name, "a NUL byte in the Content-Type") == 0)
		return strlen(p) + 1 + strlen(p + strlen(p) + 1);
	return strlen(p);
}

static void
test_shapes(void)
{
	const struct shape *s;
	long want, got;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		s = &shapes[i];
		want = gmime_count(s->msg, shape_len(s));
		got = scan_count(s->msg, shape_len(s));
		if (s->exact)
			is_int(got, want, "%s: %ld parts, as GMime", s->name,
			    want);
		else
			ok(got >= want, "%s: %ld parts, GMime %ld", s->name,
			    got, want);
	}
}

/* Every fixture mail: as many parts as GMime, a few at most. */
static void
test_fixtures(void)
{
	struct dirent *de;
	struct error err;
	struct buf b;
	char path[512];
	size_t n = 0;
	long want, got;
	DIR *d;

	if ((d = opendir(FIXTURES)) == NULL) {
		ok(0, "fixtures: %s readable", FIXTURES);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".eml") == NULL)
			continue;
		snprintf(path, sizeof(path), FIXTURES "%s", de->d_name);
		buf_init(&b, BOUND_MESSAGE_MAX);
		if (files_read_path(path, &b, NULL, &err) < 0) {
			ok(0, "%s: read", path);
			continue;
		}
		want = gmime_count(b.data, b.len);
		got = scan_count(b.data, b.len);
		ok(got == want && got <= 5, "%s: %ld parts, as GMime", path,
		    got);
		buf_release(&b);
		n++;
	}
	closedir(d);
	ok(n >= 10, "fixtures: %zu mails", n);
}

/* A multipart of n empty parts, the report first; caller frees. */
static char *
many_parts(size_t n, size_t *len)
{
	static const char head[] = "From: a@example.org\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n";
	static const char part[] = "--b\n\n";
	char *p, *o;
	size_t i;

	*len = sizeof(head) - 1 + n * (sizeof(part) - 1) + 6;
	if ((p = malloc(*len + 1)) == NULL)
		return NULL;
	o = p;
	memcpy(o, head, sizeof(head) - 1);
	o += sizeof(head) - 1;
	for (i = 0; i < n; i++, o += sizeof(part) - 1)
		memcpy(o, part, sizeof(part) - 1);
	memcpy(o, "--b--\n", 7);
	return p;
}

/* n header fields "X: v" and a body, in the top block. */
static char *
many_fields(size_t n, size_t *len)
{
	char *p, *o;
	size_t i;

	*len = n * 5 + 6;
	if ((p = malloc(*len + 1)) == NULL)
		return NULL;
	for (o = p, i = 0; i < n; i++, o += 5)
		memcpy(o, "X: v\n", 5);
	memcpy(o, "\nbody\n", 7);
	return p;
}

/* A Subject folded up to exactly `bytes` bytes of headers. */
static char *
folded_subject(size_t bytes, size_t *len)
{
	static const char head[] = "Subject: x\n";
	char *p;
	size_t i;

	*len = bytes + 6;
	if ((p = malloc(*len + 1)) == NULL)
		return NULL;
	memcpy(p, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < bytes; i++)
		p[i] = (i - sizeof(head) + 1) % 64 == 0 ? ' ' : 'y';
	/* Fold every 64 bytes: a line break before each space. */
	for (i = sizeof(head) - 1 + 64; i < bytes; i += 64)
		p[i - 1] = '\n';
	p[bytes - 1] = '\n';
	memcpy(p + bytes, "\nbody\n", 7);
	return p;
}

static void
edge(const char *what, char *msg, size_t len, int pass, const char *words)
{
	struct mail_bounds mb;
	struct error err;
	int rc;

	if (msg == NULL) {
		ok(0, "%s: out of memory", what);
		return;
	}
	error_clear(&err);
	rc = mail_bounds_check(msg, len, &mb, &err);
	if (pass)
		is_int(rc, 0, "%s: within the bound (%s)", what, err.msg);
	else
		ok(rc == -1 && err.kind == ERR_TOO_BIG &&
		    strstr(err.msg, words) != NULL, "%s: rejected, naming the "
		    "limit: %s", what, err.msg);
	free(msg);
}

static void
test_edges(void)
{
	struct mail_bounds mb;
	struct error err;
	size_t len;
	char *m;

	m = many_parts(BOUND_MIME_PARTS, &len);
	if (m != NULL && mail_bounds_check(m, len, &mb, &err) == 0)
		is_int(mb.parts, BOUND_MIME_PARTS, "1000 parts counted");
	edge("1000 parts", m, len, 1, "");
	m = many_parts(BOUND_MIME_PARTS + 1, &len);
	edge("1001 parts", m, len, 0, "more than 1000 MIME parts");
	m = many_parts(200000, &len);
	edge("200000 parts", m, len, 0, "more than 1000 MIME parts");

	m = many_fields(BOUND_MIME_FIELDS, &len);
	edge("10000 fields", m, len, 1, "");
	m = many_fields(BOUND_MIME_FIELDS + 1, &len);
	edge("10001 fields", m, len, 0, "more than 10000 header fields");

	m = folded_subject(BOUND_MIME_HEADERS, &len);
	if (m != NULL && mail_bounds_check(m, len, &mb, &err) == 0)
		is_int(mb.header_bytes, BOUND_MIME_HEADERS,
		    "a folded Subject of 1 MiB: its bytes counted");
	edge("1 MiB of headers", m, len, 1, "");
	m = folded_subject(BOUND_MIME_HEADERS + 1, &len);
	edge("1 MiB and a byte of headers", m, len, 0,
	    "more than 1048576 bytes of headers");
}

/* GMime's boundary tests: multiparts nested, then lines of "--x". */
static char *
nested_dashes(size_t depth, size_t lines, size_t *len)
{
	struct error err;
	struct buf b;
	size_t i;

	buf_init(&b, BOUND_MESSAGE_MAX);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=b0\n\n", &err);
	for (i = 1; i < depth; i++)
		buf_printf(&b, &err, "--b%zu\nContent-Type: multipart/mixed; "
		    "boundary=b%zu\n\n", i - 1, i);
	buf_printf(&b, &err, "--b%zu\n\n", depth - 1);
	for (i = 0; i < lines; i++)
		buf_puts(&b, "--x\n", &err);
	return buf_take(&b, len);
}

static void
test_boundary_tests(void)
{
	size_t len, depth = 500, lines = BOUND_MIME_BOUNDARY_TESTS / depth;
	char *m;

	/* The nesting itself makes about depth * depth / 2 tests. */
	m = nested_dashes(depth, lines - depth, &len);
	edge("500 multiparts around 19,500 lines of \"--x\"", m, len, 1, "");
	m = nested_dashes(depth, lines + 1, &len);
	edge("500 multiparts around 20,001 lines of \"--x\"", m, len, 0,
	    "more than 10000000 boundary tests");
}

/* Random shapes: boundaries, nesting, forwarded messages, digests, lines
 * of dashes, folds and missing blank lines, mixed at random. */
static void
test_random(void)
{
	static const char *const pieces[] = {
		"Content-Type: multipart/mixed; boundary=a\n",
		"Content-Type: multipart/mixed; boundary=b\n",
		"Content-Type: multipart/digest; boundary=c\n",
		"Content-Type: message/rfc822\n",
		"Content-Type: text/plain\n",
		"Content-Type: multipart/mixed;\n boundary=\"a\"\n",
		"X-Other: 1\n",
		"\n", "\n", "\n",
		"--a\n", "--a\n", "--b\n", "--b\n", "--c\n",
		"--a--\n", "--b--\n", "--c--\n",
		"body text\n", "--not\n", " folded\n",
	};
	size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	char msg[4096];
	size_t len, k, fewer = 0, runs = 3000;
	long want, got;
	unsigned seed = 12345;
	int n, j;

	for (k = 0; k < runs; k++) {
		len = 0;
		n = 2 + (int)(rand_r(&seed) % 40);
		len += (size_t)snprintf(msg, sizeof(msg), "Subject: r\n");
		for (j = 0; j < n && len < sizeof(msg) - 64; j++)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    "%s", pieces[rand_r(&seed) % npieces]);
		want = gmime_count(msg, len);
		got = scan_count(msg, len);
		if (want >= 0 && got < want) {
			if (fewer++ == 0)
				printf("# fewer than GMime (%ld < %ld):\n%s\n",
				    got, want, msg);
		}
	}
	is_int(fewer, 0, "%zu random shapes: never fewer parts than GMime",
	    runs);
}

int
main(void)
{
	mail_init();
	test_shapes();
	test_fixtures();
	test_edges();
	test_boundary_tests();
	test_random();
	return tap_done();
}
