/*
 * metrics: the daemon's counters, served by the API listener as Prometheus
 * text (names prefixed tlsrpt_). One registry per process, safe to update
 * from any thread; updates take a mutex for a few instructions.
 *
 * Label values are fixed sets (sources, outcomes, status codes), never
 * taken from outside input, so a client cannot grow the registry.
 */
#ifndef TLSRPT_METRICS_H
#define TLSRPT_METRICS_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "pipeline.h"

/* Where a report came from, as a metric label. */
enum metrics_source {
	MSRC_HTTPS,
	MSRC_HTTP,
	MSRC_MAIL,
	MSRC_COUNT,
};

/* Where a maildir message went. */
enum metrics_move {
	MMOVE_CUR,	/* stored or duplicate: cur/, seen */
	MMOVE_FAILED,	/* rejected or not a report: .Failed */
	MMOVE_KEPT,	/* deferred: left in new/ for the next scan */
	MMOVE_COUNT,
};

/* What became of a body at the spool's door (spool.h). */
enum metrics_spool {
	MSPOOL_TAKEN,		/* written, answered 202 */
	MSPOOL_REFUSED,		/* full or the disk refused: 503 */
	MSPOOL_DRAINED,		/* through the pipeline, file removed */
	MSPOOL_SET_ASIDE,	/* unreadable, renamed .bad */
	MSPOOL_COUNT,
};

/* A connection the public listener's limits turned away (http_guard.h). */
enum metrics_guard {
	MGUARD_CLIENT_CAP,	/* refused: its client holds its share */
	MGUARD_RESERVE,		/* refused: the rest is kept for new clients */
	MGUARD_EVICTED,		/* closed to let in a client holding none */
	MGUARD_DEADLINE,	/* closed: its request passed the deadline */
	MGUARD_COUNT,
};

/* Note the start time (call once, before the listeners start). */
void metrics_init(void);

/* The label of an origin's source string ("https", "http", "mail"). */
enum metrics_source metrics_source_of(const char *source);

/* One report's (or message's) outcome from a source; a conflicting copy
 * (result_conflict()) counts as outcome "conflict". */
void metrics_count_outcome(enum metrics_source src,
			   const struct result *res);

/* Bytes received from a source (HTTP bodies, maildir messages). */
void metrics_count_bytes(enum metrics_source src, size_t n);

/* How long one pipeline call (decode, parse, commit) took. */
void metrics_observe_ingest(double seconds);

/* One HTTP answer of the public listener, by status code. */
void metrics_count_status(unsigned code);

/* One maildir message moved (or kept). */
void metrics_count_move(enum metrics_move m);

/* One certificate reload, successful or not. */
void metrics_count_reload(int ok);

/* The decode budget: bytes charged now, and its size (budget.h). */
void metrics_set_decode(size_t used, size_t max);

/* The spool now: bodies, bytes, arrival of the oldest (0: none). */
void metrics_set_spool(size_t bodies, size_t bytes, time_t oldest);

/* One body at the spool's door. */
void metrics_count_spool(enum metrics_spool ev);

/* One connection turned away by the public listener's limits. */
void metrics_count_guard(enum metrics_guard ev);

/* Append the whole registry in Prometheus text format 0.0.4 to out. */
int metrics_render(struct buf *out, struct error *err);

#endif
