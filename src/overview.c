/* overview: see include/overview.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "overview.h"
#include "rfc3339.h"
#include "svg.h"
#include "version.h"
#include "banned.h"

/* Enough for the table alone; the page of several domains has its own. */
static const char css[] =
    "body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "color:#1a1a1a;background:#fff;margin:0}"
    "main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}"
    "h1{font-size:1.8rem;margin:.2rem 0}"
    "table{border-collapse:collapse;width:100%;font-size:.92rem;"
    "margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;"
    "border-bottom:1px solid #e3e3e3;vertical-align:top}"
    "th{background:#f3f3f3}td.n,th.n{text-align:right;"
    "font-variant-numeric:tabular-nums}td.d{white-space:nowrap}"
    ".badge{font-weight:700;text-transform:uppercase;letter-spacing:.03em}"
    ".v-ready .badge{color:#006e50}.v-not-ready .badge{color:#a33f00}"
    ".v-insufficient-data .badge{color:#7a5500}.v- .badge{color:#555}"
    "footer{margin-top:3rem;color:#666;font-size:.85rem}";

void
overview_rows_free(struct overview_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		free(rows[i].domain);
	free(rows);
}

int
overview_rows_from_summary(const json_t *summary, struct overview_row **rows,
			   size_t *n, struct error *err)
{
	const json_t *doms = json_object_get(summary, "domains"), *d;
	struct overview_row *r;
	const char *s;
	size_t i;

	*rows = NULL;
	*n = 0;
	if ((r = calloc(json_array_size(doms) + 1, sizeof(*r))) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	json_array_foreach(doms, i, d) {
		s = json_string_value(json_object_get(d, "domain"));
		if ((r[i].domain = strdup(s ? s : "")) == NULL) {
			overview_rows_free(r, i);
			return error_set(err, ERR_NOMEM, "out of memory");
		}
		overview_row_set(&r[i], d);
	}
	*rows = r;
	*n = json_array_size(doms);
	return 0;
}

const char *
overview_main_reason(const json_t *d)
{
	static const char *const kinds[] = { "blocking", "insufficient",
	    "warning" };
	const json_t *r;
	const char *k, *m;
	size_t i, j;

	for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++)
		json_array_foreach(json_object_get(d, "reasons"), i, r) {
			k = json_string_value(json_object_get(r, "kind"));
			m = json_string_value(json_object_get(r, "message"));
			if (k != NULL && m != NULL && strcmp(k, kinds[j]) == 0)
				return m;
		}
	return "";
}

void
overview_row_set(struct overview_row *row, const json_t *d)
{
	const json_t *rec = json_object_get(json_object_get(d, "sts"),
	    "recent");
	const char *s = json_string_value(json_object_get(d, "verdict"));
	int k;

	k = snprintf(row->verdict, sizeof(row->verdict), "%s", s ? s : "");
	if (k < 0 || (size_t)k >= sizeof(row->verdict))
		row->verdict[0] = '\0';
	s = json_string_value(json_object_get(d, "last_report"));
	if (s == NULL || rfc3339_parse(s, &row->last_report) < 0)
		row->last_report = -1;
	row->sessions = json_integer_value(json_object_get(rec, "sessions"));
	row->refused = json_integer_value(json_object_get(rec,
	    "refused_if_enforced"));
	/* Cut at a character, never inside one. */
	k = snprintf(row->why, sizeof(row->why), "%s",
	    overview_main_reason(d));
	if (k >= 0 && (size_t)k >= sizeof(row->why)) {
		k = (int)sizeof(row->why) - 1;
		while (k > 0 && ((unsigned char)row->why[k] & 0xc0) == 0x80)
			k--;
		row->why[k] = '\0';
	}
}

/* A string shown escaped (escape.h), then with markup escaped. */
static int
esc(struct buf *out, const char *s, struct error *err)
{
	char shown[6 * OVERVIEW_WHY_MAX + 1];

	escape_string(shown, sizeof(shown), s, 0);
	return svg_escape(out, shown, err);
}

/* A count in decimal. */
static int
put_int(struct buf *out, int64_t v, struct error *err)
{
	char d[24], *p = d + sizeof(d);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return buf_append(out, p, (size_t)(d + sizeof(d) - p), err);
}

static const char *
words(const char *verdict)
{
	if (strcmp(verdict, "ready") == 0)
		return "ready";
	if (strcmp(verdict, "not-ready") == 0)
		return "not ready";
	if (strcmp(verdict, "insufficient-data") == 0)
		return "insufficient data";
	return "not judged yet";
}

int
overview_table_begin(struct buf *out, struct error *err)
{
	return buf_puts(out, "<section class=\"overview\">\n<table>\n<thead>"
	    "<tr><th>Domain</th><th>Verdict</th><th>Why</th><th>Last report"
	    "</th><th class=\"n\">Sessions (7 days)</th><th class=\"n\">"
	    "Refused under enforce</th></tr></thead>\n<tbody>\n", err);
}

int
overview_table_row(struct buf *out, const struct overview_row *row,
		   const char *link_prefix, struct error *err)
{
	char when[RFC3339_LEN];
	const char *v = row->verdict;

	if (row->last_report >= 0) {
		rfc3339_format(row->last_report, when);
		when[10] = '\0';	/* the day */
	}
	/* Pieces put one by one: printf's parse of a format was half the
	 * page of 10,000 domains (BENCHMARKS.md). */
	return (buf_puts(out, "<tr><td><a href=\"", err) |
	    buf_puts(out, link_prefix, err) |
	    esc(out, row->domain, err) |
	    buf_puts(out, "\">", err) |
	    esc(out, row->domain, err) |
	    buf_puts(out, "</a></td><td class=\"v-", err) |
	    buf_puts(out, strcmp(words(v), "not judged yet") ? v : "", err) |
	    buf_puts(out, "\"><span class=\"badge\">", err) |
	    buf_puts(out, words(v), err) |
	    buf_puts(out, "</span></td><td>", err) |
	    esc(out, row->why, err) |
	    buf_puts(out, "</td><td class=\"d\">", err) |
	    buf_puts(out, row->last_report >= 0 ? when : "none", err) |
	    buf_puts(out, "</td><td class=\"n\">", err) |
	    put_int(out, row->sessions, err) |
	    buf_puts(out, "</td><td class=\"n\">", err) |
	    put_int(out, row->refused, err) |
	    buf_puts(out, "</td></tr>\n", err)) ? -1 : 0;
}

int
overview_table_end(struct buf *out, size_t n, struct error *err)
{
	if (n == 0 && buf_puts(out, "<tr><td colspan=\"6\">No policy domain "
	    "in the store yet.</td></tr>\n", err) < 0)
		return -1;
	return buf_puts(out, "</tbody>\n</table>\n</section>\n", err);
}

int
overview_table(struct buf *out, const struct overview_row *rows, size_t n,
	       const char *link_prefix, struct error *err)
{
	size_t i;

	if (overview_table_begin(out, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (overview_table_row(out, &rows[i], link_prefix, err) < 0)
			return -1;
	return overview_table_end(out, n, err);
}

int
overview_page_begin(struct buf *out, size_t n, struct error *err)
{
	/* Room for the whole page at once, as near as a row's usual size
	 * says, so that a page of megabytes is not copied as it grows; a
	 * hint only: the appends below fail on their own. */
	(void)buf_grow(out, 4096 + n * 320, NULL);
	if (buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\""
	    "width=device-width, initial-scale=1\">\n<meta http-equiv=\""
	    "Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n<title>MTA-STS readiness of every "
	    "domain</title>\n<style>", err) < 0 ||
	    buf_puts(out, css, err) < 0 ||
	    buf_printf(out, err, "</style>\n</head>\n<body>\n<main>\n<h1>"
	    "MTA-STS readiness of every domain</h1>\n<p>%zu domain%s, judged "
	    "again within seconds of each report and every hour.</p>\n", n,
	    n == 1 ? "" : "s") < 0)
		return -1;
	return overview_table_begin(out, err);
}

int
overview_page_end(struct buf *out, size_t n, struct error *err)
{
	if (overview_table_end(out, n, err) < 0)
		return -1;
	return buf_printf(out, err, "<footer><p>tlsrptd %s. The verdicts "
	    "follow the RFC 8460 reports received; they are evidence, not a "
	    "guarantee.</p></footer>\n</main>\n</body>\n</html>\n",
	    TLSRPT_VERSION);
}

int
overview_page(struct buf *out, const struct overview_row *rows, size_t n,
	      struct error *err)
{
	size_t i;

	if (overview_page_begin(out, n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (overview_table_row(out, &rows[i], "/report/", err) < 0)
			return -1;
	return overview_page_end(out, n, err);
}
