/*
 * report: the JSON report of RFC 8460 section 4, parsed and normalised.
 *
 * report_parse() takes the JSON text of one report and either fills a
 * struct report or fails with ERR_INPUT and a message that names the JSON
 * path and the problem ("policies[1].summary.total-failure-session-count:
 * expected a non-negative integer"). It tolerates what real senders send
 * (doc/report.md): absent or empty failure-details, policy-string and
 * mx-host; a null contact-info; a missing policy-domain; failure entries
 * without addresses; datetimes with no offset; mx-host as a bare string;
 * a tlsa policy-string element that is itself a JSON array; both spellings
 * of the additional-information key; unknown keys and result types; a
 * summary without total-failure-session-count (Google's of 2019, when
 * nothing failed).
 *
 * A missing total-failure-session-count is the sum of the failure
 * details' failed-session-count: 0 without details. The sum is an upper
 * bound (the types of one session may overlap, doc/report.md), and
 * counting too many failures can only delay a "ready for enforce", never
 * advance it.
 *
 * Rejected besides what is not a report at all: a policy-domain or a
 * receiving-mx-hostname that is not a DNS name (dnsname.h); a date range
 * that does not end after it starts, lasts more than BOUND_RANGE_MAX, or
 * ends more than BOUND_RANGE_AHEAD after the report was received.
 *
 * Normalised on the way in: times to Unix seconds UTC; policy domains and
 * receiving MX host names by dnsname_normalise() (lower case, no trailing
 * dot, A-labels); mx-host names and patterns to lower case without a
 * trailing dot; IP addresses to their canonical text form; sts policy
 * lines parsed into mode, mx patterns and max_age. A report owns all its
 * strings; report_release() frees them.
 */
#ifndef TLSRPT_REPORT_H
#define TLSRPT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"

struct report_failure {
	const char *result_type;	/* lower case, as sent otherwise */
	const char *sending_mta_ip;	/* canonical, or NULL */
	const char *receiving_ip;	/* canonical, or NULL */
	const char *receiving_mx_hostname;	/* a DNS name, or NULL */
	const char *receiving_mx_helo;	/* or NULL */
	const char *additional_info;	/* either spelling, or NULL */
	const char *failure_reason_code;	/* free text, or NULL */
	int64_t failed_sessions;
};

struct report_policy {
	const char *type;		/* "sts", "tlsa", "no-policy-found", ... */
	const char *domain;		/* a DNS name; "" when absent */
	const char **strings;		/* policy-string lines, tlsa lists
					   flattened */
	size_t nstrings;
	const char **mx_hosts;		/* normalised, "mx:" prefix dropped */
	size_t nmx_hosts;
	struct sts_policy sts;		/* parsed from strings for "sts" */
	int64_t successful;
	int64_t failed;
	struct report_failure *failures;
	size_t nfailures;
};

struct report {
	const char *org_name;		/* "" when absent */
	const char *report_id;		/* "" when absent */
	const char *contact_info;	/* NULL when absent or null */
	int64_t start, end;		/* Unix seconds, UTC, start < end,
					   end - start <= BOUND_RANGE_MAX */
	struct report_policy *policies;
	size_t npolicies;
	struct arena *arena;		/* private: the strings */
};

/*
 * Once per process, before any parse: JSON allocations that fail abort
 * the process, as GLib's do. jansson 2.14 corrupts its own buffers when an
 * allocation fails inside json_loadb (upstream issue 362); a crash loses
 * nothing acknowledged (the store commits first), corrupted memory might.
 * And the C library keeps up to 4 MiB free at the top of each heap, so
 * that the memory one parse frees serves the next (report.c).
 */
void report_init(void);

/*
 * Parse len bytes of JSON into r. received is when the report arrived, in
 * Unix seconds (the clock as the bytes came in): its date range may end
 * at most BOUND_RANGE_AHEAD after it. On failure r is left empty (nothing
 * to release) and err says why, kind ERR_INPUT (or ERR_NOMEM).
 */
int report_parse(const char *json, size_t len, int64_t received,
		 struct report *r, struct error *err);

/* Free what report_parse() allocated. Safe on an empty report. */
void report_release(struct report *r);

/*
 * The policy domain of a report for the summary's purposes: the domain of
 * its first policy that has one, or "".
 */
const char *report_domain(const struct report *r);

/* Canonical text form of an IP address (bracketed or not), or NULL. */
int ip_canonical(const char *in, char *out, size_t outlen);

#endif
