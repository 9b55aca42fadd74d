/*
 * svg: small inline SVG bar charts for the action plan page, drawn by
 * hand: axes, a scale with round ticks chosen from the data, labels, and
 * a text alternative (<title>, <desc>) for screen readers. Series differ
 * by fill pattern as well as colour, so that colour is never the only cue.
 * Output is appended to a struct buf; text is escaped.
 */
#ifndef TLSRPT_SVG_H
#define TLSRPT_SVG_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct svg_series {
	const char *label;	/* legend text */
	const double *values;	/* one per x label, >= 0 */
	const char *color;	/* "#0072b2" */
	int hatched;		/* draw with diagonal hatching */
};

struct svg_chart {
	const char *id;		/* unique in the page, for aria ids */
	const char *title;
	const char *desc;	/* the text alternative: what the chart says */
	const char *const *xlabels;
	size_t n;		/* number of x labels (bars per series) */
	const struct svg_series *series;
	size_t nseries;
	const char *ylabel;
	int width, height;	/* viewBox size; the chart scales to its box */
	int log_scale;		/* y on a log scale: ticks at powers of ten,
				 * a bar's height log10(1 + value), so that a
				 * day of 3 shows beside a day of 30,000 */
};

/*
 * Whether values span so much (the largest over 50 times the smallest
 * one above 0) that a linear scale would hide the small ones.
 */
int svg_wants_log(const double *values, size_t n);

/*
 * The axis scale for values up to max with about `ticks` ticks: *step is
 * 1, 2 or 5 times a power of ten, *top the first multiple of it >= max
 * (at least one step). Exposed for the unit tests.
 */
void svg_scale(double max, int ticks, double *step, double *top);

/* Append the chart as an <svg> element. */
int svg_bar_chart(struct buf *out, const struct svg_chart *c,
		  struct error *err);

/* Append s with &, <, >, " and ' escaped (XML and HTML text). */
int svg_escape(struct buf *out, const char *s, struct error *err);

#endif
