/* http: see include/http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "decode.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "banned.h"

/* An entry of trusted-proxies: an address, or a network "addr/bits". */
struct proxy {
	int family;
	unsigned char addr[16];
	unsigned bits;
};

/* What a reload may change, read by request threads under the lock. */
struct live {
	char *ingest_path;
	char *token;
	struct proxy proxies[HTTP_PROXIES_MAX];
	size_t nproxies;
};

struct http_server {
	struct ingest *in;
	struct MHD_Daemon *pub;
	struct MHD_Daemon *api;
	int tls;
	pthread_mutex_t lock;	/* live, inflight, draining */
	struct live live;
	unsigned inflight;	/* requests of the public listener */
	int draining;
};

/* One request on the public listener. */
struct request {
	struct buf body;
	size_t seen;		/* body bytes received, kept or not */
	int answered;		/* a response is queued already */
	int gzip_encoded;	/* Content-Encoding: gzip */
	unsigned failed;	/* 413 or 503 to answer at the end; the rest
				   of the body is discarded */
};

/* What the pipeline said about the one report of a body. */
struct verdict {
	enum outcome outcome;
	enum error_kind error;
	int called;
	char reason[ERROR_MSG_MAX];
	char org[128];
	char report_id[128];
	char domain[256];
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
	int n = snprintf(dst, len, "%s", src ? src : "");

	if (n < 0)
		dst[0] = '\0';	/* cut is fine: these are for messages */
}

/* Parse "a.b.c.d", "v6", "a.b.c.d/n" or "v6/n". */
static int
proxy_parse(const char *s, size_t len, struct proxy *p)
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

static int
proxies_parse(const char *list, struct live *lv, struct error *err)
{
	const char *p = list ? list : "";
	size_t n;

	lv->nproxies = 0;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		if (lv->nproxies == HTTP_PROXIES_MAX)
			return error_set(err, ERR_INPUT, "trusted-proxies: "
			    "more than %d entries", HTTP_PROXIES_MAX);
		if (proxy_parse(p, n, &lv->proxies[lv->nproxies]) < 0)
			return error_set(err, ERR_INPUT, "trusted-proxies: "
			    "\"%.*s\" is not an address or address/bits",
			    (int)(n > 64 ? 64 : n), p);
		lv->nproxies++;
		p += n;
	}
}

/* Is the text address ip inside one of the proxies? */
static int
proxy_trusted(const struct live *lv, const char *ip)
{
	unsigned char a[16];
	size_t i;
	unsigned full, rest;
	int family;

	if (inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (i = 0; i < lv->nproxies; i++) {
		const struct proxy *p = &lv->proxies[i];

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

static void
live_release(struct live *lv)
{
	free(lv->ingest_path);
	free(lv->token);
	memset(lv, 0, sizeof(*lv));
}

static int
live_from_config(struct live *lv, const struct config *cfg,
		 struct error *err)
{
	memset(lv, 0, sizeof(*lv));
	if (cfg->ingest_path && cfg->ingest_path[0] &&
	    cfg->ingest_path[0] != '/')
		return error_set(err, ERR_INPUT, "ingest-path \"%s\": a path "
		    "starts with /", cfg->ingest_path);
	if (proxies_parse(cfg->trusted_proxies, lv, err) < 0)
		return -1;
	lv->ingest_path = strdup(cfg->ingest_path && cfg->ingest_path[0] ?
	    cfg->ingest_path : "/v1/tlsrpt");
	if (cfg->api_token && cfg->api_token[0])
		lv->token = strdup(cfg->api_token);
	if (lv->ingest_path == NULL ||
	    (cfg->api_token && cfg->api_token[0] && lv->token == NULL)) {
		live_release(lv);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* The client's address as text; an IPv4-mapped IPv6 one as IPv4. */
static void
peer_address(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	socklen_t salen;

	out[0] = '\0';
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, out, (socklen_t)len, NULL, 0,
	    NI_NUMERICHOST) != 0) {
		out[0] = '\0';
		return;
	}
	if (strncasecmp(out, "::ffff:", 7) == 0 && strchr(out, '.') != NULL)
		memmove(out, out + 7, strlen(out + 7) + 1);
}

/*
 * The sender's address: the peer, or, when the peer is a trusted proxy,
 * the right-most X-Forwarded-For entry that is not a trusted proxy.
 */
static void
client_address(struct http_server *srv, struct MHD_Connection *c,
	       char *out, size_t len)
{
	char entry[INET6_ADDRSTRLEN], canon[INET6_ADDRSTRLEN];
	const char *xff, *end, *start;
	size_t n;
	int trusted;

	peer_address(c, out, len);
	xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-Forwarded-For");
	if (xff == NULL || out[0] == '\0')
		return;
	pthread_mutex_lock(&srv->lock);
	trusted = proxy_trusted(&srv->live, out);
	pthread_mutex_unlock(&srv->lock);
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
		pthread_mutex_lock(&srv->lock);
		trusted = proxy_trusted(&srv->live, canon);
		pthread_mutex_unlock(&srv->lock);
	}
}

static int
wants_json(struct MHD_Connection *c)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ACCEPT);

	return a != NULL && strstr(a, "application/json") != NULL;
}

static enum MHD_Result
send_answer(struct http_server *srv, struct MHD_Connection *c,
	    unsigned status, const char *ctype, const char *body, size_t len,
	    const char *hname, const char *hvalue)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int closing;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (hname != NULL)
		MHD_add_response_header(r, hname, hvalue);
	pthread_mutex_lock(&srv->lock);
	closing = srv->draining;
	pthread_mutex_unlock(&srv->lock);
	if (closing)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * An answer of the public listener: "STATUS WORD: detail" as text, or
 * {"status", "outcome", "detail", ...} as JSON.
 */
static enum MHD_Result
answer(struct http_server *srv, struct MHD_Connection *c, unsigned status,
       const char *outcome, const char *detail, const struct verdict *v)
{
	char text[ERROR_MSG_MAX + 128], retry[16];
	const char *hname = NULL, *hvalue = NULL;
	enum MHD_Result ret;
	json_t *o;
	char *s;

	metrics_count_status(status);
	if (status == 405) {
		hname = MHD_HTTP_HEADER_ALLOW;
		hvalue = "POST";
	} else if (status == 503) {
		snprintf(retry, sizeof(retry), "%d", HTTP_RETRY_AFTER);
		hname = MHD_HTTP_HEADER_RETRY_AFTER;
		hvalue = retry;
	}
	if (wants_json(c)) {
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
		s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s != NULL) {
			ret = send_answer(srv, c, status, "application/json",
			    s, strlen(s), hname, hvalue);
			free(s);
			return ret;
		}
	}
	if (snprintf(text, sizeof(text), "%u %s: %s\n", status, outcome,
	    detail) < 0)
		text[0] = '\0';
	return send_answer(srv, c, status, "text/plain; charset=utf-8", text,
	    strlen(text), hname, hvalue);
}

static void
verdict_cb(const struct result *res, void *arg)
{
	struct verdict *v = arg;

	v->called = 1;
	v->outcome = res->outcome;
	v->error = res->error;
	copy_str(v->reason, sizeof(v->reason), res->reason);
	if (res->report != NULL) {
		copy_str(v->org, sizeof(v->org), res->report->org_name);
		copy_str(v->report_id, sizeof(v->report_id),
		    res->report->report_id);
		copy_str(v->domain, sizeof(v->domain),
		    report_domain(res->report));
	}
}

static enum MHD_Result
answer_verdict(struct http_server *srv, struct MHD_Connection *c,
	       const struct verdict *v, unsigned too_big_status)
{
	char detail[ERROR_MSG_MAX + 512];

	if (!v->called)
		return answer(srv, c, 503, "deferred", "out of memory; try "
		    "again later", NULL);
	switch (v->outcome) {
	case OUTCOME_ACCEPTED:
	case OUTCOME_DUPLICATE:
		if (snprintf(detail, sizeof(detail), "report %s from %s for "
		    "%s%s", v->report_id[0] ? v->report_id : "(no id)",
		    v->org[0] ? v->org : "(no organization)",
		    v->domain[0] ? v->domain : "(no policy domain)",
		    v->outcome == OUTCOME_DUPLICATE ?
		    " was received before" : " stored") < 0)
			detail[0] = '\0';
		return answer(srv, c, v->outcome == OUTCOME_ACCEPTED ? 201 :
		    200, outcome_name(v->outcome), detail, v);
	case OUTCOME_REJECTED:
	case OUTCOME_NOT_A_REPORT:
		return answer(srv, c, v->error == ERR_TOO_BIG ?
		    too_big_status : 400, "rejected", v->reason, v);
	case OUTCOME_DEFERRED:
		break;
	}
	return answer(srv, c, 503, "deferred", "the store cannot take the "
	    "report now; try again later", NULL);
}

/* Fill o for a request; peer and ua are the caller's buffers. */
static void
request_origin(struct http_server *srv, struct MHD_Connection *c,
	       struct origin *o, char *peer, size_t peerlen, char *ua,
	       size_t ualen)
{
	const char *v;

	client_address(srv, c, peer, peerlen);
	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_USER_AGENT);
	copy_str(ua, ualen, v);
	memset(o, 0, sizeof(*o));
	o->source = srv->tls ? "https" : "http";
	o->peer = peer[0] ? peer : NULL;
	o->user_agent = v != NULL ? ua : NULL;
}

/* Keep a record of a body refused for its size. */
static void
record_too_big(struct http_server *srv, struct MHD_Connection *c,
	       const char *reason)
{
	char peer[INET6_ADDRSTRLEN], ua[HTTP_HEADER_VALUE_MAX];
	struct verdict v;
	struct origin o;

	memset(&v, 0, sizeof(v));
	request_origin(srv, c, &o, peer, sizeof(peer), ua, sizeof(ua));
	/* Kept or not (the store busy), the answer is the same 413. */
	ingest_reject(srv->in, "", 0, &o, ERR_TOO_BIG, reason, verdict_cb, &v);
}

/* The whole body is in: through the pipeline, and answer. */
static enum MHD_Result
finish(struct http_server *srv, struct MHD_Connection *c,
       struct request *rq)
{
	char peer[INET6_ADDRSTRLEN], ua[HTTP_HEADER_VALUE_MAX];
	struct pipeline_config cfg;
	struct verdict v;
	struct origin o;
	struct error err;
	struct buf layer;
	const char *bytes = rq->body.data ? rq->body.data : "";
	size_t len = rq->body.len;
	enum MHD_Result ret;

	memset(&v, 0, sizeof(v));
	error_clear(&err);
	request_origin(srv, c, &o, peer, sizeof(peer), ua, sizeof(ua));
	metrics_count_bytes(metrics_source_of(o.source), rq->seen);
	ingest_get_config(srv->in, &cfg);
	buf_init(&layer, cfg.limits.inflated_max);
	/*
	 * Content-Encoding is a layer of transport: take it off once, so
	 * that a gzip report sent gzip-encoded is a gzip report again.
	 */
	if (rq->gzip_encoded && decode_sniff(bytes, len) == PAYLOAD_GZIP) {
		const char *inner;
		size_t innerlen;

		if (decode_payload(bytes, len, &cfg.limits, &layer, &inner,
		    &innerlen, &err) < 0) {
			error_prefix(&err, "Content-Encoding gzip");
			ingest_reject(srv->in, bytes, err.kind == ERR_TOO_BIG ?
			    0 : len, &o, err.kind, err.msg, verdict_cb, &v);
			ret = answer_verdict(srv, c, &v, 413);
			buf_release(&layer);
			return ret;
		}
		bytes = inner;
		len = innerlen;
	}
	ingest_submit(srv->in, bytes, len, INPUT_REPORT, &o, verdict_cb, &v);
	buf_release(&layer);
	return answer_verdict(srv, c, &v, 413);
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

/*
 * The first call of a request: headers only. Everything that can be
 * refused before the body is refused here, so a sender that asked
 * "Expect: 100-continue" never sends the body in vain.
 */
static enum MHD_Result
begin(struct http_server *srv, struct MHD_Connection *c, const char *url,
      const char *method, struct request *rq)
{
	const char *ct, *ce, *cl, *te;
	char reason[ERROR_MSG_MAX];
	unsigned long long n;
	struct pipeline_config cfg;
	char *end;
	int path_ok;

	pthread_mutex_lock(&srv->lock);
	path_ok = strcmp(url, srv->live.ingest_path) == 0;
	pthread_mutex_unlock(&srv->lock);
	rq->answered = 1;
	if (!path_ok)
		return answer(srv, c, 404, "not-found", "no such path; reports "
		    "are posted to the path given in the domain's TLSRPT "
		    "record", NULL);
	if (strcmp(method, "POST") != 0)
		return answer(srv, c, 405, "method-not-allowed", "reports are "
		    "sent with POST", NULL);
	ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!type_acceptable(ct))
		return answer(srv, c, 415, "unsupported-media-type", "a report "
		    "is application/tlsrpt+gzip or application/tlsrpt+json "
		    "(RFC 8460 section 5.4)", NULL);
	ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (ce != NULL && (strcasecmp(ce, "gzip") == 0 ||
	    strcasecmp(ce, "x-gzip") == 0))
		rq->gzip_encoded = 1;
	else if (ce != NULL && ce[0] != '\0' &&
	    strcasecmp(ce, "identity") != 0)
		return answer(srv, c, 415, "unsupported-media-type", "only "
		    "Content-Encoding gzip is understood", NULL);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl == NULL && (te == NULL || !has_word(te, "chunked")))
		return answer(srv, c, 411, "length-required", "a "
		    "Content-Length (or a chunked body) is needed", NULL);
	ingest_get_config(srv->in, &cfg);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl && n > cfg.payload_max) {
			snprintf(reason, sizeof(reason), "body of %llu bytes "
			    "over the limit of %zu bytes", n, cfg.payload_max);
			record_too_big(srv, c, reason);
			return answer(srv, c, 413, "rejected", reason, NULL);
		}
	}
	buf_init(&rq->body, cfg.payload_max);
	rq->answered = 0;
	return MHD_YES;
}

static enum MHD_Result
on_ingest(void *cls, struct MHD_Connection *c, const char *url,
	  const char *method, const char *version, const char *data,
	  size_t *data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	char reason[ERROR_MSG_MAX];
	struct error err;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		buf_init(&rq->body, 0);
		*con_cls = rq;
		pthread_mutex_lock(&srv->lock);
		srv->inflight++;
		pthread_mutex_unlock(&srv->lock);
		return begin(srv, c, url, method, rq);
	}
	if (*data_size > 0) {
		size_t n = *data_size;

		*data_size = 0;
		rq->seen += n;
		if (rq->answered)
			return MHD_YES;
		if (rq->failed) {
			/*
			 * libmicrohttpd answers only before or after a body:
			 * the rest is read and dropped, up to a point.
			 */
			return rq->seen > rq->body.cap * HTTP_DISCARD_FACTOR ?
			    MHD_NO : MHD_YES;
		}
		if (buf_append(&rq->body, data, n, &err) == 0)
			return MHD_YES;
		buf_release(&rq->body);
		rq->failed = err.kind == ERR_TOO_BIG ? 413 : 503;
		if (rq->failed == 413) {
			snprintf(reason, sizeof(reason), "body over the limit "
			    "of %zu bytes", rq->body.cap);
			record_too_big(srv, c, reason);
		}
		return MHD_YES;
	}
	if (rq->answered)
		return MHD_YES;
	rq->answered = 1;
	if (rq->failed == 413) {
		snprintf(reason, sizeof(reason), "body of %zu bytes over the "
		    "limit of %zu bytes", rq->seen, rq->body.cap);
		return answer(srv, c, 413, "rejected", reason, NULL);
	}
	if (rq->failed)
		return answer(srv, c, 503, "deferred", "out of memory; try "
		    "again later", NULL);
	return finish(srv, c, rq);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;

	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	srv->inflight--;
	pthread_mutex_unlock(&srv->lock);
}

static enum MHD_Result
on_api(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *data,
       size_t *data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct api_answer a;
	struct api_query q;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char retry[16];
	char *token = NULL;
	static int first;

	(void)version;
	(void)data;
	/* Answer once the request is whole; ignore any body. */
	if (*con_cls == NULL) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (*data_size > 0) {
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv->lock);
	if (srv->live.token != NULL)
		token = strdup(srv->live.token);
	pthread_mutex_unlock(&srv->lock);
	q.days = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
	q.now = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "now");
	api_route(srv->in, token, method, url, MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &q, &a);
	free(token);
	r = MHD_create_response_from_buffer(a.body.len,
	    a.body.data ? a.body.data : (void *)(uintptr_t)"",
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL) {
		buf_release(&a.body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    a.content_type);
	if (a.allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, a.allow);
	if (a.www_authenticate)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    a.www_authenticate);
	if (a.retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", a.retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	ret = MHD_queue_response(c, a.status, r);
	MHD_destroy_response(r);
	buf_release(&a.body);
	return ret;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

int
http_listen_socket(const char *spec, struct error *err)
{
	char host[256];
	const char *colon, *port, *h;
	struct addrinfo hints, *res = NULL, *ai;
	size_t hl;
	int fd = -1, one = 1, zero = 0, rc, saved = 0;

	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (colon == NULL)
			return error_set(err, ERR_INPUT, "%s: expected "
			    "[ADDRESS]:PORT", spec);
		h = spec + 1;
		hl = (size_t)(colon - h);
		port = colon + 2;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon)
			return error_set(err, ERR_INPUT, "%s: expected "
			    "ADDRESS:PORT or [IPV6]:PORT", spec);
		h = spec;
		hl = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hl >= sizeof(host) || port[0] == '\0')
		return error_set(err, ERR_INPUT, "%s: expected ADDRESS:PORT",
		    spec);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		/* Every address: IPv6 with IPv4 mapped in, else IPv4. */
		hints.ai_family = AF_INET6;
		rc = getaddrinfo(NULL, port, &hints, &res);
		if (rc != 0) {
			hints.ai_family = AF_INET;
			rc = getaddrinfo(NULL, port, &hints, &res);
		}
	} else {
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0)
		return error_set(err, ERR_INPUT, "%s: %s", spec,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
			    host[0] == '\0' || strcmp(host, "*") == 0 ?
			    &zero : &one, sizeof(int));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return error_set(err, ERR_IO, "%s: cannot listen: %s", spec,
		    strerror(saved));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static struct MHD_Daemon *
start_daemon(struct http_server *srv, int fd, int tls, unsigned limit,
	     unsigned per_ip, unsigned timeout, MHD_AccessHandlerCallback h)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;

	if (tls)
		return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, h,
		    srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_CONNECTION_LIMIT, limit,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		    MHD_OPTION_HTTPS_CERT_CALLBACK, tls_retrieve,
		    MHD_OPTION_END);
	return MHD_start_daemon(flags, 0, NULL, NULL, h, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED,
	    h == on_ingest ? on_completed : NULL, srv,
	    MHD_OPTION_END);
}

struct http_server *
http_start(const struct config *cfg, struct tls *tls, struct ingest *in,
	   struct error *err)
{
	struct http_server *srv;
	int fd;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	srv->in = in;
	srv->tls = tls != NULL;
	pthread_mutex_init(&srv->lock, NULL);
	if (live_from_config(&srv->live, cfg, err) < 0)
		goto fail;
	if (tls != NULL)
		tls_set_current(tls);
	if (cfg->listen && cfg->listen[0]) {
		if ((fd = http_listen_socket(cfg->listen, err)) < 0)
			goto fail;
		srv->pub = start_daemon(srv, fd, tls != NULL,
		    cfg->max_connections, cfg->max_connections_per_client,
		    cfg->connection_timeout, on_ingest);
		if (srv->pub == NULL) {
			close(fd);
			error_set(err, ERR_IO, "%s: libmicrohttpd cannot start "
			    "the listener", cfg->listen);
			goto fail;
		}
	}
	if (cfg->api_listen && cfg->api_listen[0]) {
		if ((fd = http_listen_socket(cfg->api_listen, err)) < 0)
			goto fail;
		srv->api = start_daemon(srv, fd, 0, HTTP_API_CONNECTIONS, 0,
		    cfg->connection_timeout, on_api);
		if (srv->api == NULL) {
			close(fd);
			error_set(err, ERR_IO, "%s: libmicrohttpd cannot start "
			    "the API listener", cfg->api_listen);
			goto fail;
		}
	}
	return srv;
fail:
	http_stop(srv);
	return NULL;
}

int
http_check_config(const struct config *cfg, struct error *err)
{
	struct live lv;

	if (live_from_config(&lv, cfg, err) < 0)
		return -1;
	live_release(&lv);
	return 0;
}

int
http_reconfigure(struct http_server *srv, const struct config *cfg,
		 struct error *err)
{
	struct live lv, old;

	if (live_from_config(&lv, cfg, err) < 0)
		return -1;
	pthread_mutex_lock(&srv->lock);
	old = srv->live;
	srv->live = lv;
	pthread_mutex_unlock(&srv->lock);
	live_release(&old);
	return 0;
}

void
http_drain(struct http_server *srv, unsigned max_wait)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	unsigned waited = 0, left;
	MHD_socket fd;

	if (srv == NULL || srv->pub == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->draining = 1;
	pthread_mutex_unlock(&srv->lock);
	/* The listening socket is ours once quiesced: closing it refuses
	 * new connections at once. */
	fd = MHD_quiesce_daemon(srv->pub);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (;;) {
		pthread_mutex_lock(&srv->lock);
		left = srv->inflight;
		pthread_mutex_unlock(&srv->lock);
		if (left == 0 || waited >= max_wait * 20)
			break;
		nanosleep(&pause, NULL);
		waited++;
	}
	if (left > 0)
		log_warn("%u requests still in flight after %us; closing them",
		    left, max_wait);
	MHD_stop_daemon(srv->pub);
	srv->pub = NULL;
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->pub != NULL)
		MHD_stop_daemon(srv->pub);
	if (srv->api != NULL)
		MHD_stop_daemon(srv->api);
	live_release(&srv->live);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
