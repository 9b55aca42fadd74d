/* ingest: see include/ingest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "rfc3339.h"
#include "store_reader.h"
#include "banned.h"

struct relay {
	pipeline_cb cb;
	void *arg;
};

void
ingest_init(struct ingest *in, struct store *st,
	    const struct pipeline_config *cfg)
{
	pthread_mutex_init(&in->lock, NULL);
	pipeline_init(&in->pl, st, cfg);
	in->budget = NULL;
	in->spool = NULL;
	in->readers = NULL;
}

void
ingest_set_readers(struct ingest *in, struct store_readers *rs)
{
	in->readers = rs;
}

void
ingest_set_spool(struct ingest *in, struct budget *b, struct spool *sp)
{
	in->budget = b;
	in->spool = sp;
}

void
ingest_release(struct ingest *in)
{
	pthread_mutex_destroy(&in->lock);
}

void
ingest_set_config(struct ingest *in, const struct pipeline_config *cfg)
{
	pthread_mutex_lock(&in->lock);
	in->pl.cfg = *cfg;
	pthread_mutex_unlock(&in->lock);
}

void
ingest_get_config(struct ingest *in, struct pipeline_config *out)
{
	pthread_mutex_lock(&in->lock);
	*out = in->pl.cfg;
	pthread_mutex_unlock(&in->lock);
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/*
 * One line per report received: the outcome before any field a sender
 * wrote (log.h). A conflicting copy is outcome "conflict", a warning,
 * with when the first copy it disagrees with came.
 */
static void
log_result(const struct result *res)
{
	const struct origin *o = res->origin;
	const struct report *r = res->report;
	char first[RFC3339_LEN];
	int conflict = result_conflict(res);
	struct log_field f[] = {
		{ "source", or_dash(o->source) },
		{ o->peer ? "peer" : "path", or_dash(o->peer ? o->peer :
		    o->path) },
		{ "outcome", result_name(res) },
		{ "first-copy-received", conflict ? first : NULL },
		{ "domain", r ? or_dash(report_domain(r)) : NULL },
		{ "reporter", r ? or_dash(r->org_name) : NULL },
		{ "report-id", r ? or_dash(r->report_id) : NULL },
		{ "reason", res->reason },
	};

	if (conflict)
		rfc3339_format(res->stored->first_received, first);
	log_event(res->outcome == OUTCOME_DEFERRED || conflict ?
	    LOG_LVL_WARN : LOG_LVL_INFO, "report", f, sizeof(f) / sizeof(f[0]));
}

static void
relay_cb(const struct result *res, void *arg)
{
	struct relay *rl = arg;

	metrics_count_outcome(metrics_source_of(res->origin->source), res);
	log_result(res);
	rl->cb(res, rl->arg);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The pipeline as configured now, for one call made outside the lock: a
 * reload may free the config's strings meanwhile, so the one string the
 * pipeline reads is copied (*tofree is the caller's to free).
 */
static int
pipeline_copy(struct ingest *in, struct pipeline *pl, char **tofree)
{
	const char *id;

	*tofree = NULL;
	pthread_mutex_lock(&in->lock);
	*pl = in->pl;
	id = pl->cfg.dkim_authserv_id;
	if (id != NULL && (*tofree = strdup(id)) == NULL) {
		pthread_mutex_unlock(&in->lock);
		return -1;
	}
	pl->cfg.dkim_authserv_id = *tofree;
	pthread_mutex_unlock(&in->lock);
	return 0;
}

/*
 * Decoding and parsing run in the caller's thread, side by side with
 * other callers; only the store's write is serialised, and grouped with
 * the writes of the callers waiting at the same time (store.h).
 */
int
ingest_submit(struct ingest *in, const void *bytes, size_t len,
	      enum input_kind kind, const struct origin *o, pipeline_cb cb,
	      void *arg)
{
	/* The whole input is here: this is when it was received. */
	return ingest_submit_held(in, bytes, len, kind, o, (int64_t)time(NULL),
	    NULL, cb, arg);
}

int
ingest_submit_held(struct ingest *in, const void *bytes, size_t len,
		   enum input_kind kind, const struct origin *o,
		   int64_t received, struct budget_hold *hold, pipeline_cb cb,
		   void *arg)
{
	struct relay rl = { cb, arg };
	struct pipeline pl;
	char *tofree;
	double t0;
	int rc;

	if (pipeline_copy(in, &pl, &tofree) < 0)
		return -1;
	pl.cfg.limits.hold = hold;
	t0 = now_seconds();
	rc = pipeline_submit(&pl, bytes, len, kind, o, received, relay_cb,
	    &rl);
	metrics_observe_ingest(now_seconds() - t0);
	free(tofree);
	return rc;
}

void
ingest_reject(struct ingest *in, const void *bytes, size_t len,
	      const struct origin *o, enum error_kind kind, const char *reason,
	      pipeline_cb cb, void *arg)
{
	struct relay rl = { cb, arg };
	struct pipeline pl;
	char *tofree;

	if (pipeline_copy(in, &pl, &tofree) < 0) {
		struct result res = { .outcome = OUTCOME_DEFERRED, .origin = o,
		    .reason = "out of memory", .error = ERR_NOMEM };

		relay_cb(&res, &rl);
		return;
	}
	pipeline_reject(&pl, bytes, len, o, kind, reason, relay_cb, &rl);
	free(tofree);
}

struct store *
ingest_read_begin(struct ingest *in)
{
	if (in->readers != NULL)
		return store_readers_take(in->readers);
	store_lock(in->pl.store);
	return in->pl.store;
}

void
ingest_read_end(struct ingest *in, struct store *st)
{
	if (in->readers != NULL)
		store_readers_give(in->readers, st);
	else
		store_unlock(in->pl.store);
}
