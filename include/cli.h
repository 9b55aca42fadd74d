/*
 * cli: what the programs' main files share (doc/commands.md): an unknown
 * option or a missing value is one line on stderr naming the option, and
 * exit 64. The programs call getopt_long with an optstring starting "+:",
 * so that a missing value comes back as ':' and anything else as '?'.
 */
#ifndef TLSRPT_CLI_H
#define TLSRPT_CLI_H

#include <stdint.h>

/*
 * After getopt_long returned ch (':' or '?') for argv: print
 * "PROG: option --x needs a value; see PROG --help" or
 * "PROG: unknown option --x; see PROG --help". Returns EX_USAGE.
 */
int cli_option_error(const char *prog, int ch, char *const *argv);

/*
 * A time given on the command line: Unix seconds, or an RFC 3339 date-time
 * (or date) as rfc3339_parse() reads them, up to 9999-12-31T23:59:59Z.
 * Returns 0, or -1 when s is neither.
 */
int cli_parse_time(const char *s, int64_t *t);

#endif
