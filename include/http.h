/*
 * http: the daemon's two libmicrohttpd listeners (doc/http.md).
 *
 * The public listener takes reports: POST to the ingest path, the body
 * buffered in a struct buf capped at max-body, then one pipeline call
 * (through ingest.h) and one answer, decided without the socket by
 * http_ingest.h:
 *   201 stored  200 duplicate  400 malformed (kept in quarantine)
 *   411 no length  413 over a size limit  415 a type that cannot be a
 *   report  405 another method (Allow: POST)  404 another path
 *   503 + Retry-After when the store cannot commit
 * and, on both listeners, before any of that, 400 or 501 for a request
 * whose framing could be read two ways (http_framing.h). Before those
 * too, the connection limits (http_guard.h): 408 for a request past
 * request-deadline, 429 + Retry-After for a proxied sender over its
 * share, both closing the connection.
 * The body is plain text, or JSON when the client accepts
 * application/json. 201 and 200 come only after the store committed.
 * Over TLS when a struct tls is given (certificate asked for at each
 * handshake, so a reload swaps it without touching open connections;
 * protocols and suites as tls-priority says), plain HTTP otherwise; X-Forwarded-For is believed only from
 * trusted-proxies.
 *
 * The API listener serves api.h's routes, plain HTTP, meant for loopback.
 *
 * Each connection has its own thread; connections are limited in total,
 * per client (the address after trusted proxies), in idle time and in the
 * time a request takes to arrive (http_guard.h), and each has a fixed
 * memory pool, so slow or huge clients cost bounded memory and time and
 * cannot lock out a sender.
 */
#ifndef TLSRPT_HTTP_H
#define TLSRPT_HTTP_H

#include "bounds.h"
#include "config.h"
#include "error.h"
#include "http_ingest.h"
#include "ingest.h"
#include "tls.h"

/*
 * The stack of a connection's thread. glibc keeps 40 MiB of the stacks of
 * ended threads for new ones: with the 8 MiB default that is 5 stacks, so
 * that under load nearly every connection maps, faults in and unmaps a
 * stack of its own; at 256 KiB, 160 are kept. A request's deepest path
 * (TLS, inflate, the JSON parse, an SQLite write) needs far less.
 */
#define HTTP_THREAD_STACK	((size_t)256 * 1024)

struct http_server;

/* The listening sockets of the two listeners; -1 for one not wanted. */
struct http_sockets {
	int pub;
	int api;
};

/*
 * Bind the addresses cfg names (listen, api-listen; "" for none) into
 * socks, before anything else: a daemon started as root binds them, then
 * gives up root (priv.h). ERR_IO when an address cannot be bound,
 * ERR_INPUT when it cannot be parsed; nothing is left open then.
 */
int http_bind(const struct config *cfg, struct http_sockets *socks,
	      struct error *err);

/* Close the sockets of socks still open; they are -1 afterwards. */
void http_sockets_close(struct http_sockets *socks);

/*
 * Start the listeners on socks (taken: closed when it fails) with cfg's
 * limits, ingest path, token, trusted proxies and tls-priority. tls (kept,
 * not owned) NULL means plain HTTP on the public listener. ERR_INPUT when
 * GnuTLS refuses tls-priority, ERR_IO when libmicrohttpd cannot start.
 */
struct http_server *http_start(const struct config *cfg,
			       struct http_sockets *socks, struct tls *tls,
			       struct ingest *in, struct error *err);

/*
 * Check what http_start would refuse in cfg without binding anything: the
 * trusted proxies and the ingest path (ERR_INPUT, naming the setting).
 */
int http_check_config(const struct config *cfg, struct error *err);

/*
 * Take the settings that may change without a restart (ingest path, API
 * token, trusted proxies, the per-client share, request-deadline) from
 * cfg. -1 (nothing changed) when the
 * trusted proxies cannot be parsed.
 */
int http_reconfigure(struct http_server *srv, const struct config *cfg,
		     struct error *err);

/*
 * Stop taking connections on the public listener (the port is closed),
 * let the requests in flight finish for at most max_wait seconds, then
 * close it. The API listener keeps answering until http_stop().
 */
void http_drain(struct http_server *srv, unsigned max_wait);

/*
 * The connections of the public listener that may hand the store a report
 * soon (srv is a struct http_server *): those open and not idle between
 * requests, that is new ones and those with a request under way. The
 * others of store_start_writer(). Lock-free.
 */
unsigned http_busy_connections(void *srv);

/* Stop both listeners and free the server. NULL is allowed. */
void http_stop(struct http_server *srv);

/*
 * Parse "ADDR:PORT", "[V6ADDR]:PORT" or "*:PORT" (every address, IPv6 and
 * IPv4) and return a listening socket bound to it. Exposed for tests.
 */
int http_listen_socket(const char *spec, struct error *err);

#endif
