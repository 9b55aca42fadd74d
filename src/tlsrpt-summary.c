/*
 * tlsrpt-summary: is it safe to switch MTA-STS to mode: enforce? The
 * per-domain verdict of doc/verdict.md with its evidence and next step,
 * as text, JSON or CSV. Exit: 0 all ready, 1 any not-ready, 2 otherwise
 * (insufficient data), 64 usage, 66 no such database.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "analyse.h"
#include "cli.h"
#include "config.h"
#include "dnsname.h"
#include "live.h"
#include "page.h"
#include "report.h"
#include "rfc3339.h"
#include "summary_format.h"
#include "banned.h"

/* The --domain names, normalised (dnsname.h). */
static char domain_names[SUMMARY_DOMAINS_MAX][BOUND_DNS_NAME + 1];

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt-summary [--db PATH] [--config FILE] [--domain D]...\n"
	    "                      [--days N] [--now TIME]\n"
	    "                      [--format text|json|csv|html] [--output FILE]\n"
	    "                      [--max-failure-rate R] [--min-days N]\n"
	    "                      [--min-reporters N] [--min-sessions N]\n"
	    "                      [--live [live options]]\n"
	    "\n"
	    "Is it safe to switch MTA-STS to mode: enforce? One verdict per\n"
	    "policy domain (every domain in the store without --domain):\n"
	    "ready, not-ready or insufficient-data, with the evidence and the\n"
	    "next step.\n"
	    "\n"
	    "  --db PATH|URI           the store (default tlsrpt.db), or a\n"
	    "                          postgresql:// URI\n"
	    "  --domain D              only this domain (repeatable)\n"
	    "  --days N                window of N days (default 14)\n"
	    "  --now TIME              end of the window: RFC 3339 or Unix\n"
	    "                          seconds (default now), to reproduce a verdict\n"
	    "  --format F              text (default), json, csv, or html: one\n"
	    "                          self-contained action plan page\n"
	    "  --output FILE           write there instead of standard output\n"
	    "  --max-failure-rate R    refused share of sts sessions allowed\n"
	    "                          in the last 7 days (default 0.001)\n"
	    "  --min-days N            days with reports needed (default 7)\n"
	    "  --min-reporters N       reporting organizations needed (default 2)\n"
	    "  --min-sessions N        sts sessions needed in the last 7 days\n"
	    "                          (default 100)\n"
	    "  --live                  also check what each domain publishes\n"
	    "                          now (DNS, policy, MX STARTTLS) and join\n"
	    "                          it to the verdict; live options:\n"
	    "%s"
	    "\n"
	    "Exit: 0 all ready, 1 any not-ready, 2 otherwise (insufficient\n"
	    "data), 64 usage, 66 no such database, 75 no DNS answer.\n",
	    live_options_help);
}

/* --live: the live checks of each domain joined to its verdict. */
static int
add_live(json_t *doc, const struct live_options *lo,
	 const struct analyse_options *opt)
{
	struct error err;
	struct live *lv;
	json_t *d, *live;
	size_t i;

	if ((lv = live_new(lo, &err)) == NULL) {
		fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
		return err.kind == ERR_INPUT || err.kind == ERR_IO ? EX_USAGE :
		    EX_SOFTWARE;
	}
	json_array_foreach(json_object_get(doc, "domains"), i, d) {
		live = live_check(lv, json_string_value(json_object_get(d,
		    "domain")), &err);
		if (live == NULL || analyse_add_live(d, live, opt) < 0) {
			fprintf(stderr, "tlsrpt-summary: --live: %s\n",
			    live ? "out of memory" : err.msg);
			json_decref(live);
			live_free(lv);
			return live == NULL && err.kind == ERR_BUSY ?
			    EX_TEMPFAIL : EX_SOFTWARE;
		}
		json_decref(live);
	}
	live_free(lv);
	return 0;
}

static int
bad_value(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "tlsrpt-summary: %s: \"%s\" is not %s\n", opt, v, want);
	return EX_USAGE;
}

static int
parse_long(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= lo &&
	    *out <= hi ? 0 : -1;
}

int
main(int argc, char **argv)
{
	enum { O_MAXRATE = 256, O_MINDAYS, O_MINREP, O_MINSESS, O_LIVE,
	    O_LIVEOPT };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'D' },
		{ "days", required_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "max-failure-rate", required_argument, NULL, O_MAXRATE },
		{ "min-days", required_argument, NULL, O_MINDAYS },
		{ "min-reporters", required_argument, NULL, O_MINREP },
		{ "min-sessions", required_argument, NULL, O_MINSESS },
		{ "live", no_argument, NULL, O_LIVE },
		LIVE_OPTIONS(O_LIVEOPT),
		CLI_OPTIONS_END,
	};
	const char *db = NULL, *config_path = NULL, *format = "text";
	const char *output = NULL;
	FILE *out = stdout;
	const char *domains[SUMMARY_DOMAINS_MAX];
	int unknown = 0;
	struct analyse_options opt;
	struct live_options lopt;
	int live = 0, idx = 0;
	struct config cfg;
	struct error err;
	struct store *st;
	size_t ndomains = 0;
	long long n;
	json_t *doc;
	char *end;
	int ch, rc;

	report_init();
	analyse_options_default(&opt);
	live_options_default(&lopt);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, &idx)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'D':
			if (ndomains == SUMMARY_DOMAINS_MAX)
				return bad_value("--domain", optarg,
				    "allowed: too many domains");
			/* As the reports' domains were stored. */
			if (dnsname_normalise(optarg, domain_names[ndomains],
			    &err) < 0) {
				fprintf(stderr, "tlsrpt-summary: --domain: "
				    "%s\n", err.msg);
				return EX_USAGE;
			}
			domains[ndomains] = domain_names[ndomains];
			ndomains++;
			break;
		case 'n':
			if (parse_long(optarg, 1, 3660, &n) < 0)
				return bad_value("--days", optarg,
				    "a number of days from 1 to 3660");
			opt.days = (int)n;
			break;
		case 't':
			if (cli_parse_time(optarg, &opt.now) < 0)
				return bad_value("--now", optarg,
				    "an RFC 3339 time or Unix seconds");
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
			    strcmp(optarg, "csv") && strcmp(optarg, "html"))
				return bad_value("--format", optarg,
				    "text, json, csv or html");
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case O_MAXRATE:
			errno = 0;
			opt.max_failure_rate = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(opt.max_failure_rate >= 0 &&
			    opt.max_failure_rate <= 1))
				return bad_value("--max-failure-rate", optarg,
				    "a rate from 0 to 1");
			break;
		case O_MINDAYS:
			if (parse_long(optarg, 0, 3660, &n) < 0)
				return bad_value("--min-days", optarg,
				    "a number of days");
			opt.min_days = (int)n;
			break;
		case O_MINREP:
			if (parse_long(optarg, 0, 100000, &n) < 0)
				return bad_value("--min-reporters", optarg,
				    "a number");
			opt.min_reporters = (int)n;
			break;
		case O_MINSESS:
			if (parse_long(optarg, 0, 1LL << 53, &n) < 0)
				return bad_value("--min-sessions", optarg,
				    "a number");
			opt.min_sessions = n;
			break;
		case O_LIVE:
			live = 1;
			break;
		case O_LIVEOPT:
			if (live_option_set(&lopt, opts[idx].name, optarg,
			    &err) != 0) {
				fprintf(stderr, "tlsrpt-summary: %s\n",
				    err.msg);
				return EX_USAGE;
			}
			break;
		default:
			return cli_other_option("tlsrpt-summary", ch, argv, usage);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlsrpt-summary: unexpected argument \"%s\"; "
		    "domains are given with --domain\n", argv[optind]);
		return EX_USAGE;
	}

	/* A summary never creates a store: a wrong path is an error. */
	if ((rc = cli_open_store("tlsrpt-summary", config_path, db, 1, &cfg,
	    &st)) != 0)
		return rc;
	if (ndomains > 0) {
		unknown = analyse_known_domains(st, "tlsrpt-summary", domains,
		    &ndomains, stderr, &err);
		if (unknown < 0) {
			fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
			store_close(st);
			config_release(&cfg);
			return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT;
		}
		if (ndomains == 0) {
			store_close(st);
			config_release(&cfg);
			return 2;
		}
		doc = analyse_summary(st, domains, ndomains, &opt, &err);
	} else {
		doc = analyse_summary(st, NULL, 0, &opt, &err);
	}
	store_close(st);
	config_release(&cfg);
	if (doc == NULL) {
		fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
		return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (live && (rc = add_live(doc, &lopt, &opt)) != 0) {
		json_decref(doc);
		return rc;
	}
	rc = analyse_exit_code(doc);
	/* A domain no report named is not a ready one. */
	if (unknown > 0 && rc == 0)
		rc = 2;
	if (output != NULL && (out = fopen(output, "w")) == NULL) {
		fprintf(stderr, "tlsrpt-summary: %s: %s\n", output,
		    strerror(errno));
		json_decref(doc);
		return EX_CANTCREAT;
	}
	if (strcmp(format, "json") == 0) {
		json_dumpf(doc, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', out);
	} else if (strcmp(format, "csv") == 0) {
		summary_print_csv(out, doc);
	} else if (strcmp(format, "html") == 0) {
		struct buf page;

		buf_init(&page, PAGE_MAX);
		if (page_render(&page, doc, &err) < 0) {
			fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
			rc = EX_SOFTWARE;
		} else {
			fwrite(page.data, 1, page.len, out);
		}
		buf_release(&page);
	} else {
		summary_print_text(out, doc, output == NULL &&
		    isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
	}
	json_decref(doc);
	if (fflush(out) != 0 || ferror(out) || (out != stdout &&
	    fclose(out) != 0)) {
		fprintf(stderr, "tlsrpt-summary: %s: %s\n", output ? output :
		    "standard output", strerror(errno));
		return EX_CANTCREAT;
	}
	return rc;
}
