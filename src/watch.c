/* watch: see include/watch.h. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "analyse.h"
#include "array.h"
#include "clock.h"
#include "escape.h"
#include "fmt.h"
#include "log.h"
#include "outbox.h"
#include "rfc3339.h"
#include "store_backend.h"
#include "thread.h"
#include "watch.h"
#include "banned.h"

#define DAY 86400
#define EVENTS_MAX (2 + WATCH_PAIRS_MAX)

/* One domain as last judged. */
struct entry {
	char *domain;
	int64_t reports, last_seen;	/* from the store's domain index */
	int judged;
	int due;
	struct overview_row row;	/* row.domain is domain */
};

/* The registry of the process: /metrics and / read it. */
static struct {
	pthread_mutex_t lock;
	struct entry *e;
	size_t n, cap;
	int full_said;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct watch {
	struct store *st;
	struct store *rd;	/* a reader of its own (store.h): a domain
				 * judged never holds up a report's put */
	char changes[WATCH_CHANGES_MAX];	/* the store's token when
						 * the domains were last read */
	struct notify *sender;
	struct outbox_target *targets;
	size_t ntargets;
	char *public_url;
	struct worker worker;
};

/* The entry of domain, or NULL and *at where it would go. Called with
 * reg.lock held. */
static struct entry *
find(const char *domain, size_t *at)
{
	size_t lo = 0, hi = reg.n, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(reg.e[mid].domain, domain);
		if (c == 0)
			return &reg.e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

/* The entry of domain, added (not judged, due) when absent; NULL when
 * the registry is full. Called with reg.lock held. */
static struct entry *
entry_of(const char *domain)
{
	struct entry *e;
	size_t lo;

	if ((e = find(domain, &lo)) != NULL)
		return e;
	if (reg.n >= WATCH_DOMAINS_MAX) {
		if (!reg.full_said)
			log_warn("watch: more than %d domains; the others are "
			    "not judged", WATCH_DOMAINS_MAX);
		reg.full_said = 1;
		return NULL;
	}
	if (array_grow(&reg.e, reg.n, &reg.cap, sizeof(*reg.e), 64) < 0)
		return NULL;
	e = &reg.e[lo];
	memmove(e + 1, e, (reg.n - lo) * sizeof(*e));
	memset(e, 0, sizeof(*e));
	if ((e->domain = strdup(domain)) == NULL) {
		memmove(e, e + 1, (reg.n - lo) * sizeof(*e));
		return NULL;
	}
	e->row.domain = e->domain;
	e->row.last_report = -1;
	e->due = 1;
	reg.n++;
	return e;
}

/* A domain's counts: a domain whose reports changed is due. */
static int
seen_domain(const struct store_domain_row *row, void *arg)
{
	struct entry *e;

	(void)arg;
	pthread_mutex_lock(&reg.lock);
	e = entry_of(row->domain);
	if (e != NULL && (e->reports != row->reports ||
	    e->last_seen != row->last_seen)) {
		e->reports = row->reports;
		e->last_seen = row->last_seen;
		e->due = 1;
	}
	pthread_mutex_unlock(&reg.lock);
	return 0;
}

/*
 * Read the domains when the store changed since they were last read:
 * the token first, so that a commit during the read is a change next
 * time. Reading them costs every policy row of the store (220 ms for
 * 140,000 reports, BENCHMARKS.md); the token, next to nothing.
 */
static int
poll_domains(struct watch *w, struct error *err)
{
	const struct store_read_ops *rd = store_backend_ops(w->rd)->read;
	void *be = store_backend_handle(w->rd);
	struct store_count_walk seen = { .domains = seen_domain };
	char token[WATCH_CHANGES_MAX];

	if (rd->changes(be, token, sizeof(token), err) < 0)
		return -1;
	if (token[0] != '\0' && strcmp(token, w->changes) == 0)
		return 0;
	w->changes[0] = '\0';
	if (rd->counts(be, NULL, &seen, err) < 0)
		return -1;
	memcpy(w->changes, token, sizeof(w->changes));
	return 0;
}

/* A name for an event: 128 random bits in hex. */
static void
new_id(char out[33])
{
	unsigned char b[16];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* Never expected; the time and address still differ. */
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;

		memcpy(b, &t, sizeof(t));
		memcpy(b + 8, &t, sizeof(t));
	}
	for (i = 0; i < sizeof(b); i++) {
		out[2 * i] = "0123456789abcdef"[b[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
	}
	out[32] = '\0';
}

static const char *
str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int64_t
int_at(const json_t *o, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (c != NULL)
		v = json_object_get(v, c);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/*
 * The event as sent: the webhook's JSON and the mail (headers but To:,
 * then the text). text is the one line, already escaped.
 */
struct event {
	char id[33];
	const char *kind;
	json_t *failure;		/* new-failure, owned */
	char text[WATCH_TEXT_MAX];
	char *json, *mail;
};

static void
event_release(struct event *ev)
{
	json_decref(ev->failure);
	free(ev->json);
	free(ev->mail);
}

/* The reasons as sent: code, kind, message of each, at most 32. */
static json_t *
short_reasons(const json_t *d)
{
	json_t *out = json_array(), *r;
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(d, "reasons"), i, x) {
		if (i >= 32)
			break;
		r = json_pack("{s:s, s:s, s:s}", "code", str_of(x, "code"),
		    "kind", str_of(x, "kind"), "message", str_of(x, "message"));
		if (r == NULL || json_array_append_new(out, r) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int
event_build(struct watch *w, struct event *ev, const json_t *d,
	    const char *previous, int64_t now)
{
	const char *domain = str_of(d, "domain"), *verdict = str_of(d,
	    "verdict");
	char at[RFC3339_LEN], url[2048], subject[160];
	json_t *o;
	struct buf m;
	size_t i;
	int n;

	rfc3339_format(now, at);
	url[0] = '\0';
	if (w->public_url != NULL) {
		n = snprintf(url, sizeof(url), "%s/report/%s", w->public_url,
		    domain);
		if (n < 0 || (size_t)n >= sizeof(url))
			url[0] = '\0';
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o?, s:o?, s:o?, s:s, "
	    "s:o?}", "id", ev->id, "event", ev->kind, "domain", domain, "at",
	    at, "verdict", verdict, "previous_verdict", previous ?
	    json_string(previous) : json_null(), "reasons", short_reasons(d),
	    "failure", ev->failure ? json_incref(ev->failure) : NULL, "text",
	    ev->text, "report_url", url[0] ? json_string(url) : NULL);
	if (o == NULL)
		return -1;
	ev->json = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (ev->json == NULL)
		return -1;
	/* A header line: the text in ASCII, cut short. */
	for (i = 0; ev->text[i] != '\0' && i < sizeof(subject) - 1; i++)
		subject[i] = (unsigned char)ev->text[i] < 0x80 ? ev->text[i] :
		    '?';
	subject[i] = '\0';
	buf_init(&m, 256 * 1024);
	n = buf_printf(&m, NULL, "Subject: %s\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\nAuto-Submitted: "
	    "auto-generated\nX-Tlsrpt-Event-Id: %s\n\n%s\n\nevent: %s\n"
	    "domain: %s\nat: %s\nverdict: %s\nprevious verdict: %s\n",
	    subject, ev->id, ev->text, ev->kind, domain, at, verdict,
	    previous ? previous : "none");
	if (n == 0 && url[0])
		n = buf_printf(&m, NULL, "report: %s\n", url);
	if (n < 0 || buf_append(&m, "", 1, NULL) < 0) {
		buf_release(&m);
		return -1;
	}
	ev->mail = buf_take(&m, NULL);
	return ev->mail ? 0 : -1;
}

/* The one line of an event, escaped (doc/output.md): report fields reach
 * it, and a chat tool shows it as it is. */
static void
event_text(struct event *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
event_text(struct event *ev, const char *fmt, ...)
{
	char raw[WATCH_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_string(ev->text, sizeof(ev->text), raw, 0);
}

static int64_t
time_of(const char *s)
{
	int64_t t;

	return s != NULL && rfc3339_parse(s, &t) == 0 ? t : -1;
}

/* Keep the registry's row of the domain as judged now. */
static void
note_row(const json_t *d)
{
	struct entry *e;

	pthread_mutex_lock(&reg.lock);
	e = entry_of(str_of(d, "domain"));
	if (e != NULL) {
		overview_row_set(&e->row, d);
		e->judged = 1;
	}
	pthread_mutex_unlock(&reg.lock);
}

/*
 * Judge one domain, and write what changed (the new state, the failure
 * pairs seen, the events) to the outbox in one transaction.
 */
static int
judge(struct watch *w, const char *domain, struct error *err)
{
	const char *const doms[] = { domain };
	struct outbox_pair pairs[WATCH_PAIRS_MAX];
	struct outbox_event oe[EVENTS_MAX];
	struct event ev[EVENTS_MAX];
	struct outbox_state old, next;
	struct analyse_options opt;
	const char *verdict, *recent_start, *why;
	const json_t *d, *f;
	size_t i, npairs = 0, nev = 0;
	int64_t now = (int64_t)time(NULL), last, since;
	json_t *doc;
	int seen, done, rc = -1, n;

	analyse_options_default(&opt);
	opt.now = now;
	doc = analyse_summary(w->rd, doms, 1, &opt, err);
	if (doc == NULL)
		return -1;
	d = json_array_get(json_object_get(doc, "domains"), 0);
	if (d == NULL) {
		json_decref(doc);
		return 0;
	}
	note_row(d);
	memset(ev, 0, sizeof(ev));
	if (outbox_state_get(w->st, domain, &old, err) < 0)
		goto out;
	verdict = str_of(d, "verdict");
	next = old;
	next.known = 1;
	n = snprintf(next.verdict, sizeof(next.verdict), "%s", verdict);
	if (n < 0 || (size_t)n >= sizeof(next.verdict)) {
		error_set(err, ERR_INTERNAL, "verdict %s", verdict);
		goto out;
	}
	if (!old.known || strcmp(old.verdict, verdict) != 0) {
		why = overview_main_reason(d);
		ev[nev].kind = "verdict-changed";
		if (old.known)
			event_text(&ev[nev], "%s: MTA-STS verdict %s (was %s)%s%s",
			    domain, verdict, old.verdict, why[0] ? ": " : "",
			    why);
		else
			event_text(&ev[nev], "%s: MTA-STS verdict %s%s%s",
			    domain, verdict, why[0] ? ": " : "", why);
		nev++;
	}
	last = time_of(json_string_value(json_object_get(d, "last_report")));
	next.stopped = last >= 0 && last < now - WATCH_STOPPED_DAYS * DAY;
	if (next.stopped && !old.stopped) {
		char when[RFC3339_LEN];

		rfc3339_format(last, when);
		ev[nev].kind = "reports-stopped";
		event_text(&ev[nev], "%s: no TLS report for %d days: the last "
		    "one ended %s", domain, WATCH_STOPPED_DAYS, when);
		nev++;
	}
	/* The pairs failing in the recent part of the window. */
	recent_start = str_of(json_object_get(d, "recent"), "start");
	since = now - (int64_t)WATCH_NEW_FAILURE_DAYS * DAY;
	json_array_foreach(json_object_get(d, "failures"), i, f) {
		if (npairs >= WATCH_PAIRS_MAX)
			break;
		if (strcmp(str_of(f, "last_seen"), recent_start) < 0)
			continue;
		pairs[npairs].mx = str_of(f, "receiving_mx_hostname");
		pairs[npairs].type = str_of(f, "result_type");
		if (outbox_pair_seen(w->st, domain, &pairs[npairs], since,
		    &seen, err) < 0)
			goto out;
		if (!seen && nev < EVENTS_MAX) {
			ev[nev].kind = "new-failure";
			ev[nev].failure = json_pack("{s:s, s:s, s:I, s:O?}",
			    "receiving_mx_hostname", pairs[npairs].mx,
			    "result_type", pairs[npairs].type, "sessions",
			    (json_int_t)int_at(f, "sessions", NULL, NULL),
			    "reporters", json_object_get(f, "reporters"));
			event_text(&ev[nev], "%s: new failure %s at %s (%" PRId64
			    " sessions); verdict %s", domain,
			    pairs[npairs].type, pairs[npairs].mx[0] ?
			    pairs[npairs].mx : "an unnamed MX",
			    int_at(f, "sessions", NULL, NULL), verdict);
			nev++;
		}
		npairs++;
	}
	if (nev == 0 && npairs == 0 && old.known == next.known &&
	    old.stopped == next.stopped) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < nev; i++) {
		new_id(ev[i].id);
		if (event_build(w, &ev[i], d, old.known ? old.verdict : NULL,
		    now) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		oe[i].id = ev[i].id;
		oe[i].webhook_body = ev[i].json;
		oe[i].mail_body = ev[i].mail;
	}
	if (outbox_commit(w->st, domain, &old, &next, pairs, npairs, now, oe,
	    w->ntargets ? nev : 0, w->targets, w->ntargets, &done, err) < 0)
		goto out;
	if (!done) {
		/* Judged by another node meanwhile: again, from its state. */
		pthread_mutex_lock(&reg.lock);
		if (entry_of(domain) != NULL)
			entry_of(domain)->due = 1;
		pthread_mutex_unlock(&reg.lock);
	} else {
		for (i = 0; i < nev; i++)
			log_info("event=%s domain=\"%s\" id=%s", ev[i].kind,
			    domain, ev[i].id);
		if (nev > 0 && w->ntargets > 0)
			notify_wake(w->sender);
	}
	rc = 0;
out:
	for (i = 0; i < EVENTS_MAX; i++)
		event_release(&ev[i]);
	json_decref(doc);
	return rc;
}

/* The next domain due (copied into name), or 0 when none is. */
static int
next_due(char *name, size_t len)
{
	size_t i;
	int n, found = 0;

	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < reg.n && !found; i++)
		if (reg.e[i].due) {
			reg.e[i].due = 0;
			n = snprintf(name, len, "%s", reg.e[i].domain);
			found = n >= 0 && (size_t)n < len;
		}
	pthread_mutex_unlock(&reg.lock);
	return found;
}

static void
all_due(void)
{
	size_t i;

	pthread_mutex_lock(&reg.lock);
	for (i = 0; i < reg.n; i++)
		reg.e[i].due = 1;
	pthread_mutex_unlock(&reg.lock);
}

static void *
run(void *arg)
{
	struct watch *w = arg;
	char domain[512];
	struct error err;
	int64_t last_all = clock_ms();

	do {
		error_clear(&err);
		if (poll_domains(w, &err) < 0)
			log_warn("watch: reading the domains: %s", err.msg);
		if (clock_ms() - last_all >= WATCH_ALL_SECONDS * 1000LL) {
			all_due();
			last_all = clock_ms();
		}
		while (!worker_stopping(&w->worker) &&
		    next_due(domain, sizeof(domain))) {
			error_clear(&err);
			if (judge(w, domain, &err) < 0) {
				log_warn("watch: judging %s: %s", domain,
				    err.msg);
				break;
			}
		}
	} while (!worker_nap(&w->worker, WATCH_POLL_SECONDS * 1000));
	return NULL;
}

static int
add_targets(struct watch *w, const struct config_list *l, const char *kind)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		w->targets[w->ntargets].kind = kind;
		if ((w->targets[w->ntargets].to = strdup(l->v[i])) == NULL)
			return -1;
		w->ntargets++;
	}
	return 0;
}

struct watch *
watch_start(struct store *st, const struct config *cfg,
	    struct notify *sender, struct error *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	size_t n = cfg->notify_webhook.n + cfg->notify_mail.n;

	if (w == NULL)
		goto nomem;
	worker_init(&w->worker);
	if ((w->targets = calloc(n + 1, sizeof(*w->targets))) == NULL)
		goto nomem;
	w->st = st;
	w->sender = sender;
	if ((w->rd = store_open_reader(cfg->database, err)) == NULL)
		goto fail;
	if (sender != NULL && (add_targets(w, &cfg->notify_webhook,
	    "webhook") < 0 || add_targets(w, &cfg->notify_mail, "mail") < 0))
		goto nomem;
	if (config_given(cfg->public_url)) {
		if ((w->public_url = strdup(cfg->public_url)) == NULL)
			goto nomem;
		/* The routes follow it: no slash of its own at the end. */
		n = strlen(w->public_url);
		while (n > 0 && w->public_url[n - 1] == '/')
			w->public_url[--n] = '\0';
	}
	if (worker_start(&w->worker, "watch", run, w, err) < 0)
		goto fail;
	return w;
nomem:
	error_set(err, ERR_NOMEM, "out of memory");
fail:
	watch_stop(w);
	return NULL;
}

void
watch_stop(struct watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	worker_release(&w->worker);
	for (i = 0; i < w->ntargets; i++)
		free((char *)w->targets[i].to);
	free(w->targets);
	free(w->public_url);
	store_close(w->rd);
	free(w);
}

/* A label value: the domain as stored is a DNS name, but escape the
 * three characters the text format asks for all the same. */
static int
label(struct buf *out, const char *s, struct error *err)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			if (buf_append(out, "\\", 1, err) < 0 ||
			    buf_append(out, s, 1, err) < 0)
				return -1;
		} else if (*s == '\n') {
			if (buf_puts(out, "\\n", err) < 0)
				return -1;
		} else if (buf_append(out, s, 1, err) < 0)
			return -1;
	}
	return 0;
}

static int
series(struct buf *out, const char *name, const char *domain,
       const char *verdict, int64_t value, struct error *err)
{
	if (buf_printf(out, err, "%s{domain=\"", name) < 0 ||
	    label(out, domain, err) < 0)
		return -1;
	if (verdict != NULL && buf_printf(out, err, "\",verdict=\"%s",
	    verdict) < 0)
		return -1;
	return buf_printf(out, err, "\"} %" PRId64 "\n", value);
}

int
watch_render_metrics(struct buf *out, struct error *err)
{
	static const char *const verdicts[] = { "ready", "insufficient-data",
	    "not-ready" };
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "tlsrpt_domain_verdict", "gauge", "1 for the domain's "
		    "current verdict, 0 for the two others" },
		{ "tlsrpt_domain_sessions", "gauge", "sts sessions reported "
		    "in the last 7 days" },
		{ "tlsrpt_domain_refused_sessions", "gauge", "of them, "
		    "sessions enforce would refuse" },
		{ "tlsrpt_domain_last_report_timestamp_seconds", "gauge",
		    "end of the domain's newest report" },
	};
	const struct entry *e;
	size_t f, i, v;
	int rc = 0;

	pthread_mutex_lock(&reg.lock);
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]) && rc == 0; f++) {
		rc = buf_printf(out, err, "# HELP %s %s\n# TYPE %s %s\n",
		    fam[f].name, fam[f].help, fam[f].name, fam[f].type);
		for (i = 0; i < reg.n && rc == 0; i++) {
			e = &reg.e[i];
			if (!e->judged)
				continue;
			if (f == 0)
				for (v = 0; v < 3 && rc == 0; v++)
					rc = series(out, fam[f].name,
					    e->domain, verdicts[v],
					    strcmp(e->row.verdict,
					    verdicts[v]) == 0, err);
			else if (f == 1)
				rc = series(out, fam[f].name, e->domain, NULL,
				    e->row.sessions, err);
			else if (f == 2)
				rc = series(out, fam[f].name, e->domain, NULL,
				    e->row.refused, err);
			else if (e->row.last_report >= 0)
				rc = series(out, fam[f].name, e->domain, NULL,
				    e->row.last_report, err);
		}
	}
	pthread_mutex_unlock(&reg.lock);
	return rc;
}

int
watch_overview_page(struct buf *out, struct error *err)
{
	size_t i;
	int rc;

	/* Written from the registry under its lock, not from a copy: the
	 * page of 10,000 domains takes a few milliseconds, and only the
	 * watch's own thread and the other readers wait on the lock, never
	 * a report. */
	pthread_mutex_lock(&reg.lock);
	rc = overview_page_begin(out, reg.n, err);
	/* A row not judged yet has no verdict: entry_of() zeroed it, and
	 * only note_row() fills it. */
	for (i = 0; i < reg.n && rc == 0; i++)
		rc = overview_table_row(out, &reg.e[i].row, "/report/", err);
	if (rc == 0)
		rc = overview_page_end(out, reg.n, err);
	pthread_mutex_unlock(&reg.lock);
	return rc;
}

int
watch_verdict(const char *domain, char *out, size_t len)
{
	const struct entry *e;
	size_t at;
	int found = 0;

	pthread_mutex_lock(&reg.lock);
	if ((e = find(domain, &at)) != NULL && e->judged &&
	    e->row.verdict[0] != '\0') {
		fmt_cut(out, len, "%s", e->row.verdict);
		found = 1;
	}
	pthread_mutex_unlock(&reg.lock);
	return found;
}
