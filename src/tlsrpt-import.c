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
#include "report.h"
#include "rfc3339.h"
#include "version.h"
#include "banned.h"

#define EX_OK		0
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_TEMPFAIL	75

/*
 * Reports are stored in batches of BATCH_MAX, one transaction each (one
 * disk flush per batch instead of per report); their lines are printed
 * only once the batch is durable, as the contract promises.
 */
#define BATCH_MAX 256

struct pending {
	enum outcome outcome;
	enum error_kind kind;
	char *line;		/* the output line, ready */
	char *input;		/* for a "deferred" line if the commit fails */
};

struct run {
	struct pipeline pl;
	int json;
	const char *input;	/* the INPUT as named on the command line */
	int rejected, deferred, unreadable, internal;
	int batch;		/* a batch transaction is open */
	struct pending pend[BATCH_MAX];
	size_t npend;
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
print_json(FILE *out, const struct run *rn, const struct result *res)
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
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

/* Text fields may hold tabs or newlines from outside: keep lines whole. */
static void
put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
}

static void
print_text(FILE *out, const struct run *rn, const struct result *res)
{
	const struct report *r = res->report;
	char start[RFC3339_LEN], end[RFC3339_LEN];

	fprintf(out, "%s\t", outcome_name(res->outcome));
	put_clean(out, res->origin->path ? res->origin->path : rn->input);
	fputc('\t', out);
	if (r != NULL && res->outcome != OUTCOME_DEFERRED) {
		if (res->origin->part) {
			put_clean(out, res->origin->part);
			fputs(": ", out);
		}
		rfc3339_format(r->start, start);
		rfc3339_format(r->end, end);
		put_clean(out, r->org_name[0] ? r->org_name :
		    "(no organization)");
		fputs(" report ", out);
		put_clean(out, r->report_id[0] ? r->report_id : "(no id)");
		fputs(" for ", out);
		put_clean(out, report_domain(r)[0] ? report_domain(r) :
		    "(no policy domain)");
		fprintf(out, ", %s to %s", start, end);
	} else if (res->reason) {
		put_clean(out, res->reason);
	}
	fputc('\n', out);
}

static void
count(struct run *rn, enum outcome oc, enum error_kind kind)
{
	if (oc == OUTCOME_REJECTED)
		rn->rejected++;
	if (oc == OUTCOME_DEFERRED) {
		if (kind == ERR_BUSY)
			rn->deferred++;
		else
			rn->internal++;
	}
}

/*
 * End the batch: commit, then print its lines; when the commit fails,
 * nothing of the batch was stored, so every line becomes "deferred".
 */
static void
flush(struct run *rn)
{
	struct error err;
	size_t i;
	int ok = 1;

	if (rn->batch) {
		ok = store_batch_commit(rn->pl.store, &err) == 0;
		rn->batch = 0;
	}
	for (i = 0; i < rn->npend; i++) {
		struct pending *p = &rn->pend[i];

		if (ok || p->outcome == OUTCOME_DEFERRED ||
		    p->outcome == OUTCOME_NOT_A_REPORT) {
			count(rn, p->outcome, p->kind);
			fputs(p->line, stdout);
		} else if (rn->json) {
			json_t *o = json_pack("{s:s, s:s, s:s}", "outcome",
			    "deferred", "input", p->input, "reason", err.msg);
			char *s = o ? json_dumps(o, JSON_COMPACT |
			    JSON_ENSURE_ASCII) : NULL;

			count(rn, OUTCOME_DEFERRED, err.kind);
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(o);
		} else {
			count(rn, OUTCOME_DEFERRED, err.kind);
			printf("deferred\t");
			put_clean(stdout, p->input);
			putchar('\t');
			put_clean(stdout, err.msg);
			putchar('\n');
		}
		free(p->line);
		free(p->input);
	}
	rn->npend = 0;
	fflush(stdout);
}

static void
on_result(const struct result *res, void *arg)
{
	struct run *rn = arg;
	struct pending *p;
	size_t len;
	FILE *f;

	if (rn->npend == BATCH_MAX)
		flush(rn);
	p = &rn->pend[rn->npend];
	p->outcome = res->outcome;
	p->kind = res->error;
	p->line = NULL;
	f = open_memstream(&p->line, &len);
	p->input = strdup(res->origin->path ? res->origin->path : rn->input);
	if (f == NULL || p->input == NULL) {
		/* No memory to wait: this one is answered now. */
		if (f)
			fclose(f);
		free(p->line);
		free(p->input);
		flush(rn);
		count(rn, OUTCOME_DEFERRED, ERR_NOMEM);
		printf("deferred\t%s\tout of memory\n", rn->input);
		return;
	}
	if (rn->json)
		print_json(f, rn, res);
	else
		print_text(f, rn, res);
	fclose(f);
	rn->npend++;
}

/*
 * Open a batch before the pipeline stores anything; close it when full.
 * When the store is busy (another writer held it for the whole busy
 * timeout) the input is answered "deferred" without a second wait.
 */
static int
batch_open(struct run *rn, const struct origin *o)
{
	struct error err;

	if (rn->npend >= BATCH_MAX - MAIL_PARTS_MAX)
		flush(rn);
	if (rn->batch)
		return 0;
	if (store_batch_begin(rn->pl.store, &err) < 0) {
		struct result res = { .outcome = OUTCOME_DEFERRED,
		    .origin = o, .reason = err.msg, .error = err.kind };

		on_result(&res, rn);
		return -1;
	}
	rn->batch = 1;
	return 0;
}

static void
import_bytes(struct run *rn, struct buf *b, size_t total, int too_big,
	     enum input_kind kind, const struct origin *o)
{
	char reason[ERROR_MSG_MAX];

	if (batch_open(rn, o) < 0)
		return;
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

	report_init();
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
	flush(&rn);

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
