/* svg: see include/svg.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "svg.h"
#include "banned.h"

void
svg_scale(double max, int ticks, double *step, double *top)
{
	double raw, mag, f;

	if (ticks < 1)
		ticks = 1;
	if (!(max > 0)) {
		*step = 1;
		*top = 1;
		return;
	}
	raw = max / ticks;
	mag = pow(10, floor(log10(raw)));
	f = raw / mag;
	*step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
	if (*step < 1)
		*step = 1;	/* counts: no fractional ticks */
	*top = ceil(max / *step) * *step;
	if (*top < *step)
		*top = *step;
}

/* A run of text without markup at a time, then the entity of the
 * character that ends it. */
int
svg_escape(struct buf *out, const char *s, struct error *err)
{
	const char *rep;
	size_t run;

	for (;;) {
		run = strcspn(s, "&<>\"'");
		if (buf_append(out, s, run, err) < 0)
			return -1;
		s += run;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: return 0;
		}
		if (buf_puts(out, rep, err) < 0)
			return -1;
		s++;
	}
}

/* A count as an axis label: 1200 -> "1.2k", 3000000 -> "3M". */
static void
short_number(double v, char *out, size_t len)
{
	if (v >= 1e6)
		fmt_cut(out, len, "%gM", v / 1e6);
	else if (v >= 1e4)
		fmt_cut(out, len, "%gk", v / 1e3);
	else
		fmt_cut(out, len, "%g", v);
}

int
svg_wants_log(const double *values, size_t n)
{
	double lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (values[i] > hi)
			hi = values[i];
		if (values[i] > 0 && (lo == 0 || values[i] < lo))
			lo = values[i];
	}
	return lo > 0 && hi > 50 * lo;
}

/* Where v stands on the y axis, from 0 (bottom) to 1 (top = ymax). */
static double
scaled(const struct svg_chart *c, double v, double ymax)
{
	if (v <= 0 || ymax <= 0)
		return 0;
	if (c->log_scale)
		return log10(1 + v) / log10(1 + ymax);
	return v / ymax;
}

int
svg_bar_chart(struct buf *out, const struct svg_chart *c, struct error *err)
{
	const int left = 56, right = 12, top = 34, bottom = 46;
	double max = 0, step, ymax, plot_w, plot_h, slot, bar_w, v, x, y, h;
	size_t i, s, every;
	char num[32];
	int rc = 0;

	for (s = 0; s < c->nseries; s++)
		for (i = 0; i < c->n; i++)
			if (c->series[s].values[i] > max)
				max = c->series[s].values[i];
	if (c->log_scale) {
		/* Ticks at 1, 10, 100...: step is the factor between them. */
		for (ymax = 1; ymax < max; ymax *= 10)
			;
		step = 10;
	} else {
		svg_scale(max, 4, &step, &ymax);
	}
	plot_w = c->width - left - right;
	plot_h = c->height - top - bottom;
	slot = c->n ? plot_w / (double)c->n : plot_w;
	bar_w = c->nseries ? slot * 0.8 / (double)c->nseries : slot;

	rc |= buf_printf(out, err, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"%s-t "
	    "%s-d\" class=\"chart\">\n<title id=\"%s-t\">", c->width,
	    c->height, c->id, c->id, c->id);
	rc |= svg_escape(out, c->title, err);
	rc |= buf_printf(out, err, "</title>\n<desc id=\"%s-d\">", c->id);
	rc |= svg_escape(out, c->desc, err);
	rc |= buf_puts(out, "</desc>\n", err);
	for (s = 0; s < c->nseries; s++)
		if (c->series[s].hatched)
			rc |= buf_printf(out, err, "<defs><pattern id=\"%s-h%zu\" "
			    "width=\"6\" height=\"6\" patternUnits=\"userSpaceOn"
			    "Use\" patternTransform=\"rotate(45)\"><rect width="
			    "\"6\" height=\"6\" fill=\"#fff\"/><rect width=\"3\" "
			    "height=\"6\" fill=\"%s\"/></pattern></defs>\n",
			    c->id, s, c->series[s].color);

	/* Grid lines and the y scale. */
	for (v = 0; v <= ymax + (c->log_scale ? 0 : step / 2);
	    v = c->log_scale ? (v == 0 ? 1 : v * step) : v + step) {
		y = top + plot_h - scaled(c, v, ymax) * plot_h;
		short_number(v, num, sizeof(num));
		rc |= buf_printf(out, err, "<line x1=\"%d\" x2=\"%.1f\" y1="
		    "\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/><text x=\"%d\" y="
		    "\"%.1f\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
		    left, left + plot_w, y, y, v == 0 ? "#333" : "#ddd",
		    left - 6, y + 4, num);
	}
	rc |= buf_printf(out, err, "<text x=\"12\" y=\"%.1f\" class=\"axis\" "
	    "transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">",
	    top + plot_h / 2, top + plot_h / 2);
	rc |= svg_escape(out, c->ylabel, err);
	rc |= buf_puts(out, "</text>\n", err);

	/* Bars, each with a <title> giving its exact value. */
	for (i = 0; i < c->n; i++) {
		for (s = 0; s < c->nseries; s++) {
			const struct svg_series *se = &c->series[s];

			v = se->values[i];
			h = scaled(c, v, ymax) * plot_h;
			if (v > 0 && h < 1.5)
				h = 1.5;	/* a failure is never invisible */
			x = left + slot * (double)i + slot * 0.1 +
			    bar_w * (double)s;
			y = top + plot_h - h;
			if (se->hatched)
				rc |= buf_printf(out, err, "<rect x=\"%.1f\" "
				    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"url(#%s-h%zu)\" stroke=\"%s\">",
				    x, y, bar_w, h, c->id, s, se->color);
			else
				rc |= buf_printf(out, err, "<rect x=\"%.1f\" "
				    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
				    "fill=\"%s\">", x, y, bar_w, h, se->color);
			rc |= buf_puts(out, "<title>", err);
			rc |= svg_escape(out, c->xlabels[i], err);
			rc |= buf_printf(out, err, ": %.0f ", v);
			rc |= svg_escape(out, se->label, err);
			rc |= buf_puts(out, "</title></rect>\n", err);
		}
	}
	/* X labels: as many as fit, evenly spaced, at the larger type the
	 * page uses on a narrow screen too (60 units a label). */
	every = (size_t)(c->n * 60 / (plot_w > 1 ? plot_w : 1)) + 1;
	for (i = 0; i < c->n; i += every) {
		rc |= buf_printf(out, err, "<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" class=\"tick\">",
		    left + slot * ((double)i + 0.5), top + plot_h + 16);
		rc |= svg_escape(out, c->xlabels[i], err);
		rc |= buf_puts(out, "</text>\n", err);
	}
	/* Legend, top right, with the same fills as the bars. */
	x = left;
	for (s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];

		if (se->hatched)
			rc |= buf_printf(out, err, "<rect x=\"%.1f\" y=\"8\" "
			    "width=\"14\" height=\"14\" fill=\"url(#%s-h%zu)\" "
			    "stroke=\"%s\"/>", x, c->id, s, se->color);
		else
			rc |= buf_printf(out, err, "<rect x=\"%.1f\" y=\"8\" "
			    "width=\"14\" height=\"14\" fill=\"%s\"/>", x,
			    se->color);
		rc |= buf_printf(out, err, "<text x=\"%.1f\" y=\"20\" "
		    "class=\"legend\">", x + 20);
		rc |= svg_escape(out, se->label, err);
		rc |= buf_puts(out, "</text>\n", err);
		x += 28 + 7.5 * (double)strlen(se->label);
	}
	rc |= buf_puts(out, "</svg>\n", err);
	return rc ? -1 : 0;
}
