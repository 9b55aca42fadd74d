/* cli: see include/cli.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli.h"
#include "rfc3339.h"
#include "banned.h"

int
cli_option_error(const char *prog, int ch, char *const *argv)
{
	const char *opt = optind > 0 ? argv[optind - 1] : "?";

	if (ch == ':')
		fprintf(stderr, "%s: option %s needs a value; see %s --help\n",
		    prog, opt, prog);
	else
		fprintf(stderr, "%s: unknown option %s; see %s --help\n", prog,
		    opt, prog);
	return EX_USAGE;
}

int
cli_parse_time(const char *s, int64_t *t)
{
	long long n;
	char *end;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno == 0 && end != s && *end == '\0' && n >= 0 &&
	    n <= 253402300799LL) {
		*t = n;
		return 0;
	}
	return rfc3339_parse(s, t);
}
