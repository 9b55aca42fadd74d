/*
 * analyse: the readiness verdict of doc/verdict.md, from the evidence of
 * one policy domain, as a JSON object (the `--format json` element of the
 * domain; text, CSV and the API are views of it).
 *
 * Counting rules:
 * - A report's sessions for a domain are the largest of its per-type sums:
 *   several sts policies of one report add up (the policy changed in the
 *   day), but tlsa and sts listings of the same sessions never do.
 * - Rates use sts policies only. The sessions of an sts policy that enforce
 *   would refuse are its failures of a blocking type (or of an unknown
 *   type, or failures no detail explains), at most its failure count, as
 *   details may overlap.
 * - A policy's failure details count at most its failure count, wherever
 *   they are shown: an sts policy's refusal types first, then the other
 *   types, each in the order the reporter listed them, until the count is
 *   spent; failures that no detail explains form a row of their own, the
 *   result type "not-detailed" (refused, for sts). So the failure rows of
 *   a policy type add up to its failed sessions, and the recent refusal
 *   rows to refused_if_enforced (doc/verdict.md).
 * - Copies of one report that disagree (same identity, other content):
 *   only the copy with the most refused sessions counts.
 * - A report belongs to the window when its end-datetime falls inside it.
 */
#ifndef TLSRPT_ANALYSE_H
#define TLSRPT_ANALYSE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "evidence.h"
#include "live.h"
#include "store.h"

/* Fixed parts of the rules of doc/verdict.md. */
#define ANALYSE_REPORTER_MIN_REFUSED	10	/* tls-failures per reporter */
#define ANALYSE_MX_BROKEN_REPORTERS	2	/* mx-tls-broken: reporters */
#define ANALYSE_MX_BROKEN_DAYS		2	/* ... or days */

struct analyse_options {
	int64_t now;			/* end of the window, Unix seconds */
	int days;			/* W, default 14 */
	int recent_days;		/* R, the last 7 days of W */
	int stale_days;			/* a report must end within 3 days */
	double max_failure_rate;	/* default 0.001 */
	int min_days;			/* default 7 */
	int min_reporters;		/* default 2 */
	int64_t min_sessions;		/* default 100 */
};

/* The defaults of doc/verdict.md, with now the clock. */
void analyse_options_default(struct analyse_options *opt);

/* Is this result type one that enforce turns into refused delivery? */
int analyse_type_blocking(const char *result_type);

/* Is it one of RFC 8460's result types? (An unknown one is blocking.) */
int analyse_type_known(const char *result_type);

/*
 * The verdict for one domain's evidence (loaded for the window of opt) as
 * a new JSON object; NULL when memory runs out.
 */
json_t *analyse_domain(const struct evidence *ev,
		       const struct analyse_options *opt);

/*
 * The verdict an array of reasons makes: "not-ready" when one is
 * blocking, else "insufficient-data" when one is insufficient, else
 * "ready" (warnings and information never change it).
 */
const char *analyse_verdict(const json_t *reasons);

/*
 * The whole summary document {"now", "window_days", "domains": [...]} for
 * the given domains, or every domain in the store when n is 0; then, when
 * reports of the window named no policy domain (no domain's verdict can
 * count them), "no_policy_domain": {"reports", "sessions", "reporters":
 * the first BOUND_NO_DOMAIN_REPORTERS names, sorted, "more_reporters"}.
 * NULL with err set when the store cannot be read.
 */
json_t *analyse_summary(struct store *st, const char *const *domains,
			size_t n, const struct analyse_options *opt,
			struct error *err);

/*
 * Keep in domains (n of them, in normal form: dnsname.h) those that some
 * report named, in their order; for each other one, print one line on f:
 * prog, the name, and the closest known names. *n is set to the number
 * kept. Returns how many were unknown, or -1 with err set when the store
 * cannot be read.
 */
int analyse_known_domains(struct store *st, const char *prog,
			  const char **domains, size_t *n, FILE *f,
			  struct error *err);

/*
 * The views show a run of days without a report as one row: the last
 * day of the run that starts at daily[i] (the domain's "daily" array),
 * i itself when the day after has a report.
 */
size_t analyse_quiet_run(const json_t *daily, size_t i);

/* The exit code of doc/commands.md for a summary document: 0 all ready,
 * 1 any not-ready, 2 otherwise (insufficient data, or no domain). */
int analyse_exit_code(const json_t *summary);

/*
 * --live: join the live checks of one domain (live.h, a live object) to
 * its verdict object: each finding becomes a reason (its next step joins
 * next_steps), policy-id-not-rotated compares the policies reporters saw
 * (policy.versions_seen) with the live policy and TXT id, the verdict is
 * computed again, and "live" is set to a copy of live. -1 when memory
 * runs out.
 */
int analyse_add_live(json_t *domain, const json_t *live,
		     const struct analyse_options *opt);

/*
 * tlsrpt-summary --live: the live checks of every domain of the summary
 * document (live.h, with the options lo), each joined to its verdict by
 * analyse_add_live(). A domain DNS gave no answer for keeps the verdict
 * of its reports, with a warning reason live-checks-not-run naming the
 * error. The document gains live_dnssec_json()'s fields. -1 with err:
 * ERR_INPUT or ERR_IO for options that cannot be used, ERR_NOMEM.
 */
int analyse_join_live(json_t *summary, const struct live_options *lo,
		      const struct analyse_options *opt, struct error *err);

#endif
