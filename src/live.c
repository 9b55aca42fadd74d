/* live: see include/live.h. The checks of one domain, in the order of
 * doc/live.md. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>

#include "dnsname.h"
#include "fmt.h"
#include "live.h"
#include "live_dns.h"
#include "live_policy.h"
#include "live_smtp.h"
#include "policy.h"
#include "rfc3339.h"
#include "banned.h"

struct live {
	const struct live_options *o;
	struct dns *dns;
	/* Without validation, once the resolver proved to give no DNSSEC
	 * data (lookup()); then every lookup goes here. */
	struct dns *plain;
	int dnssec_seen;	/* an answer validated: the resolver carries
				 * DNSSEC, a bogus answer is the zone's */
	char dnssec_why[512];	/* why the anchor's DNSKEY did not validate */
	gnutls_certificate_credentials_t cred;
	int curl;		/* libcurl's global set-up done */
};

const char live_options_help[] =
    "  --resolver ADDR[@PORT]  send DNS queries to this server only\n"
    "                          (default: the servers of /etc/resolv.conf)\n"
    "  --trust-anchor FILE     DNSSEC trust anchors (DS or DNSKEY records;\n"
    "                          default the root key; \"none\": no validation)\n"
    "  --ca-file FILE          trust only these CA certificates (PEM)\n"
    "  --connect-to H:P:A:P    connect to address A port P for host H\n"
    "                          port P, as curl's (HTTPS and SMTP)\n"
    "  --dns-timeout S         seconds per DNS lookup (default 5)\n"
    "  --http-timeout S        seconds for the policy fetch (default 10)\n"
    "  --smtp-timeout S        seconds per MX address probe (default 20)\n"
    "  --no-smtp               do not connect to the MX hosts on port 25\n";

void
live_options_default(struct live_options *o)
{
	char host[200];

	memset(o, 0, sizeof(*o));
	o->dns_timeout = 5;
	o->http_timeout = 10;
	o->smtp_timeout = 20;
	o->now = (int64_t)time(NULL);
	/* EHLO wants a fully qualified name (RFC 5321 4.1.4). */
	if (gethostname(host, sizeof(host)) == 0 && memchr(host, '\0',
	    sizeof(host)) && strchr(host, '.'))
		memcpy(o->ehlo, host, strlen(host) + 1);
	else
		memcpy(o->ehlo, "tlsrpt-check.invalid", 21);
}

static int
parse_port(const char *s, size_t n, int *port)
{
	size_t i;
	long v = 0;

	*port = 0;
	if (n == 0)
		return 0;
	if (n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* HOST:PORT:ADDR:PORT, ADDR an IP address ("[v6]" in brackets). */
static int
parse_connect_to(struct live_connect_to *c, const char *v)
{
	const char *p1 = strchr(v, ':'), *p2, *a, *ae, *p3;
	unsigned char bin[16];

	memset(c, 0, sizeof(*c));
	if (p1 == NULL || (size_t)(p1 - v) >= sizeof(c->host))
		return -1;
	memcpy(c->host, v, (size_t)(p1 - v));
	domain_normalise(c->host);
	if ((p2 = strchr(p1 + 1, ':')) == NULL ||
	    parse_port(p1 + 1, (size_t)(p2 - p1 - 1), &c->port) < 0)
		return -1;
	a = p2 + 1;
	if (*a == '[') {
		if ((ae = strchr(a, ']')) == NULL || ae[1] != ':')
			return -1;
		a++;
		p3 = ae + 1;
	} else {
		if ((p3 = strrchr(a, ':')) == NULL)
			return -1;
		ae = p3;
	}
	if (ae == a || (size_t)(ae - a) >= sizeof(c->addr))
		return -1;
	memcpy(c->addr, a, (size_t)(ae - a));
	if (inet_pton(AF_INET, c->addr, bin) != 1 &&
	    inet_pton(AF_INET6, c->addr, bin) != 1)
		return -1;
	return parse_port(p3 + 1, strlen(p3 + 1), &c->addr_port);
}

static int
parse_seconds(const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > LIVE_TIMEOUT_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

int
live_option_set(struct live_options *o, const char *name, const char *value,
		struct error *err)
{
	if (strcmp(name, "no-smtp") == 0) {
		o->no_smtp = 1;
		return 0;
	}
	if (value == NULL)
		return 1;
	if (strcmp(name, "resolver") == 0)
		o->resolver = value;
	else if (strcmp(name, "trust-anchor") == 0)
		o->trust_anchor = value;
	else if (strcmp(name, "ca-file") == 0) {
		if (access(value, R_OK) < 0)
			return error_set(err, ERR_INPUT, "--ca-file: %s: %s",
			    value, strerror(errno));
		o->ca_file = value;
	} else if (strcmp(name, "connect-to") == 0) {
		if (o->nconnect_to == LIVE_CONNECT_TO_MAX)
			return error_set(err, ERR_INPUT, "--connect-to: more "
			    "than %d", LIVE_CONNECT_TO_MAX);
		if (parse_connect_to(&o->connect_to[o->nconnect_to], value) < 0)
			return error_set(err, ERR_INPUT, "--connect-to: \"%s\" "
			    "is not HOST:PORT:ADDR:PORT with an IP address",
			    value);
		o->nconnect_to++;
	} else if (strcmp(name, "dns-timeout") == 0 ||
	    strcmp(name, "http-timeout") == 0 ||
	    strcmp(name, "smtp-timeout") == 0) {
		int *t = name[0] == 'd' ? &o->dns_timeout : name[0] == 'h' ?
		    &o->http_timeout : &o->smtp_timeout;

		if (parse_seconds(value, t) < 0)
			return error_set(err, ERR_INPUT, "--%s: \"%s\" is not "
			    "a number of seconds from 1 to %d", name, value,
			    LIVE_TIMEOUT_MAX);
	} else
		return 1;
	return 0;
}

const struct live_connect_to *
live_connect_to_find(const struct live_options *o, const char *host,
		     int port)
{
	size_t i;

	for (i = 0; i < o->nconnect_to; i++) {
		const struct live_connect_to *c = &o->connect_to[i];

		if ((c->host[0] == '\0' || strcasecmp(c->host, host) == 0) &&
		    (c->port == 0 || c->port == port))
			return c;
	}
	return NULL;
}

void
live_free(struct live *lv)
{
	if (lv == NULL)
		return;
	dns_free(lv->dns);
	dns_free(lv->plain);
	if (lv->cred)
		gnutls_certificate_free_credentials(lv->cred);
	if (lv->curl)
		live_fetch_global_cleanup();
	free(lv);
}

struct live *
live_new(const struct live_options *o, struct error *err)
{
	struct live *lv;
	int rc;

	if ((lv = calloc(1, sizeof(*lv))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	lv->o = o;
	if (live_fetch_global_init(err) < 0) {
		free(lv);
		return NULL;
	}
	lv->curl = 1;
	if ((lv->dns = dns_new(o->resolver, o->trust_anchor, o->dns_timeout,
	    err)) == NULL)
		goto fail;
	if ((rc = gnutls_certificate_allocate_credentials(&lv->cred)) < 0) {
		error_set(err, ERR_INTERNAL, "GnuTLS: %s", gnutls_strerror(rc));
		goto fail;
	}
	rc = o->ca_file ? gnutls_certificate_set_x509_trust_file(lv->cred,
	    o->ca_file, GNUTLS_X509_FMT_PEM) :
	    gnutls_certificate_set_x509_system_trust(lv->cred);
	if (rc <= 0 && o->ca_file) {
		error_set(err, ERR_INPUT, "--ca-file: %s: no PEM certificate "
		    "(%s)", o->ca_file, rc < 0 ? gnutls_strerror(rc) : "none");
		goto fail;
	}
	return lv;
fail:
	live_free(lv);
	return NULL;
}

/*
 * dns_lookup through the validating resolver, until it proves to give no
 * DNSSEC data. A bogus answer is believed only when the trust anchor's
 * own DNSKEY validates: a resolver that drops the DO bit or the
 * signatures (many home routers and forwarders) makes every answer
 * bogus, which says nothing of the domain. Then this lookup and every
 * later one go to the same resolver without validation, and
 * live_dnssec() says so once.
 */
static int
lookup(struct live *lv, const char *name, int type, struct dns_answer *a,
       struct error *err)
{
	struct dns_answer k;
	const char *zone = dns_anchor(lv->dns);

	if (lv->plain != NULL)
		return dns_lookup(lv->plain, name, type, a, err);
	if (dns_lookup(lv->dns, name, type, a, err) < 0)
		return -1;
	if (a->security == DNS_SECURE)
		lv->dnssec_seen = 1;
	if (a->security != DNS_BOGUS || lv->dnssec_seen || zone == NULL)
		return 0;
	if (dns_lookup(lv->dns, zone, 48, &k, err) < 0) {
		dns_answer_release(a);
		return -1;
	}
	if (k.security == DNS_SECURE) {
		lv->dnssec_seen = 1;
		dns_answer_release(&k);
		return 0;
	}
	if (k.security == DNS_BOGUS || (!k.timed_out && k.rcode == 0))
		fmt_cut(lv->dnssec_why, sizeof(lv->dnssec_why), "%s",
		    k.security == DNS_BOGUS ? k.why_bogus : a->why_bogus);
	else
		fmt_cut(lv->dnssec_why, sizeof(lv->dnssec_why), "no answer for "
		    "the DNSKEY of %s (%s); %s", zone, k.timed_out ? "timeout" :
		    dns_rcode_name(k.rcode), a->why_bogus);
	dns_answer_release(&k);
	dns_answer_release(a);
	if ((lv->plain = dns_new(lv->o->resolver, "none", lv->o->dns_timeout,
	    err)) == NULL)
		return -1;
	return dns_lookup(lv->plain, name, type, a, err);
}

int
live_dnssec_warning(const struct live *lv, char *msg, size_t len)
{
	if (lv->plain == NULL)
		return 0;
	fmt_cut(msg, len, "the resolver %s%s gives no DNSSEC data that "
	    "validates from the trust anchor \"%s\": DNSSEC and DANE were "
	    "not checked; name a validating resolver with --resolver to "
	    "check them", lv->o->resolver ? "" : "of ", lv->o->resolver ?
	    lv->o->resolver : "/etc/resolv.conf", dns_anchor(lv->dns));
	return 1;
}

int
live_dnssec_json(const struct live *lv, json_t *doc)
{
	char msg[512];
	json_t *w;

	/* Never both: once the resolver proved to give no DNSSEC data,
	 * nothing is validated any more (lookup()). */
	if (!lv->dnssec_seen && lv->plain == NULL)
		return 0;
	if (json_object_set_new(doc, "resolver_dnssec", json_boolean(
	    lv->dnssec_seen)) < 0)
		return -1;
	if (!live_dnssec_warning(lv, msg, sizeof(msg)))
		return 0;
	if ((w = json_object_get(doc, "warnings")) == NULL &&
	    json_object_set_new(doc, "warnings", w = json_array()) < 0)
		return -1;
	return json_array_append_new(w, json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "code", "resolver-without-dnssec", "kind", "warning", "message",
	    msg, "trust_anchor", dns_anchor(lv->dns), "why_bogus",
	    lv->dnssec_why));
}

/* One domain being checked. */
struct run {
	struct live *lv;
	const char *domain;
	json_t *checks, *findings;
	char *mx[LIVE_MX_MAX];		/* MX hosts, by preference */
	size_t nmx;
	int mx_secure;
	struct sts_policy policy;
	int have_policy;
};

static void
finding(struct run *r, json_t *check, const char *code, const char *kind,
	json_t *evidence, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/*
 * A finding shaped as a verdict reason; the check it comes from takes
 * the worst kind as its status.
 */
static void
finding(struct run *r, json_t *check, const char *code, const char *kind,
	json_t *evidence, const char *step, const char *fmt, ...)
{
	static const char *const order[] = { "ok", "warning", "insufficient",
	    "blocking" };
	char msg[1024];
	const char *cur;
	va_list ap;
	json_t *f;
	int i, ci = 0, ki = 0;

	va_start(ap, fmt);
	vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f = json_pack("{s:s, s:s, s:s, s:s}", "code", code, "kind", kind,
	    "message", msg, "next_step", step);
	if (f && evidence)
		json_object_update(f, evidence);
	json_decref(evidence);
	json_array_append_new(r->findings, f);
	cur = json_string_value(json_object_get(check, "status"));
	for (i = 0; i < 4; i++) {
		if (cur && strcmp(cur, order[i]) == 0)
			ci = i;
		if (strcmp(kind, order[i]) == 0)
			ki = i;
	}
	if (ki > ci)
		json_object_set_new(check, "status", json_string(order[ki] ==
		    order[2] ? "error" : order[ki]));
}

static json_t *
check_new(struct run *r, const char *name)
{
	json_t *c = json_pack("{s:s}", "status", "ok");

	json_object_set_new(r->checks, name, c);
	return c;
}

static json_t *
time_json(int64_t t)
{
	char buf[RFC3339_LEN];

	rfc3339_format(t, buf);
	return json_string(buf);
}

/* The security and rcode of an answer, into a check's evidence. */
static void
dns_evidence(const struct run *r, json_t *c, const struct dns_answer *a)
{
	json_object_set_new(c, "dnssec", json_string(r->lv->plain ?
	    "not-checked" : dns_security_name(a->security)));
	json_object_set_new(c, "rcode", json_string(a->timed_out ? "timeout" :
	    dns_rcode_name(a->rcode)));
	if (a->security == DNS_BOGUS)
		json_object_set_new(c, "why_bogus", json_string(a->why_bogus));
}

static int
check_mx(struct run *r, struct error *err)
{
	struct dns_answer a;
	json_t *c = check_new(r, "mx"), *hosts = json_array();
	size_t i, j;

	if (lookup(r->lv, r->domain, 15, &a, err) < 0)
		return -1;
	dns_evidence(r, c, &a);
	json_object_set_new(c, "hosts", hosts);
	if (a.timed_out || (a.rcode == 2 && a.security != DNS_BOGUS)) {
		error_set(err, ERR_BUSY, "DNS: no answer for the MX records "
		    "of %s (%s): check the network, or name a resolver with "
		    "--resolver", r->domain, a.timed_out ? "timeout" :
		    "SERVFAIL");
		dns_answer_release(&a);
		return -1;
	}
	if (a.security == DNS_BOGUS) {
		finding(r, c, "dnssec-bogus", "blocking", json_pack("{s:s, s:s,"
		    " s:s}", "check", "mx", "name", r->domain, "why_bogus",
		    a.why_bogus), "Fix the DNSSEC signatures of the zone (or "
		    "its DS record at the parent): validating senders cannot "
		    "find the MX hosts at all.", "the MX records of %s fail "
		    "DNSSEC validation: %s", r->domain, a.why_bogus);
		dns_answer_release(&a);
		return 0;
	}
	r->mx_secure = a.security == DNS_SECURE;
	/* Sort by preference, a stable insertion sort of at most 32. */
	for (i = 0; i < a.n && r->nmx < LIVE_MX_MAX; i++) {
		int best = -1;

		for (j = 0; j < a.n; j++)
			if (a.rr.mx[j].host[0] != '\1' && (best < 0 ||
			    a.rr.mx[j].pref < a.rr.mx[best].pref))
				best = (int)j;
		if (best < 0)
			break;
		json_array_append_new(hosts, json_pack("{s:s, s:i}", "host",
		    a.rr.mx[best].host, "preference", a.rr.mx[best].pref));
		if (a.rr.mx[best].host[0] && (r->mx[r->nmx] = strdup(
		    domain_normalise(a.rr.mx[best].host))) != NULL)
			r->nmx++;
		a.rr.mx[best].host[0] = '\1';
	}
	if (r->nmx == 0)
		finding(r, c, "mx-records-missing", "blocking", json_pack(
		    "{s:s}", "check", "mx"), "Publish MX records for the "
		    "domain: MTA-STS applies to MX hosts only.", "%s has no "
		    "MX host (%s): MTA-STS applies to MX hosts only (RFC 8461 "
		    "4.1)", r->domain, a.rcode == 3 ? "NXDOMAIN" : a.n ?
		    "null MX" : "no MX record");
	dns_answer_release(&a);
	return 0;
}

/* The TXT records at name; a lookup that failed is a finding. */
static int
txt_lookup(struct run *r, json_t *c, const char *name, struct dns_answer *a,
	   struct error *err)
{
	json_t *recs = json_array();
	size_t i;

	if (lookup(r->lv, name, 16, a, err) < 0)
		return -1;
	json_object_set_new(c, "name", json_string(name));
	dns_evidence(r, c, a);
	for (i = 0; i < a->n; i++)
		json_array_append_new(recs, json_string(a->rr.txt[i]));
	json_object_set_new(c, "records", recs);
	return 0;
}

/*
 * The two TXT records a domain publishes, checked alike: exactly one
 * record of the version, and valid. They differ in the finding (a policy
 * senders cannot find blocks; reports that do not come only warn) and in
 * what a valid record adds to the check.
 */
struct txt_record {
	const char *check;	/* the check's name */
	const char *label;	/* where it is published, below the domain */
	const char *version;	/* the first field of the record */
	const char *count;	/* the JSON key of how many there are */
	const char *list;	/* a JSON array the check always has, or NULL */
	const char *code, *kind;	/* the finding */
	const char *step;
	const char *none;	/* what no record means */
	const char *many;	/* what several mean, and the rule */
	/* LIVE_RECORD_*; a valid record's fields into the check c */
	enum live_record (*parse)(const char *txt, json_t *c, char *why,
				  size_t whylen);
};

static enum live_record
sts_parse(const char *txt, json_t *c, char *why, size_t whylen)
{
	char id[STS_ID_MAX + 1];
	enum live_record k = live_sts_record(txt, id, why, whylen);

	if (k == LIVE_RECORD_VALID)
		json_object_set_new(c, "id", json_string(id));
	return k;
}

static enum live_record
tlsrpt_parse(const char *txt, json_t *c, char *why, size_t whylen)
{
	json_t *one = json_array();
	enum live_record k = live_tlsrpt_record(txt, one, why, whylen);

	if (k == LIVE_RECORD_VALID)
		json_array_extend(json_object_get(c, "rua"), one);
	json_decref(one);
	return k;
}

static const struct txt_record sts_record = {
	"sts_record", "_mta-sts", "v=STSv1", "sts_records", NULL,
	"sts-record-invalid", "blocking",
	"Publish exactly one TXT record \"v=STSv1; id=...\" at _mta-sts of "
	"the domain, the id 1 to 32 letters and digits.",
	"senders see no MTA-STS policy",
	"senders ignore the policy unless there is exactly one (RFC 8461 3.1)",
	sts_parse,
};

static const struct txt_record tlsrpt_record = {
	"tlsrpt_record", "_smtp._tls", "v=TLSRPTv1", "tlsrpt_records", "rua",
	"tlsrpt-record-missing", "warning",
	"Publish exactly one TXT record \"v=TLSRPTv1; rua=mailto:...\" at "
	"_smtp._tls of the domain, so that senders send reports.",
	"senders send no reports",
	"senders send reports only when there is exactly one (RFC 8460 3)",
	tlsrpt_parse,
};

/*
 * No DNS answer is a failed check, to run again; an answer that fails
 * DNSSEC validation is not believed, and is the record's finding.
 */
static int
check_txt_record(struct run *r, const struct txt_record *t,
		 struct error *err)
{
	json_t *c = check_new(r, t->check);
	char name[300], why[200], lastwhy[200] = "";
	struct dns_answer a;
	size_t i, n = 0, valid = 0;
	enum live_record k;
	int w;

	if (t->list != NULL)
		json_object_set_new(c, t->list, json_array());
	w = snprintf(name, sizeof(name), "%s.%s", t->label, r->domain);
	if (w < 0 || (size_t)w >= sizeof(name))
		return error_set(err, ERR_INPUT, "domain too long");
	if (txt_lookup(r, c, name, &a, err) < 0)
		return -1;
	if (a.timed_out || (a.rcode == 2 && a.security != DNS_BOGUS)) {
		finding(r, c, "live-check-failed", "insufficient", json_pack(
		    "{s:s, s:s}", "check", t->check, "name", name),
		    "Run the live checks again when DNS answers.", "no DNS "
		    "answer for %s (%s)", name, a.timed_out ? "timeout" :
		    "SERVFAIL");
		goto done;
	}
	if (a.security == DNS_BOGUS) {
		finding(r, c, t->code, t->kind, json_pack("{s:s, s:s, s:s}",
		    "check", t->check, "name", name, "why_bogus", a.why_bogus),
		    "Fix the DNSSEC signatures of the zone.", "the TXT record "
		    "at %s fails DNSSEC validation: %s", name, a.why_bogus);
		goto done;
	}
	for (i = 0; i < a.n; i++) {
		k = t->parse(a.rr.txt[i], c, why, sizeof(why));
		if (k == LIVE_RECORD_OTHER)
			continue;
		n++;
		if (k == LIVE_RECORD_VALID)
			valid++;
		else
			memcpy(lastwhy, why, sizeof(why));
	}
	json_object_set_new(c, t->count, json_integer((json_int_t)n));
	if (n == 0)
		finding(r, c, t->code, t->kind, json_pack("{s:s, s:s}",
		    "check", t->check, "name", name), t->step, "no \"%s\" TXT "
		    "record at %s: %s", t->version, name, t->none);
	else if (n > 1)
		finding(r, c, t->code, t->kind, json_pack("{s:s, s:s, s:I}",
		    "check", t->check, "name", name, t->count, (json_int_t)n),
		    t->step, "%zu \"%s\" TXT records at %s: %s", n, t->version,
		    name, t->many);
	else if (valid == 0)
		finding(r, c, t->code, t->kind, json_pack("{s:s, s:s, s:s}",
		    "check", t->check, "name", name, "problem", lastwhy),
		    t->step, "the \"%s\" TXT record at %s is invalid: %s",
		    t->version, name, lastwhy);
done:
	dns_answer_release(&a);
	return 0;
}

/*
 * The A and AAAA addresses of host, at most LIVE_ADDRS_MAX. bogus is
 * set when either answer fails validation (its addresses are dropped).
 */
static int
lookup_addrs(struct run *r, const char *host, char (*addrs)[48], size_t *n,
	     int *bogus, char *why, size_t whylen, struct error *err)
{
	static const int types[] = { 1, 28 };
	struct dns_answer a;
	size_t t, i;

	*n = 0;
	*bogus = 0;
	for (t = 0; t < 2; t++) {
		if (lookup(r->lv, host, types[t], &a, err) < 0)
			return -1;
		if (a.security == DNS_BOGUS) {
			*bogus = 1;
			fmt_cut(why, whylen, "%s", a.why_bogus);
		}
		for (i = 0; a.security != DNS_BOGUS && i < a.n &&
		    *n < LIVE_ADDRS_MAX; i++)
			memcpy(addrs[(*n)++], a.rr.addr[i], 48);
		dns_answer_release(&a);
	}
	return 0;
}

static int
check_policy(struct run *r, struct error *err)
{
	json_t *c = check_new(r, "policy"), *lines = NULL, *problems = NULL;
	char host[300], url[400], addrs[LIVE_ADDRS_MAX][48], why[256] = "";
	const struct live_connect_to *ct;
	struct live_fetch f;
	const char *step;
	size_t naddrs = 0, i;
	int bogus = 0, w, rc = -1;

	memset(&f, 0, sizeof(f));
	w = snprintf(host, sizeof(host), "mta-sts.%s", r->domain);
	if (w < 0 || (size_t)w >= sizeof(host))
		return error_set(err, ERR_INPUT, "domain too long");
	w = snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt",
	    host);
	if (w < 0 || (size_t)w >= sizeof(url))
		return error_set(err, ERR_INPUT, "domain too long");
	json_object_set_new(c, "url", json_string(url));
	step = "Serve the policy at https://mta-sts.<domain>/.well-known/"
	    "mta-sts.txt itself: status 200, no redirect, text/plain, over "
	    "a certificate from a public CA valid for that host name.";
	ct = live_connect_to_find(r->lv->o, host, 443);
	if (ct == NULL) {
		if (lookup_addrs(r, host, addrs, &naddrs, &bogus, why,
		    sizeof(why), err) < 0)
			return -1;
		if (naddrs == 0) {
			finding(r, c, "policy-unreachable", "blocking",
			    json_pack("{s:s, s:s, s:s?}", "check", "policy",
			    "host", host, "why_bogus", bogus ? why : NULL),
			    step, bogus ? "the address of %s fails DNSSEC "
			    "validation: %s" : "%s has no address%s: the policy "
			    "cannot be fetched", host, why);
			return 0;
		}
	}
	if (live_fetch_policy(r->lv->o, host, (const char (*)[48])addrs,
	    naddrs, &f, err) < 0)
		goto done;
	if (f.address[0])
		json_object_set_new(c, "address", json_string(f.address));
	if (f.status > 0)
		json_object_set_new(c, "http_status", json_integer(f.status));
	if (f.content_type[0])
		json_object_set_new(c, "content_type",
		    json_string(f.content_type));
	if (!f.done) {
		json_object_set_new(c, "error", json_string(f.error));
		finding(r, c, "policy-unreachable", "blocking", json_pack(
		    "{s:s, s:s, s:s, s:b, s:b, s:b}", "check", "policy", "url",
		    url, "error", f.error, "certificate_refused",
		    f.cert_failed, "timed_out", f.timed_out, "too_big",
		    f.too_big), step, "the policy at %s could not be fetched: "
		    "%s", url, f.error);
		rc = 0;
		goto done;
	}
	if (f.status != 200) {
		if (f.location[0])
			json_object_set_new(c, "location",
			    json_string(f.location));
		finding(r, c, "policy-unreachable", "blocking", json_pack(
		    "{s:s, s:s, s:I, s:s?}", "check", "policy", "url", url,
		    "http_status", (json_int_t)f.status, "location",
		    f.location[0] ? f.location : NULL), step, f.location[0] ?
		    "%s answers %ld, a redirect to %s: senders never follow "
		    "redirects (RFC 8461 3.3)" : "%s answers %ld%.0s, not 200",
		    url, f.status, f.location);
		rc = 0;
		goto done;
	}
	lines = json_array();
	problems = json_array();
	json_object_set_new(c, "size", json_integer((json_int_t)f.body.len));
	if (live_policy_parse(f.body.data ? f.body.data : "", f.body.len,
	    &r->policy, lines, problems, err) < 0)
		goto done;
	r->have_policy = 1;
	json_object_set(c, "lines", lines);
	json_object_set_new(c, "mode", json_string(r->policy.mode));
	json_object_set_new(c, "max_age", json_integer(r->policy.max_age));
	{
		json_t *mx = json_array();

		for (i = 0; i < r->policy.nmx; i++)
			json_array_append_new(mx, json_string(r->policy.mx[i]));
		json_object_set_new(c, "mx", mx);
	}
	json_object_set(c, "problems", problems);
	if (json_array_size(problems) > 0)
		finding(r, c, "policy-invalid", "blocking", json_pack("{s:s, "
		    "s:s, s:O}", "check", "policy", "url", url, "problems",
		    problems), "Correct the policy file: \"version: STSv1\", "
		    "\"mode: testing|enforce|none\", one \"mx:\" line per MX "
		    "host or *.pattern, \"max_age:\" in seconds (at most "
		    "31557600).", "the policy at %s is invalid: %s", url,
		    json_string_value(json_array_get(problems, 0)));
	rc = 0;
done:
	json_decref(lines);
	json_decref(problems);
	live_fetch_release(&f);
	return rc;
}

/* RFC 8461 4.1: every MX against the patterns, every pattern used. */
static void
check_mx_in_policy(struct run *r)
{
	json_t *mxs = json_array(), *pats = json_array();
	size_t i, j;

	json_object_set_new(r->checks, "mx_in_policy", mxs);
	json_object_set_new(r->checks, "mx_patterns", pats);
	if (!r->have_policy || r->policy.nmx == 0)
		return;
	for (i = 0; i < r->nmx; i++) {
		const char *by = NULL;
		json_t *c;

		for (j = 0; j < r->policy.nmx && by == NULL; j++)
			if (sts_mx_match(r->policy.mx[j], r->mx[i]))
				by = r->policy.mx[j];
		c = json_pack("{s:s, s:s, s:s?}", "status", "ok", "host",
		    r->mx[i], "matched_by", by);
		json_array_append_new(mxs, c);
		if (by == NULL)
			finding(r, c, "mx-missing-from-policy", "blocking",
			    json_pack("{s:s, s:s, s:O}", "check",
			    "mx_in_policy", "mx", r->mx[i], "mx_patterns",
			    json_object_get(json_object_get(r->checks,
			    "policy"), "mx")), "Add an \"mx:\" line for each MX "
			    "host to the policy (\"*.\" stands for one label "
			    "only), then change the id of the _mta-sts TXT "
			    "record.", "the MX host %s matches no mx line of "
			    "the policy: senders would refuse to deliver to it "
			    "under enforce", r->mx[i]);
	}
	for (j = 0; j < r->policy.nmx; j++) {
		json_t *hosts = json_array(), *c;

		for (i = 0; i < r->nmx; i++)
			if (sts_mx_match(r->policy.mx[j], r->mx[i]))
				json_array_append_new(hosts,
				    json_string(r->mx[i]));
		c = json_pack("{s:s, s:s, s:O}", "status", "ok", "pattern",
		    r->policy.mx[j], "matches", hosts);
		json_array_append_new(pats, c);
		if (json_array_size(hosts) == 0)
			finding(r, c, "mx-pattern-unused", "warning", json_pack(
			    "{s:s, s:s}", "check", "mx_patterns", "pattern",
			    r->policy.mx[j]), "Remove the mx line that matches "
			    "no MX host, or check that it names the host you "
			    "meant.", "the policy line \"mx: %s\" matches none "
			    "of the MX hosts", r->policy.mx[j]);
		json_decref(hosts);
	}
}

static const char *const fault_names[] = { "expired", "not-yet-valid",
    "wrong-name", "untrusted", "other" };

static void
smtp_findings(struct run *r, json_t *c, const char *mx,
	      const struct live_smtp *p)
{
	int64_t max_age = r->have_policy && r->policy.max_age > 0 ?
	    r->policy.max_age : 0;
	json_t *faults;
	size_t i;

	if (!p->connected || p->banner[0] == '\0' ||
	    strncmp(p->banner, "220", 3) != 0) {
		finding(r, c, "mx-unreachable", "warning", json_pack("{s:s, "
		    "s:s, s:s, s:s}", "check", "smtp", "mx", mx, "address",
		    p->address, "error", p->error), "Check that the MX host "
		    "accepts connections on port 25 from the Internet (this "
		    "network may block outbound port 25: see --no-smtp).",
		    "%s (%s) could not be probed: %s", mx, p->address,
		    p->error);
		return;
	}
	if (!p->starttls_offered || !p->tls) {
		finding(r, c, "mx-no-starttls", "blocking", json_pack("{s:s, "
		    "s:s, s:s, s:b, s:s}", "check", "smtp", "mx", mx,
		    "address", p->address, "starttls_offered",
		    p->starttls_offered, "error", p->error), "Enable STARTTLS "
		    "on the MX host, with a certificate valid for its name.",
		    p->starttls_offered ? "%s (%s) offers STARTTLS but TLS "
		    "fails: %s" : "%s (%s) does not offer STARTTLS%.0s: senders "
		    "would refuse to deliver under enforce", mx, p->address,
		    p->error);
		return;
	}
	if (p->cert_faults) {
		faults = json_array();
		for (i = 0; i < 5; i++)
			if (p->cert_faults & (1u << i))
				json_array_append_new(faults,
				    json_string(fault_names[i]));
		finding(r, c, "mx-cert-invalid", "blocking", json_pack("{s:s, "
		    "s:s, s:s, s:o, s:s, s:o}", "check", "smtp", "mx", mx,
		    "address", p->address, "faults", faults, "verify",
		    p->verify, "not_after", p->have_cert ?
		    time_json(p->not_after) : json_null()), "Install on the "
		    "MX host a certificate from a public CA, valid now, whose "
		    "names include the MX host name, with its full chain.",
		    "the certificate of %s (%s) is not valid for it: %s", mx,
		    p->address, p->verify);
	} else if (p->have_cert && p->not_after < r->lv->o->now + max_age) {
		finding(r, c, "mx-cert-expires-soon", "warning", json_pack(
		    "{s:s, s:s, s:s, s:o, s:I}", "check", "smtp", "mx", mx,
		    "address", p->address, "not_after",
		    time_json(p->not_after), "max_age", (json_int_t)max_age),
		    "Renew the certificate of the MX host before it expires, "
		    "and automate its renewal.", "the certificate of %s (%s) "
		    "expires before now + max_age (%lld s): senders caching "
		    "the policy would refuse it once it expires", mx,
		    p->address, (long long)max_age);
	}
	if (p->dane == 0)
		finding(r, c, "mx-dane-mismatch", "warning", json_pack("{s:s, "
		    "s:s, s:s, s:s}", "check", "smtp", "mx", mx, "address",
		    p->address, "detail", p->dane_detail), "Update the TLSA "
		    "records of the MX host to match its certificate: DANE "
		    "senders refuse it.", "no TLSA record of %s matches the "
		    "certificate at %s: %s", mx, p->address, p->dane_detail);
}

/* One MX address's probe; plain: the resolver gave no DNSSEC data. */
static json_t *
smtp_json(const char *mx, const struct live_smtp *p, int plain)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:b}", "status",
	    "ok", "mx", mx, "address", p->address, "connected", p->connected,
	    "banner", p->banner, "starttls_offered", p->starttls_offered,
	    "tls", p->tls);

	if (p->error[0])
		json_object_set_new(c, "error", json_string(p->error));
	if (p->tls_version[0])
		json_object_set_new(c, "tls_version",
		    json_string(p->tls_version));
	if (p->have_cert)
		json_object_set_new(c, "certificate", json_pack("{s:s, s:s, "
		    "s:s, s:o, s:o, s:s}", "subject", p->subject, "issuer",
		    p->issuer, "names", p->names, "not_before",
		    time_json(p->not_before), "not_after",
		    time_json(p->not_after), "verify", p->cert_faults ?
		    p->verify : "ok"));
	/* Without DNSSEC data no answer was validated: not failed, unknown. */
	if (plain)
		json_object_set_new(c, "dane", json_pack("{s:b, s:s}",
		    "checked", 0, "detail", "not checked: the resolver gives no "
		    "DNSSEC data"));
	else if (p->dane >= 0)
		json_object_set_new(c, "dane", json_pack("{s:b, s:b, s:s}",
		    "checked", 1, "match", p->dane, "detail", p->dane_detail));
	return c;
}

static int
check_smtp(struct run *r, struct error *err)
{
	json_t *list = json_array();
	char addrs[LIVE_ADDRS_MAX][48], why[256], name[300];
	struct dns_answer tlsa;
	struct live_smtp p;
	size_t i, k, n;
	int bogus, w;

	json_object_set_new(r->checks, "smtp", list);
	if (r->lv->o->no_smtp)
		return 0;
	for (i = 0; i < r->nmx; i++) {
		const struct live_connect_to *ct = live_connect_to_find(
		    r->lv->o, r->mx[i], 25);
		const struct dns_answer *ta = NULL;

		memset(&tlsa, 0, sizeof(tlsa));
		/* RFC 7672 2.2: TLSA only below a secure MX answer, and
		 * only secure TLSA records count. */
		w = snprintf(name, sizeof(name), "_25._tcp.%s", r->mx[i]);
		if (r->mx_secure && w > 0 && (size_t)w < sizeof(name)) {
			if (lookup(r->lv, name, 52, &tlsa, err) < 0)
				return -1;
			if (tlsa.security == DNS_SECURE && tlsa.n > 0)
				ta = &tlsa;
		}
		if (ct) {
			n = 1;
			memcpy(addrs[0], ct->addr, sizeof(ct->addr) < 48 ?
			    sizeof(ct->addr) : 48);
			addrs[0][47] = '\0';
		} else if (lookup_addrs(r, r->mx[i], addrs, &n, &bogus, why,
		    sizeof(why), err) < 0) {
			dns_answer_release(&tlsa);
			return -1;
		}
		if (n == 0) {
			json_t *c = json_pack("{s:s, s:s}", "status", "ok",
			    "mx", r->mx[i]);

			json_array_append_new(list, c);
			finding(r, c, "mx-unreachable", "warning", json_pack(
			    "{s:s, s:s}", "check", "smtp", "mx", r->mx[i]),
			    "Give the MX host an address (A or AAAA record).",
			    "the MX host %s has no address", r->mx[i]);
		}
		for (k = 0; k < n; k++) {
			json_t *c;

			if (live_smtp_probe(r->lv->o, r->lv->cred, r->mx[i],
			    addrs[k], ct && ct->addr_port ? ct->addr_port : 25,
			    ta, &p, err) < 0) {
				dns_answer_release(&tlsa);
				return -1;
			}
			c = smtp_json(r->mx[i], &p, r->lv->plain != NULL);
			json_array_append_new(list, c);
			smtp_findings(r, c, r->mx[i], &p);
		}
		dns_answer_release(&tlsa);
	}
	return 0;
}

/* The live status: the worst kind of finding, or "ok". */
static const char *
worst_kind(const json_t *findings)
{
	static const char *const order[] = { "blocking", "insufficient",
	    "warning" };
	const json_t *f;
	size_t i, k;

	for (k = 0; k < 3; k++)
		json_array_foreach(findings, i, f)
			if (strcmp(json_string_value(json_object_get(f,
			    "kind")), order[k]) == 0)
				return order[k];
	return "ok";
}

json_t *
live_check(struct live *lv, const char *domain, struct error *err)
{
	struct run r;
	json_t *out = NULL;
	char dom[BOUND_DNS_NAME + 1];
	size_t i;

	memset(&r, 0, sizeof(r));
	if (dnsname_normalise(domain, dom, err) < 0)
		return NULL;
	r.lv = lv;
	r.domain = dom;
	sts_policy_init(&r.policy);
	r.checks = json_object();
	r.findings = json_array();
	if (check_mx(&r, err) < 0 ||
	    check_txt_record(&r, &sts_record, err) < 0 ||
	    check_txt_record(&r, &tlsrpt_record, err) < 0 ||
	    check_policy(&r, err) < 0)
		goto done;
	check_mx_in_policy(&r);
	if (check_smtp(&r, err) < 0)
		goto done;
	if (lv->o->no_smtp)
		json_object_set_new(r.checks, "smtp_skipped", json_true());
	out = json_pack("{s:s, s:o, s:s, s:O, s:O}", "domain", dom,
	    "checked_at", time_json(lv->o->now), "status", "ok", "checks",
	    r.checks, "findings", r.findings);
	if (out)
		json_object_set_new(out, "status", json_string(worst_kind(
		    r.findings)));
done:
	json_decref(r.checks);
	json_decref(r.findings);
	sts_policy_release(&r.policy);
	for (i = 0; i < r.nmx; i++)
		free(r.mx[i]);
	return out;
}

int
live_exit_code(const json_t *live)
{
	const json_t *f;
	size_t i;
	int worst = 0;

	json_array_foreach(json_object_get(live, "findings"), i, f) {
		const char *k = json_string_value(json_object_get(f, "kind"));

		if (k && strcmp(k, "blocking") == 0)
			return 1;
		worst = 2;
	}
	return worst;
}
