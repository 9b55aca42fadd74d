/*
 * pipeline: the one path every report takes, whichever way it arrived.
 *
 * Raw bytes and where they came from go in; each report found ends in one
 * of four outcomes, handed to the caller's callback:
 *   accepted      new, stored, durable; or a conflicting copy, stored
 *                 as well (the result names the copy it conflicts with)
 *   duplicate     a copy of the same identity and content was stored
 *                 before (doc/identity.md)
 *   rejected      bad input; the payload is kept in quarantine with why
 *   not-a-report  a message with no report in it (nothing stored)
 * and a fifth that is not an answer but a "try again later":
 *   deferred      the store could not commit (busy, full, read-only), or
 *                 the decode budget or memory ran out (ERR_NOMEM);
 *                 nothing was acknowledged: the daemon keeps the body in
 *                 its spool, the maildir leaves the message for later
 *
 * HTTP, the maildir watcher and the import tool differ only in where the
 * bytes come from and how they answer the outcome.
 */
#ifndef TLSRPT_PIPELINE_H
#define TLSRPT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "decode.h"
#include "error.h"
#include "mail.h"
#include "report.h"
#include "store.h"

enum outcome {
	OUTCOME_ACCEPTED,
	OUTCOME_DUPLICATE,
	OUTCOME_REJECTED,
	OUTCOME_NOT_A_REPORT,
	OUTCOME_DEFERRED,
};

/* What the bytes are known to be. */
enum input_kind {
	INPUT_SNIFF,	/* a report or a message: tell from the bytes */
	INPUT_REPORT,	/* a report (gzip or JSON): an HTTP body */
	INPUT_MESSAGE,	/* a mail message: a maildir file */
};

struct pipeline_config {
	struct decode_limits limits;
	size_t payload_max;	/* a report payload as received */
	size_t message_max;	/* a whole message */
	/* When set, a mailed report is accepted only with a dkim=pass for
	 * its From: domain (or a parent) in the topmost Authentication-Results
	 * header of this authserv-id (mail_dkim_verify()). */
	const char *dkim_authserv_id;
};

struct pipeline {
	struct store *store;
	struct pipeline_config cfg;
};

/* One report's (or message's) outcome, valid during the callback only. */
struct result {
	enum outcome outcome;
	const struct origin *origin;
	const struct report *report;	/* accepted, duplicate: the report */
	const struct store_put_result *stored;	/* accepted, duplicate: what
					 * the store found; kind
					 * STORE_PUT_CONFLICT for a copy
					 * that conflicts with an earlier */
	const char *reason;		/* rejected, deferred, not-a-report */
	enum error_kind error;		/* rejected, deferred: the kind */
};

typedef void (*pipeline_cb)(const struct result *res, void *arg);

/* The defaults of bounds.h. */
void pipeline_config_default(struct pipeline_config *cfg);

/* Set up a pipeline writing into store (kept, not owned). */
void pipeline_init(struct pipeline *pl, struct store *st,
		   const struct pipeline_config *cfg);

/*
 * Take len bytes from origin o, received at the Unix time received (the
 * clock as they came in: report_parse() checks the date range against
 * it), through the pipeline, calling cb once per report found (a message
 * may hold several) or once for the message when it holds none. Returns
 * the number of results, or -1 when cb was never called (no memory).
 */
int pipeline_submit(struct pipeline *pl, const void *bytes, size_t len,
		    enum input_kind kind, const struct origin *o,
		    int64_t received, pipeline_cb cb, void *arg);

/*
 * pipeline_submit() in two steps, so that a caller may parse on one thread
 * while another stores: pipeline_parse() does all that comes before the
 * store (decode, parse, a message's parts, the DKIM rule, the report made
 * rows with the digest of its content) into findings, and touches no
 * store; pipeline_store() writes them and answers each.
 * The bytes and the origin's strings must outlive pipeline_store().
 */
enum pipeline_step {
	STEP_STORE,	/* a parsed report to store */
	STEP_REJECT,	/* a payload to keep in quarantine */
	STEP_ANSWER,	/* answered as is: deferred or not-a-report */
};

struct pipeline_item {
	enum pipeline_step step;
	struct origin origin;
	const void *bytes;	/* the payload to keep, in the input */
	size_t len;
	struct report report;	/* STEP_STORE */
	struct store_rows *rows;	/* STEP_STORE: the report's, owned */
	enum outcome outcome;	/* STEP_ANSWER */
	enum error_kind kind;
	char reason[ERROR_MSG_MAX];
};

struct pipeline_parsed {
	struct mail_message msg;	/* a message's parts, owned */
	/* The message's verified signer: a DNS name (mail_dkim_verify()). */
	char dkim_domain[BOUND_DNS_NAME + 1];
	struct pipeline_item items[MAIL_PARTS_MAX];
	size_t n;
	/* A row of the quarantine parsed again, set by the caller after
	 * pipeline_parse() (0: none): pipeline_store() then changes that
	 * row rather than write a payload, with the report's time of
	 * receipt `received` (store_quarantine_put_rows()). One finding
	 * only: a payload row names one report. */
	int64_t replaces;
	int64_t received;
};

/* Take len bytes, received at received, apart into pp (always at least
 * one finding). */
void pipeline_parse(const struct pipeline_config *cfg, const void *bytes,
		    size_t len, enum input_kind kind, const struct origin *o,
		    int64_t received, struct pipeline_parsed *pp);

/* Store pp's findings, calling cb once for each; returns how many. */
int pipeline_store(struct pipeline *pl, struct pipeline_parsed *pp,
		   pipeline_cb cb, void *arg);

/* Free what pipeline_parse() allocated. */
void pipeline_parsed_release(struct pipeline_parsed *pp);

/*
 * Reject an input the caller could not even read whole (over a size
 * limit): the first len bytes are kept in quarantine with reason. cb is
 * called once, with rejected, or deferred when the store failed.
 */
void pipeline_reject(struct pipeline *pl, const void *bytes, size_t len,
		     const struct origin *o, enum error_kind kind,
		     const char *reason, pipeline_cb cb, void *arg);

/* "accepted", "duplicate", "rejected", "not-a-report", "deferred". */
const char *outcome_name(enum outcome oc);

/* Whether res is an accepted copy that conflicts with an earlier one. */
int result_conflict(const struct result *res);

/*
 * The outcome's name for logs and metrics, where a conflicting copy is
 * told apart from a new report: "conflict", else outcome_name().
 */
const char *result_name(const struct result *res);

#endif
