/*
 * overview: every domain at a glance (doc/notify.md): its verdict,
 * why (its most serious reason), the end of its last report, its sts sessions and the sessions enforce
 * would refuse in the last 7 days, linked to its action plan page. The
 * API serves it alone at /, and it heads a page of several domains
 * (page.h). Self-contained as the page: inline CSS, no script; every
 * string is shown escaped (escape.h) before markup is (doc/output.md).
 */
#ifndef TLSRPT_OVERVIEW_H
#define TLSRPT_OVERVIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "buf.h"
#include "error.h"

struct overview_row {
	char *domain;		/* owned */
	char verdict[32];	/* "" while not judged yet */
	int64_t last_report;	/* Unix seconds, -1 when none */
	int64_t sessions;	/* sts sessions, last 7 days */
	int64_t refused;	/* of them, refused under enforce */
	char why[OVERVIEW_WHY_MAX];	/* the main reason's message, raw */
};

/* The message of the domain's most serious reason (a verdict object of
 * analyse.h), or "" when it has none. */
const char *overview_main_reason(const json_t *domain);

/* Set row from a verdict object of analyse.h (row->domain aside). */
void overview_row_set(struct overview_row *row, const json_t *domain);

/* The rows of a summary document (analyse.h), in its order. */
int overview_rows_from_summary(const json_t *summary,
			       struct overview_row **rows, size_t *n,
			       struct error *err);
void overview_rows_free(struct overview_row *rows, size_t n);

/*
 * Append the overview table to out: each domain linked to link_prefix
 * followed by the domain ("/report/" on the API, "#domain-" in a page of
 * several domains).
 */
int overview_table(struct buf *out, const struct overview_row *rows,
		   size_t n, const char *link_prefix, struct error *err);

/* Append a whole HTML document: the overview alone. */
int overview_page(struct buf *out, const struct overview_row *rows,
		  size_t n, struct error *err);

/*
 * The same a row at a time, for rows that are not in one array (the
 * daemon's registry, watch.h): overview_page_begin() (n: the rows to
 * come), overview_table_row() for each, overview_page_end(); or the
 * table alone with overview_table_begin() and overview_table_end().
 */
int overview_page_begin(struct buf *out, size_t n, struct error *err);
int overview_page_end(struct buf *out, size_t n, struct error *err);
int overview_table_begin(struct buf *out, struct error *err);
int overview_table_row(struct buf *out, const struct overview_row *row,
		       const char *link_prefix, struct error *err);
int overview_table_end(struct buf *out, size_t n, struct error *err);

#endif
