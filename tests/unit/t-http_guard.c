/*
 * Unit tests: http_guard, the public listener's connection limits, on
 * socket pairs standing for connections: a connection the guard closes
 * is one whose other end reads the end of the stream.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_guard.h"
#include "tap.h"

#define MAXC 64

struct fake {
	struct guard_conn g;
	int fd[2];
	int used;
};

static struct fake conns[MAXC];

/* A connection from text (a trusted proxy's when proxied). */
static struct fake *
open_from(struct http_guard *g, const char *text, int proxied)
{
	struct guard_addr a;
	int i;

	for (i = 0; i < MAXC && conns[i].used; i++)
		;
	if (i == MAXC || socketpair(AF_UNIX, SOCK_STREAM, 0,
	    conns[i].fd) < 0)
		return NULL;
	fcntl(conns[i].fd[1], F_SETFL, O_NONBLOCK);
	conns[i].used = 1;
	guard_addr_parse(text, &a);
	http_guard_add(g, &conns[i].g, &a, proxied, conns[i].fd[0]);
	return &conns[i];
}

/* Has the guard shut c's socket? */
static int
was_closed(struct fake *c)
{
	char b;

	return read(c->fd[1], &b, 1) == 0;
}

static void
close_fake(struct http_guard *g, struct fake *c)
{
	http_guard_remove(g, &c->g);
	close(c->fd[0]);
	close(c->fd[1]);
	c->used = 0;
}

static void
close_all(struct http_guard *g)
{
	int i;

	for (i = 0; i < MAXC; i++)
		if (conns[i].used)
			close_fake(g, &conns[i]);
}

static unsigned
count(struct http_guard *g, const char *text)
{
	struct guard_addr a;

	if (text == NULL)
		return http_guard_count(g, NULL);
	guard_addr_parse(text, &a);
	return http_guard_count(g, &a);
}

static enum guard_verdict
admit(struct http_guard *g, const char *text)
{
	struct guard_addr a;

	guard_addr_parse(text, &a);
	return http_guard_admit(g, &a, 0);
}

static void
test_addresses(void)
{
	struct guard_addr a, b;
	struct sockaddr_in6 s6;

	ok(guard_addr_parse("192.0.2.1", &a) == 0 && a.family == AF_INET,
	    "IPv4 text");
	ok(guard_addr_parse("2001:db8:1:2::1", &a) == 0 &&
	    guard_addr_parse("2001:db8:1:2:ffff::9", &b) == 0 &&
	    memcmp(&a, &b, sizeof(a)) == 0, "IPv6: one /64, one client");
	ok(guard_addr_parse("2001:db8:1:3::1", &b) == 0 &&
	    memcmp(&a, &b, sizeof(a)) != 0, "another /64, another client");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &s6.sin6_addr);
	guard_addr_parse("192.0.2.1", &b);
	ok(guard_addr_from_sockaddr((struct sockaddr *)&s6, &a) == 0 &&
	    memcmp(&a, &b, sizeof(a)) == 0, "IPv4-mapped IPv6 is IPv4");
	ok(guard_addr_parse("not an address", &a) < 0 && a.family == 0,
	    "garbage is no client");
}

/* 8 connections, 3 a client: the reserve is 1. */
static void
test_caps(void)
{
	struct guard_limits lim = { 8, 3, 0 };
	struct fake *a[3], *b[3], *c, *d, *e;
	struct http_guard *g;
	struct error err;
	int i;

	g = http_guard_new(&lim, &err);
	ok(g != NULL && http_guard_capacity(g) == 9,
	    "capacity: the total and the reserve");
	for (i = 0; i < 3; i++)
		a[i] = open_from(g, "192.0.2.1", 0);
	is_int(count(g, "192.0.2.1"), 3, "three from one client");
	is_int(admit(g, "192.0.2.1"), GUARD_CLIENT_FULL,
	    "a fourth from it: refused, its share is full");
	for (i = 0; i < 3; i++)
		b[i] = open_from(g, "192.0.2.2", 0);
	c = open_from(g, "192.0.2.3", 0);
	is_int(count(g, NULL), 7, "seven in all");
	is_int(admit(g, "192.0.2.3"), GUARD_RESERVED,
	    "a client holding one may not take the reserve");
	is_int(admit(g, "192.0.2.4"), GUARD_OK,
	    "a client holding none may");
	d = open_from(g, "192.0.2.4", 0);
	is_int(count(g, NULL), 8, "the total reached");
	is_int(admit(g, "192.0.2.5"), GUARD_OK,
	    "at the total a new client is still let in");
	http_guard_whole(g, &b[2]->g);
	e = open_from(g, "192.0.2.5", 0);
	ok(e != NULL && !was_closed(e), "... and kept");
	ok(was_closed(a[2]) && !was_closed(a[1]) && !was_closed(a[0]) &&
	    !was_closed(b[2]) && !was_closed(c) && !was_closed(d),
	    "the newest of a client holding the most was closed for it");
	is_int(count(g, NULL), 8, "the total again");
	is_int(count(g, "192.0.2.1"), 2, "the client closed holds one fewer");
	http_guard_remove(g, &a[2]->g);
	is_int(count(g, NULL), 8, "its end counts nothing twice");
	a[2]->g.fd = -1;
	close_all(g);
	is_int(count(g, NULL), 0, "all gone");
	http_guard_free(g);
}

/* When every client holds one, the one longest at its request goes. */
static void
test_oldest(void)
{
	struct guard_limits lim = { 4, 2, 0 };
	struct fake *f[5];
	struct http_guard *g;
	struct error err;

	g = http_guard_new(&lim, &err);
	f[0] = open_from(g, "192.0.2.10", 0);
	http_guard_whole(g, &f[0]->g);
	f[1] = open_from(g, "192.0.2.11", 0);
	f[2] = open_from(g, "192.0.2.12", 0);
	f[3] = open_from(g, "192.0.2.13", 0);
	f[4] = open_from(g, "192.0.2.14", 0);
	ok(!was_closed(f[0]) && was_closed(f[1]) && !was_closed(f[2]) &&
	    !was_closed(f[4]), "the oldest not whole was closed for the new "
	    "client; the whole one was kept");
	close_all(g);
	http_guard_free(g);
}

static void
test_deadline(void)
{
	struct guard_limits lim = { 16, 4, 2 };
	struct fake *slow, *done, *whole;
	struct http_guard *g;
	struct error err;
	int64_t now;

	g = http_guard_new(&lim, &err);
	now = http_guard_now();
	slow = open_from(g, "192.0.2.20", 0);
	done = open_from(g, "192.0.2.21", 0);
	whole = open_from(g, "192.0.2.22", 0);
	ok(!http_guard_whole(g, &whole->g), "a request whole in time: no 408");
	ok(!http_guard_expired(g, &slow->g), "a new request has time left");
	is_int(http_guard_tick(g, now + 1000), 0, "nothing past it at 1 s");
	is_int(http_guard_tick(g, now + 2500), 2,
	    "at 2.5 s two requests are past the 2 s deadline");
	ok(was_closed(slow) && was_closed(done) && !was_closed(whole),
	    "both closed; a whole request is not");
	http_guard_done(g, &whole->g);
	is_int(http_guard_tick(g, now + 1500), 0,
	    "the next request's deadline runs from the end of the last");
	http_guard_set_limits(g, 4, 0);
	is_int(http_guard_tick(g, now + 100000), 0, "deadline 0: none");
	is_int(count(g, NULL), 1, "closed ones no longer count");
	close_all(g);
	http_guard_free(g);
}

/* Behind a proxy: counted by the client its header names. */
static void
test_proxied(void)
{
	struct guard_limits lim = { 16, 2, 0 };
	struct guard_addr x, y;
	struct fake *p[4];
	struct http_guard *g;
	struct error err;
	int i;

	g = http_guard_new(&lim, &err);
	guard_addr_parse("198.51.100.1", &x);
	guard_addr_parse("198.51.100.2", &y);
	for (i = 0; i < 4; i++)
		p[i] = open_from(g, "127.0.0.1", 1);
	is_int(count(g, "127.0.0.1"), 0, "the proxy is no client");
	is_int(http_guard_client(g, &p[0]->g, &x), GUARD_OK, "x: one");
	is_int(http_guard_client(g, &p[1]->g, &x), GUARD_OK, "x: two");
	is_int(http_guard_client(g, &p[2]->g, &x), GUARD_CLIENT_FULL,
	    "x: a third is over its share");
	is_int(http_guard_client(g, &p[3]->g, &y), GUARD_OK,
	    "y behind the same proxy has its own");
	http_guard_done(g, &p[0]->g);
	is_int(count(g, "198.51.100.1"), 1,
	    "a request done: the proxy's connection is nobody's again");
	is_int(http_guard_client(g, &p[2]->g, &x), GUARD_OK,
	    "so x may have another");
	close_all(g);
	is_int(count(g, "198.51.100.1"), 0, "all gone");
	http_guard_free(g);
}

/* Many clients coming and going: the table keeps every count. */
static void
test_table(void)
{
	struct guard_limits lim = { 40, 40, 0 };
	unsigned want[24], client_of[MAXC];
	struct http_guard *g;
	struct error err;
	struct fake *f;
	char text[32];
	int i, k, c, bad = 0;

	g = http_guard_new(&lim, &err);
	memset(want, 0, sizeof(want));
	srand(7);
	for (i = 0; i < 2000; i++) {
		k = rand() % MAXC;
		if (conns[k].used) {
			close_fake(g, &conns[k]);
			want[client_of[k]]--;
			continue;
		}
		if (count(g, NULL) >= 40)
			continue;
		c = rand() % 24;
		snprintf(text, sizeof(text), "192.0.2.%d", c);
		if ((f = open_from(g, text, 0)) == NULL) {
			bad++;
			continue;
		}
		client_of[f - conns] = (unsigned)c;
		want[c]++;
	}
	for (i = 0; i < 24; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d", i);
		bad += count(g, text) != want[i];
	}
	is_int(bad, 0, "counts right after 2000 opens and closes");
	close_all(g);
	is_int(count(g, NULL), 0, "empty again");
	http_guard_free(g);
}

int
main(void)
{
	test_addresses();
	test_caps();
	test_oldest();
	test_deadline();
	test_proxied();
	test_table();
	return tap_done();
}
