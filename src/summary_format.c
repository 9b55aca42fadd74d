/* summary_format: see include/summary_format.h. */
#include <string.h>

#include "analyse.h"
#include "buf.h"
#include "escape.h"
#include "fmt.h"
#include "page.h"
#include "summary_format.h"
#include "banned.h"

#define GET(o, k)	json_object_get((o), (k))
#define STR(o, k)	json_string_value(json_object_get((o), (k)))
#define INT(o, k)	((long long)json_integer_value(json_object_get((o), (k))))

/* Green, red, and yellow for insufficient data. */
static const char *
verdict_color(const char *v)
{
	return strcmp(v, "ready") == 0 ? "\033[1;32m" :
	    strcmp(v, "not-ready") == 0 ? "\033[1;31m" : "\033[1;33m";
}

static void
upper(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '-' ? ' ' : (*s >= 'a' && *s <= 'z') ? *s - 32 : *s,
		    f);
}

/* "a, b, c" from a JSON array of strings. */
static void
list(FILE *f, const json_t *a, const char *none)
{
	const json_t *v;
	size_t i;

	if (json_array_size(a) == 0)
		fputs(none, f);
	json_array_foreach(a, i, v)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
}

static void
day_of(FILE *f, const char *t)
{
	fprintf(f, "%.10s", t ? t : "?");
}

static void
rate(FILE *f, const json_t *r)
{
	if (json_is_number(r))
		fprintf(f, "%.2f%%", json_number_value(r) * 100);
	else
		fputs("n/a", f);
}

static void
domain_text(FILE *f, const json_t *d, int color)
{
	const char *verdict = STR(d, "verdict");
	const json_t *r, *v, *win = GET(d, "window"), *sts = GET(d, "sts");
	const json_t *pol = GET(d, "policy");
	char label[32];
	size_t i;

	fprintf(f, "%s: ", STR(d, "domain"));
	if (color)
		fputs(verdict_color(verdict), f);
	upper(f, verdict);
	if (color)
		fputs("\033[0m", f);
	fputc('\n', f);
	json_array_foreach(GET(d, "reasons"), i, r)
		fprintf(f, "  %-9s %s: %s\n", STR(r, "kind"), STR(r, "code"),
		    STR(r, "message"));
	if (json_array_size(GET(d, "reasons")) == 0)
		fputs("  no reason against enforcing\n", f);

	fputs("\n  Evidence from ", f);
	day_of(f, STR(win, "start"));
	fputs(" to ", f);
	day_of(f, STR(win, "end"));
	fprintf(f, " (%lld days):\n", INT(win, "days"));
	fprintf(f, "    reports      %lld on %lld day%s, from %zu reporter%s: ",
	    INT(d, "reports"), INT(d, "days_with_reports"),
	    INT(d, "days_with_reports") == 1 ? "" : "s",
	    json_array_size(GET(d, "reporters")),
	    json_array_size(GET(d, "reporters")) == 1 ? "" : "s");
	list(f, GET(d, "reporters"), "none");
	fprintf(f, "\n    last report  %s", STR(d, "last_report") ?
	    STR(d, "last_report") : "none ever");
	fprintf(f, "\n    sessions     %lld (%lld successful, %lld failed, ",
	    INT(GET(d, "sessions"), "total"),
	    INT(GET(d, "sessions"), "successful"),
	    INT(GET(d, "sessions"), "failed"));
	rate(f, GET(GET(d, "sessions"), "failure_rate"));
	fputs(")\n", f);
	fmt_cut(label, sizeof(label), "last %lld days",
	    INT(GET(d, "recent"), "days"));
	fprintf(f, "    %-12s %lld sts session%s, %lld would be refused "
	    "under enforce (", label, INT(GET(sts, "recent"), "sessions"),
	    INT(GET(sts, "recent"), "sessions") == 1 ? "" : "s",
	    INT(GET(sts, "recent"), "refused_if_enforced"));
	rate(f, GET(GET(sts, "recent"), "refused_rate"));
	fputs(")\n    policy       mode ", f);
	list(f, GET(pol, "modes_seen"), "unknown");
	fputs("; mx ", f);
	list(f, GET(pol, "mx_patterns"), "unknown");
	fprintf(f, "; %zu version%s seen\n",
	    json_array_size(GET(pol, "versions_seen")),
	    json_array_size(GET(pol, "versions_seen")) == 1 ? "" : "s");
	if (json_array_size(GET(d, "failures")) > 0)
		fputs("    failures\n", f);
	json_array_foreach(GET(d, "failures"), i, v) {
		fprintf(f, "      %s%s%s at %s: %lld session%s (%lld recent) "
		    "from ", STR(v, "result_type"),
		    strcmp(STR(v, "policy_type"), "sts") ? " under " : "",
		    strcmp(STR(v, "policy_type"), "sts") ?
		    STR(v, "policy_type") : "",
		    STR(v, "receiving_mx_hostname") ?
		    STR(v, "receiving_mx_hostname") : "(no MX named)",
		    INT(v, "sessions"), INT(v, "sessions") == 1 ? "" : "s",
		    INT(v, "recent_sessions"));
		list(f, GET(v, "reporters"), "?");
		fputs(", ", f);
		day_of(f, STR(v, "first_seen"));
		fputs(" to ", f);
		day_of(f, STR(v, "last_seen"));
		fputc('\n', f);
	}

	if (json_array_size(GET(d, "by_reporter")) > 0)
		fprintf(f, "    by reporter, %s: sts sessions, refused if "
		    "enforced\n", label);
	json_array_foreach(GET(d, "by_reporter"), i, v) {
		fprintf(f, "      %s: %lld, %lld (", STR(v, "reporter"),
		    INT(v, "sessions"), INT(v, "refused"));
		rate(f, GET(v, "failure_rate"));
		fputs(")\n", f);
	}

	fputs("\n  Per day        sts sessions  failed  refused if enforced\n",
	    f);
	for (i = 0; i < json_array_size(GET(d, "daily")); i++) {
		size_t j;

		v = json_array_get(GET(d, "daily"), i);
		if (INT(v, "reports") > 0) {
			fprintf(f, "    %s  %12lld  %6lld  %19lld\n",
			    STR(v, "date"), INT(v, "sts_sessions"),
			    INT(v, "sts_failed"), INT(v, "refused_if_enforced"));
			continue;
		}
		if ((j = analyse_quiet_run(GET(d, "daily"), i)) == i)
			fprintf(f, "    %s  (no report)\n", STR(v, "date"));
		else
			fprintf(f, "    %s to %s  (no report on %zu days)\n",
			    STR(v, "date"), STR(json_array_get(GET(d, "daily"),
			    j), "date"), j - i + 1);
		i = j;
	}
	fputs("\n  Next steps\n", f);
	json_array_foreach(GET(d, "next_steps"), i, v)
		fprintf(f, "    %zu. %s\n", i + 1, json_string_value(v));
}

/* The reports no verdict counts, so that they are not lost from sight. */
static void
no_domain_text(FILE *f, const json_t *nd, long long days)
{
	const json_t *r;
	long long n = INT(nd, "reports");
	size_t i;

	if (nd == NULL || n == 0)
		return;
	fprintf(f, "\nNote: %lld report%s of these %lld days named no policy "
	    "domain, so no verdict above counts %s (%lld sessions; from ", n,
	    n == 1 ? "" : "s", days, n == 1 ? "it" : "them",
	    INT(nd, "sessions"));
	json_array_foreach(GET(nd, "reporters"), i, r)
		fprintf(f, "%s%s", i ? ", " : "", json_string_value(r));
	if (json_is_true(GET(nd, "more_reporters")))
		fputs(" and others", f);
	fputs("). The sender left policy-domain out; the reports are "
	    "stored, and --format json has them under no_policy_domain.\n",
	    f);
}

/* Every string of the summary is printed escaped (escape.h): report
 * fields are written by whoever posted the report. */
void
summary_print_text(FILE *f, const json_t *raw, int color)
{
	json_t *summary = escape_json_copy(raw);
	const json_t *d;
	size_t i;

	if (summary == NULL) {
		fputs("out of memory\n", f);
		return;
	}

	/* What concerns every domain (live.h: a resolver without DNSSEC),
	 * said once. */
	json_array_foreach(GET(summary, "warnings"), i, d)
		if (STR(d, "message"))
			fprintf(f, "warning: %s\n\n", STR(d, "message"));
	json_array_foreach(GET(summary, "domains"), i, d) {
		if (i)
			fputc('\n', f);
		domain_text(f, d, color);
	}
	if (json_array_size(GET(summary, "domains")) == 0)
		fputs("No policy domain in the store: import reports first "
		    "(tlsrpt-import) or wait for tlsrptd to receive some.\n", f);
	no_domain_text(f, GET(summary, "no_policy_domain"),
	    INT(summary, "window_days"));
	json_decref(summary);
}

static void
csv_number(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, "%lld,", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%.6f,", json_real_value(v));
	else
		fputc(',', f);
}

void
summary_print_csv(FILE *f, const json_t *raw)
{
	json_t *summary = escape_json_copy(raw);
	const json_t *d, *r, *v;
	char buf[2048];
	size_t i, j, len;

	if (summary == NULL)
		return;

	fputs("domain,verdict,reasons,reports,days_with_reports,reporters,"
	    "sessions,successful,failed,failure_rate,recent_sts_sessions,"
	    "recent_refused_if_enforced,recent_refused_rate,last_report,"
	    "next_step\n", f);
	json_array_foreach(GET(summary, "domains"), i, d) {
		escape_csv_cell(f, STR(d, "domain"), 0);
		escape_csv_cell(f, STR(d, "verdict"), 0);
		buf[0] = '\0';
		json_array_foreach(GET(d, "reasons"), j, r) {
			len = strlen(buf);
			fmt_cut(buf + len, sizeof(buf) - len, "%s%s",
			    j ? " " : "", STR(r, "code"));
		}
		escape_csv_cell(f, buf, 0);
		fprintf(f, "%lld,%lld,", INT(d, "reports"),
		    INT(d, "days_with_reports"));
		buf[0] = '\0';
		json_array_foreach(GET(d, "reporters"), j, v) {
			len = strlen(buf);
			fmt_cut(buf + len, sizeof(buf) - len, "%s%s",
			    j ? "; " : "", json_string_value(v));
		}
		escape_csv_cell(f, buf, 0);
		csv_number(f, GET(GET(d, "sessions"), "total"));
		csv_number(f, GET(GET(d, "sessions"), "successful"));
		csv_number(f, GET(GET(d, "sessions"), "failed"));
		csv_number(f, GET(GET(d, "sessions"), "failure_rate"));
		csv_number(f, GET(GET(GET(d, "sts"), "recent"), "sessions"));
		csv_number(f, GET(GET(GET(d, "sts"), "recent"),
		    "refused_if_enforced"));
		csv_number(f, GET(GET(GET(d, "sts"), "recent"),
		    "refused_rate"));
		escape_csv_cell(f, STR(d, "last_report") ? STR(d, "last_report") : "",
		    0);
		v = json_array_get(GET(d, "next_steps"), 0);
		escape_csv_cell(f, v ? json_string_value(v) : "", 1);
	}
	json_decref(summary);
}

int
summary_write(FILE *f, const json_t *summary, const char *format, int color,
	      struct error *err)
{
	struct buf page;
	int rc = 0;

	if (strcmp(format, "json") == 0) {
		json_dumpf(summary, f, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', f);
	} else if (strcmp(format, "csv") == 0) {
		summary_print_csv(f, summary);
	} else if (strcmp(format, "html") == 0) {
		buf_init(&page, PAGE_MAX);
		rc = page_render(&page, summary, err);
		if (rc == 0)
			fwrite(page.data, 1, page.len, f);
		buf_release(&page);
	} else {
		summary_print_text(f, summary, color);
	}
	return rc;
}
