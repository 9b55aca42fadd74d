/* http_ingest: see include/http_ingest.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounds.h"
#include "decode.h"
#include "fmt.h"
#include "http_ingest.h"
#include "log.h"
#include "metrics.h"
#include "rfc3339.h"
#include "spool.h"
#include "banned.h"

/* What the pipeline said about the one report of a body. */
struct verdict {
	enum outcome outcome;
	enum error_kind error;
	int called;
	int conflict;		/* accepted, conflicting with an earlier copy */
	char first_received[RFC3339_LEN];	/* ... that came then */
	char reason[ERROR_MSG_MAX];
	char org[128];
	char report_id[128];
	char domain[256];
};

/* Where a request came from; the strings are in the struct. */
struct origin_buf {
	struct origin o;
	char peer[INET6_ADDRSTRLEN];
	char ua[HTTP_HEADER_VALUE_MAX];
};

/* Media types a report may come as; the part before any ';'. */
static const char *const report_types[] = {
	"application/tlsrpt+gzip", "application/tlsrpt+json",
	"application/gzip", "application/x-gzip", "application/json",
	"application/octet-stream",
};

static void
copy_str(char *dst, size_t len, const char *src)
{
	fmt_cut(dst, len, "%s", src ? src : "");	/* for messages */
}

/* Parse "a.b.c.d", "v6", "a.b.c.d/n" or "v6/n". */
static int
proxy_parse(const char *s, size_t len, struct http_proxy *p)
{
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	memset(p, 0, sizeof(*p));
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, text, p->addr) == 1) {
		p->family = AF_INET;
		p->bits = 32;
	} else if (inet_pton(AF_INET6, text, p->addr) == 1) {
		p->family = AF_INET6;
		p->bits = 128;
	} else {
		return -1;
	}
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' ||
		    bits > p->bits)
			return -1;
		p->bits = (unsigned)bits;
	}
	return 0;
}

int
http_proxies_parse(const char *list, struct http_proxies *out,
		   struct error *err)
{
	const char *p = list ? list : "";
	size_t n;

	out->n = 0;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if (out->n == HTTP_PROXIES_MAX)
			return error_set(err, ERR_INPUT, "trusted-proxies: "
			    "more than %d entries", HTTP_PROXIES_MAX);
		if (proxy_parse(p, n, &out->list[out->n]) < 0)
			return error_set(err, ERR_INPUT, "trusted-proxies: "
			    "\"%.*s\" is not an address or address/bits",
			    (int)(n > 64 ? 64 : n), p);
		out->n++;
		p += n;
	}
}

int
http_proxies_trusted(const struct http_proxies *ps, const char *ip)
{
	unsigned char a[16];
	size_t i;
	unsigned full, rest;
	int family;

	if (ps == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (i = 0; i < ps->n; i++) {
		const struct http_proxy *p = &ps->list[i];

		if (p->family != family)
			continue;
		full = p->bits / 8;
		rest = p->bits % 8;
		if (memcmp(a, p->addr, full) != 0)
			continue;
		if (rest && ((a[full] ^ p->addr[full]) &
		    (unsigned char)(0xff << (8 - rest))))
			continue;
		return 1;
	}
	return 0;
}

void
http_client_address(const struct http_request *req, char *out, size_t len)
{
	char entry[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	const char *xff = req->forwarded_for, *end, *start;
	size_t n;
	int trusted;

	copy_str(out, len, req->peer);
	if (xff == NULL || out[0] == '\0')
		return;
	trusted = http_proxies_trusted(req->proxies, out);
	end = xff + strlen(xff);
	while (trusted && end > xff) {
		start = end;
		while (start > xff && start[-1] != ',')
			start--;
		n = (size_t)(end - start);
		end = start > xff ? start - 1 : xff;
		while (n > 0 && (*start == ' ' || *start == '\t')) {
			start++;
			n--;
		}
		while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(entry))
			return;
		memcpy(entry, start, n);
		entry[n] = '\0';
		if (ip_canonical(entry, canon, sizeof(canon)) < 0)
			return;	/* garbage: keep the proxy's address */
		copy_str(out, len, canon);
		trusted = http_proxies_trusted(req->proxies, canon);
	}
}

static void
request_origin(const struct http_request *req, struct origin_buf *ob)
{
	http_client_address(req, ob->peer, sizeof(ob->peer));
	copy_str(ob->ua, sizeof(ob->ua), req->user_agent);
	memset(&ob->o, 0, sizeof(ob->o));
	ob->o.source = req->tls ? "https" : "http";
	ob->o.peer = ob->peer[0] ? ob->peer : NULL;
	ob->o.user_agent = req->user_agent != NULL ? ob->ua : NULL;
}

static int
wants_json(const struct http_request *req)
{
	return req->accept != NULL &&
	    strstr(req->accept, "application/json") != NULL;
}

/*
 * An answer: "STATUS OUTCOME: detail" as text, or {"status", "outcome",
 * "detail", ...} as JSON, with the report's identity when v has one.
 */
static void
answer(struct http_answer *out, const struct http_request *req,
       unsigned status, const char *outcome, const char *detail,
       const struct verdict *v)
{
	/* Room for the longest detail: a conflict's, the identity twice. */
	char text[ERROR_MSG_MAX + 1024];
	json_t *o;
	char *s;

	metrics_count_status(status);
	memset(out, 0, sizeof(*out));
	buf_init(&out->body, HTTP_ANSWER_MAX);
	out->status = status;
	if (status == 405)
		out->allow = "POST";
	else if (status == 503 || status == 429)
		out->retry_after = HTTP_RETRY_AFTER;
	if (wants_json(req)) {
		o = json_pack("{s:i, s:s, s:s}", "status", (int)status,
		    "outcome", outcome, "detail", detail);
		if (o != NULL && v != NULL && v->report_id[0]) {
			json_object_set_new(o, "organization_name",
			    json_string(v->org));
			json_object_set_new(o, "report_id",
			    json_string(v->report_id));
			json_object_set_new(o, "policy_domain",
			    json_string(v->domain));
		}
		if (o != NULL && v != NULL && v->conflict)
			json_object_set_new(o, "conflict", json_pack("{s:s}",
			    "first_copy_received", v->first_received));
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s != NULL && buf_puts(&out->body, s, NULL) == 0) {
			free(s);
			out->content_type = "application/json";
			return;
		}
		free(s);
		buf_release(&out->body);
	}
	fmt_cut(text, sizeof(text), "%u %s: %s\n", status, outcome, detail);
	out->content_type = "text/plain; charset=utf-8";
	buf_puts(&out->body, text, NULL);	/* empty when out of memory */
}

void
http_answer_set(struct http_answer *out, const struct http_request *req,
		unsigned status, const char *outcome, const char *detail)
{
	answer(out, req, status, outcome, detail, NULL);
}

void
http_answer_release(struct http_answer *out)
{
	buf_release(&out->body);
}

static void
verdict_cb(const struct result *res, void *arg)
{
	struct verdict *v = arg;

	v->called = 1;
	v->outcome = res->outcome;
	v->error = res->error;
	copy_str(v->reason, sizeof(v->reason), res->reason);
	v->conflict = result_conflict(res);
	if (v->conflict)
		rfc3339_format(res->stored->first_received,
		    v->first_received);
	if (res->report != NULL) {
		copy_str(v->org, sizeof(v->org), res->report->org_name);
		copy_str(v->report_id, sizeof(v->report_id),
		    res->report->report_id);
		copy_str(v->domain, sizeof(v->domain),
		    report_domain(res->report));
	}
}

static void
answer_verdict(struct http_answer *out, const struct http_request *req,
	       const struct verdict *v)
{
	char detail[ERROR_MSG_MAX + 512], conflict[ERROR_MSG_MAX];
	const char *id, *org;

	if (!v->called) {
		answer(out, req, 503, "deferred", "out of memory; try again "
		    "later", NULL);
		return;
	}
	switch (v->outcome) {
	case OUTCOME_ACCEPTED:
	case OUTCOME_DUPLICATE:
		id = v->report_id[0] ? v->report_id : "(no id)";
		org = v->org[0] ? v->org : "(no organization)";
		if (snprintf(detail, sizeof(detail), "report %s from %s for "
		    "%s%s", id, org,
		    v->domain[0] ? v->domain : "(no policy domain)",
		    v->outcome == OUTCOME_DUPLICATE ?
		    " was received before" : " stored") < 0)
			detail[0] = '\0';
		/* Named so that a sender, or whoever reads the log of its
		 * answers, learns that another copy was there first. */
		if (v->conflict && snprintf(conflict, sizeof(conflict),
		    "; conflicts with an earlier copy of report %s from %s "
		    "(received %s)", id, org, v->first_received) > 0 &&
		    strlen(detail) + strlen(conflict) < sizeof(detail))
			memcpy(detail + strlen(detail), conflict,
			    strlen(conflict) + 1);
		answer(out, req, v->outcome == OUTCOME_ACCEPTED ? 201 : 200,
		    outcome_name(v->outcome), detail, v);
		return;
	case OUTCOME_REJECTED:
	case OUTCOME_NOT_A_REPORT:
		answer(out, req, v->error == ERR_TOO_BIG ? 413 : 400,
		    "rejected", v->reason, v);
		return;
	case OUTCOME_DEFERRED:
		break;
	}
	answer(out, req, 503, "deferred", v->error == ERR_NOMEM ? "the "
	    "daemon is busy; try again later" : "the store cannot take the "
	    "report now; try again later", NULL);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/*
 * Keep the body in the spool (spool.h), why being the reason it cannot
 * be stored now: 202, or 503 with Retry-After when the spool cannot take
 * it either, with a log line of the form ingest.c writes for a report.
 */
static void
spool_body(struct ingest *in, const struct http_request *req,
	   const struct origin_buf *ob, const struct timespec *arrived,
	   const char *why, struct http_answer *out)
{
	struct spool_meta m;
	struct error err;
	struct log_field f[] = {
		{ "source", ob->o.source },
		{ "peer", or_dash(ob->o.peer) },
		{ "outcome", "spooled" },
		{ "reason", why },
		{ "spool", NULL },
	};

	memset(&m, 0, sizeof(m));
	m.source = ob->o.source;
	m.peer = ob->o.peer;
	m.user_agent = ob->o.user_agent;
	m.content_type = req->content_type;
	m.content_encoding = req->content_encoding;
	m.arrived = *arrived;
	error_clear(&err);
	if (spool_put(in->spool, &m, req->body ? req->body : "",
	    req->body_len, &err) < 0) {
		f[2].value = "deferred";
		f[4].value = err.msg;
		log_event(LOG_LVL_WARN, "report", f, sizeof(f) / sizeof(f[0]));
		answer(out, req, 503, "deferred", "the daemon is busy and "
		    "cannot keep the report for later; try again later", NULL);
		return;
	}
	log_event(LOG_LVL_INFO, "report", f, sizeof(f) / sizeof(f[0]));
	answer(out, req, 202, "spooled", "the daemon is busy; the report is "
	    "kept on disk and will be stored shortly", NULL);
}

/* A deferred verdict made here, without the pipeline. */
static void
verdict_deferred(struct verdict *v, const struct error *err)
{
	v->called = 1;
	v->outcome = OUTCOME_DEFERRED;
	v->error = err->kind;
	copy_str(v->reason, sizeof(v->reason), err->msg);
}

/*
 * Keep a record of a body refused for its size: n bytes (0: not known
 * yet, it is still coming) over the limit cap.
 */
static void
record_too_big(struct ingest *in, const struct http_request *req, size_t n,
	       size_t cap)
{
	struct origin_buf ob;
	struct verdict v;
	struct error err;

	memset(&v, 0, sizeof(v));
	request_origin(req, &ob);
	error_too_big(&err, "body", 0, n, cap);
	/* Kept or not (the store busy), the answer is the same 413. */
	ingest_reject(in, "", 0, &ob.o, ERR_TOO_BIG, err.msg, verdict_cb,
	    &v);
}

/* The one answer to a body of n bytes over the limit cap. */
static void
answer_too_big(struct http_answer *out, const struct http_request *req,
	       size_t n, size_t cap)
{
	struct error err;

	error_too_big(&err, "body", 0, n, cap);
	answer(out, req, 413, "rejected", err.msg, NULL);
}

/*
 * A body through its Content-Encoding and the pipeline, into v, every
 * byte decoding takes charged to hold first (budget.h): the body, each
 * layer inflated, the parse.
 */
static void
body_submit(struct ingest *in, const struct origin *o, const char *encoding,
	    const char *bytes, size_t len, int64_t received,
	    struct budget_hold *hold, struct verdict *v)
{
	struct pipeline_config cfg;
	struct error err;
	struct buf layer;

	error_clear(&err);
	if (budget_hold_charge(hold, len, &err) < 0) {
		verdict_deferred(v, &err);
		return;
	}
	ingest_get_config(in, &cfg);
	cfg.limits.hold = hold;
	buf_init(&layer, cfg.limits.inflated_max);
	/*
	 * Content-Encoding is a layer of transport: take it off once, so
	 * that a gzip report sent gzip-encoded is a gzip report again.
	 */
	if (encoding != NULL && (strcasecmp(encoding, "gzip") == 0 ||
	    strcasecmp(encoding, "x-gzip") == 0) &&
	    decode_sniff(bytes, len) == PAYLOAD_GZIP) {
		const char *inner;
		size_t innerlen;

		if (decode_payload(bytes, len, &cfg.limits, &layer, &inner,
		    &innerlen, &err) < 0) {
			buf_release(&layer);
			if (err.kind == ERR_NOMEM || err.kind == ERR_INTERNAL) {
				verdict_deferred(v, &err);
				return;
			}
			error_prefix(&err, "Content-Encoding gzip");
			ingest_reject(in, bytes, err.kind == ERR_TOO_BIG ?
			    0 : len, o, err.kind, err.msg, verdict_cb, v);
			return;
		}
		bytes = inner;
		len = innerlen;
	}
	ingest_submit_held(in, bytes, len, INPUT_REPORT, o, received, hold,
	    verdict_cb, v);
	buf_release(&layer);
}

void
http_ingest_finish(struct ingest *in, const struct http_request *req,
		   struct http_answer *out)
{
	struct budget_hold hold;
	struct origin_buf ob;
	struct timespec arrived;
	struct verdict v;

	clock_gettime(CLOCK_REALTIME, &arrived);
	memset(&v, 0, sizeof(v));
	request_origin(req, &ob);
	metrics_count_bytes(metrics_source_of(ob.o.source), req->body_len);
	/* Behind bodies that wait for the store, in the order they came. */
	if (in->spool != NULL && spool_holding_back(in->spool)) {
		spool_body(in, req, &ob, &arrived, "bodies before it wait for "
		    "the store", out);
		return;
	}
	budget_hold_init(&hold, in->budget, 0);
	body_submit(in, &ob.o, req->content_encoding, req->body ? req->body :
	    "", req->body_len, (int64_t)arrived.tv_sec, &hold, &v);
	budget_hold_end(&hold);
	if (in->spool != NULL && (!v.called ||
	    v.outcome == OUTCOME_DEFERRED)) {
		if (v.called && v.error != ERR_NOMEM)
			spool_hold_back(in->spool, v.reason);
		spool_body(in, req, &ob, &arrived, v.called ? v.reason :
		    "out of memory", out);
		return;
	}
	answer_verdict(out, req, &v);
}

int
http_ingest_spooled(const struct spool_entry *e, void *arg,
		    struct error *err)
{
	struct ingest *in = arg;
	struct budget_hold hold;
	struct origin o;
	struct verdict v;

	memset(&o, 0, sizeof(o));
	memset(&v, 0, sizeof(v));
	o.source = e->meta.source != NULL &&
	    strcmp(e->meta.source, "http") == 0 ? "http" : "https";
	o.peer = e->meta.peer;
	o.user_agent = e->meta.user_agent;
	budget_hold_init(&hold, in->budget, 1);
	/* Received when it arrived, not now: the date range's bound. */
	body_submit(in, &o, e->meta.content_encoding, e->body, e->len,
	    e->meta.arrived.tv_sec > 0 ? (int64_t)e->meta.arrived.tv_sec :
	    (int64_t)time(NULL), &hold, &v);
	budget_hold_end(&hold);
	if (!v.called)
		return error_set(err, ERR_NOMEM, "out of memory");
	if (v.outcome == OUTCOME_DEFERRED)
		return error_set(err, v.error, "%s", v.reason);
	return 0;
}

/* Does the header value hold word, in any case? */
static int
has_word(const char *v, const char *word)
{
	size_t n = strlen(word);

	for (; *v; v++)
		if (strncasecmp(v, word, n) == 0)
			return 1;
	return 0;
}

static int
type_acceptable(const char *ct)
{
	size_t n, i;

	if (ct == NULL)
		return 1;
	ct += strspn(ct, " \t");
	n = strcspn(ct, "; \t");
	if (n == 0)
		return 1;
	for (i = 0; i < sizeof(report_types) / sizeof(report_types[0]); i++)
		if (strlen(report_types[i]) == n &&
		    strncasecmp(ct, report_types[i], n) == 0)
			return 1;
	return 0;
}

int
http_ingest_begin(struct ingest *in, const struct http_request *req,
		  struct http_answer *out)
{
	const char *ce = req->content_encoding, *cl = req->content_length;
	const char *te = req->transfer_encoding;
	struct pipeline_config cfg;
	unsigned long long n;
	char *end;

	if (req->path == NULL || req->ingest_path == NULL ||
	    strcmp(req->path, req->ingest_path) != 0) {
		answer(out, req, 404, "not-found", "no such path; reports are "
		    "posted to the path given in the domain's TLSRPT record",
		    NULL);
		return -1;
	}
	if (req->method == NULL || strcmp(req->method, "POST") != 0) {
		answer(out, req, 405, "method-not-allowed", "reports are sent "
		    "with POST", NULL);
		return -1;
	}
	if (!type_acceptable(req->content_type)) {
		answer(out, req, 415, "unsupported-media-type", "a report is "
		    "application/tlsrpt+gzip or application/tlsrpt+json "
		    "(RFC 8460 section 5.4)", NULL);
		return -1;
	}
	if (ce != NULL && ce[0] != '\0' && strcasecmp(ce, "gzip") != 0 &&
	    strcasecmp(ce, "x-gzip") != 0 && strcasecmp(ce, "identity") != 0) {
		answer(out, req, 415, "unsupported-media-type", "only "
		    "Content-Encoding gzip is understood", NULL);
		return -1;
	}
	if (cl == NULL && (te == NULL || !has_word(te, "chunked"))) {
		answer(out, req, 411, "length-required", "a Content-Length "
		    "(or a chunked body) is needed", NULL);
		return -1;
	}
	ingest_get_config(in, &cfg);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && n > cfg.payload_max) {
			if (n > SIZE_MAX)
				n = SIZE_MAX;
			record_too_big(in, req, (size_t)n, cfg.payload_max);
			answer_too_big(out, req, (size_t)n, cfg.payload_max);
			return -1;
		}
	}
	return 0;
}

void
http_body_init(struct http_body *b, struct ingest *in)
{
	struct pipeline_config cfg;

	ingest_get_config(in, &cfg);
	buf_init(&b->buf, cfg.payload_max);
	b->seen = 0;
	b->failed = 0;
}

int
http_body_add(struct ingest *in, const struct http_request *req,
	      struct http_body *b, const void *data, size_t n)
{
	struct error err;

	b->seen += n;
	if (b->failed) {
		/* libmicrohttpd answers only before or after a body: the
		 * rest is read and dropped, up to a point. */
		return b->seen > b->buf.cap * HTTP_DISCARD_FACTOR ? -1 : 0;
	}
	if (buf_append(&b->buf, data, n, &err) == 0)
		return 0;
	buf_release(&b->buf);
	b->failed = err.kind == ERR_TOO_BIG ? 413 : 503;
	if (b->failed == 413)
		record_too_big(in, req, 0, b->buf.cap);
	return 0;
}

void
http_body_end(struct ingest *in, struct http_request *req,
	      struct http_body *b, struct http_answer *out)
{
	if (b->failed == 413) {
		answer_too_big(out, req, b->seen, b->buf.cap);
	} else if (b->failed) {
		answer(out, req, 503, "deferred", "out of memory; try again "
		    "later", NULL);
	} else {
		req->body = b->buf.data;
		req->body_len = b->buf.len;
		http_ingest_finish(in, req, out);
	}
	http_body_release(b);
}

void
http_body_release(struct http_body *b)
{
	buf_release(&b->buf);
}
