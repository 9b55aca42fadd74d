/*
 * import_read: the inputs of an import (import.h) read, decoded and
 * parsed by worker threads, ahead of the one thread that stores them,
 * which takes them in the order they were added.
 *
 * Invariants:
 * - At most IMPORT_WINDOW inputs, and IMPORT_READ_AHEAD bytes of them
 *   (give or take the inputs being read), wait read ahead of the one
 *   being stored (bounds.h); the next one to store is always read,
 *   whatever its size, so that an import never stalls.
 * - There are one fewer workers than cores online, at least one and at
 *   most IMPORT_WORKERS_MAX: the taker's stores are what every input
 *   waits for, and it needs a core of its own. When its next input is
 *   not ready, the taker reads and parses one itself rather than wait.
 * - A thread wakes another only when that one sleeps: the taker when the
 *   input it waits for is ready, the workers when half the window is
 *   free again.
 * - The jobs handed back with import_read_done() are freed by the
 *   workers: freeing a parsed message is a good part of its cost
 *   (BENCHMARKS.md), better spent off the taker's thread.
 */
#ifndef TLSRPT_IMPORT_READ_H
#define TLSRPT_IMPORT_READ_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pipeline.h"

/* One input, read and parsed, waiting to be stored. */
struct import_job {
	const char *input;	/* the INPUT as named on the command line */
	struct origin origin;	/* its source and path (NULL: stdin) */
	struct buf bytes;	/* what was read, at most message-max; its
				 * len counts in the read-ahead bytes */
	size_t total;		/* bytes the input had, read or not */
	int too_big;		/* over message-max: not parsed */
	int unreadable;		/* said on stderr; nothing to store */
	struct import_job *next;	/* on the list of jobs done with */
	struct pipeline_parsed pp;	/* last: see read_task() */
};

struct import_read;

/*
 * A reader that parses with cfg (kept, not owned) as received at
 * received, or at the clock as each input is read when received is -1.
 * NULL when out of memory.
 */
struct import_read *import_read_new(const struct pipeline_config *cfg,
				    int64_t received);

/*
 * Add an input to read: the file at path (copied), or standard input
 * when path is NULL. When rel is set, the input is an entry of a folder
 * the user named, path "INPUT/rel": it is opened without following a
 * link (files.h), in the folder dirfd when that is not -1, else one
 * component at a time below input. input, rel's folder and source are
 * kept, not owned. -1 when out of memory. Only before
 * import_read_start().
 */
int import_read_add(struct import_read *rd, const char *input,
		    const char *path, int entry, int dirfd,
		    enum input_kind kind, const char *source);

/*
 * Keep the folder fd open until import_read_free(), which closes it, so
 * that its entries are each one openat() in the very folder that was
 * listed. -1 when IMPORT_FOLDERS_OPEN are kept already: fd is then the
 * caller's, and the entries are opened from their paths.
 */
int import_read_keep_folder(struct import_read *rd, int fd);

/* How many inputs were added. */
size_t import_read_count(const struct import_read *rd);

/* Start the workers; -1 with err set when none could be started. */
int import_read_start(struct import_read *rd, struct error *err);

/*
 * The next input, in the order they were added, once it is read and
 * parsed: 1 and *job (NULL when there was no memory to read it, said on
 * stderr), or 0 when every input was taken.
 */
int import_read_next(struct import_read *rd, struct import_job **job);

/* Hand back a job taken with import_read_next(), stored: it is freed. */
void import_read_done(struct import_read *rd, struct import_job *job);

/* Stop the workers and free everything; NULL is allowed. */
void import_read_free(struct import_read *rd);

#endif
