/* t-dnsname: the one normal form of a domain name from outside. */
#include <string.h>

#include "dnsname.h"
#include "tap.h"

/* A name of n octets: labels of 63, then the rest, then ".example". */
static void
name_of(size_t n, char *out)
{
	size_t o = 0, i;

	for (i = 0; i < 3; i++) {
		memset(out + o, 'x', 63);
		o += 63;
		out[o++] = '.';
	}
	memset(out + o, 'y', n - o - 8);
	o = n - 8;
	memcpy(out + o, ".example", 9);
}

static const struct {
	const char *in, *want;
} good[] = {
	{ "example.com", "example.com" },
	{ "Example.COM.", "example.com" },
	{ "mx_1.mail_relay.example", "mx_1.mail_relay.example" },
	{ "_mta-sts.example.com", "_mta-sts.example.com" },
	/* DNS names IDNA would refuse stay as they are. */
	{ "r1---sn-ab5l6n7s.example", "r1---sn-ab5l6n7s.example" },
	{ "-a.example", "-a.example" },
	{ "192.0.2.1", "192.0.2.1" },
	{ "bücher.example", "xn--bcher-kva.example" },
	{ "MX1.BÜCHER.Example.", "mx1.xn--bcher-kva.example" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	/* Non-transitional (IDNA2008): sharp s is not "ss". */
	{ "straße.de", "xn--strae-oqa.de" },
	/* The UTS #46 mapping: full-width letters, an ideographic stop. */
	{ "\xef\xbd\x85\xef\xbd\x98.com", "ex.com" },
	{ "bücher\xe3\x80\x82" "example", "xn--bcher-kva.example" },
};

static const struct {
	const char *in, *msg;
} bad[] = {
	{ "", "\"\" is not a DNS name: empty" },
	{ ".", "\".\" is not a DNS name: empty" },
	{ "example..com", "\"example..com\" is not a DNS name: an empty label" },
	{ ".example.com", "\".example.com\" is not a DNS name: an empty label" },
	{ "example.com..", "\"example.com..\" is not a DNS name: an empty "
	    "label" },
	{ "*.example.com", "\"*.example.com\" is not a DNS name: the "
	    "character '*' (only letters, digits, '-' and '_')" },
	{ "a b.example", "\"a b.example\" is not a DNS name: the byte 0x20 "
	    "(only letters, digits, '-' and '_')" },
	/* Control characters and bytes that are not UTF-8 are shown
	 * escaped: the message goes into logs and JSON. */
	{ "a\tb.example", "\"a\\x09b.example\" is not a DNS name: the byte "
	    "0x09 (only letters, digits, '-' and '_')" },
	{ "a\"b.example", "\"a\\x22b.example\" is not a DNS name: the "
	    "character '\"' (only letters, digits, '-' and '_')" },
	{ "\xff.example", "\"\\xff.example\" is not a DNS name: the label "
	    "\"\\xff\": string encoding error" },
	{ "mail\xf0\x9f\x98\x80.example", "\"mail\xf0\x9f\x98\x80.example\" "
	    "is not a DNS name: the label \"mail\xf0\x9f\x98\x80\": string "
	    "contains a disallowed character" },
	{ "xn--bcher-kva.\xc3\xa9\xc3\xa9--x.example", NULL },
};

int
main(void)
{
	char out[BOUND_DNS_NAME + 1], name[BOUND_DNS_TEXT + 2];
	struct error err;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		error_clear(&err);
		ok(dnsname_normalise(good[i].in, out, &err) == 0, "\"%s\": %s",
		    good[i].in, err.msg);
		is_str(out, good[i].want, "\"%s\" normalised", good[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear(&err);
		ok(dnsname_normalise(bad[i].in, out, &err) == -1 &&
		    err.kind == ERR_INPUT, "\"%s\" refused", bad[i].in);
		if (bad[i].msg)
			is_str(err.msg, bad[i].msg, "\"%s\": the message",
			    bad[i].in);
	}

	/* The limits: 63 octets a label, 253 in all (without the dot). */
	memset(name, 'a', 63);
	memcpy(name + 63, ".example", 9);
	ok(dnsname_normalise(name, out, &err) == 0, "a label of 63 octets");
	memset(name, 'a', 64);
	memcpy(name + 64, ".example", 9);
	ok(dnsname_normalise(name, out, &err) == -1 &&
	    strstr(err.msg, "a label of 64 octets (at most 63)") != NULL,
	    "a label of 64 octets: %s", err.msg);
	ok(strstr(err.msg, "aaaa...\" is not") != NULL,
	    "a long name is cut in the message");
	name_of(253, name);
	ok(dnsname_normalise(name, out, &err) == 0 && strlen(out) == 253,
	    "a name of 253 octets");
	memcpy(name + 253, ".", 2);
	ok(dnsname_normalise(name, out, &err) == 0 && strlen(out) == 253,
	    "a name of 253 octets and the root's dot");
	name_of(254, name);
	ok(dnsname_normalise(name, out, &err) == -1 &&
	    strstr(err.msg, "longer than 253 octets") != NULL,
	    "a name of 254 octets: %s", err.msg);
	/* A U-label of 61 characters whose A-label has 68 octets. */
	memcpy(name, "x.", 2);
	for (i = 0; i < 60; i++)
		memcpy(name + 2 + 2 * i, "\xc3\xbc", 2);
	memcpy(name + 122, "q.example", 10);
	error_clear(&err);
	ok(dnsname_normalise(name, out, &err) == -1 && err.kind == ERR_INPUT,
	    "a U-label whose A-label is over 63 octets: %s", err.msg);
	memset(name, 'a', BOUND_DNS_TEXT + 1);
	name[BOUND_DNS_TEXT + 1] = '\0';
	ok(dnsname_normalise(name, out, &err) == -1 &&
	    strstr(err.msg, "longer than 1024 bytes") != NULL,
	    "a name longer than any conversion could shorten: %s", err.msg);
	return tap_done();
}
