/*
 * t-mail: report parts and headers out of the fixtures in fixtures/mail
 * (one quirk of real senders each), Authentication-Results, and, when the
 * shared folder of real samples is there, every real sender's email.
 * Run from the project root.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "fmt.h"
#include "mail.h"
#include "tap.h"

#define FIXTURES "fixtures/mail/"
#define SAMPLES "../shared/samples/mail"

#define NAME_STS "example.net!example.com!1709251200!1709337599!001.json.gz"
#define NAME_TLSA "example.org!example.com!1709510400!1709596800!20240304a.json"

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *fp;
	unsigned char *p = NULL, *np;
	size_t n = 0, alloc = 0, r;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8192;
			if ((np = realloc(p, alloc + 1)) == NULL) {
				free(p);
				fclose(fp);
				return NULL;
			}
			p = np;
		}
		if ((r = fread(p + n, 1, alloc - n, fp)) == 0)
			break;
		n += r;
	}
	fclose(fp);
	p[n] = '\0';
	*len = n;
	return p;
}

static unsigned char *sts_gz, *tlsa_json;
static size_t sts_gz_len, tlsa_json_len;

/* Parse a fixture; the bytes are freed at once (the message owns copies). */
static int
parse_file(const char *path, size_t part_max, struct mail_message *m,
	   struct error *err)
{
	unsigned char *p;
	size_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	error_clear(err);
	if ((p = slurp(path, &len)) == NULL) {
		error_set(err, ERR_IO, "cannot read %s", path);
		return -2;
	}
	rc = mail_parse(p, len, part_max, m, err);
	free(p);
	return rc;
}

static int
same_bytes(const struct mail_part *p, const unsigned char *want, size_t n)
{
	return p->data != NULL && p->len == n && memcmp(p->data, want, n) == 0;
}

/* A fixture with one gzip report part holding report-sts.json.gz. */
static void
check_one_sts(const char *fixture, const char *type, const char *filename)
{
	struct mail_message m;
	struct error err;
	int rc;

	rc = parse_file(fixture, BOUND_PAYLOAD_MAX, &m, &err);
	is_int(rc, 0, "%s: parses (%s)", fixture, err.msg);
	is_int(m.nparts, 1, "%s: one report part", fixture);
	if (m.nparts >= 1) {
		ok(same_bytes(&m.parts[0], sts_gz, sts_gz_len),
		    "%s: the part is the gzip report, byte for byte", fixture);
		is_str(m.parts[0].content_type, type, "%s: media type",
		    fixture);
		is_str(m.parts[0].filename, filename, "%s: file name",
		    fixture);
	}
	mail_release(&m);
}

static void
test_sniff(void)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 0x08, 0x00 };
	static const unsigned char bin[] = { 0x00, 'a', ':', 'b' };

	ok(mail_sniff("Return-Path: <a@example.net>\n", 29), "sniff: header");
	ok(mail_sniff("X-Mox-Reason:x", 14), "sniff: header, no space");
	ok(mail_sniff("From a@example.net  Sat Mar  2 11:10:07 2024\n", 45),
	    "sniff: mbox From line");
	ok(!mail_sniff(gz, sizeof(gz)), "sniff: gzip is no message");
	ok(!mail_sniff("{\"organization-name\": \"x\"}", 26),
	    "sniff: JSON is no message");
	ok(!mail_sniff("  {\"a\": 1}", 10), "sniff: JSON after blanks");
	ok(!mail_sniff("[\"a\": 1]", 8), "sniff: JSON array");
	ok(!mail_sniff("Subject x\n", 10), "sniff: no colon");
	ok(!mail_sniff("Sub ject: x\n", 12), "sniff: space in the name");
	ok(!mail_sniff(" Subject: x\n", 12), "sniff: leading space");
	ok(!mail_sniff(": x\n", 4), "sniff: empty name");
	ok(!mail_sniff("Subject", 7), "sniff: cut before the colon");
	ok(!mail_sniff(bin, sizeof(bin)), "sniff: binary");
	ok(!mail_sniff("", 0), "sniff: empty");
	ok(!mail_sniff(NULL, 0), "sniff: NULL");
}

static void
test_not_a_message(void)
{
	static const unsigned char gz[] = { 0x1f, 0x8b, 0x08, 0x00, 0, 0 };
	static const char *inputs[] = {
		"",
		"{\"policies\": []}",
		"\n\nSubject: starts with blank lines\n\nbody\n",
		"From someone Sat Mar  2 11:10:07 2024",
		"From someone Sat Mar  2 11:10:07 2024\n{\"a\": 1}\n",
	};
	struct mail_message m;
	struct error err;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		error_clear(&err);
		rc = mail_parse(inputs[i], strlen(inputs[i]), 1024, &m, &err);
		is_int(rc, -1, "not a message %zu: -1", i);
		is_int(err.kind, ERR_INPUT, "not a message %zu: ERR_INPUT "
		    "(%s)", i, err.msg);
		ok(m.nparts == 0 && m.priv == NULL && m.subject == NULL,
		    "not a message %zu: nothing left to free", i);
	}
	error_clear(&err);
	rc = mail_parse(gz, sizeof(gz), 1024, &m, &err);
	is_int(rc, -1, "gzip bytes: -1");
	is_int(err.kind, ERR_INPUT, "gzip bytes: ERR_INPUT");
	ok(strstr(err.msg, "not a message") != NULL, "gzip bytes: says so: %s",
	    err.msg);
	mail_release(&m);
}

static void
test_google(void)
{
	struct mail_message m;
	struct error err;
	int rc;

	check_one_sts(FIXTURES "google-multipart.eml",
	    "application/tlsrpt+gzip", NAME_STS);
	rc = parse_file(FIXTURES "google-multipart.eml", BOUND_PAYLOAD_MAX,
	    &m, &err);
	is_int(rc, 0, "google: parses");
	is_str(m.message_id, "0000000000001a2b3c4d5e6f@example.net",
	    "google: Message-ID without <>");
	is_str(m.subject, "Report Domain: example.com Submitter: example.net "
	    "Report-ID: <2024.03.01T00.00.00Z+example.com@example.net>",
	    "google: subject");
	is_str(m.date, "Sat, 02 Mar 2024 03:10:06 -0800", "google: raw date");
	is_int(m.date_t, 1709377806, "google: date in Unix seconds");
	is_str(m.report_domain, "example.com", "google: TLS-Report-Domain");
	is_str(m.report_submitter, "example.net",
	    "google: TLS-Report-Submitter");
	is_str(m.from, "noreply-tlsrpt@example.net", "google: From address");
	mail_release(&m);
	mail_release(&m);
	ok(m.priv == NULL && m.nparts == 0, "release twice is safe");
}

static void
test_microsoft(void)
{
	struct mail_message m;
	struct error err;
	int rc;

	check_one_sts(FIXTURES "microsoft-html.eml", "application/tlsrpt+gzip",
	    "example.org!example.com!1709251200!1709337599!"
	    "133198585438131172.json.gz");
	rc = parse_file(FIXTURES "microsoft-html.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "microsoft: parses");
	is_str(m.subject, "Report Domain: example.com Submitter: example.org "
	    "Report-ID: 133198585438131172+example.com",
	    "microsoft: folded subject unfolded");
	is_str(m.from, "tlsrpt-noreply@example.org",
	    "microsoft: From in angle brackets only");
	is_int(m.date_t, 1709528962, "microsoft: date");
	mail_release(&m);
}

static void
test_line_ends(void)
{
	struct mail_message crlf, lf;
	struct error err;
	int rc;

	check_one_sts(FIXTURES "crlf.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	check_one_sts(FIXTURES "lf-only.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	rc = parse_file(FIXTURES "crlf.eml", BOUND_PAYLOAD_MAX, &crlf, &err);
	is_int(rc, 0, "crlf: parses");
	rc = parse_file(FIXTURES "lf-only.eml", BOUND_PAYLOAD_MAX, &lf, &err);
	is_int(rc, 0, "lf: parses");
	is_str(crlf.subject, lf.subject, "crlf and lf: same subject");
	is_str(crlf.date, lf.date, "crlf and lf: same date");
	is_str(crlf.report_domain, lf.report_domain,
	    "crlf and lf: same report domain");
	is_str(crlf.message_id, lf.message_id, "crlf and lf: same id");
	mail_release(&crlf);
	mail_release(&lf);

	check_one_sts(FIXTURES "mbox-from.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	rc = parse_file(FIXTURES "mbox-from.eml", BOUND_PAYLOAD_MAX, &lf,
	    &err);
	is_str(lf.report_domain, "example.com",
	    "mbox: headers after the From line");
	mail_release(&lf);
}

static void
test_folded(void)
{
	struct mail_message m;
	struct error err;
	int rc;

	check_one_sts(FIXTURES "folded-headers.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	rc = parse_file(FIXTURES "folded-headers.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "folded: parses");
	is_str(m.report_domain, "example.com", "folded: TLS-Report-Domain");
	is_str(m.report_submitter, "example.net",
	    "folded: TLS-Report-Submitter");
	is_str(m.message_id, "folded.1@example.net", "folded: Message-ID");
	is_str(m.from, "noreply-tlsrpt@example.net", "folded: From");
	is_int(m.date_t, 1709377806, "folded: Date");
	is_str(m.subject, "Report Domain: example.com Submitter: example.net "
	    "Report-ID: <2024.03.01T00.00.00Z+example.com@example.net>",
	    "folded: subject unfolded, blanks around the folds squeezed");
	mail_release(&m);
}

static void
test_shapes(void)
{
	struct mail_message m;
	struct error err;
	int rc;

	check_one_sts(FIXTURES "missing-boundary.eml",
	    "application/tlsrpt+gzip", NAME_STS);
	check_one_sts(FIXTURES "single-part.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	check_one_sts(FIXTURES "forwarded.eml", "application/tlsrpt+gzip",
	    NAME_STS);
	check_one_sts(FIXTURES "octet-stream-name.eml",
	    "application/octet-stream", NAME_STS);
	check_one_sts(FIXTURES "sniff-gzip.eml", "application/octet-stream",
	    NULL);

	rc = parse_file(FIXTURES "forwarded.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_str(m.subject, "Fwd: Report Domain: example.com Submitter: "
	    "example.net", "forwarded: the outer subject");
	is_str(m.report_domain, NULL,
	    "forwarded: the outer message has no TLS-Report-Domain");
	mail_release(&m);

	rc = parse_file(FIXTURES "qp-json.eml", BOUND_PAYLOAD_MAX, &m, &err);
	is_int(rc, 0, "qp-json: parses (%s)", err.msg);
	is_int(m.nparts, 1, "qp-json: one report part");
	if (m.nparts == 1) {
		/* The line end before a boundary belongs to the boundary. */
		ok(same_bytes(&m.parts[0], tlsa_json, tlsa_json_len - 1),
		    "qp-json: quoted-printable decoded to the JSON exactly");
		is_str(m.parts[0].content_type, "application/tlsrpt+json",
		    "qp-json: media type");
		is_str(m.parts[0].filename, NAME_TLSA, "qp-json: file name");
	}
	is_int(m.date_t, 1709614800, "qp-json: date with +0100");
	is_str(m.from, "tlsrpt@example.org", "qp-json: From with a name");
	mail_release(&m);

	rc = parse_file(FIXTURES "text-only.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "text-only: a message");
	is_int(m.nparts, 0, "text-only: no report part (text/plain is never "
	    "sniffed)");
	is_str(m.subject, "question about our TLS reports", "text-only: "
	    "subject");
	is_str(m.report_domain, NULL, "text-only: no TLS-Report-Domain");
	mail_release(&m);

	rc = parse_file(FIXTURES "two-reports.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "two-reports: parses");
	is_int(m.nparts, 2, "two-reports: two report parts");
	if (m.nparts == 2) {
		ok(same_bytes(&m.parts[0], sts_gz, sts_gz_len),
		    "two-reports: first is the gzip report");
		is_str(m.parts[1].content_type, "application/tlsrpt+json",
		    "two-reports: media type in lower case");
		/* The line end before a boundary belongs to the boundary. */
		ok(same_bytes(&m.parts[1], tlsa_json, tlsa_json_len - 1),
		    "two-reports: second is the 7bit JSON report");
		ok(m.parts[1].data[m.parts[1].len] == '\0',
		    "two-reports: data is NUL-terminated past len");
	}
	mail_release(&m);
}

static void
test_limits(void)
{
	struct mail_message m;
	struct error err;
	char limit[64];
	int rc;

	rc = parse_file(FIXTURES "google-multipart.eml", sts_gz_len, &m,
	    &err);
	is_int(rc, 0, "limit: a part of exactly the limit is taken");
	mail_release(&m);

	rc = parse_file(FIXTURES "google-multipart.eml", sts_gz_len - 1, &m,
	    &err);
	is_int(rc, -1, "limit: one byte over fails");
	is_int(err.kind, ERR_TOO_BIG, "limit: ERR_TOO_BIG");
	ok(strstr(err.msg, NAME_STS) != NULL, "limit: names the part: %s",
	    err.msg);
	snprintf(limit, sizeof(limit), "%zu bytes", sts_gz_len - 1);
	ok(strstr(err.msg, limit) != NULL, "limit: names the limit (%s)",
	    limit);
	ok(m.nparts == 0 && m.priv == NULL && m.subject == NULL,
	    "limit: nothing left to free after a failure");

	rc = parse_file(FIXTURES "qp-json.eml", 100, &m, &err);
	is_int(rc, -1, "limit: quoted-printable part over 100 bytes");
	is_int(err.kind, ERR_TOO_BIG, "limit: ERR_TOO_BIG for JSON too");

	rc = parse_file(FIXTURES "sniff-gzip.eml", 10, &m, &err);
	is_int(rc, -1, "limit: a sniffed part over the limit");
	ok(err.kind == ERR_TOO_BIG && strstr(err.msg, "application/"
	    "octet-stream") != NULL, "limit: names the part by type: %s",
	    err.msg);

	rc = parse_file(FIXTURES "text-only.eml", 1, &m, &err);
	is_int(rc, 0, "limit: text parts are not decoded, so no limit");
	mail_release(&m);
}

/* mail_dkim_verify() on m: the verified domain, or "-" and the reason. */
static const char *
dkim_of(struct mail_message *m, const char *authserv_id, struct error *err)
{
	static char domain[256];

	error_clear(err);
	if (mail_dkim_verify(m, authserv_id, domain, sizeof(domain), err) < 0)
		return "-";
	return domain;
}

static void
test_dkim(void)
{
	struct mail_message m;
	struct error err;
	int rc;

	rc = parse_file(FIXTURES "dkim-pass.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "dkim-pass: parses");
	is_int(m.nparts, 1, "dkim-pass: one report part");
	is_str(dkim_of(&m, "mx.example.com", &err), "example.net",
	    "dkim: the topmost header of our host says pass for From:");
	is_str(dkim_of(&m, "MX.Example.COM", &err), "example.net",
	    "dkim: authserv-id in any case");
	is_str(dkim_of(&m, "mx.attacker.example", &err), "-",
	    "dkim: another host's pass is for a domain not the From:");
	ok(strstr(err.msg, "evil.example, which is not the From: domain "
	    "example.net") != NULL, "dkim: ... and the reason says so: %s",
	    err.msg);
	is_str(dkim_of(&m, "mx.example", &err), "-",
	    "dkim: authserv-id compared whole");
	ok(strstr(err.msg, "no Authentication-Results header of "
	    "mx.example") != NULL, "dkim: no header of ours: %s", err.msg);
	mail_release(&m);
	is_str(dkim_of(&m, "mx.example.com", &err), "-",
	    "dkim: released message");

	rc = parse_file(FIXTURES "dkim-wrong-authserv.eml", BOUND_PAYLOAD_MAX,
	    &m, &err);
	is_int(rc, 0, "dkim-wrong-authserv: parses");
	is_str(dkim_of(&m, "mx.example.com", &err), "-",
	    "dkim: no pass from our host (others and look-alikes ignored)");
	ok(strstr(err.msg, "has no dkim=pass (dkim=none)") != NULL,
	    "dkim: the reason names the result: %s", err.msg);
	is_str(dkim_of(&m, "relay.example.org", &err), "example.net",
	    "dkim: the relay's own header does say pass");
	mail_release(&m);

	/* The forgery: our host's top header says fail; a header of our
	 * host below it, written by the sender, says pass for the sender's
	 * own domain, also named in TLS-Report-Submitter. */
	rc = parse_file(FIXTURES "dkim-forged.eml", BOUND_PAYLOAD_MAX, &m,
	    &err);
	is_int(rc, 0, "dkim-forged: parses");
	is_str(dkim_of(&m, "mx.example.com", &err), "-",
	    "dkim: a pass below the topmost header of our host is ignored");
	ok(strstr(err.msg, "topmost Authentication-Results header of "
	    "mx.example.com has no dkim=pass (dkim=fail)") != NULL,
	    "dkim: the reason names the topmost header: %s", err.msg);
	mail_release(&m);

	rc = parse_file(FIXTURES "dkim-other-signer.eml", BOUND_PAYLOAD_MAX,
	    &m, &err);
	is_int(rc, 0, "dkim-other-signer: parses");
	is_str(dkim_of(&m, "mx.example.com", &err), "-",
	    "dkim: a pass for a domain that is not the From: one is no pass");
	ok(strstr(err.msg, "is for evil.example, which is not the From: "
	    "domain google.com nor a parent of it") != NULL,
	    "dkim: the reason names both domains: %s", err.msg);
	mail_release(&m);
}

/* Why the last dkim_inline() gave "-" ("" when it did not). */
static char dkim_error[ERROR_MSG_MAX];

/*
 * One message of headers only, with an Authentication-Results value and
 * a From: address: the verified domain, or "-" (why: dkim_error).
 */
static const char *
dkim_inline(const char *ar, const char *from)
{
	static char domain[256];
	struct mail_message m;
	struct error err;
	char msg[2048];
	int n, rc;

	dkim_error[0] = '\0';
	n = snprintf(msg, sizeof(msg), "Authentication-Results: %s\n"
	    "From: %s\nSubject: t\n\nbody\n", ar, from);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return "(too long)";
	if (mail_parse(msg, (size_t)n, 1024, &m, &err) == -1)
		return "(no message)";
	rc = mail_dkim_verify(&m, "mx.example.com", domain, sizeof(domain),
	    &err);
	if (rc < 0)
		fmt_cut(dkim_error, sizeof(dkim_error), "%s", err.msg);
	mail_release(&m);
	return rc == 0 ? domain : "-";
}

static void
test_dkim_inline(void)
{
	const char *net = "a@example.net";

	is_str(dkim_inline("mx.example.com; dkim=pass header.d=example.net",
	    "r@reports.example.net"), "example.net",
	    "ar: the signer is a parent of the From: domain");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=Example.NET.",
	    "r@EXAMPLE.net"), "example.net", "ar: any case, trailing dot");
	is_str(dkim_inline("mx.example.com; dkim=pass "
	    "header.d=reports.example.net", net), "-",
	    "ar: a signer below the From: domain does not cover it");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=badexample.net",
	    "a@example.net"), "-", "ar: not a name that merely ends the same");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=example.net",
	    "a@badexample.net"), "-", "ar: nor the other way round");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=example.net",
	    "nobody"), "-", "ar: a From: without a domain");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=example.net",
	    "a@ex!ample.net"), "-", "ar: a From: domain that is no DNS name");
	ok(strcmp(dkim_error, "DKIM: the domain of the From: address: "
	    "\"ex!ample.net\" is not a DNS name: the character '!' "
	    "(only letters, digits, '-' and '_')") == 0,
	    "ar: ... and the reason says what is wrong with it: %s",
	    dkim_error);
	is_str(dkim_inline("mx.example.com; dkim=pass (signature verified) "
	    "header.i=@example.net", net), "example.net",
	    "ar: header.i with @ when there is no header.d");
	is_str(dkim_inline("mx.example.com; dkim=pass "
	    "header.i=reports@sub.example.net", net), "-",
	    "ar: header.i of a subdomain does not cover the parent");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=evil.example "
	    "header.i=@example.net", net), "-",
	    "ar: header.d wins over header.i");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=evil.example; "
	    "dkim=pass header.d=example.net", net), "example.net",
	    "ar: the pass for the From: domain among several");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=\"example.net\"",
	    net), "example.net", "ar: quoted value");
	is_str(dkim_inline("mx.example.com; dkim = pass header.d = example.net",
	    net), "example.net", "ar: spaces around =");
	is_str(dkim_inline("mx.example.com;dkim=pass header.d=example.net;"
	    "spf=pass", net), "example.net", "ar: no spaces at all");
	is_str(dkim_inline("(leading comment) mx.example.com (c) 1 ; "
	    "DKIM=Pass header.D=example.net", net), "example.net",
	    "ar: comments, version, any case");
	is_str(dkim_inline("mx.example.com; dkim=fail (would be dkim=pass "
	    "header.d=example.net) header.d=example.net", net), "-",
	    "ar: a pass in a comment is no pass");
	is_str(dkim_inline("mx.example.com; dkim=pass header.b=abc; "
	    "spf=pass header.d=example.net", net), "-",
	    "ar: header.d of another method does not count");
	is_str(dkim_inline("mx.example.com; dkim=pass", net), "-",
	    "ar: pass without a signer");
	is_str(dkim_inline("mx.example.com; dkim=passed header.d=example.net",
	    net), "-", "ar: result compared whole");
	is_str(dkim_inline("mx.example.com; dkim=pass header.d=com",
	    "a@example.com"), "-", "ar: a top-level signer never covers");
	is_str(dkim_inline("mx.example.com; none", net), "-",
	    "ar: no result");
	is_str(dkim_inline("mx.example.com; arc=pass; dkim=pass (a (nested) "
	    "comment) header.b=\"x(y;z\" header.d=example.net", net),
	    "example.net", "ar: nested comment, '(' and ';' in a quoted string");
	is_str(dkim_inline("mx.example.com; dkim=pass (unclosed comment "
	    "header.d=example.net", net), "-",
	    "ar: an unclosed comment swallows the rest");
}

/* Every real sender's email of the shared samples holds one report. */
static void
test_samples(void)
{
	struct mail_message m;
	struct error err;
	struct dirent *de;
	DIR *dir;
	char path[1024];
	size_t n, count = 0;
	int rc;

	if ((dir = opendir(SAMPLES)) == NULL) {
		tap_skip("samples: " SAMPLES " is not there");
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 4, ".eml") != 0)
			continue;
		rc = snprintf(path, sizeof(path), "%s/%s", SAMPLES,
		    de->d_name);
		if (rc < 0 || (size_t)rc >= sizeof(path))
			continue;
		count++;
		rc = parse_file(path, BOUND_PAYLOAD_MAX, &m, &err);
		is_int(rc, 0, "sample %s: parses (%s)", de->d_name, err.msg);
		is_int(m.nparts, 1, "sample %s: one report part", de->d_name);
		ok(m.nparts == 1 && m.parts[0].len > 2 &&
		    m.parts[0].data[0] == 0x1f && m.parts[0].data[1] == 0x8b,
		    "sample %s: the part is gzip", de->d_name);
		ok(m.report_domain != NULL && m.report_submitter != NULL &&
		    m.message_id != NULL && m.date_t > 0,
		    "sample %s: headers read", de->d_name);
		mail_release(&m);
	}
	closedir(dir);
	ok(count > 0, "samples: %zu emails read", count);
}

int
main(void)
{
	struct mail_message zero;

	mail_init();
	mail_init();
	sts_gz = slurp(FIXTURES "report-sts.json.gz", &sts_gz_len);
	tlsa_json = slurp(FIXTURES "report-tlsa.json", &tlsa_json_len);
	ok(sts_gz != NULL && tlsa_json != NULL, "fixtures found (run from "
	    "the project root)");
	if (sts_gz == NULL || tlsa_json == NULL)
		return tap_done();

	memset(&zero, 0, sizeof(zero));
	mail_release(&zero);
	ok(1, "release of a zeroed message is safe");

	test_sniff();
	test_not_a_message();
	test_google();
	test_microsoft();
	test_line_ends();
	test_folded();
	test_shapes();
	test_limits();
	test_dkim();
	test_dkim_inline();
	test_samples();

	free(sts_gz);
	free(tlsa_json);
	return tap_done();
}
