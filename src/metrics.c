/* metrics: see include/metrics.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "version.h"
#include "banned.h"

/* Latency buckets in seconds: a commit with fsync is milliseconds. */
static const double buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10,
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* Status codes the public listener answers with, as the label says
 * them; any other counts as the last, "other". */
static const char *const codes[] = {
	"200", "201", "202", "400", "401", "404", "405", "408", "411", "413",
	"415", "429", "500", "501", "503", "other",
};
#define NCODES (sizeof(codes) / sizeof(codes[0]) - 1)
/* The outcomes, and a conflicting copy counted apart from accepted. */
#define OUTCOME_CONFLICT (OUTCOME_DEFERRED + 1)
#define NOUTCOMES (OUTCOME_CONFLICT + 1)

static const char *const source_names[MSRC_COUNT] = {
	"https", "http", "mail",
};
static const char *const move_names[MMOVE_COUNT] = {
	"cur", "failed", "kept",
};
static const char *const guard_names[MGUARD_COUNT] = {
	"client-cap", "reserve", "evicted", "deadline",
};
static const char *const spool_names[MSPOOL_COUNT] = {
	"taken", "refused", "drained", "set-aside",
};

static struct {
	pthread_mutex_t lock;
	time_t started;
	unsigned long long outcomes[MSRC_COUNT][NOUTCOMES];
	unsigned long long bytes[MSRC_COUNT];
	unsigned long long ingest_buckets[NBUCKETS];
	unsigned long long ingest_count;
	double ingest_sum;
	unsigned long long status[NCODES + 1];
	unsigned long long moves[MMOVE_COUNT];
	unsigned long long reloads[2];
	/* Set at each charge of the decode budget, under its lock: not
	 * under this one too. */
	atomic_size_t decode_used, decode_max;
	size_t spool_bodies, spool_bytes;
	time_t spool_oldest;
	unsigned long long spool[MSPOOL_COUNT];
	unsigned long long guard[MGUARD_COUNT];
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Add n to a counter of m, under its lock. */
static void
add(unsigned long long *counter, unsigned long long n)
{
	pthread_mutex_lock(&m.lock);
	*counter += n;
	pthread_mutex_unlock(&m.lock);
}

void
metrics_init(void)
{
	pthread_mutex_lock(&m.lock);
	m.started = time(NULL);
	pthread_mutex_unlock(&m.lock);
}

enum metrics_source
metrics_source_of(const char *source)
{
	if (source != NULL && strcmp(source, "http") == 0)
		return MSRC_HTTP;
	if (source != NULL && strcmp(source, "mail") == 0)
		return MSRC_MAIL;
	return MSRC_HTTPS;
}

void
metrics_count_outcome(enum metrics_source src, const struct result *res)
{
	unsigned oc = result_conflict(res) ? OUTCOME_CONFLICT :
	    (unsigned)res->outcome;

	add(&m.outcomes[src][oc], 1);
}

void
metrics_count_bytes(enum metrics_source src, size_t n)
{
	add(&m.bytes[src], n);
}

void
metrics_observe_ingest(double seconds)
{
	size_t i;

	pthread_mutex_lock(&m.lock);
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i])
			m.ingest_buckets[i]++;
	m.ingest_count++;
	m.ingest_sum += seconds;
	pthread_mutex_unlock(&m.lock);
}

void
metrics_count_status(unsigned code)
{
	/* Its three digits, as the labels say them, without a printf per
	 * answer; a code of more counts as "other". */
	const char name[4] = { (char)('0' + code / 100 % 10),
	    (char)('0' + code / 10 % 10), (char)('0' + code % 10), '\0' };
	size_t i = NCODES;

	if (code < 1000)
		for (i = 0; i < NCODES; i++)
			if (strcmp(codes[i], name) == 0)
				break;
	add(&m.status[i], 1);
}

void
metrics_count_guard(enum metrics_guard ev)
{
	add(&m.guard[ev], 1);
}

void
metrics_count_move(enum metrics_move mv)
{
	add(&m.moves[mv], 1);
}

void
metrics_count_reload(int ok)
{
	add(&m.reloads[ok ? 1 : 0], 1);
}

void
metrics_set_decode(size_t used, size_t max)
{
	atomic_store_explicit(&m.decode_used, used, memory_order_relaxed);
	atomic_store_explicit(&m.decode_max, max, memory_order_relaxed);
}

void
metrics_set_spool(size_t bodies, size_t bytes, time_t oldest)
{
	pthread_mutex_lock(&m.lock);
	m.spool_bodies = bodies;
	m.spool_bytes = bytes;
	m.spool_oldest = oldest;
	pthread_mutex_unlock(&m.lock);
}

void
metrics_count_spool(enum metrics_spool ev)
{
	add(&m.spool[ev], 1);
}

/* A counter by one label: a line name{label="names[i]"} v[i] each. */
static int
render_by(struct buf *o, const char *name, const char *label,
	  const char *const *names, const unsigned long long *v, size_t n,
	  struct error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_printf(o, err, "%s{%s=\"%s\"} %llu\n", name, label,
		    names[i], v[i]) < 0)
			return -1;
	return 0;
}

/* The decode budget and the spool. */
static int
render_spool(struct buf *o, struct error *err)
{
	time_t now = time(NULL);
	long long age = m.spool_oldest && now > m.spool_oldest ?
	    (long long)(now - m.spool_oldest) : 0;

	if (buf_printf(o, err,
	    "# HELP tlsrpt_decode_budget_bytes Bytes being decoded now, "
	    "across all requests.\n"
	    "# TYPE tlsrpt_decode_budget_bytes gauge\n"
	    "tlsrpt_decode_budget_bytes %zu\n"
	    "# HELP tlsrpt_decode_budget_limit_bytes The decode budget "
	    "(decode-budget).\n"
	    "# TYPE tlsrpt_decode_budget_limit_bytes gauge\n"
	    "tlsrpt_decode_budget_limit_bytes %zu\n"
	    "# HELP tlsrpt_spool_bodies Bodies waiting in the spool.\n"
	    "# TYPE tlsrpt_spool_bodies gauge\n"
	    "tlsrpt_spool_bodies %zu\n"
	    "# HELP tlsrpt_spool_bytes Bytes of the spool's files, in 4 KiB "
	    "blocks.\n"
	    "# TYPE tlsrpt_spool_bytes gauge\n"
	    "tlsrpt_spool_bytes %zu\n"
	    "# HELP tlsrpt_spool_oldest_age_seconds How long the oldest body "
	    "in the spool has waited.\n"
	    "# TYPE tlsrpt_spool_oldest_age_seconds gauge\n"
	    "tlsrpt_spool_oldest_age_seconds %lld\n"
	    "# HELP tlsrpt_spool_total Bodies at the spool: taken (202), "
	    "refused (503), drained, set aside (unreadable).\n"
	    "# TYPE tlsrpt_spool_total counter\n",
	    atomic_load(&m.decode_used), atomic_load(&m.decode_max),
	    m.spool_bodies, m.spool_bytes, age) < 0)
		return -1;
	return render_by(o, "tlsrpt_spool_total", "event", spool_names,
	    m.spool, MSPOOL_COUNT, err);
}

static int
render_locked(struct buf *o, struct error *err)
{
	size_t s, c, i;

	if (buf_printf(o, err,
	    "# HELP tlsrpt_build_info The version of tlsrptd.\n"
	    "# TYPE tlsrpt_build_info gauge\n"
	    "tlsrpt_build_info{version=\"%s\"} 1\n"
	    "# HELP tlsrpt_start_time_seconds When tlsrptd started.\n"
	    "# TYPE tlsrpt_start_time_seconds gauge\n"
	    "tlsrpt_start_time_seconds %lld\n"
	    "# HELP tlsrpt_reports_total Reports (or messages without one) "
	    "by source and outcome; a copy stored that conflicts with an "
	    "earlier one is a conflict, not accepted.\n"
	    "# TYPE tlsrpt_reports_total counter\n", TLSRPT_VERSION,
	    (long long)m.started) < 0)
		return -1;
	for (s = 0; s < MSRC_COUNT; s++)
		for (c = 0; c < NOUTCOMES; c++)
			if (buf_printf(o, err, "tlsrpt_reports_total{source="
			    "\"%s\",outcome=\"%s\"} %llu\n", source_names[s],
			    c == OUTCOME_CONFLICT ? "conflict" :
			    outcome_name((enum outcome)c),
			    m.outcomes[s][c]) < 0)
				return -1;
	if (buf_puts(o, "# HELP tlsrpt_received_bytes_total Bytes received "
	    "(HTTP bodies, maildir messages) by source.\n"
	    "# TYPE tlsrpt_received_bytes_total counter\n", err) < 0)
		return -1;
	if (render_by(o, "tlsrpt_received_bytes_total", "source",
	    source_names, m.bytes, MSRC_COUNT, err) < 0)
		return -1;
	if (buf_puts(o, "# HELP tlsrpt_ingest_duration_seconds Time to "
	    "decode, parse and commit one input.\n"
	    "# TYPE tlsrpt_ingest_duration_seconds histogram\n", err) < 0)
		return -1;
	for (i = 0; i < NBUCKETS; i++)
		if (buf_printf(o, err, "tlsrpt_ingest_duration_seconds_bucket"
		    "{le=\"%g\"} %llu\n", buckets[i], m.ingest_buckets[i]) < 0)
			return -1;
	if (buf_printf(o, err, "tlsrpt_ingest_duration_seconds_bucket"
	    "{le=\"+Inf\"} %llu\n"
	    "tlsrpt_ingest_duration_seconds_sum %.6f\n"
	    "tlsrpt_ingest_duration_seconds_count %llu\n"
	    "# HELP tlsrpt_http_responses_total Answers of the ingest "
	    "listener by status code.\n"
	    "# TYPE tlsrpt_http_responses_total counter\n",
	    m.ingest_count, m.ingest_sum, m.ingest_count) < 0)
		return -1;
	if (render_by(o, "tlsrpt_http_responses_total", "code", codes,
	    m.status, NCODES + 1, err) < 0 || buf_puts(o,
	    "# HELP tlsrpt_http_connections_turned_away_total Connections "
	    "of the ingest listener refused or closed by its limits.\n"
	    "# TYPE tlsrpt_http_connections_turned_away_total counter\n",
	    err) < 0)
		return -1;
	if (render_by(o, "tlsrpt_http_connections_turned_away_total",
	    "reason", guard_names, m.guard, MGUARD_COUNT, err) < 0)
		return -1;
	if (buf_puts(o,
	    "# HELP tlsrpt_maildir_messages_total Maildir messages by where "
	    "they went.\n"
	    "# TYPE tlsrpt_maildir_messages_total counter\n", err) < 0)
		return -1;
	if (render_by(o, "tlsrpt_maildir_messages_total", "to", move_names,
	    m.moves, MMOVE_COUNT, err) < 0)
		return -1;
	if (render_spool(o, err) < 0)
		return -1;
	return buf_printf(o, err,
	    "# HELP tlsrpt_tls_reloads_total Certificate reloads (SIGHUP).\n"
	    "# TYPE tlsrpt_tls_reloads_total counter\n"
	    "tlsrpt_tls_reloads_total{result=\"ok\"} %llu\n"
	    "tlsrpt_tls_reloads_total{result=\"failed\"} %llu\n",
	    m.reloads[1], m.reloads[0]);
}

int
metrics_render(struct buf *out, struct error *err)
{
	int rc;

	pthread_mutex_lock(&m.lock);
	if (m.started == 0)
		m.started = time(NULL);
	rc = render_locked(out, err);
	pthread_mutex_unlock(&m.lock);
	return rc;
}
