/* http: see include/http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "fmt.h"
#include "http.h"
#include "http_framing.h"
#include "http_guard.h"
#include "log.h"
#include "banned.h"

/* What a reload may change, read by request threads under the lock. */
struct live {
	char *ingest_path;
	char *token;
	struct http_proxies proxies;
	unsigned deadline;	/* request-deadline, for the 408's text */
};

struct http_server {
	struct ingest *in;
	struct MHD_Daemon *pub;
	struct MHD_Daemon *api;
	struct http_guard *guard;	/* the public listener's connections */
	int tls;
	pthread_mutex_t lock;	/* live, inflight, draining */
	struct live live;
	unsigned inflight;	/* requests of the public listener */
	int draining;
	atomic_uint busy;	/* connections of the public listener
				   not idle between requests */
};

/* A request as http_ingest.h takes it, with the storage it points to. */
struct request_view {
	struct http_request req;
	struct http_proxies proxies;
	char peer[INET6_ADDRSTRLEN];
};

/* One request on the public listener. */
struct request {
	struct request_view rv;	/* filled once its headers are in */
	struct http_body body;
	int answered;		/* a response is queued already */
};

static void
live_release(struct live *lv)
{
	free(lv->ingest_path);
	free(lv->token);
	memset(lv, 0, sizeof(*lv));
}

static int
live_from_config(struct live *lv, const struct config *cfg,
		 struct error *err)
{
	memset(lv, 0, sizeof(*lv));
	if (cfg->ingest_path && cfg->ingest_path[0] &&
	    cfg->ingest_path[0] != '/')
		return error_set(err, ERR_INPUT, "ingest-path \"%s\": a path "
		    "starts with /", cfg->ingest_path);
	if (http_proxies_parse(cfg->trusted_proxies, &lv->proxies, err) < 0)
		return -1;
	lv->deadline = cfg->request_deadline;
	lv->ingest_path = strdup(config_given(cfg->ingest_path) ?
	    cfg->ingest_path : "/v1/tlsrpt");
	if (config_given(cfg->api_token))
		lv->token = strdup(cfg->api_token);
	if (lv->ingest_path == NULL ||
	    (config_given(cfg->api_token) && lv->token == NULL)) {
		live_release(lv);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	return 0;
}

/* An address as text; an IPv4-mapped IPv6 one as IPv4. "" for none. */
static void
address_text(const struct sockaddr *sa, char *out, size_t len)
{
	socklen_t salen;

	out[0] = '\0';
	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return;
	salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if (getnameinfo(sa, salen, out, (socklen_t)len, NULL, 0,
	    NI_NUMERICHOST) != 0) {
		out[0] = '\0';
		return;
	}
	if (strncasecmp(out, "::ffff:", 7) == 0 && strchr(out, '.') != NULL)
		memmove(out, out + 7, strlen(out + 7) + 1);
}

static const struct sockaddr *
peer_sockaddr(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci != NULL ? ci->client_addr : NULL;
}

/* The client's address as text. */
static void
peer_address(struct MHD_Connection *c, char *out, size_t len)
{
	address_text(peer_sockaddr(c), out, len);
}

/*
 * Is sa (the socket's peer) one of the trusted proxies? Asked twice for
 * each connection (at accept() and as it starts): without trusted-proxies
 * (the default) the address is not even put into words.
 */
static int
from_proxy(struct http_server *srv, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	size_t n;
	int rc;

	pthread_mutex_lock(&srv->lock);
	n = srv->live.proxies.n;
	pthread_mutex_unlock(&srv->lock);
	if (n == 0)
		return 0;
	address_text(sa, text, sizeof(text));
	if (text[0] == '\0')
		return 0;
	pthread_mutex_lock(&srv->lock);
	rc = http_proxies_trusted(&srv->live.proxies, text);
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/*
 * Fill rv for a call into http_ingest.h: the headers (libmicrohttpd's,
 * valid until the request ends), the peer, and a copy of the trusted
 * proxies, which a reload may change meanwhile. No ingest path, no body.
 */
static void
request_fill(struct http_server *srv, struct MHD_Connection *c,
	     const char *url, const char *method, struct request_view *rv)
{
	struct http_request *req = &rv->req;

	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = url;
	req->content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->content_encoding = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING);
	req->content_length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	req->transfer_encoding = header(c,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING);
	req->forwarded_for = header(c, "X-Forwarded-For");
	req->accept = header(c, MHD_HTTP_HEADER_ACCEPT);
	req->user_agent = header(c, MHD_HTTP_HEADER_USER_AGENT);
	peer_address(c, rv->peer, sizeof(rv->peer));
	req->peer = rv->peer[0] ? rv->peer : NULL;
	pthread_mutex_lock(&srv->lock);
	rv->proxies = srv->live.proxies;
	pthread_mutex_unlock(&srv->lock);
	req->proxies = &rv->proxies;
	req->tls = srv->tls;
}

/*
 * A connection of the public listener: counted by the guard from its
 * start to its end; idle once the answer to its request is queued, until
 * its next request begins. Connections not idle (new ones, whose first
 * request is still to come, and those with a request not yet answered)
 * are the ones that may hand the store a report soon.
 */
struct conn {
	struct guard_conn g;
	int idle;
};

static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void
conn_set_idle(struct http_server *srv, struct conn *cn, int idle)
{
	if (cn == NULL || cn->idle == idle)
		return;
	cn->idle = idle;
	if (idle)
		atomic_fetch_sub(&srv->busy, 1);
	else
		atomic_fetch_add(&srv->busy, 1);
}

/*
 * A response of len bytes of data (copied) with its Content-Type, and
 * Allow and Retry-After when given (NULL, 0: none); NULL when out of
 * memory.
 */
static struct MHD_Response *
response_new(const void *data, size_t len, const char *type,
	     const char *allow, int retry_after)
{
	struct MHD_Response *r;
	char retry[16];

	r = MHD_create_response_from_buffer(len, data != NULL ?
	    (void *)(uintptr_t)data : (void *)(uintptr_t)"",
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return NULL;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (retry_after > 0 &&
	    fmt_whole(retry, sizeof(retry), "%d", retry_after) == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	return r;
}

/* Queue a (an answer of the public listener) and release it. */
static enum MHD_Result
send_answer(struct http_server *srv, struct MHD_Connection *c,
	    struct http_answer *a)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	int closing;

	r = response_new(a->body.data, a->body.len, a->content_type,
	    a->allow, a->retry_after);
	if (r == NULL) {
		http_answer_release(a);
		return MHD_NO;
	}
	pthread_mutex_lock(&srv->lock);
	closing = srv->draining;
	pthread_mutex_unlock(&srv->lock);
	/* A client too slow or holding too many: not one more request. */
	if (closing || a->status == 408 || a->status == 429)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	conn_set_idle(srv, conn_of(c), 1);
	ret = MHD_queue_response(c, a->status, r);
	MHD_destroy_response(r);
	http_answer_release(a);
	return ret;
}

static enum MHD_Result
framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
	       const char *value)
{
	(void)kind;
	http_framing_add(cls, key, value);
	return MHD_YES;
}

/* 0, or 400 or 501 when the body's end could be read two ways. */
static unsigned
framing_refused(struct MHD_Connection *c, const char *version, char *reason,
		size_t len)
{
	struct http_framing f;

	http_framing_init(&f);
	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
	return http_framing_check(&f, version != NULL &&
	    strcmp(version, MHD_HTTP_VERSION_1_0) == 0, reason, len);
}

/*
 * The first call of a request: headers only. Everything that can be
 * refused before the body is refused here (the framing, then
 * http_ingest_begin), so a sender that asked "Expect: 100-continue" never
 * sends the body in vain.
 */
static enum MHD_Result
begin(struct http_server *srv, struct MHD_Connection *c, const char *version,
      struct request *rq)
{
	char reason[ERROR_MSG_MAX];
	struct http_request *req = &rq->rv.req;
	struct http_answer a;
	unsigned status;
	char *path;
	int rc;

	if ((status = framing_refused(c, version, reason,
	    sizeof(reason))) != 0) {
		rq->answered = 1;
		http_answer_set(&a, req, status, status == 501 ?
		    "not-implemented" : "rejected", reason);
		return send_answer(srv, c, &a);
	}
	pthread_mutex_lock(&srv->lock);
	path = strdup(srv->live.ingest_path);
	pthread_mutex_unlock(&srv->lock);
	if (path == NULL)
		return MHD_NO;
	req->ingest_path = path;
	rq->answered = 1;
	rc = http_ingest_begin(srv->in, req, &a);
	req->ingest_path = NULL;
	free(path);
	if (rc < 0)
		return send_answer(srv, c, &a);
	http_body_init(&rq->body, srv->in);
	rq->answered = 0;
	return MHD_YES;
}

/* 408: the request was not whole within request-deadline. */
static enum MHD_Result
answer_late(struct http_server *srv, struct MHD_Connection *c,
	    struct request *rq)
{
	char reason[ERROR_MSG_MAX];
	struct http_answer a;
	unsigned deadline;

	pthread_mutex_lock(&srv->lock);
	deadline = srv->live.deadline;
	pthread_mutex_unlock(&srv->lock);
	rq->answered = 1;
	fmt_cut(reason, sizeof(reason), "the request, headers and body, took "
	    "more than request-deadline (%u s)", deadline);
	http_answer_set(&a, &rq->rv.req, 408, "timeout", reason);
	return send_answer(srv, c, &a);
}

/*
 * The headers of a proxied request are in: count its connection against
 * the client X-Forwarded-For names. 0, or -1 when the client holds its
 * share already: answered 429 then.
 */
static int
admit_client(struct http_server *srv, struct MHD_Connection *c,
	     struct conn *cn, struct request *rq, enum MHD_Result *ret)
{
	char who[INET6_ADDRSTRLEN], reason[ERROR_MSG_MAX];
	struct guard_addr client;
	struct http_answer a;
	enum guard_verdict v;

	http_client_address(&rq->rv.req, who, sizeof(who));
	if (guard_addr_parse(who, &client) < 0)
		return 0;
	if ((v = http_guard_client(srv->guard, &cn->g, &client)) == GUARD_OK)
		return 0;
	/* Cut or not, the answer is the same 429. */
	fmt_cut(reason, sizeof(reason), "%s holds %s; try again later", who,
	    v == GUARD_CLIENT_FULL ? "max-connections-per-client connections "
	    "already" : "connections already, and the rest are kept for "
	    "senders holding none");
	rq->answered = 1;
	http_answer_set(&a, &rq->rv.req, 429, "too-many-connections", reason);
	*ret = send_answer(srv, c, &a);
	return -1;
}

static enum MHD_Result
on_ingest(void *cls, struct MHD_Connection *c, const char *url,
	  const char *method, const char *version, const char *data,
	  size_t *data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	struct conn *cn = conn_of(c);
	struct http_answer a;
	enum MHD_Result ret;

	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		buf_init(&rq->body.buf, 0);
		*con_cls = rq;
		conn_set_idle(srv, cn, 0);
		pthread_mutex_lock(&srv->lock);
		srv->inflight++;
		pthread_mutex_unlock(&srv->lock);
		request_fill(srv, c, url, method, &rq->rv);
		if (cn != NULL && http_guard_expired(srv->guard, &cn->g))
			return answer_late(srv, c, rq);
		if (cn != NULL && cn->g.proxied &&
		    admit_client(srv, c, cn, rq, &ret) < 0)
			return ret;
		return begin(srv, c, version, rq);
	}
	/* Past the deadline in the middle of a body (where libmicrohttpd
	 * cannot answer), the guard's thread closes the connection: nothing
	 * to look at per piece. */
	if (*data_size > 0) {
		size_t n = *data_size;

		*data_size = 0;
		if (rq->answered)
			return MHD_YES;
		return http_body_add(srv->in, &rq->rv.req, &rq->body, data,
		    n) < 0 ? MHD_NO : MHD_YES;
	}
	if (rq->answered)
		return MHD_YES;
	if (cn != NULL && http_guard_whole(srv->guard, &cn->g))
		return answer_late(srv, c, rq);
	rq->answered = 1;
	http_body_end(srv->in, &rq->rv.req, &rq->body, &a);
	return send_answer(srv, c, &a);
}

/* At accept(), before the connection costs a thread: may it come in? */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct http_server *srv = cls;
	struct guard_addr peer;

	(void)salen;
	if (guard_addr_from_sockaddr(sa, &peer) < 0)
		return MHD_YES;
	return http_guard_admit(srv->guard, &peer, from_proxy(srv, sa)) ==
	    GUARD_OK ? MHD_YES : MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
	      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	struct guard_addr peer;
	struct conn *cn;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&srv->busy, 1);
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		/* A connection the guard cannot count is not kept. */
		if ((cn = calloc(1, sizeof(*cn))) == NULL) {
			if (ci != NULL)
				shutdown(ci->connect_fd, SHUT_RDWR);
			*socket_context = NULL;
			return;
		}
		sa = peer_sockaddr(c);
		if (guard_addr_from_sockaddr(sa, &peer) < 0)
			memset(&peer, 0, sizeof(peer));
		http_guard_add(srv->guard, &cn->g, &peer, from_proxy(srv, sa),
		    ci != NULL ? ci->connect_fd : -1);
		*socket_context = cn;
		return;
	}
	cn = *socket_context;
	if (cn == NULL || !cn->idle)
		atomic_fetch_sub(&srv->busy, 1);
	if (cn != NULL)
		http_guard_remove(srv->guard, &cn->g);
	free(cn);
	*socket_context = NULL;
}

unsigned
http_busy_connections(void *srv)
{
	return atomic_load(&((struct http_server *)srv)->busy);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct request *rq = *con_cls;
	struct conn *cn = conn_of(c);

	(void)toe;
	conn_set_idle(srv, cn, 1);
	if (cn != NULL)
		http_guard_done(srv->guard, &cn->g);
	if (rq == NULL)
		return;
	http_body_release(&rq->body);
	free(rq);
	*con_cls = NULL;
	pthread_mutex_lock(&srv->lock);
	srv->inflight--;
	pthread_mutex_unlock(&srv->lock);
}

static enum MHD_Result
on_api(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *data,
       size_t *data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct api_answer a;
	struct api_query q;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char reason[ERROR_MSG_MAX];
	char *token = NULL;
	unsigned status;
	static int first, refused;

	(void)data;
	/* Answer once the request is whole; ignore any body. */
	if (*con_cls == NULL) {
		*con_cls = &first;
		if ((status = framing_refused(c, version, reason,
		    sizeof(reason))) == 0)
			return MHD_YES;
		r = response_new(reason, strlen(reason),
		    "text/plain; charset=utf-8", NULL, 0);
		if (r == NULL)
			return MHD_NO;
		ret = MHD_queue_response(c, status, r);
		MHD_destroy_response(r);
		*con_cls = &refused;
		return ret;
	}
	if (*data_size > 0 || *con_cls == &refused) {
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv->lock);
	if (srv->live.token != NULL)
		token = strdup(srv->live.token);
	pthread_mutex_unlock(&srv->lock);
	q.days = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "days");
	q.now = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "now");
	q.limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit");
	q.after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "after");
	api_route(srv->in, token, method, url, MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &q, &a);
	free(token);
	r = response_new(a.body.data, a.body.len, a.content_type, a.allow,
	    a.retry_after);
	if (r == NULL) {
		buf_release(&a.body);
		return MHD_NO;
	}
	/* Basic first: a browser prompts for it, and only for it. */
	if (a.challenge &&
	    (MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    "Basic realm=\"tlsrptd\", charset=\"UTF-8\"") != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    "Bearer realm=\"tlsrptd\"") != MHD_YES)) {
		MHD_destroy_response(r);
		buf_release(&a.body);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, a.status, r);
	MHD_destroy_response(r);
	buf_release(&a.body);
	return ret;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vfmt_cut(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

int
http_listen_socket(const char *spec, struct error *err)
{
	char host[256];
	const char *colon, *port, *h;
	struct addrinfo hints, *res = NULL, *ai;
	size_t hl;
	int fd = -1, one = 1, zero = 0, rc, saved = 0;

	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (colon == NULL)
			return error_set(err, ERR_INPUT, "%s: expected "
			    "[ADDRESS]:PORT", spec);
		h = spec + 1;
		hl = (size_t)(colon - h);
		port = colon + 2;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || strchr(spec, ':') != colon)
			return error_set(err, ERR_INPUT, "%s: expected "
			    "ADDRESS:PORT or [IPV6]:PORT", spec);
		h = spec;
		hl = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hl >= sizeof(host) || port[0] == '\0')
		return error_set(err, ERR_INPUT, "%s: expected ADDRESS:PORT",
		    spec);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (host[0] == '\0' || strcmp(host, "*") == 0) {
		/* Every address: IPv6 with IPv4 mapped in, else IPv4. */
		hints.ai_family = AF_INET6;
		rc = getaddrinfo(NULL, port, &hints, &res);
		if (rc != 0) {
			hints.ai_family = AF_INET;
			rc = getaddrinfo(NULL, port, &hints, &res);
		}
	} else {
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc != 0)
		return error_set(err, ERR_INPUT, "%s: %s", spec,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
			    host[0] == '\0' || strcmp(host, "*") == 0 ?
			    &zero : &one, sizeof(int));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return error_set(err, ERR_IO, "%s: cannot listen: %s", spec,
		    strerror(saved));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/*
 * A listener. The public one (h on_ingest) has its connections counted
 * by the guard, which admits them at accept(); limit is then only the
 * hard limit behind the guard's. libmicrohttpd's own per-address limit
 * is not used: it counts TCP peers, and behind a proxy every sender is
 * the proxy.
 */
static struct MHD_Daemon *
start_daemon(struct http_server *srv, int fd, const char *priority,
	     unsigned limit, unsigned timeout, MHD_AccessHandlerCallback h)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	int pub = h == on_ingest;

	if (priority != NULL)
		return MHD_start_daemon(flags | MHD_USE_TLS, 0,
		    pub ? on_accept : NULL, srv, h, srv,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_CONNECTION_LIMIT, limit,
		    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		    MHD_OPTION_THREAD_STACK_SIZE, HTTP_THREAD_STACK,
		    MHD_OPTION_HTTPS_CERT_CALLBACK, tls_retrieve,
		    MHD_OPTION_HTTPS_PRIORITIES, priority,
		    MHD_OPTION_END);
	return MHD_start_daemon(flags, 0, pub ? on_accept : NULL, srv, h, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, pub ? on_completed : NULL, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, pub ? on_connection : NULL, srv,
	    MHD_OPTION_THREAD_STACK_SIZE, HTTP_THREAD_STACK,
	    MHD_OPTION_END);
}

void
http_sockets_close(struct http_sockets *socks)
{
	if (socks->pub >= 0)
		close(socks->pub);
	if (socks->api >= 0)
		close(socks->api);
	socks->pub = socks->api = -1;
}

int
http_bind(const struct config *cfg, struct http_sockets *socks,
	  struct error *err)
{
	socks->pub = socks->api = -1;
	if (cfg->listen && cfg->listen[0] &&
	    (socks->pub = http_listen_socket(cfg->listen, err)) < 0)
		return -1;
	if (cfg->api_listen && cfg->api_listen[0] &&
	    (socks->api = http_listen_socket(cfg->api_listen, err)) < 0) {
		http_sockets_close(socks);
		return -1;
	}
	return 0;
}

struct http_server *
http_start(const struct config *cfg, struct http_sockets *socks,
	   struct tls *tls, struct ingest *in, struct error *err)
{
	struct http_server *srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		goto fail;
	}
	srv->in = in;
	srv->tls = tls != NULL;
	pthread_mutex_init(&srv->lock, NULL);
	if (live_from_config(&srv->live, cfg, err) < 0)
		goto fail;
	if (tls != NULL) {
		if (tls_check_priority(cfg->tls_priority, err) < 0)
			goto fail;
		tls_set_current(tls);
	}
	if (socks->pub >= 0) {
		struct guard_limits lim = {
			.total = cfg->max_connections,
			.per_client = cfg->max_connections_per_client,
			.deadline = cfg->request_deadline,
		};

		if ((srv->guard = http_guard_new(&lim, err)) == NULL ||
		    http_guard_start(srv->guard, err) < 0)
			goto fail;
		srv->pub = start_daemon(srv, socks->pub, tls != NULL ?
		    cfg->tls_priority : NULL, http_guard_capacity(srv->guard),
		    cfg->connection_timeout, on_ingest);
		if (srv->pub == NULL) {
			error_set(err, ERR_IO, "%s: libmicrohttpd cannot start "
			    "the listener", cfg->listen);
			goto fail;
		}
		socks->pub = -1;
	}
	if (socks->api >= 0) {
		srv->api = start_daemon(srv, socks->api, NULL,
		    HTTP_API_CONNECTIONS, cfg->connection_timeout, on_api);
		if (srv->api == NULL) {
			error_set(err, ERR_IO, "%s: libmicrohttpd cannot start "
			    "the API listener", cfg->api_listen);
			goto fail;
		}
		socks->api = -1;
	}
	return srv;
fail:
	http_sockets_close(socks);
	http_stop(srv);
	return NULL;
}

int
http_check_config(const struct config *cfg, struct error *err)
{
	struct live lv;

	if (live_from_config(&lv, cfg, err) < 0)
		return -1;
	live_release(&lv);
	return 0;
}

int
http_reconfigure(struct http_server *srv, const struct config *cfg,
		 struct error *err)
{
	struct live lv, old;

	if (live_from_config(&lv, cfg, err) < 0)
		return -1;
	pthread_mutex_lock(&srv->lock);
	old = srv->live;
	srv->live = lv;
	pthread_mutex_unlock(&srv->lock);
	live_release(&old);
	if (srv->guard != NULL)
		http_guard_set_limits(srv->guard,
		    cfg->max_connections_per_client, cfg->request_deadline);
	return 0;
}

void
http_drain(struct http_server *srv, unsigned max_wait)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	unsigned waited = 0, left;
	MHD_socket fd;

	if (srv == NULL || srv->pub == NULL)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->draining = 1;
	pthread_mutex_unlock(&srv->lock);
	/* The listening socket is ours once quiesced: closing it refuses
	 * new connections at once. */
	fd = MHD_quiesce_daemon(srv->pub);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (;;) {
		pthread_mutex_lock(&srv->lock);
		left = srv->inflight;
		pthread_mutex_unlock(&srv->lock);
		if (left == 0 || waited >= max_wait * 20)
			break;
		nanosleep(&pause, NULL);
		waited++;
	}
	if (left > 0)
		log_warn("%u requests still in flight after %us; closing them",
		    left, max_wait);
	MHD_stop_daemon(srv->pub);
	srv->pub = NULL;
}

void
http_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->pub != NULL)
		MHD_stop_daemon(srv->pub);
	if (srv->api != NULL)
		MHD_stop_daemon(srv->api);
	http_guard_free(srv->guard);
	live_release(&srv->live);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
