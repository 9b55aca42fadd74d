/*
 * live_policy: the MTA-STS and TLS-RPT records and the policy file as
 * published, parsed strictly (a sender discards what does not follow the
 * RFC), and the one HTTPS GET that fetches the policy (libcurl, GnuTLS).
 */
#ifndef TLSRPT_LIVE_POLICY_H
#define TLSRPT_LIVE_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "bounds.h"
#include "buf.h"
#include "error.h"
#include "live.h"
#include "policy.h"

/* What a TXT record is, for one kind of record. */
enum live_record {
	LIVE_RECORD_OTHER = 0,	/* not this kind: senders discard it */
	LIVE_RECORD_VALID,
	LIVE_RECORD_INVALID,	/* this kind, but malformed: see why */
};

/*
 * RFC 8461 3.1: is txt a "v=STSv1" record, and valid (id of 1 to 32
 * letters and digits)? id gets the id of a valid record.
 */
enum live_record live_sts_record(const char *txt, char id[STS_ID_MAX + 1],
				 char *why, size_t whylen);

/*
 * RFC 8460 3: is txt a "v=TLSRPTv1" record, and valid (an rua= list of
 * mailto: and https: URIs)? Each URI is appended to rua (a JSON array).
 */
enum live_record live_tlsrpt_record(const char *txt, json_t *rua,
				    char *why, size_t whylen);

/*
 * A policy line as "key: value" (key lower case, both trimmed), or the
 * trimmed line when it has no colon: the form in which reporters' quoted
 * lines and the live file are compared.
 */
void live_policy_line_norm(const char *line, size_t n, char *out,
			   size_t outlen);

/*
 * RFC 8461 3.2: parse a policy file into p (initialised by the caller),
 * its normalised lines into lines and each fault into problems (both
 * JSON arrays of strings). Returns -1 only when memory runs out.
 */
int live_policy_parse(const char *body, size_t len, struct sts_policy *p,
		      json_t *lines, json_t *problems, struct error *err);

/* What the fetch of one policy URL gave. */
struct live_fetch {
	int done;		/* an HTTP answer came */
	long status;		/* HTTP status */
	char content_type[128];
	char location[512];	/* a redirect's target, not followed */
	char address[64];	/* the address connected to */
	int too_big;		/* the body passed LIVE_POLICY_MAX */
	int timed_out;
	int cert_failed;	/* the certificate was refused */
	char error[256];	/* libcurl's words when it failed */
	struct buf body;
};

/*
 * GET https://host/.well-known/mta-sts.txt once, connecting to one of
 * addrs (or where --connect-to says), with no redirect, no proxy, https
 * only, the options' CA and timeout. A failed transfer is a result, not
 * an error: -1 only for memory or a library failure.
 */
int live_fetch_policy(const struct live_options *o, const char *host,
		      const char (*addrs)[48], size_t naddrs,
		      struct live_fetch *f, struct error *err);
void live_fetch_release(struct live_fetch *f);

/* Once per process, before threads: libcurl's global set-up. */
int live_fetch_global_init(struct error *err);
void live_fetch_global_cleanup(void);

#endif
