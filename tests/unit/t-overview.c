/*
 * Unit tests: overview (the table of every domain): each row's cells as
 * written, report text escaped twice (controls, then markup), a domain
 * not judged yet, the empty store, and the page written a row at a time
 * the same as from an array.
 */
#include <string.h>

#include "overview.h"
#include "tap.h"

int
main(void)
{
	struct overview_row rows[3] = {
		{ .domain = "a.example", .verdict = "not-ready",
		  .last_report = 1796601599, .sessions = 1000, .refused = 40,
		  .why = "40 of 1000 at <mx> & \"x\" \x1b[31m \xe2\x80\xae." },
		{ .domain = "b.example", .verdict = "",
		  .last_report = -1, .sessions = 0, .refused = 0 },
		{ .domain = "c.example", .verdict = "ready",
		  .last_report = 0, .sessions = -3,
		  .refused = 9223372036854775807LL },
	};
	struct error err;
	struct buf a, b;
	size_t i;

	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	ok(overview_page(&a, rows, 3, &err) == 0, "page of three domains");
	ok(strstr(a.data, "<p>3 domains, judged") != NULL, "the count");
	ok(strstr(a.data, "<tr><td><a href=\"/report/a.example\">a.example"
	    "</a></td><td class=\"v-not-ready\"><span class=\"badge\">not "
	    "ready</span></td><td>40 of 1000 at &lt;mx&gt; &amp; &quot;x&quot; "
	    "\\x1b[31m \\u202e.</td><td class=\"d\">2026-12-06</td><td "
	    "class=\"n\">1000</td><td class=\"n\">40</td></tr>\n") != NULL,
	    "a judged row: link, verdict, why escaped, day, counts");
	ok(strstr(a.data, "<td class=\"v-\"><span class=\"badge\">not judged "
	    "yet</span></td><td></td><td class=\"d\">none</td>") != NULL,
	    "a row not judged yet, without a report");
	ok(strstr(a.data, "<td class=\"d\">1970-01-01</td><td class=\"n\">-3"
	    "</td><td class=\"n\">9223372036854775807</td>") != NULL,
	    "the epoch, a negative count, the largest");
	ok(strstr(a.data, "<script") == NULL && strchr(a.data, '\x1b') == NULL,
	    "no raw markup or control from the rows");

	ok(overview_page_begin(&b, 3, &err) == 0, "a row at a time: begin");
	for (i = 0; i < 3; i++)
		ok(overview_table_row(&b, &rows[i], "/report/", &err) == 0,
		    "a row at a time: row %zu", i);
	ok(overview_page_end(&b, 3, &err) == 0, "a row at a time: end");
	ok(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	    "a row at a time: the same page");

	buf_release(&a);
	ok(overview_table(&a, rows, 1, "#domain-", &err) == 0 &&
	    strstr(a.data, "<a href=\"#domain-a.example\">") != NULL,
	    "the table in a page of several domains links to its part");
	buf_release(&a);
	ok(overview_page(&a, NULL, 0, &err) == 0 &&
	    strstr(a.data, "<p>0 domains,") != NULL &&
	    strstr(a.data, "No policy domain in the store yet.") != NULL,
	    "an empty store");
	buf_release(&a);
	buf_init(&a, 1000);
	ok(overview_page(&a, rows, 3, &err) == -1 && err.kind == ERR_TOO_BIG,
	    "a page past its buffer's limit: an error, not a cut page");
	buf_release(&a);
	buf_release(&b);
	return tap_done();
}
