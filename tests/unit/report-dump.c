/*
 * report-dump: decode and parse one payload file and print the normalised
 * report as stable text, or "error: MESSAGE" and exit 1. The fixture
 * driver compares this with the .expect file beside each fixture.
 *
 *   report-dump [--received TIME] FILE
 *
 * TIME (RFC 3339 or Unix seconds) is when the report counts as received,
 * as tlsrpt-import --received takes it; the clock by default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "cli.h"
#include "decode.h"
#include "files.h"
#include "report.h"
#include "rfc3339.h"
#include "banned.h"

static const char *
s(const char *v)
{
	return v ? v : "-";
}

static void
dump(const struct report *r)
{
	char t[RFC3339_LEN];
	size_t i, j;

	printf("organization-name: %s\n", r->org_name);
	printf("report-id: %s\n", r->report_id);
	printf("contact-info: %s\n", s(r->contact_info));
	rfc3339_format(r->start, t);
	printf("start: %s\n", t);
	rfc3339_format(r->end, t);
	printf("end: %s\n", t);
	for (i = 0; i < r->npolicies; i++) {
		const struct report_policy *p = &r->policies[i];

		printf("policy[%zu]: %s %s\n", i, p->type,
		    p->domain[0] ? p->domain : "-");
		for (j = 0; j < p->nstrings; j++)
			printf("  string: %s\n", p->strings[j]);
		if (p->sts.mode[0] || p->sts.nmx || p->sts.max_age >= 0)
			printf("  sts: mode=%s max_age=%lld\n",
			    p->sts.mode[0] ? p->sts.mode : "-",
			    (long long)p->sts.max_age);
		for (j = 0; j < p->sts.nmx; j++)
			printf("  mx-pattern: %s\n", p->sts.mx[j]);
		for (j = 0; j < p->nmx_hosts; j++)
			printf("  mx-host: %s\n", p->mx_hosts[j]);
		printf("  sessions: %lld successful, %lld failed\n",
		    (long long)p->successful, (long long)p->failed);
		for (j = 0; j < p->nfailures; j++) {
			const struct report_failure *f = &p->failures[j];

			printf("  failure: %s count=%lld sending=%s "
			    "receiving=%s mx=%s helo=%s\n", f->result_type,
			    (long long)f->failed_sessions,
			    s(f->sending_mta_ip), s(f->receiving_ip),
			    s(f->receiving_mx_hostname),
			    s(f->receiving_mx_helo));
			if (f->failure_reason_code || f->additional_info)
				printf("    reason=%s info=%s\n",
				    s(f->failure_reason_code),
				    s(f->additional_info));
		}
	}
}

int
main(int argc, char **argv)
{
	struct decode_limits lim;
	struct buf in, out;
	struct error err;
	struct report r;
	const char *json;
	int64_t received = (int64_t)time(NULL);
	size_t len;

	if (argc == 4 && strcmp(argv[1], "--received") == 0 &&
	    cli_parse_time(argv[2], &received) == 0) {
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: report-dump [--received TIME] FILE\n");
		return 2;
	}
	decode_limits_default(&lim);
	buf_init(&in, BOUND_PAYLOAD_MAX);
	buf_init(&out, lim.inflated_max);
	if (files_read_path(argv[1], &in, NULL, &err) < 0 ||
	    decode_payload(in.data ? in.data : "", in.len, &lim, &out, &json,
	    &len, &err) < 0 || report_parse(json, len, received, &r, &err) < 0) {
		printf("error: %s\n", err.msg);
		buf_release(&in);
		buf_release(&out);
		return 1;
	}
	dump(&r);
	report_release(&r);
	buf_release(&in);
	buf_release(&out);
	return 0;
}
