/*
 * t-api: the daemon's read API routes (api.h) on a real store, held
 * alone and then through readers of their own, the metrics text
 * (metrics.h) and the listen address parser (http.h), without a socket
 * to a client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "files.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "store_reader.h"
#include "tap.h"
#include "banned.h"

static void
noop(const struct result *res, void *arg)
{
	*(enum outcome *)arg = res->outcome;
}

static unsigned
get(struct ingest *in, const char *token, const char *method,
    const char *url, const char *authz, struct buf *body)
{
	struct api_answer a;
	unsigned st;

	api_route(in, token, method, url, authz, NULL, &a);
	st = a.status;
	buf_release(body);
	*body = a.body;
	return st;
}

/* GET /api/v1/domains?limit=LIMIT&after=AFTER (either NULL: absent). */
static unsigned
page(struct ingest *in, const char *limit, const char *after,
     struct buf *body)
{
	struct api_query q = { .limit = limit, .after = after };
	struct api_answer a;
	unsigned st;

	api_route(in, NULL, "GET", "/api/v1/domains", NULL, &q, &a);
	st = a.status;
	buf_release(body);
	*body = a.body;
	return st;
}

int
main(void)
{
	char dir[] = "/tmp/t-api.XXXXXX", db[64], rm[96];
	struct origin o = { .source = "https", .peer = "127.0.0.1" };
	struct error err;
	struct ingest in;
	struct store_readers *rs;
	struct store *st;
	struct buf body, report;
	enum outcome oc = OUTCOME_DEFERRED;
	int fd;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/db", dir);
	st = store_open(db, &err);
	ok(st != NULL, "store opens");
	if (st == NULL)
		return tap_done();
	ingest_init(&in, st, NULL);
	metrics_init();
	log_set_quiet(1);
	buf_init(&body, 0);

	is_int(get(&in, NULL, "GET", "/healthz", NULL, &body), 200, "healthz");
	is_str(body.data, "ok\n", "healthz says ok");
	is_int(get(&in, "t", "GET", "/healthz", NULL, &body), 200,
	    "healthz needs no token");
	is_int(get(&in, "t", "GET", "/metrics", NULL, &body), 401,
	    "metrics without the token");
	is_int(get(&in, "t", "GET", "/metrics", "Bearer x", &body), 401,
	    "metrics with another token");
	is_int(get(&in, "t", "GET", "/metrics", "Bearer tt", &body), 401,
	    "metrics with a longer token");
	is_int(get(&in, "t", "GET", "/metrics", "bearer t", &body), 200,
	    "metrics with the token (scheme in any case)");
	/* HTTP Basic, the token as the password: "u:t", ":t", "a:b:t". */
	is_int(get(&in, "t", "GET", "/metrics", "Basic dTp0", &body), 200,
	    "Basic with the token as the password");
	is_int(get(&in, "t", "GET", "/metrics", "basic  Onc= ", &body), 401,
	    "Basic with another password");
	is_int(get(&in, "t", "GET", "/metrics", "Basic OnQ=", &body), 200,
	    "Basic with no user name");
	is_int(get(&in, "t", "GET", "/metrics", "Basic dA==", &body), 401,
	    "Basic without a colon");
	is_int(get(&in, "t", "GET", "/metrics", "Basic dTp0AA==", &body),
	    401, "Basic with a NUL after the token");
	is_int(get(&in, "t", "GET", "/metrics", "Basic dTp0=", &body), 401,
	    "Basic not a multiple of 4");
	is_int(get(&in, "t", "GET", "/metrics", "Basic d=p0", &body), 401,
	    "Basic with padding inside");
	is_int(get(&in, "t", "GET", "/metrics", "Basic ====", &body), 401,
	    "Basic all padding");
	is_int(get(&in, "t", "GET", "/metrics", "Basic *Tp0", &body), 401,
	    "Basic not base64");
	is_int(get(&in, "t", "GET", "/metrics", "Basic ", &body), 401,
	    "Basic with nothing");
	{
		char big[API_AUTHORIZATION_MAX + 8];

		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "Basic dTp0", 10);
		big[10] = '\0';
		is_int(get(&in, "t", "GET", "/metrics", big, &body), 200,
		    "a short header in a big buffer");
		big[10] = 'A';
		memcpy(big + sizeof(big) - 5, "dTp0", 4);
		is_int(get(&in, "t", "GET", "/metrics", big, &body), 401,
		    "a header over API_AUTHORIZATION_MAX");
	}
	is_int(get(&in, NULL, "POST", "/metrics", NULL, &body), 405,
	    "POST is 405");
	is_int(get(&in, NULL, "GET", "/x", NULL, &body), 404, "other path");
	is_int(get(&in, NULL, "GET", "/api/v1/domains", NULL, &body), 200,
	    "domains on an empty store");
	ok(body.data && strstr(body.data, "\"domains\": []"), "none yet");

	buf_init(&report, 1 << 20);
	ok(files_read_path("fixtures/reports/accept/plain-rfc.json", &report,
	    NULL, &err) == 0, "fixture read");
	ingest_submit(&in, report.data, report.len, INPUT_REPORT, &o, noop,
	    &oc);
	is_int(oc, OUTCOME_ACCEPTED, "a report through the ingest door");
	buf_release(&report);

	is_int(get(&in, NULL, "GET", "/api/v1/domains", NULL, &body), 200,
	    "domains");
	ok(body.data && strstr(body.data, "\"domain\": \"example.com\""),
	    "example.com listed");
	ok(body.data && strstr(body.data, "\"next\": null"),
	    "one page: no next");
	is_int(page(&in, "0", NULL, &body), 400, "limit=0: 400");
	is_int(page(&in, "501", NULL, &body), 400, "limit over 500: 400");
	is_int(page(&in, "-1", NULL, &body), 400, "limit=-1: 400");
	is_int(page(&in, " 5", NULL, &body), 400, "limit with a blank: 400");
	ok(body.data && strstr(body.data, "from 1 to 500"), "says the range");
	is_int(page(&in, "1", "example.co", &body), 200, "after a prefix");
	ok(body.data && strstr(body.data, "\"domain\": \"example.com\"") &&
	    strstr(body.data, "\"next\": null"), "... the domain after it");
	is_int(page(&in, "1", "example.com", &body), 200, "after the last");
	ok(body.data && strstr(body.data, "\"domains\": []"),
	    "... an empty page");

	/* Through readers of their own, as the daemon reads. */
	rs = store_readers_open(db, API_READERS, &err);
	ok(rs != NULL, "readers open");
	if (rs != NULL)
		ingest_set_readers(&in, rs);
	is_int(page(&in, "1", "", &body), 200, "a page through a reader");
	ok(body.data && strstr(body.data, "\"domain\": \"example.com\""),
	    "... example.com");

	is_int(get(&in, NULL, "GET", "/api/v1/domains/Example.COM./summary",
	    NULL, &body), 200, "summary, any case, trailing dot");
	ok(body.data && strstr(body.data, "\"domain\": \"example.com\"") &&
	    strstr(body.data, "\"verdict\": "), "the summary of example.com");
	is_int(get(&in, NULL, "GET", "/api/v1/domains/none.example/summary",
	    NULL, &body), 404, "summary of an unknown domain");
	is_int(get(&in, NULL, "GET", "/api/v1/domains/a'b/summary", NULL,
	    &body), 404, "summary of a bad name");
	is_int(get(&in, NULL, "GET", "/api/v1/domains/x.example/other",
	    NULL, &body), 404, "other route under domains");

	is_int(get(&in, NULL, "GET", "/metrics", NULL, &body), 200, "metrics");
	ok(body.data && strstr(body.data, "tlsrpt_reports_total{source="
	    "\"https\",outcome=\"accepted\"} 1\n"), "accepted counted");
	ok(body.data && strstr(body.data,
	    "tlsrpt_ingest_duration_seconds_count 1\n"), "latency observed");

	is_int(http_listen_socket("nonsense", &err), -1, "no port");
	is_int(err.kind, ERR_INPUT, "no port: input error");
	is_int(http_listen_socket("[::1:80", &err), -1, "bad brackets");
	fd = http_listen_socket("127.0.0.1:0", &err);
	ok(fd >= 0, "127.0.0.1:0 listens");
	if (fd >= 0)
		close(fd);

	buf_release(&body);
	ingest_set_readers(&in, NULL);
	store_readers_close(rs);
	ingest_release(&in);
	store_close(st);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		return 1;
	return tap_done();
}
