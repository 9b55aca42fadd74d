/*
 * live_smtp: the port 25 probe of one MX address: read the greeting,
 * EHLO, STARTTLS when offered, the TLS handshake (GnuTLS) with the MX
 * host name as SNI, the certificate judged for that name, QUIT. Nothing
 * else is sent. Every step shares one deadline (the SMTP timeout) and
 * every reply is capped (LIVE_SMTP_REPLY_MAX).
 */
#ifndef TLSRPT_LIVE_SMTP_H
#define TLSRPT_LIVE_SMTP_H

#include <gnutls/gnutls.h>
#include <stdint.h>

#include "error.h"
#include "live.h"
#include "live_dns.h"

/* Certificate faults a sender enforcing MTA-STS refuses (bit set). */
#define SMTP_CERT_EXPIRED	0x01
#define SMTP_CERT_NOT_YET	0x02
#define SMTP_CERT_WRONG_NAME	0x04
#define SMTP_CERT_UNTRUSTED	0x08	/* self-signed, unknown CA */
#define SMTP_CERT_OTHER		0x10	/* revoked, weak algorithm... */

struct live_smtp {
	char address[64];	/* where it connected, "ADDR" or "[ADDR]:P" */
	int connected;
	char error[256];	/* why the probe stopped early, or "" */
	char banner[256];	/* the greeting's first line */
	int starttls_offered;	/* in the EHLO reply */
	int tls;		/* the handshake completed */
	char tls_version[32];
	unsigned cert_faults;	/* SMTP_CERT_* */
	char verify[256];	/* GnuTLS's words on the faults */
	int have_cert;
	char subject[256], issuer[256];
	char names[512];	/* DNS names of the certificate, ", " */
	int64_t not_before, not_after;
	int dane;		/* -1 not checked, 0 mismatch, 1 match */
	char dane_detail[128];
};

/*
 * Probe host (the MX name, for SNI and the name check) at addr:port.
 * tlsa, when not NULL, holds DNSSEC-secure TLSA records to match. The
 * outcome, good or bad, is in r: -1 only for a library failure.
 */
int live_smtp_probe(const struct live_options *o,
		    gnutls_certificate_credentials_t cred, const char *host,
		    const char *addr, int port, const struct dns_answer *tlsa,
		    struct live_smtp *r, struct error *err);

#endif
