/* mail: see include/mail.h. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "bounds.h"
#include "buf.h"
#include "dnsname.h"
#include "fmt.h"
#include "mail.h"
#include "mail_bounds.h"
#include "banned.h"

/* Bytes decoded from a part of no telling type before sniffing it. */
#define MAIL_SNIFF_PROBE 4096

/* Encoded bytes read from a part at a time. */
#define MAIL_CHUNK	8192

struct walk {
	GMimePart *leaves[MAIL_LEAVES_MAX];
	size_t n;
};

void
mail_init(void)
{
	static int started;

	if (started)
		return;
	g_mime_init();
	started = 1;
}

/* RFC 5322 3.6.8: ftext is printable US-ASCII except ':'. */
static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

int
mail_sniff(const void *bytes, size_t len)
{
	const unsigned char *p = bytes;
	size_t i;

	if (p == NULL || len == 0)
		return 0;
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		return 1;
	/*
	 * ftext allows '{' and '"', so '{"organization-name":' would pass for
	 * a header: a field name must start with a letter or a digit.
	 */
	if (!isalnum(p[0]))
		return 0;
	for (i = 1; i < len && is_ftext(p[i]); i++)
		;
	return i < len && p[i] == ':';
}

static void
part_release(struct mail_part *p)
{
	free(p->data);
	memset(p, 0, sizeof(*p));
}

void
mail_forget_tree(struct mail_message *m)
{
	if (m->priv != NULL)
		g_object_unref(m->priv);
	m->priv = NULL;
}

void
mail_release(struct mail_message *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nparts && i < MAIL_PARTS_MAX; i++)
		part_release(&m->parts[i]);
	mail_forget_tree(m);
	arena_release(&m->strings);
	memset(m, 0, sizeof(*m));
	m->date_t = -1;
}

/* Copy s without surrounding white space into *dst, in the message's
 * arena; NULL stays NULL. */
static int
dup_trimmed(struct mail_message *m, char **dst, const char *s,
	    struct error *err)
{
	size_t n;

	*dst = NULL;
	if (s == NULL)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if ((*dst = arena_strndup(&m->strings, s, n)) == NULL)
		return error_set(err, ERR_NOMEM, "mail: out of memory");
	return 0;
}

/*
 * Fold runs of white space into one space: an unfolded header keeps the
 * blanks around each fold (RFC 5322 2.2.3), which only clutter a log line.
 */
static void
squeeze_blanks(char *s)
{
	char *o = s, *start = s;
	int blank = 0;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			blank = 1;
			continue;
		}
		if (blank && o > start)
			*o++ = ' ';
		blank = 0;
		*o++ = *s;
	}
	*o = '\0';
}

static const char *
first_address(GMimeMessage *msg)
{
	InternetAddressList *list;
	InternetAddress *a;

	list = g_mime_message_get_from(msg);
	while (list != NULL && internet_address_list_length(list) > 0) {
		a = internet_address_list_get_address(list, 0);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a));
		if (!INTERNET_ADDRESS_IS_GROUP(a))
			break;
		list = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(a));
	}
	return NULL;
}

static int
fill_headers(struct mail_message *m, GMimeMessage *msg, struct error *err)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GDateTime *dt;

	if (dup_trimmed(m, &m->message_id, g_mime_message_get_message_id(msg),
	    err) == -1 ||
	    dup_trimmed(m, &m->subject, g_mime_message_get_subject(msg),
	    err) == -1 ||
	    dup_trimmed(m, &m->date, g_mime_object_get_header(obj, "Date"),
	    err) == -1 ||
	    dup_trimmed(m, &m->report_domain,
	    g_mime_object_get_header(obj, "TLS-Report-Domain"), err) == -1 ||
	    dup_trimmed(m, &m->report_submitter,
	    g_mime_object_get_header(obj, "TLS-Report-Submitter"),
	    err) == -1 ||
	    dup_trimmed(m, &m->from, first_address(msg), err) == -1)
		return -1;
	squeeze_blanks(m->subject);
	if ((dt = g_mime_message_get_date(msg)) != NULL)
		m->date_t = g_date_time_to_unix(dt);
	return 0;
}

/* Collect the leaf parts in order, entering forwarded messages. */
static void
walk(GMimeObject *obj, int depth, struct walk *w)
{
	GMimeMultipart *mp;
	GMimeMessage *inner;
	int i, n;

	if (obj == NULL || depth > MAIL_DEPTH_MAX)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		mp = GMIME_MULTIPART(obj);
		n = g_mime_multipart_get_count(mp);
		for (i = 0; i < n && w->n < MAIL_LEAVES_MAX; i++)
			walk(g_mime_multipart_get_part(mp, i), depth + 1, w);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));
		if (inner != NULL)
			walk(g_mime_message_get_mime_part(inner), depth + 1, w);
	} else if (GMIME_IS_PART(obj) && w->n < MAIL_LEAVES_MAX)
		w->leaves[w->n++] = GMIME_PART(obj);
}

static int
is_type(GMimePart *p, const char *type, const char *subtype)
{
	GMimeContentType *ct;

	ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

/* The parts meant for people; never a report whatever they hold. */
static int
is_human(GMimePart *p)
{
	return is_type(p, "text", "plain") || is_type(p, "text", "html");
}

static int
is_report_type(GMimePart *p)
{
	return is_type(p, "application", "tlsrpt+gzip") ||
	    is_type(p, "application", "tlsrpt+json");
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static int
is_report_name(GMimePart *p)
{
	const char *name = g_mime_part_get_filename(p);

	return name != NULL &&
	    (ends_with(name, ".json.gz") || ends_with(name, ".json"));
}

/* Gzip by its magic number, JSON by a first non-blank '{'. */
static int
is_report_content(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return 1;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	for (; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n')
			continue;
		return p[i] == '{';
	}
	return 0;
}

/* Append at most max - out->len bytes; note in *over what did not fit. */
static int
append_capped(struct buf *out, size_t max, const char *p, size_t n,
	      int *over, struct error *err)
{
	size_t room = max - out->len;

	if (n > room) {
		n = room;
		*over = 1;
	}
	if (n == 0)
		return 0;
	return buf_append(out, p, n, err);
}

/*
 * Undo the transfer encoding of a part into out, keeping at most max bytes.
 * The encoded stream is read a chunk at a time through GMime's decoding
 * filter, so a huge part costs no more memory than the cap; *over is set
 * when the part was cut short.
 */
static int
part_decode(GMimePart *part, size_t max, struct buf *out, int *over,
	    struct error *err)
{
	GMimeDataWrapper *w;
	GMimeStream *src;
	GMimeFilter *filter = NULL;
	GMimeContentEncoding enc;
	char chunk[MAIL_CHUNK], *o;
	size_t olen, opre;
	ssize_t n;
	int ret = -1;

	*over = 0;
	buf_init(out, max);
	if ((w = g_mime_part_get_content(part)) == NULL ||
	    (src = g_mime_data_wrapper_get_stream(w)) == NULL)
		return 0;
	enc = g_mime_data_wrapper_get_encoding(w);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE)
		filter = g_mime_filter_basic_new(enc, FALSE);
	if (g_mime_stream_reset(src) == -1) {
		error_set(err, ERR_INTERNAL, "mail: cannot rewind a part");
		goto done;
	}
	while (!*over) {
		if ((n = g_mime_stream_read(src, chunk, sizeof(chunk))) < 0) {
			error_set(err, ERR_INTERNAL, "mail: cannot read a part");
			goto done;
		}
		if (n == 0)
			break;
		o = chunk;
		olen = (size_t)n;
		if (filter != NULL)
			g_mime_filter_filter(filter, chunk, (size_t)n, 0, &o,
			    &olen, &opre);
		if (append_capped(out, max, o, olen, over, err) == -1)
			goto done;
	}
	if (filter != NULL && !*over) {
		g_mime_filter_complete(filter, chunk, 0, 0, &o, &olen, &opre);
		if (append_capped(out, max, o, olen, over, err) == -1)
			goto done;
	}
	ret = 0;
 done:
	if (filter != NULL)
		g_object_unref(filter);
	if (ret == -1)
		buf_release(out);
	return ret;
}

/* A name for a part in messages: its file name, else its media type. */
static void
part_label(GMimePart *p, size_t index, char *label, size_t size)
{
	GMimeContentType *ct;
	const char *name;
	char *type = NULL;

	name = g_mime_part_get_filename(p);
	ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
	if (name == NULL && ct != NULL)
		type = g_mime_content_type_get_mime_type(ct);
	fmt_cut(label, size, "part %zu (%s)", index + 1,
	    name != NULL ? name : type != NULL ? type : "no type");
	g_free(type);
}

/* Move one decoded leaf into m->parts. */
static int
take_part(struct mail_message *m, GMimePart *p, struct buf *data,
	  struct error *err)
{
	struct mail_part *mp = &m->parts[m->nparts];
	GMimeContentType *ct;
	const char *name;
	char *type = NULL, *s;
	int ret = -1;

	memset(mp, 0, sizeof(*mp));
	ct = g_mime_object_get_content_type(GMIME_OBJECT(p));
	if (ct != NULL)
		type = g_mime_content_type_get_mime_type(ct);
	if (dup_trimmed(m, &mp->content_type,
	    type != NULL ? type : "application/octet-stream", err) == -1)
		goto done;
	for (s = mp->content_type; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	name = g_mime_part_get_filename(p);
	if (dup_trimmed(m, &mp->filename, name, err) == -1)
		goto done;
	if ((mp->data = (unsigned char *)buf_take(data, &mp->len)) == NULL) {
		error_set(err, ERR_NOMEM, "mail: out of memory");
		goto done;
	}
	m->nparts++;
	ret = 0;
 done:
	g_free(type);
	if (ret == -1) {
		part_release(mp);
		buf_release(data);
	}
	return ret;
}

enum tier {
	TIER_TYPE,	/* application/tlsrpt+gzip or +json */
	TIER_NAME,	/* a file name ending .json.gz or .json */
	TIER_SNIFF,	/* anything but text for people, if it looks right */
};

static int
in_tier(GMimePart *p, enum tier t)
{
	if (is_human(p))
		return 0;
	switch (t) {
	case TIER_TYPE:
		return is_report_type(p);
	case TIER_NAME:
		return is_report_name(p);
	case TIER_SNIFF:
		return 1;
	}
	return 0;
}

/*
 * Take the leaves of the first tier that has any report part; the later
 * tiers are guesses, only tried when a message names no report at all.
 */
static int
take_reports(struct mail_message *m, const struct walk *w, size_t part_max,
	     struct error *err)
{
	struct buf data;
	char label[256];
	enum tier t;
	size_t i, probe;
	int over;

	for (t = TIER_TYPE; t <= TIER_SNIFF && m->nparts == 0; t++) {
		for (i = 0; i < w->n && m->nparts < MAIL_PARTS_MAX; i++) {
			if (!in_tier(w->leaves[i], t))
				continue;
			if (t == TIER_SNIFF) {
				probe = part_max < MAIL_SNIFF_PROBE ?
				    part_max : MAIL_SNIFF_PROBE;
				if (part_decode(w->leaves[i], probe, &data,
				    &over, err) == -1)
					return -1;
				if (!is_report_content((unsigned char *)
				    data.data, data.len)) {
					buf_release(&data);
					continue;
				}
				buf_release(&data);
			}
			if (part_decode(w->leaves[i], part_max, &data, &over,
			    err) == -1)
				return -1;
			if (over) {
				buf_release(&data);
				part_label(w->leaves[i], i, label,
				    sizeof(label));
				return error_set(err, ERR_TOO_BIG,
				    "mail: %s: decoded size over the limit of "
				    "%zu bytes", label, part_max);
			}
			if (take_part(m, w->leaves[i], &data, err) == -1)
				return -1;
		}
		/* Report parts past the cap are counted, so that the caller
		 * can say so: never a silent drop. Sniffed parts are not. */
		if (m->nparts == MAIL_PARTS_MAX && t != TIER_SNIFF)
			for (; i < w->n; i++)
				if (in_tier(w->leaves[i], t))
					m->nleft++;
	}
	return 0;
}

int
mail_parse(const void *bytes, size_t len, size_t part_max,
	   struct mail_message *m, struct error *err)
{
	const char *p = bytes, *nl;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	struct walk *w = NULL;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	m->date_t = -1;
	if (len == 0)
		return error_set(err, ERR_INPUT, "mail: empty input");
	if (!mail_sniff(bytes, len))
		return error_set(err, ERR_INPUT, "mail: not a message: the "
		    "input does not start with a header line (Name: value)");
	mail_init();

	/* An mbox "From " line is no header: start after it. */
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		if ((nl = memchr(p, '\n', len)) == NULL)
			return error_set(err, ERR_INPUT,
			    "mail: not a message: only a \"From \" line");
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
		if (!mail_sniff(p, len))
			return error_set(err, ERR_INPUT, "mail: not a message: "
			    "no header line after the \"From \" line");
	}

	/* Counted before GMime builds a tree it would not bound. */
	if (mail_bounds_check(p, len, NULL, err) == -1)
		return -1;
	/* The parser holds the stream, and the message what it needs of
	 * both: each is let go as soon as it has been handed on. */
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL)
		return error_set(err, ERR_INPUT, "mail: not a message: GMime "
		    "could not parse it");
	m->priv = msg;
	if (fill_headers(m, msg, err) == -1)
		goto done;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		error_set(err, ERR_NOMEM, "mail: out of memory");
		goto done;
	}
	walk(g_mime_message_get_mime_part(msg), 0, w);
	if (take_reports(m, w, part_max, err) == -1)
		goto done;
	ret = 0;
 done:
	free(w);
	if (ret == -1)
		mail_release(m);
	return ret;
}

/*
 * Authentication-Results (RFC 8601 2.2), read roughly:
 *
 *   authserv-id [version] ; method=result [reason=...] ptype.prop=value ...
 *                         ; method=result ...
 *
 * Comments are dropped, white space around '=' closed up and each ';' made
 * a word of its own first, so that what is left splits into words at
 * spaces.
 */

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *
ar_clean(const char *v)
{
	char *out, *o;
	size_t n = strlen(v);
	int depth = 0, quoted = 0, space = 0;

	/* At worst each ';' becomes " ; ". */
	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(3 * n + 1)) == NULL)
		return NULL;
	o = out;
	for (; *v != '\0'; v++) {
		if (quoted) {
			if (*v == '\\' && v[1] != '\0')
				*o++ = *v++;
			else if (*v == '"')
				quoted = 0;
			*o++ = *v;
			continue;
		}
		if (depth > 0) {
			if (*v == '\\' && v[1] != '\0')
				v++;
			else if (*v == '(')
				depth++;
			else if (*v == ')')
				depth--;
			continue;
		}
		if (*v == '(') {
			depth++;
			space = 1;
			continue;
		}
		if (is_wsp(*v)) {
			space = 1;
			continue;
		}
		if (*v == ';') {
			if (o > out && o[-1] != ' ')
				*o++ = ' ';
			*o++ = ';';
			*o++ = ' ';
			space = 0;
			continue;
		}
		if (space && o > out && o[-1] != ' ' && o[-1] != '=' &&
		    *v != '=')
			*o++ = ' ';
		space = 0;
		if (*v == '"')
			quoted = 1;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

/* The next word of *s, cut off in place, or NULL at the end. */
static char *
ar_word(char **s)
{
	char *p = *s, *start;
	int quoted = 0;

	while (*p == ' ')
		p++;
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	for (start = p; *p != '\0'; p++) {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = 0;
		} else if (*p == '"')
			quoted = 1;
		else if (*p == ' ')
			break;
	}
	if (*p == ' ')
		*p++ = '\0';
	*s = p;
	return start;
}

/* Strip the quotes of a quoted-string value in place (escapes kept). */
static char *
unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

/* Is domain d the signer's domain or a subdomain of it? */
static int
domain_within(const char *d, const char *signer)
{
	size_t dn = strlen(d), sn = strlen(signer);

	if (dn > 0 && d[dn - 1] == '.')
		dn--;
	if (sn > 0 && signer[sn - 1] == '.')
		sn--;
	/* A signer without a dot would be a top-level domain: never. */
	if (sn == 0 || memchr(signer, '.', sn) == NULL)
		return 0;
	if (dn == sn)
		return strncasecmp(d, signer, sn) == 0;
	return dn > sn && d[dn - sn - 1] == '.' &&
	    strncasecmp(d + dn - sn, signer, sn) == 0;
}

/* Is w "dkim=..." (the method may carry a version: "dkim/1=pass")? Then
 * the result, else NULL. */
static char *
dkim_result(char *w)
{
	char *eq;

	if ((eq = strchr(w, '=')) == NULL || strcspn(w, "/=") != 4 ||
	    strncasecmp(w, "dkim", 4) != 0)
		return NULL;
	return unquote(eq + 1);
}

/*
 * The signer a property word names: "header.d=example.net", or, from an
 * MTA that gives only the agent (Gmail), the domain of
 * "header.i=user@example.net": the agent's domain is the signer's or
 * below it (RFC 6376 3.5), so the check is as strict or stricter.
 */
static const char *
signer_of(char *w, int *is_d)
{
	char *eq, *v, *at;

	if ((eq = strchr(w, '=')) == NULL)
		return NULL;
	*eq = '\0';
	v = unquote(eq + 1);
	*is_d = strcasecmp(w, "header.d") == 0;
	if (!*is_d && strcasecmp(w, "header.i") != 0)
		return NULL;
	if (!*is_d && (at = strrchr(v, '@')) != NULL)
		v = at + 1;
	return v;
}

/* Copy a domain, lower case, without a trailing dot. */
static void
copy_domain(char *out, size_t len, const char *d)
{
	size_t i, n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)d[i]);
	out[n] = '\0';
}

/* What one dkim result of the header said: the verdict, for messages. */
struct dkim_seen {
	char result[32];	/* the first dkim result other than pass */
	char signer[128];	/* the first pass whose signer did not cover */
	int pass;		/* dkim=pass results seen */
};

/*
 * Walk the results of one header (cleaned by ar_clean, past its
 * authserv-id): the first dkim=pass whose signer is the From: domain or
 * a parent of it goes into out.
 */
static int
ar_verify(char *s, const char *from, char *out, size_t len,
	  struct dkim_seen *seen)
{
	const char *signer, *d = NULL, *i = NULL;
	char *w, *res;
	int method = 0, pass = 0, is_d;

	for (;;) {
		w = ar_word(&s);
		if (w == NULL || strcmp(w, ";") == 0) {
			/* The end of one result: judge a pass by its d=, or
			 * by its i= when it gave no d=. */
			signer = d != NULL ? d : i;
			if (pass && signer != NULL &&
			    domain_within(from, signer)) {
				copy_domain(out, len, signer);
				return 0;
			}
			if (pass && signer != NULL && seen->signer[0] == '\0')
				copy_domain(seen->signer, sizeof(seen->signer),
				    signer);
			if (w == NULL)
				return -1;
			method = 1;
			pass = 0;
			d = i = NULL;
		} else if (method) {
			method = 0;
			if ((res = dkim_result(w)) == NULL)
				continue;
			pass = strcasecmp(res, "pass") == 0;
			seen->pass += pass;
			if (!pass && seen->result[0] == '\0')
				copy_domain(seen->result, sizeof(seen->result),
				    res);
		} else if (pass && (signer = signer_of(w, &is_d)) != NULL) {
			if (is_d && d == NULL)
				d = signer;
			else if (!is_d && i == NULL)
				i = signer;
		}
	}
}

int
mail_dkim_verify(const struct mail_message *m, const char *authserv_id,
		 char *domain, size_t len, struct error *err)
{
	struct dkim_seen seen;
	GMimeHeaderList *hl;
	GMimeHeader *h;
	const char *name, *value, *from;
	char fromdom[BOUND_DNS_NAME + 1];
	char *buf = NULL, *s = NULL, *w;
	int i, n, rc;

	if (m == NULL || m->priv == NULL || authserv_id == NULL ||
	    authserv_id[0] == '\0')
		return error_set(err, ERR_INTERNAL, "DKIM: no message headers "
		    "or no authserv-id to check");
	if (m->from == NULL || (from = strrchr(m->from, '@')) == NULL ||
	    from[1] == '\0')
		return error_set(err, ERR_INPUT, "DKIM: no From: address to "
		    "hold a signature against");
	/* In the form of a d= tag (A-labels, RFC 8616 4). */
	if (dnsname_normalise(from + 1, fromdom, err) < 0)
		return error_prefix(err, "DKIM: the domain of the From: "
		    "address");
	from = fromdom;
	hl = g_mime_object_get_header_list(GMIME_OBJECT(m->priv));
	n = g_mime_header_list_get_count(hl);
	/* Top down: the first header of our authserv-id is the only one. */
	for (i = 0; i < n && buf == NULL; i++) {
		h = g_mime_header_list_get_header_at(hl, i);
		name = g_mime_header_get_name(h);
		if (name == NULL ||
		    strcasecmp(name, "Authentication-Results") != 0)
			continue;
		if ((value = g_mime_header_get_raw_value(h)) == NULL)
			value = g_mime_header_get_value(h);
		if (value == NULL)
			continue;
		if ((buf = ar_clean(value)) == NULL)
			return error_set(err, ERR_NOMEM, "out of memory");
		s = buf;
		/* Anyone can add this header: only our host's counts. */
		if ((w = ar_word(&s)) == NULL ||
		    strcasecmp(unquote(w), authserv_id) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	if (buf == NULL)
		return error_set(err, ERR_INPUT, "DKIM: no Authentication-"
		    "Results header of %s", authserv_id);
	memset(&seen, 0, sizeof(seen));
	rc = ar_verify(s, from, domain, len, &seen);
	free(buf);
	if (rc == 0)
		return 0;
	if (seen.pass == 0)
		return error_set(err, ERR_INPUT, "DKIM: the topmost "
		    "Authentication-Results header of %s has no dkim=pass "
		    "(%s%s)", authserv_id, seen.result[0] ? "dkim=" :
		    "no dkim result", seen.result);
	if (seen.signer[0] == '\0')
		return error_set(err, ERR_INPUT, "DKIM: the dkim=pass of the "
		    "topmost Authentication-Results header of %s names no "
		    "signer (header.d)", authserv_id);
	return error_set(err, ERR_INPUT, "DKIM: the dkim=pass of the topmost "
	    "Authentication-Results header of %s is for %s, which is not the "
	    "From: domain %s nor a parent of it", authserv_id, seen.signer,
	    from);
}
