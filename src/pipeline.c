/* pipeline: see include/pipeline.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "buf.h"
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

static void
answer(pipeline_cb cb, void *arg, enum outcome oc, const struct origin *o,
       const struct report *r, const char *reason, enum error_kind kind)
{
	struct result res = {
		.outcome = oc, .origin = o, .report = r, .reason = reason,
		.error = kind,
	};

	cb(&res, arg);
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

/*
 * From where the submitter is named (TLS-Report-Submitter, else the From
 * address), its domain, for the DKIM rule of RFC 8460 section 5.3.
 */
static const char *
submitter_domain(const struct mail_message *m)
{
	const char *s = m->report_submitter, *at;

	if (s == NULL && m->from != NULL && (at = strrchr(m->from, '@')))
		s = at + 1;
	return s;
}

/* The header says one domain, the JSON another: the JSON wins. */
static void
check_headers(const struct mail_message *m, const struct report *r,
	      const struct origin *o)
{
	const char *dom = report_domain(r);

	if (m->report_domain && dom[0] &&
	    strcasecmp(m->report_domain, dom) != 0)
		log_warn("%s: TLS-Report-Domain says %s but the report is for "
		    "%s; using the report", o->path ? o->path : o->source,
		    m->report_domain, dom);
}

/* A rejected mail part: the reason names the part, so that a person can
 * find it in the message. */
static void
reject_part(struct pipeline *pl, const void *bytes, size_t len,
	    const struct origin *o, const struct mail_message *m,
	    enum error_kind kind, const char *why, pipeline_cb cb, void *arg)
{
	char reason[ERROR_MSG_MAX];
	int n;

	if (m == NULL) {
		pipeline_reject(pl, bytes, len, o, kind, why, cb, arg);
		return;
	}
	n = snprintf(reason, sizeof(reason), "part \"%s\": %s",
	    o->part ? o->part : "(no file name)", why);
	if (n < 0 || (size_t)n >= sizeof(reason))
		memcpy(reason + sizeof(reason) - 4, "...", 4);
	pipeline_reject(pl, bytes, len, o, kind, reason, cb, arg);
}

/* One report payload: decode, parse, store, answer. */
static void
ingest_payload(struct pipeline *pl, const void *bytes, size_t len,
	       const struct origin *o, const struct mail_message *m,
	       pipeline_cb cb, void *arg)
{
	struct report r;
	struct error err;
	struct buf inflated;
	const char *json;
	size_t jsonlen;
	int dup;

	error_clear(&err);
	buf_init(&inflated, pl->cfg.limits.inflated_max);
	if (len > pl->cfg.payload_max) {
		char reason[ERROR_MSG_MAX];

		snprintf(reason, sizeof(reason), "payload of %zu bytes over "
		    "the limit of %zu bytes", len, pl->cfg.payload_max);
		reject_part(pl, bytes, 0, o, m, ERR_TOO_BIG, reason, cb, arg);
		return;
	}
	if (decode_payload(bytes, len, &pl->cfg.limits, &inflated, &json,
	    &jsonlen, &err) < 0 ||
	    report_parse(json, jsonlen, &r, &err) < 0) {
		buf_release(&inflated);
		if (err.kind == ERR_NOMEM || err.kind == ERR_INTERNAL) {
			answer(cb, arg, OUTCOME_DEFERRED, o, NULL, err.msg,
			    err.kind);
			return;
		}
		reject_part(pl, bytes, len, o, m, err.kind, err.msg, cb, arg);
		return;
	}
	buf_release(&inflated);

	if (m != NULL && pl->cfg.dkim_authserv_id != NULL) {
		const char *dom = submitter_domain(m);

		if (dom == NULL || !mail_dkim_pass(m, pl->cfg.dkim_authserv_id,
		    dom)) {
			char reason[ERROR_MSG_MAX];

			snprintf(reason, sizeof(reason), "no dkim=pass for "
			    "the submitter %s in an Authentication-Results "
			    "header of %s", dom ? dom : "(none named)",
			    pl->cfg.dkim_authserv_id);
			report_release(&r);
			reject_part(pl, bytes, len, o, m, ERR_INPUT, reason,
			    cb, arg);
			return;
		}
	}
	if (m != NULL)
		check_headers(m, &r, o);

	if (store_put_report(pl->store, bytes, len, o, &r, &dup, &err) < 0)
		answer(cb, arg, OUTCOME_DEFERRED, o, &r, err.msg, err.kind);
	else
		answer(cb, arg, dup ? OUTCOME_DUPLICATE : OUTCOME_ACCEPTED, o,
		    &r, NULL, ERR_NONE);
	report_release(&r);
}

static int
ingest_message(struct pipeline *pl, const void *bytes, size_t len,
	       const struct origin *o, pipeline_cb cb, void *arg)
{
	struct mail_message m;
	struct origin po;
	struct error err;
	size_t i;

	error_clear(&err);
	memset(&m, 0, sizeof(m));
	if (len > pl->cfg.message_max) {
		char reason[ERROR_MSG_MAX];

		snprintf(reason, sizeof(reason), "message of %zu bytes over "
		    "the limit of %zu bytes", len, pl->cfg.message_max);
		pipeline_reject(pl, bytes, 0, o, ERR_TOO_BIG, reason, cb, arg);
		return 1;
	}
	if (mail_parse(bytes, len, pl->cfg.payload_max, &m, &err) < 0) {
		mail_release(&m);
		if (err.kind == ERR_NOMEM) {
			answer(cb, arg, OUTCOME_DEFERRED, o, NULL, err.msg,
			    err.kind);
			return 1;
		}
		pipeline_reject(pl, bytes, err.kind == ERR_TOO_BIG ? 0 : len,
		    o, err.kind, err.msg, cb, arg);
		return 1;
	}
	if (m.nparts == 0) {
		answer(cb, arg, OUTCOME_NOT_A_REPORT, o, NULL,
		    "no report part in the message", ERR_NONE);
		mail_release(&m);
		return 1;
	}
	for (i = 0; i < m.nparts; i++) {
		po = *o;
		/* A message file read by the import tool is mail. */
		if (strcmp(po.source, "file") == 0)
			po.source = "mail";
		if (po.message_id == NULL)
			po.message_id = m.message_id;
		po.part = m.parts[i].filename;
		ingest_payload(pl, m.parts[i].data, m.parts[i].len, &po, &m,
		    cb, arg);
	}
	mail_release(&m);
	return (int)i;
}

int
pipeline_submit(struct pipeline *pl, const void *bytes, size_t len,
		enum input_kind kind, const struct origin *o, pipeline_cb cb,
		void *arg)
{
	if (kind == INPUT_SNIFF)
		kind = decode_sniff(bytes, len) == PAYLOAD_OTHER &&
		    mail_sniff(bytes, len) ? INPUT_MESSAGE : INPUT_REPORT;
	if (kind == INPUT_MESSAGE)
		return ingest_message(pl, bytes, len, o, cb, arg);
	ingest_payload(pl, bytes, len, o, NULL, cb, arg);
	return 1;
}
