/*
 * ingest: the daemon's one door to the pipeline, shared by the HTTP
 * listener and the maildir watcher.
 *
 * Inputs are decoded and parsed in the caller's thread, side by side;
 * the store groups the writes of callers that wait at the same time into
 * one transaction (group commit, store.h). A read (ingest_read_begin)
 * goes through a reader of its own when the daemon gave some, so that it
 * never waits for a write; else it holds the store alone. The mutex
 * guards only the limits. Each result is
 * counted in the metrics and logged on one line (source, outcome,
 * reporter, domain, report-id, reason) before the caller's callback sees
 * it: the log says what every sender was answered.
 */
#ifndef TLSRPT_INGEST_H
#define TLSRPT_INGEST_H

#include <pthread.h>
#include <stddef.h>

#include "pipeline.h"
#include "store.h"

struct budget;
struct spool;
struct store_readers;

struct ingest {
	pthread_mutex_t lock;
	struct pipeline pl;
	/* The daemon's decode budget and spool (budget.h, spool.h), kept,
	 * not owned; NULL when there is none (the tools, the tests). */
	struct budget *budget;
	struct spool *spool;
	/* The readers of the store (store_reader.h), kept, not owned;
	 * NULL: reads hold the store alone. */
	struct store_readers *readers;
};

/* Set up around an open store (kept, not owned). */
void ingest_init(struct ingest *in, struct store *st,
		 const struct pipeline_config *cfg);

/* Free the mutex; the store is the caller's to close. */
void ingest_release(struct ingest *in);

/* Change the limits (config reload); takes effect for the next input. */
void ingest_set_config(struct ingest *in, const struct pipeline_config *cfg);

/* The limits now in force (a copy). */
void ingest_get_config(struct ingest *in, struct pipeline_config *out);

/* pipeline_submit() with the limits in force, logging and metrics, the
 * input received now (the clock); -1 (cb never called) when out of
 * memory. */
int ingest_submit(struct ingest *in, const void *bytes, size_t len,
		  enum input_kind kind, const struct origin *o,
		  pipeline_cb cb, void *arg);

/*
 * ingest_submit() of an input received at the Unix time received (a body
 * that waited in the spool was received when it arrived), its decode
 * charged to hold (budget.h; NULL: not metered): a charge refused ends in
 * deferred, ERR_NOMEM.
 */
int ingest_submit_held(struct ingest *in, const void *bytes, size_t len,
		       enum input_kind kind, const struct origin *o,
		       int64_t received, struct budget_hold *hold,
		       pipeline_cb cb, void *arg);

/* Hand the listener a decode budget and a spool (either may be NULL);
 * both are kept, not owned, and must outlive every request. */
void ingest_set_spool(struct ingest *in, struct budget *b, struct spool *sp);

/* pipeline_reject() with logging and metrics. */
void ingest_reject(struct ingest *in, const void *bytes, size_t len,
		   const struct origin *o, enum error_kind kind,
		   const char *reason, pipeline_cb cb, void *arg);

/* Hand reads a pool of readers (kept, not owned; it must outlive every
 * read); NULL: reads hold the store alone. */
void ingest_set_readers(struct ingest *in, struct store_readers *rs);

/*
 * A store to read (the API): a reader when there are some, which never
 * waits for a write; else the store, held alone. Always pair with
 * ingest_read_end().
 */
struct store *ingest_read_begin(struct ingest *in);
void ingest_read_end(struct ingest *in, struct store *st);

#endif
