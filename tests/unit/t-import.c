/*
 * t-import: the import (import.h) and its read-ahead (import_read.h) on
 * real files in a scratch folder, into a real SQLite store: the lines
 * and their order, batches larger than IMPORT_BATCH, folders and
 * maildirs, links skipped, and the exit codes.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "fmt.h"
#include "import.h"
#include "import_read.h"
#include "mail.h"
#include "received.h"
#include "report.h"
#include "tap.h"

#define NREPORTS	(IMPORT_BATCH + 44)	/* more than one batch */

static char dir[] = "/tmp/t-import.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A report of its own id i, for domain d. */
static void
write_report(const char *path, int i, const char *d)
{
	char text[1024];

	fmt_whole(text, sizeof(text), "{\"organization-name\": \"Example\", "
	    "\"date-range\": {\"start-datetime\": \"2026-03-01T00:00:00Z\", "
	    "\"end-datetime\": \"2026-03-01T23:59:59Z\"}, \"report-id\": "
	    "\"t-import-%d\", \"policies\": [{\"policy\": {\"policy-type\": "
	    "\"sts\", \"policy-domain\": \"%s\"}, \"summary\": "
	    "{\"total-successful-session-count\": %d, "
	    "\"total-failure-session-count\": 0}}]}", i, d, i);
	write_file(path, text);
}

/* Import the n inputs into pl; the lines written, in *lines (freed by
 * the caller), and the exit code. */
static int
run(struct pipeline *pl, int json, char **inputs, int n, char **lines,
    struct import_counts *c)
{
	struct import_options o = { .json = json, .received = TEST_RECEIVED };
	size_t len;

	o.out = open_memstream(lines, &len);
	import_run(pl, &o, inputs, n, c);
	fclose(o.out);
	return import_exit_code(c);
}

static size_t
count_lines(const char *s, const char *prefix)
{
	size_t n = 0;

	for (; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : "")
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static void
test_files(struct pipeline *pl)
{
	char path[256], bad[256], folder[256], *in[3], *lines = NULL;
	struct import_counts c;
	const char *p;
	int rc, i, ordered = 1, prev = -1;

	fmt_whole(path, sizeof(path), "%s/one.json", dir);
	write_report(path, 100000, "one.example");
	in[0] = path;
	rc = run(pl, 0, in, 1, &lines, &c);
	is_int(rc, EX_OK, "a report file: exit 0");
	ok(lines && strncmp(lines, "accepted\t", 9) == 0 &&
	    strstr(lines, path) && strstr(lines, "one.example"),
	    "a report file: accepted, the file and its domain named");
	free(lines);
	rc = run(pl, 0, in, 1, &lines, &c);
	ok(rc == EX_OK && lines && strncmp(lines, "duplicate\t", 10) == 0,
	    "the same file again: a duplicate, exit 0");
	free(lines);

	fmt_whole(bad, sizeof(bad), "%s/bad.json", dir);
	write_file(bad, "{\"policies\": 3}");
	in[1] = bad;
	rc = run(pl, 0, in, 2, &lines, &c);
	is_int(rc, EX_DATAERR, "a bad report among others: exit 65");
	ok(count_lines(lines, "rejected\t") == 1 &&
	    count_lines(lines, "duplicate\t") == 1,
	    "... one line each, the rejection among them");
	is_int(c.rejected, 1, "... counted once");
	free(lines);

	fmt_whole(path, sizeof(path), "%s/none.json", dir);
	in[0] = path;
	rc = run(pl, 0, in, 1, &lines, &c);
	is_int(rc, EX_NOINPUT, "an input that is not there: exit 66");
	ok(lines == NULL || lines[0] == '\0', "... and no line");
	free(lines);

	/* A folder of more reports than a batch holds. */
	fmt_whole(folder, sizeof(folder), "%s/many", dir);
	mkdir(folder, 0700);
	for (i = 0; i < NREPORTS; i++) {
		fmt_whole(path, sizeof(path), "%s/%04d.json", folder, i);
		write_report(path, i, "many.example");
	}
	in[0] = folder;
	rc = run(pl, 0, in, 1, &lines, &c);
	is_int(rc, EX_OK, "a folder of %d reports: exit 0", NREPORTS);
	is_int(count_lines(lines, "accepted\t"), NREPORTS,
	    "... one accepted line each, over two batches");
	for (p = lines; p && (p = strstr(p, "/many/")) != NULL; p++) {
		i = atoi(p + 6);
		if (i != prev + 1)
			ordered = 0;
		prev = i;
	}
	ok(ordered && prev == NREPORTS - 1, "... in the order of the files");
	free(lines);
	rc = run(pl, 1, in, 1, &lines, &c);
	ok(rc == EX_OK && count_lines(lines, "{\"outcome\":\"duplicate\"") ==
	    NREPORTS, "--json: one object a line, each a duplicate");
	free(lines);
}

static void
test_json(struct pipeline *pl)
{
	char path[256], *in[1], *lines = NULL, *nl;
	struct import_counts c;
	json_t *o;

	fmt_whole(path, sizeof(path), "%s/json.json", dir);
	write_report(path, 200000, "json.example");
	in[0] = path;
	run(pl, 1, in, 1, &lines, &c);
	if (lines && (nl = strchr(lines, '\n')) != NULL)
		*nl = '\0';
	o = lines ? json_loads(lines, 0, NULL) : NULL;
	ok(o != NULL, "--json: the line is JSON");
	is_str(json_string_value(json_object_get(o, "outcome")), "accepted",
	    "--json: outcome");
	is_str(json_string_value(json_object_get(o, "input")), path,
	    "--json: input");
	is_str(json_string_value(json_object_get(o, "policy_domain")),
	    "json.example", "--json: policy_domain");
	is_str(json_string_value(json_object_get(o, "start")),
	    "2026-03-01T00:00:00Z", "--json: start");
	json_decref(o);
	free(lines);
}

static void
test_maildir(struct pipeline *pl)
{
	char md[256], path[256], link[256], *in[1], *lines = NULL;
	static const char *const subs[] = { "new", "cur", "tmp" };
	struct import_counts c;
	FILE *src, *dst;
	char buf[4096];
	size_t i, n;
	int rc;

	fmt_whole(md, sizeof(md), "%s/maildir", dir);
	mkdir(md, 0700);
	for (i = 0; i < 3; i++) {
		fmt_whole(path, sizeof(path), "%s/%s", md, subs[i]);
		mkdir(path, 0700);
	}
	fmt_whole(path, sizeof(path), "%s/new/1.M1.test", md);
	src = fopen("fixtures/mail/google-multipart.eml", "r");
	dst = fopen(path, "w");
	while (src && dst && (n = fread(buf, 1, sizeof(buf), src)) > 0)
		fwrite(buf, 1, n, dst);
	if (src)
		fclose(src);
	if (dst)
		fclose(dst);
	fmt_whole(link, sizeof(link), "%s/cur/2.M2.test", md);
	ok(symlink(path, link) == 0, "maildir: a link in cur/");
	in[0] = md;
	rc = run(pl, 0, in, 1, &lines, &c);
	ok(lines && count_lines(lines, "accepted\t") +
	    count_lines(lines, "duplicate\t") == 1,
	    "maildir: the message in new/ is imported");
	is_int(c.unreadable, 1, "maildir: the link is skipped, never read");
	is_int(rc, EX_NOINPUT, "maildir: and the exit says so");
	free(lines);
}

/* The read-ahead alone: every input, in order, whatever the workers do. */
static void
test_read(struct pipeline *pl)
{
	struct import_read *rd = import_read_new(&pl->cfg, TEST_RECEIVED);
	char path[256];
	struct import_job *j;
	struct error err;
	int i, got = 0, ordered = 1, parsed = 1;

	ok(rd != NULL, "read-ahead: made");
	if (rd == NULL)
		return;
	for (i = 0; i < NREPORTS; i++) {
		fmt_whole(path, sizeof(path), "%s/many/%04d.json", dir, i);
		if (import_read_add(rd, "many", path, 0, -1, INPUT_SNIFF,
		    "file") < 0)
			break;
	}
	is_int(import_read_count(rd), NREPORTS, "read-ahead: %d inputs added",
	    NREPORTS);
	ok(import_read_start(rd, &err) == 0, "read-ahead: started");
	while (import_read_next(rd, &j) > 0) {
		if (j == NULL) {
			ordered = 0;
			continue;
		}
		fmt_whole(path, sizeof(path), "%s/many/%04d.json", dir, got);
		if (j->origin.path == NULL || strcmp(j->origin.path, path))
			ordered = 0;
		if (j->pp.n != 1 || j->unreadable || j->too_big)
			parsed = 0;
		got++;
		import_read_done(rd, j);
	}
	is_int(got, NREPORTS, "read-ahead: every input taken once");
	ok(ordered, "read-ahead: in the order they were added");
	ok(parsed, "read-ahead: each read and parsed");
	import_read_free(rd);

	/* Freed with inputs left unread: it returns, and frees them. */
	rd = import_read_new(&pl->cfg, TEST_RECEIVED);
	for (i = 0; rd && i < 100; i++) {
		fmt_whole(path, sizeof(path), "%s/many/%04d.json", dir, i);
		import_read_add(rd, "many", path, 0, -1, INPUT_SNIFF, "file");
	}
	ok(rd && import_read_start(rd, &err) == 0 &&
	    import_read_next(rd, &j) == 1, "read-ahead: one taken");
	if (rd && j != NULL)
		import_read_done(rd, j);
	/* The sanitizer build (make sanitize) finds what this leaks. */
	import_read_free(rd);
}

static void
test_exit_codes(void)
{
	struct import_counts c;

	memset(&c, 0, sizeof(c));
	is_int(import_exit_code(&c), EX_OK, "exit: nothing wrong, 0");
	c.rejected = 1;
	is_int(import_exit_code(&c), EX_DATAERR, "exit: a rejection, 65");
	c.unreadable = 1;
	is_int(import_exit_code(&c), EX_NOINPUT,
	    "exit: an input unread wins over a rejection, 66");
	c.internal = 1;
	is_int(import_exit_code(&c), EX_SOFTWARE, "exit: our failure, 70");
	c.deferred = 1;
	is_int(import_exit_code(&c), EX_TEMPFAIL,
	    "exit: deferred wins: an MTA retries, 75");
}

static void
test_copy_from(struct store *st)
{
	char path[256];

	is_int(import_copy_from(st, "postgresql://x/y", stdout), EX_NOINPUT,
	    "--copy-from a URI: not a SQLite store, 66");
	fmt_whole(path, sizeof(path), "%s/not-there.db", dir);
	is_int(import_copy_from(st, path, stdout), EX_NOINPUT,
	    "--copy-from a file that is not there: 66");
	is_int(import_copy_from(st, dir, stdout), EX_NOINPUT,
	    "--copy-from a folder: 66");
}

int
main(void)
{
	struct pipeline_config cfg;
	struct pipeline pl;
	struct error err;
	struct store *st;
	char db[256], cmd[300];

	report_init();
	mail_init();
	ok(mkdtemp(dir) != NULL, "scratch folder");
	fmt_whole(db, sizeof(db), "%s/import.db", dir);
	st = store_open(db, &err);
	ok(st != NULL, "store: %s", st ? db : err.msg);
	if (st == NULL)
		return tap_done();
	pipeline_config_default(&cfg);
	pipeline_init(&pl, st, &cfg);
	test_files(&pl);
	test_json(&pl);
	test_maildir(&pl);
	test_read(&pl);
	test_exit_codes();
	test_copy_from(st);
	store_close(st);
	fmt_whole(cmd, sizeof(cmd), "rm -rf %s", dir);
	ok(system(cmd) == 0, "clean up");
	return tap_done();
}
