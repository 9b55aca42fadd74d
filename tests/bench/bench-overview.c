/*
 * bench-overview: the overview at the API's root / (every domain at a
 * glance) for a store of 10,000 domains, fetched from tlsrptd's API
 * listener (plain HTTP, on loopback as the daemon serves it), beside the
 * floor: the bare SQLite read of the same domains' per-day aggregates
 * (table daily), the least a page of every domain's last 7 days could
 * read from the store.
 *
 * The store holds a report a day for the 14 days before today for each
 * domain (one in 50 with failures), stored through the store's own put:
 * the daemon's verdicts are those of a live store. It is made again on
 * another day. Prints, with the median and the slowest of FETCHES runs
 * each: the whole answer of / on a new connection (what a browser waits
 * for), the render of the page from the same rows in this process
 * (overview_page()), and the floor, the fetches and the floor's reads
 * interleaved; the daemon's CPU time when idle, and per fetch less
 * that; then the daemon's time
 * from its start to a verdict for every domain, and tlsrpt-summary's way
 * to the same rows (a summary of every domain), which heads its page of
 * several domains.
 *
 * usage: bench-overview BUILD_DIR WORK_DIR [DOMAINS]
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyse.h"
#include "bench.h"
#include "corpus.h"
#include "overview.h"
#include "report.h"
#include "store.h"
#include "store_sqlite.h"
#include "tls.h"

#define DAY 86400
#define DAYS 14
#define FETCHES 21
#define CPU_FETCHES 100
#define IDLE_SECONDS 20
#define PORT_PUBLIC 18446
#define PORT_API 18447
#define ANSWER_MAX ((size_t)64 << 20)

/* The store: DAYS reports for each domain, the last one yesterday. */
static int
make_store(const char *path, long domains, int64_t today)
{
	struct store_put_result put;
	struct corpus c;
	struct error err;
	struct report r;
	struct store *st;
	struct buf b;
	char dom[64];
	long d, n = 0;
	int k;

	if ((st = store_open(path, &err)) == NULL) {
		fprintf(stderr, "bench-overview: %s\n", err.msg);
		return -1;
	}
	/* Loading only: no fsync, a transaction per 1,000 reports. */
	sqlite3_exec(store_sqlite_db(store_backend_handle(st)),
	    "PRAGMA synchronous = OFF", NULL, NULL, NULL);
	corpus_seed(&c, 42);
	buf_init(&b, 1 << 20);
	for (k = DAYS; k >= 1; k--)
		for (d = 0; d < domains; d++, n++) {
			if (n % 1000 == 0 && ((n > 0 &&
			    store_batch_commit(st, &err) < 0) ||
			    store_batch_begin(st, &err) < 0))
				goto fail;
			snprintf(dom, sizeof(dom), "d%05ld.example", d);
			b.len = 0;
			corpus_report(&c, &b, dom, 0, today - k,
			    corpus_next(&c) % 50 == 0 ? 5 : 0);
			if (report_parse(b.data, b.len, today * DAY, &r,
			    &err) < 0)
				goto fail;
			if (store_put_report(st, b.data, b.len,
			    &(struct origin){ .source = "file" }, &r, &put,
			    &err) < 0) {
				report_release(&r);
				goto fail;
			}
			report_release(&r);
		}
	if (store_batch_commit(st, &err) < 0)
		goto fail;
	buf_release(&b);
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "bench-overview: %s\n", err.msg);
	buf_release(&b);
	store_close(st);
	return -1;
}

/*
 * GET path from the API on a new connection; the answer (head and body)
 * in out. The HTTP status, or -1.
 */
static int
get(const char *path, struct buf *out)
{
	static char chunk[65536];
	struct sockaddr_in sa;
	char req[256];
	ssize_t k;
	int fd, status = -1;

	out->len = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(PORT_API);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", path);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while ((k = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)k, NULL) < 0)
			break;
	close(fd);
	if (out->len > 12 && memcmp(out->data, "HTTP/1.1 ", 9) == 0)
		status = atoi(out->data + 9);
	return status;
}

/* The lines of the answer that start with head and end with tail. */
static long
lines(const struct buf *b, const char *head, const char *tail)
{
	const char *p = b->data, *end = b->data + b->len, *nl;
	size_t h = strlen(head), t = strlen(tail);
	long c = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) >= h + t && memcmp(p, head, h) == 0 &&
		    memcmp(nl - t, tail, t) == 0)
			c++;
	}
	return c;
}

/* The floor: every domain's per-day aggregates of its last 7 days, read
 * and added up by SQLite alone. */
static double
floor_daily(sqlite3 *db, int64_t today, long *rows)
{
	static const char q[] = "SELECT policy_domain, max(day), "
	    "sum(successful), sum(failed) FROM daily WHERE policy_type = "
	    "'sts' AND day >= ?1 GROUP BY policy_domain";
	sqlite3_stmt *st;
	double t0 = now_s();

	*rows = 0;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, today - 7);
	while (sqlite3_step(st) == SQLITE_ROW)
		(*rows)++;
	sqlite3_finalize(st);
	return now_s() - t0;
}

/* The CPU time a process has used so far (its threads, ended ones
 * too), in seconds; -1 when /proc does not say. */
static double
cpu_s(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], line[2048], *p;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	/* After the name in parentheses: fields 3 to 13, then utime and
	 * stime (proc(5)). */
	if (!ok || (p = strrchr(line, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	    &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* A figure's median and slowest, and its median over the floor's (t and
 * f sorted). */
static void
row(const char *name, const double *t, const double *f)
{
	printf("  %-44s %8.2fms %8.2fms", name, t[FETCHES / 2] * 1e3,
	    t[FETCHES - 1] * 1e3);
	if (f != NULL)
		printf("   %5.1fx", t[FETCHES / 2] / f[FETCHES / 2]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	double fetch[FETCHES], render[FETCHES], flo[FETCHES], t0, t1, judged,
	    summary, cpu, idle;
	char exe[4096], conf[4096], db[4096], log[4096], cert[4096],
	    key[4096], cmd[16384];
	char *dargv[] = { exe, "--foreground", "--config", conf, NULL };
	long domains = argc > 3 ? atol(argv[3]) : 10000, rows = 0, linked;
	int64_t today = (int64_t)time(NULL) / DAY;
	struct overview_row *ov;
	struct analyse_options opt;
	struct buf ans, page;
	struct error err;
	struct store *st;
	size_t nov;
	json_t *doc;
	pid_t pid;
	FILE *f;
	int i, made, status;

	if (argc < 3 || domains < 1 || domains > WATCH_DOMAINS_MAX) {
		fprintf(stderr, "usage: bench-overview BUILD_DIR WORK_DIR "
		    "[DOMAINS (1 to %d)]\n", WATCH_DOMAINS_MAX);
		return 64;
	}
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", argv[2]);
	if (system(cmd) != 0)
		return 1;
	/* A store of today's: the verdicts are those of its last days. */
	snprintf(db, sizeof(db), "%s/overview-%ld-%lld.db", argv[2], domains,
	    (long long)today);
	if ((f = fopen(db, "r")) != NULL) {
		fclose(f);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -f %s/overview-%ld-*.db*",
		    argv[2], domains);
		if (system(cmd) != 0)
			return 1;
		fprintf(stderr, "bench-overview: making %s: %ld domains, %d "
		    "days\n", db, domains, DAYS);
		t0 = now_s();
		if (make_store(db, domains, today) < 0)
			return 1;
		fprintf(stderr, "  %ld reports stored in %.1f s\n",
		    domains * DAYS, now_s() - t0);
	}

	snprintf(exe, sizeof(exe), "%s/tlsrptd", argv[1]);
	snprintf(conf, sizeof(conf), "%s/overview.conf", argv[2]);
	snprintf(log, sizeof(log), "%s/overview.log", argv[2]);
	snprintf(cert, sizeof(cert), "%s/cert.pem", argv[2]);
	snprintf(key, sizeof(key), "%s/key.pem", argv[2]);
	if (tls_make_self_signed(cert, key, &made, &err) < 0) {
		fprintf(stderr, "bench-overview: %s\n", err.msg);
		return 1;
	}
	if ((f = fopen(conf, "w")) == NULL)
		return 1;
	fprintf(f, "database = %s\nlisten = 127.0.0.1:%d\napi-listen = "
	    "127.0.0.1:%d\ntls-cert = %s\ntls-key = %s\n", db, PORT_PUBLIC,
	    PORT_API, cert, key);
	if (fclose(f) != 0)
		return 1;
	buf_init(&ans, ANSWER_MAX);
	buf_init(&page, ANSWER_MAX);
	t0 = now_s();
	pid = spawn(dargv, log);
	if (wait_port(PORT_API) < 0) {
		fprintf(stderr, "bench-overview: tlsrptd did not start; see "
		    "%s\n", log);
		stop(pid);
		return 1;
	}
	/* Until the daemon has a verdict for every domain (its start). */
	for (;;) {
		if (get("/metrics", &ans) == 200 && lines(&ans,
		    "tlsrpt_domain_verdict{", "\"} 1") >= domains)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "bench-overview: tlsrptd ended before "
			    "judging every domain; see %s\n", log);
			return 1;
		}
		if (now_s() - t0 > 600) {
			fprintf(stderr, "bench-overview: no verdict for every "
			    "domain after 600 s; see %s\n", log);
			stop(pid);
			return 1;
		}
		usleep(100000);
	}
	judged = now_s() - t0;

	analyse_options_default(&opt);
	opt.now = today * DAY;
	if ((st = store_open(db, &err)) == NULL) {
		fprintf(stderr, "bench-overview: %s\n", err.msg);
		stop(pid);
		return 1;
	}
	/* The sides interleaved: a burst of other load lands on each. */
	for (i = 0; i < FETCHES; i++) {
		t1 = now_s();
		t0 = now_s();
		status = get("/", &ans);
		fetch[i] = now_s() - t1;
		flo[i] = floor_daily(store_sqlite_db(store_backend_handle(st)),
		    today, &rows);
		if (status != 200) {
			fprintf(stderr, "bench-overview: / answered %d\n",
			    status);
			stop(pid);
			return 1;
		}
	}
	/*
	 * The daemon's CPU time: what it spends on its own (the watch reads
	 * whether the store changed every 2 s), over IDLE_SECONDS; then over
	 * CPU_FETCHES answers of /, less that rate. Enough of each that one
	 * burst more or less moves the figure little.
	 */
	/* The watch's last judgements committed to the outbox: its next
	 * poll reads the domains once more. Idle is after that. */
	sleep(4);
	idle = cpu_s(pid);
	sleep(IDLE_SECONDS);
	idle = (cpu_s(pid) - idle) / IDLE_SECONDS;
	cpu = cpu_s(pid);
	t0 = now_s();
	for (i = 0; i < CPU_FETCHES; i++)
		if (get("/", &ans) != 200)
			break;
	cpu = (cpu_s(pid) - cpu - idle * (now_s() - t0)) / CPU_FETCHES;
	stop(pid);
	linked = lines(&ans, "<tr><td><a href=\"/report/", "</tr>");

	t0 = now_s();
	doc = analyse_summary(st, NULL, 0, &opt, &err);
	summary = now_s() - t0;
	if (doc == NULL || overview_rows_from_summary(doc, &ov, &nov,
	    &err) < 0) {
		fprintf(stderr, "bench-overview: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < FETCHES; i++) {
		page.len = 0;
		t0 = now_s();
		if (overview_page(&page, ov, nov, &err) < 0) {
			fprintf(stderr, "bench-overview: %s\n", err.msg);
			return 1;
		}
		render[i] = now_s() - t0;
	}

	qsort(fetch, FETCHES, sizeof(double), cmp_d);
	qsort(render, FETCHES, sizeof(double), cmp_d);
	qsort(flo, FETCHES, sizeof(double), cmp_d);
	printf("overview bench: %s (%ld domains, %ld reports)\n", db, domains,
	    domains * DAYS);
	printf("  %-44s %10s %10s %8s\n", "", "median", "slowest",
	    "/floor");
	row("GET / on loopback, a new connection each", fetch, flo);
	row("overview_page() of the same rows, in process", render, flo);
	row("floor: per-day aggregates, 7 days (SQLite)", flo, NULL);
	printf("  the bound for GET / with 10,000 domains: 200 ms\n");
	printf("  tlsrptd's CPU: %.1f ms per GET / (%d of them), %.1f %% of "
	    "a core idle\n", cpu * 1e3, CPU_FETCHES, idle * 100);
	printf("  answer of /: %zu bytes, %ld domains linked; floor rows: "
	    "%ld\n", ans.len, linked, rows);
	printf("  tlsrptd from its start to a verdict for every domain: "
	    "%.2f s\n", judged);
	printf("  summary of every domain (tlsrpt-summary's overview rows): "
	    "%.2f s\n", summary);
	overview_rows_free(ov, nov);
	json_decref(doc);
	store_close(st);
	buf_release(&ans);
	buf_release(&page);
	return 0;
}
