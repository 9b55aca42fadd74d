/* analyse: see include/analyse.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyse.h"
#include "count.h"
#include "policy.h"
#include "rfc3339.h"
#include "banned.h"

#define DAY 86400

/* Result types, DESIGN section 7 and RFC 8460 4.3. */
static const char *const refused_types[] = { "starttls-not-supported",
    "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", NULL };
static const char *const fetch_types[] = { "sts-policy-fetch-error",
    "sts-policy-invalid", "sts-webpki-invalid", NULL };
static const char *const dane_types[] = { "tlsa-invalid", "dnssec-invalid",
    "dane-required", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int
analyse_type_blocking(const char *t)
{
	/* Known types that are not refusals: the policy could not be had
	 * (the sender then delivers as without a policy) or DANE's own. */
	return in_list(refused_types, t) ||
	    !(in_list(fetch_types, t) || in_list(dane_types, t));
}

void
analyse_options_default(struct analyse_options *opt)
{
	opt->now = (int64_t)time(NULL);
	opt->days = 14;
	opt->recent_days = 7;
	opt->stale_days = 3;
	opt->max_failure_rate = 0.001;
	opt->min_days = 7;
	opt->min_reporters = 2;
	opt->min_sessions = 100;
}

/* A set of strings borrowed from the evidence (which outlives it). */
struct strset {
	const char **v;
	size_t n, alloc;
};

static int
strset_add(struct strset *s, const char *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return 0;
	if (s->n == s->alloc) {
		const char **g;

		s->alloc = s->alloc ? s->alloc * 2 : 8;
		g = realloc(s->v, s->alloc * sizeof(*g));
		if (g == NULL)
			return -1;
		s->v = g;
	}
	s->v[s->n++] = v;
	return 0;
}

static json_t *
strset_json(const struct strset *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static void
strset_free(struct strset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Failures of one result type at one receiving MX. */
struct fagg {
	const char *type, *mx;
	int64_t sessions, recent;
	struct strset reporters;
	int64_t first, last;
	int blocking;
	int64_t outside;	/* recent sessions at an MX outside the policy */
};

/* A distinct policy (its set of lines) seen by reporters. */
struct vagg {
	const char *set, *mode;
	struct strset reporters;
	int64_t first, last;
};

struct day {
	int64_t sessions, failed, blocking;
};

struct state {
	const struct analyse_options *opt;
	const struct evidence *ev;
	int64_t ws, rs;			/* window and recent starts */
	int64_t first_day, ndays;
	struct day *days;
	int64_t *day_seen;		/* by day: reports ending that day */
	struct strset reporters, modes, patterns, recent_modes;
	int64_t *rep_reports, *rep_last;	/* by reporter index */
	size_t rep_alloc;
	struct fagg *f;
	size_t nf;
	struct vagg *v;
	size_t nv;
	int64_t total, successful, failed;	/* all types, max rule */
	int64_t sts_w, sts_failed_w, blocking_w;
	int64_t sts_r, sts_failed_r, blocking_r;
	int64_t nopolicy_r, fetch_r, dane_w;
	int64_t newest;
	int64_t reports;
};

static struct fagg *
fagg_get(struct state *s, const char *type, const char *mx)
{
	struct fagg *g;
	size_t i;

	for (i = 0; i < s->nf; i++)
		if (strcmp(s->f[i].type, type) == 0 && ((mx == NULL &&
		    s->f[i].mx == NULL) || (mx && s->f[i].mx &&
		    strcmp(s->f[i].mx, mx) == 0)))
			return &s->f[i];
	g = realloc(s->f, (s->nf + 1) * sizeof(*g));
	if (g == NULL)
		return NULL;
	s->f = g;
	g = &s->f[s->nf++];
	memset(g, 0, sizeof(*g));
	g->type = type;
	g->mx = mx;
	g->first = INT64_MAX;
	g->blocking = analyse_type_blocking(type);
	return g;
}

static struct vagg *
vagg_get(struct state *s, const char *set, const char *mode)
{
	struct vagg *g;
	size_t i;

	for (i = 0; i < s->nv; i++)
		if (strcmp(s->v[i].set, set) == 0)
			return &s->v[i];
	g = realloc(s->v, (s->nv + 1) * sizeof(*g));
	if (g == NULL)
		return NULL;
	s->v = g;
	g = &s->v[s->nv++];
	memset(g, 0, sizeof(*g));
	g->set = set;
	g->mode = mode;
	g->first = INT64_MAX;
	return g;
}

static int
mx_in_policy(const struct evidence_policy *p, const char *mx)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		if (sts_mx_match(p->mx_patterns[i], mx))
			return 1;
	return 0;
}

/* One sts policy entry: its sessions, failures and refusals. */
static int
add_sts(struct state *s, const struct evidence_policy *p, int recent,
	struct day *d)
{
	int64_t detailed = 0, blocking = 0, refused, sessions;
	struct vagg *v;
	size_t i;

	sessions = count_add(p->successful, p->failed);
	for (i = 0; i < p->nfailures; i++) {
		const struct evidence_failure *f = &p->failures[i];

		detailed = count_add(detailed, f->sessions);
		if (analyse_type_blocking(f->result_type))
			blocking = count_add(blocking, f->sessions);
	}
	/* Failures no detail explains are of an unknown type. */
	if (p->failed > detailed)
		blocking = count_add(blocking, p->failed - detailed);
	refused = blocking < p->failed ? blocking : p->failed;

	s->sts_w = count_add(s->sts_w, sessions);
	s->sts_failed_w = count_add(s->sts_failed_w, p->failed);
	s->blocking_w = count_add(s->blocking_w, refused);
	d->sessions = count_add(d->sessions, sessions);
	d->failed = count_add(d->failed, p->failed);
	d->blocking = count_add(d->blocking, refused);
	if (recent) {
		s->sts_r = count_add(s->sts_r, sessions);
		s->sts_failed_r = count_add(s->sts_failed_r, p->failed);
		s->blocking_r = count_add(s->blocking_r, refused);
	}
	if (p->mode && (strset_add(&s->modes, p->mode) < 0 ||
	    (recent && strset_add(&s->recent_modes, p->mode) < 0)))
		return -1;
	for (i = 0; i < p->nmx; i++)
		if (strset_add(&s->patterns, p->mx_patterns[i]) < 0)
			return -1;
	if (p->policy_set[0]) {
		if ((v = vagg_get(s, p->policy_set, p->mode)) == NULL ||
		    strset_add(&v->reporters, p->reporter) < 0)
			return -1;
		if (p->start < v->first)
			v->first = p->start;
		if (p->end > v->last)
			v->last = p->end;
	}
	return 0;
}

static int
add_failures(struct state *s, const struct evidence_policy *p, int recent)
{
	int sts = strcmp(p->type, "sts") == 0;
	struct fagg *g;
	size_t i;

	for (i = 0; i < p->nfailures; i++) {
		const struct evidence_failure *f = &p->failures[i];

		if ((g = fagg_get(s, f->result_type, f->mx)) == NULL ||
		    strset_add(&g->reporters, p->reporter) < 0)
			return -1;
		g->sessions = count_add(g->sessions, f->sessions);
		if (p->start < g->first)
			g->first = p->start;
		if (p->end > g->last)
			g->last = p->end;
		if (!recent)
			continue;
		g->recent = count_add(g->recent, f->sessions);
		if (in_list(fetch_types, f->result_type))
			s->fetch_r = count_add(s->fetch_r, f->sessions);
		/* RFC 8461 4.1: the MX must match the policy the reporter
		 * saw; a policy quoted without mx lines cannot be judged. */
		if (sts && f->mx && p->nmx > 0 && !mx_in_policy(p, f->mx)) {
			g->outside = count_add(g->outside, f->sessions);
		}
	}
	for (i = 0; i < p->nfailures; i++)
		if (in_list(dane_types, p->failures[i].result_type))
			s->dane_w = count_add(s->dane_w,
			    p->failures[i].sessions);
	return 0;
}

/* One report's policies for the domain: [a, b) of the evidence. */
static int
add_report(struct state *s, size_t a, size_t b)
{
	const struct evidence_policy *p0 = &s->ev->policies[a];
	int64_t best = -1, best_ok = 0, best_failed = 0;
	int recent = p0->end > s->rs;
	int64_t dn = (p0->end - 1) / DAY - s->first_day;
	struct day *d;
	size_t i, j;

	if (dn < 0)
		dn = 0;
	if (dn >= s->ndays)
		dn = s->ndays - 1;
	d = &s->days[dn];
	s->day_seen[dn]++;
	s->reports++;
	if (p0->end > s->newest)
		s->newest = p0->end;
	if (strset_add(&s->reporters, p0->reporter) < 0)
		return -1;
	for (i = 0; i < s->reporters.n; i++)
		if (strcmp(s->reporters.v[i], p0->reporter) == 0)
			break;
	if (i >= s->rep_alloc) {
		size_t na = s->rep_alloc ? s->rep_alloc * 2 : 8;
		int64_t *g1 = realloc(s->rep_reports, na * sizeof(*g1));
		int64_t *g2;

		if (g1 == NULL)
			return -1;
		s->rep_reports = g1;
		if ((g2 = realloc(s->rep_last, na * sizeof(*g2))) == NULL)
			return -1;
		s->rep_last = g2;
		memset(s->rep_reports + s->rep_alloc, 0,
		    (na - s->rep_alloc) * sizeof(*g1));
		memset(s->rep_last + s->rep_alloc, 0,
		    (na - s->rep_alloc) * sizeof(*g2));
		s->rep_alloc = na;
	}
	s->rep_reports[i]++;
	if (p0->end > s->rep_last[i])
		s->rep_last[i] = p0->end;

	/* The largest per-type sum is the report's sessions. */
	for (i = a; i < b; i++) {
		int64_t tot = 0, okc = 0, fc = 0;
		int seen = 0;

		for (j = a; j < i; j++)
			if (strcmp(s->ev->policies[j].type,
			    s->ev->policies[i].type) == 0)
				seen = 1;
		if (seen)
			continue;
		for (j = i; j < b; j++) {
			const struct evidence_policy *p = &s->ev->policies[j];

			if (strcmp(p->type, s->ev->policies[i].type) != 0)
				continue;
			tot = count_add(tot, count_add(p->successful,
			    p->failed));
			okc = count_add(okc, p->successful);
			fc = count_add(fc, p->failed);
		}
		if (tot > best) {
			best = tot;
			best_ok = okc;
			best_failed = fc;
		}
	}
	s->total = count_add(s->total, best);
	s->successful = count_add(s->successful, best_ok);
	s->failed = count_add(s->failed, best_failed);

	for (i = a; i < b; i++) {
		const struct evidence_policy *p = &s->ev->policies[i];

		if (strcmp(p->type, "sts") == 0 && add_sts(s, p, recent, d) < 0)
			return -1;
		if (recent && strcmp(p->type, "no-policy-found") == 0)
			s->nopolicy_r = count_add(s->nopolicy_r,
			    count_add(p->successful, p->failed));
		if (add_failures(s, p, recent) < 0)
			return -1;
	}
	return 0;
}

static json_t *
time_json(int64_t t)
{
	char buf[RFC3339_LEN];

	rfc3339_format(t, buf);
	return json_string(buf);
}

static json_t *
rate_json(int64_t part, int64_t whole)
{
	return whole > 0 ? json_real((double)part / (double)whole) :
	    json_null();
}

static void
add_reason(json_t *reasons, const char *code, const char *kind,
	   json_t *evidence, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
add_reason(json_t *reasons, const char *code, const char *kind,
	   json_t *evidence, const char *fmt, ...)
{
	char msg[1024];
	json_t *r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = json_pack("{s:s, s:s, s:s}", "code", code, "kind", kind,
	    "message", msg);
	if (r && evidence)
		json_object_update(r, evidence);
	json_decref(evidence);
	json_array_append_new(reasons, r);
}

static void
add_step(json_t *steps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
add_step(json_t *steps, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; i < json_array_size(steps); i++)
		if (strcmp(json_string_value(json_array_get(steps, i)), msg) ==
		    0)
			return;
	json_array_append_new(steps, json_string(msg));
}

/* What to do about a refused type at an MX, in plain words. */
static void
fix_step(json_t *steps, const char *type, const char *mx)
{
	const char *host = mx ? mx : "the MX hosts";

	if (strcmp(type, "starttls-not-supported") == 0)
		add_step(steps, "Enable STARTTLS on %s.", host);
	else if (strcmp(type, "certificate-host-mismatch") == 0)
		add_step(steps, "Install a certificate on %s whose names "
		    "include %s.", host, host);
	else if (strcmp(type, "certificate-expired") == 0)
		add_step(steps, "Renew the expired certificate on %s.", host);
	else if (strcmp(type, "certificate-not-trusted") == 0)
		add_step(steps, "Serve a certificate from a public CA with its "
		    "full chain on %s.", host);
	else if (strcmp(type, "validation-failure") == 0)
		add_step(steps, "Check the certificate chain, names and dates "
		    "on %s (validation-failure).", host);
	else
		add_step(steps, "Find out what \"%s\" means for %s: senders "
		    "would refuse those deliveries.", type, host);
}

static int
cmp_fagg(const void *a, const void *b)
{
	const struct fagg *x = a, *y = b;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return strcmp(x->type, y->type);
}

static void
verdict_reasons(struct state *s, json_t *reasons, json_t *steps)
{
	const struct analyse_options *o = s->opt;
	const char *dom = s->ev->domain;
	double rate = s->sts_r ? (double)s->blocking_r / (double)s->sts_r : 0;
	int64_t days = 0, past = s->blocking_w - s->blocking_r;
	json_t *list;
	size_t i;
	char buf[512];
	int n;

	for (i = 0; i < (size_t)s->ndays; i++)
		if (s->day_seen[i])
			days++;
	if (s->nf > 1)
		qsort(s->f, s->nf, sizeof(*s->f), cmp_fagg);

	/* Blocking. */
	if (s->blocking_r > 0 && rate > o->max_failure_rate) {
		list = json_array();
		buf[0] = '\0';
		n = 0;
		for (i = 0; i < s->nf; i++) {
			struct fagg *f = &s->f[i];

			if (!f->blocking || f->recent == 0)
				continue;
			json_array_append_new(list, json_pack("{s:s, s:s?, "
			    "s:I}", "result_type", f->type,
			    "receiving_mx_hostname", f->mx, "sessions",
			    (json_int_t)f->recent));
			if (n++ < 3) {
				size_t l = strlen(buf);

				snprintf(buf + l, sizeof(buf) - l, "%s%s at %s "
				    "(%lld)", l ? ", " : "", f->type,
				    f->mx ? f->mx : "an unnamed MX",
				    (long long)f->recent);
			}
			fix_step(steps, f->type, f->mx);
		}
		add_reason(reasons, "tls-failures", "blocking", json_pack("{s:f, "
		    "s:f, s:I, s:I, s:o}", "failure_rate", rate, "threshold",
		    o->max_failure_rate, "failed_sessions",
		    (json_int_t)s->blocking_r, "sts_sessions",
		    (json_int_t)s->sts_r, "failures", list),
		    "%lld of %lld sts sessions (%.2f%%) in the last %d days "
		    "failed in ways enforce would refuse%s%s",
		    (long long)s->blocking_r, (long long)s->sts_r, rate * 100,
		    o->recent_days, buf[0] ? ": " : "", buf);
	}
	for (i = 0; i < s->nf; i++) {
		struct fagg *f = &s->f[i];

		if (f->outside == 0)
			continue;
		add_reason(reasons, "mx-not-in-policy", "blocking",
		    json_pack("{s:s, s:s, s:I, s:o}", "receiving_mx_hostname",
		    f->mx, "result_type", f->type, "sessions",
		    (json_int_t)f->outside, "reporters",
		    strset_json(&f->reporters)),
		    "%s received mail but matches none of the policy's mx "
		    "patterns (%lld %s sessions)", f->mx,
		    (long long)f->outside, f->type);
		add_step(steps, "Add \"mx: %s\" to the policy at https://mta-"
		    "sts.%s/.well-known/mta-sts.txt (or stop using %s as an "
		    "MX), then change the id in the _mta-sts.%s TXT record.",
		    f->mx, dom, f->mx, dom);
	}
	if (s->nopolicy_r > 0 && s->sts_r == 0) {
		add_reason(reasons, "no-policy-published", "blocking",
		    json_pack("{s:I}", "sessions", (json_int_t)s->nopolicy_r),
		    "reporters found no MTA-STS policy for %s (%lld sessions "
		    "in the last %d days) and saw no sts sessions", dom,
		    (long long)s->nopolicy_r, o->recent_days);
		add_step(steps, "Publish the MTA-STS policy at https://mta-sts."
		    "%s/.well-known/mta-sts.txt and a \"v=STSv1; id=...\" TXT "
		    "record at _mta-sts.%s, in mode: testing first.", dom, dom);
	}

	/* Insufficient. */
	if (days < o->min_days) {
		add_reason(reasons, "too-few-days", "insufficient",
		    json_pack("{s:I, s:i}", "days", (json_int_t)days,
		    "min_days", o->min_days),
		    "reports on %lld of the last %d days; at least %d needed",
		    (long long)days, o->days, o->min_days);
		add_step(steps, "Wait for reports on at least %lld more day%s.",
		    (long long)(o->min_days - days),
		    o->min_days - days == 1 ? "" : "s");
	}
	if ((int64_t)s->reporters.n < o->min_reporters) {
		add_reason(reasons, "too-few-reporters", "insufficient",
		    json_pack("{s:I, s:i}", "reporters",
		    (json_int_t)s->reporters.n, "min_reporters",
		    o->min_reporters), "%zu organization%s reported in the "
		    "last %d days; at least %d needed", s->reporters.n,
		    s->reporters.n == 1 ? "" : "s", o->days, o->min_reporters);
		add_step(steps, "Wait for reports from more senders; check the "
		    "rua= address of the _smtp._tls.%s TXT record.", dom);
	}
	if (s->sts_r < o->min_sessions) {
		add_reason(reasons, "too-few-sessions", "insufficient",
		    json_pack("{s:I, s:I}", "sts_sessions", (json_int_t)s->sts_r,
		    "min_sessions", (json_int_t)o->min_sessions),
		    "%lld sts sessions in the last %d days; at least %lld "
		    "needed", (long long)s->sts_r, o->recent_days,
		    (long long)o->min_sessions);
		add_step(steps, "Wait for more mail traffic: %lld more sts "
		    "sessions in the last %d days.",
		    (long long)(o->min_sessions - s->sts_r), o->recent_days);
	}
	if (s->newest <= o->now - (int64_t)o->stale_days * DAY) {
		char t[RFC3339_LEN];

		rfc3339_format(s->newest, t);
		add_reason(reasons, "stale-reports", "insufficient",
		    json_pack("{s:o}", "newest_report_end", s->reports ?
		    time_json(s->newest) : json_null()),
		    s->reports ? "the newest report ended %s, more than %d "
		    "days before now" : "no report in the window%.0s (none in "
		    "the last %d days)", s->reports ? t : "", o->stale_days);
		add_step(steps, "Check that reports still arrive: the rua= "
		    "address of _smtp._tls.%s, the tlsrptd service and its "
		    "maildir.", dom);
	}

	/* Warnings and information. */
	if (s->fetch_r > 0) {
		list = json_array();
		for (i = 0; i < s->nf; i++)
			if (in_list(fetch_types, s->f[i].type) &&
			    s->f[i].recent > 0)
				json_array_append_new(list, json_pack("{s:s, "
				    "s:I, s:o}", "result_type", s->f[i].type,
				    "sessions", (json_int_t)s->f[i].recent,
				    "reporters",
				    strset_json(&s->f[i].reporters)));
		add_reason(reasons, "policy-fetch-errors", "warning",
		    json_pack("{s:I, s:o}", "sessions", (json_int_t)s->fetch_r,
		    "failures", list), "%lld sessions in the last %d days "
		    "could not fetch or validate the policy",
		    (long long)s->fetch_r, o->recent_days);
		add_step(steps, "Check that https://mta-sts.%s/.well-known/"
		    "mta-sts.txt answers 200 with a valid policy, over a "
		    "certificate valid for mta-sts.%s.", dom, dom);
	}
	if (s->nv > 1) {
		list = json_array();
		for (i = 0; i < s->nv; i++)
			json_array_append_new(list, strset_json(&s->v[i].reporters));
		add_reason(reasons, "policy-inconsistent", "warning",
		    json_pack("{s:I, s:o}", "versions", (json_int_t)s->nv,
		    "reporters_by_version", list),
		    "reporters saw %zu different policies in the last %d days",
		    s->nv, o->days);
		add_step(steps, "If the policy changed, make sure the id of the "
		    "_mta-sts.%s TXT record changed with it, so senders fetch "
		    "the new one.", dom);
	}
	if (past > 0 && s->blocking_r == 0)
		add_reason(reasons, "past-failures", "warning",
		    json_pack("{s:I}", "sessions", (json_int_t)past),
		    "%lld sts sessions failed in ways enforce would refuse "
		    "earlier in the window, none in the last %d days",
		    (long long)past, o->recent_days);
	if (s->dane_w > 0) {
		add_reason(reasons, "dane-failures", "warning",
		    json_pack("{s:I}", "sessions", (json_int_t)s->dane_w),
		    "%lld sessions failed DANE checks in the last %d days",
		    (long long)s->dane_w, o->days);
		add_step(steps, "Check the TLSA records of the MX hosts against "
		    "their certificates.");
	}
	for (i = 0; i < s->recent_modes.n; i++)
		if (strcmp(s->recent_modes.v[i], "enforce") == 0) {
			add_reason(reasons, "already-enforced", "info", NULL,
			    "reporters already see mode: enforce; the failures "
			    "listed are refusals happening now");
			break;
		}
}

static const char *
verdict_of(const json_t *reasons)
{
	int blocking = 0, insufficient = 0;
	const json_t *r;
	size_t i;

	json_array_foreach(reasons, i, r) {
		const char *k = json_string_value(json_object_get(r, "kind"));

		blocking |= k && strcmp(k, "blocking") == 0;
		insufficient |= k && strcmp(k, "insufficient") == 0;
	}
	return blocking ? "not-ready" : insufficient ? "insufficient-data" :
	    "ready";
}

static json_t *
build(struct state *s)
{
	const struct analyse_options *o = s->opt;
	json_t *d, *reasons = json_array(), *steps = json_array();
	json_t *failures = json_array(), *versions = json_array();
	json_t *daily = json_array(), *repd = json_array();
	const char *verdict;
	int64_t days = 0;
	size_t i;

	verdict_reasons(s, reasons, steps);
	verdict = verdict_of(reasons);
	if (strcmp(verdict, "ready") == 0)
		add_step(steps, "Switch the policy at https://mta-sts.%s/"
		    ".well-known/mta-sts.txt to mode: enforce and change the id "
		    "of the _mta-sts.%s TXT record.", s->ev->domain,
		    s->ev->domain);

	for (i = 0; i < (size_t)s->ndays; i++) {
		char t[RFC3339_LEN];

		days += s->day_seen[i] > 0;
		rfc3339_format((s->first_day + (int64_t)i) * DAY, t);
		t[10] = '\0';
		json_array_append_new(daily, json_pack("{s:s, s:I, s:I, s:I, "
		    "s:I}", "date", t, "reports", (json_int_t)s->day_seen[i],
		    "sts_sessions", (json_int_t)s->days[i].sessions,
		    "sts_failed", (json_int_t)s->days[i].failed,
		    "refused_if_enforced", (json_int_t)s->days[i].blocking));
	}
	for (i = 0; i < s->nf; i++) {
		struct fagg *f = &s->f[i];

		json_array_append_new(failures, json_pack("{s:s, s:s?, s:I, "
		    "s:I, s:o, s:o, s:o, s:b}", "result_type", f->type,
		    "receiving_mx_hostname", f->mx, "sessions",
		    (json_int_t)f->sessions, "recent_sessions",
		    (json_int_t)f->recent, "reporters",
		    strset_json(&f->reporters), "first_seen",
		    time_json(f->first), "last_seen", time_json(f->last),
		    "blocking", f->blocking));
	}
	for (i = 0; i < s->reporters.n; i++)
		json_array_append_new(repd, json_pack("{s:s, s:I, s:o}", "name",
		    s->reporters.v[i], "reports", (json_int_t)s->rep_reports[i],
		    "last_seen", time_json(s->rep_last[i])));
	for (i = 0; i < s->nv; i++) {
		struct vagg *v = &s->v[i];
		json_t *lines = json_array();
		const char *p = v->set, *nl;

		while (*p) {
			nl = strchr(p, '\n');
			json_array_append_new(lines, json_stringn(p, nl ?
			    (size_t)(nl - p) : strlen(p)));
			p = nl ? nl + 1 : p + strlen(p);
		}
		json_array_append_new(versions, json_pack("{s:o, s:s?, s:o, "
		    "s:o, s:o}", "lines", lines, "mode", v->mode, "reporters",
		    strset_json(&v->reporters), "first_seen",
		    time_json(v->first), "last_seen", time_json(v->last)));
	}

	d = json_pack("{s:s, s:s, s:o, s:{s:o, s:o, s:i}, s:{s:o, s:o, s:i}, "
	    "s:{s:I, s:I, s:I, s:o}, s:{s:{s:I, s:I, s:o}, s:{s:I, s:I, s:I, "
	    "s:o}}, s:I, s:I, s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o, s:o}",
	    "domain", s->ev->domain,
	    "verdict", verdict,
	    "reasons", reasons,
	    "window",
	      "start", time_json(s->ws), "end", time_json(o->now),
	      "days", o->days,
	    "recent",
	      "start", time_json(s->rs), "end", time_json(o->now),
	      "days", o->recent_days,
	    "sessions",
	      "total", (json_int_t)s->total,
	      "successful", (json_int_t)s->successful,
	      "failed", (json_int_t)s->failed,
	      "failure_rate", rate_json(s->failed, s->total),
	    "sts",
	      "window",
	        "sessions", (json_int_t)s->sts_w,
	        "failed", (json_int_t)s->sts_failed_w,
	        "refused_rate", rate_json(s->blocking_w, s->sts_w),
	      "recent",
	        "sessions", (json_int_t)s->sts_r,
	        "failed", (json_int_t)s->sts_failed_r,
	        "refused_if_enforced", (json_int_t)s->blocking_r,
	        "refused_rate", rate_json(s->blocking_r, s->sts_r),
	    "reports", (json_int_t)s->reports,
	    "days_with_reports", (json_int_t)days,
	    "reporters", strset_json(&s->reporters),
	    "reporter_details", repd,
	    "policy",
	      "modes_seen", strset_json(&s->modes),
	      "mx_patterns", strset_json(&s->patterns),
	      "versions_seen", versions,
	    "failures", failures,
	    "daily", daily,
	    "next_steps", steps);
	return d;
}

json_t *
analyse_domain(const struct evidence *ev, const struct analyse_options *opt)
{
	struct state s;
	json_t *out = NULL;
	size_t a, b, i;

	memset(&s, 0, sizeof(s));
	s.opt = opt;
	s.ev = ev;
	s.ws = opt->now - (int64_t)opt->days * DAY;
	s.rs = opt->now - (int64_t)(opt->recent_days < opt->days ?
	    opt->recent_days : opt->days) * DAY;
	s.first_day = s.ws / DAY;
	s.ndays = (opt->now - 1) / DAY - s.first_day + 1;
	if (s.ndays < 1)
		s.ndays = 1;
	s.days = calloc((size_t)s.ndays, sizeof(*s.days));
	s.day_seen = calloc((size_t)s.ndays, sizeof(*s.day_seen));
	if (s.days == NULL || s.day_seen == NULL)
		goto done;
	for (a = 0; a < ev->n; a = b) {
		for (b = a + 1; b < ev->n &&
		    ev->policies[b].report == ev->policies[a].report; b++)
			;
		if (add_report(&s, a, b) < 0)
			goto done;
	}
	out = build(&s);
done:
	for (i = 0; i < s.nf; i++)
		strset_free(&s.f[i].reporters);
	for (i = 0; i < s.nv; i++)
		strset_free(&s.v[i].reporters);
	free(s.f);
	free(s.v);
	free(s.rep_reports);
	free(s.rep_last);
	free(s.days);
	free(s.day_seen);
	strset_free(&s.reporters);
	strset_free(&s.modes);
	strset_free(&s.patterns);
	strset_free(&s.recent_modes);
	return out;
}

json_t *
analyse_summary(struct store *st, const char *const *domains, size_t n,
		const struct analyse_options *opt, struct error *err)
{
	char **all = NULL;
	json_t *doc, *list;
	size_t i, nall = 0;

	if (n == 0) {
		if (evidence_domains(st, &all, &nall, err) < 0)
			return NULL;
		domains = (const char *const *)all;
		n = nall;
	}
	list = json_array();
	doc = json_pack("{s:o, s:i, s:o}", "now", time_json(opt->now),
	    "window_days", opt->days, "domains", list);
	for (i = 0; doc && i < n; i++) {
		struct evidence ev;
		char dom[256];
		int len;

		len = snprintf(dom, sizeof(dom), "%s", domains[i]);
		if (len < 0 || (size_t)len >= sizeof(dom)) {
			error_set(err, ERR_INPUT, "domain name too long: %.64s...",
			    domains[i]);
			goto fail;
		}
		domain_normalise(dom);
		if (evidence_load(st, dom, opt->now - (int64_t)opt->days * DAY,
		    opt->now, &ev, err) < 0)
			goto fail;
		json_array_append_new(list, analyse_domain(&ev, opt));
		evidence_release(&ev);
	}
	for (i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	return doc;
fail:
	for (i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	json_decref(doc);
	return NULL;
}

int
analyse_exit_code(const json_t *summary)
{
	const json_t *d;
	int any = 0, worst = 0;
	size_t i;

	json_array_foreach(json_object_get(summary, "domains"), i, d) {
		const char *v = json_string_value(json_object_get(d,
		    "verdict"));

		any = 1;
		if (v && strcmp(v, "not-ready") == 0)
			return 1;
		if (v && strcmp(v, "insufficient-data") == 0)
			worst = 2;
	}
	return any ? worst : 2;
}
