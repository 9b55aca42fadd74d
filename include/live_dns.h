/*
 * live_dns: the DNS lookups of the live checks, on libunbound, which
 * validates DNSSEC itself: every answer says whether it was secure,
 * insecure or bogus (and why), so a check can name a signing fault
 * instead of a vague failure.
 *
 * Each lookup is bounded by the DNS timeout of the options; nothing but
 * DNS queries leaves the process here. Answers are decoded into small
 * fixed structures (names, TXT strings, addresses, TLSA records), each
 * list capped.
 */
#ifndef TLSRPT_LIVE_DNS_H
#define TLSRPT_LIVE_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "error.h"

enum dns_security {
	DNS_INSECURE = 0,	/* not signed, or no trust anchor */
	DNS_SECURE,		/* validated from the trust anchor */
	DNS_BOGUS,		/* signed but the signatures do not verify */
};

/* What one lookup found. */
struct dns_answer {
	int rcode;		/* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN... */
	int timed_out;		/* no answer within the timeout */
	enum dns_security security;
	char why_bogus[256];	/* libunbound's reason when bogus */
	size_t n;		/* records decoded (at most DNS_RR_MAX) */
	size_t total;		/* records in the answer */
	union {
		struct { int pref; char host[DNS_NAME_MAX]; } mx[DNS_RR_MAX];
		char *txt[DNS_RR_MAX];		/* joined strings; owned */
		char addr[DNS_RR_MAX][48];	/* A and AAAA as text */
		struct {
			int usage, selector, mtype;
			unsigned char *data;	/* owned */
			size_t len;
		} tlsa[DNS_RR_MAX];
	} rr;
	int type;		/* the record type asked for */
};

struct dns;

/*
 * A resolver. resolver is "ADDR[@PORT]" to forward every query there,
 * or NULL for the servers of /etc/resolv.conf. trust_anchor is a file of
 * DS or DNSKEY records in zone-file form, NULL for the root key of
 * dns-root-data when installed, or "none" to validate nothing. timeout is
 * in seconds, per lookup.
 */
struct dns *dns_new(const char *resolver, const char *trust_anchor,
		    int timeout, struct error *err);
void dns_free(struct dns *d);

/*
 * The zone of the trust anchor answers are validated from ("." for the
 * root key), or NULL when nothing is validated. A resolver that carries
 * DNSSEC data gives that zone's DNSKEY as secure (live.c asks it when an
 * answer is bogus, to tell a resolver without DNSSEC from a bad zone).
 */
const char *dns_anchor(const struct dns *d);

/*
 * Look name up for type (1 A, 15 MX, 16 TXT, 28 AAAA, 52 TLSA; others,
 * such as 48 DNSKEY, are counted in total but not decoded) into a,
 * which the caller releases with dns_answer_release. A timeout or a DNS
 * error is an answer (timed_out, rcode), not a failure: -1 only when the
 * library fails or memory runs out.
 */
int dns_lookup(struct dns *d, const char *name, int type,
	       struct dns_answer *a, struct error *err);
void dns_answer_release(struct dns_answer *a);

/* "secure", "insecure" or "bogus". */
const char *dns_security_name(enum dns_security s);

/* A line for a person: "NOERROR", "NXDOMAIN", "timeout after 5 s"... */
const char *dns_rcode_name(int rcode);

#endif
