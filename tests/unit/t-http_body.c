/*
 * t-http_body: a request's body through the steps the listener takes as
 * libmicrohttpd hands it over (http_ingest_begin(), http_body_add() for
 * each piece, http_body_end()), into an in-memory store: the answers, and
 * the one wording of a body over max-body.
 */
#include <jansson.h>
#include <string.h>

#include "fmt.h"
#include "http_ingest.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "tap.h"

#define PAYLOAD_MAX	2048
#define PIECE		100

static struct ingest in;

static const char report[] =
    "{\"organization-name\": \"Example\", \"date-range\": "
    "{\"start-datetime\": \"2026-03-01T00:00:00Z\", \"end-datetime\": "
    "\"2026-03-01T23:59:59Z\"}, \"report-id\": \"t-http-body\", "
    "\"policies\": [{\"policy\": {\"policy-type\": \"sts\", "
    "\"policy-domain\": \"body.example\"}, \"summary\": "
    "{\"total-successful-session-count\": 3, "
    "\"total-failure-session-count\": 0}}]}";

static void
request(struct http_request *req, const char *length, const char *accept)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->path = "/v1/tlsrpt";
	req->ingest_path = "/v1/tlsrpt";
	req->content_type = "application/tlsrpt+json";
	req->content_length = length;
	req->transfer_encoding = length ? NULL : "chunked";
	req->accept = accept;
	req->peer = "192.0.2.7";
	req->tls = 1;
}

/* The body in pieces of PIECE bytes: the answer's status, or 0 when the
 * connection was to be closed unanswered. */
static unsigned
post(struct http_request *req, const char *body, size_t len,
     struct http_answer *a)
{
	struct http_body b;
	size_t off, n;

	if (http_ingest_begin(&in, req, a) < 0)
		return a->status;
	http_body_init(&b, &in);
	for (off = 0; off < len; off += n) {
		n = len - off < PIECE ? len - off : PIECE;
		if (http_body_add(&in, req, &b, body + off, n) < 0) {
			http_body_release(&b);
			memset(a, 0, sizeof(*a));
			return 0;
		}
	}
	http_body_end(&in, req, &b, a);
	return a->status;
}

static const char *
text(const struct http_answer *a)
{
	return a->body.data ? a->body.data : "";
}

int
main(void)
{
	static char big[PAYLOAD_MAX * 8];
	struct pipeline_config cfg;
	struct http_request req;
	struct http_answer a;
	struct error err;
	struct store *st;
	json_t *j;

	report_init();
	log_set_quiet(1);
	st = store_open(":memory:", &err);
	ok(st != NULL, "an in-memory store");
	if (st == NULL)
		return tap_done();
	pipeline_config_default(&cfg);
	cfg.payload_max = PAYLOAD_MAX;
	ingest_init(&in, st, &cfg);

	request(&req, NULL, NULL);
	is_int(post(&req, report, strlen(report), &a), 201,
	    "a report in pieces: 201");
	ok(strstr(text(&a), "201 accepted") == text(&a),
	    "... the answer says so: %s", text(&a));
	http_answer_release(&a);
	is_int(post(&req, report, strlen(report), &a), 200,
	    "the same report again: 200");
	ok(strstr(text(&a), "duplicate") != NULL, "... a duplicate");
	http_answer_release(&a);

	is_int(post(&req, "{\"policies\": 3}", 15, &a), 400,
	    "not a report: 400");
	http_answer_release(&a);

	/* Over max-body, said by Content-Length: refused before the body. */
	request(&req, "5000", NULL);
	is_int(post(&req, "", 0, &a), 413, "a Content-Length over max-body: "
	    "413 before the body");
	is_str(text(&a), "413 rejected: body of 5000 bytes over the limit of "
	    "2048 bytes\n", "... in the one wording of a body over its limit");
	http_answer_release(&a);

	/* Over max-body as it streams: read on, dropped, 413 at the end. */
	memset(big, ' ', sizeof(big));
	request(&req, NULL, NULL);
	is_int(post(&req, big, PAYLOAD_MAX * 3, &a), 413,
	    "a chunked body over max-body: 413 at its end");
	is_str(text(&a), "413 rejected: body of 6144 bytes over the limit of "
	    "2048 bytes\n", "... counting every byte sent");
	http_answer_release(&a);
	request(&req, NULL, "application/json");
	post(&req, big, PAYLOAD_MAX + 1, &a);
	j = json_loadb(text(&a), a.body.len, 0, NULL);
	ok(j != NULL && json_integer_value(json_object_get(j, "status")) ==
	    413 && strcmp(json_string_value(json_object_get(j, "detail")),
	    "body of 2049 bytes over the limit of 2048 bytes") == 0,
	    "... as JSON when asked: %s", text(&a));
	json_decref(j);
	http_answer_release(&a);

	/* Far over: the connection is closed unanswered. */
	request(&req, NULL, NULL);
	is_int(post(&req, big, sizeof(big), &a), 0,
	    "a body past %d times max-body: closed", HTTP_DISCARD_FACTOR);

	/* A body never begun is released all the same. */
	{
		struct http_body b;

		http_body_init(&b, &in);
		http_body_release(&b);
		ok(b.buf.data == NULL, "a body released unused holds nothing");
	}

	ingest_release(&in);
	store_close(st);
	return tap_done();
}
