/*
 * analyse_live: the live checks joined to the readiness verdict
 * (analyse_add_live, doc/live.md). The live findings already have
 * the shape of reasons; what only the reports can tell is whether the
 * policy changed without its id.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyse.h"
#include "fmt.h"
#include "live_policy.h"
#include "rfc3339.h"
#include "banned.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* Lines as a set: normalised, sorted, each once; a new array. */
static json_t *
line_set(const json_t *lines)
{
	json_t *v[256], *out = json_array();
	const json_t *l;
	char norm[512];
	size_t i, n = 0;

	json_array_foreach(lines, i, l) {
		const char *s = json_string_value(l);

		if (s == NULL || n == 256)
			continue;
		live_policy_line_norm(s, strlen(s), norm, sizeof(norm));
		if (norm[0])
			v[n++] = json_string(norm);
	}
	qsort(v, n, sizeof(v[0]), cmp_str);
	for (i = 0; i < n; i++) {
		if (i > 0 && json_equal(v[i], v[i - 1]))
			json_decref(v[i]);
		else
			json_array_append_new(out, v[i]);
	}
	return out;
}

/*
 * An id that starts with a date (YYYYMMDD, as many publish) says when it
 * was set: the start of that day, or -1.
 */
static int64_t
id_date(const char *id)
{
	unsigned m, d;
	int64_t y;
	size_t i;

	for (i = 0; i < 8; i++)
		if (!isdigit((unsigned char)id[i]))
			return -1;
	y = (id[0] - '0') * 1000 + (id[1] - '0') * 100 + (id[2] - '0') * 10 +
	    (id[3] - '0');
	m = (unsigned)((id[4] - '0') * 10 + (id[5] - '0'));
	d = (unsigned)((id[6] - '0') * 10 + (id[7] - '0'));
	if (y < 2000 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	return rfc3339_days_from_civil(y, m, d) * 86400;
}

/* RFC 8461 3.1: a changed policy needs a new id, or senders keep the
 * one they cached until max_age. */
static json_t *
id_not_rotated(const json_t *domain, const json_t *live)
{
	const json_t *checks = json_object_get(live, "checks");
	const json_t *pol = json_object_get(checks, "policy"), *v, *newest = NULL;
	const char *id = json_string_value(json_object_get(json_object_get(
	    checks, "sts_record"), "id"));
	const char *last = NULL;
	json_t *live_set, *seen_set, *r = NULL;
	int64_t t, set_at;
	size_t i;

	if (id == NULL || json_object_get(pol, "lines") == NULL)
		return NULL;
	json_array_foreach(json_object_get(json_object_get(domain, "policy"),
	    "versions_seen"), i, v) {
		const char *ls = json_string_value(json_object_get(v,
		    "last_seen"));

		if (ls && (last == NULL || strcmp(ls, last) > 0)) {
			last = ls;
			newest = v;
		}
	}
	if (newest == NULL)
		return NULL;
	live_set = line_set(json_object_get(pol, "lines"));
	seen_set = line_set(json_object_get(newest, "lines"));
	set_at = id_date(id);
	if (!json_equal(live_set, seen_set) && !(set_at >= 0 &&
	    rfc3339_parse(last, &t) == 0 && set_at >= t - 86400 + 1))
		r = json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:O}", "code",
		    "policy-id-not-rotated", "kind", "warning", "live_id", id,
		    "live_lines", live_set, "reported_lines", seen_set,
		    "last_seen", last, "reporters",
		    json_object_get(newest, "reporters"));
	json_decref(live_set);
	json_decref(seen_set);
	return r;
}

static int
kind_rank(const json_t *reason)
{
	static const char *const order[] = { "blocking", "insufficient",
	    "warning", "info" };
	const char *k = json_string_value(json_object_get(reason, "kind"));
	int i;

	for (i = 0; k && i < 4; i++)
		if (strcmp(k, order[i]) == 0)
			return i;
	return 4;
}

/* Add s to the steps at position at (or the end), once; 1 if added. */
static int
step_add(json_t *steps, const char *s, size_t at)
{
	const json_t *e;
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	json_array_foreach(steps, i, e)
		if (strcmp(json_string_value(e), s) == 0)
			return 0;
	if (at < json_array_size(steps))
		json_array_insert_new(steps, at, json_string(s));
	else
		json_array_append_new(steps, json_string(s));
	return 1;
}

/*
 * The reasons of a domain by kind, stable: blocking, insufficient,
 * warning, info. -1 when memory runs out.
 */
static int
reasons_sort(json_t *domain)
{
	json_t *sorted = json_array();
	const json_t *e;
	size_t i;
	int k;

	if (sorted == NULL)
		return -1;
	for (k = 0; k <= 4; k++)
		json_array_foreach(json_object_get(domain, "reasons"), i, e)
			if (kind_rank(e) == k &&
			    json_array_append(sorted, (json_t *)e) < 0) {
				json_decref(sorted);
				return -1;
			}
	return json_object_set_new(domain, "reasons", sorted);
}

/*
 * The live checks of a domain could not run (no DNS answer): the verdict
 * stays the one of the reports, and says the live part is missing.
 */
static int
live_missing(json_t *domain, const char *why)
{
	json_t *r;
	char msg[1024];

	fmt_cut(msg, sizeof(msg), "the live checks could not run, so this "
	    "verdict is from the reports alone: %s", why);
	if ((r = json_pack("{s:s, s:s, s:s, s:s}", "code",
	    "live-checks-not-run", "kind", "warning", "message", msg, "error",
	    why)) == NULL || json_array_append_new(json_object_get(domain,
	    "reasons"), r) < 0)
		return -1;
	/* First: what is published now may still block the switch. */
	step_add(json_object_get(domain, "next_steps"), "Run the live checks "
	    "again (--live) when DNS answers.", 0);
	/* A warning never changes the verdict; only the order of reasons. */
	return reasons_sort(domain);
}

int
analyse_add_live(json_t *domain, const json_t *live,
		 const struct analyse_options *opt)
{
	json_t *reasons = json_object_get(domain, "reasons");
	json_t *steps = json_object_get(domain, "next_steps"), *f, *nr;
	const json_t *e;
	const char *verdict, *dom = json_string_value(json_object_get(domain,
	    "domain"));
	char msg[1024];
	size_t i, nblock = 0;
	int w;

	(void)opt;
	if (!json_is_array(reasons) || !json_is_array(steps))
		return -1;
	json_array_foreach(json_object_get(live, "findings"), i, e) {
		if ((f = json_deep_copy(e)) == NULL)
			return -1;
		json_object_del(f, "next_step");
		json_array_append_new(reasons, f);
		/* Blocking steps go first, in the order found. */
		if (kind_rank(e) == 0)
			nblock += (size_t)step_add(steps, json_string_value(
			    json_object_get(e, "next_step")), nblock);
		else
			step_add(steps, json_string_value(json_object_get(e,
			    "next_step")), (size_t)-1);
	}
	if ((nr = id_not_rotated(domain, live)) != NULL) {
		w = snprintf(msg, sizeof(msg), "reporters last saw a different "
		    "policy (until %s) than the one published now, and the "
		    "_mta-sts id is \"%s\": when the policy changes the id "
		    "must change too, or senders keep the policy they cached",
		    json_string_value(json_object_get(nr, "last_seen")),
		    json_string_value(json_object_get(nr, "live_id")));
		if (w < 0 || (size_t)w >= sizeof(msg))
			msg[0] = '\0';
		json_object_set_new(nr, "message", json_string(msg));
		json_array_append_new(reasons, nr);
		w = snprintf(msg, sizeof(msg), "Change the id of the _mta-sts."
		    "%s TXT record whenever the policy changes.", dom ? dom :
		    "domain");
		if (w > 0 && (size_t)w < sizeof(msg))
			step_add(steps, msg, (size_t)-1);
	}
	if (reasons_sort(domain) < 0)
		return -1;
	verdict = analyse_verdict(json_object_get(domain, "reasons"));
	json_object_set_new(domain, "verdict", json_string(verdict));
	/* The switch to enforce is only a step when still ready. */
	if (strcmp(verdict, "ready") != 0)
		for (i = json_array_size(steps); i-- > 0; )
			if (strncmp(json_string_value(json_array_get(steps, i)),
			    "Switch the policy at ", 21) == 0)
				json_array_remove(steps, i);
	return json_object_set_new(domain, "live", json_deep_copy(live));
}

int
analyse_join_live(json_t *summary, const struct live_options *lo,
		  const struct analyse_options *opt, struct error *err)
{
	struct live *lv;
	json_t *d, *live;
	size_t i;
	int rc = 0;

	if ((lv = live_new(lo, err)) == NULL)
		return -1;
	json_array_foreach(json_object_get(summary, "domains"), i, d) {
		live = live_check(lv, json_string_value(json_object_get(d,
		    "domain")), err);
		if (live == NULL && err->kind == ERR_BUSY) {
			if (live_missing(d, err->msg) < 0) {
				rc = error_set(err, ERR_NOMEM, "live checks: "
				    "out of memory");
				break;
			}
			continue;
		}
		if (live == NULL) {
			rc = error_prefix(err, "live checks");
			break;
		}
		if (analyse_add_live(d, live, opt) < 0) {
			json_decref(live);
			rc = error_set(err, ERR_NOMEM, "live checks: out of "
			    "memory");
			break;
		}
		json_decref(live);
	}
	if (rc == 0 && live_dnssec_json(lv, summary) < 0)
		rc = error_set(err, ERR_NOMEM, "live checks: out of memory");
	live_free(lv);
	return rc;
}
