/* api: see include/api.h. */
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "analyse.h"
#include "api.h"
#include "bounds.h"
#include "dnsname.h"
#include "metrics.h"
#include "notify.h"
#include "page.h"
#include "rfc3339.h"
#include "spool.h"
#include "store_read.h"
#include "watch.h"
#include "banned.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define DOMAINS_PREFIX "/api/v1/domains/"
#define SUMMARY_SUFFIX "/summary"
#define REPORT_PREFIX "/report/"

static void
answer_text(struct api_answer *out, unsigned status, const char *text)
{
	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	buf_release(&out->body);
	buf_puts(&out->body, text, NULL);
}

/* {"error": msg} with a status. */
static void
answer_error(struct api_answer *out, unsigned status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	out->status = status;
	out->content_type = "application/json";
	buf_release(&out->body);
	buf_puts(&out->body, s ? s : "{}", NULL);
	buf_puts(&out->body, "\n", NULL);
	free(s);
	json_decref(o);
}

/* Takes the reference to j. */
static void
answer_json(struct api_answer *out, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	struct error err;

	json_decref(j);
	if (s == NULL) {
		answer_error(out, 503, "out of memory");
		out->retry_after = 5;
		return;
	}
	out->status = 200;
	out->content_type = "application/json";
	if (buf_puts(&out->body, s, &err) < 0 ||
	    buf_puts(&out->body, "\n", &err) < 0)
		answer_error(out, 503, err.msg);
	free(s);
}

static void
answer_store_error(struct api_answer *out, const struct error *err)
{
	if (err->kind == ERR_BUSY || err->kind == ERR_NOMEM) {
		answer_error(out, 503, err->msg);
		out->retry_after = 5;
	} else {
		answer_error(out, 500, err->msg);
	}
}

/* Compare without telling by the time taken how much matched. */
static int
token_equal(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

/*
 * Decode the n base64 characters at in (padded, RFC 4648 section 4) into
 * out, which has room for n / 4 * 3 bytes, with GnuTLS's decoder: their
 * number, or -1 when in is not base64.
 */
static long
base64_decode(const char *in, size_t n, char *out)
{
	gnutls_datum_t b64 = { (unsigned char *)(uintptr_t)in,
	    (unsigned int)n }, plain = { NULL, 0 };
	long len = -1;

	if (n == 0 || n % 4 != 0 ||
	    gnutls_base64_decode2(&b64, &plain) < 0)
		return -1;
	if (plain.size <= n / 4 * 3) {
		memcpy(out, plain.data, plain.size);
		len = (long)plain.size;
	}
	gnutls_free(plain.data);
	return len;
}

/*
 * Does the Authorization header give the token? As a bearer token
 * (RFC 6750), or as the password of HTTP Basic (RFC 7617), whatever the
 * user name, so that an owner can open the pages in a browser. A header
 * over API_AUTHORIZATION_MAX bytes, or not base64, gives none.
 */
static int
authorized(const char *token, const char *authz)
{
	char plain[API_AUTHORIZATION_MAX / 4 * 3];
	const char *colon;
	size_t n;
	long len;

	if (token == NULL || token[0] == '\0')
		return 1;
	if (authz == NULL ||
	    (n = strnlen(authz, API_AUTHORIZATION_MAX + 1)) >
	    API_AUTHORIZATION_MAX)
		return 0;
	if (strncasecmp(authz, "Bearer ", 7) == 0) {
		authz += 7;
		while (*authz == ' ')
			authz++;
		return token_equal(authz, strlen(authz), token);
	}
	if (strncasecmp(authz, "Basic ", 6) != 0)
		return 0;
	authz += 6;
	while (*authz == ' ')
		authz++;
	n = strlen(authz);
	while (n > 0 && authz[n - 1] == ' ')
		n--;
	if ((len = base64_decode(authz, n, plain)) < 0 ||
	    (colon = memchr(plain, ':', (size_t)len)) == NULL)
		return 0;
	colon++;
	return token_equal(colon, (size_t)(plain + len - colon), token);
}

/*
 * The domain of /api/v1/domains/{domain}/summary (the path as the HTTP
 * library decoded it), normalised as the reports' domains were stored
 * (dnsname.h), into out; -1 with err set when the path does not end with
 * suffix or the domain is not a DNS name.
 */
static int
path_domain(const char *d, const char *suffix, char out[BOUND_DNS_NAME + 1],
	    struct error *err)
{
	char name[BOUND_DNS_TEXT + 1];
	size_t n = strlen(d), sn = strlen(suffix);

	if (n < sn || strcmp(d + n - sn, suffix) != 0)
		return error_set(err, ERR_INPUT, "use /api/v1/domains/"
		    "{domain}/summary or /report/{domain}");
	n -= sn;
	if (n > BOUND_DNS_TEXT)
		return error_set(err, ERR_INPUT, "a domain of more than %d "
		    "bytes", BOUND_DNS_TEXT);
	memcpy(name, d, n);
	name[n] = '\0';
	return dnsname_normalise(name, out, err);
}

/* TLSRPTD_TEST_READ_DELAY_MS, read once: see api.h. */
static unsigned read_delay_ms;
static pthread_once_t read_delay_once = PTHREAD_ONCE_INIT;

static void
read_delay_init(void)
{
	const char *v = getenv("TLSRPTD_TEST_READ_DELAY_MS");
	unsigned long ms;
	char *end;

	if (v == NULL || *v == '\0')
		return;
	errno = 0;
	ms = strtoul(v, &end, 10);
	if (errno == 0 && *end == '\0' && ms <= 60000)
		read_delay_ms = (unsigned)ms;
}

/* A store to read, held for the test hook's delay first. */
static struct store *
read_begin(struct ingest *in)
{
	struct store *st = ingest_read_begin(in);
	struct timespec ts;

	pthread_once(&read_delay_once, read_delay_init);
	if (read_delay_ms > 0) {
		ts.tv_sec = read_delay_ms / 1000;
		ts.tv_nsec = (long)(read_delay_ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return st;
}

/* The link to the page after `after`: its name %-encoded (RFC 3986). */
static json_t *
next_link(const char *after, size_t limit)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;
	char head[64];
	const unsigned char *p;
	json_t *j = NULL;
	char esc[4];

	buf_init(&b, API_BODY_MAX);
	if (snprintf(head, sizeof(head), "/api/v1/domains?limit=%zu&after=",
	    limit) >= (int)sizeof(head) || buf_puts(&b, head, NULL) < 0)
		goto done;
	for (p = (const unsigned char *)after; *p; p++) {
		/* RFC 3986 2.3: unreserved, whatever the locale. */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			if (buf_append(&b, p, 1, NULL) < 0)
				goto done;
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		esc[3] = '\0';
		if (buf_puts(&b, esc, NULL) < 0)
			goto done;
	}
	j = json_stringn(b.data, b.len);
done:
	buf_release(&b);
	return j;
}

/*
 * Each domain's current verdict (watch.h), null until the daemon has
 * judged it: a script reads the verdicts of every domain a page at a
 * time, without asking for each domain's summary.
 */
static void
add_verdicts(json_t *arr)
{
	char v[32];
	json_t *d;
	size_t i;

	json_array_foreach(arr, i, d) {
		const char *name = json_string_value(json_object_get(d,
		    "domain"));

		json_object_set_new(d, "verdict", name != NULL &&
		    watch_verdict(name, v, sizeof(v)) ? json_string(v) :
		    json_null());
	}
}

/*
 * A page of the domains: ?limit=N (1 to BOUND_DOMAINS_PAGE_MAX, default
 * BOUND_DOMAINS_PAGE) after ?after=DOMAIN, and the link to the next page
 * ("next", null on the last).
 */
static void
route_domains(struct ingest *in, const struct api_query *q,
	      struct api_answer *out)
{
	const char *after = q != NULL && q->after != NULL ? q->after : "";
	size_t limit = BOUND_DOMAINS_PAGE;
	char *next = NULL, *end;
	struct store *st;
	struct error err;
	unsigned long n;
	json_t *arr, *link;
	int rc;

	if (q != NULL && q->limit != NULL) {
		errno = 0;
		n = strtoul(q->limit, &end, 10);
		if (!isdigit((unsigned char)q->limit[0]) || errno != 0 ||
		    *end != '\0' || n < 1 ||
		    n > BOUND_DOMAINS_PAGE_MAX) {
			answer_error(out, 400, "limit: expected a number of "
			    "domains from 1 to " STR(BOUND_DOMAINS_PAGE_MAX));
			return;
		}
		limit = n;
	}
	if (strlen(after) > BOUND_STRING) {
		answer_error(out, 400, "after: a domain of more than "
		    STR(BOUND_STRING) " bytes");
		return;
	}
	error_clear(&err);
	st = read_begin(in);
	rc = store_read_domains(st, after, limit, &arr, &next, &err);
	ingest_read_end(in, st);
	if (rc < 0) {
		answer_store_error(out, &err);
		return;
	}
	add_verdicts(arr);
	link = next != NULL ? next_link(next, limit) : json_null();
	free(next);
	if (link == NULL) {
		json_decref(arr);
		answer_error(out, 503, "out of memory");
		out->retry_after = 5;
		return;
	}
	answer_json(out, json_pack("{s:o, s:o}", "domains", arr, "next",
	    link));
}

/* ?days=N&now=T into the analysis options; -1 with a message. */
static int
query_options(const struct api_query *q, struct analyse_options *opt,
	      struct api_answer *out)
{
	char *end;
	long days;

	analyse_options_default(opt);
	if (q == NULL)
		return 0;
	if (q->days != NULL) {
		days = strtol(q->days, &end, 10);
		if (end == q->days || *end || days < 1 || days > 3660) {
			answer_error(out, 400, "days: expected a number of "
			    "days from 1 to 3660");
			return -1;
		}
		opt->days = (int)days;
	}
	if (q->now != NULL) {
		long long t = strtoll(q->now, &end, 10);

		if (end != q->now && *end == '\0' && t >= 0)
			opt->now = t;
		else if (rfc3339_parse(q->now, &opt->now) < 0) {
			answer_error(out, 400, "now: expected an RFC 3339 time "
			    "or Unix seconds");
			return -1;
		}
	}
	return 0;
}

/*
 * The summary document of one domain (the same as tlsrpt-summary --format
 * json --domain D), or NULL with the answer set: 404 when no report ever
 * named the domain.
 */
static json_t *
domain_summary(struct ingest *in, const char *rest, const char *suffix,
	       const struct api_query *q, struct api_answer *out)
{
	char domain[BOUND_DNS_NAME + 1];
	const char *const doms[] = { domain };
	struct analyse_options opt;
	struct store *st;
	struct error err;
	json_t *counts = NULL, *doc = NULL;
	int rc;

	error_clear(&err);
	if (path_domain(rest, suffix, domain, &err) < 0) {
		if (err.kind == ERR_NOMEM) {
			answer_error(out, 503, err.msg);
			out->retry_after = 5;
			return NULL;
		}
		error_prefix(&err, "not found");
		answer_error(out, 404, err.msg);
		return NULL;
	}
	if (query_options(q, &opt, out) < 0)
		return NULL;
	error_clear(&err);
	st = read_begin(in);
	rc = store_read_domain_counts(st, domain, &counts, &err);
	if (rc == 0 && counts != NULL)
		doc = analyse_summary(st, doms, 1, &opt, &err);
	ingest_read_end(in, st);
	if (rc < 0 || (counts != NULL && doc == NULL)) {
		json_decref(counts);
		answer_store_error(out, &err);
		return NULL;
	}
	if (counts == NULL) {
		answer_error(out, 404, "no reports for this domain");
		return NULL;
	}
	json_decref(counts);
	return doc;
}

static void
route_summary(struct ingest *in, const char *url, const struct api_query *q,
	      struct api_answer *out)
{
	json_t *doc = domain_summary(in, url + strlen(DOMAINS_PREFIX),
	    SUMMARY_SUFFIX, q, out);
	char *s;

	if (doc == NULL)
		return;
	/* Byte for byte what the command line prints. */
	s = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	json_decref(doc);
	out->status = 200;
	out->content_type = "application/json";
	if (s == NULL || buf_puts(&out->body, s, NULL) < 0 ||
	    buf_puts(&out->body, "\n", NULL) < 0) {
		answer_error(out, 503, "out of memory");
		out->retry_after = 5;
	}
	free(s);
}

static void
route_report(struct ingest *in, const char *url, const struct api_query *q,
	     struct api_answer *out)
{
	json_t *doc = domain_summary(in, url + strlen(REPORT_PREFIX), "", q,
	    out);
	struct error err;

	if (doc == NULL)
		return;
	out->status = 200;
	out->content_type = "text/html; charset=utf-8";
	if (page_render(&out->body, doc, &err) < 0) {
		answer_error(out, 503, err.msg);
		out->retry_after = 5;
	}
	json_decref(doc);
}

/* Every domain at a glance, as the daemon last judged them (watch.h). */
static void
route_overview(struct api_answer *out)
{
	struct error err;

	error_clear(&err);
	if (watch_overview_page(&out->body, &err) < 0) {
		answer_error(out, 503, err.msg);
		out->retry_after = 5;
	} else {
		out->status = 200;
		out->content_type = "text/html; charset=utf-8";
	}
}

void
api_route(struct ingest *in, const char *token, const char *method,
	  const char *url, const char *authorization, const struct api_query *q,
	  struct api_answer *out)
{
	char reason[ERROR_MSG_MAX + 128];
	struct error err;

	memset(out, 0, sizeof(*out));
	buf_init(&out->body, API_BODY_MAX);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		out->allow = "GET, HEAD";
		answer_error(out, 405, "method not allowed: use GET");
		return;
	}
	if (strcmp(url, "/healthz") == 0 &&
	    spool_stalled(in->spool, reason, sizeof(reason))) {
		answer_text(out, 503, reason);
		buf_puts(&out->body, "\n", NULL);
		return;
	}
	if (strcmp(url, "/healthz") == 0) {
		/* No lock: a probe of the files, never waiting on ingest. */
		error_clear(&err);
		if (store_probe_writable(in->pl.store, &err) < 0) {
			answer_text(out, 503, err.msg);
			buf_puts(&out->body, "\n", NULL);
			out->retry_after = 5;
			return;
		}
		answer_text(out, 200, "ok\n");
		return;
	}
	if (!authorized(token, authorization)) {
		out->challenge = 1;
		answer_error(out, 401, "the api-token is needed: as "
		    "\"Authorization: Bearer TOKEN\", or as the password of "
		    "HTTP Basic");
		return;
	}
	if (strcmp(url, "/metrics") == 0) {
		out->status = 200;
		out->content_type = "text/plain; version=0.0.4; charset=utf-8";
		if (metrics_render(&out->body, &err) < 0 ||
		    watch_render_metrics(&out->body, &err) < 0 ||
		    notify_render_metrics(&out->body, &err) < 0)
			answer_error(out, 503, err.msg);
		return;
	}
	if (strcmp(url, "/") == 0) {
		route_overview(out);
		return;
	}
	if (strcmp(url, "/api/v1/domains") == 0 ||
	    strcmp(url, "/api/v1/domains/") == 0) {
		route_domains(in, q, out);
		return;
	}
	if (strncmp(url, DOMAINS_PREFIX, strlen(DOMAINS_PREFIX)) == 0) {
		route_summary(in, url, q, out);
		return;
	}
	if (strncmp(url, REPORT_PREFIX, strlen(REPORT_PREFIX)) == 0) {
		route_report(in, url, q, out);
		return;
	}
	answer_error(out, 404, "not found");
}
