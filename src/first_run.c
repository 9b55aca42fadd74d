/* first_run: see include/first_run.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "first_run.h"
#include "rfc3339.h"
#include "version.h"
#include "banned.h"

int
first_run_config(struct config *cfg, struct error *err)
{
	if (config_set(cfg, "database", RUN_DATABASE, err) < 0 ||
	    config_set(cfg, "maildir", RUN_MAILDIR, err) < 0 ||
	    config_set(cfg, "pidfile", RUN_PIDFILE, err) < 0)
		return -1;
	return 0;
}

int
first_run_certificate(struct config *cfg, struct error *err)
{
	if (config_set(cfg, "tls-cert", RUN_TLS_CERT, err) < 0 ||
	    config_set(cfg, "tls-key", RUN_TLS_KEY, err) < 0)
		return -1;
	return 0;
}

/*
 * A report of yesterday for the "Try it" step, so that the first summary
 * a new user sees counts it; 0 when written.
 */
static int
write_demo_report(const char *path)
{
	char start[RFC3339_LEN], end[RFC3339_LEN];
	time_t day = time(NULL) / 86400 - 1;
	FILE *f;
	int rc;

	rfc3339_format((int64_t)day * 86400, start);
	rfc3339_format((int64_t)day * 86400 + 86399, end);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "{\"organization-name\": \"Demo Sender\", "
	    "\"date-range\": {\"start-datetime\": \"%s\", "
	    "\"end-datetime\": \"%s\"}, \"contact-info\": "
	    "\"tlsrpt@demo-sender.example\", \"report-id\": \"demo-%s\", "
	    "\"policies\": [{\"policy\": {\"policy-type\": \"sts\", "
	    "\"policy-string\": [\"version: STSv1\", \"mode: testing\", "
	    "\"mx: mx1.%s\", \"max_age: 86400\"], \"policy-domain\": "
	    "\"%s\"}, \"summary\": {\"total-successful-session-count\": 120, "
	    "\"total-failure-session-count\": 1}, \"failure-details\": "
	    "[{\"result-type\": \"certificate-expired\", "
	    "\"receiving-mx-hostname\": \"mx1.%s\", "
	    "\"failed-session-count\": 1}]}]}\n", start, end, start,
	    RUN_SAMPLE_DOMAIN, RUN_SAMPLE_DOMAIN, RUN_SAMPLE_DOMAIN);
	rc = ferror(f);
	return fclose(f) != 0 || rc ? -1 : 0;
}

void
first_run_steps(const struct config *c, int tls, const char *argv0,
		const char *url)
{
	const char *slash = strrchr(argv0, '/');
	int dirlen = slash ? (int)(slash - argv0 + 1) : 0;

	printf("tlsrptd %s: senders post to %s%s\n", TLSRPT_VERSION, url,
	    c->ingest_path);
	if (write_demo_report(RUN_SAMPLE) == 0)
		printf("\nTry it: post a report of yesterday\n"
		    "  curl %s%s%s-H 'Content-Type: application/tlsrpt+json' "
		    "--data-binary @%s %s%s\n", tls ? "--cacert " : "",
		    tls ? c->tls_cert : "", tls ? " " : "", RUN_SAMPLE,
		    url, c->ingest_path);
	printf("\nThen ask whether %s may enforce MTA-STS:\n"
	    "  %.*stlsrpt-summary --db %s\n", RUN_SAMPLE_DOMAIN, dirlen,
	    argv0, c->database);
	if (config_given(c->api_listen))
		printf("  the action plan page: http://%s/report/%s\n"
		    "  the API: http://%s/api/v1/domains\n", c->api_listen,
		    RUN_SAMPLE_DOMAIN, c->api_listen);
	printf("\nReal reports: point the rua= of your _smtp._tls TXT record "
	    "here, or deliver\nreport mail to the maildir %s (README.md, "
	    "\"Running tlsrptd for real\").\n",
	    config_given(c->maildir) ? c->maildir : "(none)");
	fflush(stdout);
}
