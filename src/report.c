/* report: see include/report.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "bounds.h"
#include "dnsname.h"
#include "escape.h"
#include "fmt.h"
#include "report.h"
#include "rfc3339.h"
#include "banned.h"

/*
 * jansson allocates every node of a tree with malloc and frees each one
 * again, much of a small report's parse (BENCHMARKS.md). While this thread
 * parses a report of at most JSON_ARENA_TEXT_MAX bytes, jansson allocates
 * from json_arena instead, whose blocks are dropped at once with the tree
 * (a free inside it does nothing). Everywhere else, and for larger
 * reports (so that memory stays bounded as before), malloc and free.
 */
#define JSON_ARENA_BLOCK	(64 * 1024)

/*
 * glibc hands the free top of a heap back to the kernel once more than its
 * trim threshold (128 KiB at first) lies there, and looks on every free of
 * 64 KiB or more: a parse's arena block. So each report's memory went back
 * to the kernel (madvise, and an interrupt to the other core to drop its
 * mappings) and was faulted in again, a page at a time, for the next one
 * (BENCHMARKS.md). A heap now keeps up to HEAP_KEEP free at its top.
 */
#define HEAP_KEEP		(4 * 1024 * 1024)

static _Thread_local struct arena *json_arena;
static int json_arena_ready;	/* report_init() installed the functions */

/*
 * Where in the report the parser is, kept as numbers and written out only
 * when an error names it: most reports have no error, and formatting the
 * path at every step cost more than reading the step.
 */
enum where {
	AT_ROOT,		/* "" */
	AT_RANGE,		/* date-range */
	AT_POLICY,		/* policies[i] */
	AT_POLICY_POLICY,	/* policies[i].policy */
	AT_SUMMARY,		/* policies[i].summary */
	AT_FAILURE		/* policies[i].failure-details[j] */
};

/* The parser's state: the arena to fill, where it reads, and when the
 * report was received. */
struct parser {
	struct arena *arena;
	struct error *err;
	enum where at;
	size_t policy, failure;
	int64_t received;
};

static void
set_at(struct parser *ps, enum where at, size_t policy, size_t failure)
{
	ps->at = at;
	ps->policy = policy;
	ps->failure = failure;
}

/* The path of where the parser is, "" at the top of the report. */
static const char *
path_of(const struct parser *ps, char *buf, size_t n)
{
	switch (ps->at) {
	case AT_ROOT:
		return "";
	case AT_RANGE:
		return "date-range";
	case AT_POLICY:
		fmt_cut(buf, n, "policies[%zu]", ps->policy);
		break;
	case AT_POLICY_POLICY:
		fmt_cut(buf, n, "policies[%zu].policy", ps->policy);
		break;
	case AT_SUMMARY:
		fmt_cut(buf, n, "policies[%zu].summary", ps->policy);
		break;
	case AT_FAILURE:
		fmt_cut(buf, n, "policies[%zu].failure-details[%zu]",
		    ps->policy, ps->failure);
		break;
	}
	return buf;
}

static int
fail(struct parser *ps, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct parser *ps, const char *sub, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX], buf[128];
	const char *path = path_of(ps, buf, sizeof(buf));
	va_list ap;

	va_start(ap, fmt);
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path[0] && sub)
		return error_set(ps->err, ERR_INPUT, "%s.%s: %s", path, sub,
		    msg);
	return error_set(ps->err, ERR_INPUT, "%s: %s",
	    path[0] ? path : sub ? sub : "report", msg);
}

static int
nomem(struct parser *ps)
{
	char buf[128];
	const char *path = path_of(ps, buf, sizeof(buf));

	return error_set(ps->err, ERR_NOMEM, "out of memory parsing %s",
	    path[0] ? path : "the report");
}

/*
 * Nesting depth and the number of values, found without recursion before
 * the JSON library sees the text: a hostile report of a million '[' must
 * not reach a recursive parser, and ten million small numbers must not
 * become a tree of half a gigabyte. Strings are skipped with their
 * escapes. Returns 0, or -1 with the problem in err.
 */
static int
shape_ok(const char *s, size_t n, struct error *err)
{
	size_t i, values = 1;
	int depth = 0, in_str = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > BOUND_JSON_DEPTH)
				return error_set(err, ERR_INPUT, "report: "
				    "nesting deeper than %d levels (a report "
				    "needs at most 6)", BOUND_JSON_DEPTH);
			values++;
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',' && ++values > BOUND_JSON_VALUES) {
			return error_set(err, ERR_TOO_BIG, "report: more than "
			    "%d JSON values", BOUND_JSON_VALUES);
		}
	}
	return 0;
}

/* A string member: absent or null gives NULL (and 0); others fail. */
static int
get_string(struct parser *ps, json_t *obj, const char *key, int lower,
	   const char **out)
{
	json_t *v = json_object_get(obj, key);
	size_t n;
	char *s;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(ps, key, "expected a string");
	n = json_string_length(v);
	if (n > BOUND_STRING)
		return fail(ps, key, "longer than %d bytes", BOUND_STRING);
	s = arena_strndup(ps->arena, json_string_value(v), n);
	if (s == NULL)
		return nomem(ps);
	if (lower)
		domain_normalise(s);
	*out = s;
	return 0;
}

/* A DNS name member (dnsname.h): absent, null or "" gives NULL or "". */
static int
get_dnsname(struct parser *ps, json_t *obj, const char *key,
	    const char **out)
{
	char name[BOUND_DNS_NAME + 1];
	struct error e;

	if (get_string(ps, obj, key, 0, out) < 0)
		return -1;
	if (*out == NULL || (*out)[0] == '\0')
		return 0;
	if (dnsname_normalise(*out, name, &e) < 0)
		return e.kind == ERR_NOMEM ? nomem(ps) : fail(ps, key, "%s",
		    e.msg);
	if (strcmp(name, *out) != 0 &&
	    (*out = arena_strndup(ps->arena, name, strlen(name))) == NULL)
		return nomem(ps);
	return 0;
}

/* A session count: a JSON integer in 0 .. 2^53. */
static int
get_count(struct parser *ps, json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (v == NULL)
		return fail(ps, key, "missing (expected a non-negative "
		    "integer)");
	if (!json_is_integer(v))
		return fail(ps, key, "expected a non-negative integer, got %s",
		    json_is_real(v) ? "a fraction" : json_is_string(v) ?
		    "a string" : json_is_null(v) ? "null" : "another type");
	n = json_integer_value(v);
	if (n < 0)
		return fail(ps, key, "expected a non-negative integer, got "
		    "%lld", (long long)n);
	if (n > BOUND_COUNT_MAX)
		return fail(ps, key, "expected a non-negative integer, got "
		    "%lld (beyond 2^53)", (long long)n);
	*out = n;
	return 0;
}

int
ip_canonical(const char *in, char *out, size_t outlen)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char tmp[64];
	size_t n = strlen(in);

	if (n >= sizeof(tmp))
		return -1;
	if (n >= 2 && in[0] == '[' && in[n - 1] == ']') {
		memcpy(tmp, in + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, in, n + 1);
	}
	/* inet_pton takes only the dotted quad without leading zeros, which
	 * is already the canonical text (and inet_ntop is slow). */
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		if (strlen(tmp) >= outlen)
			return -1;
		memcpy(out, tmp, strlen(tmp) + 1);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) ? 0 :
		    -1;
	return -1;
}

/* An IP address member: canonical when it parses, as sent otherwise; an
 * empty string is the same as absent (seen from real senders). */
static int
get_ip(struct parser *ps, json_t *obj, const char *key, const char **out)
{
	char canon[INET6_ADDRSTRLEN];

	if (get_string(ps, obj, key, 0, out) < 0)
		return -1;
	if (*out == NULL)
		return 0;
	if ((*out)[0] == '\0') {
		*out = NULL;
		return 0;
	}
	if (ip_canonical(*out, canon, sizeof(canon)) == 0 &&
	    strcmp(canon, *out) != 0) {
		*out = arena_strndup(ps->arena, canon, strlen(canon));
		if (*out == NULL)
			return nomem(ps);
	}
	return 0;
}

static int
parse_failure(struct parser *ps, json_t *f, struct report_failure *out)
{
	const char *alt;

	if (!json_is_object(f))
		return fail(ps, NULL, "expected an object");
	if (get_string(ps, f, "result-type", 1, &out->result_type) < 0)
		return -1;
	if (out->result_type == NULL || out->result_type[0] == '\0')
		return fail(ps, "result-type", "missing");
	if (get_ip(ps, f, "sending-mta-ip", &out->sending_mta_ip) < 0 ||
	    get_ip(ps, f, "receiving-ip", &out->receiving_ip) < 0 ||
	    get_dnsname(ps, f, "receiving-mx-hostname",
	    &out->receiving_mx_hostname) < 0 ||
	    get_string(ps, f, "receiving-mx-helo", 0,
	    &out->receiving_mx_helo) < 0 ||
	    get_string(ps, f, "failure-reason-code", 0,
	    &out->failure_reason_code) < 0 ||
	    get_string(ps, f, "additional-information", 0,
	    &out->additional_info) < 0 ||
	    get_string(ps, f, "additional-info-uri", 0, &alt) < 0 ||
	    get_count(ps, f, "failed-session-count", &out->failed_sessions) < 0)
		return -1;
	if (out->additional_info == NULL)
		out->additional_info = alt;
	if (out->receiving_mx_hostname && !out->receiving_mx_hostname[0])
		out->receiving_mx_hostname = NULL;
	return 0;
}

/* Append s to a growing string array in the arena (arrays are rebuilt on
 * growth; old copies stay in the arena until the report is freed, which
 * costs little for the short lists a report holds). */
static int
push_string(struct parser *ps, const char ***arr, size_t *n, size_t *alloc,
	    const char *s)
{
	const char **grown;

	if (*n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 8;
		grown = arena_alloc(ps->arena, *alloc * sizeof(*grown));
		if (grown == NULL)
			return nomem(ps);
		if (*n)
			memcpy(grown, *arr, *n * sizeof(*grown));
		*arr = grown;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

/*
 * policy-string: an array of strings. Some senders put the tlsa records as
 * one element holding a JSON array of strings; those are flattened.
 */
static int
parse_policy_strings(struct parser *ps, json_t *pol, struct report_policy *p)
{
	json_t *arr = json_object_get(pol, "policy-string"), *v, *inner, *e;
	size_t i, j, alloc = 0, n;
	json_error_t jerr;
	const char *s;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (json_is_string(arr)) {
		s = arena_strndup(ps->arena, json_string_value(arr),
		    json_string_length(arr));
		return s ? push_string(ps, &p->strings, &p->nstrings, &alloc, s)
		    : nomem(ps);
	}
	if (!json_is_array(arr))
		return fail(ps, "policy-string", "expected an array of "
		    "strings");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return fail(ps, "policy-string", "element %zu: "
			    "expected a string", i);
		n = json_string_length(v);
		if (n > BOUND_STRING)
			return fail(ps, "policy-string", "element %zu: longer "
			    "than %d bytes", i, BOUND_STRING);
		s = json_string_value(v);
		inner = s[0] == '[' ? json_loadb(s, n, 0, &jerr) : NULL;
		/* Out of memory is not "not a list": it would store it raw. */
		if (s[0] == '[' && inner == NULL &&
		    json_error_code(&jerr) == json_error_out_of_memory)
			return nomem(ps);
		if (inner != NULL) {
			if (json_is_array(inner)) {
				json_array_foreach(inner, j, e) {
					const char *es;

					if (!json_is_string(e))
						continue;
					es = arena_strndup(ps->arena,
					    json_string_value(e),
					    json_string_length(e));
					if (es == NULL || push_string(ps,
					    &p->strings, &p->nstrings, &alloc,
					    es) < 0) {
						json_decref(inner);
						return nomem(ps);
					}
				}
				json_decref(inner);
				continue;
			}
			json_decref(inner);
		}
		s = arena_strndup(ps->arena, s, n);
		if (s == NULL || push_string(ps, &p->strings, &p->nstrings,
		    &alloc, s) < 0)
			return nomem(ps);
	}
	return 0;
}

/* mx-host: an array of names, or one bare name. A Stalwart-like sender
 * writes "mx: name", copied from the policy line; the prefix is dropped. */
static int
add_mx_host(struct parser *ps, struct report_policy *p, size_t *alloc,
	    const char *s, size_t n)
{
	char *h;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n >= 3 && strncasecmp(s, "mx:", 3) == 0) {
		s += 3;
		n -= 3;
		while (n > 0 && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (n > BOUND_STRING)
		return fail(ps, "mx-host", "longer than %d bytes", BOUND_STRING);
	h = arena_strndup(ps->arena, s, n);
	if (h == NULL)
		return nomem(ps);
	return push_string(ps, &p->mx_hosts, &p->nmx_hosts, alloc,
	    domain_normalise(h));
}

static int
parse_mx_hosts(struct parser *ps, json_t *pol, struct report_policy *p)
{
	json_t *v = json_object_get(pol, "mx-host"), *e;
	size_t i, alloc = 0;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return add_mx_host(ps, p, &alloc, json_string_value(v),
		    json_string_length(v));
	if (!json_is_array(v))
		return fail(ps, "mx-host", "expected an array of names or a "
		    "name");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return fail(ps, "mx-host", "element %zu: expected a "
			    "string", i);
		if (add_mx_host(ps, p, &alloc, json_string_value(e),
		    json_string_length(e)) < 0)
			return -1;
	}
	return 0;
}

/* a, the member key, is an array of at most max entries. */
static int
check_array(struct parser *ps, const char *key, const json_t *a, int max)
{
	if (!json_is_array(a))
		return fail(ps, key, "expected an array");
	if (json_array_size(a) > (size_t)max)
		return fail(ps, key, "more than %d entries", max);
	return 0;
}

static int
parse_failures(struct parser *ps, size_t idx, json_t *entry,
	       struct report_policy *p)
{
	json_t *fd, *f;
	size_t i;

	set_at(ps, AT_POLICY, idx, 0);
	fd = json_object_get(entry, "failure-details");
	if (fd == NULL || json_is_null(fd))
		return 0;
	if (check_array(ps, "failure-details", fd, BOUND_FAILURES) < 0)
		return -1;
	p->nfailures = json_array_size(fd);
	if (p->nfailures == 0)
		return 0;
	p->failures = arena_alloc(ps->arena,
	    p->nfailures * sizeof(*p->failures));
	if (p->failures == NULL)
		return nomem(ps);
	memset(p->failures, 0, p->nfailures * sizeof(*p->failures));
	json_array_foreach(fd, i, f) {
		set_at(ps, AT_FAILURE, idx, i);
		if (parse_failure(ps, f, &p->failures[i]) < 0)
			return -1;
	}
	return 0;
}

/* A summary without total-failure-session-count: the sum of the failure
 * details, 0 without any (report.h says why the sum). */
static int
sum_failures(struct parser *ps, size_t idx, struct report_policy *p)
{
	size_t i;

	p->failed = 0;
	for (i = 0; i < p->nfailures; i++) {
		/* Each is at most 2^53: the sum cannot overflow first. */
		p->failed += p->failures[i].failed_sessions;
		if (p->failed > BOUND_COUNT_MAX) {
			set_at(ps, AT_SUMMARY, idx, 0);
			return fail(ps, "total-failure-session-count",
			    "missing, and the failure details add up to more "
			    "than 2^53");
		}
	}
	return 0;
}

static int
parse_policy(struct parser *ps, size_t idx, json_t *entry,
	     struct report_policy *p)
{
	json_t *pol, *sum;
	size_t i;
	int no_total;

	sts_policy_init(&p->sts);
	set_at(ps, AT_POLICY, idx, 0);
	if (!json_is_object(entry))
		return fail(ps, NULL, "expected an object");

	pol = json_object_get(entry, "policy");
	if (pol == NULL)
		return fail(ps, "policy", "missing");
	set_at(ps, AT_POLICY_POLICY, idx, 0);
	if (!json_is_object(pol))
		return fail(ps, NULL, "expected an object");
	if (get_string(ps, pol, "policy-type", 1, &p->type) < 0 ||
	    get_dnsname(ps, pol, "policy-domain", &p->domain) < 0)
		return -1;
	if (p->type == NULL || p->type[0] == '\0')
		return fail(ps, "policy-type", "missing");
	if (p->domain == NULL)
		p->domain = "";
	if (parse_policy_strings(ps, pol, p) < 0 ||
	    parse_mx_hosts(ps, pol, p) < 0)
		return -1;
	if (strcmp(p->type, "sts") == 0)
		for (i = 0; i < p->nstrings; i++)
			if (sts_policy_add_line(&p->sts, p->strings[i],
			    ps->err) < 0)
				return -1;

	sum = json_object_get(entry, "summary");
	set_at(ps, AT_POLICY, idx, 0);
	if (sum == NULL)
		return fail(ps, "summary", "missing");
	set_at(ps, AT_SUMMARY, idx, 0);
	if (!json_is_object(sum))
		return fail(ps, NULL, "expected an object");
	no_total = json_object_get(sum, "total-failure-session-count") == NULL;
	if (get_count(ps, sum, "total-successful-session-count",
	    &p->successful) < 0 || (!no_total &&
	    get_count(ps, sum, "total-failure-session-count", &p->failed) < 0))
		return -1;
	if (parse_failures(ps, idx, entry, p) < 0)
		return -1;
	return no_total ? sum_failures(ps, idx, p) : 0;
}

static int
parse_time(struct parser *ps, json_t *range, const char *key, int64_t *t)
{
	char q[ESCAPE_QUOTE_SIZE];
	const char *s;

	if (get_string(ps, range, key, 0, &s) < 0)
		return -1;
	if (s == NULL)
		return fail(ps, key, "missing");
	if (rfc3339_parse(s, t) < 0) {
		escape_quote(q, sizeof(q), s);
		return fail(ps, key, "not a date-time: \"%s\"", q);
	}
	return 0;
}

/*
 * The range must end after it starts, last at most BOUND_RANGE_MAX, and
 * end at most BOUND_RANGE_AHEAD after the report was received: a report
 * "of" 9999 would keep its domain's evidence fresh until then.
 */
static int
check_range(struct parser *ps, const struct report *r)
{
	char a[RFC3339_LEN], b[RFC3339_LEN];

	if (r->end <= r->start)
		return fail(ps, NULL, "end-datetime is not after "
		    "start-datetime");
	if (r->end - r->start > BOUND_RANGE_MAX) {
		rfc3339_format(r->start, a);
		rfc3339_format(r->end, b);
		return fail(ps, NULL, "lasts more than %lld days (%s to %s)",
		    (long long)(BOUND_RANGE_MAX / 86400), a, b);
	}
	/* Years stop at 9999 (rfc3339.h): end - AHEAD cannot overflow. */
	if (r->end - BOUND_RANGE_AHEAD > ps->received) {
		rfc3339_format(r->end, b);
		rfc3339_format(ps->received, a);
		return fail(ps, "end-datetime", "%s is more than %lld days "
		    "after the report was received (%s)", b,
		    (long long)(BOUND_RANGE_AHEAD / 86400), a);
	}
	return 0;
}

static int
parse_root(struct parser *ps, json_t *root, struct report *r)
{
	json_t *range, *pols, *entry;
	size_t i;

	if (!json_is_object(root))
		return error_set(ps->err, ERR_INPUT, "report: expected a JSON "
		    "object, got %s", json_is_array(root) ? "an array" :
		    "a scalar");
	if (get_string(ps, root, "organization-name", 0, &r->org_name) < 0 ||
	    get_string(ps, root, "report-id", 0, &r->report_id) < 0 ||
	    get_string(ps, root, "contact-info", 0, &r->contact_info) < 0)
		return -1;
	if (r->org_name == NULL)
		r->org_name = "";
	if (r->report_id == NULL)
		r->report_id = "";

	range = json_object_get(root, "date-range");
	if (range == NULL)
		return fail(ps, "date-range", "missing");
	set_at(ps, AT_RANGE, 0, 0);
	if (!json_is_object(range))
		return fail(ps, NULL, "expected an object");
	if (parse_time(ps, range, "start-datetime", &r->start) < 0 ||
	    parse_time(ps, range, "end-datetime", &r->end) < 0)
		return -1;
	if (check_range(ps, r) < 0)
		return -1;
	set_at(ps, AT_ROOT, 0, 0);

	pols = json_object_get(root, "policies");
	if (pols == NULL)
		return fail(ps, "policies", "missing");
	if (check_array(ps, "policies", pols, BOUND_POLICIES) < 0)
		return -1;
	if (json_array_size(pols) == 0)
		return 0;
	/* Counted only once allocated: report_release() walks them. */
	r->policies = calloc(json_array_size(pols), sizeof(*r->policies));
	if (r->policies == NULL)
		return nomem(ps);
	r->npolicies = json_array_size(pols);
	json_array_foreach(pols, i, entry)
		if (parse_policy(ps, i, entry, &r->policies[i]) < 0)
			return -1;
	return 0;
}

static void *
json_alloc_or_abort(size_t n)
{
	void *p = json_arena ? arena_alloc(json_arena, n) : malloc(n);

	if (p == NULL) {
		fprintf(stderr, "out of memory (%zu bytes) in the JSON parser\n",
		    n);
		abort();
	}
	return p;
}

static void
json_free(void *p)
{
	if (p != NULL && json_arena != NULL && arena_owns(json_arena, p))
		return;
	free(p);
}

void
report_init(void)
{
	json_set_alloc_funcs(json_alloc_or_abort, json_free);
	json_arena_ready = 1;
	mallopt(M_TRIM_THRESHOLD, HEAP_KEEP);
}

/* The tree of a parse: in the arena (dropped whole), or freed node by
 * node. */
static void
tree_drop(json_t *root, struct arena *tree)
{
	if (json_arena == tree && tree != NULL) {
		json_arena = NULL;
		arena_release(tree);
		return;
	}
	json_decref(root);
}

int
report_parse(const char *json, size_t len, int64_t received,
	     struct report *r, struct error *err)
{
	struct parser ps = { .err = err, .received = received };
	struct arena tree = { .block = JSON_ARENA_BLOCK };
	json_error_t jerr;
	json_t *root;

	memset(r, 0, sizeof(*r));
	if (shape_ok(json, len, err) < 0)
		return -1;
	if (json_arena_ready && len <= JSON_ARENA_TEXT_MAX)
		json_arena = &tree;
	root = json_loadb(json, len, 0, &jerr);
	if (root == NULL) {
		tree_drop(NULL, &tree);
		if (json_error_code(&jerr) == json_error_invalid_utf8)
			return error_set(err, ERR_INPUT, "report: invalid "
			    "UTF-8 at byte %d", jerr.position);
		if (json_error_code(&jerr) == json_error_numeric_overflow)
			return error_set(err, ERR_INPUT, "report: a number "
			    "beyond 2^53 at line %d column %d (no count can be "
			    "that large)", jerr.line, jerr.column);
		if (json_error_code(&jerr) == json_error_null_character)
			return error_set(err, ERR_INPUT, "report: a NUL "
			    "character (\\u0000) in a string at line %d "
			    "column %d", jerr.line, jerr.column);
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return error_set(err, ERR_NOMEM, "out of memory");
		return error_set(err, ERR_INPUT, "report: not JSON: %s at "
		    "line %d column %d", jerr.text, jerr.line, jerr.column);
	}
	r->arena = calloc(1, sizeof(*r->arena));
	ps.arena = r->arena;
	if (r->arena == NULL) {
		tree_drop(root, &tree);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	if (parse_root(&ps, root, r) < 0) {
		tree_drop(root, &tree);
		report_release(r);
		return -1;
	}
	tree_drop(root, &tree);
	return 0;
}

void
report_release(struct report *r)
{
	size_t i;

	for (i = 0; i < r->npolicies; i++)
		sts_policy_release(&r->policies[i].sts);
	free(r->policies);
	arena_free(r->arena);
	memset(r, 0, sizeof(*r));
}

const char *
report_domain(const struct report *r)
{
	size_t i;

	for (i = 0; i < r->npolicies; i++)
		if (r->policies[i].domain[0])
			return r->policies[i].domain;
	return "";
}
