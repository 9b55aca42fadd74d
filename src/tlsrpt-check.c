/*
 * tlsrpt-check: the live checks of doc/live.md alone: what each
 * domain publishes now (MX, _mta-sts and _smtp._tls records, the policy,
 * STARTTLS and certificates on every MX). Exit: 0 all fine, 1 any
 * blocking finding, 2 otherwise any finding, 64 usage, 75 no DNS answer
 * for some domain (no network, the resolver down: try again later; the
 * JSON still names each domain and its error).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "live.h"
#include "report.h"
#include "rfc3339.h"
#include "banned.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt-check [--format text|json] [live options] DOMAIN...\n"
	    "\n"
	    "What each domain publishes now for MTA-STS and TLS-RPT: its MX\n"
	    "records, the _mta-sts and _smtp._tls TXT records, the policy at\n"
	    "https://mta-sts.DOMAIN/.well-known/mta-sts.txt, every MX against\n"
	    "the policy, and STARTTLS and the certificate of every MX.\n"
	    "\n"
	    "  --format F              text (default) or json\n"
	    "%s"
	    "\n"
	    "Exit: 0 all fine, 1 any blocking finding, 2 otherwise any\n"
	    "finding, 64 usage, 75 no DNS answer for some domain (try again\n"
	    "later; the JSON still names the error).\n",
	    live_options_help);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		LIVE_OPTIONS('L'),
		CLI_OPTIONS_END,
	};
	struct live_options o;
	struct error err;
	struct live *lv;
	const char *format = "text";
	json_t *doc, *list;
	char now[RFC3339_LEN];
	int ch, idx, rc = 0, i, busy = 0, warned = 0;

	live_options_default(&o);
	report_init();
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, &idx)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "tlsrpt-check: --format: \"%s\" "
				    "is not text or json\n", optarg);
				return EX_USAGE;
			}
			format = optarg;
			break;
		case 'L':
			if (live_option_set(&o, opts[idx].name, optarg,
			    &err) != 0) {
				fprintf(stderr, "tlsrpt-check: %s\n", err.msg);
				return EX_USAGE;
			}
			break;
		default:
			return cli_other_option("tlsrpt-check", ch, argv, usage);
		}
	}
	if (optind == argc) {
		fprintf(stderr, "tlsrpt-check: no domain given; see "
		    "tlsrpt-check --help\n");
		return EX_USAGE;
	}
	if ((lv = live_new(&o, &err)) == NULL) {
		fprintf(stderr, "tlsrpt-check: %s\n", err.msg);
		return err.kind == ERR_INPUT || err.kind == ERR_IO ? EX_USAGE :
		    EX_SOFTWARE;
	}
	rfc3339_format(o.now, now);
	list = json_array();
	doc = json_pack("{s:s, s:o}", "checked_at", now, "domains", list);
	for (i = optind; doc && i < argc; i++) {
		json_t *live = live_check(lv, argv[i], &err);
		char warning[512];
		int code;

		/* Said once, before the first domain it applies to. */
		if (!warned && live_dnssec_warning(lv, warning,
		    sizeof(warning))) {
			warned = 1;
			if (strcmp(format, "text") == 0)
				printf("warning: %s\n\n", warning);
		}
		if (live == NULL && err.kind == ERR_BUSY) {
			/* No answer is no verdict: the others are still
			 * checked, and the exit says to try again. */
			fprintf(stderr, "tlsrpt-check: %s: %s\n", argv[i],
			    err.msg);
			json_array_append_new(list, json_pack("{s:s, s:s, s:s, "
			    "s:s, s:{}, s:[]}", "domain", argv[i], "checked_at",
			    now, "status", "error", "error", err.msg, "checks",
			    "findings"));
			busy = 1;
			continue;
		}
		if (live == NULL) {
			fprintf(stderr, "tlsrpt-check: %s: %s\n", argv[i],
			    err.msg);
			json_decref(doc);
			live_free(lv);
			return err.kind == ERR_INPUT ? EX_USAGE : EX_SOFTWARE;
		}
		code = live_exit_code(live);
		if (code == 1 || (code == 2 && rc == 0))
			rc = code;
		if (strcmp(format, "text") == 0)
			live_print_text(stdout, live);
		json_array_append_new(list, live);
	}
	if (doc == NULL || live_dnssec_json(lv, doc) < 0) {
		fprintf(stderr, "tlsrpt-check: out of memory\n");
		json_decref(doc);
		live_free(lv);
		return EX_SOFTWARE;
	}
	if (strcmp(format, "json") == 0) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
	}
	json_decref(doc);
	live_free(lv);
	return busy ? EX_TEMPFAIL : rc;
}
