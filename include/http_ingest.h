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
 * and never 500. The listener itself answers 408 for a request past
 * request-deadline and 429 + Retry-After for a client over its share of
 * the connections (http.h); http_answer_set() builds those too. The answer is plain text, "STATUS OUTCOME: detail", or
 * JSON when the request accepts application/json. X-Forwarded-For is
 * believed only from trusted proxies.
 *
 * A request is answered in steps, so that the listener refuses what it
 * can before it reads a body (a sender that asked "Expect: 100-continue"
 * never sends one in vain): http_ingest_begin() on the headers, then
 * http_body_add() for each piece of the body as it comes, and
 * http_body_end() at its end, which answers through
 * http_ingest_finish(). The fuzzer drives the same calls. Every answer
 * built here is counted in the metrics.
 */
#ifndef TLSRPT_HTTP_INGEST_H
#define TLSRPT_HTTP_INGEST_H

#include <stddef.h>

#include "bounds.h"
#include "buf.h"
#include "error.h"
#include "ingest.h"
#include "spool.h"

#define HTTP_RETRY_AFTER	60	/* seconds, with 503 */

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

/* Is ip (text) one of the proxies, or inside one of their networks? */
int http_proxies_trusted(const struct http_proxies *ps, const char *ip);

/*
 * The sender's address as text into out: the peer, or, when the peer is
 * a trusted proxy, the right-most X-Forwarded-For entry that is not one
 * (the peer's own when an entry is not an address). "" without a peer.
 */
void http_client_address(const struct http_request *req, char *out,
			 size_t len);

/*
 * The headers are in. 0 when the body is to be read next (out is left
 * alone), -1 when the request is answered already: out is filled (and
 * its body initialised here). A Content-Length over max-body is recorded
 * in the quarantine before its 413.
 */
int http_ingest_begin(struct ingest *in, const struct http_request *req,
		      struct http_answer *out);

/*
 * The whole body, req->body, is in (at most max-body bytes; http_body_end()
 * calls this): through the pipeline, its decoding charged to the ingest's budget, and out filled
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
 * A body as it streams in after http_ingest_begin() returned 0, kept up
 * to max-body. One that passes it is recorded in the quarantine at once
 * (an empty payload with the reason), the rest read and dropped, up to
 * HTTP_DISCARD_FACTOR times max-body (bounds.h), and answered 413 at its
 * end.
 */
struct http_body {
	struct buf buf;
	size_t seen;		/* bytes received, kept or not */
	unsigned failed;	/* 413 or 503 to answer at the end */
};

/* An empty body, capped at the ingest's max-body. */
void http_body_init(struct http_body *b, struct ingest *in);

/*
 * The next n bytes of the body of req. 0 to read on, -1 when so much
 * more than max-body came that the connection is to be closed
 * unanswered.
 */
int http_body_add(struct ingest *in, const struct http_request *req,
		  struct http_body *b, const void *data, size_t n);

/*
 * The body's end: out filled with the answer, 413 or 503 when the body
 * could not be kept, else through http_ingest_finish() (req->body is
 * set to the body). b is released.
 */
void http_body_end(struct ingest *in, struct http_request *req,
		   struct http_body *b, struct http_answer *out);

/* Free the body's bytes (http_body_end() does). */
void http_body_release(struct http_body *b);

/* Fill out (its body initialised here) with status, outcome and detail,
 * as text or JSON as req accepts. */
void http_answer_set(struct http_answer *out, const struct http_request *req,
		     unsigned status, const char *outcome, const char *detail);

/* Free out's body. */
void http_answer_release(struct http_answer *out);

#endif
