/* Unit tests: rfc3339. */
#include "rfc3339.h"
#include "tap.h"

static void
parses(const char *s, const char *want)
{
	char out[RFC3339_LEN];
	int64_t t = 0;

	ok(rfc3339_parse(s, &t) == 0, "parse \"%s\"", s);
	rfc3339_format(t, out);
	is_str(out, want, "\"%s\" is %s", s, want);
}

int
main(void)
{
	static const char *bad[] = { "", "yesterday", "2026-13-01T00:00:00Z",
	    "2026-02-29T00:00:00Z", "2026-02-01T25:00:00Z",
	    "2026-02-01T00:00:00Q", "2026-02-01T00:00:00+2", "1969-12-31",
	    "2026-02-01T00:60:00Z", "2026-02-01T24:00:01Z", "20260201" };
	int64_t t;
	size_t i;

	parses("2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z");
	parses("2026-03-01T23:59:59", "2026-03-01T23:59:59Z");
	parses("2026-03-01t10:00:00z", "2026-03-01T10:00:00Z");
	parses("2026-03-01 10:00:00", "2026-03-01T10:00:00Z");
	parses("2026-03-01T02:00:00+02:00", "2026-03-01T00:00:00Z");
	parses("2026-03-01T00:00:00-0130", "2026-03-01T01:30:00Z");
	parses("2026-03-01T00:00:00.123456Z", "2026-03-01T00:00:00Z");
	parses("2026-03-01", "2026-03-01T00:00:00Z");
	parses("2024-02-29T12:00:00Z", "2024-02-29T12:00:00Z");
	parses("2026-12-31T24:00:00Z", "2027-01-01T00:00:00Z");
	parses("2016-12-31T23:59:60Z", "2016-12-31T23:59:59Z");
	parses("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z");
	ok(rfc3339_parse("2026-03-01T00:00:00Z", &t) == 0 && t == 1772323200,
	    "Unix seconds of 2026-03-01");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(rfc3339_parse(bad[i], &t) < 0, "reject \"%s\"", bad[i]);
	return tap_done();
}
