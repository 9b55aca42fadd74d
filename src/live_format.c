/* live_format: the text view of a live object (live_print_text). */
#include <stdio.h>
#include <string.h>

#include "live.h"
#include "banned.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void
live_print_text(FILE *f, const json_t *live)
{
	const json_t *checks = json_object_get(live, "checks"), *c, *e;
	const json_t *findings = json_object_get(live, "findings");
	size_t i;

	fprintf(f, "%s: live checks %s\n", str(live, "domain"),
	    strcmp(str(live, "status"), "ok") == 0 ? "passed" :
	    str(live, "status"));
	json_array_foreach(findings, i, e)
		fprintf(f, "  %-8s %s: %s\n", str(e, "kind"), str(e, "code"),
		    str(e, "message"));

	c = json_object_get(checks, "mx");
	fprintf(f, "  mx:            ");
	json_array_foreach(json_object_get(c, "hosts"), i, e)
		fprintf(f, "%s%s (%lld)", i ? ", " : "", str(e, "host"),
		    (long long)json_integer_value(json_object_get(e,
		    "preference")));
	fprintf(f, "%sDNSSEC %s\n", json_array_size(json_object_get(c,
	    "hosts")) ? "; " : "", str(c, "dnssec"));
	c = json_object_get(checks, "sts_record");
	fprintf(f, "  _mta-sts:      %s%s%s\n", str(c, "status"),
	    json_object_get(c, "id") ? ", id " : "", str(c, "id"));
	c = json_object_get(checks, "tlsrpt_record");
	fprintf(f, "  _smtp._tls:    %s", str(c, "status"));
	json_array_foreach(json_object_get(c, "rua"), i, e)
		fprintf(f, "%s%s", i ? ", " : ", rua ", json_string_value(e));
	fputc('\n', f);
	c = json_object_get(checks, "policy");
	fprintf(f, "  policy:        %s, %s", str(c, "status"), str(c, "url"));
	if (json_object_get(c, "http_status"))
		fprintf(f, " (%lld)", (long long)json_integer_value(
		    json_object_get(c, "http_status")));
	if (json_object_get(c, "mode"))
		fprintf(f, ", mode %s, max_age %lld", str(c, "mode"),
		    (long long)json_integer_value(json_object_get(c,
		    "max_age")));
	fputc('\n', f);
	json_array_foreach(json_object_get(checks, "mx_in_policy"), i, e)
		fprintf(f, "  mx in policy:  %s %s %s\n", str(e, "host"),
		    json_object_get(e, "matched_by") ? "matches" : "matches no "
		    "pattern", str(e, "matched_by"));
	json_array_foreach(json_object_get(checks, "smtp"), i, e) {
		const json_t *cert = json_object_get(e, "certificate");

		fprintf(f, "  smtp:          %s %s: %s", str(e, "mx"),
		    str(e, "address"), str(e, "status"));
		if (json_is_true(json_object_get(e, "tls")))
			fprintf(f, ", %s", str(e, "tls_version"));
		if (cert)
			fprintf(f, ", certificate %s until %s",
			    str(cert, "verify"), str(cert, "not_after"));
		else if (json_object_get(e, "error"))
			fprintf(f, ", %s", str(e, "error"));
		fputc('\n', f);
	}
	if (json_is_true(json_object_get(checks, "smtp_skipped")))
		fprintf(f, "  smtp:          not probed (--no-smtp)\n");
}
