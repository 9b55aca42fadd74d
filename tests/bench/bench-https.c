/*
 * bench-https: reports per second posted to tlsrptd over HTTPS by wrk,
 * beside the floor measured in the same run: a no-op libmicrohttpd server
 * with tlsrptd's TLS set-up (the same threading model, options and
 * certificate callback, the same ECDSA P-256 certificate) that reads the
 * body and answers 201.
 *
 * Two loads, 64 connections each: a new TLS connection per request (what
 * real senders do: wrk with "Connection: close") and keep-alive (what a
 * fronting proxy does). Every request posts a distinct gzip report of the
 * corpus, so each one is a real, durable insert. Prints requests per
 * second, p50 and p99 latency, the ratio to the floor, the reports the
 * store holds afterwards and the daemon's peak resident memory (VmHWM);
 * each side's figures are those of its best of ROUNDS interleaved runs,
 * and each round's ratio of its two runs is printed after them.
 *
 * usage: bench-https BUILD_DIR WORK_DIR [SECONDS [BODIES]]
 *        bench-https --noop ADDR:PORT CERT KEY   (the floor server)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "corpus.h"
#include "http.h"
#include "tls.h"

#define CONNECTIONS	64
#define ROUNDS		5
#define WRK_THREADS	2
#define PORT_NOOP	18443
#define PORT_DAEMON	18444

static const char lua_script[] =
"-- Written by bench-https: post one distinct corpus body per request.\n"
"local bodies, n, i = {}, 0, 0\n"
"local headers = { [\"Content-Type\"] = \"application/tlsrpt+gzip\" }\n"
"local counter = 0\n"
"function setup(thread)\n"
"  thread:set(\"id\", counter)\n"
"  counter = counter + 1\n"
"end\n"
"function init(args)\n"
"  local f = assert(io.open(args[1] .. \"/bodies-\" .. id .. \".bin\", \"rb\"))\n"
"  local data = f:read(\"*a\")\n"
"  f:close()\n"
"  local pos = 1\n"
"  while pos <= #data do\n"
"    local nl = data:find(\"\\n\", pos, true)\n"
"    local len = tonumber(data:sub(pos, nl - 1))\n"
"    n = n + 1\n"
"    bodies[n] = data:sub(nl + 1, nl + len)\n"
"    pos = nl + 1 + len\n"
"  end\n"
"  if args[2] == \"close\" then headers[\"Connection\"] = \"close\" end\n"
"end\n"
"function request()\n"
"  i = i % n + 1\n"
"  return wrk.format(\"POST\", nil, headers, bodies[i])\n"
"end\n"
"function done(summary, latency, requests)\n"
"  local e = summary.errors\n"
"  io.write(string.format(\"RESULT %d %d %d %d %d %d\\n\",\n"
"    summary.requests, summary.duration, latency:percentile(50),\n"
"    latency:percentile(99), e.connect + e.read + e.write + e.timeout,\n"
"    e.status))\n"
"end\n";

struct figures {
	double rate;		/* requests per second */
	double p50_ms, p99_ms;
	long requests, errors, bad_status;
};

/* ---- the floor: a no-op server with tlsrptd's TLS set-up ---- */

static enum MHD_Result
noop_request(void *cls, struct MHD_Connection *c, const char *url,
	     const char *method, const char *version, const char *data,
	     size_t *data_size, void **con_cls)
{
	static const char answer[] = "201 accepted: report stored\n";
	static int first;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	if (*con_cls == NULL) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (*data_size > 0) {
		*data_size = 0;	/* read and dropped */
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof(answer) - 1,
	    (void *)(uintptr_t)answer, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, 201, r);
	MHD_destroy_response(r);
	return ret;
}

/* The flags and options of http.c's start_daemon, on the public port. */
static int
noop_serve(const char *addr, const char *cert, const char *key)
{
	struct MHD_Daemon *d;
	struct error err;
	struct tls *t;
	sigset_t set;
	int fd, sig;

	if ((t = tls_load(cert, key, &err)) == NULL ||
	    (fd = http_listen_socket(addr, &err)) < 0) {
		fprintf(stderr, "bench-https: %s\n", err.msg);
		return 1;
	}
	tls_set_current(t);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG | MHD_USE_TLS, 0, NULL, NULL, noop_request, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_CONNECTION_LIMIT, 256u,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 128u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONNECTION_MEMORY,
	    MHD_OPTION_THREAD_STACK_SIZE, HTTP_THREAD_STACK,
	    MHD_OPTION_HTTPS_CERT_CALLBACK, tls_retrieve,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bench-https: the no-op server cannot start\n");
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	tls_free(t);
	return 0;
}

/* ---- the corpus bodies, one file per wrk thread ---- */

static int
make_bodies(const char *dir, long n)
{
	struct buf json, gz;
	char path[4096], dom[64], head[32];
	struct corpus c;
	FILE *f[WRK_THREADS];
	long i;
	int t;

	for (t = 0; t < WRK_THREADS; t++) {
		snprintf(path, sizeof(path), "%s/bodies-%d.bin", dir, t);
		if ((f[t] = fopen(path, "wb")) == NULL) {
			perror(path);
			return -1;
		}
	}
	corpus_seed(&c, 11);
	buf_init(&json, 1 << 24);
	buf_init(&gz, 1 << 24);
	for (i = 0; i < n; i++) {
		int org = (int)(corpus_next(&c) % 5);
		uint64_t r = corpus_next(&c) % 100;
		int fails = r == 0 ? 300 : r < 5 ? 3 : 0;
		FILE *out = f[i % WRK_THREADS];

		json.len = gz.len = 0;
		/* (domain, day) is unique per i: every body is a new report */
		snprintf(dom, sizeof(dom), "h%04ld.example", i % 1000);
		corpus_report(&c, &json, dom, org, 20000 + i / 1000, fails);
		corpus_gzip(json.data, json.len, &gz);
		snprintf(head, sizeof(head), "%zu\n", gz.len);
		if (fputs(head, out) == EOF ||
		    fwrite(gz.data, 1, gz.len, out) != gz.len)
			return -1;
	}
	buf_release(&json);
	buf_release(&gz);
	for (t = 0; t < WRK_THREADS; t++)
		if (fclose(f[t]) != 0)
			return -1;
	return 0;
}

/* ---- processes ---- */

/* VmHWM of a live process, in KiB. */
static long
peak_rss(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* One wrk run against port; 0 with the figures filled. */
static int
run_wrk(const char *dir, int port, int close_each, int seconds,
	struct figures *fg)
{
	char cmd[16384], line[512];
	long dur = 0, p50 = 0, p99 = 0;
	FILE *p;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "wrk -t%d -c%d -d%ds -s %s/post.lua "
	    "https://127.0.0.1:%d/v1/tlsrpt -- %s %s 2>&1", WRK_THREADS,
	    CONNECTIONS, seconds, dir, port, dir, close_each ? "close" :
	    "keep");
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "RESULT %ld %ld %ld %ld %ld %ld",
		    &fg->requests, &dur, &p50, &p99, &fg->errors,
		    &fg->bad_status) == 6)
			found = 1;
	if (pclose(p) != 0 || !found || dur <= 0) {
		fprintf(stderr, "bench-https: wrk failed: %s\n", cmd);
		return -1;
	}
	fg->rate = (double)(fg->requests - fg->errors - fg->bad_status) /
	    ((double)dur / 1e6);
	fg->p50_ms = (double)p50 / 1000;
	fg->p99_ms = (double)p99 / 1000;
	return 0;
}

static long
stored_reports(const char *db)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM report", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return n;
}

/* tlsrptd on a fresh store, one load; its VmHWM into *peak. */
static int
run_daemon(const char *bin, const char *dir, int close_each, int seconds,
	   struct figures *fg, long *stored, long *peak)
{
	char exe[4096], conf[4096], db[4096], log[4096], cmd[16384];
	char *argv[] = { exe, "--foreground", "--config", conf, NULL };
	FILE *f;
	pid_t pid;
	int rc;

	snprintf(exe, sizeof(exe), "%s/tlsrptd", bin);
	snprintf(conf, sizeof(conf), "%s/tlsrptd.conf", dir);
	snprintf(db, sizeof(db), "%s/https.db", dir);
	snprintf(log, sizeof(log), "%s/tlsrptd-%s.log", dir,
	    close_each ? "close" : "keep");
	snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal %s-shm", db, db, db);
	if (system(cmd) != 0 || (f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "database = %s\nlisten = 127.0.0.1:%d\n"
	    "tls-cert = %s/cert.pem\ntls-key = %s/key.pem\napi-listen =\n"
	    "max-connections-per-client = 128\n", db, PORT_DAEMON, dir, dir);
	fclose(f);
	pid = spawn(argv, log);
	if (wait_port(PORT_DAEMON) < 0) {
		fprintf(stderr, "bench-https: tlsrptd did not start; see %s\n",
		    log);
		stop(pid);
		return -1;
	}
	rc = run_wrk(dir, PORT_DAEMON, close_each, seconds, fg);
	*peak = peak_rss(pid);
	stop(pid);
	*stored = stored_reports(db);
	return rc;
}

static int
run_noop(const char *self, const char *dir, int close_each, int seconds,
	 struct figures *fg)
{
	char addr[64], cert[4096], key[4096], log[4096];
	char *argv[] = { (char *)(uintptr_t)self, "--noop", addr, cert, key,
	    NULL };
	pid_t pid;
	int rc;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", PORT_NOOP);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(log, sizeof(log), "%s/noop.log", dir);
	pid = spawn(argv, log);
	if (wait_port(PORT_NOOP) < 0) {
		fprintf(stderr, "bench-https: the no-op server did not "
		    "start; see %s\n", log);
		stop(pid);
		return -1;
	}
	rc = run_wrk(dir, PORT_NOOP, close_each, seconds, fg);
	stop(pid);
	return rc;
}

static void
print_row(const char *name, const struct figures *d, const struct figures *n)
{
	printf("  %-28s %9.0f/s %9.0f/s %6.3f   %6.2f %6.2f   %6.2f %6.2f\n",
	    name, d->rate, n->rate, n->rate > 0 ? d->rate / n->rate : 0,
	    d->p50_ms, n->p50_ms, d->p99_ms, n->p99_ms);
	if (d->errors || d->bad_status || n->errors || n->bad_status)
		printf("  %-28s errors: tlsrptd %ld socket, %ld status; "
		    "no-op %ld socket, %ld status\n", "", d->errors,
		    d->bad_status, n->errors, n->bad_status);
}

/*
 * The ratio of each round's two runs, one after the other, and their
 * median: the best of each side may come from different rounds, so this
 * shows how far the machine's noise moves the figure above.
 */
static void
print_rounds(const char *name, const double *ratio)
{
	double sorted[ROUNDS];
	int r;

	memcpy(sorted, ratio, sizeof(sorted));
	qsort(sorted, ROUNDS, sizeof(sorted[0]), cmp_d);
	printf("  %-28s each round:", name);
	for (r = 0; r < ROUNDS; r++)
		printf(" %.3f", ratio[r]);
	printf("; median %.3f\n", ROUNDS % 2 ? sorted[ROUNDS / 2] :
	    (sorted[ROUNDS / 2 - 1] + sorted[ROUNDS / 2]) / 2);
}

int
main(int argc, char **argv)
{
	struct figures dn[2], nn[2];
	double ratio[2][ROUNDS];
	long bodies, stored[2], peak[2];
	char path[4096], key[4096], self[4096];
	const char *dir;
	struct error err;
	struct stat sb;
	double t0;
	int seconds, made, have_bodies, m, r;
	FILE *f;

	if (argc == 5 && strcmp(argv[1], "--noop") == 0)
		return noop_serve(argv[2], argv[3], argv[4]);
	if (argc < 3) {
		fprintf(stderr, "usage: bench-https BUILD_DIR WORK_DIR "
		    "[SECONDS [BODIES]]\n");
		return 64;
	}
	seconds = argc > 3 ? atoi(argv[3]) : 10;
	/* More bodies than any run posts (30,000/s for 10 s): a body posted
	 * twice would be a duplicate, cheaper than a new report. */
	bodies = argc > 4 ? atol(argv[4]) : 300000;
	if (system("command -v wrk >/dev/null 2>&1") != 0) {
		printf("https bench: skipped (wrk is not installed; "
		    "apt-get install wrk)\n");
		return 0;
	}
	if (realpath(argv[0], self) == NULL) {
		perror(argv[0]);
		return 1;
	}
	dir = argv[2];
	snprintf(path, sizeof(path), "mkdir -p %s", dir);
	if (system(path) != 0)
		return 1;
	/* The bodies are made again when there are not as many as asked. */
	snprintf(path, sizeof(path), "%s/bodies.n", dir);
	have_bodies = 0;
	if ((f = fopen(path, "r")) != NULL) {
		long have = 0;

		have_bodies = fscanf(f, "%ld", &have) == 1 && have == bodies;
		fclose(f);
	}
	snprintf(key, sizeof(key), "%s/bodies-0.bin", dir);
	if (!have_bodies || stat(key, &sb) < 0) {
		fprintf(stderr, "bench-https: making %ld bodies in %s\n",
		    bodies, dir);
		if (make_bodies(dir, bodies) < 0 ||
		    (f = fopen(path, "w")) == NULL ||
		    fprintf(f, "%ld\n", bodies) < 0 || fclose(f) != 0)
			return 1;
	}
	snprintf(path, sizeof(path), "%s/post.lua", dir);
	if ((f = fopen(path, "w")) == NULL ||
	    fputs(lua_script, f) == EOF || fclose(f) != 0)
		return 1;
	/* tlsrptd's own default: a self-signed ECDSA P-256 certificate. */
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	if (tls_make_self_signed(path, key, &made, &err) < 0) {
		fprintf(stderr, "bench-https: %s\n", err.msg);
		return 1;
	}

	/* Each side's best of ROUNDS runs, the runs interleaved, so that a
	 * burst of load from elsewhere on the machine does not land on one
	 * side only. */
	t0 = now_s();
	memset(dn, 0, sizeof(dn));
	memset(nn, 0, sizeof(nn));
	memset(peak, 0, sizeof(peak));
	memset(stored, 0, sizeof(stored));
	for (r = 0; r < ROUNDS; r++) {
		for (m = 0; m < 2; m++) {
			struct figures d, n;
			long st, pk;

			/* Which side goes first alternates, so that a drift
			 * of the machine's speed favours neither. */
			if (r % 2 == 0 && run_noop(self, dir, m == 0, seconds,
			    &n) < 0)
				return 1;
			if (run_daemon(argv[1], dir, m == 0, seconds, &d, &st,
			    &pk) < 0)
				return 1;
			if (r % 2 == 1 && run_noop(self, dir, m == 0, seconds,
			    &n) < 0)
				return 1;
			ratio[m][r] = n.rate > 0 ? d.rate / n.rate : 0;
			if (n.rate > nn[m].rate)
				nn[m] = n;
			if (d.rate > dn[m].rate) {
				dn[m] = d;
				stored[m] = st;
			}
			peak[m] = pk > peak[m] ? pk : peak[m];
		}
	}
	printf("https bench: %d connections, %ds per run, wrk -t%d, best "
	    "of %d rounds (%.0fs in all)\n", CONNECTIONS, seconds,
	    WRK_THREADS, ROUNDS, now_s() - t0);
	printf("  %-28s %11s %11s %6s   %13s   %13s\n", "", "tlsrptd",
	    "no-op", "ratio", "p50 ms d/n", "p99 ms d/n");
	print_row("new TLS connection/request", &dn[0], &nn[0]);
	print_row("keep-alive", &dn[1], &nn[1]);
	print_rounds("new TLS connection/request", ratio[0]);
	print_rounds("keep-alive", ratio[1]);
	printf("  durable reports stored by the best runs: new-connection "
	    "%ld (%.0f/s), "
	    "keep-alive %ld (%.0f/s)\n", stored[0], (double)stored[0] /
	    seconds, stored[1], (double)stored[1] / seconds);
	for (m = 0; m < 2; m++)
		if (dn[m].requests > bodies)
			printf("  note: %ld requests for %ld bodies in the best "
			    "%s run: some were duplicates; give more BODIES\n",
			    dn[m].requests, bodies, m == 0 ? "new-connection" :
			    "keep-alive");
	printf("  peak memory of tlsrptd (VmHWM): new-connection %ld MiB, "
	    "keep-alive %ld MiB\n", peak[0] / 1024, peak[1] / 1024);
	return 0;
}
