/*
 * api: the routes of the daemon's read API (doc/http.md), apart from
 * the HTTP plumbing so that they can be tested without a socket.
 *
 *   GET /                                 every domain at a glance
 *                                         (overview.h, watch.h)
 *   GET /healthz                          "ok" (never needs the token);
 *                                         503 and why when the store
 *                                         cannot take writes, or the
 *                                         spool does not drain (spool.h)
 *   GET /metrics                          Prometheus text (metrics.h,
 *                                         and the domains' series of
 *                                         watch.h and notify.h)
 *   GET /api/v1/domains                   {"domains": [...], "next":
 *                                         the next page's link, or null}
 *                                         (?limit=N&after=DOMAIN)
 *   GET /api/v1/domains/{domain}/summary  tlsrpt-summary --format json
 *                                         for that domain (?days=N&now=T)
 *   GET /report/{domain}                  the action plan page (page.h)
 *
 * With a token configured, every route but /healthz needs the header
 * "Authorization: Bearer TOKEN", or HTTP Basic with the token as the
 * password and any user name, so that a browser can open the pages
 * (401 otherwise, with the challenges of both). Other methods are 405,
 * other paths 404.
 *
 * The store is read through ingest_read_begin(): in the daemon a reader
 * of its own, so that a read never waits for a report being stored.
 * A test hook: TLSRPTD_TEST_READ_DELAY_MS in the environment (read once,
 * at the first read; at most 60000) holds each read's store that long
 * before reading, to show what a slow read holds up.
 */
#ifndef TLSRPT_API_H
#define TLSRPT_API_H

#include "bounds.h"
#include "buf.h"
#include "ingest.h"

struct api_answer {
	unsigned status;
	const char *content_type;	/* static string */
	const char *allow;		/* 405: the Allow header, or NULL */
	int challenge;			/* 401: ask for the token (the
					 * WWW-Authenticate headers of
					 * Basic and of Bearer) */
	int retry_after;		/* 503: seconds, or 0 */
	struct buf body;		/* the caller releases it */
};

/* The query arguments the routes take; NULL when absent. */
struct api_query {
	const char *days;	/* the window in days, default 14 */
	const char *now;	/* the window's end: RFC 3339 or Unix seconds */
	const char *limit;	/* domains in a page (bounds.h) */
	const char *after;	/* the page starts after this domain */
};

/* Store connections of the daemon's read API (store_reader.h). */
#define API_READERS	2

/*
 * Answer one request. method and url as received (url without the query
 * string, already %-decoded); authorization the header or NULL; token the
 * configured one or NULL; q the query arguments (or NULL). out->body is
 * initialised here.
 */
void api_route(struct ingest *in, const char *token, const char *method,
	       const char *url, const char *authorization,
	       const struct api_query *q, struct api_answer *out);

#endif
