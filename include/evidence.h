/*
 * evidence: what the store holds about one policy domain over a window,
 * read for the readiness analysis (analyse.h) in two indexed queries: the
 * policy rows of the domain whose report ends inside the window, and
 * their failure details. Nothing is summed here; analyse.c decides what
 * adds up and what does not. Each backend answers the queries itself
 * (store_backend.h), with the same rows in the same order.
 */
#ifndef TLSRPT_EVIDENCE_H
#define TLSRPT_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

struct evidence_failure {
	char *result_type;
	char *mx;		/* receiving-mx-hostname, or NULL */
	int64_t sessions;	/* failed-session-count */
};

/* One policy of one report, with the report's reporter and range. */
struct evidence_policy {
	int64_t id;		/* the policy's row in the store */
	int64_t report;		/* the report's row: same report, same id */
	int64_t identity;	/* the row of the first report stored with
				 * this one's identity (organization-name,
				 * report-id, range): conflicting copies of
				 * one report share it (store.h); 0 or the
				 * report's own row when it is the only copy */
	char *reporter;		/* organization-name */
	int64_t start, end;	/* the report's range, Unix seconds */
	char *type;		/* sts, tlsa, no-policy-found, ... */
	char *policy_set;	/* its lines sorted, newline-joined */
	char *mode;		/* sts mode, or NULL */
	char **mx_patterns;	/* sts mx patterns */
	size_t nmx;
	int64_t successful, failed;
	struct evidence_failure *failures;
	size_t nfailures, failures_alloc;
};

struct evidence {
	char *domain;
	int64_t from, to;	/* reports with from < end <= to */
	int64_t last_report;	/* the end of the newest report naming the
				 * domain that ends by `to`, inside the
				 * window or before it; 0 when none */
	struct evidence_policy *policies;	/* by report, then position */
	size_t n, alloc;
	size_t next;		/* the backend's walk pairing failures */
};

/*
 * Load the evidence of domain (lower case, no trailing dot) for reports
 * ending in (from, to]. ERR_BUSY when the store is locked.
 */
int evidence_load(struct store *st, const char *domain, int64_t from,
		  int64_t to, struct evidence *ev, struct error *err);

/* Free what evidence_load() allocated. */
void evidence_release(struct evidence *ev);

/*
 * Every policy domain in the store (not the empty one of reports that named
 * none), sorted. The caller frees each string and the array.
 */
int evidence_domains(struct store *st, char ***domains, size_t *n,
		     struct error *err);

#endif
