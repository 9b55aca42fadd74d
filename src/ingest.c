/* ingest: see include/ingest.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "log.h"
#include "metrics.h"
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

/* One line per report received; log.c replaces control characters. */
static void
log_result(const struct result *res)
{
	const struct origin *o = res->origin;
	const struct report *r = res->report;
	enum log_level lvl = LOG_LVL_INFO;

	if (res->outcome == OUTCOME_DEFERRED)
		lvl = LOG_LVL_WARN;
	log_msg(lvl, "report source=%s %s=%s outcome=%s reporter=\"%s\" "
	    "domain=%s report-id=\"%s\"%s%s%s",
	    or_dash(o->source), o->peer ? "peer" : "path",
	    or_dash(o->peer ? o->peer : o->path), outcome_name(res->outcome),
	    r ? or_dash(r->org_name) : "-", r ? or_dash(report_domain(r)) : "-",
	    r ? or_dash(r->report_id) : "-", res->reason ? " reason=\"" : "",
	    res->reason ? res->reason : "", res->reason ? "\"" : "");
}

static void
relay_cb(const struct result *res, void *arg)
{
	struct relay *rl = arg;

	metrics_count_outcome(metrics_source_of(res->origin->source),
	    res->outcome);
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

int
ingest_submit(struct ingest *in, const void *bytes, size_t len,
	      enum input_kind kind, const struct origin *o, pipeline_cb cb,
	      void *arg)
{
	struct relay rl = { cb, arg };
	double t0;
	int rc;

	pthread_mutex_lock(&in->lock);
	t0 = now_seconds();
	rc = pipeline_submit(&in->pl, bytes, len, kind, o, relay_cb, &rl);
	metrics_observe_ingest(now_seconds() - t0);
	pthread_mutex_unlock(&in->lock);
	return rc;
}

void
ingest_reject(struct ingest *in, const void *bytes, size_t len,
	      const struct origin *o, enum error_kind kind, const char *reason,
	      pipeline_cb cb, void *arg)
{
	struct relay rl = { cb, arg };

	pthread_mutex_lock(&in->lock);
	pipeline_reject(&in->pl, bytes, len, o, kind, reason, relay_cb, &rl);
	pthread_mutex_unlock(&in->lock);
}

struct store *
ingest_lock(struct ingest *in)
{
	pthread_mutex_lock(&in->lock);
	return in->pl.store;
}

void
ingest_unlock(struct ingest *in)
{
	pthread_mutex_unlock(&in->lock);
}
