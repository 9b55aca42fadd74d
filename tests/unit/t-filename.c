/* t-filename: the RFC 8460 section 5.1 report file name. */
#include <string.h>

#include "filename.h"
#include "tap.h"

static const char *rejected[] = {
	"",
	".json",
	"report.json",
	"report.json.gz",
	"example.net!example.com!1709251200.json",		/* 3 fields */
	"a!b!1!2!3!4.json",					/* 6 fields */
	"example.net!example.com!1709251200!1709337599!001.zip",
	"example.net!example.com!1709251200!1709337599!001.gz",
	"example.net!example.com!1709251200!1709337599!001.json.gz.txt",
	"example.net!example.com!1709251200!1709337599",	/* no ext */
	"!example.com!1709251200!1709337599.json",		/* receiver */
	"example.net!!1709251200!1709337599.json",		/* domain */
	"example.net!.!1709251200!1709337599.json",
	"example.net!example..com!1709251200!1709337599.json",
	"example.net!.example.com!1709251200!1709337599.json",
	"exa mple.net!example.com!1709251200!1709337599.json",
	"dir/example.net!example.com!1709251200!1709337599.json",
	"example.net!example.com!!1709337599.json",		/* begin */
	"example.net!example.com!-1!1709337599.json",
	"example.net!example.com!+1709251200!1709337599.json",
	"example.net!example.com!17092512OO!1709337599.json",
	"example.net!example.com!0x1000!1709337599.json",
	"example.net!example.com! 1709251200!1709337599.json",
	"example.net!example.com!1709251200!1709337599 .json",
	"example.net!example.com!1709251200!99999999999999999999.json",
	"example.net!example.com!1709251200!253402300800.json",	/* > 9999 */
	"example.net!example.com!1709337599!1709251200.json",	/* begin > end */
	"example.net!example.com!1709251200!1709337599!.json",	/* empty id */
	"example.net!example.com!1709251200!1709337599!a/b.json",
	"example.net!example.com!1709251200!1709337599!a b.json",
};

int
main(void)
{
	struct report_filename f;
	char name[1024], big[600];
	size_t i;

	ok(report_filename_parse(
	    "mail.receiver.example!example.com!1470013207!1470186007!001.json.gz",
	    &f) == 0, "the RFC 8460 example parses");
	is_str(f.receiver, "mail.receiver.example", "receiver");
	is_str(f.policy_domain, "example.com", "policy domain");
	is_int(f.begin, 1470013207, "begin");
	is_int(f.end, 1470186007, "end");
	is_str(f.unique_id, "001", "unique id");
	is_str(f.extension, "json.gz", "extension json.gz");

	ok(report_filename_parse(
	    "example.net!example.com!1709251200!1709337599.json", &f) == 0,
	    "four fields and .json parse");
	is_str(f.unique_id, "", "no unique id is empty");
	is_str(f.extension, "json", "extension json");

	ok(report_filename_parse(
	    "Example.NET.!EXAMPLE.Com.!1709251200!1709337599!X1.JSON.GZ",
	    &f) == 0, "upper case and trailing dots parse");
	is_str(f.receiver, "example.net", "receiver lower case, no dot");
	is_str(f.policy_domain, "example.com", "domain lower case, no dot");
	is_str(f.unique_id, "X1", "unique id kept as it is");
	is_str(f.extension, "json.gz", "extension lower case");

	ok(report_filename_parse(
	    "microsoft.com!example.com!1673308800!1673395199!"
	    "133198585438131172.json.gz", &f) == 0, "a Microsoft name parses");
	is_str(f.unique_id, "133198585438131172", "long numeric unique id");

	ok(report_filename_parse("a.example!b.example!5!5.json", &f) == 0,
	    "begin equal to end parses");
	ok(report_filename_parse("a.example!b.example!0!0.json", &f) == 0,
	    "timestamp 0 parses");
	ok(report_filename_parse(
	    "example.net!example.com!1709251200!1709337599!a.b-c_d.json",
	    &f) == 0, "unique id with '.', '-' and '_' parses");
	is_str(f.unique_id, "a.b-c_d", "unique id with dots");

	for (i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++)
		ok(report_filename_parse(rejected[i], &f) == -1,
		    "rejected: \"%s\"", rejected[i]);

	/* Fields longer than the struct's buffers. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(name, sizeof(name), "%s!example.com!1!2.json", big);
	ok(report_filename_parse(name, &f) == -1, "receiver too long");
	snprintf(name, sizeof(name), "example.net!%s!1!2.json", big);
	ok(report_filename_parse(name, &f) == -1, "policy domain too long");
	snprintf(name, sizeof(name), "example.net!example.com!1!2!%.*s.json",
	    (int)sizeof(f.unique_id), big);
	ok(report_filename_parse(name, &f) == -1, "unique id too long");
	snprintf(name, sizeof(name), "example.net!example.com!1!2!%.*s.json",
	    (int)sizeof(f.unique_id) - 1, big);
	ok(report_filename_parse(name, &f) == 0, "unique id of 127 fits");
	ok(report_filename_parse(NULL, &f) == -1, "NULL is rejected");

	return tap_done();
}
