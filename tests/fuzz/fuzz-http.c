/*
 * fuzz-http: one request to the public listener through the calls http.c
 * makes as libmicrohttpd reads it (http_ingest_begin() on the headers,
 * http_body_add() for each piece of the body, http_body_end()), into an
 * in-memory SQLite store. The input is a request in a small framing of
 * its own:
 *
 *   METHOD PATH
 *   Name: value          (any number of header lines)
 *   Peer: 127.0.0.1      (not a header: the socket's peer address)
 *
 *   the body, every byte after the blank line
 *
 * Lines end in LF or CRLF; a header given twice counts the first time,
 * as libmicrohttpd looks it up. The body is handed over in pieces of
 * FUZZ_PIECE bytes. The answer must be one doc/http.md allows: never 500, 404 for another path, 405 with Allow: POST for
 * another method, 503 with Retry-After, and a body that names its status
 * (the JSON one parses).
 *
 * The store is opened afresh every FUZZ_STORE_INPUTS inputs, so that what
 * the inputs store does not grow for the whole run.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http_ingest.h"
#include "log.h"
#include "store.h"
#include "banned.h"

#define FUZZ_STORE_INPUTS	20000
#define FUZZ_PAYLOAD_MAX	4096	/* small, for the over-cap 413 */
#define FUZZ_INFLATED_MAX	(256 * 1024)
#define FUZZ_INGEST_PATH	"/v1/tlsrpt"
#define FUZZ_PEER		"192.0.2.1"
#define FUZZ_PIECE		1000	/* bytes of the body at a time */
#define FUZZ_PROXIES		"127.0.0.1, 10.0.0.0/8, ::1, 2001:db8::/32"

static struct store *store;
static struct ingest in;
static struct http_proxies proxies;
static unsigned long inputs;

static void
open_store(void)
{
	struct pipeline_config cfg;
	struct error err;

	if (store != NULL) {
		ingest_release(&in);
		store_close(store);
	}
	error_clear(&err);
	if ((store = store_open(":memory:", &err)) == NULL) {
		fprintf(stderr, "fuzz-http: %s\n", err.msg);
		abort();
	}
	pipeline_config_default(&cfg);
	cfg.payload_max = FUZZ_PAYLOAD_MAX;
	cfg.message_max = 4 * FUZZ_PAYLOAD_MAX;
	cfg.limits.inflated_max = FUZZ_INFLATED_MAX;
	cfg.limits.ratio = 100;
	ingest_init(&in, store, &cfg);
}

static void
setup(void)
{
	struct error err;

	/* The pipeline logs a line per report: not wanted. */
	log_set_quiet(1);
	error_clear(&err);
	if (http_proxies_parse(FUZZ_PROXIES, &proxies, &err) < 0) {
		fprintf(stderr, "fuzz-http: %s\n", err.msg);
		abort();
	}
}

/* Cut the line at *p (up to LF, end of text or end), NUL-terminated
 * without its CR; *p moves past it. NULL at the end of the text. */
static char *
next_line(char **p, char *end)
{
	char *line = *p, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (nl == NULL)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	return line;
}

static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Set the field of req that header name is, the first time only. */
static void
take_header(struct http_request *req, const char *name, const char *value)
{
	const char **fields[] = {
		&req->content_type, &req->content_encoding,
		&req->content_length, &req->transfer_encoding,
		&req->forwarded_for, &req->accept, &req->user_agent,
		&req->peer,
	};
	static const char *const names[] = {
		"Content-Type", "Content-Encoding", "Content-Length",
		"Transfer-Encoding", "X-Forwarded-For", "Accept",
		"User-Agent", "Peer",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i]) != 0)
			continue;
		if (*fields[i] == NULL)
			*fields[i] = value;
		return;
	}
}

/*
 * Take text (NUL-terminated at end, changed in place) apart into req: the
 * request line, the headers up to a blank line, the body after it.
 */
static void
frame(char *text, char *end, struct http_request *req)
{
	char *p = text, *line, *colon, *sp;
	int peer_given = 0;

	memset(req, 0, sizeof(*req));
	req->ingest_path = FUZZ_INGEST_PATH;
	req->proxies = &proxies;
	req->tls = 1;
	req->method = "";
	req->path = "";
	if ((line = next_line(&p, end)) != NULL) {
		req->method = line;
		if ((sp = strchr(line, ' ')) != NULL) {
			*sp = '\0';
			req->path = sp + 1;
			sp = strchr(sp + 1, ' ');	/* HTTP/1.1, if any */
			if (sp != NULL)
				*sp = '\0';
		}
	}
	while ((line = next_line(&p, end)) != NULL && line[0] != '\0') {
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (strcasecmp(trim(line), "Peer") == 0)
			peer_given = 1;
		take_header(req, trim(line), trim(colon + 1));
	}
	if (!peer_given)
		req->peer = FUZZ_PEER;
	else if (req->peer != NULL && req->peer[0] == '\0')
		req->peer = NULL;	/* an unknown peer */
	req->body = p;
	req->body_len = (size_t)(end - p);
}

static int
status_allowed(unsigned status)
{
	static const unsigned allowed[] = {
		200, 201, 400, 404, 405, 411, 413, 415, 503,
	};
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (status == allowed[i])
			return 1;
	return 0;
}

/* The answer must be one doc/http.md allows for req. */
static void
check_answer(const struct http_request *req, const struct http_answer *a)
{
	char prefix[16];
	json_t *j;
	int ok;

	if (!status_allowed(a->status) || a->content_type == NULL)
		__builtin_trap();
	if ((a->status == 405) != (a->allow != NULL))
		__builtin_trap();
	if (a->allow != NULL && strcmp(a->allow, "POST") != 0)
		__builtin_trap();
	if ((a->status == 503) != (a->retry_after > 0))
		__builtin_trap();
	/* The path is looked at first, the method next. */
	if (strcmp(req->path, FUZZ_INGEST_PATH) != 0) {
		if (a->status != 404)
			__builtin_trap();
	} else if (strcmp(req->method, "POST") != 0 && a->status != 405) {
		__builtin_trap();
	}
	if (a->body.data == NULL)
		return;		/* out of memory for the text */
	if (strcmp(a->content_type, "application/json") == 0) {
		j = json_loadb(a->body.data, a->body.len, 0, NULL);
		ok = j != NULL && json_integer_value(json_object_get(j,
		    "status")) == (json_int_t)a->status &&
		    json_is_string(json_object_get(j, "outcome"));
		json_decref(j);
		if (!ok)
			__builtin_trap();
		return;
	}
	snprintf(prefix, sizeof(prefix), "%u ", a->status);
	if (strncmp(a->body.data, prefix, strlen(prefix)) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	struct http_body body;
	struct http_answer a;
	const char *bytes;
	size_t off, n;
	char *text;
	int rc = 0;

	if (store == NULL)
		setup();
	if (store == NULL || ++inputs % FUZZ_STORE_INPUTS == 0)
		open_store();
	/* A copy to cut into strings, with room for the last NUL. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	frame(text, text + size, &req);
	if (http_ingest_begin(&in, &req, &a) == 0) {
		http_body_init(&body, &in);
		bytes = req.body;
		for (off = 0; off < req.body_len && rc == 0; off += n) {
			n = req.body_len - off < FUZZ_PIECE ?
			    req.body_len - off : FUZZ_PIECE;
			rc = http_body_add(&in, &req, &body, bytes + off, n);
		}
		if (rc < 0) {
			/* Far over max-body: closed, unanswered. */
			http_body_release(&body);
			free(text);
			return 0;
		}
		http_body_end(&in, &req, &body, &a);
	}
	check_answer(&req, &a);
	http_answer_release(&a);
	free(text);
	return 0;
}
