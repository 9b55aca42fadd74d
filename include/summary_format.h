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

/* Text; colour (ANSI) only when color is set. */
void summary_print_text(FILE *f, const json_t *summary, int color);

/* CSV with a header row (RFC 4180 quoting). */
void summary_print_csv(FILE *f, const json_t *summary);

#endif
