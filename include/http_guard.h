/*
 * http_guard: who may hold the public listener's connections, and for how
 * long (doc/connections.md). A few hundred slow clients
 * from a handful of addresses must not lock out a sender from another.
 *
 * - Each connection counts against its client: the TCP peer, or, for a
 *   peer among trusted-proxies, the address X-Forwarded-For names
 *   (http_ingest.h), known once the request's headers are in. An IPv6
 *   client counts by its /64, what one host is commonly given.
 * - A client holds at most per_client connections.
 * - The last 1/BOUND_CONNECTIONS_RESERVE of the total (at least one) is
 *   kept for clients holding none: a client that holds a connection may
 *   not take another there.
 * - A client holding none always gets in: at the total, a connection is
 *   closed for it, the newest of the client holding the most, or, when
 *   each holds one, the one longest at its request. A connection whose
 *   request is whole (being stored or answered) is never closed.
 * - A request, headers and body, has deadline seconds from the moment its
 *   connection opened or its previous request ended, whatever its pace;
 *   past it the guard's thread closes the connection (http.c answers 408
 *   first when it still can).
 *
 * To close is to shutdown(2) the connection's socket: libmicrohttpd, in
 * the connection's thread, sees it end and frees it, and only then calls
 * http_guard_remove(), before it closes the descriptor. Everything is
 * under one mutex; the counts are a table sized at the start for the most
 * connections there may be (http_guard_capacity()), so nothing is
 * allocated per connection.
 */
#ifndef TLSRPT_HTTP_GUARD_H
#define TLSRPT_HTTP_GUARD_H

#include <stdint.h>
#include <sys/socket.h>

#include "error.h"

#define HTTP_GUARD_TICK_MS	250	/* how often deadlines are looked at */

/* A client as counted: an IPv4 address, or an IPv6 /64. */
struct guard_addr {
	int family;		/* AF_INET or AF_INET6; 0: none */
	unsigned char a[16];
};

/*
 * One connection, in the caller's storage (http.c's socket context), from
 * http_guard_add() to http_guard_remove(). The fields are the guard's.
 */
struct guard_conn {
	struct guard_addr client;	/* family 0: not known (yet) */
	int fd;
	int proxied;		/* from a trusted proxy */
	int whole;		/* its request is whole: no deadline */
	int closing;		/* shut down by the guard */
	int64_t since;		/* ms (http_guard_now): its request began */
	struct guard_conn *prev, *next;
};

struct guard_limits {
	unsigned total;		/* max-connections (at least 1) */
	unsigned per_client;	/* max-connections-per-client; 0: none */
	unsigned deadline;	/* request-deadline, seconds; 0: none */
};

enum guard_verdict {
	GUARD_OK,
	GUARD_CLIENT_FULL,	/* the client holds per_client already */
	GUARD_RESERVED,		/* the rest is kept for clients holding none */
};

struct http_guard;

/* A guard for lim; NULL with err set when out of memory. */
struct http_guard *http_guard_new(const struct guard_limits *lim,
				  struct error *err);

/* Stop its thread and free it; NULL is allowed. */
void http_guard_free(struct http_guard *g);

/*
 * The most connections there may be at once: the total, and room for the
 * clients let in while connections closed for them are leaving. The
 * listener's own hard limit.
 */
unsigned http_guard_capacity(const struct http_guard *g);

/* Take new per-client and deadline limits (a reload); the total stays. */
void http_guard_set_limits(struct http_guard *g, unsigned per_client,
			   unsigned deadline);

/*
 * May a connection from peer come in? Asked at accept(), before anything
 * is read. A trusted proxy's connections are let in (their clients are
 * counted once known, http_guard_client()).
 */
enum guard_verdict http_guard_admit(struct http_guard *g,
				    const struct guard_addr *peer,
				    int proxied);

/*
 * A connection has started on fd (kept, not owned): count it, its request
 * starting now. When it takes the guard past the total and its client
 * held none, another connection is closed to make room.
 */
void http_guard_add(struct http_guard *g, struct guard_conn *c,
		    const struct guard_addr *peer, int proxied, int fd);

/* The connection has ended (its descriptor is still open). */
void http_guard_remove(struct http_guard *g, struct guard_conn *c);

/*
 * The headers of a proxied connection's request are in, client the
 * address X-Forwarded-For names: count the connection against it, or say
 * why not (the caller answers 429 and closes).
 */
enum guard_verdict http_guard_client(struct http_guard *g,
				     struct guard_conn *c,
				     const struct guard_addr *client);

/*
 * The request is whole: from now on no deadline, and never closed. 1
 * when it passed the deadline first (the caller answers 408), counted as
 * http_guard_expired() counts it; else 0.
 */
int http_guard_whole(struct http_guard *g, struct guard_conn *c);

/* The request has ended: the next one's deadline runs from now; a
 * proxied connection's next request may be another client's. */
void http_guard_done(struct http_guard *g, struct guard_conn *c);

/*
 * Has the request on c passed the deadline? When it has, the caller
 * answers 408 at once: from then on the guard's thread leaves it alone,
 * and it is counted as closed for the deadline. A request past it in the
 * middle of its body is closed by the guard's thread, within
 * HTTP_GUARD_TICK_MS: libmicrohttpd could not answer it there.
 */
int http_guard_expired(struct http_guard *g, struct guard_conn *c);

/*
 * Close every connection whose request passed the deadline at now (ms,
 * http_guard_now's clock); the number closed. The guard's thread calls it
 * every HTTP_GUARD_TICK_MS; exposed for tests.
 */
unsigned http_guard_tick(struct http_guard *g, int64_t now);

/* Start the thread that closes connections past the deadline. */
int http_guard_start(struct http_guard *g, struct error *err);

/* Connections counted now, and those of client (tests, logs). */
unsigned http_guard_count(struct http_guard *g,
			  const struct guard_addr *client);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t http_guard_now(void);

/*
 * A client's key from a socket address (an IPv4-mapped IPv6 address is
 * IPv4), or from text; -1 for another family or text that is not an
 * address.
 */
int guard_addr_from_sockaddr(const struct sockaddr *sa,
			     struct guard_addr *out);
int guard_addr_parse(const char *text, struct guard_addr *out);

#endif
