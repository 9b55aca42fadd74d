/*
 * tlsrpt-import: one-shot import of report files, report emails, maildirs
 * and plain folders of either, or one message or report on standard input
 * (an MTA pipe transport, a sieve "pipe"). DESIGN section 2.
 *
 * Never moves or deletes what it reads. Exit: 0 all accepted, duplicate or
 * not-a-report; 65 something rejected (kept in quarantine); 66 an input
 * could not be opened; 75 the store was busy or unwritable (retry later);
 * 64 usage.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "files.h"
#include "log.h"
#include "mail.h"
#include "pipeline.h"
#include "rfc3339.h"
#include "version.h"
#include "banned.h"

#define EX_OK		0
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_TEMPFAIL	75

struct run {
	struct pipeline pl;
	int json;
	const char *input;	/* the INPUT as named on the command line */
	int rejected, deferred, unreadable, internal;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt-import [--db PATH] [--config FILE] [--json] INPUT...\n"
	    "\n"
	    "Import TLS reports (RFC 8460) into the store.\n"
	    "INPUT is a .json or .json.gz report, a .eml message, a maildir\n"
	    "(every message in new/ and cur/), a plain folder (every file in\n"
	    "it), or - for one message or report on standard input.\n"
	    "\n"
	    "  --db PATH       the SQLite store (default tlsrpt.db)\n"
	    "  --config FILE   read database and limits from a tlsrptd config\n"
	    "  --json          one JSON object per line instead of text\n"
	    "  --help          this text\n"
	    "  --version       the version\n"
	    "\n"
	    "Prints one line per report or message:\n"
	    "  accepted|duplicate|rejected|not-a-report<TAB>INPUT<TAB>detail\n"
	    "Exit: 0 all accepted, duplicate or not-a-report; 65 any rejected\n"
	    "(kept in quarantine); 66 an input cannot be opened; 75 the store\n"
	    "is busy or unwritable (an MTA retries later); 64 usage.\n");
}

static void
print_json(const struct run *rn, const struct result *res)
{
	const struct report *r = res->report;
	char start[RFC3339_LEN], end[RFC3339_LEN];
	json_t *o;
	char *s;

	o = json_pack("{s:s, s:s}", "outcome", outcome_name(res->outcome),
	    "input", res->origin->path ? res->origin->path : rn->input);
	if (o == NULL)
		return;
	if (res->origin->part)
		json_object_set_new(o, "part", json_string(res->origin->part));
	if (res->origin->message_id)
		json_object_set_new(o, "message_id",
		    json_string(res->origin->message_id));
	if (r != NULL) {
		rfc3339_format(r->start, start);
		rfc3339_format(r->end, end);
		json_object_set_new(o, "organization_name",
		    json_string(r->org_name));
		json_object_set_new(o, "report_id", json_string(r->report_id));
		json_object_set_new(o, "policy_domain",
		    json_string(report_domain(r)));
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "end", json_string(end));
	}
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

/* Text fields may hold tabs or newlines from outside: keep lines whole. */
static void
put_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

static void
print_text(const struct run *rn, const struct result *res)
{
	const struct report *r = res->report;
	char start[RFC3339_LEN], end[RFC3339_LEN];

	printf("%s\t", outcome_name(res->outcome));
	put_clean(res->origin->path ? res->origin->path : rn->input);
	putchar('\t');
	if (r != NULL && res->outcome != OUTCOME_DEFERRED) {
		if (res->origin->part) {
			put_clean(res->origin->part);
			fputs(": ", stdout);
		}
		rfc3339_format(r->start, start);
		rfc3339_format(r->end, end);
		put_clean(r->org_name[0] ? r->org_name : "(no organization)");
		fputs(" report ", stdout);
		put_clean(r->report_id[0] ? r->report_id : "(no id)");
		fputs(" for ", stdout);
		put_clean(report_domain(r)[0] ? report_domain(r) :
		    "(no policy domain)");
		printf(", %s to %s", start, end);
	} else if (res->reason) {
		put_clean(res->reason);
	}
	putchar('\n');
}

static void
on_result(const struct result *res, void *arg)
{
	struct run *rn = arg;

	if (res->outcome == OUTCOME_REJECTED)
		rn->rejected++;
	if (res->outcome == OUTCOME_DEFERRED) {
		if (res->error == ERR_BUSY)
			rn->deferred++;
		else
			rn->internal++;
	}
	if (rn->json)
		print_json(rn, res);
	else
		print_text(rn, res);
	fflush(stdout);
}

static void
import_bytes(struct run *rn, struct buf *b, size_t total, int too_big,
	     enum input_kind kind, const struct origin *o)
{
	char reason[ERROR_MSG_MAX];

	if (too_big) {
		snprintf(reason, sizeof(reason), "input of %s%zu bytes over "
		    "the limit of %zu bytes", total > b->cap * 2 ?
		    "more than " : "", total, b->cap);
		pipeline_reject(&rn->pl, b->data, 0, o, ERR_TOO_BIG, reason,
		    on_result, rn);
		return;
	}
	pipeline_submit(&rn->pl, b->data ? b->data : "", b->len, kind, o,
	    on_result, rn);
}

static void
import_file(struct run *rn, const char *path, enum input_kind kind,
	    const char *source)
{
	struct origin o = { .source = source, .path = path };
	struct error err;
	struct buf b;
	size_t total = 0;
	int rc;

	error_clear(&err);
	buf_init(&b, rn->pl.cfg.message_max);
	rc = files_read_path(path, &b, &total, &err);
	if (rc < 0 && err.kind != ERR_TOO_BIG) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		rn->unreadable++;
	} else {
		import_bytes(rn, &b, total, rc < 0, kind, &o);
	}
	buf_release(&b);
}

static void
import_folder(struct run *rn, const char *dir, enum input_kind kind,
	      const char *source)
{
	struct file_list l;
	struct error err;
	size_t i;

	if (files_list(dir, &l, &err) < 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		rn->unreadable++;
		return;
	}
	for (i = 0; i < l.n; i++)
		import_file(rn, l.paths[i], kind, source);
	files_list_release(&l);
}

static void
import_input(struct run *rn, const char *arg)
{
	struct origin o = { .source = "stdin" };
	char sub[4096];
	struct error err;
	struct stat sb;
	struct buf b;
	size_t total = 0;
	int rc;

	rn->input = arg;
	if (strcmp(arg, "-") == 0) {
		error_clear(&err);
		buf_init(&b, rn->pl.cfg.message_max);
		rc = files_read_fd(STDIN_FILENO, &b, &total, &err);
		if (rc < 0 && err.kind != ERR_TOO_BIG) {
			fprintf(stderr, "tlsrpt-import: standard input: %s\n",
			    err.msg);
			rn->unreadable++;
		} else {
			import_bytes(rn, &b, total, rc < 0, INPUT_SNIFF, &o);
		}
		buf_release(&b);
		return;
	}
	if (stat(arg, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		import_file(rn, arg, INPUT_SNIFF, "file");
		return;
	}
	if (files_is_maildir(arg)) {
		snprintf(sub, sizeof(sub), "%s/new", arg);
		import_folder(rn, sub, INPUT_MESSAGE, "mail");
		snprintf(sub, sizeof(sub), "%s/cur", arg);
		import_folder(rn, sub, INPUT_MESSAGE, "mail");
		return;
	}
	import_folder(rn, arg, INPUT_SNIFF, "file");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *config_path = NULL;
	struct config cfg;
	struct error err;
	struct store *st;
	struct run rn;
	int ch, i;

	memset(&rn, 0, sizeof(rn));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			rn.json = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("tlsrpt-import %s\n", TLSRPT_VERSION);
			return EX_OK;
		default:
			fprintf(stderr, "tlsrpt-import: unknown option %s; "
			    "see tlsrpt-import --help\n", argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tlsrpt-import: no INPUT given; see "
		    "tlsrpt-import --help\n");
		return EX_USAGE;
	}

	config_init(&cfg);
	if (config_path && config_load(&cfg, config_path, &err) < 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		config_release(&cfg);
		return err.kind == ERR_IO ? EX_NOINPUT : EX_USAGE;
	}
	if (db == NULL)
		db = config_path ? cfg.database : "tlsrpt.db";

	mail_init();
	st = store_open(db, &err);
	if (st == NULL) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		config_release(&cfg);
		return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT;
	}
	pipeline_init(&rn.pl, st, &cfg.pipeline);

	for (i = optind; i < argc; i++)
		import_input(&rn, argv[i]);

	store_close(st);
	config_release(&cfg);
	if (rn.deferred)
		return EX_TEMPFAIL;
	if (rn.internal)
		return EX_SOFTWARE;
	if (rn.unreadable)
		return EX_NOINPUT;
	if (rn.rejected)
		return EX_DATAERR;
	return EX_OK;
}
