/* Unit tests: spool (durable files, the folder at start, the worker). */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "tap.h"

#define SEEN_MAX 8

/* What the drain function saw. */
struct seen {
	pthread_mutex_t lock;
	int calls;
	int defer_first;	/* answer the first call "deferred" */
	char bodies[SEEN_MAX][32];
	char peer[64], ua[SPOOL_VALUE_MAX + 1], encoding[32];
	long long arrived;
	int n;
};

static int
drain(const struct spool_entry *e, void *arg, struct error *err)
{
	struct seen *s = arg;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->calls++ == 0 && s->defer_first) {
		rc = error_set(err, ERR_BUSY, "database is locked");
	} else if (s->n < SEEN_MAX) {
		snprintf(s->bodies[s->n++], sizeof(s->bodies[0]), "%.*s",
		    (int)e->len, (const char *)e->body);
		if (s->n == 1) {
			snprintf(s->peer, sizeof(s->peer), "%s",
			    e->meta.peer ? e->meta.peer : "-");
			snprintf(s->ua, sizeof(s->ua), "%s",
			    e->meta.user_agent ? e->meta.user_agent : "-");
			snprintf(s->encoding, sizeof(s->encoding), "%s",
			    e->meta.content_encoding ?
			    e->meta.content_encoding : "-");
			s->arrived = (long long)e->meta.arrived.tv_sec;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
put(struct spool *sp, const char *body, const char *ua, time_t arrived,
    struct error *err)
{
	struct spool_meta m;

	memset(&m, 0, sizeof(m));
	m.source = "https";
	m.peer = "192.0.2.7";
	m.user_agent = ua;
	m.content_type = "application/tlsrpt+json";
	m.content_encoding = "gzip";
	m.arrived.tv_sec = arrived;
	return spool_put(sp, &m, body, strlen(body), err);
}

/* Files in dir whose names end in suffix. */
static int
count(const char *dir, const char *suffix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n, k = strlen(suffix);
	int c = 0;

	while (d != NULL && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > k && strcmp(de->d_name + n - k, suffix) == 0)
			c++;
	}
	if (d != NULL)
		closedir(d);
	return c;
}

static void
drained(struct spool *sp)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct spool_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		spool_stats(sp, &st);
		if (st.bodies == 0)
			return;
		nanosleep(&ts, NULL);
	}
}

int
main(void)
{
	char tmpl[] = "/tmp/t-spool.XXXXXX", dir[256], path[512], why[512];
	char ua[400];
	struct seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct spool_stats st;
	struct spool *sp, *sp2;
	struct error err;
	time_t now = time(NULL);
	int fd;

	log_set_quiet(1);
	spool_default_dir("/var/lib/tlsrptd/tlsrpt.db", 1, dir, sizeof(dir));
	is_str(dir, "/var/lib/tlsrptd/spool", "beside a SQLite file");
	spool_default_dir("tlsrpt.db", 1, dir, sizeof(dir));
	is_str(dir, "spool", "beside a SQLite file in the working folder");
	spool_default_dir("/tlsrpt.db", 1, dir, sizeof(dir));
	is_str(dir, "/spool", "beside a file at the root");
	spool_default_dir("postgresql://h/db", 0, dir, sizeof(dir));
	is_str(dir, "", "none for PostgreSQL");
	spool_default_dir(":memory:", 1, dir, sizeof(dir));
	is_str(dir, "", "none for a store in memory");

	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/spool", tmpl);
	error_clear(&err);
	sp = spool_open(dir, 1 << 20, 60, &err);
	ok(sp != NULL, "a new spool folder is made");
	sp2 = spool_open(dir, 1 << 20, 60, &err);
	ok(sp2 == NULL && err.kind == ERR_IO && strstr(err.msg, "in use"),
	    "a second daemon on the folder is refused: %s", err.msg);

	/* A User-Agent with control characters and past the value limit. */
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	memcpy(ua, "a\nb\r", 4);
	is_int(put(sp, "first", ua, now - 100, &err), 0, "a body is kept");
	is_int(put(sp, "second", "ua", now, &err), 0, "another");
	is_int(put(sp, "third", "ua", now, &err), 0, "a third");
	is_int(count(dir, ".spool"), 3, "one file each");
	is_int(count(dir, ".tmp"), 0, "no temporary file left");
	spool_stats(sp, &st);
	is_int(st.bodies, 3, "stats: 3 bodies");
	is_int(st.bytes, 3 * SPOOL_BLOCK, "stats: in whole blocks");
	is_int(st.oldest, now - 100, "stats: the oldest arrival");
	ok(spool_stalled(sp, why, sizeof(why)) &&
	    strstr(why, "does not drain: 3 bodies"),
	    "waited past spool-stall: stalled: %s", why);
	spool_set_limits(sp, 1 << 20, 0);
	ok(!spool_stalled(sp, why, sizeof(why)), "spool-stall 0: never");
	ok(!spool_holding_back(sp), "not holding back at first");
	spool_hold_back(sp, "database is locked");
	ok(spool_holding_back(sp), "holding back once the store refused");
	spool_close(sp);

	/* A crash: a temporary file, and a body cut short. */
	snprintf(path, sizeof(path), "%s/.00000000000000000099.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/00000000000000000002.spool", dir);
	ok(truncate(path, 40) == 0, "the second body cut short");
	sp = spool_open(dir, 1 << 20, 60, &err);
	ok(sp != NULL, "the folder opens again");
	is_int(count(dir, ".tmp"), 0, "the temporary file of a crash is gone");
	spool_stats(sp, &st);
	is_int(st.bodies, 3, "the three bodies wait");

	seen.defer_first = 1;
	is_int(spool_start(sp, drain, &seen, &err), 0, "the worker starts");
	drained(sp);
	is_int(seen.calls, 3, "deferred once, then each body once");
	is_int(seen.n, 2, "two bodies read back whole");
	is_str(seen.bodies[0], "first", "oldest first");
	is_str(seen.bodies[1], "third", "then the next whole one");
	is_str(seen.peer, "192.0.2.7", "the peer comes back");
	ok(strncmp(seen.ua, "a?b?uuu", 7) == 0 &&
	    strlen(seen.ua) == SPOOL_VALUE_MAX,
	    "the user agent, made safe and cut at %d bytes", SPOOL_VALUE_MAX);
	is_str(seen.encoding, "gzip", "the content encoding");
	is_int(seen.arrived, now - 100, "the arrival time");
	is_int(count(dir, ".spool"), 0, "drained: the files are gone");
	is_int(count(dir, ".bad"), 1, "the cut one is set aside as .bad");
	ok(!spool_holding_back(sp), "empty: not holding back");

	/* Full: one block, then refused. */
	spool_set_limits(sp, SPOOL_BLOCK, 60);
	spool_stop(sp);
	is_int(put(sp, "one", "ua", now, &err), 0, "one block fits");
	is_int(put(sp, "two", "ua", now, &err), -1, "a second does not");
	ok(err.kind == ERR_TOO_BIG && strstr(err.msg, "spool is full"),
	    "refused: %s", err.msg);
	spool_close(sp);
	sp = spool_open(dir, 1 << 20, 60, &err);
	spool_stats(sp, &st);
	is_int(st.bodies, 1, "after a restart the body is still there");
	is_int(put(sp, "next", "ua", now, &err), 0, "a new body");
	snprintf(path, sizeof(path), "%s/00000000000000000005.spool", dir);
	ok(access(path, F_OK) == 0, "numbered after all the folder held");
	spool_close(sp);

	/* The folder removed under a running daemon. */
	snprintf(dir, sizeof(dir), "%s/gone", tmpl);
	sp = spool_open(dir, 1 << 20, 60, &err);
	ok(sp != NULL && rmdir(dir) == 0, "a spool folder, then removed");
	is_int(put(sp, "lost", "ua", now, &err), -1, "a body is refused");
	snprintf(path, sizeof(path), "%s/.00000000000000000001.tmp: cannot "
	    "create", dir);
	ok(err.kind == ERR_IO && strstr(err.msg, path) != NULL &&
	    strstr(err.msg, "restart the daemon") != NULL,
	    "the message names the file and what to do: %s", err.msg);
	spool_close(sp);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
