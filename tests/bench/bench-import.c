/*
 * bench-import: reports per second through tlsrpt-import, for report files
 * and for a maildir of report emails, each beside its floor measured in the
 * same run: inflating and parsing the same files with zlib and jansson
 * alone, and parsing the same messages with GMime alone.
 *
 * tlsrpt-import parses on several threads; the floor runs on as many as
 * the import had (the most its /proc status showed while it ran), and on
 * one, and both figures are printed; the ratio is against the first.
 *
 * usage: bench-import BUILD_DIR WORK_DIR [REPORTS]
 */
#include <gmime/gmime.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "corpus.h"
#include "decode.h"
#include "files.h"

#define ROUNDS 3
#define THREADS_MAX 64

static int
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n) {
		perror(path);
		return -1;
	}
	return fclose(f);
}

/* Mostly small success-only reports, Microsoft's pairs, a tail of large
 * ones with hundreds of failure details. */
static int
make_corpus(const char *work, long n)
{
	struct buf json, gz, mail;
	char path[4096], dom[64];
	struct corpus c;
	long i;

	snprintf(path, sizeof(path), "mkdir -p %s/files %s/maildir/new "
	    "%s/maildir/cur %s/maildir/tmp", work, work, work, work);
	if (system(path) != 0)
		return -1;
	corpus_seed(&c, 7);
	buf_init(&json, 1 << 24);
	buf_init(&gz, 1 << 24);
	buf_init(&mail, 1 << 25);
	for (i = 0; i < n; i++) {
		int org = (int)(corpus_next(&c) % 5);
		uint64_t r = corpus_next(&c) % 100;
		int fails = r == 0 ? 300 : r < 5 ? 3 : 0;

		json.len = gz.len = mail.len = 0;
		snprintf(dom, sizeof(dom), "d%04ld.example", i % 1000);
		corpus_report(&c, &json, dom, org, 20400 + i / 1000 % 100 +
		    i / 100000 * 100, fails);
		corpus_gzip(json.data, json.len, &gz);
		snprintf(path, sizeof(path), "%s/files/%s!%s!%ld.json.gz", work,
		    corpus_orgs[org], dom, i);
		if (write_file(path, gz.data, gz.len) < 0)
			return -1;
		corpus_mail(gz.data, gz.len, dom, corpus_orgs[org],
		    (uint64_t)i, &mail);
		snprintf(path, sizeof(path), "%s/maildir/new/%ld.M1P1.bench",
		    work, i);
		if (write_file(path, mail.data, mail.len) < 0)
			return -1;
	}
	buf_release(&json);
	buf_release(&gz);
	buf_release(&mail);
	return 0;
}

/* Floor 1: read, inflate, parse with jansson; nothing else. */
static void
floor_file(const char *path)
{
	struct decode_limits lim;
	struct buf in, out;
	const char *j;
	size_t jl;
	json_t *root;

	decode_limits_default(&lim);
	buf_init(&in, 1 << 24);
	buf_init(&out, 1 << 26);
	files_read_path(path, &in, NULL, NULL);
	decode_payload(in.data, in.len, &lim, &out, &j, &jl, NULL);
	root = json_loadb(j, jl, 0, NULL);
	json_decref(root);
	buf_release(&in);
	buf_release(&out);
}

/* Floor 2: read and parse each message with GMime, take the report part's
 * decoded bytes. */
static void
floor_message(const char *path)
{
	GMimeStream *s = g_mime_stream_file_open(path, "r", NULL);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimePartIter *it = g_mime_part_iter_new((GMimeObject *)m);

	do {
		GMimeObject *o = g_mime_part_iter_get_current(it);

		if (GMIME_IS_PART(o) && g_mime_content_type_is_type(
		    g_mime_object_get_content_type(o), "application",
		    "tlsrpt+gzip")) {
			GMimeStream *mem = g_mime_stream_mem_new();

			g_mime_data_wrapper_write_to_stream(
			    g_mime_part_get_content((GMimePart *)o), mem);
			g_object_unref(mem);
		}
	} while (g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
}

/* A floor on several threads: each takes the next input until none is
 * left, as tlsrpt-import's workers do. */
struct floor_run {
	const struct file_list *l;
	void (*one)(const char *path);
	size_t next;		/* atomic */
};

static void *
floor_thread(void *arg)
{
	struct floor_run *fr = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&fr->next, 1, __ATOMIC_RELAXED)) <
	    fr->l->n)
		fr->one(fr->l->paths[i]);
	return NULL;
}

/* Seconds for one() over every input of l on threads threads. */
static double
floor_run(const struct file_list *l, void (*one)(const char *),
	  int threads)
{
	struct floor_run fr = { .l = l, .one = one };
	pthread_t th[THREADS_MAX];
	double t0 = now_s();
	int i, n = 0;

	for (i = 1; i < threads; i++)
		if (pthread_create(&th[n], NULL, floor_thread, &fr) == 0)
			n++;
	floor_thread(&fr);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return now_s() - t0;
}

/* The threads pid has now, from /proc; 0 when it cannot be read. */
static int
threads_of(pid_t pid)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Run tlsrpt-import on one folder into a fresh store; seconds. *threads
 * is raised to the most threads it was seen to run (every 10 ms).
 */
static double
run_import(const char *bin, const char *db, const char *input, long *peak,
	   int *threads)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	char cmd[8192];
	struct rusage ru;
	double t0;
	int st, n;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "rm -f %s %s-wal %s-shm", db, db, db);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/tlsrpt-import", bin);
	t0 = now_s();
	pid = fork();
	if (pid == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execl(cmd, "tlsrpt-import", "--db", db, input, (char *)NULL);
		_exit(127);
	}
	while (wait4(pid, &st, WNOHANG, &ru) == 0) {
		if ((n = threads_of(pid)) > *threads)
			*threads = n > THREADS_MAX ? THREADS_MAX : n;
		nanosleep(&tick, NULL);
	}
	*peak = ru.ru_maxrss / 1024;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "bench-import: tlsrpt-import exited %d\n",
		    WEXITSTATUS(st));
	return now_s() - t0;
}

int
main(int argc, char **argv)
{
	long n = argc > 3 ? atol(argv[3]) : 20000, peak1, peak2;
	char path[4096], db[4096];
	struct file_list files, mails;
	double ff, fm, ff1, fm1, ti, tm;
	struct stat sb;
	int round, threads = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-import BUILD_DIR WORK_DIR "
		    "[REPORTS]\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/files", argv[2]);
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "bench-import: making %ld reports in %s\n", n,
		    argv[2]);
		if (make_corpus(argv[2], n) < 0)
			return 1;
	}
	g_mime_init();
	files_list(path, &files, NULL);
	snprintf(path, sizeof(path), "%s/maildir/new", argv[2]);
	files_list(path, &mails, NULL);
	n = (long)files.n;

	/*
	 * Each figure is the best of ROUNDS, the rounds interleaved, so
	 * that a burst of load from elsewhere on the machine does not land
	 * on one side only. The import runs first in each round: the
	 * floor then has its thread count.
	 */
	ff = fm = ff1 = fm1 = ti = tm = 1e9;
	peak1 = peak2 = 0;
	snprintf(db, sizeof(db), "%s/import.db", argv[2]);
	for (round = 0; round < ROUNDS; round++) {
		long peak;

		snprintf(path, sizeof(path), "%s/files", argv[2]);
		ti = fmin(ti, run_import(argv[1], db, path, &peak, &threads));
		peak1 = peak > peak1 ? peak : peak1;
		ff = fmin(ff, floor_run(&files, floor_file, threads));
		ff1 = fmin(ff1, floor_run(&files, floor_file, 1));
		snprintf(path, sizeof(path), "%s/maildir", argv[2]);
		tm = fmin(tm, run_import(argv[1], db, path, &peak, &threads));
		peak2 = peak > peak2 ? peak : peak2;
		fm = fmin(fm, floor_run(&mails, floor_message, threads));
		fm1 = fmin(fm1, floor_run(&mails, floor_message, 1));
	}

	printf("import bench: %ld reports (%s), best of %d rounds; "
	    "tlsrpt-import ran %d threads\n", n, argv[2], ROUNDS, threads);
	/* The ratio is tlsrpt-import's rate over the floor's on as many
	 * threads: higher is better, 1 is the floor itself. */
	printf("  %-40s %12s %12s %12s %8s\n", "", "tlsrpt-import",
	    "floor", "floor", "ratio");
	printf("  %-40s %12s %9d th %9d th %8s\n", "", "", threads, 1, "");
	printf("  %-40s %10.0f/s %10.0f/s %10.0f/s %8.3f\n",
	    "files: durable import vs inflate+parse", n / ti, n / ff,
	    n / ff1, ff / ti);
	printf("  %-40s %10.0f/s %10.0f/s %10.0f/s %8.3f\n",
	    "maildir: durable import vs GMime parse", (double)mails.n / tm,
	    (double)mails.n / fm, (double)mails.n / fm1, fm / tm);
	printf("  peak memory of tlsrpt-import: files %ld MiB, maildir %ld "
	    "MiB\n", peak1, peak2);
	files_list_release(&files);
	files_list_release(&mails);
	return 0;
}
