/*
 * store_read: what the daemon's read API asks of the store, answered as
 * JSON ready to serve. Separate from the summary reads, which build the
 * readiness verdict; these are plain counts.
 *
 * The store handle is not thread-safe: callers hold the lock that
 * serialises its use (ingest_lock in the daemon). Every backend answers
 * (store_backend.h); failures that may pass are ERR_BUSY.
 */
#ifndef TLSRPT_STORE_READ_H
#define TLSRPT_STORE_READ_H

#include <jansson.h>

#include "error.h"
#include "store.h"

/*
 * Every policy domain with reports, sorted by name, as a new JSON array of
 * {"domain", "reports", "first_seen", "last_seen"} (times RFC 3339: the
 * earliest start and the latest end of its reports). The caller owns *out.
 */
int store_read_domains(struct store *st, json_t **out, struct error *err);

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
