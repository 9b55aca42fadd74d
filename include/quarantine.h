/*
 * quarantine: what tlsrpt-import --quarantine does (tlsrpt-import(1),
 * doc/quarantine.md): list the payloads the store rejected, and parse
 * them again through the pipeline every source takes, so that a report
 * rejected before a fix (a limit raised, a parser mended) is stored
 * after it.
 *
 * Invariants:
 * - A row parsed again is changed in place, in one transaction: what now
 *   parses is stored and its row leaves the quarantine (it becomes the
 *   report's payload); what still fails stays, with the new reason.
 * - A row kept as its first BOUND_QUARANTINE_KEEP bytes only, a part of
 *   a mail whose DKIM rule cannot be checked without its message, and a
 *   message that now holds several reports are not changed: the line
 *   says why.
 * - Memory stays bounded whatever the quarantine holds: rows are read a
 *   page at a time, and one at a time with their data.
 */
#ifndef TLSRPT_QUARANTINE_H
#define TLSRPT_QUARANTINE_H

#include <stdint.h>
#include <stdio.h>

#include "import.h"
#include "pipeline.h"
#include "store.h"

/* Rows of the quarantine read at once (a page of the listing). */
#define QUARANTINE_PAGE	256

/*
 * One line per row of st's quarantine to out, oldest first:
 * "ID<TAB>RECEIVED<TAB>SOURCE<TAB>SIZE<TAB>REASON" (fields escaped for a
 * terminal, escape.h), or a JSON object with json. Returns the exit code
 * (sysexits.h): EX_OK, EX_TEMPFAIL when the store was busy, EX_SOFTWARE.
 */
int quarantine_list(struct store *st, int json, FILE *out);

/*
 * Parse again the n rows ids of the quarantine of pl's store (n 0:
 * every row), one at a time through pl, and write one line each to out
 * as import_run() does, the input named "#ID". A row that is not in
 * the quarantine is said on stderr and counted unreadable. Fills counts.
 */
void quarantine_retry(struct pipeline *pl, int json, FILE *out,
		      const int64_t *ids, size_t n,
		      struct import_counts *counts);

#endif
