/* cli: see include/cli.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "rfc3339.h"
#include "version.h"
#include "banned.h"

int
cli_other_option(const char *prog, int ch, char *const *argv,
		 void (*usage)(FILE *f))
{
	switch (ch) {
	case 'h':
		usage(stdout);
		return EX_OK;
	case 'V':
		printf("%s %s\n", prog, TLSRPT_VERSION);
		return EX_OK;
	default:
		return cli_option_error(prog, ch, argv);
	}
}

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

const char *
cli_config_hint(const char *path, const struct error *err)
{
	if (path == NULL || err->kind != ERR_IO || access(path, R_OK) == 0 ||
	    errno != EACCES)
		return "";
	return "; this user may not read it: make it root:tlsrpt, mode 0640, "
	    "for user tlsrpt (tlsrptd.conf(5))";
}

int
cli_open_store(const char *prog, const char *config_path, const char *db,
	       int must_exist, struct config *cfg, struct store **st)
{
	struct error err;
	struct stat sb;

	*st = NULL;
	config_init(cfg);
	if (config_path && config_load(cfg, config_path, &err) < 0) {
		fprintf(stderr, "%s: %s%s\n", prog, err.msg,
		    cli_config_hint(config_path, &err));
		config_release(cfg);
		return err.kind == ERR_IO ? EX_NOINPUT : EX_USAGE;
	}
	if (db == NULL)
		db = cfg->database;
	if (must_exist && !store_is_postgresql(db) && stat(db, &sb) < 0) {
		fprintf(stderr, "%s: %s: no such database (import reports with "
		    "tlsrpt-import, or give --db)\n", prog, db);
		config_release(cfg);
		return EX_NOINPUT;
	}
	if ((*st = store_open(db, &err)) == NULL) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		config_release(cfg);
		return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT;
	}
	return 0;
}

int
cli_parse_ids(const char *prog, char *const *args, int n, int64_t **ids,
	      size_t *nids)
{
	const char *s;
	long long v;
	char *end;
	int i;

	*ids = NULL;
	*nids = 0;
	if (n <= 0)
		return 0;
	if ((*ids = calloc((size_t)n, sizeof(**ids))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return -1;
	}
	for (i = 0; i < n; i++) {
		s = args[i][0] == '#' ? args[i] + 1 : args[i];
		errno = 0;
		v = s[0] >= '0' && s[0] <= '9' ? strtoll(s, &end, 10) : 0;
		if (v < 1 || errno != 0 || *end != '\0') {
			fprintf(stderr, "%s: \"%s\" is not a row of the "
			    "quarantine (a number from 1, as --quarantine "
			    "lists them)\n", prog, args[i]);
			free(*ids);
			*ids = NULL;
			return -1;
		}
		(*ids)[(*nids)++] = v;
	}
	return 0;
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
