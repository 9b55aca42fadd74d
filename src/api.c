/* api: see include/api.h. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyse.h"
#include "api.h"
#include "bounds.h"
#include "dnsname.h"
#include "metrics.h"
#include "notify.h"
#include "overview.h"
#include "page.h"
#include "rfc3339.h"
#include "spool.h"
#include "store_read.h"
#include "watch.h"
#include "banned.h"

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
token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int
authorized(const char *token, const char *authz)
{
	if (token == NULL || token[0] == '\0')
		return 1;
	if (authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
		return 0;
	authz += 7;
	while (*authz == ' ')
		authz++;
	return token_equal(authz, token);
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

static void
route_domains(struct ingest *in, struct api_answer *out)
{
	struct error err;
	json_t *arr;
	int rc;

	error_clear(&err);
	rc = store_read_domains(ingest_lock(in), &arr, &err);
	ingest_unlock(in);
	if (rc < 0) {
		answer_store_error(out, &err);
		return;
	}
	answer_json(out, json_pack("{s:o}", "domains", arr));
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
	st = ingest_lock(in);
	rc = store_read_domain_counts(st, domain, &counts, &err);
	if (rc == 0 && counts != NULL)
		doc = analyse_summary(st, doms, 1, &opt, &err);
	ingest_unlock(in);
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
	struct overview_row *rows;
	struct error err;
	size_t n;

	error_clear(&err);
	if (watch_overview_rows(&rows, &n, &err) < 0 ||
	    overview_page(&out->body, rows, n, &err) < 0) {
		answer_error(out, 503, err.msg);
		out->retry_after = 5;
	} else {
		out->status = 200;
		out->content_type = "text/html; charset=utf-8";
	}
	overview_rows_free(rows, n);
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
		out->www_authenticate = "Bearer realm=\"tlsrptd\"";
		answer_error(out, 401, "a bearer token is needed");
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
		route_domains(in, out);
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
