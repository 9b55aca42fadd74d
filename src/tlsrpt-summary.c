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

#include "analyse.h"
#include "bounds.h"
#include "cli.h"
#include "config.h"
#include "dnsname.h"
#include "live.h"
#include "report.h"
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

/* What the command line asks for. */
struct args {
	const char *db, *config_path, *format, *output;
	const char *domains[SUMMARY_DOMAINS_MAX];
	size_t ndomains;
	struct analyse_options opt;
	struct live_options lopt;
	int live;
	int answered;	/* --help or --version: said, nothing more to do */
};

static int
bad_value(const char *opt, const char *v, const char *want)
{
	fprintf(stderr, "tlsrpt-summary: %s: \"%s\" is not %s\n", opt, v, want);
	return EX_USAGE;
}

/* A whole number from lo to hi into *out; else the usage error. */
static int
count_value(const char *opt, const char *v, long long lo, long long hi,
	    const char *want, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno == 0 && end != v && *end == '\0' && *out >= lo &&
	    *out <= hi)
		return 0;
	return bad_value(opt, v, want);
}

/* --domain D, normalised as the reports' domains were stored. */
static int
add_domain(struct args *a, const char *v)
{
	struct error err;

	if (a->ndomains == SUMMARY_DOMAINS_MAX)
		return bad_value("--domain", v, "allowed: too many domains");
	if (dnsname_normalise(v, domain_names[a->ndomains], &err) < 0) {
		fprintf(stderr, "tlsrpt-summary: --domain: %s\n", err.msg);
		return EX_USAGE;
	}
	a->domains[a->ndomains] = domain_names[a->ndomains];
	a->ndomains++;
	return 0;
}

/* The options into a; 0, or the exit code when the program ends here. */
static int
parse_options(int argc, char **argv, struct args *a)
{
	enum { O_MAXRATE = 256, O_MINDAYS, O_MINREP, O_MINSESS, O_LIVE,
	    O_LIVEOPT };
	static const struct option opts[] = {
		CLI_STORE_OPTIONS,
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
	struct error err;
	long long n = 0;
	int ch, idx = 0, rc = 0;
	char *end;

	opterr = 0;
	while (rc == 0 &&
	    (ch = getopt_long(argc, argv, "+:", opts, &idx)) != -1) {
		switch (ch) {
		case 'd':
			a->db = optarg;
			break;
		case 'c':
			a->config_path = optarg;
			break;
		case 'D':
			rc = add_domain(a, optarg);
			break;
		case 'n':
			rc = count_value("--days", optarg, 1, 3660,
			    "a number of days from 1 to 3660", &n);
			a->opt.days = (int)n;
			break;
		case 't':
			if (cli_parse_time(optarg, &a->opt.now) < 0)
				rc = bad_value("--now", optarg,
				    "an RFC 3339 time or Unix seconds");
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json") &&
			    strcmp(optarg, "csv") && strcmp(optarg, "html"))
				rc = bad_value("--format", optarg,
				    "text, json, csv or html");
			a->format = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case O_MAXRATE:
			errno = 0;
			a->opt.max_failure_rate = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(a->opt.max_failure_rate >= 0 &&
			    a->opt.max_failure_rate <= 1))
				rc = bad_value("--max-failure-rate", optarg,
				    "a rate from 0 to 1");
			break;
		case O_MINDAYS:
			rc = count_value("--min-days", optarg, 0, 3660,
			    "a number of days", &n);
			a->opt.min_days = (int)n;
			break;
		case O_MINREP:
			rc = count_value("--min-reporters", optarg, 0, 100000,
			    "a number", &n);
			a->opt.min_reporters = (int)n;
			break;
		case O_MINSESS:
			rc = count_value("--min-sessions", optarg, 0, 1LL << 53,
			    "a number", &n);
			a->opt.min_sessions = n;
			break;
		case O_LIVE:
			a->live = 1;
			break;
		case O_LIVEOPT:
			if (live_option_set(&a->lopt, opts[idx].name, optarg,
			    &err) != 0) {
				fprintf(stderr, "tlsrpt-summary: %s\n",
				    err.msg);
				rc = EX_USAGE;
			}
			break;
		default:
			a->answered = ch == 'h' || ch == 'V';
			return cli_other_option("tlsrpt-summary", ch, argv,
			    usage);
		}
	}
	if (rc == 0 && optind < argc) {
		fprintf(stderr, "tlsrpt-summary: unexpected argument \"%s\"; "
		    "domains are given with --domain\n", argv[optind]);
		rc = EX_USAGE;
	}
	return rc;
}

/* The summary document of a's domains (all without --domain), or NULL
 * with *rc the exit code. */
static json_t *
summarise(struct args *a, int *unknown, int *rc)
{
	struct config cfg;
	struct error err;
	struct store *st;
	json_t *doc = NULL;

	/* A summary never creates a store: a wrong path is an error. */
	if ((*rc = cli_open_store("tlsrpt-summary", a->config_path, a->db, 1,
	    &cfg, &st)) != 0)
		return NULL;
	*unknown = 0;
	if (a->ndomains > 0)
		*unknown = analyse_known_domains(st, "tlsrpt-summary",
		    a->domains, &a->ndomains, stderr, &err);
	if (*unknown < 0)
		*rc = err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT;
	else if (a->ndomains == 0 && *unknown > 0)
		*rc = 2;	/* not one of them is known */
	else if ((doc = analyse_summary(st, a->ndomains ? a->domains : NULL,
	    a->ndomains, &a->opt, &err)) == NULL)
		*rc = err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	if (*rc != 0 && *rc != 2)
		fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
	store_close(st);
	config_release(&cfg);
	return doc;
}

int
main(int argc, char **argv)
{
	struct args a = { .format = "text" };
	struct error err;
	FILE *out = stdout;
	int rc, unknown;
	json_t *doc;

	report_init();
	analyse_options_default(&a.opt);
	live_options_default(&a.lopt);
	if ((rc = parse_options(argc, argv, &a)) != 0 || a.answered)
		return rc;
	if ((doc = summarise(&a, &unknown, &rc)) == NULL)
		return rc;
	if (a.live && analyse_join_live(doc, &a.lopt, &a.opt, &err) < 0) {
		fprintf(stderr, "tlsrpt-summary: --live: %s\n", err.msg);
		json_decref(doc);
		return err.kind == ERR_INPUT || err.kind == ERR_IO ? EX_USAGE :
		    err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	rc = analyse_exit_code(doc);
	/* A domain no report named is not a ready one. */
	if (unknown > 0 && rc == 0)
		rc = 2;
	if (a.output != NULL && (out = fopen(a.output, "w")) == NULL) {
		fprintf(stderr, "tlsrpt-summary: %s: %s\n", a.output,
		    strerror(errno));
		json_decref(doc);
		return EX_CANTCREAT;
	}
	if (summary_write(out, doc, a.format, a.output == NULL &&
	    isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL, &err) < 0) {
		fprintf(stderr, "tlsrpt-summary: %s\n", err.msg);
		rc = EX_SOFTWARE;
	}
	json_decref(doc);
	if (fflush(out) != 0 || ferror(out) || (out != stdout &&
	    fclose(out) != 0)) {
		fprintf(stderr, "tlsrpt-summary: %s: %s\n", a.output ?
		    a.output : "standard output", strerror(errno));
		return EX_CANTCREAT;
	}
	return rc;
}
