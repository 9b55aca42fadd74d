/*
 * import: what tlsrpt-import does with its inputs (tlsrpt-import(1)):
 * report files, report emails, maildirs and plain folders of either, or
 * one message or report on standard input (an MTA pipe transport, a
 * sieve "pipe"), through the pipeline into a store, one line of outcome
 * each on the output. Never moves or deletes what it reads.
 *
 * Invariants:
 * - The inputs are read and parsed ahead on worker threads
 *   (import_read.h) and stored in the order they were named.
 * - Reports are stored in batches of at most IMPORT_BATCH (bounds.h),
 *   one transaction each: one disk flush per batch instead of per report.
 *   A batch's lines are written only once it is durable; when its commit
 *   fails nothing of it was stored, and each of its lines says
 *   "deferred" instead.
 * - A busy store (another writer held it for the whole busy timeout)
 *   answers the input "deferred" without a second wait.
 */
#ifndef TLSRPT_IMPORT_H
#define TLSRPT_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"
#include "store.h"

struct import_options {
	int json;		/* one JSON object a line instead of text */
	int64_t received;	/* the inputs' time of receipt, or -1: the
				 * clock as each is read */
	FILE *out;		/* where the lines go (kept, not owned) */
};

/* What came of an import, for its exit code. */
struct import_counts {
	size_t rejected;	/* kept in quarantine */
	size_t deferred;	/* the store busy: try again later */
	size_t unreadable;	/* an input could not be opened */
	size_t internal;	/* out of memory, or a failure of ours */
};

/*
 * Import the n inputs (a file, a folder, a maildir, or "-" for standard
 * input) through pl, whose store is kept, not owned. Writes one line per
 * report or message to o->out: "OUTCOME<TAB>INPUT<TAB>detail", or a JSON
 * object with o->json; says on stderr what could not be read. Fills
 * counts.
 */
void import_run(struct pipeline *pl, const struct import_options *o,
		char *const *inputs, int n, struct import_counts *counts);

/*
 * One line of outcome as import_run() writes it (the input named by
 * res->origin->path, else by input), and the count of it.
 */
void import_print_result(FILE *out, int json, const char *input,
			 const struct result *res);
void import_count(struct import_counts *c, enum outcome oc,
		  enum error_kind kind);

/*
 * The exit code of an import (sysexits.h): EX_TEMPFAIL when anything was
 * deferred, else EX_SOFTWARE for a failure of ours, else EX_NOINPUT when
 * an input could not be opened, else EX_DATAERR when anything was
 * rejected, else EX_OK.
 */
int import_exit_code(const struct import_counts *counts);

/*
 * Copy every row of the SQLite store at path into st, idempotent: a
 * second run copies nothing twice. Writes "copied<TAB>PATH<TAB>N of M
 * payloads new in the BACKEND store" to out. Returns the exit code:
 * EX_OK when all was copied (or was there), EX_NOINPUT when path is not
 * a SQLite store that can be opened, EX_TEMPFAIL when the destination
 * failed in a way that may pass (a new run goes on where this one
 * stopped), EX_USAGE or EX_SOFTWARE otherwise.
 */
int import_copy_from(struct store *st, const char *path, FILE *out);

#endif
