/* analyse: see include/analyse.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyse.h"
#include "array.h"
#include "bounds.h"
#include "count.h"
#include "escape.h"
#include "hashidx.h"
#include "fmt.h"
#include "policy.h"
#include "rfc3339.h"
#include "banned.h"

#define DAY 86400

/* Result types, doc/verdict.md and RFC 8460 4.3. */
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
analyse_type_known(const char *t)
{
	return in_list(refused_types, t) || in_list(fetch_types, t) ||
	    in_list(dane_types, t);
}

int
analyse_type_blocking(const char *t)
{
	/* Known types that are not refusals: the policy could not be had
	 * (the sender then delivers as without a policy) or DANE's own. */
	return in_list(refused_types, t) || !analyse_type_known(t);
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

/* A set of strings borrowed from what outlives it (the evidence, the
 * verdict's steps), in the order they came, indexed (hashidx.h):
 * reporters and MX names are as many as whoever posts makes them. */
struct strset {
	const char **v;
	size_t n, alloc;
	struct hashidx idx;
};

static int
strset_eq(const void *arg, size_t pos)
{
	const void *const *a = arg;	/* { set, string } */
	const struct strset *set = a[0];

	return strcmp(set->v[pos], a[1]) == 0;
}

/* The position of v in s, or HASHIDX_NONE. */
static size_t
strset_find(const struct strset *s, const char *v)
{
	const void *arg[2] = { s, v };

	return hashidx_find(&s->idx, hashidx_str(HASHIDX_SEED, v), strset_eq,
	    arg);
}

/* Add v unless s has it; its position in *pos when pos is not NULL. */
static int
strset_add_at(struct strset *s, const char *v, size_t *pos)
{
	const void *arg[2] = { s, v };
	uint64_t h = hashidx_str(HASHIDX_SEED, v);
	size_t i = hashidx_find(&s->idx, h, strset_eq, arg);

	if (i == HASHIDX_NONE) {
		if (array_grow(&s->v, s->n, &s->alloc, sizeof(*s->v), 8) < 0 ||
		    hashidx_add(&s->idx, h, s->n) < 0)
			return -1;
		i = s->n;
		s->v[s->n++] = v;
	}
	if (pos != NULL)
		*pos = i;
	return 0;
}

static int
strset_add(struct strset *s, const char *v)
{
	return strset_add_at(s, v, NULL);
}

/*
 * jansson answers a failed allocation with NULL, which
 * json_array_append_new() and json_object_update() drop without a word: a
 * verdict built on would miss a reason, and could say "ready" when it is
 * not. Every part goes through push() or takes note here, and
 * analyse_domain() then returns NULL, as its header says. (The programs
 * make jansson abort instead, through report_init(); this is for the
 * library's other callers.)
 */
static _Thread_local int out_of_memory;

/* Append v (stolen) to the array a; a NULL either is out of memory. */
static void
push(json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) < 0)
		out_of_memory = 1;
}

static json_t *
strset_json(const struct strset *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->n; i++)
		push(a, json_string(s->v[i]));
	return a;
}

static void
strset_free(struct strset *s)
{
	free(s->v);
	hashidx_free(&s->idx);
	memset(s, 0, sizeof(*s));
}

/* A set of day numbers. */
struct dayset {
	int64_t *v;
	size_t n, alloc;
};

static int
dayset_add(struct dayset *s, int64_t day)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == day)
			return 0;
	if (array_grow(&s->v, s->n, &s->alloc, sizeof(*s->v), 8) < 0)
		return -1;
	s->v[s->n++] = day;
	return 0;
}

/* The pseudo result type of failures a policy counts but no detail
 * explains (analyse.h). */
#define NOT_DETAILED	"not-detailed"
/* The result types past BOUND_ANALYSE_TYPES that are not RFC 8460's. */
#define OTHER_TYPES	"other-result-types"

/* Failures of one policy type and result type at one receiving MX. */
struct fagg {
	const char *ptype, *type, *mx;
	int64_t sessions, recent;
	struct strset reporters;
	int64_t first, last;
	int blocking;
	int64_t outside;	/* recent sessions at an MX outside the policy */
};

/* Recent refusals of one type at one MX, as one reporter saw them. */
struct rfail {
	const char *type, *mx, *reporter;
	size_t rep;		/* the reporter's position in s->rep */
	int64_t sessions;
	struct dayset days;
	int covered;		/* a blocking reason names them */
};

/* The recent refusals of one result type at one MX, all reporters: the
 * rows of rf in a group, in the order of the first. */
struct rgroup {
	const char *type, *mx;
	int64_t sessions;	/* of the members a reason selects */
	struct strset reps;	/* their reporters */
	struct dayset days;	/* their days */
	int emitted;
	int outside;		/* at an MX outside the policy (blocking) */
};

/* One reporter of the window. */
struct rep {
	const char *name;
	int64_t reports, last;
	int64_t sts_r, refused_r;	/* in R */
	int over;			/* above the rate on its own */
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

/* One report of the evidence: policies [a, b). */
struct rpt {
	size_t a, b;
	int64_t key;		/* its identity's first row */
	int64_t refused, failed;
	size_t copies;		/* of its identity in the window */
	int skip;		/* another copy of its identity counts */
};

/* An identity whose copies disagree. */
struct conflict {
	const struct rpt *counted;
	size_t copies;
};

struct state {
	const struct analyse_options *opt;
	const struct evidence *ev;
	int64_t ws, rs;			/* window and recent starts */
	int64_t first_day, ndays;
	struct day *days;
	int64_t *day_seen;		/* by day: reports ending that day */
	struct strset reporters, modes, patterns, recent_modes;
	struct rep *rep;		/* by reporter index */
	size_t rep_alloc;
	struct fagg *f;
	size_t nf, f_alloc;
	struct rfail *rf;
	size_t nrf, rf_alloc;
	struct vagg *v;
	size_t nv, v_alloc;
	struct hashidx f_idx, rf_idx, v_idx;	/* of f, rf and v by key */
	struct rgroup *g;		/* rf by result type and MX */
	size_t ng, g_alloc;
	struct hashidx g_idx;
	size_t *rf_group;		/* the group of each row of rf */
	struct conflict *c;
	size_t nc, c_alloc;
	int64_t *counted;		/* scratch: what each detail counts */
	size_t counted_alloc;
	int64_t total, successful, failed;	/* all types, max rule */
	int64_t sts_w, sts_failed_w, blocking_w;
	int64_t sts_r, sts_failed_r, blocking_r;
	int64_t nopolicy_r, fetch_r, fetch_w, dane_w;
	int64_t newest;
	int64_t reports;
	int domain_over;		/* tls-failures for the whole domain */
	struct strset mxs;		/* the MX names counted by name */
	struct strset types;		/* other types counted by name */
	json_t *steps;			/* the next steps (add_step) */
	struct strset steps_seen;	/* their index */
};

static int
same_mx(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The keys of the aggregates, hashed, and compared by eq functions. */
struct fkey {
	const struct state *s;
	const char *ptype, *type, *mx, *reporter, *set;
};

static uint64_t
key_hash(const char *a, const char *b, const char *c)
{
	return hashidx_str(hashidx_str(hashidx_str(HASHIDX_SEED, a), b), c);
}

/*
 * The element of the array at v (a T ** as void *, *n of *alloc used)
 * that eq(arg, position) accepts under hash h in idx; else a new one at
 * its end, zeroed and indexed, and *added set. NULL out of memory.
 */
static void *
find_or_add(struct hashidx *idx, uint64_t h,
	    int (*eq)(const void *arg, size_t pos), const void *arg, void *v,
	    size_t *n, size_t *alloc, size_t each, int *added)
{
	size_t i;
	char *e;

	*added = 0;
	if ((i = hashidx_find(idx, h, eq, arg)) != HASHIDX_NONE)
		return *(char **)v + i * each;
	if (array_grow(v, *n, alloc, each, 16) < 0 ||
	    hashidx_add(idx, h, *n) < 0)
		return NULL;
	e = *(char **)v + (*n)++ * each;
	memset(e, 0, each);
	*added = 1;
	return e;
}

static int
fagg_eq(const void *arg, size_t pos)
{
	const struct fkey *k = arg;
	const struct fagg *f = &k->s->f[pos];

	return strcmp(f->type, k->type) == 0 &&
	    strcmp(f->ptype, k->ptype) == 0 && same_mx(f->mx, k->mx);
}

static struct fagg *
fagg_get(struct state *s, const char *ptype, const char *type,
	 const char *mx)
{
	struct fkey k = { s, ptype, type, mx, NULL, NULL };
	struct fagg *g;
	int added;

	g = find_or_add(&s->f_idx, key_hash(ptype, type, mx), fagg_eq, &k,
	    &s->f, &s->nf, &s->f_alloc, sizeof(*s->f), &added);
	if (g == NULL || !added)
		return g;
	g->ptype = ptype;
	g->type = type;
	g->mx = mx;
	g->first = INT64_MAX;
	g->blocking = strcmp(ptype, "sts") == 0 &&
	    (strcmp(type, NOT_DETAILED) == 0 || analyse_type_blocking(type));
	return g;
}

static int
rfail_eq(const void *arg, size_t pos)
{
	const struct fkey *k = arg;
	const struct rfail *r = &k->s->rf[pos];

	return strcmp(r->type, k->type) == 0 &&
	    strcmp(r->reporter, k->reporter) == 0 && same_mx(r->mx, k->mx);
}

static struct rfail *
rfail_get(struct state *s, const char *type, const char *mx,
	  const char *reporter)
{
	struct fkey k = { s, NULL, type, mx, reporter, NULL };
	struct rfail *g;
	int added;

	g = find_or_add(&s->rf_idx, key_hash(type, mx, reporter), rfail_eq,
	    &k, &s->rf, &s->nrf, &s->rf_alloc, sizeof(*s->rf), &added);
	if (g == NULL || !added)
		return g;
	g->type = type;
	g->mx = mx;
	g->reporter = reporter;
	g->rep = strset_find(&s->reporters, reporter);
	return g;
}

static int
vagg_eq(const void *arg, size_t pos)
{
	const struct fkey *k = arg;

	return strcmp(k->s->v[pos].set, k->set) == 0;
}

static struct vagg *
vagg_get(struct state *s, const char *set, const char *mode)
{
	struct fkey k = { s, NULL, NULL, NULL, NULL, set };
	struct vagg *g;
	int added;

	g = find_or_add(&s->v_idx, hashidx_str(HASHIDX_SEED, set), vagg_eq,
	    &k, &s->v, &s->nv, &s->v_alloc, sizeof(*s->v), &added);
	if (g == NULL || !added)
		return g;
	g->set = set;
	g->mode = mode;
	g->first = INT64_MAX;
	return g;
}

static struct rep *
rep_get(struct state *s, const char *name)
{
	size_t i;

	if (strset_add_at(&s->reporters, name, &i) < 0)
		return NULL;
	if (i >= s->rep_alloc) {
		size_t na = s->rep_alloc ? s->rep_alloc * 2 : 8;
		struct rep *g = realloc(s->rep, na * sizeof(*g));

		if (g == NULL)
			return NULL;
		memset(g + s->rep_alloc, 0, (na - s->rep_alloc) * sizeof(*g));
		s->rep = g;
		s->rep_alloc = na;
	}
	s->rep[i].name = s->reporters.v[i];
	return &s->rep[i];
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

static int
is_sts(const struct evidence_policy *p)
{
	return strcmp(p->type, "sts") == 0;
}

/*
 * What each failure detail of p counts, into out[]: a policy's details
 * count at most its failure count (types overlap, doc/report.md), so
 * the refusal types of an sts policy are counted first, then the others,
 * each in the order listed, until the count is spent. Returns the
 * failures no detail explains (counted as refused for sts: NOT_DETAILED).
 */
static int64_t
details_counted(const struct evidence_policy *p, int64_t *out)
{
	int64_t left = p->failed;
	int pass, sts = is_sts(p);
	size_t i;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->nfailures; i++) {
			const struct evidence_failure *f = &p->failures[i];
			int first = sts && analyse_type_blocking(f->result_type);

			if (first != (pass == 0))
				continue;
			out[i] = f->sessions < left ? f->sessions : left;
			left -= out[i];
		}
	return left;
}

static int
counted_reserve(struct state *s, size_t n)
{
	int64_t *g;

	if (n <= s->counted_alloc)
		return 0;
	if ((g = realloc(s->counted, n * sizeof(*g))) == NULL)
		return -1;
	s->counted = g;
	s->counted_alloc = n;
	return 0;
}

/*
 * What each failure detail of p counts, into s->counted, and the failures
 * no detail explains, into *left (details_counted()). Returns the
 * sessions of p that enforce would refuse (0 unless sts), or -1 when
 * memory runs out.
 */
static int64_t
policy_refused(struct state *s, const struct evidence_policy *p,
	       int64_t *left)
{
	int64_t refused;
	size_t i;

	if (counted_reserve(s, p->nfailures) < 0)
		return -1;
	*left = details_counted(p, s->counted);
	if (!is_sts(p))
		return 0;
	refused = *left;
	for (i = 0; i < p->nfailures; i++)
		if (analyse_type_blocking(p->failures[i].result_type))
			refused = count_add(refused, s->counted[i]);
	return refused;
}

/*
 * A domain has a few MX hosts; reports that name thousands are forged,
 * and would make the analysis and every output grow with them: past
 * BOUND_ANALYSE_MX distinct names, an MX is counted as an unnamed one
 * (doc/verdict.md). *mx is set to NULL then.
 */
static int
mx_counted(struct state *s, const char **mx)
{
	if (*mx == NULL || strset_find(&s->mxs, *mx) != HASHIDX_NONE)
		return 0;
	if (s->mxs.n < BOUND_ANALYSE_MX)
		return strset_add(&s->mxs, *mx);
	*mx = NULL;
	return 0;
}

/*
 * The same for result types: RFC 8460's are always named; past
 * BOUND_ANALYSE_TYPES others, a type is counted as OTHER_TYPES, which is
 * refused as any type the verdict does not know (analyse_type_blocking).
 */
static int
type_counted(struct state *s, const char **type)
{
	if (analyse_type_known(*type) || strcmp(*type, NOT_DETAILED) == 0 ||
	    strset_find(&s->types, *type) != HASHIDX_NONE)
		return 0;
	if (s->types.n < BOUND_ANALYSE_TYPES)
		return strset_add(&s->types, *type);
	*type = OTHER_TYPES;
	return 0;
}

/* One failure row's share of policy p: n sessions of type at mx. */
static int
add_failure(struct state *s, const struct evidence_policy *p, int recent,
	    int64_t dn, const char *type, const char *mx, int64_t n)
{
	struct fagg *g;
	struct rfail *r;

	if (n <= 0)
		return 0;
	if (mx_counted(s, &mx) < 0 || type_counted(s, &type) < 0)
		return -1;
	if ((g = fagg_get(s, p->type, type, mx)) == NULL ||
	    strset_add(&g->reporters, p->reporter) < 0)
		return -1;
	g->sessions = count_add(g->sessions, n);
	if (p->start < g->first)
		g->first = p->start;
	if (p->end > g->last)
		g->last = p->end;
	if (in_list(dane_types, type))
		s->dane_w = count_add(s->dane_w, n);
	if (in_list(fetch_types, type))
		s->fetch_w = count_add(s->fetch_w, n);
	if (!recent)
		return 0;
	g->recent = count_add(g->recent, n);
	if (in_list(fetch_types, type))
		s->fetch_r = count_add(s->fetch_r, n);
	if (!g->blocking)
		return 0;
	if ((r = rfail_get(s, type, mx, p->reporter)) == NULL ||
	    dayset_add(&r->days, dn) < 0)
		return -1;
	r->sessions = count_add(r->sessions, n);
	/* RFC 8461 4.1: the MX must match the policy the reporter saw; a
	 * policy quoted without mx lines cannot be judged. */
	if (mx && p->nmx > 0 && !mx_in_policy(p, mx))
		g->outside = count_add(g->outside, n);
	return 0;
}

/* One policy entry: its failure rows, and for sts its sessions. */
static int
add_policy(struct state *s, const struct evidence_policy *p, int recent,
	   int64_t dn, struct rep *rep)
{
	struct day *d = &s->days[dn];
	int64_t left, refused, sessions;
	struct vagg *v;
	size_t i;

	if ((refused = policy_refused(s, p, &left)) < 0)
		return -1;
	for (i = 0; i < p->nfailures; i++)
		if (add_failure(s, p, recent, dn, p->failures[i].result_type,
		    p->failures[i].mx, s->counted[i]) < 0)
			return -1;
	if (add_failure(s, p, recent, dn, NOT_DETAILED, NULL, left) < 0)
		return -1;
	if (!is_sts(p))
		return 0;

	sessions = count_add(p->successful, p->failed);
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
		rep->sts_r = count_add(rep->sts_r, sessions);
		rep->refused_r = count_add(rep->refused_r, refused);
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

/* One report's policies for the domain. */
static int
add_report(struct state *s, const struct rpt *rp)
{
	const struct evidence_policy *p0 = &s->ev->policies[rp->a];
	int64_t best = -1, best_ok = 0, best_failed = 0;
	int recent = p0->end > s->rs;
	int64_t dn = (p0->end - 1) / DAY - s->first_day;
	struct rep *rep;
	size_t i, j, a = rp->a, b = rp->b;

	if (dn < 0)
		dn = 0;
	if (dn >= s->ndays)
		dn = s->ndays - 1;
	s->day_seen[dn]++;
	s->reports++;
	if (p0->end > s->newest)
		s->newest = p0->end;
	if ((rep = rep_get(s, p0->reporter)) == NULL)
		return -1;
	rep->reports++;
	if (p0->end > rep->last)
		rep->last = p0->end;

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

		if (add_policy(s, p, recent, dn, rep) < 0)
			return -1;
		if (recent && strcmp(p->type, "no-policy-found") == 0)
			s->nopolicy_r = count_add(s->nopolicy_r,
			    count_add(p->successful, p->failed));
	}
	return 0;
}

static int
cmp_rpt_key(const void *a, const void *b)
{
	const struct rpt *x = *(const struct rpt *const *)a;
	const struct rpt *y = *(const struct rpt *const *)b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	/* The copy counted first: the most refused, then the most failed,
	 * then the first stored. */
	if (x->refused != y->refused)
		return x->refused > y->refused ? -1 : 1;
	if (x->failed != y->failed)
		return x->failed > y->failed ? -1 : 1;
	return x->a < y->a ? -1 : x->a > y->a;
}

/*
 * Copies of one report (one identity, store.h) that disagree: only the
 * copy with the most refused sessions counts (doc/verdict.md), so that
 * a forged clean copy cannot hide the real one's failures.
 */
static int
pick_copies(struct state *s, struct rpt *r, size_t n)
{
	struct rpt **by;
	size_t i, j;

	if ((by = malloc((n ? n : 1) * sizeof(*by))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		by[i] = &r[i];
	qsort(by, n, sizeof(*by), cmp_rpt_key);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && by[j]->key == by[i]->key; j++)
			by[j]->skip = 1;
		if (j - i < 2)
			continue;
		if (array_grow(&s->c, s->nc, &s->c_alloc, sizeof(*s->c),
		    8) < 0) {
			free(by);
			return -1;
		}
		s->c[s->nc].counted = by[i];
		s->c[s->nc++].copies = j - i;
	}
	free(by);
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
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = json_pack("{s:s, s:s, s:s}", "code", code, "kind", kind,
	    "message", msg);
	if (evidence == NULL || (r && json_object_update(r, evidence) < 0))
		out_of_memory = 1;
	json_decref(evidence);
	push(reasons, r);
}

static void
add_step(struct state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append a step unless it is there: a forged report's result types
 * make as many steps as it likes, so they are found by index. */
static void
add_step(struct state *s, const char *fmt, ...)
{
	char msg[1024];
	json_t *v;
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strset_find(&s->steps_seen, msg) != HASHIDX_NONE)
		return;
	v = json_string(msg);
	push(s->steps, v);
	/* The string is the array's own, alive as long as the verdict. */
	if (!out_of_memory &&
	    strset_add(&s->steps_seen, json_string_value(v)) < 0)
		out_of_memory = 1;
}

/* What to do about a refused type at an MX, in plain words. */
static void
fix_step(struct state *s, const char *type, const char *mx)
{
	const char *host = mx ? mx : "the MX hosts";

	if (strcmp(type, "starttls-not-supported") == 0)
		add_step(s, "Enable STARTTLS on %s.", host);
	else if (strcmp(type, "certificate-host-mismatch") == 0)
		add_step(s, "Install a certificate on %s whose names "
		    "include %s.", host, host);
	else if (strcmp(type, "certificate-expired") == 0)
		add_step(s, "Renew the expired certificate on %s.", host);
	else if (strcmp(type, "certificate-not-trusted") == 0)
		add_step(s, "Serve a certificate from a public CA with its "
		    "full chain on %s.", host);
	else if (strcmp(type, NOT_DETAILED) == 0)
		add_step(s, "Ask why some sessions failed without a failure "
		    "detail: check STARTTLS and the certificate on every MX of "
		    "the policy.");
	else if (strcmp(type, "validation-failure") == 0)
		add_step(s, "Check the certificate chain, names and dates "
		    "on %s (validation-failure).", host);
	else if (strcmp(type, OTHER_TYPES) == 0)
		add_step(s, "Find out what the reports' other result types "
		    "(past the first %d they name) mean for %s: senders would "
		    "refuse those deliveries.", BOUND_ANALYSE_TYPES, host);
	else
		add_step(s, "Find out what \"%s\" means for %s: senders "
		    "would refuse those deliveries.", type, host);
}

static int
cmp_fagg(const void *a, const void *b)
{
	const struct fagg *x = a, *y = b;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if (strcmp(x->type, y->type) != 0)
		return strcmp(x->type, y->type);
	return strcmp(x->ptype, y->ptype);
}

static int
cmp_rfail(const void *a, const void *b)
{
	const struct rfail *x = a, *y = b;

	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	if (strcmp(x->type, y->type) != 0)
		return strcmp(x->type, y->type);
	if (!same_mx(x->mx, y->mx))
		return x->mx == NULL ? 1 : y->mx == NULL ? -1 :
		    strcmp(x->mx, y->mx);
	return strcmp(x->reporter, y->reporter);
}

static int
rgroup_eq(const void *arg, size_t pos)
{
	const struct fkey *k = arg;
	const struct rgroup *g = &k->s->g[pos];

	return strcmp(g->type, k->type) == 0 && same_mx(g->mx, k->mx);
}

/* The group of result type and MX, HASHIDX_NONE when there is none. */
static size_t
rgroup_find(const struct state *s, const char *type, const char *mx)
{
	struct fkey k = { s, NULL, type, mx, NULL, NULL };

	return hashidx_find(&s->g_idx, key_hash(type, mx, NULL), rgroup_eq,
	    &k);
}

/*
 * Group the rows of rf (sorted) by result type and MX, in the order of
 * each group's first row: the reasons then read each row once, however
 * many reporters there are.
 */
static int
rgroup_build(struct state *s)
{
	struct rgroup *g;
	size_t i;
	int added;

	s->rf_group = calloc(s->nrf ? s->nrf : 1, sizeof(*s->rf_group));
	if (s->rf_group == NULL)
		return -1;
	for (i = 0; i < s->nrf; i++) {
		const struct rfail *r = &s->rf[i];
		struct fkey k = { s, NULL, r->type, r->mx, NULL, NULL };

		g = find_or_add(&s->g_idx, key_hash(r->type, r->mx, NULL),
		    rgroup_eq, &k, &s->g, &s->ng, &s->g_alloc, sizeof(*s->g),
		    &added);
		if (g == NULL)
			return -1;
		if (added) {
			g->type = r->type;
			g->mx = r->mx;
		}
		s->rf_group[i] = (size_t)(g - s->g);
	}
	return 0;
}

/* Empty the groups' tallies for the next reason. */
static void
rgroup_reset(struct state *s)
{
	size_t k;

	for (k = 0; k < s->ng; k++) {
		strset_free(&s->g[k].reps);
		free(s->g[k].days.v);
		memset(&s->g[k].days, 0, sizeof(s->g[k].days));
		s->g[k].sessions = 0;
		s->g[k].emitted = 0;
	}
}

/* Tally row i into its group; -1 when memory runs out. */
static int
rgroup_tally(struct state *s, size_t i, int with_days)
{
	const struct rfail *r = &s->rf[i];
	struct rgroup *g = &s->g[s->rf_group[i]];
	size_t k;

	g->sessions = count_add(g->sessions, r->sessions);
	if (strset_add(&g->reps, r->reporter) < 0)
		return -1;
	for (k = 0; with_days && k < r->days.n; k++)
		if (dayset_add(&g->days, r->days.v[k]) < 0)
			return -1;
	return 0;
}

/* "type at mx (n)" for up to three rows, into buf. */
static void
rows_text(char *buf, size_t size, const char *type, const char *mx,
	  int64_t n, int *count)
{
	size_t l = strlen(buf);

	if ((*count)++ >= 3) {
		if (*count == 4 && size - l > 8)
			fmt_cut(buf + l, size - l, ", ...");
		return;
	}
	fmt_cut(buf + l, size - l, "%s%s at %s (%lld)", l ? ", " : "", type,
	    mx ? mx : "an unnamed MX", (long long)n);
}

/*
 * The refusals of the recent rows that `want` selects, one element per
 * result type and MX, with their reporters; their names into buf.
 */
static json_t *
refusal_list(struct state *s, int (*want)(struct state *,
	     const struct rfail *, const void *), const void *arg, char *buf,
	     size_t size)
{
	json_t *list = json_array();
	int count = 0;
	size_t i;

	buf[0] = '\0';
	rgroup_reset(s);
	for (i = 0; i < s->nrf; i++)
		if (want(s, &s->rf[i], arg) && rgroup_tally(s, i, 0) < 0)
			out_of_memory = 1;
	for (i = 0; i < s->nrf; i++) {
		struct rgroup *g = &s->g[s->rf_group[i]];

		if (!want(s, &s->rf[i], arg) || g->emitted)
			continue;
		g->emitted = 1;
		push(list, json_pack("{s:s, s:s?, s:I, s:o}",
		    "result_type", g->type, "receiving_mx_hostname", g->mx,
		    "sessions", (json_int_t)g->sessions, "reporters",
		    strset_json(&g->reps)));
		rows_text(buf, size, g->type, g->mx, g->sessions, &count);
		fix_step(s, g->type, g->mx);
	}
	return list;
}

static int
want_over(struct state *s, const struct rfail *r, const void *arg)
{
	(void)arg;
	return s->domain_over || (r->rep != HASHIDX_NONE &&
	    s->rep[r->rep].over);
}

static int
want_uncovered(struct state *s, const struct rfail *r, const void *arg)
{
	(void)s;
	(void)arg;
	return !r->covered;
}

/* Types that are a fault of one host's TLS set-up. */
static const char *const host_types[] = { "starttls-not-supported",
    "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", NULL };

/* tls-failures: for the domain, and for each reporter on its own. */
static void
reason_tls_failures(struct state *s, json_t *reasons)
{
	const struct analyse_options *o = s->opt;
	double rate = s->sts_r ? (double)s->blocking_r / (double)s->sts_r : 0;
	json_t *over = json_array(), *list;
	char buf[512], who[512];
	size_t i;
	int nover = 0;

	s->domain_over = s->blocking_r > 0 && rate > o->max_failure_rate;
	who[0] = '\0';
	for (i = 0; i < s->reporters.n; i++) {
		struct rep *r = &s->rep[i];
		double rr = r->sts_r ? (double)r->refused_r /
		    (double)r->sts_r : 0;
		size_t l = strlen(who);

		if (r->refused_r < ANALYSE_REPORTER_MIN_REFUSED ||
		    rr <= o->max_failure_rate)
			continue;
		r->over = 1;
		push(over, json_pack("{s:s, s:I, s:I, s:f}",
		    "reporter", r->name, "sts_sessions", (json_int_t)r->sts_r,
		    "refused", (json_int_t)r->refused_r, "failure_rate", rr));
		if (nover++ < 3)
			fmt_cut(who + l, sizeof(who) - l, "%s%s saw %lld of "
			    "its %lld sts sessions (%.2f%%)", l ? "; " : "",
			    r->name, (long long)r->refused_r,
			    (long long)r->sts_r, rr * 100);
	}
	if (!s->domain_over && nover == 0) {
		json_decref(over);
		return;
	}
	for (i = 0; i < s->nrf; i++)
		if (want_over(s, &s->rf[i], NULL))
			s->rf[i].covered = 1;
	list = refusal_list(s, want_over, NULL, buf, sizeof(buf));
	if (s->domain_over)
		add_reason(reasons, "tls-failures", "blocking", json_pack("{s:s, "
		    "s:f, s:f, s:I, s:I, s:o, s:o}", "scope", "domain",
		    "failure_rate", rate, "threshold", o->max_failure_rate,
		    "failed_sessions", (json_int_t)s->blocking_r,
		    "sts_sessions", (json_int_t)s->sts_r, "reporters_over",
		    over, "failures", list),
		    "%lld of %lld sts sessions (%.2f%%) in the last %d days "
		    "failed in ways enforce would refuse%s%s",
		    (long long)s->blocking_r, (long long)s->sts_r, rate * 100,
		    o->recent_days, buf[0] ? ": " : "", buf);
	else
		add_reason(reasons, "tls-failures", "blocking", json_pack("{s:s, "
		    "s:f, s:f, s:I, s:I, s:o, s:o}", "scope", "reporter",
		    "failure_rate", rate, "threshold", o->max_failure_rate,
		    "failed_sessions", (json_int_t)s->blocking_r,
		    "sts_sessions", (json_int_t)s->sts_r, "reporters_over",
		    over, "failures", list),
		    "%s fail in ways enforce would refuse in the last %d days, "
		    "above %.2f%% for %s on its own, though the domain as a "
		    "whole is at %.4f%%: %s", who, o->recent_days,
		    o->max_failure_rate * 100, nover == 1 ? "that reporter" :
		    "each", rate * 100, buf);
}

/* mx-tls-broken: one MX's own TLS fault, seen by 2 reporters or on 2
 * days, whatever its share of the domain's sessions. */
static void
reason_mx_broken(struct state *s, json_t *reasons)
{
	size_t i;

	rgroup_reset(s);
	for (i = 0; i < s->nrf; i++)
		if (s->rf[i].mx != NULL && in_list(host_types, s->rf[i].type) &&
		    rgroup_tally(s, i, 1) < 0)
			out_of_memory = 1;
	for (i = 0; i < s->nrf; i++) {
		struct rgroup *g = &s->g[s->rf_group[i]];

		if (g->reps.n == 0)
			continue;
		if (g->reps.n < ANALYSE_MX_BROKEN_REPORTERS &&
		    g->days.n < ANALYSE_MX_BROKEN_DAYS)
			continue;
		s->rf[i].covered = 1;
		if (g->emitted)
			continue;
		g->emitted = 1;
		add_reason(reasons, "mx-tls-broken", "blocking",
		    json_pack("{s:s, s:s, s:I, s:o, s:I}",
		    "receiving_mx_hostname", g->mx, "result_type", g->type,
		    "sessions", (json_int_t)g->sessions, "reporters",
		    strset_json(&g->reps), "days", (json_int_t)g->days.n),
		    "%s failed with %s for %zu reporter%s on %zu of the last "
		    "%d days (%lld sessions): enforce would refuse mail "
		    "whenever senders use it, however little", g->mx, g->type,
		    g->reps.n, g->reps.n == 1 ? "" : "s", g->days.n,
		    s->opt->recent_days, (long long)g->sessions);
		fix_step(s, g->type, g->mx);
	}
}

/* isolated-failures: refusals that no blocking reason names. */
static void
reason_isolated(struct state *s, json_t *reasons)
{
	json_t *list;
	int64_t n = 0;
	char buf[512];
	size_t i;

	for (i = 0; i < s->nrf; i++)
		if (!s->rf[i].covered)
			n = count_add(n, s->rf[i].sessions);
	if (n == 0)
		return;
	list = refusal_list(s, want_uncovered, NULL, buf, sizeof(buf));
	add_reason(reasons, "isolated-failures", "warning", json_pack("{s:I, "
	    "s:o}", "sessions", (json_int_t)n, "failures", list),
	    "%lld sts session%s in the last %d days failed in ways enforce "
	    "would refuse, below the rates that block: %s", (long long)n,
	    n == 1 ? "" : "s", s->opt->recent_days, buf);
}

static void
reason_conflicts(struct state *s, json_t *reasons)
{
	json_t *list;
	char first[RFC3339_LEN];
	size_t i;

	if (s->nc == 0)
		return;
	list = json_array();
	for (i = 0; i < s->nc; i++) {
		const struct evidence_policy *p =
		    &s->ev->policies[s->c[i].counted->a];

		push(list, json_pack("{s:s, s:o, s:o, s:I, "
		    "s:I}", "reporter", p->reporter, "start",
		    time_json(p->start), "end", time_json(p->end), "copies",
		    (json_int_t)s->c[i].copies, "refused_counted",
		    (json_int_t)s->c[i].counted->refused));
	}
	rfc3339_format(s->ev->policies[s->c[0].counted->a].end, first);
	first[10] = '\0';
	add_reason(reasons, "conflicting-reports", "warning", json_pack("{s:I, "
	    "s:o}", "reports", (json_int_t)s->nc, "conflicts", list),
	    "%zu report%s arrived in copies that disagree (first: %s, ending "
	    "%s); the copy with the most refused sessions is counted, and "
	    "one copy may be forged", s->nc, s->nc == 1 ? "" : "s",
	    s->ev->policies[s->c[0].counted->a].reporter, first);
	add_step(s, "Compare the origins of the conflicting copies in the "
	    "store (peer address, mail DKIM result): a report that anyone "
	    "could post may be forged.");
}

static void
verdict_reasons(struct state *s, json_t *reasons)
{
	const struct analyse_options *o = s->opt;
	const char *dom = s->ev->domain;
	int64_t days = 0, past = s->blocking_w - s->blocking_r;
	int stale = s->newest <= o->now - (int64_t)o->stale_days * DAY;
	int64_t last = s->ev->last_report > s->newest ? s->ev->last_report :
	    s->newest;
	char lastday[RFC3339_LEN];
	json_t *list;
	size_t i;

	rfc3339_format(last, lastday);
	lastday[10] = '\0';
	for (i = 0; i < (size_t)s->ndays; i++)
		if (s->day_seen[i])
			days++;
	/* Sorted, the aggregates are no longer where their indexes say:
	 * nothing looks them up from here on, and the groups are made of
	 * the sorted rows. */
	if (s->nf > 1)
		qsort(s->f, s->nf, sizeof(*s->f), cmp_fagg);
	if (s->nrf > 1)
		qsort(s->rf, s->nrf, sizeof(*s->rf), cmp_rfail);
	hashidx_free(&s->f_idx);
	hashidx_free(&s->rf_idx);
	if (rgroup_build(s) < 0) {
		out_of_memory = 1;	/* the verdict is dropped */
		return;
	}

	/* Blocking. */
	reason_tls_failures(s, reasons);
	reason_mx_broken(s, reasons);
	for (i = 0; i < s->nf; i++) {
		struct fagg *f = &s->f[i];
		size_t k;

		if (f->outside == 0)
			continue;
		if ((k = rgroup_find(s, f->type, f->mx)) != HASHIDX_NONE)
			s->g[k].outside = 1;
		add_reason(reasons, "mx-not-in-policy", "blocking",
		    json_pack("{s:s, s:s, s:I, s:o}", "receiving_mx_hostname",
		    f->mx, "result_type", f->type, "sessions",
		    (json_int_t)f->outside, "reporters",
		    strset_json(&f->reporters)),
		    "%s received mail but matches none of the policy's mx "
		    "patterns (%lld %s sessions)", f->mx,
		    (long long)f->outside, f->type);
		add_step(s, "Add \"mx: %s\" to the policy at https://mta-"
		    "sts.%s/.well-known/mta-sts.txt (or stop using %s as an "
		    "MX), then change the id in the _mta-sts.%s TXT record.",
		    f->mx, dom, f->mx, dom);
	}
	/* The refusals at an MX outside the policy are named above. */
	for (i = 0; i < s->nrf; i++)
		if (s->g[s->rf_group[i]].outside)
			s->rf[i].covered = 1;
	if (s->nopolicy_r > 0 && s->sts_r == 0) {
		add_reason(reasons, "no-policy-published", "blocking",
		    json_pack("{s:I}", "sessions", (json_int_t)s->nopolicy_r),
		    "reporters found no MTA-STS policy for %s (%lld sessions "
		    "in the last %d days) and saw no sts sessions", dom,
		    (long long)s->nopolicy_r, o->recent_days);
		add_step(s, "Publish the MTA-STS policy at https://mta-sts."
		    "%s/.well-known/mta-sts.txt and a \"v=STSv1; id=...\" TXT "
		    "record at _mta-sts.%s, in mode: testing first.", dom, dom);
	}

	/* Insufficient. A stale domain's first step is to find why its
	 * reports stopped. */
	if (stale) {
		add_reason(reasons, "stale-reports", "insufficient",
		    json_pack("{s:o, s:o}", "newest_report_end", s->reports ?
		    time_json(s->newest) : json_null(), "last_report",
		    last > 0 ? time_json(last) : json_null()),
		    last > 0 ? "no report ended in the last %d days: the last "
		    "one ended on %s" : "no report ended in the last %d "
		    "days%.0s, and none before", o->stale_days, lastday);
		if (last > 0)
			add_step(s, "Reports stopped after %s: check that "
			    "they still arrive (the rua= address of "
			    "_smtp._tls.%s, the tlsrptd service and its "
			    "maildir).", lastday, dom);
		else
			add_step(s, "Check that reports arrive: the rua= "
			    "address of _smtp._tls.%s, the tlsrptd service and "
			    "its maildir.", dom);
	}
	if (days < o->min_days) {
		add_reason(reasons, "too-few-days", "insufficient",
		    json_pack("{s:I, s:i}", "days", (json_int_t)days,
		    "min_days", o->min_days),
		    "reports on %lld of the last %d days; at least %d needed",
		    (long long)days, o->days, o->min_days);
		add_step(s, "%s reports on at least %lld more day%s.",
		    stale ? "Once reports arrive again, wait for" : "Wait for",
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
		add_step(s, "Wait for reports from more senders; check the "
		    "rua= address of the _smtp._tls.%s TXT record.", dom);
	}
	if (s->sts_r < o->min_sessions) {
		add_reason(reasons, "too-few-sessions", "insufficient",
		    json_pack("{s:I, s:I}", "sts_sessions", (json_int_t)s->sts_r,
		    "min_sessions", (json_int_t)o->min_sessions),
		    "%lld sts sessions in the last %d days; at least %lld "
		    "needed", (long long)s->sts_r, o->recent_days,
		    (long long)o->min_sessions);
		add_step(s, "Wait for more mail traffic: %lld more sts "
		    "sessions in the last %d days.",
		    (long long)(o->min_sessions - s->sts_r), o->recent_days);
	}

	/* Warnings and information. */
	reason_isolated(s, reasons);
	reason_conflicts(s, reasons);
	if (s->fetch_r > 0) {
		list = json_array();
		for (i = 0; i < s->nf; i++)
			if (in_list(fetch_types, s->f[i].type) &&
			    s->f[i].recent > 0)
				push(list, json_pack("{s:s, "
				    "s:I, s:o}", "result_type", s->f[i].type,
				    "sessions", (json_int_t)s->f[i].recent,
				    "reporters",
				    strset_json(&s->f[i].reporters)));
		add_reason(reasons, "policy-fetch-errors", "warning",
		    json_pack("{s:I, s:o}", "sessions", (json_int_t)s->fetch_r,
		    "failures", list), "%lld sessions in the last %d days "
		    "could not fetch or validate the policy",
		    (long long)s->fetch_r, o->recent_days);
		add_step(s, "Check that https://mta-sts.%s/.well-known/"
		    "mta-sts.txt answers 200 with a valid policy, over a "
		    "certificate valid for mta-sts.%s.", dom, dom);
	}
	if (s->nv > 1) {
		list = json_array();
		for (i = 0; i < s->nv; i++)
			push(list, strset_json(&s->v[i].reporters));
		add_reason(reasons, "policy-inconsistent", "warning",
		    json_pack("{s:I, s:o}", "versions", (json_int_t)s->nv,
		    "reporters_by_version", list),
		    "reporters saw %zu different policies in the last %d days",
		    s->nv, o->days);
		add_step(s, "If the policy changed, make sure the id of the "
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
		add_step(s, "Check the TLSA records of the MX hosts against "
		    "their certificates.");
	}
	for (i = 0; i < s->recent_modes.n; i++)
		if (strcmp(s->recent_modes.v[i], "enforce") == 0) {
			add_reason(reasons, "already-enforced", "info",
			    json_object(),
			    s->blocking_r > 0 ? "reporters already see mode: "
			    "enforce; the refusals listed are happening now" :
			    "reporters already see mode: enforce; none of "
			    "their sessions was refused in the last %d days",
			    o->recent_days);
			break;
		}
}

const char *
analyse_verdict(const json_t *reasons)
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
	json_t *d, *reasons = json_array();
	json_t *failures = json_array(), *versions = json_array();
	json_t *daily = json_array(), *repd = json_array();
	json_t *byrep = json_array();
	int64_t last = s->ev->last_report > s->newest ? s->ev->last_report :
	    s->newest;
	const char *verdict;
	int64_t days = 0;
	size_t i;

	s->steps = json_array();
	verdict_reasons(s, reasons);
	verdict = analyse_verdict(reasons);
	if (strcmp(verdict, "ready") == 0)
		add_step(s, "Switch the policy at https://mta-sts.%s/"
		    ".well-known/mta-sts.txt to mode: enforce and change the id "
		    "of the _mta-sts.%s TXT record.", s->ev->domain,
		    s->ev->domain);

	for (i = 0; i < (size_t)s->ndays; i++) {
		char t[RFC3339_LEN];

		days += s->day_seen[i] > 0;
		rfc3339_format((s->first_day + (int64_t)i) * DAY, t);
		t[10] = '\0';
		push(daily, json_pack("{s:s, s:I, s:I, s:I, "
		    "s:I}", "date", t, "reports", (json_int_t)s->day_seen[i],
		    "sts_sessions", (json_int_t)s->days[i].sessions,
		    "sts_failed", (json_int_t)s->days[i].failed,
		    "refused_if_enforced", (json_int_t)s->days[i].blocking));
	}
	for (i = 0; i < s->nf; i++) {
		struct fagg *f = &s->f[i];

		push(failures, json_pack("{s:s, s:s, s:s?, "
		    "s:I, s:I, s:o, s:o, s:o, s:b}", "policy_type", f->ptype,
		    "result_type", f->type,
		    "receiving_mx_hostname", f->mx, "sessions",
		    (json_int_t)f->sessions, "recent_sessions",
		    (json_int_t)f->recent, "reporters",
		    strset_json(&f->reporters), "first_seen",
		    time_json(f->first), "last_seen", time_json(f->last),
		    "blocking", f->blocking));
	}
	for (i = 0; i < s->reporters.n; i++) {
		const struct rep *r = &s->rep[i];

		push(repd, json_pack("{s:s, s:I, s:o}", "name",
		    r->name, "reports", (json_int_t)r->reports,
		    "last_seen", time_json(r->last)));
		push(byrep, json_pack("{s:s, s:I, s:I, s:o}",
		    "reporter", r->name, "sessions", (json_int_t)r->sts_r,
		    "refused", (json_int_t)r->refused_r, "failure_rate",
		    rate_json(r->refused_r, r->sts_r)));
	}
	for (i = 0; i < s->nv; i++) {
		struct vagg *v = &s->v[i];
		json_t *lines = json_array();
		const char *p = v->set, *nl;

		while (*p) {
			nl = strchr(p, '\n');
			push(lines, json_stringn(p, nl ?
			    (size_t)(nl - p) : strlen(p)));
			p = nl ? nl + 1 : p + strlen(p);
		}
		push(versions, json_pack("{s:o, s:s?, s:o, "
		    "s:o, s:o}", "lines", lines, "mode", v->mode, "reporters",
		    strset_json(&v->reporters), "first_seen",
		    time_json(v->first), "last_seen", time_json(v->last)));
	}

	d = json_pack("{s:s, s:s, s:o, s:{s:o, s:o, s:i}, s:{s:o, s:o, s:i}, "
	    "s:{s:I, s:I, s:I, s:o}, s:{s:{s:I, s:I, s:o}, s:{s:I, s:I, s:I, "
	    "s:o}}, s:I, s:I, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:o, "
	    "s:o, s:o}",
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
	    "last_report", last > 0 ? time_json(last) : json_null(),
	    "reporters", strset_json(&s->reporters),
	    "reporter_details", repd,
	    "by_reporter", byrep,
	    "policy",
	      "modes_seen", strset_json(&s->modes),
	      "mx_patterns", strset_json(&s->patterns),
	      "versions_seen", versions,
	    "failures", failures,
	    "daily", daily,
	    "next_steps", s->steps);
	return d;
}

json_t *
analyse_domain(const struct evidence *ev, const struct analyse_options *opt)
{
	struct state s;
	struct rpt *r = NULL;
	json_t *out = NULL;
	size_t a, b, i, n = 0;

	memset(&s, 0, sizeof(s));
	out_of_memory = 0;
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
	r = calloc(ev->n ? ev->n : 1, sizeof(*r));
	if (s.days == NULL || s.day_seen == NULL || r == NULL)
		goto done;
	for (a = 0; a < ev->n; a = b) {
		const struct evidence_policy *p0 = &ev->policies[a];

		for (b = a + 1; b < ev->n && ev->policies[b].report ==
		    p0->report; b++)
			;
		r[n].a = a;
		r[n].b = b;
		r[n].key = p0->identity ? p0->identity : p0->report;
		for (i = a; i < b; i++) {
			/* Only sts sessions are refused: the others' details
			 * need not be read here. */
			int64_t left, refused = is_sts(&ev->policies[i]) ?
			    policy_refused(&s, &ev->policies[i], &left) : 0;

			/* Without it, which copy counts would be a guess. */
			if (refused < 0)
				goto done;
			r[n].refused = count_add(r[n].refused, refused);
			r[n].failed = count_add(r[n].failed,
			    ev->policies[i].failed);
		}
		n++;
	}
	if (pick_copies(&s, r, n) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (!r[i].skip && add_report(&s, &r[i]) < 0)
			goto done;
	out = build(&s);
done:
	for (i = 0; i < s.nf; i++)
		strset_free(&s.f[i].reporters);
	for (i = 0; i < s.nrf; i++)
		free(s.rf[i].days.v);
	for (i = 0; i < s.nv; i++)
		strset_free(&s.v[i].reporters);
	rgroup_reset(&s);
	free(s.g);
	free(s.rf_group);
	hashidx_free(&s.f_idx);
	hashidx_free(&s.rf_idx);
	hashidx_free(&s.v_idx);
	hashidx_free(&s.g_idx);
	free(r);
	free(s.f);
	free(s.rf);
	free(s.v);
	free(s.c);
	free(s.rep);
	free(s.counted);
	free(s.days);
	free(s.day_seen);
	strset_free(&s.mxs);
	strset_free(&s.types);
	strset_free(&s.steps_seen);
	strset_free(&s.reporters);
	strset_free(&s.modes);
	strset_free(&s.patterns);
	strset_free(&s.recent_modes);
	if (out_of_memory) {
		json_decref(out);
		out = NULL;
	}
	return out;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/*
 * The reports of the window that named no policy domain (report.c stores
 * a missing or empty policy-domain as ""): stored, but no domain's
 * verdict counts them, so the summary of the whole store says how many
 * came and from whom (doc/verdict.md). 0 and nothing added when none.
 */
static int
add_no_domain(struct store *st, json_t *doc, int64_t from, int64_t to,
	      struct error *err)
{
	json_t *who = NULL, *names[BOUND_NO_DOMAIN_REPORTERS], *o;
	int64_t reports = 0, sessions = 0, last = 0;
	size_t i, j, nn = 0;
	struct evidence ev;
	int more = 0;

	if (evidence_load(st, "", from, to, &ev, err) < 0)
		return -1;
	for (i = 0; i < ev.n; i++) {
		const struct evidence_policy *p = &ev.policies[i];

		if (i == 0 || p->report != last)
			reports++;
		last = p->report;
		sessions = count_add(sessions, count_add(p->successful,
		    p->failed));
		for (j = 0; j < nn; j++)
			if (strcmp(json_string_value(names[j]),
			    p->reporter) == 0)
				break;
		if (j < nn)
			continue;
		if (nn == BOUND_NO_DOMAIN_REPORTERS) {
			more = 1;
			continue;
		}
		if ((names[nn] = json_string(p->reporter)) == NULL)
			goto nomem;
		nn++;
	}
	evidence_release(&ev);
	if (reports == 0)
		return 0;
	qsort(names, nn, sizeof(names[0]), name_cmp);
	if ((who = json_array()) == NULL)
		goto nomem_names;
	for (j = 0; j < nn; j++) {
		json_array_append_new(who, names[j]);
		names[j] = NULL;
	}
	o = json_pack("{s:I, s:I, s:o, s:b}", "reports", (json_int_t)reports,
	    "sessions", (json_int_t)sessions, "reporters", who,
	    "more_reporters", more);
	if (o == NULL || json_object_set_new(doc, "no_policy_domain", o) < 0)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
nomem:
	evidence_release(&ev);
nomem_names:
	for (j = 0; j < nn; j++)
		json_decref(names[j]);
	return error_set(err, ERR_NOMEM, "out of memory");
}

json_t *
analyse_summary(struct store *st, const char *const *domains, size_t n,
		const struct analyse_options *opt, struct error *err)
{
	int whole = n == 0;
	char **all = NULL;
	json_t *doc, *list, *d;
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
		d = analyse_domain(&ev, opt);
		evidence_release(&ev);
		if (d == NULL || json_array_append_new(list, d) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if (doc == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (whole && add_no_domain(st, doc, opt->now - (int64_t)opt->days *
	    DAY, opt->now, err) < 0)
		goto fail;
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

/* Edit distance of a and b, capped at cap (names are at most 253). */
static size_t
distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[256], prev, tmp;

	if (la > 255 || lb > 255)
		return cap;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb] < cap ? row[lb] : cap;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
analyse_known_domains(struct store *st, const char *prog,
		      const char **names, size_t *n, FILE *f,
		      struct error *err)
{
	char **all = NULL;
	const char *key;
	size_t nall = 0, i, j, k, kept = 0;
	int unknown = 0;

	if (evidence_domains(st, &all, &nall, err) < 0)
		return -1;
	/* In byte order whatever the backend's collation. */
	if (nall > 1)
		qsort(all, nall, sizeof(*all), cmp_str);
	for (i = 0; i < *n; i++) {
		/* The three closest names, within a third of the length. */
		const char *best[3] = { NULL, NULL, NULL };
		size_t bd[3], cap, dist;

		key = names[i];
		if (nall && bsearch(&key, all, nall, sizeof(*all), cmp_str)) {
			names[kept++] = names[i];
			continue;
		}
		unknown++;
		cap = strlen(names[i]) / 3 + 2;
		for (j = 0; j < nall; j++) {
			dist = distance(names[i], all[j], cap);
			if (dist >= cap)
				continue;
			for (k = 0; k < 3; k++)
				if (best[k] == NULL || dist < bd[k])
					break;
			if (k == 3)
				continue;
			memmove(&best[k + 1], &best[k], (2 - k) * sizeof(*best));
			memmove(&bd[k + 1], &bd[k], (2 - k) * sizeof(*bd));
			best[k] = all[j];
			bd[k] = dist;
		}
		fprintf(f, "%s: no report names ", prog);
		escape_fputs(f, names[i], 0);
		if (best[0] == NULL)
			fprintf(f, " (%zu domain%s in the store)\n", nall,
			    nall == 1 ? "" : "s");
		else {
			fputs(" (did you mean ", f);
			for (k = 0; k < 3 && best[k]; k++) {
				fputs(k ? ", " : "", f);
				escape_fputs(f, best[k], 0);
			}
			fputs("?)\n", f);
		}
	}
	*n = kept;
	for (i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	return unknown;
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

size_t
analyse_quiet_run(const json_t *daily, size_t i)
{
	while (i + 1 < json_array_size(daily) && json_integer_value(
	    json_object_get(json_array_get(daily, i + 1), "reports")) == 0)
		i++;
	return i;
}
