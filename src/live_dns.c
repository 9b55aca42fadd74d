/* live_dns: see include/live_dns.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "clock.h"
#include "fmt.h"
#include "live_dns.h"
#include "banned.h"

#define ROOT_KEY	"/usr/share/dns/root.key"

struct dns {
	struct ub_ctx *ctx;
	int timeout;
	char anchor[DNS_NAME_MAX];	/* zone of the first trust anchor */
};

/* One lookup in flight: the callback fills it. */
struct pending {
	int done;
	int err;
	struct ub_result *res;
};

const char *
dns_security_name(enum dns_security s)
{
	return s == DNS_SECURE ? "secure" : s == DNS_BOGUS ? "bogus" :
	    "insecure";
}

const char *
dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED" };

	return rcode >= 0 && rcode < 6 ? names[rcode] : "DNS error";
}

/* "ADDR[@PORT]" with an IP address and a port from 1 to 65535. */
static int
resolver_valid(const char *s)
{
	unsigned char bin[16];
	char addr[64];
	const char *at = strchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	char *end;
	long port;

	if (n == 0 || n >= sizeof(addr))
		return 0;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return 0;
	if (at == NULL)
		return 1;
	errno = 0;
	port = strtol(at + 1, &end, 10);
	return errno == 0 && end != at + 1 && *end == '\0' && port > 0 &&
	    port < 65536;
}

/*
 * The owner name of the first record of a trust anchor file (zone-file
 * form, as root.key and the DS files of ldns-keygen): the zone whose keys
 * every validated answer hangs from. "" when there is none.
 */
static void
anchor_zone(const char *path, char *out, size_t outlen)
{
	char line[1024];
	FILE *f;

	out[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strcspn(line, " \t\r\n;");

		if (n == 0 || line[0] == '$')
			continue;
		if (n < outlen && line[n - 1] == '.') {
			memcpy(out, line, n);
			out[n] = '\0';
		}
		break;
	}
	fclose(f);
}

const char *
dns_anchor(const struct dns *d)
{
	return d->anchor[0] ? d->anchor : NULL;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->ctx)
		ub_ctx_delete(d->ctx);
	free(d);
}

struct dns *
dns_new(const char *resolver, const char *trust_anchor, int timeout,
	struct error *err)
{
	struct dns *d;
	int rc;

	if (resolver && !resolver_valid(resolver)) {
		error_set(err, ERR_INPUT, "--resolver: \"%s\" is not "
		    "ADDR[@PORT] with an IP address", resolver);
		return NULL;
	}
	if (trust_anchor && strcmp(trust_anchor, "none") != 0 &&
	    access(trust_anchor, R_OK) < 0) {
		error_set(err, ERR_IO, "--trust-anchor: %s: %s", trust_anchor,
		    strerror(errno));
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	d->timeout = timeout;
	if ((d->ctx = ub_ctx_create()) == NULL) {
		error_set(err, ERR_INTERNAL, "libunbound: cannot create a "
		    "resolver context");
		goto fail;
	}
	/*
	 * Order matters (LIVE-CHECKS.md): options, forwarder and trust
	 * anchor first; ub_ctx_zone_add() finalises the context, so it is
	 * last. Threads, not a forked helper, answer the async queries.
	 */
	if ((rc = ub_ctx_set_option(d->ctx, "do-not-query-localhost:",
	    "no")) != 0 || (rc = ub_ctx_async(d->ctx, 1)) != 0)
		goto ub_fail;
	if (resolver)
		rc = ub_ctx_set_fwd(d->ctx, resolver);
	else
		rc = ub_ctx_resolvconf(d->ctx, NULL);
	if (rc != 0) {
		error_set(err, ERR_INPUT, "%s: %s", resolver ? "--resolver" :
		    "/etc/resolv.conf", ub_strerror(rc));
		goto fail;
	}
	if (trust_anchor == NULL && access(ROOT_KEY, R_OK) == 0)
		trust_anchor = ROOT_KEY;
	if (trust_anchor && strcmp(trust_anchor, "none") != 0 &&
	    (rc = ub_ctx_add_ta_file(d->ctx, trust_anchor)) != 0) {
		error_set(err, ERR_INPUT, "trust anchor %s: %s", trust_anchor,
		    ub_strerror(rc));
		goto fail;
	}
	if (trust_anchor && strcmp(trust_anchor, "none") != 0)
		anchor_zone(trust_anchor, d->anchor, sizeof(d->anchor));
	/* RFC 6761 makes .test NXDOMAIN in resolvers: let test zones
	 * through (the forwarder decides what exists). Type-transparent:
	 * "transparent" answers the apex from the built-in SOA and NS, so
	 * a query for the DNSKEY of test. would never reach the forwarder. */
	if ((rc = ub_ctx_zone_add(d->ctx, "test.", "typetransparent")) != 0)
		goto ub_fail;
	return d;
ub_fail:
	error_set(err, ERR_INTERNAL, "libunbound: %s", ub_strerror(rc));
fail:
	dns_free(d);
	return NULL;
}

static void
on_answer(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;

	p->done = 1;
	p->err = err;
	p->res = res;
}

/* A wire-format name as text, without the trailing dot. */
static int
wire_name(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;

	while (i < len && p[i] != 0) {
		size_t l = p[i++], k;

		if (l > 63 || i + l > len)
			return -1;
		if (o > 0) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '.';
		}
		for (k = 0; k < l; k++, i++) {
			unsigned char c = p[i];
			int w;

			if (c > 32 && c < 127 && c != '.' && c != '\\') {
				if (o + 1 >= outlen)
					return -1;
				out[o++] = (char)c;
				continue;
			}
			w = snprintf(out + o, outlen - o, "\\%03u", c);
			if (w < 0 || (size_t)w >= outlen - o)
				return -1;
			o += (size_t)w;
		}
	}
	if (i >= len)
		return -1;	/* no terminating root label */
	out[o] = '\0';
	return 0;
}

static int
decode(struct dns_answer *a, const struct ub_result *res, struct error *err)
{
	size_t i;

	for (i = 0; res->data && res->data[i]; i++) {
		const unsigned char *p = (const unsigned char *)res->data[i];
		size_t len = (size_t)res->len[i], k, o;

		a->total++;
		if (a->n == DNS_RR_MAX)
			continue;
		switch (a->type) {
		case 15:
			if (len < 3 || wire_name(p + 2, len - 2,
			    a->rr.mx[a->n].host, DNS_NAME_MAX) < 0)
				continue;
			a->rr.mx[a->n].pref = p[0] << 8 | p[1];
			break;
		case 16: {
			char *t = malloc(DNS_TXT_MAX);

			if (t == NULL)
				return error_set(err, ERR_NOMEM,
				    "out of memory");
			/* RFC 7208 3.3 style: strings join without spaces. */
			for (k = 0, o = 0; k < len; ) {
				size_t l = p[k++], c;

				if (l > len - k)
					l = len - k;
				c = l < DNS_TXT_MAX - 1 - o ? l :
				    DNS_TXT_MAX - 1 - o;
				memcpy(t + o, p + k, c);
				o += c;
				k += l;
			}
			t[o] = '\0';
			a->rr.txt[a->n] = t;
			break;
		}
		case 1:
		case 28:
			if (inet_ntop(a->type == 1 ? AF_INET : AF_INET6, p,
			    a->rr.addr[a->n], sizeof(a->rr.addr[0])) == NULL ||
			    len != (a->type == 1 ? 4u : 16u))
				continue;
			break;
		case 52:
			if (len < 4)
				continue;
			a->rr.tlsa[a->n].usage = p[0];
			a->rr.tlsa[a->n].selector = p[1];
			a->rr.tlsa[a->n].mtype = p[2];
			a->rr.tlsa[a->n].len = len - 3;
			a->rr.tlsa[a->n].data = malloc(len - 3);
			if (a->rr.tlsa[a->n].data == NULL)
				return error_set(err, ERR_NOMEM,
				    "out of memory");
			memcpy(a->rr.tlsa[a->n].data, p + 3, len - 3);
			break;
		default:
			continue;
		}
		a->n++;
	}
	return 0;
}

int
dns_lookup(struct dns *d, const char *name, int type, struct dns_answer *a,
	   struct error *err)
{
	struct pending p = { 0, 0, NULL };
	struct pollfd pfd;
	int64_t deadline;
	int id, rc;

	memset(a, 0, sizeof(*a));
	a->type = type;
	rc = ub_resolve_async(d->ctx, name, type, 1, &p, on_answer, &id);
	if (rc != 0)
		return error_set(err, ERR_INTERNAL, "DNS lookup of %s: %s",
		    name, ub_strerror(rc));
	deadline = clock_ms() + (int64_t)d->timeout * 1000;
	while (!p.done) {
		int64_t left = deadline - clock_ms();

		if (left <= 0) {
			ub_cancel(d->ctx, id);
			a->timed_out = 1;
			a->rcode = 2;
			return 0;
		}
		pfd.fd = ub_fd(d->ctx);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return error_set(err, ERR_INTERNAL, "poll: %s",
			    strerror(errno));
		if ((rc = ub_process(d->ctx)) != 0)
			return error_set(err, ERR_INTERNAL, "DNS lookup of "
			    "%s: %s", name, ub_strerror(rc));
	}
	if (p.err != 0 || p.res == NULL) {
		if (p.res)
			ub_resolve_free(p.res);
		a->rcode = 2;
		return 0;
	}
	a->rcode = p.res->rcode;
	a->security = p.res->bogus ? DNS_BOGUS : p.res->secure ? DNS_SECURE :
	    DNS_INSECURE;
	if (p.res->bogus && p.res->why_bogus)
		fmt_cut(a->why_bogus, sizeof(a->why_bogus), "%s",
		    p.res->why_bogus);
	rc = p.res->havedata ? decode(a, p.res, err) : 0;
	ub_resolve_free(p.res);
	return rc;
}

void
dns_answer_release(struct dns_answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->type == 16)
			free(a->rr.txt[i]);
		else if (a->type == 52)
			free(a->rr.tlsa[i].data);
	}
	memset(a, 0, sizeof(*a));
}
