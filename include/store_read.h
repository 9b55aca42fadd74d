/*
 * store_read: what the daemon's read API asks of the store, answered as
 * JSON ready to serve. Separate from the summary reads, which build the
 * readiness verdict; these are plain counts.
 *
 * A store handle is not thread-safe: one thread at a time uses it (in
 * the daemon a reader of its own, ingest_read_begin). Every backend
 * answers (store_backend.h); failures that may pass are ERR_BUSY.
 */
#ifndef TLSRPT_STORE_READ_H
#define TLSRPT_STORE_READ_H

#include <jansson.h>

#include "error.h"
#include "store.h"

/*
 * A page of the policy domains with reports, sorted by name: the first
 * limit after `after` ("" or NULL: from the first), as a new JSON array of
 * {"domain", "reports", "first_seen", "last_seen"} (times RFC 3339: the
 * earliest start and the latest end of its reports). *next is the
 * page's last name when more follow (the `after` of the next page), NULL
 * on the last page. What a page costs depends on its domains, not on how
 * many the store holds. The caller owns *out and *next.
 */
int store_read_domains(struct store *st, const char *after, size_t limit,
		       json_t **out, char **next, struct error *err);

/*
 * The counts for one policy domain (lower case, no trailing dot) as a new
 * JSON object: "domain", "reports", "days" (UTC days with a report
 * ending), "reporters", "first_seen", "last_seen", and "policies": one
 * {"policy_type", "reports", "successful", "failed"} per policy type
 * (sessions of different types are listings of the same sessions, so they
 * are never added up). *out is NULL when the store has no report for it.
 */
int store_read_domain_counts(struct store *st, const char *domain,
			     json_t **out, struct error *err);

#endif
