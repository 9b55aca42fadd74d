/* cli: see include/cli.h. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
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
	return CLI_EX_USAGE;
}
