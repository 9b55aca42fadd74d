/* pipeline: see include/pipeline.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "buf.h"
#include "dnsname.h"
#include "escape.h"
#include "fmt.h"
#include "log.h"
#include "mail.h"
#include "pipeline.h"
#include "banned.h"

void
pipeline_config_default(struct pipeline_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	decode_limits_default(&cfg->limits);
	cfg->payload_max = BOUND_PAYLOAD_MAX;
	cfg->message_max = BOUND_MESSAGE_MAX;
}

void
pipeline_init(struct pipeline *pl, struct store *st,
	      const struct pipeline_config *cfg)
{
	pl->store = st;
	if (cfg != NULL)
		pl->cfg = *cfg;
	else
		pipeline_config_default(&pl->cfg);
}

const char *
outcome_name(enum outcome oc)
{
	switch (oc) {
	case OUTCOME_ACCEPTED:		return "accepted";
	case OUTCOME_DUPLICATE:		return "duplicate";
	case OUTCOME_REJECTED:		return "rejected";
	case OUTCOME_NOT_A_REPORT:	return "not-a-report";
	case OUTCOME_DEFERRED:		return "deferred";
	}
	return "deferred";
}

int
result_conflict(const struct result *res)
{
	return res->outcome == OUTCOME_ACCEPTED && res->stored != NULL &&
	    res->stored->kind == STORE_PUT_CONFLICT;
}

const char *
result_name(const struct result *res)
{
	return result_conflict(res) ? "conflict" : outcome_name(res->outcome);
}

static void
answer_stored(pipeline_cb cb, void *arg, enum outcome oc,
	      const struct origin *o, const struct report *r,
	      const struct store_put_result *stored, const char *reason,
	      enum error_kind kind)
{
	struct result res = {
		.outcome = oc, .origin = o, .report = r, .stored = stored,
		.reason = reason, .error = kind,
	};

	cb(&res, arg);
}

static void
answer(pipeline_cb cb, void *arg, enum outcome oc, const struct origin *o,
       const struct report *r, const char *reason, enum error_kind kind)
{
	answer_stored(cb, arg, oc, o, r, NULL, reason, kind);
}

void
pipeline_reject(struct pipeline *pl, const void *bytes, size_t len,
		const struct origin *o, enum error_kind kind,
		const char *reason, pipeline_cb cb, void *arg)
{
	struct error err;

	error_clear(&err);
	if (store_put_rejected(pl->store, bytes, len, o, reason, &err) < 0) {
		/* Not kept, so not answered: the sender must try again. */
		answer(cb, arg, OUTCOME_DEFERRED, o, NULL, err.msg, err.kind);
		return;
	}
	answer(cb, arg, OUTCOME_REJECTED, o, NULL, reason, kind);
}

/* The header says one domain, the JSON another: the JSON wins. */
static void
check_headers(const struct mail_message *m, const struct report *r,
	      const struct origin *o)
{
	const char *dom = report_domain(r);
	char hdr[BOUND_DNS_NAME + 1];
	struct error err;

	if (m->report_domain && dom[0] &&
	    (dnsname_normalise(m->report_domain, hdr, &err) < 0 ||
	    strcmp(hdr, dom) != 0))
		log_warn("%s: TLS-Report-Domain says %s but the report is for "
		    "%s; using the report", o->path ? o->path : o->source,
		    m->report_domain, dom);
}

/* The next finding of pp, for origin o. */
static struct pipeline_item *
item_add(struct pipeline_parsed *pp, enum pipeline_step step,
	 const struct origin *o)
{
	struct pipeline_item *it = &pp->items[pp->n++];

	memset(it, 0, sizeof(*it));
	it->step = step;
	it->origin = *o;
	return it;
}

/* A finding answered without the store: deferred, or not a report. */
static void
add_answer(struct pipeline_parsed *pp, const struct origin *o,
	   enum outcome oc, enum error_kind kind, const char *reason)
{
	struct pipeline_item *it = item_add(pp, STEP_ANSWER, o);

	it->outcome = oc;
	it->kind = kind;
	fmt_cut(it->reason, sizeof(it->reason), "%s", reason);
}

/* A payload to keep in quarantine (len 0: only the record of it). */
static void
add_reject(struct pipeline_parsed *pp, const void *bytes, size_t len,
	   const struct origin *o, enum error_kind kind, const char *reason)
{
	struct pipeline_item *it = item_add(pp, STEP_REJECT, o);

	it->bytes = bytes;
	it->len = len;
	it->kind = kind;
	fmt_cut(it->reason, sizeof(it->reason), "%s", reason);
}

/* A rejected mail part: the reason names the part, so that a person can
 * find it in the message. */
static void
reject_part(struct pipeline_parsed *pp, const void *bytes, size_t len,
	    const struct origin *o, const struct mail_message *m,
	    enum error_kind kind, const char *why)
{
	char reason[ERROR_MSG_MAX], name[ESCAPE_QUOTE_SIZE];

	if (m == NULL) {
		add_reject(pp, bytes, len, o, kind, why);
		return;
	}
	/* The file name is the sender's: a quote in it must not end it. */
	if (o->part != NULL)
		escape_quote(name, sizeof(name), o->part);
	fmt_cut(reason, sizeof(reason), "part %s%s%s: %s", o->part ? "\"" :
	    "", o->part ? name : "(no file name)", o->part ? "\"" : "", why);
	add_reject(pp, bytes, len, o, kind, reason);
}

/*
 * One report payload: decode and parse it into a finding. dkim_failed,
 * when not NULL, is why the message failed the DKIM rule: the report is
 * then rejected with it.
 */
static void
parse_payload(const struct pipeline_config *cfg, const void *bytes,
	      size_t len, const struct origin *o, const struct mail_message *m,
	      int64_t received, const char *dkim_failed,
	      struct pipeline_parsed *pp)
{
	struct pipeline_item *it;
	struct report r;
	struct error err;
	struct buf inflated;
	const char *json;
	size_t jsonlen;

	error_clear(&err);
	buf_init(&inflated, cfg->limits.inflated_max);
	if (len > cfg->payload_max) {
		error_too_big(&err, "payload", 0, len, cfg->payload_max);
		reject_part(pp, bytes, 0, o, m, ERR_TOO_BIG, err.msg);
		return;
	}
	if (decode_payload(bytes, len, &cfg->limits, &inflated, &json,
	    &jsonlen, &err) < 0 ||
	    (cfg->limits.hold != NULL && budget_hold_charge(cfg->limits.hold,
	    decode_parse_cost(json, jsonlen), &err) < 0) ||
	    report_parse(json, jsonlen, received, &r, &err) < 0) {
		buf_release(&inflated);
		if (err.kind == ERR_NOMEM || err.kind == ERR_INTERNAL) {
			add_answer(pp, o, OUTCOME_DEFERRED, err.kind, err.msg);
			return;
		}
		reject_part(pp, bytes, len, o, m, err.kind, err.msg);
		return;
	}
	buf_release(&inflated);

	if (dkim_failed != NULL) {
		report_release(&r);
		reject_part(pp, bytes, len, o, m, ERR_INPUT, dkim_failed);
		return;
	}
	if (m != NULL)
		check_headers(m, &r, o);
	it = item_add(pp, STEP_STORE, o);
	it->bytes = bytes;
	it->len = len;
	it->report = r;
	if ((it->rows = store_rows_new(&it->report, &err)) == NULL) {
		report_release(&it->report);
		pp->n--;
		add_answer(pp, o, OUTCOME_DEFERRED, err.kind, err.msg);
	}
}

static void
parse_message(const struct pipeline_config *cfg, const void *bytes,
	      size_t len, const struct origin *o, int64_t received,
	      struct pipeline_parsed *pp)
{
	struct mail_message *m = &pp->msg;
	struct error err, dkim;
	struct origin po;
	size_t i;

	error_clear(&err);
	if (len > cfg->message_max) {
		error_too_big(&err, "message", 0, len, cfg->message_max);
		add_reject(pp, bytes, 0, o, ERR_TOO_BIG, err.msg);
		return;
	}
	if (mail_parse(bytes, len, cfg->payload_max, m, &err) < 0) {
		if (err.kind == ERR_NOMEM) {
			add_answer(pp, o, OUTCOME_DEFERRED, err.kind, err.msg);
			return;
		}
		add_reject(pp, bytes, err.kind == ERR_TOO_BIG ? 0 : len, o,
		    err.kind, err.msg);
		return;
	}
	if (m->nparts == 0) {
		add_answer(pp, o, OUTCOME_NOT_A_REPORT, ERR_NONE,
		    "no report part in the message");
		return;
	}
	/* The DKIM rule (doc/mail.md), once for the message. */
	error_clear(&dkim);
	pp->dkim_domain[0] = '\0';
	if (cfg->dkim_authserv_id != NULL &&
	    mail_dkim_verify(m, cfg->dkim_authserv_id, pp->dkim_domain,
	    sizeof(pp->dkim_domain), &dkim) < 0 && dkim.kind == ERR_NOMEM) {
		add_answer(pp, o, OUTCOME_DEFERRED, dkim.kind, dkim.msg);
		return;
	}
	if (m->nleft > 0)
		log_warn("%s: %zu more report parts than the %d taken from one "
		    "message were left out", o->path ? o->path : o->source,
		    m->nleft, MAIL_PARTS_MAX);
	for (i = 0; i < m->nparts; i++) {
		po = *o;
		/* A message file read by the import tool is mail. */
		if (strcmp(po.source, "file") == 0)
			po.source = "mail";
		if (po.message_id == NULL)
			po.message_id = m->message_id;
		po.part = m->parts[i].filename;
		if (pp->dkim_domain[0] != '\0')
			po.dkim_domain = pp->dkim_domain;
		parse_payload(cfg, m->parts[i].data, m->parts[i].len, &po, m,
		    received, dkim.kind != ERR_NONE ? dkim.msg : NULL, pp);
	}
	/* Nothing more is read from the message tree: free it in this
	 * thread, the one that built it, rather than after the store. */
	mail_forget_tree(m);
}

void
pipeline_parse(const struct pipeline_config *cfg, const void *bytes,
	       size_t len, enum input_kind kind, const struct origin *o,
	       int64_t received, struct pipeline_parsed *pp)
{
	memset(&pp->msg, 0, sizeof(pp->msg));
	pp->n = 0;
	pp->replaces = 0;
	pp->received = received;
	if (kind == INPUT_SNIFF)
		kind = decode_sniff(bytes, len) == PAYLOAD_OTHER &&
		    mail_sniff(bytes, len) ? INPUT_MESSAGE : INPUT_REPORT;
	if (kind == INPUT_MESSAGE)
		parse_message(cfg, bytes, len, o, received, pp);
	else
		parse_payload(cfg, bytes, len, o, NULL, received, NULL, pp);
}

int
pipeline_store(struct pipeline *pl, struct pipeline_parsed *pp,
	       pipeline_cb cb, void *arg)
{
	struct pipeline_item *it;
	struct store_put_result put;
	struct error err;
	size_t i;

	for (i = 0; i < pp->n; i++) {
		it = &pp->items[i];
		switch (it->step) {
		case STEP_ANSWER:
			/* A row of the quarantine found no report now: it
			 * stays, with this reason. */
			error_clear(&err);
			if (pp->replaces != 0 &&
			    it->outcome == OUTCOME_NOT_A_REPORT &&
			    store_quarantine_reject(pl->store, pp->replaces,
			    it->reason, &err) < 0)
				answer(cb, arg, OUTCOME_DEFERRED, &it->origin,
				    NULL, err.msg, err.kind);
			else
				answer(cb, arg, it->outcome, &it->origin, NULL,
				    it->reason, it->kind);
			break;
		case STEP_REJECT:
			if (pp->replaces == 0) {
				pipeline_reject(pl, it->bytes, it->len,
				    &it->origin, it->kind, it->reason, cb, arg);
				break;
			}
			error_clear(&err);
			if (store_quarantine_reject(pl->store, pp->replaces,
			    it->reason, &err) < 0)
				answer(cb, arg, OUTCOME_DEFERRED, &it->origin,
				    NULL, err.msg, err.kind);
			else
				answer(cb, arg, OUTCOME_REJECTED, &it->origin,
				    NULL, it->reason, it->kind);
			break;
		case STEP_STORE:
			error_clear(&err);
			if ((pp->replaces == 0 ? store_put_rows(pl->store,
			    it->bytes, it->len, &it->origin, it->rows, &put,
			    &err) : store_quarantine_put_rows(pl->store,
			    pp->replaces, pp->received, it->rows, &put,
			    &err)) < 0)
				answer(cb, arg, OUTCOME_DEFERRED, &it->origin,
				    &it->report, err.msg, err.kind);
			else
				answer_stored(cb, arg, put.kind ==
				    STORE_PUT_DUPLICATE ? OUTCOME_DUPLICATE :
				    OUTCOME_ACCEPTED, &it->origin, &it->report,
				    &put, NULL, ERR_NONE);
			break;
		}
	}
	return (int)pp->n;
}

void
pipeline_parsed_release(struct pipeline_parsed *pp)
{
	size_t i;

	for (i = 0; i < pp->n; i++) {
		store_rows_free(pp->items[i].rows);
		report_release(&pp->items[i].report);
	}
	mail_release(&pp->msg);
	memset(&pp->msg, 0, sizeof(pp->msg));
	pp->n = 0;
}

int
pipeline_submit(struct pipeline *pl, const void *bytes, size_t len,
		enum input_kind kind, const struct origin *o, int64_t received,
		pipeline_cb cb, void *arg)
{
	struct pipeline_parsed *pp = malloc(sizeof(*pp));
	int n;

	if (pp == NULL)
		return -1;
	pipeline_parse(&pl->cfg, bytes, len, kind, o, received, pp);
	n = pipeline_store(pl, pp, cb, arg);
	pipeline_parsed_release(pp);
	free(pp);
	return n;
}
