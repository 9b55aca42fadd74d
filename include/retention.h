/*
 * retention: the daemon's retention-days (doc/retention.md). A thread
 * runs a pass of store_prune() (store_retention.h) at start, once a day
 * after the last pass, and at each reload, while retention-days is not
 * 0; a pass that fails is tried again an hour later. Each pass is logged
 * with what it removed.
 */
#ifndef TLSRPT_RETENTION_H
#define TLSRPT_RETENTION_H

#include "error.h"
#include "store.h"

struct retention;

/* Start the thread on st (kept, not owned), a pass at once. */
struct retention *retention_start(struct store *st, unsigned days,
				  struct error *err);

/* A reload: keep days from now on, and run a pass now. */
void retention_reload(struct retention *rt, unsigned days);

/* Stop the thread after the transaction in hand, and free it. NULL is
 * allowed. */
void retention_stop(struct retention *rt);

#endif
