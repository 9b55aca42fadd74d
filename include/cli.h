/*
 * cli: what the programs' main files share (doc/commands.md): an unknown
 * option or a missing value is one line on stderr naming the option, and
 * exit 64. The programs call getopt_long with an optstring starting "+:",
 * so that a missing value comes back as ':' and anything else as '?'.
 */
#ifndef TLSRPT_CLI_H
#define TLSRPT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

/* The entries of the tools' getopt_long tables for the store. */
#define CLI_STORE_OPTIONS \
	{ "db", required_argument, NULL, 'd' }, \
	{ "config", required_argument, NULL, 'c' }

/* The last entries of every program's getopt_long table. */
#define CLI_OPTIONS_END \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/*
 * What getopt_long returned (ch) that is none of the program's own
 * options: 'h' writes usage to standard output, 'V' "PROG VERSION"; both
 * exit EX_OK. Else cli_option_error(). Returns the exit code.
 */
int cli_other_option(const char *prog, int ch, char *const *argv,
		     void (*usage)(FILE *f));

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

/*
 * The n row numbers of args (each "N" or "#N", N from 1), into *ids (the
 * caller frees it; NULL when n is 0). -1 after one line on stderr naming
 * prog and the argument that is not one, or when out of memory.
 */
int cli_parse_ids(const char *prog, char *const *args, int n, int64_t **ids,
		  size_t *nids);

/*
 * After a config file could not be read (err): when this user may not
 * read path, the modes that let the service's user (tlsrpt) read it, as
 * text to add to the message ("; ..."); else "".
 */
const char *cli_config_hint(const char *path, const struct error *err);

/*
 * What the tools do before their work: the config file config_path (NULL:
 * the defaults) into cfg, then the store db names (NULL: the config's
 * database) opened into *st. With must_exist, a path that names no file
 * is an error rather than a new store. 0; or, after one line on stderr
 * naming prog and with cfg released, the exit code: EX_NOINPUT for a
 * config or store that cannot be read, EX_USAGE for a bad config,
 * EX_TEMPFAIL for a busy store.
 */
int cli_open_store(const char *prog, const char *config_path, const char *db,
		   int must_exist, struct config *cfg, struct store **st);

#endif
