/* mail_bounds: see include/mail_bounds.h. */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bounds.h"
#include "mail_bounds.h"
#include "banned.h"

/*
 * GMime reads a message a line at a time (lines end at LF; a CR before it
 * is dropped). A line is a boundary when it is "--", the boundary of a
 * multipart it is in and nothing but white space (RFC 2046 5.1.1), or the
 * same ending "--"; GMime tests every line that starts with "--" against
 * each multipart it is in, in headers and bodies alike. A header block
 * ends at a blank line or at a boundary; an opening boundary starts a
 * part, and its header block. After the header block of a message/rfc822
 * part comes the forwarded message's own header block.
 *
 * So that nothing GMime builds goes uncounted, this pass errs on the side
 * of more, and reads a header line wherever GMime might:
 *   - every boundary of every Content-Type header counts from where it is
 *     declared to the end (GMime forgets one when its multipart ends);
 *   - only a blank line ends a header block: a closing boundary GMime
 *     may not know leaves the lines after it header lines, and an opening
 *     one starts the next block with what the last one said;
 *   - a part of any message/ type is read as a message (GMime does not
 *     for a base64 one, nor message/partial), and once a multipart/digest
 *     is declared, whose parts are messages unless they say otherwise,
 *     every part is.
 * GMime's header lines are then all header lines here, so every boundary
 * GMime knows is known here, and every part GMime starts is counted.
 */

struct scan {
	GHashTable *bounds;	/* declared boundaries, trailing blanks cut */
	size_t longest;		/* the longest of them */
	char *key;		/* a body line to look up, NUL-terminated */
	int digest;		/* a multipart/digest was declared */
	int message;		/* this header block says message/... */
	int declares;		/* this header block declares a boundary */
	size_t multiparts;	/* header blocks that declared one */
	const char *ct;		/* the Content-Type value being read, or NULL */
	const char *ct_end;
	struct mail_bounds n;
};

static int
is_lwsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
add_boundary(struct scan *s, const char *b, struct error *err)
{
	size_t n = strlen(b);
	char *key, *grown;

	while (n > 0 && is_lwsp(b[n - 1]))
		n--;
	if (s->key == NULL || n > s->longest) {
		if ((grown = realloc(s->key, n + 1)) == NULL)
			return error_set(err, ERR_NOMEM, "mail: out of memory");
		s->key = grown;
		s->longest = n;
	}
	if ((key = strndup(b, n)) == NULL)
		return error_set(err, ERR_NOMEM, "mail: out of memory");
	if (s->bounds == NULL)
		s->bounds = g_hash_table_new_full(g_str_hash, g_str_equal,
		    free, NULL);
	g_hash_table_add(s->bounds, key);
	return 0;
}

/* Does p[0..n) hold word (lower-case letters), in any case? */
static int
holds(const char *p, size_t n, const char *word)
{
	size_t k = strlen(word), i;

	for (i = 0; i + k <= n; i++)
		if ((p[i] | 0x20) == word[0] &&
		    g_ascii_strncasecmp(p + i, word, k) == 0)
			return 1;
	return 0;
}

/* A Content-Type header ends: what it declares, read as GMime reads it. */
static int
end_header(struct scan *s, struct error *err)
{
	GMimeContentType *ct;
	const char *b;
	char *value;
	size_t n;
	int rc = 0;

	if (s->ct == NULL)
		return 0;
	/*
	 * Parsing a value costs more than the rest of the pass. GMime
	 * compares the names it finds in a value ("message", "digest",
	 * "boundary", "boundary*0") without regard to case, but letter for
	 * letter: a value that holds none of them declares nothing here.
	 */
	n = (size_t)(s->ct_end - s->ct);
	if (!holds(s->ct, n, "boundary") && !holds(s->ct, n, "message") &&
	    !holds(s->ct, n, "digest")) {
		s->ct = NULL;
		return 0;
	}
	/* GMime's copy of a value ends at a NUL byte: so does this one. */
	value = strndup(s->ct, n);
	s->ct = NULL;
	if (value == NULL)
		return error_set(err, ERR_NOMEM, "mail: out of memory");
	ct = g_mime_content_type_parse(NULL, value);
	free(value);
	if (ct == NULL)
		return 0;
	if (g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct),
	    "message") == 0)
		s->message = 1;
	if (g_mime_content_type_is_type(ct, "multipart", "digest"))
		s->digest = 1;
	if ((b = g_mime_content_type_get_parameter(ct, "boundary")) != NULL) {
		/* GMime makes one multipart of a block, whatever it says. */
		if (!s->declares)
			s->multiparts++;
		s->declares = 1;
		rc = add_boundary(s, b, err);
	}
	g_object_unref(ct);
	return rc;
}

/* A header line (not a folded one) starts: is it a Content-Type? */
static void
start_header(struct scan *s, const char *line, const char *end)
{
	static const char name[] = "Content-Type";
	const char *colon, *e;

	colon = memchr(line, ':', (size_t)(end - line));
	if (colon == NULL)
		return;
	/* GMime allows blanks between the field name and the colon. */
	for (e = colon; e > line && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if ((size_t)(e - line) == sizeof(name) - 1 &&
	    g_ascii_strncasecmp(line, name, sizeof(name) - 1) == 0) {
		s->ct = colon + 1;
		s->ct_end = end;
	}
}

/* Is the body line of len bytes (no LF) a boundary that opens a part? */
static int
opens_part(struct scan *s, const char *line, size_t len)
{
	if (len < 2 || line[0] != '-' || line[1] != '-' || s->key == NULL)
		return 0;
	line += 2;
	len -= 2;
	while (len > 0 && is_lwsp(line[len - 1]))
		len--;
	if (len > s->longest)
		return 0;
	memcpy(s->key, line, len);
	s->key[len] = '\0';
	return g_hash_table_contains(s->bounds, s->key);
}

static int
too_many(const char *what, size_t limit, struct error *err)
{
	return error_set(err, ERR_TOO_BIG, "message with more than %zu %s, "
	    "over the limit of %zu", limit, what, limit);
}

static int
new_part(struct scan *s, struct error *err)
{
	if (++s->n.parts > BOUND_MIME_PARTS)
		return too_many("MIME parts", BOUND_MIME_PARTS, err);
	s->message = 0;
	s->declares = 0;
	return 0;
}

static int
walk(struct scan *s, const char *p, const char *end, struct error *err)
{
	const char *nl, *next;
	size_t len;
	int headers = 1, message;

	for (; p < end; p = next) {
		nl = memchr(p, '\n', (size_t)(end - p));
		next = nl != NULL ? nl + 1 : end;
		len = (size_t)((nl != NULL ? nl : end) - p);
		if (len >= 2 && p[0] == '-' && p[1] == '-') {
			s->n.boundary_tests += s->multiparts;
			if (s->n.boundary_tests > BOUND_MIME_BOUNDARY_TESTS)
				return too_many("boundary tests (lines "
				    "starting with \"--\" times the multiparts "
				    "declared above them)",
				    BOUND_MIME_BOUNDARY_TESTS, err);
			if (opens_part(s, p, len)) {
				/*
				 * A boundary ends a header block too. GMime
				 * may not know this one yet and read on: what
				 * the block said goes on counting.
				 */
				if (headers && end_header(s, err) < 0)
					return -1;
				message = headers && s->message;
				if (new_part(s, err) < 0)
					return -1;
				s->message = message;
				headers = 1;
				continue;
			}
		}
		if (!headers)
			continue;
		if (len == 0 || (len == 1 && p[0] == '\r')) {
			if (end_header(s, err) < 0)
				return -1;
			/* A forwarded message: its headers come next. */
			if (s->message || s->digest) {
				if (new_part(s, err) < 0)
					return -1;
			} else {
				headers = 0;
				s->declares = 0;
			}
			continue;
		}
		s->n.header_bytes += (size_t)(next - p);
		if (s->n.header_bytes > BOUND_MIME_HEADERS)
			return too_many("bytes of headers (all its header "
			    "blocks, folded lines included)",
			    BOUND_MIME_HEADERS, err);
		if (p[0] == ' ' || p[0] == '\t') {
			if (s->ct != NULL)
				s->ct_end = next;
			continue;
		}
		if (++s->n.fields > BOUND_MIME_FIELDS)
			return too_many("header fields", BOUND_MIME_FIELDS, err);
		if (end_header(s, err) < 0)
			return -1;
		start_header(s, p, next);
	}
	return end_header(s, err);
}

int
mail_bounds_check(const void *bytes, size_t len, struct mail_bounds *out,
		  struct error *err)
{
	struct scan s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = walk(&s, bytes, (const char *)bytes + len, err);
	if (out != NULL)
		*out = s.n;
	if (s.bounds != NULL)
		g_hash_table_destroy(s.bounds);
	free(s.key);
	return rc;
}
