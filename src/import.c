/* import: see include/import.h. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "bounds.h"
#include "escape.h"
#include "files.h"
#include "import.h"
#include "import_read.h"
#include "report.h"
#include "rfc3339.h"
#include "banned.h"

/* A line of the open batch, waiting for its commit. */
struct pending {
	enum outcome outcome;
	enum error_kind kind;
	long start, end;	/* the line, in the batch's lines */
	char *input;		/* for "deferred" if the commit fails */
};

struct run {
	struct pipeline *pl;
	const struct import_options *o;
	struct import_counts *counts;
	const char *input;	/* the INPUT being stored, as named */
	int batch;		/* a batch transaction is open */
	struct pending pend[IMPORT_BATCH];
	size_t npend;
	FILE *lines;		/* the batch's lines, waiting */
	char *linebuf;
	size_t linelen;
};

static void
print_json(FILE *out, const char *input, const struct result *res)
{
	const struct report *r = res->report;
	char start[RFC3339_LEN], end[RFC3339_LEN];
	json_t *o;
	char *s;

	/* The file, part and message names come from outside: kept, as
	 * escape_json_text() writes them, when they are not UTF-8. */
	o = json_pack("{s:s, s:o}", "outcome", outcome_name(res->outcome),
	    "input", escape_json_text(res->origin->path ? res->origin->path :
	    input));
	if (o == NULL)
		return;
	if (res->origin->part)
		json_object_set_new(o, "part",
		    escape_json_text(res->origin->part));
	if (res->origin->message_id)
		json_object_set_new(o, "message_id",
		    escape_json_text(res->origin->message_id));
	if (res->origin->dkim_domain)
		json_object_set_new(o, "dkim_domain",
		    escape_json_text(res->origin->dkim_domain));
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
	if (result_conflict(res)) {
		rfc3339_format(res->stored->first_received, start);
		json_object_set_new(o, "conflict", json_pack("{s:s}",
		    "first_copy_received", start));
	}
	if (res->reason)
		json_object_set_new(o, "reason", json_string(res->reason));
	s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s != NULL)
		fprintf(out, "%s\n", s);
	free(s);
	json_decref(o);
}

/* Text fields may hold tabs, newlines or terminal controls from outside:
 * shown as escapes (escape.h), so lines stay whole and harmless. */
static void
put_clean(FILE *out, const char *s)
{
	escape_fputs(out, s, 0);
}

static void
print_text(FILE *out, const char *input, const struct result *res)
{
	const struct report *r = res->report;
	char start[RFC3339_LEN], end[RFC3339_LEN];

	fprintf(out, "%s\t", outcome_name(res->outcome));
	put_clean(out, res->origin->path ? res->origin->path : input);
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
		if (result_conflict(res)) {
			rfc3339_format(res->stored->first_received, start);
			fprintf(out, "; conflicts with an earlier copy "
			    "(received %s)", start);
		}
	} else if (res->reason) {
		put_clean(out, res->reason);
	}
	fputc('\n', out);
}

void
import_print_result(FILE *out, int json, const char *input,
		    const struct result *res)
{
	if (json)
		print_json(out, input, res);
	else
		print_text(out, input, res);
}

static void
print_line(FILE *out, const struct run *rn, const struct result *res)
{
	import_print_result(out, rn->o->json, rn->input, res);
}

/* The line of an input answered "deferred" at once, and its count. */
static void
print_deferred(struct run *rn, const char *input, const struct error *err)
{
	struct origin o = { .path = input };
	struct result res = { .outcome = OUTCOME_DEFERRED, .origin = &o,
	    .reason = err->msg, .error = err->kind };

	print_line(rn->o->out, rn, &res);
	import_count(rn->counts, OUTCOME_DEFERRED, err->kind);
}

void
import_count(struct import_counts *c, enum outcome oc, enum error_kind kind)
{
	if (oc == OUTCOME_REJECTED)
		c->rejected++;
	if (oc == OUTCOME_DEFERRED) {
		if (kind == ERR_BUSY)
			c->deferred++;
		else
			c->internal++;
	}
}

/*
 * End the batch: commit, then write its lines; when the commit fails,
 * nothing of the batch was stored, so every line becomes "deferred".
 */
static void
flush(struct run *rn)
{
	struct error err;
	size_t i;
	int ok = 1;

	if (rn->batch) {
		ok = store_batch_commit(rn->pl->store, &err) == 0;
		rn->batch = 0;
	}
	if (rn->lines != NULL)
		fclose(rn->lines);
	rn->lines = NULL;
	for (i = 0; i < rn->npend; i++) {
		struct pending *p = &rn->pend[i];

		if (ok || p->outcome == OUTCOME_DEFERRED ||
		    p->outcome == OUTCOME_NOT_A_REPORT) {
			import_count(rn->counts, p->outcome, p->kind);
			fwrite(rn->linebuf + p->start, 1,
			    (size_t)(p->end - p->start), rn->o->out);
		} else {
			print_deferred(rn, p->input, &err);
		}
		free(p->input);
	}
	free(rn->linebuf);
	rn->linebuf = NULL;
	rn->npend = 0;
	fflush(rn->o->out);
}

static void
on_result(const struct result *res, void *arg)
{
	struct run *rn = arg;
	struct pending *p;
	struct error err;

	if (rn->npend == IMPORT_BATCH)
		flush(rn);
	p = &rn->pend[rn->npend];
	p->outcome = res->outcome;
	p->kind = res->error;
	if (rn->lines == NULL)
		rn->lines = open_memstream(&rn->linebuf, &rn->linelen);
	p->input = strdup(res->origin->path ? res->origin->path : rn->input);
	if (rn->lines == NULL || p->input == NULL) {
		/* No memory to wait: this one is answered now. */
		free(p->input);
		flush(rn);
		error_set(&err, ERR_NOMEM, "out of memory");
		print_deferred(rn, rn->input, &err);
		return;
	}
	p->start = ftell(rn->lines);
	print_line(rn->lines, rn, res);
	p->end = ftell(rn->lines);
	rn->npend++;
}

/*
 * Open a batch before the pipeline stores anything; close it when full
 * (a message's parts stay in one batch).
 */
static int
batch_open(struct run *rn, const struct origin *o)
{
	struct error err;

	if (rn->npend >= IMPORT_BATCH - MAIL_PARTS_MAX)
		flush(rn);
	if (rn->batch)
		return 0;
	if (store_batch_begin(rn->pl->store, &err) < 0) {
		struct result res = { .outcome = OUTCOME_DEFERRED,
		    .origin = o, .reason = err.msg, .error = err.kind };

		on_result(&res, rn);
		return -1;
	}
	rn->batch = 1;
	return 0;
}

/* The folder sub of input (NULL: input itself), open and listed. */
static int
open_folder(const char *input, const char *sub, struct file_list *l,
	    struct error *err)
{
	char label[4096];
	int fd, top, n;

	n = snprintf(label, sizeof(label), "%s%s%s", input, sub ? "/" : "",
	    sub ? sub : "");
	if (n < 0 || (size_t)n >= sizeof(label))
		return error_set(err, ERR_IO, "%s: path too long", input);
	if ((top = open(input, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, ERR_IO, "%s: %s", input,
		    strerror(errno));
	fd = sub == NULL ? top : files_open_dir_below(top, input, sub, err);
	if (fd != top)
		close(top);
	if (fd < 0)
		return -1;
	if (files_list_at(fd, label, l, err) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The files of the folder sub of input (NULL: input itself). Entries that
 * are no regular files (links, FIFOs, devices) are said on stderr and
 * never read: a folder's entries are never followed.
 */
static int
add_folder(struct run *rn, struct import_read *rd, const char *input,
	   const char *sub, enum input_kind kind, const char *source)
{
	struct file_list l;
	struct error err;
	struct stat sb;
	size_t i;
	int fd, rc = 0;

	if ((fd = open_folder(input, sub, &l, &err)) < 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		rn->counts->unreadable++;
		return 0;
	}
	if (import_read_keep_folder(rd, fd) < 0) {
		close(fd);
		fd = -1;
	}
	for (i = 0; i < l.nothers; i++) {
		fprintf(stderr, "tlsrpt-import: %s: %s, skipped (only the "
		    "regular files of a folder are read, never through a "
		    "link)\n", l.others[i],
		    lstat(l.others[i], &sb) == 0 ? files_kind(sb.st_mode) :
		    "not a regular file");
		rn->counts->unreadable++;
	}
	for (i = 0; i < l.n && rc == 0; i++)
		rc = import_read_add(rd, input, l.paths[i], 1, fd, kind,
		    source);
	files_list_release(&l);
	return rc;
}

/* The files an INPUT names, in the order they are imported. */
static int
add_input(struct run *rn, struct import_read *rd, const char *arg)
{
	struct stat sb;

	if (strcmp(arg, "-") == 0)
		return import_read_add(rd, arg, NULL, 0, -1, INPUT_SNIFF,
		    "stdin");
	/* Named by the user: a link is followed, a pipe read. */
	if (stat(arg, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return import_read_add(rd, arg, arg, 0, -1, INPUT_SNIFF,
		    "file");
	if (!files_is_maildir(arg))
		return add_folder(rn, rd, arg, NULL, INPUT_SNIFF, "file");
	if (add_folder(rn, rd, arg, "new", INPUT_MESSAGE, "mail") < 0)
		return -1;
	return add_folder(rn, rd, arg, "cur", INPUT_MESSAGE, "mail");
}

/* Store one parsed input, in the open batch. */
static void
store_job(struct run *rn, struct import_job *j)
{
	struct error err;

	rn->input = j->input;
	if (j->unreadable) {
		rn->counts->unreadable++;
		return;
	}
	if (batch_open(rn, &j->origin) < 0)
		return;
	if (j->too_big) {
		/* Reading stops short of a huge input's end. */
		error_too_big(&err, "input", j->total > j->bytes.cap * 2,
		    j->total, j->bytes.cap);
		pipeline_reject(rn->pl, j->bytes.data, 0, &j->origin,
		    ERR_TOO_BIG, err.msg, on_result, rn);
		return;
	}
	pipeline_store(rn->pl, &j->pp, on_result, rn);
}

void
import_run(struct pipeline *pl, const struct import_options *o,
	   char *const *inputs, int n, struct import_counts *counts)
{
	struct run rn = { .pl = pl, .o = o, .counts = counts };
	struct import_read *rd;
	struct import_job *j;
	struct error err;
	int i, rc = 0;

	memset(counts, 0, sizeof(*counts));
	if ((rd = import_read_new(&pl->cfg, o->received)) == NULL) {
		fprintf(stderr, "tlsrpt-import: out of memory\n");
		counts->internal++;
		return;
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = add_input(&rn, rd, inputs[i]);
	if (rc < 0 || import_read_start(rd, &err) < 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", rc < 0 ?
		    "out of memory" : err.msg);
		counts->internal++;
		import_read_free(rd);
		return;
	}
	while (import_read_next(rd, &j) > 0) {
		if (j == NULL) {
			counts->internal++;
			continue;
		}
		store_job(&rn, j);
		import_read_done(rd, j);
	}
	import_read_free(rd);
	flush(&rn);
}

int
import_exit_code(const struct import_counts *c)
{
	if (c->deferred)
		return EX_TEMPFAIL;
	if (c->internal)
		return EX_SOFTWARE;
	if (c->unreadable)
		return EX_NOINPUT;
	if (c->rejected)
		return EX_DATAERR;
	return EX_OK;
}

int
import_copy_from(struct store *st, const char *path, FILE *out)
{
	struct store_copy_counts counts;
	struct error err;
	struct store *src;
	struct stat sb;
	int rc;

	if (store_is_postgresql(path) || stat(path, &sb) < 0 ||
	    !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "tlsrpt-import: %s: not a SQLite store to copy "
		    "from\n", path);
		return EX_NOINPUT;
	}
	if ((src = store_open(path, &err)) == NULL) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_NOINPUT;
	}
	rc = store_copy(st, src, &counts, &err);
	store_close(src);
	if (rc == 0 || counts.seen > 0)
		fprintf(out, "copied\t%s\t%zu of %zu payloads new in the %s "
		    "store\n", path, counts.copied, counts.seen,
		    store_backend(st));
	if (rc == 0)
		return EX_OK;
	fprintf(stderr, "tlsrpt-import: copying %s: %s\n", path, err.msg);
	switch (err.kind) {
	case ERR_BUSY:
		return EX_TEMPFAIL;
	case ERR_INPUT:
		return EX_USAGE;
	case ERR_IO:
		return EX_NOINPUT;
	default:
		return EX_SOFTWARE;
	}
}
