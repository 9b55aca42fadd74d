/* http_guard: see include/http_guard.h. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "clock.h"
#include "http_guard.h"
#include "log.h"
#include "metrics.h"
#include "thread.h"
#include "banned.h"

/* A client and the connections counted against it. */
struct slot {
	struct guard_addr key;	/* family 0: free */
	unsigned n;
};

struct http_guard {
	struct worker worker;		/* its lock: everything below */
	struct guard_limits lim;
	unsigned reserve;		/* of lim.total, for new clients */
	unsigned active;		/* counted: added, not closing */
	struct guard_conn *head, *tail;	/* every connection, oldest first */
	struct slot *slots;		/* open addressing, a power of 2 */
	size_t nslots;
};

int64_t
http_guard_now(void)
{
	return clock_ms();
}

/* The key of an address of family (AF_INET, AF_INET6) in bytes. */
static void
addr_key(int family, const unsigned char *bytes, struct guard_addr *out)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	memset(out, 0, sizeof(*out));
	if (family == AF_INET6 && memcmp(bytes, mapped, 12) == 0) {
		family = AF_INET;
		bytes += 12;
	}
	out->family = family;
	/* A host is commonly given a /64: its other addresses are its own. */
	memcpy(out->a, bytes, family == AF_INET ? 4 : 8);
}

int
guard_addr_from_sockaddr(const struct sockaddr *sa, struct guard_addr *out)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	sa_family_t family;

	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	/* Copied out: a struct sockaddr is read as the type it really is. */
	memcpy(&family, (const char *)sa + offsetof(struct sockaddr,
	    sa_family), sizeof(family));
	if (family == AF_INET) {
		memcpy(&s4, sa, sizeof(s4));
		addr_key(AF_INET, (const unsigned char *)&s4.sin_addr, out);
		return 0;
	}
	if (family == AF_INET6) {
		memcpy(&s6, sa, sizeof(s6));
		addr_key(AF_INET6, s6.sin6_addr.s6_addr, out);
		return 0;
	}
	return -1;
}

int
guard_addr_parse(const char *text, struct guard_addr *out)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		addr_key(AF_INET, a, out);
	else if (inet_pton(AF_INET6, text, a) == 1)
		addr_key(AF_INET6, a, out);
	else {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

static int
addr_equal(const struct guard_addr *a, const struct guard_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

/* FNV-1a of the key. */
static size_t
addr_hash(const struct guard_addr *a)
{
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (uint32_t)a->family) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h;
}

/* The slot of key, or the free one where it would go (lock held). */
static struct slot *
slot_find(struct http_guard *g, const struct guard_addr *key)
{
	size_t i = addr_hash(key) & (g->nslots - 1);

	while (g->slots[i].key.family != 0 && !addr_equal(&g->slots[i].key,
	    key))
		i = (i + 1) & (g->nslots - 1);
	return &g->slots[i];
}

static unsigned
count_of(struct http_guard *g, const struct guard_addr *key)
{
	if (key->family == 0)
		return 0;
	return slot_find(g, key)->n;
}

/*
 * Count one more connection of key. The table has room for twice the
 * capacity: a client is there only while it holds a connection.
 */
static void
count_add(struct http_guard *g, const struct guard_addr *key)
{
	struct slot *s = slot_find(g, key);

	s->key = *key;
	s->n++;
}

/* One fewer; a slot left empty is freed, the run after it moved up so
 * that every key stays reachable from its hash without tombstones. */
static void
count_del(struct http_guard *g, const struct guard_addr *key)
{
	size_t mask = g->nslots - 1, i, j, home;
	struct slot *s;

	if (key->family == 0)
		return;
	s = slot_find(g, key);
	if (s->key.family == 0 || --s->n > 0)
		return;
	i = (size_t)(s - g->slots);
	j = i;
	for (;;) {
		g->slots[i].key.family = 0;
		g->slots[i].n = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (g->slots[j].key.family == 0)
				return;
			home = addr_hash(&g->slots[j].key) & mask;
			/* Stays unless its home is cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) :
			    (home <= i && home > j))
				break;
		}
		g->slots[i] = g->slots[j];
		i = j;
	}
}

struct http_guard *
http_guard_new(const struct guard_limits *lim, struct error *err)
{
	struct http_guard *g = calloc(1, sizeof(*g));
	size_t want;

	if (g == NULL) {
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	g->lim = *lim;
	if (g->lim.total == 0)
		g->lim.total = 1;
	g->reserve = g->lim.total / BOUND_CONNECTIONS_RESERVE;
	if (g->reserve == 0)
		g->reserve = 1;
	want = 2 * (size_t)http_guard_capacity(g);
	for (g->nslots = 16; g->nslots < want; g->nslots *= 2)
		;
	if ((g->slots = calloc(g->nslots, sizeof(*g->slots))) == NULL) {
		free(g);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	worker_init(&g->worker);
	return g;
}

void
http_guard_free(struct http_guard *g)
{
	if (g == NULL)
		return;
	worker_release(&g->worker);
	free(g->slots);
	free(g);
}

unsigned
http_guard_capacity(const struct http_guard *g)
{
	return g->lim.total + g->reserve;
}

void
http_guard_set_limits(struct http_guard *g, unsigned per_client,
		      unsigned deadline)
{
	pthread_mutex_lock(&g->worker.lock);
	g->lim.per_client = per_client;
	g->lim.deadline = deadline;
	pthread_mutex_unlock(&g->worker.lock);
}

/* May a client holding n connections take one more? (lock held) */
static enum guard_verdict
verdict(struct http_guard *g, unsigned n)
{
	if (g->lim.per_client > 0 && n >= g->lim.per_client)
		return GUARD_CLIENT_FULL;
	if (n > 0 && g->active + g->reserve >= g->lim.total)
		return GUARD_RESERVED;
	return GUARD_OK;
}

static void
count_refusal(enum guard_verdict v)
{
	if (v != GUARD_OK)
		metrics_count_guard(v == GUARD_CLIENT_FULL ?
		    MGUARD_CLIENT_CAP : MGUARD_RESERVE);
}

enum guard_verdict
http_guard_admit(struct http_guard *g, const struct guard_addr *peer,
		 int proxied)
{
	enum guard_verdict v = GUARD_OK;

	if (proxied || peer->family == 0)
		return GUARD_OK;
	pthread_mutex_lock(&g->worker.lock);
	v = verdict(g, count_of(g, peer));
	pthread_mutex_unlock(&g->worker.lock);
	count_refusal(v);
	return v;
}

/* Close c: it no longer counts, and its thread sees the socket end. */
static void
shut(struct http_guard *g, struct guard_conn *c)
{
	c->closing = 1;
	g->active--;
	count_del(g, &c->client);
	c->client.family = 0;
	shutdown(c->fd, SHUT_RDWR);
}

/* May c be closed to make room? */
static int
closable(const struct guard_conn *c, const struct guard_conn *except)
{
	return c != except && !c->whole && !c->closing;
}

/*
 * Make room for a new client (lock held): close the newest closable
 * connection of the client holding the most, when one holds several;
 * else the closable one longest at its request.
 */
static void
evict(struct http_guard *g, const struct guard_conn *except)
{
	const struct guard_addr *most = NULL;
	struct guard_conn *c, *victim = NULL;
	unsigned best = 1;
	size_t i;

	for (i = 0; i < g->nslots; i++)
		if (g->slots[i].key.family != 0 && g->slots[i].n > best) {
			best = g->slots[i].n;
			most = &g->slots[i].key;
		}
	if (most != NULL)
		for (c = g->tail; c != NULL && victim == NULL; c = c->prev)
			if (closable(c, except) && addr_equal(&c->client, most))
				victim = c;
	if (victim == NULL)
		for (c = g->head; c != NULL; c = c->next)
			if (closable(c, except) && (victim == NULL ||
			    c->since < victim->since))
				victim = c;
	if (victim == NULL)
		return;
	shut(g, victim);
	metrics_count_guard(MGUARD_EVICTED);
}

void
http_guard_add(struct http_guard *g, struct guard_conn *c,
	       const struct guard_addr *peer, int proxied, int fd)
{
	int fresh;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->proxied = proxied;
	c->since = http_guard_now();
	pthread_mutex_lock(&g->worker.lock);
	c->prev = g->tail;
	if (g->tail != NULL)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
	g->active++;
	fresh = 1;
	if (!proxied && peer->family != 0) {
		fresh = count_of(g, peer) == 0;
		c->client = *peer;
		count_add(g, peer);
	}
	if (fresh && g->active > g->lim.total)
		evict(g, c);
	pthread_mutex_unlock(&g->worker.lock);
}

void
http_guard_remove(struct http_guard *g, struct guard_conn *c)
{
	pthread_mutex_lock(&g->worker.lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
	if (!c->closing) {
		g->active--;
		count_del(g, &c->client);
	}
	c->client.family = 0;
	pthread_mutex_unlock(&g->worker.lock);
}

enum guard_verdict
http_guard_client(struct http_guard *g, struct guard_conn *c,
		  const struct guard_addr *client)
{
	enum guard_verdict v;

	pthread_mutex_lock(&g->worker.lock);
	count_del(g, &c->client);
	c->client.family = 0;
	v = verdict(g, count_of(g, client));
	if (v == GUARD_OK && client->family != 0) {
		c->client = *client;
		count_add(g, client);
	}
	pthread_mutex_unlock(&g->worker.lock);
	count_refusal(v);
	return v;
}


void
http_guard_done(struct http_guard *g, struct guard_conn *c)
{
	pthread_mutex_lock(&g->worker.lock);
	c->whole = 0;
	c->since = http_guard_now();
	if (c->proxied && !c->closing) {
		count_del(g, &c->client);
		c->client.family = 0;
	}
	pthread_mutex_unlock(&g->worker.lock);
}

/* Past the deadline at now? (lock held) */
static int
expired(const struct http_guard *g, const struct guard_conn *c, int64_t now)
{
	return g->lim.deadline > 0 && !c->whole &&
	    now - c->since >= (int64_t)g->lim.deadline * 1000;
}

/* Has c passed the deadline? Then, or when whole is set, c has no
 * deadline from now on. */
static int
judge(struct http_guard *g, struct guard_conn *c, int whole)
{
	int64_t now = http_guard_now();
	int late;

	pthread_mutex_lock(&g->worker.lock);
	late = !c->closing && expired(g, c, now);
	/* The caller answers 408: the guard's thread must not cut the
	 * answer short. */
	if (late || whole)
		c->whole = 1;
	pthread_mutex_unlock(&g->worker.lock);
	if (late)
		metrics_count_guard(MGUARD_DEADLINE);
	return late;
}

int
http_guard_expired(struct http_guard *g, struct guard_conn *c)
{
	return judge(g, c, 0);
}

int
http_guard_whole(struct http_guard *g, struct guard_conn *c)
{
	return judge(g, c, 1);
}

unsigned
http_guard_tick(struct http_guard *g, int64_t now)
{
	struct guard_conn *c;
	unsigned n = 0, i;

	pthread_mutex_lock(&g->worker.lock);
	for (c = g->head; c != NULL; c = c->next)
		if (!c->closing && expired(g, c, now)) {
			shut(g, c);
			n++;
		}
	pthread_mutex_unlock(&g->worker.lock);
	for (i = 0; i < n; i++)
		metrics_count_guard(MGUARD_DEADLINE);
	return n;
}

static void *
guard_main(void *arg)
{
	struct http_guard *g = arg;
	unsigned n;

	while (!worker_nap(&g->worker, HTTP_GUARD_TICK_MS))
		if ((n = http_guard_tick(g, http_guard_now())) > 0)
			log_debug("closed %u connections past request-deadline",
			    n);
	return NULL;
}

int
http_guard_start(struct http_guard *g, struct error *err)
{
	return worker_start(&g->worker, "http-guard", guard_main, g, err);
}

unsigned
http_guard_count(struct http_guard *g, const struct guard_addr *client)
{
	unsigned n;

	pthread_mutex_lock(&g->worker.lock);
	n = client != NULL ? count_of(g, client) : g->active;
	pthread_mutex_unlock(&g->worker.lock);
	return n;
}
