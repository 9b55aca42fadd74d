/*
 * fuzz-report: any bytes as the JSON text of a report through
 * report_parse(), every string of the result read back, then released.
 */
#include <string.h>

#include "bounds.h"
#include "dnsname.h"
#include "fuzz.h"
#include "report.h"
#include "banned.h"

static size_t
touch(const char *s)
{
	return s ? strlen(s) : 0;
}

/* A stored name is its own normal form (dnsname.h). */
static int
dnsname_stable(const char *s)
{
	char again[BOUND_DNS_NAME + 1];
	struct error err;

	if (s == NULL || s[0] == '\0')
		return 1;
	return dnsname_normalise(s, again, &err) == 0 && strcmp(again, s) == 0;
}

static size_t
touch_report(const struct report *r)
{
	const struct report_policy *p;
	const struct report_failure *f;
	size_t i, j, n = 0;

	n += touch(r->org_name) + touch(r->report_id) + touch(r->contact_info);
	n += touch(report_domain(r));
	for (i = 0; i < r->npolicies; i++) {
		p = &r->policies[i];
		n += touch(p->type) + touch(p->domain);
		if (!dnsname_stable(p->domain))
			__builtin_trap();
		for (j = 0; j < p->nstrings; j++)
			n += touch(p->strings[j]);
		for (j = 0; j < p->nmx_hosts; j++)
			n += touch(p->mx_hosts[j]);
		for (j = 0; j < p->sts.nmx; j++)
			n += touch(p->sts.mx[j]);
		for (j = 0; j < p->nfailures; j++) {
			f = &p->failures[j];
			if (!dnsname_stable(f->receiving_mx_hostname))
				__builtin_trap();
			n += touch(f->result_type) + touch(f->sending_mta_ip) +
			    touch(f->receiving_ip) +
			    touch(f->receiving_mx_hostname) +
			    touch(f->receiving_mx_helo) +
			    touch(f->additional_info) +
			    touch(f->failure_reason_code);
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r;
	struct error err;

	error_clear(&err);
	if (report_parse((const char *)data, size, FUZZ_RECEIVED, &r,
	    &err) == 0) {
		/* The invariants report.h promises. */
		if (r.start >= r.end || r.end - r.start > BOUND_RANGE_MAX ||
		    r.end > FUZZ_RECEIVED + BOUND_RANGE_AHEAD ||
		    r.org_name == NULL || r.report_id == NULL)
			__builtin_trap();
		(void)touch_report(&r);
		report_release(&r);
	} else if (err.kind != ERR_INPUT && err.kind != ERR_NOMEM) {
		__builtin_trap();
	}
	/* Safe on an empty report, as report.h says. */
	report_release(&r);
	return 0;
}
