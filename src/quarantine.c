/* quarantine: see include/quarantine.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bounds.h"
#include "escape.h"
#include "fmt.h"
#include "quarantine.h"
#include "rfc3339.h"
#include "banned.h"

/* Where a row came from, in a few words: the source, then who sent it
 * or the file or message, then the mail part. */
static void
put_source(FILE *out, const struct origin *o)
{
	escape_fputs(out, o->source ? o->source : "?", 0);
	if (o->peer) {
		fputs(" from ", out);
		escape_fputs(out, o->peer, 0);
	}
	if (o->path) {
		fputc(' ', out);
		escape_fputs(out, o->path, 0);
	} else if (o->message_id) {
		fputs(" message ", out);
		escape_fputs(out, o->message_id, 0);
	}
	if (o->part) {
		fputs(" part ", out);
		escape_fputs(out, o->part, 0);
	}
}

/* A field from outside: kept when it is not UTF-8 (escape_json_text()). */
static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, escape_json_text(v));
}

static void
list_json(FILE *out, const struct store_quarantined *q)
{
	char when[RFC3339_LEN];
	json_t *o;
	char *s;

	rfc3339_format(q->received_at, when);
	o = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)q->id,
	    "received", when, "source", q->origin.source ?
	    q->origin.source : "", "size", (json_int_t)q->size, "kept",
	    (json_int_t)q->kept);
	if (o == NULL)
		return;
	set_str(o, "peer", q->origin.peer);
	set_str(o, "user_agent", q->origin.user_agent);
	set_str(o, "message_id", q->origin.message_id);
	set_str(o, "path", q->origin.path);
	set_str(o, "part", q->origin.part);
	set_str(o, "dkim_domain", q->origin.dkim_domain);
	set_str(o, "sha256", q->sha256);
	set_str(o, "reason", q->reason);
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s != NULL)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

struct listing {
	int json;
	FILE *out;
	int64_t last;
	size_t n;
};

static int
list_row(const struct store_quarantined *q, void *arg)
{
	struct listing *l = arg;
	char when[RFC3339_LEN];

	l->last = q->id;
	l->n++;
	if (l->json) {
		list_json(l->out, q);
		return 0;
	}
	rfc3339_format(q->received_at, when);
	fprintf(l->out, "%lld\t%s\t", (long long)q->id, when);
	put_source(l->out, &q->origin);
	fprintf(l->out, "\t%zu bytes", q->size);
	if (q->kept < q->size)
		fprintf(l->out, " (the first %zu kept)", q->kept);
	fputc('\t', l->out);
	escape_fputs(l->out, q->reason ? q->reason : "", 0);
	fputc('\n', l->out);
	return 0;
}

int
quarantine_list(struct store *st, int json, FILE *out)
{
	struct listing l = { .json = json, .out = out };
	struct error err;
	size_t before;

	error_clear(&err);
	do {
		before = l.n;
		if (store_quarantine_walk(st, l.last, QUARANTINE_PAGE,
		    list_row, &l, &err) < 0) {
			fprintf(stderr, "tlsrpt-import: the quarantine: %s\n",
			    err.msg);
			return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
		}
	} while (l.n - before == QUARANTINE_PAGE);
	if (l.n == 0)
		fprintf(stderr, "tlsrpt-import: the quarantine is empty\n");
	return EX_OK;
}

/* One row parsed again: its lines and their counts. */
struct retry {
	int json;
	FILE *out;
	const char *input;	/* "#ID" */
	struct import_counts *counts;
};

static void
on_result(const struct result *res, void *arg)
{
	struct retry *rt = arg;

	import_count(rt->counts, res->outcome, res->error);
	import_print_result(rt->out, rt->json, rt->input, res);
}

/* A row left as it is, and why: said as a rejection. */
static void
leave(struct retry *rt, const struct origin *o, enum error_kind kind,
      const char *why)
{
	struct result res = { .outcome = OUTCOME_REJECTED, .origin = o,
	    .reason = why, .error = kind };

	on_result(&res, rt);
}

static void
retry_one(struct pipeline *pl, struct retry *rt, int64_t id)
{
	struct store_quarantined q;
	struct pipeline_parsed *pp = NULL;
	struct origin o = { .source = "" };
	struct error err;
	char input[32], why[ERROR_MSG_MAX];
	enum input_kind kind;
	int found;

	fmt_cut(input, sizeof(input), "#%lld", (long long)id);
	rt->input = input;
	error_clear(&err);
	if (store_quarantine_get(pl->store, id, &q, &found, &err) < 0) {
		struct result res = { .outcome = OUTCOME_DEFERRED,
		    .origin = &o, .reason = err.msg, .error = err.kind };

		on_result(&res, rt);
		return;
	}
	if (!found) {
		fprintf(stderr, "tlsrpt-import: %s is not in the quarantine\n",
		    input);
		rt->counts->unreadable++;
		return;
	}
	o = q.origin;
	o.path = NULL;		/* the line names the row */
	if (q.kept < q.size) {
		fmt_cut(why, sizeof(why), "cannot be parsed again: only the "
		    "first %zu of its %zu bytes were kept (%s)", q.kept,
		    q.size, q.reason ? q.reason : "");
		leave(rt, &o, ERR_TOO_BIG, why);
		goto done;
	}
	/* The DKIM rule is the message's: a part alone cannot pass it. */
	if (o.part != NULL && pl->cfg.dkim_authserv_id != NULL &&
	    o.dkim_domain == NULL) {
		leave(rt, &o, ERR_INPUT, "a part of a mail: the DKIM rule "
		    "(dkim-authserv-id) cannot be checked again without its "
		    "message; import the message again");
		goto done;
	}
	if ((pp = malloc(sizeof(*pp))) == NULL) {
		struct result res = { .outcome = OUTCOME_DEFERRED,
		    .origin = &o, .reason = "out of memory",
		    .error = ERR_NOMEM };

		on_result(&res, rt);
		goto done;
	}
	/* A body posted over HTTP(S) or a mail part is a report, as the
	 * daemon took it; else tell. */
	kind = (o.source && (strcmp(o.source, "https") == 0 ||
	    strcmp(o.source, "http") == 0)) || o.part != NULL ?
	    INPUT_REPORT : INPUT_SNIFF;
	pipeline_parse(&pl->cfg, q.data, q.kept, kind, &o, q.received_at, pp);
	if (pp->n > 1) {
		fmt_cut(why, sizeof(why), "a message of %zu reports now: "
		    "import the message again", pp->n);
		leave(rt, &o, ERR_INPUT, why);
	} else {
		pp->replaces = id;
		pipeline_store(pl, pp, on_result, rt);
	}
	pipeline_parsed_release(pp);
done:
	free(pp);
	store_quarantined_release(&q);
}

/* The ids of a page of the quarantine. */
struct page {
	int64_t ids[QUARANTINE_PAGE];
	size_t n;
};

static int
page_row(const struct store_quarantined *q, void *arg)
{
	struct page *p = arg;

	p->ids[p->n++] = q->id;
	return 0;
}

void
quarantine_retry(struct pipeline *pl, int json, FILE *out,
		 const int64_t *ids, size_t n, struct import_counts *counts)
{
	struct retry rt = { .json = json, .out = out, .counts = counts };
	struct page page;
	struct error err;
	int64_t after = 0;
	size_t i;

	memset(counts, 0, sizeof(*counts));
	for (i = 0; i < n; i++)
		retry_one(pl, &rt, ids[i]);
	if (n > 0)
		return;
	/* Every row: a page of ids, then each row alone, so that no read
	 * is open while a row is stored. A row that stays keeps its id,
	 * one that leaves becomes no other row of the quarantine. */
	do {
		page.n = 0;
		error_clear(&err);
		if (store_quarantine_walk(pl->store, after, QUARANTINE_PAGE,
		    page_row, &page, &err) < 0) {
			fprintf(stderr, "tlsrpt-import: the quarantine: %s\n",
			    err.msg);
			import_count(counts, OUTCOME_DEFERRED, err.kind);
			return;
		}
		for (i = 0; i < page.n; i++)
			retry_one(pl, &rt, page.ids[i]);
		if (page.n > 0)
			after = page.ids[page.n - 1];
	} while (page.n == QUARANTINE_PAGE);
	fflush(out);
}
