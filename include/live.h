/*
 * live: what a domain publishes right now, checked the way a sender
 * honouring MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) would see it
 * (doc/live.md):
 * - its MX records, the _mta-sts TXT record (exactly one v=STSv1, a
 *   valid id) and the _smtp._tls TXT record (exactly one v=TLSRPTv1);
 * - the policy at https://mta-sts.DOMAIN/.well-known/mta-sts.txt: one
 *   GET, 200 only, no redirect, a certificate valid for that host, capped
 *   in size and time, parsed strictly;
 * - every MX against the policy's mx patterns and every pattern against
 *   the MX hosts;
 * - per MX address on port 25: EHLO, STARTTLS, the certificate's chain,
 *   name and expiry (later than now + max_age), DANE TLSA when signed.
 *
 * Nothing but DNS queries, one HTTPS GET per policy host and EHLO,
 * STARTTLS and QUIT per MX address leaves the process. Certificates are
 * judged against the system's trust store, or only the --ca-file.
 *
 * The result per domain is a JSON object:
 *   {"domain", "checked_at", "status", "checks": {"mx", "sts_record",
 *    "tlsrpt_record", "policy", "mx_in_policy": [...],
 *    "mx_patterns": [...], "smtp": [...]}, "findings": [...]}
 * Each check has a "status" (ok, warning, blocking, error, skipped) and
 * its evidence. Each finding has the shape of a verdict reason (code,
 * kind, message, evidence fields) plus "next_step".
 */
#ifndef TLSRPT_LIVE_H
#define TLSRPT_LIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bounds.h"
#include "error.h"

/* curl's --connect-to: HOST:PORT:ADDR:PORT, "" host or 0 port for any. */
struct live_connect_to {
	char host[256];
	int port;
	char addr[64];		/* an IP address */
	int addr_port;		/* 0: the port asked for */
};

struct live_options {
	const char *resolver;		/* ADDR[@PORT], or NULL: resolv.conf */
	const char *trust_anchor;	/* file, NULL: root key, "none" */
	const char *ca_file;		/* PEM, NULL: the system's store */
	struct live_connect_to connect_to[LIVE_CONNECT_TO_MAX];
	size_t nconnect_to;
	int dns_timeout;		/* seconds per lookup, default 5 */
	int http_timeout;		/* seconds for the fetch, default 10 */
	int smtp_timeout;		/* seconds per MX address, default 20 */
	int no_smtp;			/* skip the port 25 probes */
	int64_t now;			/* for certificate expiry */
	char ehlo[256];			/* the name said in EHLO */
};

/* Defaults: resolv.conf, the root key, system CAs, 5/10/20 s. */
void live_options_default(struct live_options *o);

/*
 * Set one option by its long name without dashes ("resolver",
 * "trust-anchor", "ca-file", "connect-to", "dns-timeout", "http-timeout",
 * "smtp-timeout", "no-smtp" with value NULL). The options keep value.
 * -1 with a message naming the option when the value is bad; 1 when name
 * is not a live option.
 */
int live_option_set(struct live_options *o, const char *name,
		    const char *value, struct error *err);

/* The usage lines of the live options, for --help. */
extern const char live_options_help[];

/* The options live_option_set() takes, as entries of a getopt_long table
 * (getopt.h), each returning val. */
#define LIVE_OPTIONS(val) \
	{ "resolver", required_argument, NULL, (val) }, \
	{ "trust-anchor", required_argument, NULL, (val) }, \
	{ "ca-file", required_argument, NULL, (val) }, \
	{ "connect-to", required_argument, NULL, (val) }, \
	{ "dns-timeout", required_argument, NULL, (val) }, \
	{ "http-timeout", required_argument, NULL, (val) }, \
	{ "smtp-timeout", required_argument, NULL, (val) }, \
	{ "no-smtp", no_argument, NULL, (val) }

/* Which connect-to entry applies to host:port, or NULL. */
const struct live_connect_to *live_connect_to_find(
    const struct live_options *o, const char *host, int port);

struct live;

/*
 * A checker for the options (kept by reference). ERR_INPUT or ERR_IO
 * when an option cannot be used (a bad resolver, an unreadable file).
 */
struct live *live_new(const struct live_options *o, struct error *err);
void live_free(struct live *lv);

/*
 * Check one domain; a new JSON object as described above. NULL with
 * ERR_BUSY when DNS gave no answer at all for the domain's MX (no
 * network, the resolver down: retry later), ERR_INPUT for a name that is
 * not a domain, ERR_NOMEM.
 */
json_t *live_check(struct live *lv, const char *domain, struct error *err);

/*
 * When the resolver proved to give no DNSSEC data that validates from
 * the trust anchor (it drops the DO bit or the signatures, or the anchor
 * is wrong), a line for a person into msg and 1: the checks since then
 * ran without validation, DANE unchecked, and no answer was called
 * bogus. Else 0.
 */
int live_dnssec_warning(const struct live *lv, char *msg, size_t len);

/*
 * The same for a document (doc/live.md): "resolver_dnssec" true once an
 * answer validated (a bogus answer is then the zone's), false when the
 * resolver gives no DNSSEC data, absent while neither is known (nothing
 * validated yet, or no trust anchor); when false, an entry of the
 * "warnings" array shaped as a reason (code resolver-without-dnssec,
 * kind warning, the trust anchor and why_bogus). -1 when memory runs
 * out.
 */
int live_dnssec_json(const struct live *lv, json_t *doc);

/* The worst finding kind of a live object: 1 blocking, 2 otherwise any
 * finding, 0 none (the exit codes of tlsrpt-check). */
int live_exit_code(const json_t *live);

/* A live object for a person: status, findings, then the evidence. */
void live_print_text(FILE *f, const json_t *live);

#endif
