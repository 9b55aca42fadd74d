/* evidence: see include/evidence.h. The queries are the backend's
 * (store_backend.h); the rows are gathered here. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "evidence.h"
#include "store_backend.h"
#include "banned.h"

/* The mx patterns column is a JSON array of strings. */
static int
load_patterns(struct evidence_policy *p, const char *json)
{
	json_t *arr, *v;
	size_t i;

	if (json == NULL || (arr = json_loads(json, 0, NULL)) == NULL)
		return 0;
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		p->mx_patterns = calloc(json_array_size(arr), sizeof(char *));
		if (p->mx_patterns == NULL) {
			json_decref(arr);
			return -1;
		}
		json_array_foreach(arr, i, v)
			if (json_is_string(v) && (p->mx_patterns[p->nmx] =
			    strdup(json_string_value(v))) != NULL)
				p->nmx++;
	}
	json_decref(arr);
	return 0;
}

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

static int
out_of_memory(const struct evidence *ev, struct error *err)
{
	return error_set(err, ERR_NOMEM, "out of memory reading %s",
	    ev->domain);
}

int
evidence_add_policy(struct evidence *ev, int64_t id, int64_t report,
		    int64_t identity, const char *reporter, int64_t start,
		    int64_t end, const char *type, const char *policy_set,
		    const char *mode, const char *patterns,
		    int64_t successful, int64_t failed, struct error *err)
{
	struct evidence_policy *p;
	int nomem = 0;

	if (array_grow(&ev->policies, ev->n, &ev->alloc, sizeof(*p), 64) < 0)
		goto nomem;
	p = &ev->policies[ev->n++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->report = report;
	p->identity = identity;
	p->start = start;
	p->end = end;
	p->successful = successful;
	p->failed = failed;
	p->reporter = dup_or_null(reporter ? reporter : "", &nomem);
	p->type = dup_or_null(type ? type : "", &nomem);
	p->policy_set = dup_or_null(policy_set ? policy_set : "", &nomem);
	p->mode = dup_or_null(mode, &nomem);
	if (nomem || load_patterns(p, patterns) < 0)
		goto nomem;
	return 0;
nomem:
	return out_of_memory(ev, err);
}

/*
 * Both lists come in policy row order (rows grow with report and
 * position), so one forward walk pairs them; a search from the start
 * covers a store whose rows were numbered otherwise.
 */
int
evidence_add_failure(struct evidence *ev, int64_t policy,
		     const char *result_type, const char *mx,
		     int64_t sessions, struct error *err)
{
	struct evidence_policy *p;
	struct evidence_failure *f;
	size_t k = ev->next;
	int nomem = 0;

	while (k < ev->n && ev->policies[k].id < policy)
		k++;
	if (k == ev->n || ev->policies[k].id != policy)
		for (k = 0; k < ev->n && ev->policies[k].id != policy; k++)
			;
	if (k == ev->n)
		return 0;
	ev->next = k;
	p = &ev->policies[k];
	if (array_grow(&p->failures, p->nfailures, &p->failures_alloc,
	    sizeof(*f), 4) < 0)
		return out_of_memory(ev, err);
	f = &p->failures[p->nfailures];
	f->result_type = dup_or_null(result_type ? result_type : "", &nomem);
	f->mx = dup_or_null(mx, &nomem);
	f->sessions = sessions;
	p->nfailures++;
	return nomem ? out_of_memory(ev, err) : 0;
}

int
evidence_load(struct store *st, const char *domain, int64_t from,
	      int64_t to, struct evidence *ev, struct error *err)
{
	memset(ev, 0, sizeof(*ev));
	ev->from = from;
	ev->to = to;
	if ((ev->domain = strdup(domain)) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory reading %s",
		    domain);
	if (store_backend_ops(st)->read->evidence(store_backend_handle(st), ev,
	    err) < 0) {
		evidence_release(ev);
		return -1;
	}
	return 0;
}

void
evidence_release(struct evidence *ev)
{
	size_t i, j;

	for (i = 0; i < ev->n; i++) {
		struct evidence_policy *p = &ev->policies[i];

		free(p->reporter);
		free(p->type);
		free(p->policy_set);
		free(p->mode);
		for (j = 0; j < p->nmx; j++)
			free(p->mx_patterns[j]);
		free(p->mx_patterns);
		for (j = 0; j < p->nfailures; j++) {
			free(p->failures[j].result_type);
			free(p->failures[j].mx);
		}
		free(p->failures);
	}
	free(ev->policies);
	free(ev->domain);
	memset(ev, 0, sizeof(*ev));
}

int
evidence_domains(struct store *st, char ***domains, size_t *n,
		 struct error *err)
{
	*domains = NULL;
	*n = 0;
	return store_backend_ops(st)->read->domains(store_backend_handle(st),
	    domains, n, err);
}
