/* Unit tests of live_policy: the _mta-sts and _smtp._tls records and the
 * strict policy parser (RFC 8461 3.1, 3.2; RFC 8460 3). */
#include <stdlib.h>
#include <string.h>

#include "live_policy.h"
#include "tap.h"

static enum live_record
sts(const char *txt, char *id)
{
	char why[128];

	return live_sts_record(txt, id, why, sizeof(why));
}

static size_t
problems(const char *body, json_t **lines)
{
	struct sts_policy p;
	struct error err;
	json_t *pr = json_array();
	size_t n;

	*lines = json_array();
	sts_policy_init(&p);
	live_policy_parse(body, strlen(body), &p, *lines, pr, &err);
	n = json_array_size(pr);
	json_decref(pr);
	sts_policy_release(&p);
	return n;
}

int
main(void)
{
	char id[STS_ID_MAX + 1], why[128], norm[128];
	json_t *rua = json_array(), *lines;

	is_int(sts("v=STSv1; id=20240101;", id), LIVE_RECORD_VALID, "valid");
	is_str(id, "20240101", "the id");
	is_int(sts("v=STSv1;id=abc; ext=1", id), LIVE_RECORD_VALID,
	    "extensions and no spaces");
	is_int(sts("v=STSv1", id), LIVE_RECORD_INVALID, "no id");
	is_int(sts("v=STSv1; id=a-b", id), LIVE_RECORD_INVALID, "id with -");
	is_int(sts("v=STSv1; id=123456789012345678901234567890123", id),
	    LIVE_RECORD_INVALID, "id of 33 characters");
	is_int(sts("v=spf1 -all", id), LIVE_RECORD_OTHER, "another record");
	is_int(sts("v=STSv10; id=1", id), LIVE_RECORD_OTHER, "v=STSv10");

	is_int(live_tlsrpt_record("v=TLSRPTv1; rua=mailto:a@b.test, "
	    "https://r.test/x", rua, why, sizeof(why)), LIVE_RECORD_VALID,
	    "TLS-RPT with two rua");
	is_int(json_array_size(rua), 2, "both addresses");
	json_array_clear(rua);
	is_int(live_tlsrpt_record("v=TLSRPTv1; rua=ftp://x", rua, why,
	    sizeof(why)), LIVE_RECORD_INVALID, "ftp rua");
	json_array_clear(rua);
	is_int(live_tlsrpt_record("v=TLSRPTv1;", rua, why, sizeof(why)),
	    LIVE_RECORD_INVALID, "no rua");
	json_decref(rua);

	live_policy_line_norm("  MX :  mx1.example.test \r", 26, norm,
	    sizeof(norm));
	is_str(norm, "mx: mx1.example.test", "a line normalised");

	is_int(problems("version: STSv1\r\nmode: testing\r\nmx: *.a.test\r\n"
	    "max_age: 86400\r\n", &lines), 0, "a good policy, CRLF");
	is_int(json_array_size(lines), 4, "its four lines");
	json_decref(lines);
	is_int(problems("version: STSv1\nmode: none\nmax_age: 0\n", &lines),
	    0, "mode none needs no mx");
	json_decref(lines);
	is_int(problems("version: STSv1\nmode: testing\nmax_age: 86400\n",
	    &lines), 1, "testing without mx");
	json_decref(lines);
	is_int(problems("version: STSv1\nmode: testing\nmx: a..test\n"
	    "max_age: 31557601\nmode: enforce\n", &lines), 3,
	    "bad mx, max_age too large, mode twice");
	json_decref(lines);
	is_int(problems("<html>not a policy</html>", &lines), 5,
	    "an HTML page");
	json_decref(lines);
	return tap_done();
}
