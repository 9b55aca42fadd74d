/* live_policy: see include/live_policy.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "fmt.h"
#include "live_policy.h"
#include "version.h"
#include "banned.h"

static void
why_set(char *why, size_t whylen, const char *msg)
{
	int w = snprintf(why, whylen, "%s", msg);

	if (w < 0 || (size_t)w >= whylen)
		why[0] = '\0';
}

static const char *
skip_wsp(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * "v=NAME" then *WSP ";" or the end: the record kind every sender keys
 * on (RFC 8461 3.1, RFC 8460 3). Returns what follows the ";".
 */
static const char *
record_version(const char *txt, const char *name)
{
	const char *p = skip_wsp(txt);
	size_t n = strlen(name);

	if (p[0] != 'v')
		return NULL;
	p = skip_wsp(p + 1);
	if (*p != '=')
		return NULL;
	p = skip_wsp(p + 1);
	if (strncmp(p, name, n) != 0)
		return NULL;
	p = skip_wsp(p + n);
	if (*p == ';')
		return p + 1;
	return *p == '\0' ? p : NULL;
}

/* The next "key=value" field of a record; 0 at the end. */
static int
next_field(const char **s, const char **k, size_t *kl, const char **v,
	   size_t *vl)
{
	const char *p = skip_wsp(*s), *e, *eq;

	while (*p == ';')
		p = skip_wsp(p + 1);
	if (*p == '\0')
		return 0;
	e = p + strcspn(p, ";");
	*s = *e ? e + 1 : e;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	eq = memchr(p, '=', (size_t)(e - p));
	*k = p;
	if (eq == NULL) {
		*kl = (size_t)(e - p);
		*v = e;
		*vl = 0;
		return 1;
	}
	*kl = (size_t)(eq - p);
	while (*kl > 0 && (p[*kl - 1] == ' ' || p[*kl - 1] == '\t'))
		(*kl)--;
	*v = skip_wsp(eq + 1);
	*vl = (size_t)(e - *v);
	return 1;
}

enum live_record
live_sts_record(const char *txt, char id[STS_ID_MAX + 1], char *why,
		size_t whylen)
{
	const char *p = record_version(txt, "STSv1"), *k, *v;
	size_t kl, vl, i;
	int have_id = 0;

	id[0] = '\0';
	why[0] = '\0';
	if (p == NULL)
		return LIVE_RECORD_OTHER;
	while (next_field(&p, &k, &kl, &v, &vl)) {
		if (kl != 2 || strncmp(k, "id", 2) != 0)
			continue;	/* extensions are allowed */
		if (have_id) {
			why_set(why, whylen, "id= appears twice");
			return LIVE_RECORD_INVALID;
		}
		if (vl == 0 || vl > STS_ID_MAX) {
			why_set(why, whylen, "the id must be 1 to 32 letters "
			    "and digits");
			return LIVE_RECORD_INVALID;
		}
		for (i = 0; i < vl; i++)
			if (!isalnum((unsigned char)v[i])) {
				why_set(why, whylen, "the id must be 1 to 32 "
				    "letters and digits only");
				return LIVE_RECORD_INVALID;
			}
		memcpy(id, v, vl);
		id[vl] = '\0';
		have_id = 1;
	}
	if (!have_id) {
		why_set(why, whylen, "no id= field");
		return LIVE_RECORD_INVALID;
	}
	return LIVE_RECORD_VALID;
}

enum live_record
live_tlsrpt_record(const char *txt, json_t *rua, char *why, size_t whylen)
{
	const char *p = record_version(txt, "TLSRPTv1"), *k, *v;
	size_t kl, vl;
	int have = 0;

	why[0] = '\0';
	if (p == NULL)
		return LIVE_RECORD_OTHER;
	while (next_field(&p, &k, &kl, &v, &vl)) {
		const char *u = v, *end = v + vl;

		if (kl != 3 || strncmp(k, "rua", 3) != 0)
			continue;
		if (have++) {
			why_set(why, whylen, "rua= appears twice");
			return LIVE_RECORD_INVALID;
		}
		while (u < end) {
			const char *c = memchr(u, ',', (size_t)(end - u));
			const char *ue = c ? c : end, *us = u;

			while (us < ue && (*us == ' ' || *us == '\t'))
				us++;
			while (ue > us && (ue[-1] == ' ' || ue[-1] == '\t'))
				ue--;
			if (!((ue - us > 7 && strncasecmp(us, "mailto:", 7) ==
			    0) || (ue - us > 8 && strncasecmp(us, "https://",
			    8) == 0))) {
				why_set(why, whylen, "an rua= address is not "
				    "a mailto: or https: URI");
				return LIVE_RECORD_INVALID;
			}
			json_array_append_new(rua, json_stringn(us,
			    (size_t)(ue - us)));
			u = c ? c + 1 : end;
		}
	}
	if (json_array_size(rua) == 0) {
		why_set(why, whylen, "no rua= address");
		return LIVE_RECORD_INVALID;
	}
	return LIVE_RECORD_VALID;
}

void
live_policy_line_norm(const char *line, size_t n, char *out, size_t outlen)
{
	const char *colon, *v;
	size_t kl, vl, i, o = 0;
	int w;

	while (n > 0 && isspace((unsigned char)*line)) {
		line++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	colon = memchr(line, ':', n);
	if (colon == NULL) {
		w = snprintf(out, outlen, "%.*s", (int)n, line);
		if (w < 0 || (size_t)w >= outlen)
			out[0] = '\0';
		return;
	}
	kl = (size_t)(colon - line);
	while (kl > 0 && isspace((unsigned char)line[kl - 1]))
		kl--;
	v = colon + 1;
	vl = n - (size_t)(v - line);
	while (vl > 0 && isspace((unsigned char)*v)) {
		v++;
		vl--;
	}
	for (i = 0; i < kl && o + 1 < outlen; i++)
		out[o++] = (char)tolower((unsigned char)line[i]);
	out[o] = '\0';
	w = snprintf(out + o, outlen - o, ": %.*s", (int)vl, v);
	if (w < 0 || (size_t)w >= outlen - o)
		out[0] = '\0';
}

/* RFC 8461 3.2: "*." then labels, or labels; letters, digits, hyphens. */
static int
mx_pattern_valid(const char *s)
{
	size_t l = 0;

	if (s[0] == '*' && s[1] == '.')
		s += 2;
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (l == 0)
				return 0;
			l = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' ||
		    *s == '_') {
			if (++l > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return l > 0;
}

static int
problem(json_t *problems, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
problem(json_t *problems, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vfmt_cut(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w < 0 && msg[0] == '\0')
		return 0;
	return json_array_append_new(problems, json_string(msg));
}

int
live_policy_parse(const char *body, size_t len, struct sts_policy *p,
		  json_t *lines, json_t *problems, struct error *err)
{
	int nversion = 0, nmode = 0, nage = 0, lineno = 0;
	const char *s = body, *end = body + len;
	char norm[512];

	if (memchr(body, '\0', len))
		problem(problems, "the file holds a NUL byte");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const char *v;

		lineno++;
		live_policy_line_norm(s, n, norm, sizeof(norm));
		s = nl ? nl + 1 : end;
		if (norm[0] == '\0')
			continue;
		json_array_append_new(lines, json_string(norm));
		v = strstr(norm, ": ");
		if (v == NULL) {
			problem(problems, "line %d is not \"key: value\"",
			    lineno);
			continue;
		}
		v += 2;
		if (strncmp(norm, "version:", 8) == 0) {
			nversion++;
			if (strcmp(v, "STSv1") != 0)
				problem(problems, "version is \"%s\", not "
				    "STSv1", v);
		} else if (strncmp(norm, "mode:", 5) == 0) {
			nmode++;
			if (strcasecmp(v, "enforce") && strcasecmp(v,
			    "testing") && strcasecmp(v, "none"))
				problem(problems, "mode is \"%s\", not "
				    "enforce, testing or none", v);
		} else if (strncmp(norm, "max_age:", 8) == 0) {
			size_t i, vl = strlen(v);

			nage++;
			for (i = 0; i < vl && isdigit((unsigned char)v[i]); i++)
				;
			if (vl == 0 || i != vl || vl > 10 ||
			    strtoll(v, NULL, 10) > STS_MAX_AGE_MAX)
				problem(problems, "max_age \"%s\" is not a "
				    "number of seconds from 0 to %d", v,
				    STS_MAX_AGE_MAX);
		} else if (strncmp(norm, "mx:", 3) == 0) {
			if (!mx_pattern_valid(v))
				problem(problems, "mx \"%s\" is not a host "
				    "name or *.name pattern", v);
		}
		if (sts_policy_add_line(p, norm, err) < 0)
			return -1;
	}
	if (nversion != 1)
		problem(problems, nversion ? "version appears %d times" :
		    "no version field%.0d", nversion);
	if (nmode != 1)
		problem(problems, nmode ? "mode appears %d times" :
		    "no mode field%.0d", nmode);
	if (nage != 1)
		problem(problems, nage ? "max_age appears %d times" :
		    "no max_age field%.0d", nage);
	if (p->nmx == 0 && strcmp(p->mode, "none") != 0)
		problem(problems, "no mx field: a policy in mode %s must list "
		    "its MX hosts", p->mode[0] ? p->mode : "testing or enforce");
	return 0;
}

int
live_fetch_global_init(struct error *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(err, ERR_INTERNAL, "libcurl cannot start");
	return 0;
}

void
live_fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct live_fetch *f = arg;
	struct error err;

	if (buf_append(&f->body, data, size * n, &err) < 0) {
		f->too_big = err.kind == ERR_TOO_BIG;
		return 0;	/* ends the transfer */
	}
	return size * n;
}

/* An address for a curl host list: IPv6 in brackets. */
static int
curl_addr(char *out, size_t outlen, const char *addr)
{
	int w = snprintf(out, outlen, strchr(addr, ':') ? "[%s]" : "%s",
	    addr);

	return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

int
live_fetch_policy(const struct live_options *o, const char *host,
		  const char (*addrs)[48], size_t naddrs,
		  struct live_fetch *f, struct error *err)
{
	const struct live_connect_to *ct = live_connect_to_find(o, host, 443);
	struct curl_slist *list = NULL;
	char url[512], entry[1024], a[64], errbuf[CURL_ERROR_SIZE];
	char *s = NULL;
	CURLcode rc;
	CURL *c;
	size_t i, len;
	int w, ret = -1;

	memset(f, 0, sizeof(*f));
	buf_init(&f->body, LIVE_POLICY_MAX);
	errbuf[0] = '\0';
	w = snprintf(url, sizeof(url), "https://%s/.well-known/mta-sts.txt",
	    host);
	if (w < 0 || (size_t)w >= sizeof(url))
		return error_set(err, ERR_INPUT, "host name too long: %.64s",
		    host);
	if ((c = curl_easy_init()) == NULL)
		return error_set(err, ERR_INTERNAL, "libcurl: cannot start a "
		    "transfer");
	/* Where to connect: --connect-to, else the addresses our own
	 * resolver found (libcurl must never resolve by itself). */
	if (ct) {
		if (curl_addr(a, sizeof(a), ct->addr) < 0)
			goto toolong;
		w = snprintf(entry, sizeof(entry), "%s:443:%s:%d", host, a,
		    ct->addr_port ? ct->addr_port : 443);
		if (w < 0 || (size_t)w >= sizeof(entry))
			goto toolong;
		if ((list = curl_slist_append(list, entry)) == NULL)
			goto nomem;
		curl_easy_setopt(c, CURLOPT_CONNECT_TO, list);
	} else {
		w = snprintf(entry, sizeof(entry), "%s:443:", host);
		if (w < 0 || (size_t)w >= sizeof(entry))
			goto toolong;
		len = (size_t)w;
		for (i = 0; i < naddrs; i++) {
			if (curl_addr(a, sizeof(a), addrs[i]) < 0)
				goto toolong;
			w = snprintf(entry + len, sizeof(entry) - len, "%s%s",
			    i ? "," : "", a);
			if (w < 0 || (size_t)w >= sizeof(entry) - len)
				goto toolong;
			len += (size_t)w;
		}
		if ((list = curl_slist_append(list, entry)) == NULL)
			goto nomem;
		curl_easy_setopt(c, CURLOPT_RESOLVE, list);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)o->http_timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)o->http_timeout);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)LIVE_POLICY_MAX);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tlsrpt-check/" TLSRPT_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	f->done = f->status > 0;
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
		why_set(f->content_type, sizeof(f->content_type), s);
	s = NULL;
	if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &s) == CURLE_OK && s)
		why_set(f->location, sizeof(f->location), s);
	s = NULL;
	if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s)
		why_set(f->address, sizeof(f->address), s);
	if (rc == CURLE_FILESIZE_EXCEEDED)
		f->too_big = 1;
	f->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	f->cert_failed = rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE;
	if (rc != CURLE_OK) {
		f->done = 0;
		if (f->too_big)
			why_set(f->error, sizeof(f->error), "the policy is "
			    "larger than 64 KiB");
		else
			why_set(f->error, sizeof(f->error), errbuf[0] ?
			    errbuf : curl_easy_strerror(rc));
	}
	ret = 0;
	goto done;
toolong:
	error_set(err, ERR_INPUT, "host or address too long: %.64s", host);
	goto done;
nomem:
	error_set(err, ERR_NOMEM, "out of memory");
done:
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
	return ret;
}

void
live_fetch_release(struct live_fetch *f)
{
	buf_release(&f->body);
}
