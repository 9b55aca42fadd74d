/*
 * http_ingest: the public listener's answer to one request
 * (doc/http.md), apart from the sockets so that it can be tested and fuzzed
 * without them. http.c collects the method, the path, the headers, the
 * peer's address and the body from libmicrohttpd into a struct
 * http_request and sends the struct http_answer back; all in between is
 * here:
 *   404 another path  405 another method (Allow: POST)  415 a type or a
 *   Content-Encoding that cannot be a report  411 no length  413 a body
 *   over max-body (kept in the quarantine as a record)
 * then one pipeline call (through ingest.h):
 *   201 stored  200 duplicate  400 malformed (kept in the quarantine)
 *   413 inflated over a limit
 *   202 kept in the spool (spool.h), when the decode budget is spent or
 *       the store cannot commit: stored shortly by the spool's worker
 *   503 + Retry-After only when the spool cannot take it either (full,
 *       the disk refused), or when there is no spool
 * and never 500. The answer is plain text, "STATUS OUTCOME: detail", or
 * JSON when the request accepts application/json. X-Forwarded-For is
 * believed only from trusted proxies.
 *
 * A request is answered in two steps, so that the listener refuses what
 * it can before it reads a body (a sender that asked "Expect:
 * 100-continue" never sends one in vain): http_ingest_begin() on the
 * headers, http_ingest_finish() on the whole body. http_ingest_answer()
 * does both for a request held whole in memory. Every answer built here
 * is counted in the metrics.
 */
#ifndef TLSRPT_HTTP_INGEST_H
#define TLSRPT_HTTP_INGEST_H

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "ingest.h"
#include "spool.h"

#define HTTP_RETRY_AFTER	60	/* seconds, with 503 */
#define HTTP_HEADER_VALUE_MAX	256	/* a User-Agent kept in the store */
#define HTTP_PROXIES_MAX	64	/* entries of trusted-proxies */
#define HTTP_ANSWER_MAX		((size_t)16 * 1024)	/* an answer's body */

/* An entry of trusted-proxies: an address, or a network "addr/bits". */
struct http_proxy {
	int family;
	unsigned char addr[16];
	unsigned bits;
};

struct http_proxies {
	struct http_proxy list[HTTP_PROXIES_MAX];
	size_t n;
};

/*
 * One request as received. Header values are NUL-terminated, NULL when
 * the header is absent (the first one when it came twice).
 */
struct http_request {
	const char *method;
	const char *path;		/* the URL without its query string */
	const char *ingest_path;	/* the configured one (begin only) */
	const char *content_type;
	const char *content_encoding;
	const char *content_length;
	const char *transfer_encoding;
	const char *forwarded_for;	/* X-Forwarded-For */
	const char *accept;
	const char *user_agent;
	const char *peer;	/* the socket's peer address as text, or NULL */
	const struct http_proxies *proxies;	/* trusted, or NULL: none */
	int tls;		/* the source is "https", else "http" */
	const void *body;	/* the whole body (finish and answer only) */
	size_t body_len;
};

struct http_answer {
	unsigned status;
	const char *content_type;	/* static string */
	const char *allow;		/* 405: the Allow header, or NULL */
	int retry_after;		/* 503: seconds, or 0 */
	struct buf body;		/* http_answer_release() frees it */
};

/*
 * Parse trusted-proxies, a list of "a.b.c.d", "v6", "a.b.c.d/n" or "v6/n"
 * separated by commas or blanks, into out. ERR_INPUT naming the setting
 * and the entry when one does not parse or there are too many.
 */
int http_proxies_parse(const char *list, struct http_proxies *out,
		       struct error *err);

/*
 * The headers are in. 0 when the body is to be read next (out is left
 * alone), -1 when the request is answered already: out is filled (and
 * its body initialised here). A Content-Length over max-body is recorded
 * in the quarantine before its 413.
 */
int http_ingest_begin(struct ingest *in, const struct http_request *req,
		      struct http_answer *out);

/*
 * The whole body, req->body, is in (at most max-body bytes): through the
 * pipeline, its decoding charged to the ingest's budget, and out filled
 * with the answer. With a spool, a body that cannot be decoded or stored
 * now is kept there instead (202), and so is every body while others
 * wait there for the store.
 */
void http_ingest_finish(struct ingest *in, const struct http_request *req,
			struct http_answer *out);

/*
 * The spool's drain function (spool_drain_fn; arg is the struct ingest):
 * a body kept by http_ingest_finish() through the same steps, its decode
 * waiting for the budget rather than refused. -1 when it is deferred
 * again.
 */
int http_ingest_spooled(const struct spool_entry *e, void *arg,
			struct error *err);

/*
 * Record a body that passed max-body (cap bytes) while it streamed in:
 * an empty payload in the quarantine with the reason. The listener
 * answers 413 when the rest has been read (http_answer_set).
 */
void http_ingest_record_too_big(struct ingest *in,
				const struct http_request *req, size_t cap);

/* Fill out (its body initialised here) with status, outcome and detail,
 * as text or JSON as req accepts. */
void http_answer_set(struct http_answer *out, const struct http_request *req,
		     unsigned status, const char *outcome, const char *detail);

/*
 * The request at once, as the listener answers it when it arrives whole:
 * http_ingest_begin(), the max-body cap applied to req->body_len the way
 * streaming applies it, http_ingest_finish().
 */
void http_ingest_answer(struct ingest *in, const struct http_request *req,
			struct http_answer *out);

/* Free out's body. */
void http_answer_release(struct http_answer *out);

#endif
