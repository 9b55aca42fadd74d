/* store_read: see include/store_read.h. The queries are the backend's
 * (store_backend.h); the JSON is built here. */
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"
#include "store_backend.h"
#include "store_read.h"
#include "banned.h"

int
store_count_row(const struct store_count_walk *w, const char *name,
		int64_t c1, int64_t c2, int64_t c3)
{
	struct store_domain_row d = { .domain = name, .reports = c1,
	    .first_seen = c2, .last_seen = c3 };
	struct store_type_row t = { .policy_type = name, .reports = c1,
	    .successful = c2, .failed = c3 };

	return w->domains != NULL ? w->domains(&d, w->arg) < 0 :
	    w->types(&t, w->arg) < 0;
}

static json_t *
json_time(int64_t t)
{
	char s[RFC3339_LEN];

	rfc3339_format(t, s);
	return json_string(s);
}

/* The names of a page, copied: the backend's are only valid in cb. */
struct names {
	char **v;
	size_t n, cap;
};

static int
name_row(const char *name, void *arg)
{
	struct names *ns = arg;

	if (ns->n == ns->cap || (ns->v[ns->n] = strdup(name)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

/*
 * The totals of a domain (into t) as a new JSON object of "domain",
 * "reports", "first_seen" and "last_seen"; *out NULL when no report
 * names the domain.
 */
static int
domain_totals(const struct store_read_ops *rd, void *be, const char *domain,
	      struct store_domain_totals *t, json_t **out, struct error *err)
{
	int found = 0;

	*out = NULL;
	if (rd->totals(be, domain, t, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	*out = json_pack("{s:s, s:I, s:o, s:o}", "domain", domain,
	    "reports", (json_int_t)t->reports,
	    "first_seen", json_time(t->first_seen),
	    "last_seen", json_time(t->last_seen));
	if (*out == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	return 0;
}

int
store_read_domains(struct store *st, const char *after, size_t limit,
		   json_t **out, char **next, struct error *err)
{
	const struct store_read_ops *rd = store_backend_ops(st)->read;
	void *be = store_backend_handle(st);
	struct names ns = { NULL, 0, limit + 1 };
	struct store_domain_totals t;
	json_t *arr, *o;
	size_t i;
	int rc = -1;

	*out = NULL;
	*next = NULL;
	error_clear(err);
	if (limit == 0)
		limit = ns.cap = 1;
	/* One name past the page: whether another page follows. */
	if ((arr = json_array()) == NULL ||
	    (ns.v = calloc(ns.cap, sizeof(*ns.v))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	if (rd->domain_page(be, after != NULL ? after : "", ns.cap,
	    name_row, &ns, err) < 0) {
		if (err->kind == ERR_NONE)
			error_set(err, ERR_NOMEM, "out of memory");
		goto done;
	}
	/* A domain gone since its name was read is left out. */
	for (i = 0; i < ns.n && i < limit; i++) {
		if (domain_totals(rd, be, ns.v[i], &t, &o, err) < 0)
			goto done;
		if (o != NULL && json_array_append_new(arr, o) < 0) {
			error_set(err, ERR_NOMEM, "out of memory");
			goto done;
		}
	}
	if (ns.n > limit) {
		*next = ns.v[limit - 1];
		ns.v[limit - 1] = NULL;
	}
	*out = arr;
	arr = NULL;
	rc = 0;
done:
	for (i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	json_decref(arr);
	return rc;
}

static int
type_row(const struct store_type_row *row, void *arg)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:I, s:I}",
	    "policy_type", row->policy_type,
	    "reports", (json_int_t)row->reports,
	    "successful", (json_int_t)row->successful,
	    "failed", (json_int_t)row->failed);
	return o == NULL || json_array_append_new(arg, o) < 0 ? -1 : 0;
}

int
store_read_domain_counts(struct store *st, const char *domain, json_t **out,
			 struct error *err)
{
	const struct store_read_ops *rd = store_backend_ops(st)->read;
	void *be = store_backend_handle(st);
	struct store_domain_totals t;
	struct store_count_walk w = { .types = type_row };
	json_t *obj = NULL, *types = NULL;

	*out = NULL;
	error_clear(err);
	if (domain_totals(rd, be, domain, &t, &obj, err) < 0)
		return -1;
	if (obj == NULL)
		return 0;
	w.arg = types = json_array();
	if (types == NULL || json_object_set_new(obj, "days",
	    json_integer(t.days)) < 0 || json_object_set_new(obj, "reporters",
	    json_integer(t.reporters)) < 0) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (rd->counts(be, domain, &w, err) < 0) {
		if (err->kind == ERR_NONE)
			error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	json_object_set_new(obj, "policies", types);
	*out = obj;
	return 0;
fail:
	json_decref(types);
	json_decref(obj);
	return -1;
}
