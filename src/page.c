/* page: see include/page.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "count.h"
#include "escape.h"
#include "fmt.h"
#include "overview.h"
#include "page.h"
#include "svg.h"
#include "version.h"
#include "banned.h"

#define GET(o, k)	json_object_get((o), (k))
#define STR(o, k)	json_string_value(json_object_get((o), (k)))
#define INT(o, k)	((long long)json_integer_value(json_object_get((o), (k))))

/* Okabe-Ito colours: told apart by colour-blind readers too. */
#define C_SESSIONS	"#0072b2"
#define C_FAILED	"#e69f00"
#define C_REFUSED	"#d55e00"

/* Senders whose silence is worth a note: they send most reports. */
static const char *const major_reporters[] = { "Google Inc.",
    "Microsoft Corporation", NULL };

static const char css[] =
    "body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0}"
    "main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}"
    "h1{font-size:1.8rem;margin:.2rem 0}h2{font-size:1.25rem;margin:2rem 0 "
    ".5rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}"
    ".kicker{color:#555;font-size:.9rem;margin:0}"
    ".verdict{font-size:1.1rem;padding:.75rem 1rem;border-left:.5rem solid;"
    "background:#f6f6f6}"
    ".badge{font-weight:700;text-transform:uppercase;letter-spacing:.03em;"
    "margin-right:.5rem}"
    ".v-ready{border-color:#009e73}.v-ready .badge{color:#006e50}"
    ".v-not-ready{border-color:#d55e00}.v-not-ready .badge{color:#a33f00}"
    ".v-insufficient-data{border-color:#e69f00}"
    ".v-insufficient-data .badge{color:#7a5500}"
    "ol.check{list-style:none;padding:0}ol.check li{padding:.5rem .75rem;"
    "margin:.4rem 0;border:1px solid #ddd;border-left:.4rem solid}"
    ".review{border-left-color:#e69f00!important}.review .mark{color:#7a5500}"
    ".met{border-left-color:#009e73!important}.not-met{border-left-color:"
    "#d55e00!important}.unknown{border-left-color:#999!important}"
    ".mark{font-weight:700;display:inline-block;min-width:6.5rem}"
    ".met .mark{color:#006e50}.not-met .mark{color:#a33f00}"
    ".unknown .mark{color:#555}.why{display:block;color:#444;"
    "font-size:.92rem}.st-blocking,.st-error{color:#a33f00;font-weight:700}"
    ".st-warning{color:#7a5500;font-weight:700}.st-ok{color:#006e50}"
    "td code{word-break:break-all;font-size:.85rem}"
    "table{border-collapse:collapse;width:100%;font-size:.92rem;"
    "margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;"
    "border-bottom:1px solid #e3e3e3;vertical-align:top}"
    "th{background:#f3f3f3}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}td.d{white-space:nowrap}"
    ".chart{width:100%;height:auto;max-height:16rem}"
    ".chart .tick{font-size:11px;fill:#444}.chart .axis,.chart .legend"
    "{font-size:12px;fill:#222}"
    ".steps li{margin:.35rem 0}code{background:#f3f3f3;padding:0 .2rem}"
    ".scroll{overflow-x:auto}footer{margin-top:3rem;color:#666;"
    "font-size:.85rem}"
    "@media print{main{max-width:none}h2{break-after:avoid}"
    "section{break-inside:avoid}.verdict{border:1px solid #000}}"
    "@media (max-width:36rem){body{font-size:15px}h1{font-size:1.4rem}"
    ".chart .tick{font-size:24px}.chart .axis,.chart .legend"
    "{font-size:24px}}";

struct pg {
	struct buf *out;
	struct error *err;
	int rc;
};

static void
put(struct pg *p, const char *s)
{
	p->rc |= buf_puts(p->out, s, p->err);
}

static void
esc(struct pg *p, const char *s)
{
	p->rc |= svg_escape(p->out, s ? s : "", p->err);
}

static void
putf(struct pg *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
putf(struct pg *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		p->rc |= error_set(p->err, ERR_INTERNAL, "page line too long");
	else
		put(p, line);
}

/* Open a section whose heading, of anchor id, names it for screen
 * readers; the caller closes it. */
static void
section(struct pg *p, const char *id, const char *title)
{
	putf(p, "<section aria-labelledby=\"%s\"><h2 id=\"%s\">%s</h2>\n",
	    id, id, title);
}

static const json_t *
reason_of(const json_t *d, const char *code)
{
	const json_t *r;
	size_t i;

	json_array_foreach(GET(d, "reasons"), i, r)
		if (strcmp(STR(r, "code"), code) == 0)
			return r;
	return NULL;
}

static int
has_reason(const json_t *d, const char *code)
{
	return reason_of(d, code) != NULL;
}

static const char *
verdict_words(const char *v)
{
	return strcmp(v, "ready") == 0 ? "Ready to enforce" :
	    strcmp(v, "not-ready") == 0 ? "Not ready" : "Not enough data yet";
}

/* One sentence: why this verdict. */
static void
why(struct pg *p, const json_t *d)
{
	const char *v = STR(d, "verdict"), *want;
	const json_t *r;
	size_t i;

	want = strcmp(v, "not-ready") == 0 ? "blocking" :
	    strcmp(v, "insufficient-data") == 0 ? "insufficient" : NULL;
	if (want != NULL)
		json_array_foreach(GET(d, "reasons"), i, r)
			if (strcmp(STR(r, "kind"), want) == 0) {
				const char *m = STR(r, "message");

				/* Sentence case for the page. */
				if (m[0] >= 'a' && m[0] <= 'z') {
					char first[2] = { (char)(m[0] - 32), 0 };

					esc(p, first);
					esc(p, m + 1);
				} else {
					esc(p, m);
				}
				if (m[0] && m[strlen(m) - 1] != '.')
					put(p, ".");
				return;
			}
	if (INT(GET(GET(d, "sts"), "recent"), "refused_if_enforced") > 0)
		putf(p, "In the last %lld days, %lld sts sessions were reported "
		    "and %lld would be refused under enforce, below the rates "
		    "that block (see the warnings); the evidence is "
		    "sufficient.", INT(GET(d, "recent"), "days"),
		    INT(GET(GET(d, "sts"), "recent"), "sessions"),
		    INT(GET(GET(d, "sts"), "recent"), "refused_if_enforced"));
	else
		putf(p, "In the last %lld days, %lld sts sessions were reported "
		    "and none failed in a way enforce would refuse; the "
		    "evidence is sufficient.", INT(GET(d, "recent"), "days"),
		    INT(GET(GET(d, "sts"), "recent"), "sessions"));
}

/* A point is met only when no reason concerns it; REVIEW when only a
 * warning does. */
enum mark { MET, NOT_MET, UNKNOWN, REVIEW };

static void
check_item(struct pg *p, enum mark m, const char *what, const char *because)
{
	static const char *cls[] = { "met", "not-met", "unknown", "review" };
	static const char *word[] = { "&#10003; Met", "&#10007; Not met",
	    "? Unknown", "! Review" };

	putf(p, "<li class=\"%s\"><span class=\"mark\">%s</span> <strong>",
	    cls[m], word[m]);
	esc(p, what);
	put(p, "</strong><span class=\"why\">");
	esc(p, because);
	put(p, "</span></li>\n");
}

static void
checklist(struct pg *p, const json_t *d)
{
	const json_t *rec = GET(GET(d, "sts"), "recent"), *f, *r;
	int live = GET(d, "live") != NULL;
	long long sts = INT(rec, "sessions");
	long long refused = INT(rec, "refused_if_enforced");
	int unknown_types = 0, fetch_rows = 0;
	char buf[512];
	size_t i;

	json_array_foreach(GET(d, "failures"), i, f) {
		const char *t = STR(f, "result_type");

		if (strncmp(t, "sts-", 4) == 0)
			fetch_rows++;
		if (strcmp(t, "not-detailed") == 0)
			continue;

		if (INT(f, "recent_sessions") > 0 && json_is_true(GET(f,
		    "blocking")) && !analyse_type_known(t))
			unknown_types++;
	}
	section(p, "check", "Pre-enforcement checklist");
	put(p, "<ol class=\"check\">\n");

	if (has_reason(d, "mx-not-in-policy") ||
	    has_reason(d, "mx-missing-from-policy"))
		check_item(p, NOT_MET, "Every MX is listed in the policy",
		    "Mail went to an MX that no mx line of the policy "
		    "matches; see the next steps.");
	else if (live)
		check_item(p, MET, "Every MX is listed in the policy",
		    "The live check found every MX record matched by the "
		    "policy, and no reporter saw an MX outside it.");
	else
		check_item(p, UNKNOWN, "Every MX is listed in the policy",
		    "No reporter saw an MX outside the policy, but reports "
		    "only name MX hosts that failed; run with --live to "
		    "check the MX records.");

	if ((r = reason_of(d, "mx-no-starttls")) != NULL ||
	    (r = reason_of(d, "mx-cert-invalid")) != NULL) {
		fmt_cut(buf, sizeof(buf), "The live probe: %s",
		    STR(r, "message"));
		check_item(p, NOT_MET, "STARTTLS with a valid certificate on "
		    "every MX", buf);
	} else if ((r = reason_of(d, "mx-tls-broken")) != NULL) {
		fmt_cut(buf, sizeof(buf), "%s failed with %s for %lld "
		    "reporter(s) on %lld days.", STR(r, "receiving_mx_hostname"),
		    STR(r, "result_type"), (long long)json_array_size(GET(r,
		    "reporters")), INT(r, "days"));
		check_item(p, NOT_MET, "STARTTLS with a valid certificate on "
		    "every MX", buf);
	} else if (has_reason(d, "tls-failures")) {
		fmt_cut(buf, sizeof(buf), "%lld of %lld sts sessions in the "
		    "last %lld days would be refused under enforce.", refused,
		    sts, INT(GET(d, "recent"), "days"));
		check_item(p, NOT_MET, "STARTTLS with a valid certificate on "
		    "every MX", buf);
	} else if (refused > 0) {
		fmt_cut(buf, sizeof(buf), "%lld of %lld sts sessions in the "
		    "last %lld days would be refused under enforce, below the "
		    "rates that block: each is listed below with its MX.",
		    refused, sts, INT(GET(d, "recent"), "days"));
		check_item(p, REVIEW, "STARTTLS with a valid certificate on "
		    "every MX", buf);
	} else if (sts > 0 || live) {
		fmt_cut(buf, sizeof(buf), "%lld sts sessions in the last %lld "
		    "days%s; none would be refused under enforce.", sts,
		    INT(GET(d, "recent"), "days"), live ? " and the live "
		    "STARTTLS probe" : "");
		check_item(p, MET, "STARTTLS with a valid certificate on "
		    "every MX", buf);
	} else {
		check_item(p, UNKNOWN, "STARTTLS with a valid certificate on "
		    "every MX", "No sts session was reported in the last "
		    "days.");
	}

	if (has_reason(d, "policy-fetch-errors") ||
	    has_reason(d, "policy-unreachable") ||
	    has_reason(d, "policy-invalid") ||
	    has_reason(d, "sts-record-invalid") ||
	    has_reason(d, "no-policy-published"))
		check_item(p, NOT_MET, "Policy served from the right host and "
		    "path", "Senders could not fetch or validate the policy "
		    "at https://mta-sts.<domain>/.well-known/mta-sts.txt.");
	else if (sts > 0 || live)
		check_item(p, MET, "Policy served from the right host and "
		    "path", live ? "The live fetch of the policy succeeded and "
		    "senders applied it." : fetch_rows ? "Senders fetched and "
		    "applied the policy in the last days; the fetch errors "
		    "listed below are older." : "Senders fetched and applied "
		    "the policy, with no fetch error reported.");
	else
		check_item(p, UNKNOWN, "Policy served from the right host and "
		    "path", "No sender reported applying the policy yet.");

	if (has_reason(d, "too-few-days") || has_reason(d, "too-few-reporters")
	    || has_reason(d, "too-few-sessions") ||
	    has_reason(d, "stale-reports")) {
		fmt_cut(buf, sizeof(buf), "Reports on %lld of %lld days from "
		    "%zu reporter%s: not enough yet (see the next steps).",
		    INT(d, "days_with_reports"), INT(GET(d, "window"), "days"),
		    json_array_size(GET(d, "reporters")),
		    json_array_size(GET(d, "reporters")) == 1 ? "" : "s");
		check_item(p, NOT_MET, "Long enough in testing, reports "
		    "reviewed", buf);
	} else {
		fmt_cut(buf, sizeof(buf), "Reports on %lld of %lld days from "
		    "%zu reporters, reviewed on this page.",
		    INT(d, "days_with_reports"), INT(GET(d, "window"), "days"),
		    json_array_size(GET(d, "reporters")));
		check_item(p, MET, "Long enough in testing, reports reviewed",
		    buf);
	}

	if (unknown_types > 0)
		check_item(p, NOT_MET, "Failure patterns understood",
		    "Some failures are of a type this page cannot explain; "
		    "find out what they mean.");
	else if (has_reason(d, "tls-failures") ||
	    has_reason(d, "mx-tls-broken") ||
	    has_reason(d, "mx-not-in-policy"))
		check_item(p, NOT_MET, "Failure patterns understood",
		    "Failures that enforce would refuse still happen; each is "
		    "listed below with its MX.");
	else if (has_reason(d, "isolated-failures") ||
	    has_reason(d, "conflicting-reports") || refused > 0)
		check_item(p, REVIEW, "Failure patterns understood",
		    has_reason(d, "conflicting-reports") ? "Copies of one "
		    "report disagree: one may be forged; see the reasons." :
		    "A few sessions would be refused, below the rates that "
		    "block; each is listed below with its MX.");
	else if (INT(d, "reports") == 0)
		check_item(p, UNKNOWN, "Failure patterns understood",
		    "No report in the window: nothing to judge yet.");
	else
		check_item(p, MET, "Failure patterns understood",
		    json_array_size(GET(d, "failures")) ? "The failures "
		    "listed below would not be refused under enforce, or "
		    "stopped before the last days." : "No failure reported.");
	put(p, "</ol></section>\n");
}

static void
charts(struct pg *p, const json_t *d, int idx)
{
	const json_t *daily = GET(d, "daily"), *e;
	size_t n = json_array_size(daily), i;
	double *sess = calloc(n + 1, sizeof(double));
	double *failed = calloc(n + 1, sizeof(double));
	double *refused = calloc(n + 1, sizeof(double));
	char **labels = calloc(n + 1, sizeof(char *));
	char id[32], desc[512];
	long long ts = 0, tf = 0, tr = 0;

	if (sess == NULL || failed == NULL || refused == NULL ||
	    labels == NULL) {
		p->rc |= error_set(p->err, ERR_NOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(daily, i, e) {
		sess[i] = (double)INT(e, "sts_sessions");
		failed[i] = (double)INT(e, "sts_failed");
		refused[i] = (double)INT(e, "refused_if_enforced");
		ts = count_add(ts, INT(e, "sts_sessions"));
		tf = count_add(tf, INT(e, "sts_failed"));
		tr = count_add(tr, INT(e, "refused_if_enforced"));
		labels[i] = strdup(STR(e, "date") ? STR(e, "date") + 5 : "");
		if (labels[i] == NULL) {
			p->rc |= error_set(p->err, ERR_NOMEM, "out of memory");
			goto done;
		}
	}
	section(p, "chart", "Sessions and failures per day");
	{
		struct svg_series s1[] = { { "sts sessions", sess, C_SESSIONS,
		    0 } };
		struct svg_series s2[] = { { "failed", failed, C_FAILED, 0 },
		    { "refused if enforced", refused, C_REFUSED, 1 } };
		struct svg_chart c = { .xlabels = (const char *const *)labels,
		    .n = n, .width = 720, .height = 220 };

		fmt_cut(id, sizeof(id), "c%d-s", idx);
		fmt_cut(desc, sizeof(desc), "Bar chart of sts sessions per day "
		    "over %zu days: %lld in all.", n, ts);
		c.id = id;
		c.title = "sts sessions per day";
		c.desc = desc;
		c.series = s1;
		c.nseries = 1;
		c.log_scale = svg_wants_log(sess, n);
		c.ylabel = c.log_scale ? "sessions (log scale)" : "sessions";
		p->rc |= svg_bar_chart(p->out, &c, p->err);

		fmt_cut(id, sizeof(id), "c%d-f", idx);
		fmt_cut(desc, sizeof(desc), "Bar chart of failed sts sessions "
		    "per day, and of those that enforce would refuse (hatched): "
		    "%lld failed and %lld refused in all.", tf, tr);
		c.id = id;
		c.title = "Failed sessions per day";
		c.desc = desc;
		c.series = s2;
		c.nseries = 2;
		c.log_scale = svg_wants_log(failed, n);
		c.ylabel = c.log_scale ? "failed (log scale)" :
		    "failed sessions";
		p->rc |= svg_bar_chart(p->out, &c, p->err);
	}
	put(p, "</section>\n");
done:
	for (i = 0; labels && i < n; i++)
		free(labels[i]);
	free(labels);
	free(sess);
	free(failed);
	free(refused);
}

static void
list_names(struct pg *p, const json_t *a)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (i)
			put(p, ", ");
		esc(p, json_string_value(v));
	}
}

static void
failures(struct pg *p, const json_t *d)
{
	const json_t *f;
	size_t i;

	section(p, "fail", "Failures by MX and result type");
	if (json_array_size(GET(d, "failures")) == 0) {
		put(p, "<p>No failure was reported in the window.</p></section>"
		    "\n");
		return;
	}
	put(p, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">"
	    "Receiving MX</th><th scope=\"col\">Result type</th><th "
	    "scope=\"col\" class=\"n\">Sessions</th><th scope=\"col\" "
	    "class=\"n\">Last 7 days</th><th scope=\"col\">Refused under "
	    "enforce</th><th scope=\"col\">Reporters</th><th scope=\"col\">"
	    "First seen</th><th scope=\"col\">Last seen</th></tr></thead>"
	    "<tbody>\n");
	json_array_foreach(GET(d, "failures"), i, f) {
		put(p, "<tr><td>");
		esc(p, STR(f, "receiving_mx_hostname") ?
		    STR(f, "receiving_mx_hostname") : "(not named)");
		put(p, "</td><td>");
		esc(p, STR(f, "result_type"));
		putf(p, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
		    "<td>%s</td><td>", INT(f, "sessions"),
		    INT(f, "recent_sessions"), json_is_true(GET(f, "blocking")) ?
		    "yes" : "no");
		list_names(p, GET(f, "reporters"));
		putf(p, "</td><td>%.10s</td><td>%.10s</td></tr>\n",
		    STR(f, "first_seen"), STR(f, "last_seen"));
	}
	put(p, "</tbody></table></div></section>\n");
}

static void
reporters(struct pg *p, const json_t *d)
{
	const json_t *r;
	size_t i, j;
	int silent = 0;

	section(p, "rep", "Reporters");
	put(p, "<table><thead><tr><th scope=\"col\">Organization</th>"
	    "<th scope=\"col\" class=\"n\">Reports</th><th scope=\"col\">"
	    "Last report ended</th><th scope=\"col\" class=\"n\">sts "
	    "sessions, last days</th><th scope=\"col\" class=\"n\">Refused if "
	    "enforced</th></tr></thead><tbody>\n");
	json_array_foreach(GET(d, "reporter_details"), i, r) {
		const json_t *b = json_array_get(GET(d, "by_reporter"), i);

		put(p, "<tr><td>");
		esc(p, STR(r, "name"));
		putf(p, "</td><td class=\"n\">%lld</td><td>", INT(r, "reports"));
		esc(p, STR(r, "last_seen"));
		putf(p, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld"
		    "</td></tr>\n", INT(b, "sessions"), INT(b, "refused"));
	}
	if (json_array_size(GET(d, "reporter_details")) == 0) {
		put(p, "<tr><td colspan=\"5\">No report in the window");
		if (STR(d, "last_report")) {
			put(p, "; the last one ended ");
			esc(p, STR(d, "last_report"));
		}
		put(p, ".</td></tr>\n");
	}
	put(p, "</tbody></table>\n");
	for (i = 0; major_reporters[i]; i++) {
		int seen = 0;

		json_array_foreach(GET(d, "reporters"), j, r)
			if (strcmp(json_string_value(r), major_reporters[i]) ==
			    0)
				seen = 1;
		if (seen)
			continue;
		if (!silent++)
			put(p, "<p><strong>Major reporters silent in the window:"
			    "</strong> ");
		else
			put(p, ", ");
		esc(p, major_reporters[i]);
	}
	if (silent)
		put(p, ". If their users send you mail, check that the rua= "
		    "address of the _smtp._tls TXT record reaches tlsrptd.</p>"
		    "\n");
	put(p, "</section>\n");
}

/* One row of the live checks table: the check, its status, the rest of
 * its evidence in compact JSON. */
static void
live_row(struct pg *p, const char *name, const json_t *c)
{
	json_t *rest = json_deep_copy(c);
	const char *status = STR(c, "status");
	char *txt;

	if (rest != NULL) {
		json_object_del(rest, "status");
		json_object_del(rest, "lines");
	}
	txt = rest ? json_dumps(rest, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	put(p, "<tr><th scope=\"row\">");
	esc(p, name);
	putf(p, "</th><td class=\"st-%s\">", status ? status : "none");
	esc(p, status ? status : "-");
	put(p, "</td><td><code>");
	if (txt != NULL && strlen(txt) > 300)
		memcpy(txt + 296, "...}", 5);
	esc(p, txt ? txt : "");
	put(p, "</code></td></tr>\n");
	free(txt);
	json_decref(rest);
}

/* The live checks (doc/live.md): the policy published now, then one
 * row per check with its status and evidence. */
static void
live_checks(struct pg *p, const json_t *live)
{
	const json_t *checks = GET(live, "checks"), *lines, *e;
	const char *key;
	json_t *val;
	size_t i;

	lines = GET(GET(checks, "policy"), "lines");
	put(p, "<h3>Published now (live check of ");
	esc(p, STR(live, "checked_at"));
	put(p, ")</h3>\n");
	if (json_array_size(lines) > 0) {
		put(p, "<pre><code>");
		json_array_foreach(lines, i, e) {
			esc(p, json_string_value(e));
			put(p, "\n");
		}
		put(p, "</code></pre>\n");
	} else {
		put(p, "<p>No policy could be fetched.</p>\n");
	}
	if (STR(GET(checks, "mx"), "dnssec") != NULL &&
	    strcmp(STR(GET(checks, "mx"), "dnssec"), "not-checked") == 0)
		put(p, "<p>DNSSEC and DANE were not checked: the resolver "
		    "gives no DNSSEC data (tlsrpt-check(1)).</p>\n");
	put(p, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">"
	    "Check</th><th scope=\"col\">Status</th><th scope=\"col\">"
	    "Evidence</th></tr></thead><tbody>\n");
	json_object_foreach((json_t *)checks, key, val) {
		if (json_is_array(val)) {
			json_array_foreach(val, i, e) {
				char name[128];

				const char *what = STR(e, "host") ?
				    STR(e, "host") : STR(e, "mx") ?
				    STR(e, "mx") : STR(e, "pattern") ?
				    STR(e, "pattern") : "";

				fmt_cut(name, sizeof(name), "%s %s%s%s", key,
				    what, STR(e, "address") ? " " : "",
				    STR(e, "address") ? STR(e, "address") : "");
				live_row(p, name, e);
			}
		} else if (json_is_object(val)) {
			live_row(p, key, val);
		}
	}
	put(p, "</tbody></table></div>\n");
}

static void
versions(struct pg *p, const json_t *d)
{
	const json_t *v, *l, *r, *live = GET(d, "live");
	size_t i, j;

	section(p, "pol", "Policy versions seen");
	if (json_array_size(GET(GET(d, "policy"), "versions_seen")) == 0)
		put(p, "<p>No reporter quoted an sts policy.</p>\n");
	json_array_foreach(GET(GET(d, "policy"), "versions_seen"), i, v) {
		putf(p, "<h3>Version %zu, seen %.10s to %.10s by ", i + 1,
		    STR(v, "first_seen"), STR(v, "last_seen"));
		list_names(p, GET(v, "reporters"));
		put(p, "</h3>\n<pre><code>");
		json_array_foreach(GET(v, "lines"), j, l) {
			esc(p, json_string_value(l));
			put(p, "\n");
		}
		put(p, "</code></pre>\n");
	}
	if (json_is_object(live))
		live_checks(p, live);
	else if ((r = reason_of(d, "live-checks-not-run")) != NULL) {
		put(p, "<h3>Published now</h3>\n<p>The live checks could not "
		    "run: ");
		esc(p, STR(r, "error") ? STR(r, "error") : "");
		put(p, "</p>\n");
	}
	put(p, "</section>\n");
}

static void
steps(struct pg *p, const json_t *d)
{
	const json_t *s;
	size_t i;

	section(p, "steps", "Next steps");
	put(p, "<ol class=\"steps\">\n");
	json_array_foreach(GET(d, "next_steps"), i, s) {
		put(p, "<li>");
		esc(p, json_string_value(s));
		put(p, "</li>\n");
	}
	put(p, "</ol></section>\n");
}

static void
refusals(struct pg *p, const json_t *d)
{
	const json_t *e;
	size_t i;

	section(p, "refuse", "What enforce would refuse today");
	if (has_reason(d, "already-enforced"))
		put(p, "<p>Reporters already see <code>mode: enforce</code>: "
		    "these refusals are happening now.</p>\n");
	put(p, "<table><thead><tr><th scope=\"col\">Day</th><th scope=\"col\" "
	    "class=\"n\">sts sessions</th><th scope=\"col\" class=\"n\">"
	    "Failed</th><th scope=\"col\" class=\"n\">Refused if enforced"
	    "</th></tr></thead><tbody>\n");
	for (i = 0; i < json_array_size(GET(d, "daily")); i++) {
		size_t j;

		e = json_array_get(GET(d, "daily"), i);
		if (INT(e, "reports") > 0) {
			putf(p, "<tr><td>%s</td><td class=\"n\">%lld</td><td "
			    "class=\"n\">%lld</td><td class=\"n\">%lld</td>"
			    "</tr>\n", STR(e, "date"), INT(e, "sts_sessions"),
			    INT(e, "sts_failed"), INT(e, "refused_if_enforced"));
			continue;
		}
		if ((j = analyse_quiet_run(GET(d, "daily"), i)) == i)
			putf(p, "<tr><td>%s</td><td colspan=\"3\">no report</td>"
			    "</tr>\n", STR(e, "date"));
		else
			putf(p, "<tr><td>%s to %s</td><td colspan=\"3\">no "
			    "report on these %zu days</td></tr>\n",
			    STR(e, "date"), STR(json_array_get(GET(d, "daily"),
			    j), "date"), j - i + 1);
		i = j;
	}
	put(p, "</tbody></table></section>\n");
}

static void
domain_page(struct pg *p, const json_t *d, int idx)
{
	const char *v = STR(d, "verdict");
	const json_t *w = GET(d, "window");

	/* The overview heading a page of several domains links here. */
	put(p, "<article id=\"domain-");
	esc(p, STR(d, "domain"));
	put(p, "\">\n<header><p class=\"kicker\">MTA-STS action plan, "
	    "from TLS reports of ");
	putf(p, "%.10s to %.10s</p>\n<h1>", STR(w, "start"), STR(w, "end"));
	esc(p, STR(d, "domain"));
	putf(p, "</h1>\n<p class=\"verdict v-%s\"><span class=\"badge\">%s"
	    "</span> ", v, verdict_words(v));
	why(p, d);
	put(p, "</p></header>\n");
	checklist(p, d);
	charts(p, d, idx);
	failures(p, d);
	reporters(p, d);
	versions(p, d);
	steps(p, d);
	refusals(p, d);
	put(p, "</article>\n");
}

/* Several domains: the overview first, each linked to its part. */
static void
overview(struct pg *p, const json_t *raw)
{
	struct overview_row *rows;
	size_t n;

	if (overview_rows_from_summary(raw, &rows, &n, p->err) < 0) {
		p->rc |= -1;
		return;
	}
	put(p, "<h1>MTA-STS readiness of every domain</h1>\n");
	p->rc |= overview_table(p->out, rows, n, "#domain-", p->err);
	overview_rows_free(rows, n);
}

/* Every string is shown escaped (escape.h) before markup is escaped:
 * report fields are written by whoever posted the report. */
int
page_render(struct buf *out, const json_t *raw, struct error *err)
{
	json_t *summary = escape_json_copy(raw);
	struct pg p = { .out = out, .err = err };
	const json_t *d, *doms = GET(summary, "domains");
	size_t i;

	if (summary == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");

	put(&p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset="
	    "\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,"
	    " initial-scale=1\">\n<meta http-equiv=\"Content-Security-Policy\""
	    " content=\"default-src 'none'; style-src 'unsafe-inline'; "
	    "img-src data:\">\n<title>MTA-STS action plan");
	if (json_array_size(doms) == 1) {
		put(&p, ": ");
		esc(&p, STR(json_array_get(doms, 0), "domain"));
		put(&p, " (");
		esc(&p, verdict_words(STR(json_array_get(doms, 0),
		    "verdict")));
		put(&p, ")");
	}
	put(&p, "</title>\n<style>");
	put(&p, css);
	put(&p, "</style>\n</head>\n<body>\n<main>\n");
	if (json_array_size(doms) > 1)
		overview(&p, raw);
	json_array_foreach(doms, i, d)
		domain_page(&p, d, (int)i);
	if (json_array_size(doms) == 0)
		put(&p, "<h1>MTA-STS action plan</h1><p>No policy domain in the "
		    "store: import reports first.</p>\n");
	putf(&p, "<footer><p>Made by tlsrpt-summary %s from the reports of "
	    "the %lld days before ", TLSRPT_VERSION, INT(summary,
	    "window_days"));
	esc(&p, STR(summary, "now"));
	put(&p, ". The verdict follows RFC 8460 reports received; it is "
	    "evidence, not a guarantee.</p></footer>\n</main>\n</body>\n"
	    "</html>\n");
	json_decref(summary);
	return p.rc ? -1 : 0;
}
