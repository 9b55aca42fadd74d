/*
 * config: see include/config.h. Keys are a table (name, type, where, and
 * the default of those whose default is not the pipeline's), as in
 * redis's config.c, so adding a setting is one line.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "config.h"
#include "files.h"
#include "fmt.h"
#include "banned.h"

enum key_type { K_STRING, K_SIZE, K_UINT, K_SECONDS, K_LIST };

/*
 * When a change of the setting takes effect: LIVE on SIGHUP (tlsrptd.c's
 * reload() hands it on), START only with a restart (what was set up
 * with it at start stays: a listener, the store, a thread's copy).
 */
enum key_when { LIVE, START };

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned long long max;		/* K_SIZE, K_UINT, K_SECONDS */
	unsigned long long def;		/* the default; 0: none, or the
					   pipeline's (pipeline.h) */
	enum key_when when;
};

#define S(name, field, when) \
	{ name, K_STRING, offsetof(struct config, field), 0, 0, when }
#define N(name, type, field, max, when) \
	{ name, type, offsetof(struct config, field), max, 0, when }
/* A number with its default. */
#define D(name, type, field, max, def, when) \
	{ name, type, offsetof(struct config, field), max, def, when }

static const struct key keys[] = {
	S("database", database, START),
	S("listen", listen, START),
	S("tls-cert", tls_cert, LIVE),
	S("tls-key", tls_key, LIVE),
	S("tls-priority", tls_priority, START),
	S("api-listen", api_listen, START),
	S("api-token", api_token, LIVE),
	S("maildir", maildir, START),
	S("ingest-path", ingest_path, LIVE),
	S("trusted-proxies", trusted_proxies, LIVE),
	S("log-level", log_level, LIVE),
	S("dkim-authserv-id", dkim_authserv_id, LIVE),
	S("user", user, START),
	S("group", group, START),
	S("pidfile", pidfile, START),
	N("max-body", K_SIZE, pipeline.payload_max, 1ULL << 30, LIVE),
	N("max-message", K_SIZE, pipeline.message_max, 1ULL << 30, LIVE),
	N("max-inflated", K_SIZE, pipeline.limits.inflated_max, 1ULL << 32,
	    LIVE),
	N("max-inflate-ratio", K_UINT, pipeline.limits.ratio, 100000, LIVE),
	D("max-connections", K_UINT, max_connections, 100000,
	    BOUND_CONNECTIONS, START),
	D("max-connections-per-client", K_UINT, max_connections_per_client,
	    100000, BOUND_CONNECTIONS_PER_CLIENT, LIVE),
	D("connection-timeout", K_SECONDS, connection_timeout, 86400,
	    BOUND_CONNECTION_TIMEOUT, START),
	D("request-deadline", K_SECONDS, request_deadline, 86400,
	    BOUND_REQUEST_DEADLINE, LIVE),
	D("maildir-rescan", K_SECONDS, maildir_rescan, 86400, 60, START),
	D("decode-budget", K_SIZE, decode_budget, 1ULL << 40,
	    BOUND_DECODE_BUDGET, LIVE),
	S("spool-dir", spool_dir, START),
	D("spool-max-bytes", K_SIZE, spool_max, 1ULL << 44, BOUND_SPOOL_MAX,
	    LIVE),
	D("spool-stall", K_SECONDS, spool_stall, 30 * 86400,
	    BOUND_SPOOL_STALL, LIVE),
	S("public-url", public_url, START),
	N("notify-webhook", K_LIST, notify_webhook, CONFIG_LIST_MAX, START),
	N("notify-mail", K_LIST, notify_mail, CONFIG_LIST_MAX, START),
	S("sendmail", sendmail, START),
	D("retention-days", K_UINT, retention_days, BOUND_RETENTION_DAYS, 0,
	    LIVE),
};

static int
set_str(char **field, const char *v, struct error *err)
{
	char *dup = strdup(v);

	if (dup == NULL)
		return error_set(err, ERR_NOMEM, "out of memory");
	free(*field);
	*field = dup;
	return 0;
}

/* Store n, within k->max, in k's field. */
static void
set_number(struct config *cfg, const struct key *k, unsigned long long n)
{
	void *field = (char *)cfg + k->offset;

	if (k->type == K_SIZE)
		*(size_t *)field = (size_t)n;
	else
		*(unsigned *)field = (unsigned)n;
}

int
config_given(const char *value)
{
	return value != NULL && value[0] != '\0';
}

void
config_init(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	pipeline_config_default(&cfg->pipeline);
	set_str(&cfg->database, "tlsrpt.db", NULL);
	set_str(&cfg->listen, "127.0.0.1:8443", NULL);
	set_str(&cfg->api_listen, "127.0.0.1:8080", NULL);
	set_str(&cfg->ingest_path, "/v1/tlsrpt", NULL);
	set_str(&cfg->log_level, "info", NULL);
	/* Written by a daemonised tlsrptd only (--foreground: none). */
	set_str(&cfg->pidfile, "/run/tlsrptd.pid", NULL);
	/* TLS 1.2 and 1.3, forward-secret AEAD suites only, in the
	 * server's order (doc/http.md; tlsrptd.conf(5)). */
	set_str(&cfg->tls_priority, "NORMAL:-VERS-ALL:+VERS-TLS1.3:"
	    "+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:"
	    "+AES-128-GCM:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
	    "%SERVER_PRECEDENCE", NULL);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].def != 0)
			set_number(cfg, &keys[i], keys[i].def);
	set_str(&cfg->sendmail, "/usr/sbin/sendmail", NULL);
}

void
config_release(struct config *cfg)
{
	struct config_list *l;
	size_t i, j;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].type == K_STRING)
			free(*(char **)((char *)cfg + keys[i].offset));
		if (keys[i].type != K_LIST)
			continue;
		l = (struct config_list *)((char *)cfg + keys[i].offset);
		for (j = 0; j < l->n; j++)
			free(l->v[j]);
		free(l->v);
	}
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * A receiver of events: a webhook must be an http or https URL, a mail
 * address one that cannot end the header it goes in (notify.h).
 */
static int
check_receiver(const char *key, const char *v, struct error *err)
{
	size_t i;

	if (strcmp(key, "notify-webhook") == 0) {
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return error_set(err, ERR_INPUT, "%s: \"%s\" is not an "
			    "http:// or https:// URL", key, v);
	} else if (strchr(v, '@') == NULL || v[0] == '-')
		return error_set(err, ERR_INPUT, "%s: \"%s\" is not a mail "
		    "address", key, v);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f ||
		    (strcmp(key, "notify-mail") == 0 && strchr("<>,;\"",
		    v[i]) != NULL))
			return error_set(err, ERR_INPUT, "%s: \"%s\": a space, "
			    "control or separator in it", key, v);
	return 0;
}

/* One more value of a repeatable setting; "" clears the list. */
static int
add_value(struct config_list *l, const char *key, const char *v,
	  struct error *err)
{
	char **grown, *dup;
	size_t j;

	if (v[0] == '\0') {
		for (j = 0; j < l->n; j++)
			free(l->v[j]);
		l->n = 0;
		return 0;
	}
	if (check_receiver(key, v, err) < 0)
		return -1;
	if (l->n >= CONFIG_LIST_MAX)
		return error_set(err, ERR_INPUT, "%s: more than %d of them",
		    key, CONFIG_LIST_MAX);
	if ((dup = strdup(v)) == NULL ||
	    (grown = realloc(l->v, (l->n + 1) * sizeof(*l->v))) == NULL) {
		free(dup);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	l->v = grown;
	l->v[l->n++] = dup;
	return 0;
}

/* "10M", "64 MiB", "512k", "1048576": bytes. "30s", "5m", "1h": secs. */
static int
parse_number(const char *v, enum key_type type, unsigned long long max,
	     unsigned long long *out)
{
	unsigned long long n, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	while (*end == ' ')
		end++;
	if (type == K_SIZE) {
		switch (tolower((unsigned char)*end)) {
		case 'k': mul = 1ULL << 10; end++; break;
		case 'm': mul = 1ULL << 20; end++; break;
		case 'g': mul = 1ULL << 30; end++; break;
		default: break;
		}
		if (mul > 1 && (*end == 'i' || *end == 'I'))
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	} else if (type == K_SECONDS) {
		switch (*end) {
		case 's': end++; break;
		case 'm': mul = 60; end++; break;
		case 'h': mul = 3600; end++; break;
		default: break;
		}
	}
	if (*end != '\0' || n > max / mul)
		return -1;
	*out = n * mul;
	return 0;
}

int
config_set(struct config *cfg, const char *key, const char *value,
	   struct error *err)
{
	unsigned long long n;
	const struct key *k;
	void *field;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, key) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0]))
		return error_set(err, ERR_INPUT, "unknown setting \"%s\"", key);
	k = &keys[i];
	field = (char *)cfg + k->offset;
	if (k->type == K_LIST)
		return add_value(field, key, value, err);
	if (k->type == K_STRING) {
		if (set_str(field, value, err) < 0)
			return -1;
		if (strcmp(key, "dkim-authserv-id") == 0)
			cfg->pipeline.dkim_authserv_id = value[0] ?
			    cfg->dkim_authserv_id : NULL;
		return 0;
	}
	if (parse_number(value, k->type, k->max, &n) < 0)
		return error_set(err, ERR_INPUT, "%s: \"%s\" is not a %s of at "
		    "most %llu", key, value, k->type == K_SIZE ? "size" :
		    k->type == K_SECONDS ? "duration" : "number", k->max);
	set_number(cfg, k, n);
	return 0;
}

int
config_parse(struct config *cfg, const char *text, size_t len,
	     const char *name, struct error *err)
{
	char line[CONFIG_LINE_MAX], *key, *val, *eq, *end;
	const char *p = text, *stop = text + len, *nl;
	size_t n;
	int lineno = 0;

	while (p < stop) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(stop - p));
		n = (size_t)((nl ? nl : stop) - p);
		if (n >= sizeof(line))
			return error_set(err, ERR_INPUT, "%s:%d: line longer "
			    "than %d bytes", name, lineno, CONFIG_LINE_MAX);
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : stop;

		if (memchr(line, '\0', n) != NULL)
			return error_set(err, ERR_INPUT, "%s:%d: NUL byte",
			    name, lineno);
		key = line;
		while (isspace((unsigned char)*key))
			key++;
		if (*key == '#' || *key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL)
			return error_set(err, ERR_INPUT, "%s:%d: expected "
			    "\"key = value\"", name, lineno);
		val = eq + 1;
		for (end = eq; end > key && isspace((unsigned char)end[-1]);
		    end--)
			;
		*end = '\0';
		while (isspace((unsigned char)*val))
			val++;
		for (end = val + strlen(val); end > val &&
		    isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		/* A value may be quoted to keep spaces or '#'. */
		if (end - val >= 2 && val[0] == '"' && end[-1] == '"') {
			end[-1] = '\0';
			val++;
		}
		if (config_set(cfg, key, val, err) < 0)
			return error_prefix(err, "%s:%d", name, lineno);
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, struct error *err)
{
	struct buf b;
	int rc;

	buf_init(&b, CONFIG_FILE_MAX);
	if (files_read_path(path, &b, NULL, err) < 0) {
		buf_release(&b);
		if (err->kind == ERR_TOO_BIG)
			return error_prefix(err, "%s", path);
		return -1;
	}
	rc = config_parse(cfg, b.data ? b.data : "", b.len, path, err);
	buf_release(&b);
	return rc;
}

/* Do a and b hold the same value of k? NULL and "" are alike. */
static int
same_value(const struct config *a, const struct config *b,
	   const struct key *k)
{
	const void *fa = (const char *)a + k->offset;
	const void *fb = (const char *)b + k->offset;
	const struct config_list *la = fa, *lb = fb;
	const char *sa, *sb;
	size_t i;

	switch (k->type) {
	case K_STRING:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return strcmp(sa ? sa : "", sb ? sb : "") == 0;
	case K_SIZE:
		return *(const size_t *)fa == *(const size_t *)fb;
	case K_LIST:
		if (la->n != lb->n)
			return 0;
		for (i = 0; i < la->n; i++)
			if (strcmp(la->v[i], lb->v[i]) != 0)
				return 0;
		return 1;
	default:
		return *(const unsigned *)fa == *(const unsigned *)fb;
	}
}

size_t
config_restart_changes(const struct config *a, const struct config *b,
		       char *names, size_t len)
{
	size_t i, n = 0, off = 0;

	if (len > 0)
		names[0] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].when != START || same_value(a, b, &keys[i]))
			continue;
		/* Once cut ("..."), nothing more is added. */
		if (off < len && fmt_cut(names + off, len - off, "%s%s",
		    n > 0 ? ", " : "", keys[i].name) == 0)
			off += strlen(names + off);
		else
			off = len;
		n++;
	}
	return n;
}
