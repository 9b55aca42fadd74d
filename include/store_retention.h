/*
 * store_retention: what retention-days removes from a store of either
 * backend (doc/retention.md). A pass with a cut (a time) removes:
 * - every report whose range ended before the cut, with its policies,
 *   their failure details and every payload that names it. The copies
 *   of one identity (doc/identity.md) end at the same time and go in
 *   the same pass; a first copy goes only once no other copy names it,
 *   so that no row ever names one removed;
 * - every payload received before the cut, the quarantine's included.
 * The per-day aggregates (table daily) stay: long-range trends outlive
 * the rows they were summed from.
 *
 * A pass is many short transactions of at most about BOUND_PRUNE_ROWS
 * rows each. Between two of them the puts queued meanwhile are written
 * first, so that a pass never holds the writer for long. A pass cut
 * short (a failure, or stop) loses nothing: the next one goes on where
 * it stopped. On SQLite a report not folded into the per-day aggregates
 * yet waits for the next pass; on PostgreSQL one node prunes at a time,
 * and an identity that another node is storing a copy of just then
 * waits for the next pass.
 */
#ifndef TLSRPT_STORE_RETENTION_H
#define TLSRPT_STORE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct store;

struct store_prune_counts {
	size_t reports;		/* report rows removed, with their policies
				 * and failure details */
	size_t payloads;	/* payload rows removed */
	size_t rejected;	/* of them, from the quarantine */
	size_t rows;		/* rows removed in all */
	size_t transactions;
};

enum store_prune_phase {
	STORE_PRUNE_REPORTS,	/* by the end of their range */
	STORE_PRUNE_PAYLOADS,	/* by when they were received */
	STORE_PRUNE_DONE,
};

/* Where a pass is, from one transaction to the next (store_backend.h). */
struct store_prune_pass {
	int64_t before;		/* the cut, Unix seconds */
	enum store_prune_phase phase;
	int64_t end, id;	/* the last report passed: (end_time, id)
				 * on PostgreSQL, which walks the index of
				 * their ends; its id on SQLite, which reads
				 * the rows in order */
	int64_t left;		/* rows the transaction under way may
				 * still remove */
	struct store_prune_counts counts;
};

/*
 * One pass over st with the cut before. stop, when not NULL, is asked
 * between two transactions: nonzero ends the pass there (0 returned).
 * counts says what was removed, also when the pass fails (-1 with err
 * set; ERR_BUSY when it may pass): what was committed stays removed.
 */
int store_prune(struct store *st, int64_t before, int (*stop)(void *arg),
		void *arg, struct store_prune_counts *counts,
		struct error *err);

/*
 * store_prune() with the cut of a retention of days days from now, and
 * what it removed in words into what ("N reports and N payloads (N from
 * the quarantine) older than D days (before TIME), in N transactions"),
 * also when it fails.
 */
int store_prune_days(struct store *st, unsigned days,
		     int (*stop)(void *arg), void *arg, char *what,
		     size_t len, struct error *err);

#endif
