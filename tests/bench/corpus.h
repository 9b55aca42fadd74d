/*
 * corpus: a deterministic, seeded generator of reports that look like real
 * traffic: mostly small success-only reports from a few big senders (one
 * sts policy, or Microsoft's tlsa-and-sts pair listing the same sessions),
 * and a tail with failure details. Shared by the benchmark programs.
 */
#ifndef TLSRPT_CORPUS_H
#define TLSRPT_CORPUS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "rfc3339.h"

struct corpus {
	uint64_t state;
};

static inline void
corpus_seed(struct corpus *c, uint64_t seed)
{
	c->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* xorshift64*: fast, deterministic, good enough for test data. */
static inline uint64_t
corpus_next(struct corpus *c)
{
	c->state ^= c->state >> 12;
	c->state ^= c->state << 25;
	c->state ^= c->state >> 27;
	return c->state * 2685821657736338717ULL;
}

static const char *const corpus_orgs[] = { "Google Inc.",
    "Microsoft Corporation", "Mail.ru", "Yahoo Inc.", "Example Relay" };

/*
 * One report from reporter org_i for domain on day (Unix day number), as
 * JSON appended to out. failures: how many failure details (0 for most).
 */
static inline int
corpus_report(struct corpus *c, struct buf *out, const char *domain,
	      int org_i, int64_t day, int failures)
{
	char start[RFC3339_LEN], end[RFC3339_LEN];
	uint64_t ok = 1 + corpus_next(c) % 500;
	int i, ms = org_i == 1;

	rfc3339_format(day * 86400, start);
	rfc3339_format(day * 86400 + 86399, end);
	buf_printf(out, NULL, "{\"organization-name\":\"%s\",\"date-range\":"
	    "{\"start-datetime\":\"%s\",\"end-datetime\":\"%s\"},"
	    "\"contact-info\":\"tlsrpt@example.org\",\"report-id\":\"%s_%s\","
	    "\"policies\":[", corpus_orgs[org_i], start, end, start, domain);
	if (ms)
		buf_printf(out, NULL, "{\"policy\":{\"policy-type\":\"tlsa\","
		    "\"policy-string\":[\"[\\\"3 1 1 AABBCCDDEEFF00112233445566"
		    "778899AABBCCDDEEFF00112233445566778899\\\"]\"],"
		    "\"policy-domain\":\"%s\"},\"summary\":{"
		    "\"total-successful-session-count\":%llu,"
		    "\"total-failure-session-count\":%d}},", domain,
		    (unsigned long long)ok, failures);
	buf_printf(out, NULL, "{\"policy\":{\"policy-type\":\"sts\","
	    "\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	    "\"mx: mx1.%s\",\"mx: *.mail.%s\",\"max_age: 604800\"],"
	    "\"policy-domain\":\"%s\",\"mx-host\":[\"mx1.%s\"]},\"summary\":{"
	    "\"total-successful-session-count\":%llu,"
	    "\"total-failure-session-count\":%d}", domain, domain, domain,
	    domain, (unsigned long long)ok, failures);
	if (failures > 0) {
		buf_puts(out, ",\"failure-details\":[", NULL);
		for (i = 0; i < failures; i++)
			buf_printf(out, NULL, "%s{\"result-type\":\"%s\","
			    "\"sending-mta-ip\":\"192.0.2.%d\",\"receiving-ip\":"
			    "\"198.51.100.%d\",\"receiving-mx-hostname\":"
			    "\"mx1.%s\",\"failed-session-count\":1}", i ? "," :
			    "", i % 3 ? "certificate-expired" :
			    "validation-failure", i % 250, (i / 250) % 250,
			    domain);
		buf_puts(out, "]", NULL);
	}
	return buf_puts(out, "}]}", NULL);
}

#endif

#include <zlib.h>

/* gzip of len bytes into out (appended). */
static inline int
corpus_gzip(const void *in, size_t len, struct buf *out)
{
	z_stream zs;
	size_t cap = compressBound((uLong)len) + 64;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK || buf_grow(out, cap, NULL) < 0)
		return -1;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (unsigned char *)out->data + out->len;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	out->len += cap - zs.avail_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* A report email the way Google sends one: multipart/report, the gzip
 * report base64 in an application/tlsrpt+gzip part. */
static inline int
corpus_mail(const void *gz, size_t len, const char *domain, const char *org,
	    uint64_t id, struct buf *out)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
	    "tuvwxyz0123456789+/";
	const unsigned char *p = gz;
	size_t i, col = 0;

	buf_printf(out, NULL, "From: noreply-tlsrpt@reports.example\r\n"
	    "To: tlsrpt@%s\r\nSubject: Report Domain: %s Submitter: %s "
	    "Report-ID: <%llu@reports.example>\r\nTLS-Report-Domain: %s\r\n"
	    "TLS-Report-Submitter: %s\r\nMessage-ID: <%llu@reports.example>\r\n"
	    "Date: Sun, 15 Feb 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=tlsrpt; "
	    "boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
	    "This is an aggregate TLS report from %s\r\n\r\n--b1\r\n"
	    "Content-Type: application/tlsrpt+gzip; name=\"%s!%s!1!2!%llu"
	    ".json.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
	    domain, domain, org, (unsigned long long)id, domain, org,
	    (unsigned long long)id, org, org, domain,
	    (unsigned long long)id);
	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < len ?
		    (unsigned)p[i + 1] << 8 : 0) | (i + 2 < len ? p[i + 2] : 0);
		char q[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
		    i + 1 < len ? b64[v >> 6 & 63] : '=',
		    i + 2 < len ? b64[v & 63] : '=' };

		buf_append(out, q, 4, NULL);
		if ((col += 4) >= 76) {
			buf_puts(out, "\r\n", NULL);
			col = 0;
		}
	}
	return buf_puts(out, "\r\n--b1--\r\n", NULL);
}
