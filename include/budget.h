/*
 * budget: the daemon-wide budget of memory for decoding (doc/spool.md,
 * `decode-budget`). Every request being decoded holds a share of it:
 * its body, each buffer an encoding layer inflates into (a gzip report
 * sent with Content-Encoding: gzip inflates twice), and what parsing the
 * JSON text will take (decode_parse_cost()). A share is charged before
 * the memory is allocated and given back, all at once, when the request
 * is done with it.
 *
 * Invariants:
 * - The charges of all holds together stay within the budget, but for
 *   one hold alone: a request that alone needs more than the whole
 *   budget is granted it when no other hold has anything charged, so
 *   that it can still be decoded (one at a time).
 * - A hold that may not wait (an HTTP request) is refused at once,
 *   ERR_NOMEM, when its charge does not fit: the request goes to the
 *   spool (spool.h) instead. A hold that may wait (the spool's worker)
 *   waits until it fits; while it waits, holds that may not wait are
 *   refused, so that the bodies that arrived first are decoded first.
 *   At most one thread may use waiting holds at a time.
 */
#ifndef TLSRPT_BUDGET_H
#define TLSRPT_BUDGET_H

#include <pthread.h>
#include <stddef.h>

#include "error.h"

struct budget {
	pthread_mutex_t lock;
	pthread_cond_t freed;	/* a hold gave something back */
	size_t max;
	size_t used;		/* the charges of every hold */
	int waiting;		/* a waiting hold is blocked */
};

/* One request's share; the caller's storage. */
struct budget_hold {
	struct budget *b;	/* NULL: nothing is metered */
	size_t held;
	int wait;
};

/* A budget of max bytes. */
void budget_init(struct budget *b, size_t max);

/* Free the lock; no hold may be left. */
void budget_release(struct budget *b);

/* Change the size (config reload); charges already made stay. */
void budget_set_max(struct budget *b, size_t max);

/* Start a hold on b (NULL: a hold that charges nothing); wait as above. */
void budget_hold_init(struct budget_hold *h, struct budget *b, int wait);

/*
 * Charge n more bytes to h. -1 with ERR_NOMEM, naming the budget, when a
 * hold that may not wait does not fit; h keeps what it held before.
 * h may be NULL.
 */
int budget_hold_charge(struct budget_hold *h, size_t n, struct error *err);

/* Give back everything h holds; h may be charged again afterwards. */
void budget_hold_end(struct budget_hold *h);

#endif
