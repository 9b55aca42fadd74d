/* Unit tests: svg (scales, escaping, the chart's parts). */
#include "svg.h"
#include "tap.h"

static void
scale(double max, double want_step, double want_top)
{
	double step, top;

	svg_scale(max, 4, &step, &top);
	ok(step == want_step && top == want_top, "scale for %g: step %g top "
	    "%g (got %g, %g)", max, want_step, want_top, step, top);
}

int
main(void)
{
	static const double a[] = { 0, 3, 1200 }, b[] = { 0, 0, 1 };
	static const char *const x[] = { "03-01", "03-02", "03-03" };
	struct svg_series s[] = { { "sessions", a, "#0072b2", 0 },
	    { "refused <if> enforced", b, "#d55e00", 1 } };
	struct svg_chart c = { "c0", "Sessions & failures", "3 days: 1203 "
	    "sessions", x, 3, s, 2, "sessions", 600, 200, 0 };
	struct error err;
	struct buf out;

	scale(0, 1, 1);
	scale(1, 1, 1);
	scale(3, 1, 3);
	scale(7, 2, 8);
	scale(10, 5, 10);
	scale(99, 50, 100);
	scale(1402, 500, 1500);
	scale(123456, 50000, 150000);

	buf_init(&out, 1 << 20);
	ok(svg_escape(&out, "<a href=\"x\">'&'</a>", &err) == 0, "escape");
	is_str(out.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
	    "escaped text");
	buf_release(&out);

	ok(svg_bar_chart(&out, &c, &err) == 0, "chart drawn");
	ok(strstr(out.data, "role=\"img\" aria-labelledby=\"c0-t c0-d\"") != NULL,
	    "labelled for screen readers");
	ok(strstr(out.data, "<title id=\"c0-t\">Sessions &amp; failures</title>")
	    != NULL, "title escaped");
	ok(strstr(out.data, "<desc id=\"c0-d\">3 days: 1203 sessions</desc>") !=
	    NULL, "text alternative");
	ok(strstr(out.data, "<title>03-03: 1200 sessions</title>") != NULL,
	    "each bar says its value");
	ok(strstr(out.data, "fill=\"url(#c0-h1)\"") != NULL, "second series "
	    "hatched, not colour alone");
	ok(strstr(out.data, ">1500</text>") != NULL, "round top tick 1500");
	ok(strstr(out.data, "refused &lt;if&gt; enforced") != NULL,
	    "legend escaped");
	ok(strstr(out.data, "height=\"1.5\"") != NULL, "a one-session bar is "
	    "still visible");
	buf_release(&out);

	/* A day of 3 beside a day of 30,000: on a log scale the small one
	 * stands a fifth of the way up, not at a 1.5-unit sliver. */
	{
		static const double w[] = { 3, 30000, 0 };
		struct svg_series ws[] = { { "sessions", w, "#0072b2", 0 } };
		struct svg_chart lc = { "c1", "Sessions", "wide", x, 3, ws, 1,
		    "sessions (log scale)", 600, 200, 1 };

		ok(svg_wants_log(w, 3), "3 beside 30,000 wants a log scale");
		ok(svg_wants_log(a + 1, 2), "3 beside 1200 too");
		ok(!svg_wants_log(b, 3), "one value alone does not");
		ok(svg_bar_chart(&out, &lc, &err) == 0, "log chart drawn");
		ok(strstr(out.data, ">10</text>") != NULL &&
		    strstr(out.data, ">100k</text>") != NULL,
		    "ticks at powers of ten up to 100k");
		ok(strstr(out.data, "height=\"1.5\"") == NULL,
		    "the small day is more than a sliver");
		buf_release(&out);
	}
	return tap_done();
}
