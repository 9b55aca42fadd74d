/* Unit tests: policy (STS lines, RFC 8461 4.1 mx matching). */
#include <stdlib.h>

#include "policy.h"
#include "tap.h"

int
main(void)
{
	struct sts_policy p;
	struct error err;
	char dom[32] = "Example.COM.";

	sts_policy_init(&p);
	ok(sts_policy_add_line(&p, "version: STSv1", &err) == 0, "version");
	sts_policy_add_line(&p, "  Mode :  Enforce ", &err);
	sts_policy_add_line(&p, "mx: *.Example.net.", &err);
	sts_policy_add_line(&p, "mx: mx1.example.org", &err);
	sts_policy_add_line(&p, "max_age: 604800", &err);
	sts_policy_add_line(&p, "nonsense line", &err);
	sts_policy_add_line(&p, "unknown: key", &err);
	is_str(p.version, "STSv1", "version kept");
	is_str(p.mode, "enforce", "mode lower case, trimmed");
	is_int(p.nmx, 2, "two mx patterns");
	is_str(p.mx[0], "*.example.net", "pattern normalised");
	is_int(p.max_age, 604800, "max_age");
	sts_policy_release(&p);

	sts_policy_init(&p);
	sts_policy_add_line(&p, "version: STSv1\r\nmode: testing\nmx: a.b\n"
	    "max_age: 12x", &err);
	is_str(p.mode, "testing", "a whole policy file in one string");
	is_int(p.nmx, 1, "its mx");
	is_int(p.max_age, -1, "a bad max_age is absent");
	sts_policy_release(&p);

	ok(sts_mx_match("*.example.net", "mx1.example.net"), "wildcard, one "
	    "label");
	ok(!sts_mx_match("*.example.net", "a.mx1.example.net"), "wildcard is "
	    "one label only");
	ok(!sts_mx_match("*.example.net", "example.net"), "wildcard needs a "
	    "label");
	ok(!sts_mx_match("*.example.net", ".example.net"), "empty label");
	ok(sts_mx_match("*.example.net", "MX1.Example.NET."), "case and "
	    "trailing dot");
	ok(sts_mx_match("mx1.example.net", "mx1.example.net."), "exact");
	ok(!sts_mx_match("mx1.example.net", "mx2.example.net"), "exact "
	    "differs");
	ok(!sts_mx_match("mx1.example.net", "xmx1.example.net"), "no suffix "
	    "match");
	ok(!sts_mx_match("*.example.net", "mx1.xexample.net"), "wildcard "
	    "suffix on a label boundary");
	ok(!sts_mx_match("", "mx1.example.net"), "empty pattern");
	is_str(domain_normalise(dom), "example.com", "domain_normalise");
	return tap_done();
}
