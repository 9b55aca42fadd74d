/* store_read: see include/store_read.h. The queries are the backend's
 * (store_backend.h); the JSON is built here. */
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

static int
domain_row(const struct store_domain_row *row, void *arg)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:o, s:o}", "domain", row->domain,
	    "reports", (json_int_t)row->reports,
	    "first_seen", json_time(row->first_seen),
	    "last_seen", json_time(row->last_seen));
	return o == NULL || json_array_append_new(arg, o) < 0 ? -1 : 0;
}

int
store_read_domains(struct store *st, json_t **out, struct error *err)
{
	json_t *arr;
	int rc;

	*out = NULL;
	if ((arr = json_array()) == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	error_clear(err);
	rc = store_backend_ops(st)->read_domains(store_backend_handle(st),
	    domain_row, arr, err);
	if (rc < 0) {
		if (err->kind == ERR_NONE)
			error_set(err, ERR_NOMEM, "out of memory");
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
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
	const struct store_ops *ops = store_backend_ops(st);
	void *be = store_backend_handle(st);
	struct store_domain_totals t;
	json_t *obj = NULL, *types = NULL;
	int found = 0;

	*out = NULL;
	error_clear(err);
	if (ops->read_totals(be, domain, &t, &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	obj = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "domain", domain,
	    "reports", (json_int_t)t.reports,
	    "days", (json_int_t)t.days,
	    "reporters", (json_int_t)t.reporters,
	    "first_seen", json_time(t.first_seen),
	    "last_seen", json_time(t.last_seen));
	types = json_array();
	if (obj == NULL || types == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (ops->read_types(be, domain, type_row, types, err) < 0) {
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
