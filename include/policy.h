/*
 * policy: MTA-STS policies (RFC 8461) as reporters quote them, and the mx
 * pattern rule.
 *
 * A report's `policy-string` for an `sts` policy is the policy file split
 * into lines ("version: STSv1", "mode: testing", "mx: *.example.net",
 * "max_age: 86400"). Parsing is tolerant: keys are matched without regard
 * to case, unknown keys and malformed lines are skipped, because a report
 * quotes what a sender fetched and the quote is evidence even when the
 * policy itself was wrong.
 */
#ifndef TLSRPT_POLICY_H
#define TLSRPT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "error.h"

struct sts_policy {
	char version[16];	/* "STSv1", or "" when absent */
	char mode[16];		/* "testing", "enforce", "none", other, "" */
	char *mx[STS_MX_MAX];	/* lower case, no trailing dot; owned */
	size_t nmx;
	int64_t max_age;	/* seconds, -1 when absent or not a number */
};

/* An empty policy (no mode, no mx, max_age -1). */
void sts_policy_init(struct sts_policy *p);

/* Free the mx patterns; the policy is empty again. */
void sts_policy_release(struct sts_policy *p);

/*
 * Parse policy lines into p (initialised by the caller). A line may also
 * hold several lines separated by CR/LF. Returns -1 only when memory runs
 * out; nonsense lines are skipped.
 */
int sts_policy_add_line(struct sts_policy *p, const char *line,
			struct error *err);

/*
 * RFC 8461 4.1: does host match pattern? Both are compared without case
 * and without a trailing dot; "*." in front of a pattern stands for exactly
 * one left-most label, so "*.example.net" matches "mx1.example.net" but not
 * "example.net" nor "a.mx1.example.net".
 */
int sts_mx_match(const char *pattern, const char *host);

/*
 * Lower-case a domain name in place and drop one trailing dot; returns s.
 */
char *domain_normalise(char *s);

#endif
