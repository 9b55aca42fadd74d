/*
 * summary_format: the summary document of analyse.h as text for a person at
 * a terminal, or as CSV (one row per domain) for a spreadsheet. The JSON
 * form is the document itself. Text puts the verdict first, then the
 * evidence, then the next steps in plain words.
 */
#ifndef TLSRPT_SUMMARY_FORMAT_H
#define TLSRPT_SUMMARY_FORMAT_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"

/* Text; colour (ANSI) only when color is set. */
void summary_print_text(FILE *f, const json_t *summary, int color);

/* CSV with a header row (RFC 4180 quoting). */
void summary_print_csv(FILE *f, const json_t *summary);

/*
 * The summary to f as format says: "text" (coloured when color is set),
 * "json", "csv", or "html" (the action plan page, page.h). -1 with err
 * when the page cannot be made; what f does with the bytes is the
 * caller's to check.
 */
int summary_write(FILE *f, const json_t *summary, const char *format,
		  int color, struct error *err);

#endif
