/*
 * tlsrpt-import: one-shot import of report files, report emails, maildirs
 * and plain folders of either, or one message or report on standard input
 * (tlsrpt-import(1)). This file parses the options; the work is in
 * import.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bounds.h"
#include "cli.h"
#include "config.h"
#include "import.h"
#include "mail.h"
#include "quarantine.h"
#include "report.h"
#include "store_retention.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt-import [--db PATH|URI] [--config FILE] [--json]\n"
	    "                     [--received TIME] INPUT...\n"
	    "       tlsrpt-import --copy-from OLD.db --db URI\n"
	    "       tlsrpt-import --prune DAYS [--db PATH|URI]\n"
	    "       tlsrpt-import --quarantine [--retry [ID...]] [--db PATH|URI]\n"
	    "                     [--config FILE] [--json]\n"
	    "\n"
	    "Import TLS reports (RFC 8460) into the store.\n"
	    "INPUT is a .json or .json.gz report, a .eml message, a maildir\n"
	    "(every message in new/ and cur/), a plain folder (every file in\n"
	    "it), or - for one message or report on standard input.\n"
	    "\n"
	    "  --db PATH|URI   the store: a SQLite file (default tlsrpt.db)\n"
	    "                  or a postgresql:// URI\n"
	    "  --copy-from OLD.db  copy a SQLite store, payloads, quarantine\n"
	    "                  and reports, into the --db store; a second\n"
	    "                  run copies nothing twice\n"
	    "  --prune DAYS    remove what retention-days = DAYS removes\n"
	    "                  (tlsrptd.conf(5)), once: the reports that\n"
	    "                  ended, and the payloads received, more than\n"
	    "                  DAYS days ago; the per-day aggregates stay\n"
	    "  --quarantine    list the payloads rejected, one line each:\n"
	    "                  ID, received, source, size, reason\n"
	    "  --retry [ID...] with --quarantine: parse those rows (or every\n"
	    "                  row) again; what parses now is stored and\n"
	    "                  leaves the quarantine, what fails stays with\n"
	    "                  its new reason; a row cut to its first 1 MiB\n"
	    "                  cannot be parsed again\n"
	    "  --config FILE   read database and limits from a tlsrptd config\n"
	    "  --received TIME take the inputs as received at TIME (RFC 3339\n"
	    "                  or Unix seconds), not at the clock: a report\n"
	    "                  may end at most 2 days after it\n"
	    "  --json          one JSON object per line instead of text\n"
	    "  --help          this text\n"
	    "  --version       the version\n"
	    "\n"
	    "Prints one line per report or message:\n"
	    "  accepted|duplicate|rejected|not-a-report<TAB>INPUT<TAB>detail\n"
	    "duplicate: a copy stored before, same content; accepted with\n"
	    "\"conflicts\" in the detail: stored, but an earlier copy of the\n"
	    "same report (organization, id, range) has other content.\n"
	    "Exit: 0 all accepted, duplicate or not-a-report; 65 any rejected\n"
	    "(kept in quarantine); 66 an input cannot be opened; 75 the store\n"
	    "is busy or unwritable (an MTA retries later); 64 usage.\n");
}

/*
 * --prune: one retention pass (store_retention.h). Exit 0, 75 when the
 * store failed in a way that may pass, 70 otherwise.
 */
static int
prune(struct store *st, unsigned days)
{
	struct error err;
	char what[256];
	int rc;

	error_clear(&err);
	rc = store_prune_days(st, days, NULL, NULL, what, sizeof(what), &err);
	printf("pruned\t%s store\t%s\n", store_backend(st), what);
	if (rc == 0)
		return EX_OK;
	fprintf(stderr, "tlsrpt-import: --prune: %s\n", err.msg);
	return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_STORE_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "copy-from", required_argument, NULL, 'C' },
		{ "received", required_argument, NULL, 'R' },
		{ "prune", required_argument, NULL, 'P' },
		{ "quarantine", no_argument, NULL, 'Q' },
		{ "retry", no_argument, NULL, 'T' },
		CLI_OPTIONS_END,
	};
	const char *db = NULL, *config_path = NULL, *copy = NULL;
	struct import_options o = { .received = -1, .out = stdout };
	struct import_counts counts;
	struct pipeline pl;
	struct config cfg;
	struct store *st;
	long long days = -1;
	char *end = NULL;
	int ch, rc, quarantine = 0, retry = 0;
	int64_t *ids = NULL;
	size_t nids = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'C':
			copy = optarg;
			break;
		case 'R':
			if (cli_parse_time(optarg, &o.received) < 0) {
				fprintf(stderr, "tlsrpt-import: --received: "
				    "\"%s\" is not an RFC 3339 time or Unix "
				    "seconds\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'Q':
			quarantine = 1;
			break;
		case 'T':
			retry = 1;
			break;
		case 'P':
			days = optarg[0] >= '0' && optarg[0] <= '9' ?
			    strtoll(optarg, &end, 10) : 0;
			if (days < 1 || days > BOUND_RETENTION_DAYS ||
			    *end != '\0') {
				fprintf(stderr, "tlsrpt-import: --prune: \"%s\" "
				    "is not a number of days from 1 to %d\n",
				    optarg, BOUND_RETENTION_DAYS);
				return EX_USAGE;
			}
			break;
		default:
			return cli_other_option("tlsrpt-import", ch, argv, usage);
		}
	}
	if (retry && !quarantine) {
		fprintf(stderr, "tlsrpt-import: --retry goes with "
		    "--quarantine; see tlsrpt-import --help\n");
		return EX_USAGE;
	}
	if (quarantine && (copy != NULL || days >= 0 ||
	    (!retry && optind < argc))) {
		fprintf(stderr, "tlsrpt-import: --quarantine takes no INPUT, "
		    "no --copy-from and no --prune; see tlsrpt-import "
		    "--help\n");
		return EX_USAGE;
	}
	if (retry && cli_parse_ids("tlsrpt-import", argv + optind,
	    argc - optind, &ids, &nids) < 0)
		return EX_USAGE;
	if (days >= 0 && (copy != NULL || optind < argc)) {
		fprintf(stderr, "tlsrpt-import: --prune takes no INPUT and no "
		    "--copy-from; see tlsrpt-import --help\n");
		return EX_USAGE;
	}
	if (copy != NULL && optind < argc) {
		fprintf(stderr, "tlsrpt-import: --copy-from takes no "
		    "INPUT; see tlsrpt-import --help\n");
		return EX_USAGE;
	}
	if (copy == NULL && days < 0 && !quarantine && optind >= argc) {
		fprintf(stderr, "tlsrpt-import: no INPUT given; see "
		    "tlsrpt-import --help\n");
		return EX_USAGE;
	}

	report_init();
	mail_init();
	if ((rc = cli_open_store("tlsrpt-import", config_path, db, 0, &cfg,
	    &st)) != 0) {
		free(ids);
		return rc;
	}
	if (quarantine && !retry) {
		rc = quarantine_list(st, o.json, stdout);
	} else if (quarantine) {
		pipeline_init(&pl, st, &cfg.pipeline);
		quarantine_retry(&pl, o.json, stdout, ids, nids, &counts);
		rc = import_exit_code(&counts);
	} else if (copy != NULL) {
		rc = import_copy_from(st, copy, stdout);
	} else if (days >= 0) {
		rc = prune(st, (unsigned)days);
	} else {
		pipeline_init(&pl, st, &cfg.pipeline);
		import_run(&pl, &o, argv + optind, argc - optind, &counts);
		rc = import_exit_code(&counts);
	}
	store_close(st);
	config_release(&cfg);
	free(ids);
	return rc;
}
