/*
 * page: the action plan page of doc/page.md, one self-contained HTML
 * file per summary (inline CSS and SVG, no script, no external request:
 * its Content-Security-Policy forbids any), readable offline, in print and
 * on a phone. It is drawn from the summary document of analyse.h, so the
 * page, the JSON and the text never disagree.
 */
#ifndef TLSRPT_PAGE_H
#define TLSRPT_PAGE_H

#include <jansson.h>

#include "bounds.h"
#include "buf.h"
#include "error.h"

/* Append the page for every domain of summary to out. */
int page_render(struct buf *out, const json_t *summary, struct error *err);

#endif
