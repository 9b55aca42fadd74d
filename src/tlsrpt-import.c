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
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "cli.h"
#include "config.h"
#include "escape.h"
#include "files.h"
#include "log.h"
#include "mail.h"
#include "pipeline.h"
#include "report.h"
#include "rfc3339.h"
#include "store_retention.h"
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

/*
 * Inputs are read, decoded and parsed by worker threads while the main
 * thread stores them in their order, so that every core works: one fewer
 * than the cores online, at least one and at most WORKERS_MAX, since the
 * main thread's stores are what every input waits for and it needs a core
 * of its own (with two workers on two cores an import took 12 % longer).
 * At most
 * WINDOW inputs, and READ_AHEAD_MAX bytes of them (give or take the
 * inputs being read), are read ahead of the one being stored. When its next
 * input is not ready, the main thread parses one itself. A thread wakes
 * another only when that one sleeps: the main thread when the input it
 * waits for is ready, the workers when half the window is free again.
 */
#define WORKERS_MAX	4
#define WINDOW	64
#define READ_AHEAD_MAX	((size_t)64 * 1024 * 1024)	/* input bytes */

struct pending {
	enum outcome outcome;
	enum error_kind kind;
	long start, end;	/* the output line, in the batch's lines */
	char *input;		/* for "deferred" if the commit fails */
};

/* One input to read: a file, or standard input (path NULL). */
struct task {
	const char *input;	/* the INPUT as named on the command line */
	char *path;		/* owned */
	enum input_kind kind;
	const char *source;
};

/* One input, read and parsed, waiting to be stored. */
struct job {
	const char *input;
	struct origin origin;
	struct buf bytes;
	size_t total;		/* bytes the input had, read or not */
	int too_big;
	int unreadable;		/* said on stderr; nothing to store */
	size_t ahead;		/* what it counts in work.ahead */
	struct job *next;	/* on the stored list */
	struct pipeline_parsed pp;	/* last: see read_task() */
};

/* The inputs, and the window of jobs between the workers and the main
 * thread: the job of task i is slot[i % WINDOW] once ready. */
struct work {
	pthread_mutex_t lock;
	pthread_cond_t room;	/* workers wait for the window to move */
	pthread_cond_t ready_cv; /* the main thread waits for its input */
	int idle_workers;	/* waiting on room */
	int main_waits;		/* waiting on ready_cv */
	const struct pipeline_config *cfg;
	int64_t received;	/* --received, or -1: the clock at each read */
	struct task *tasks;
	size_t ntasks, alloc;
	size_t next_task;	/* the next a worker takes */
	size_t next_store;	/* the next the main thread stores */
	size_t ahead;		/* input bytes read and not yet stored */
	struct job *slot[WINDOW];
	int ready[WINDOW];
	struct job *stored;	/* stored jobs, for the workers to free */
};

struct run {
	struct pipeline pl;
	int64_t received;	/* --received, or -1 */
	int json;
	const char *input;	/* the INPUT as named on the command line */
	int rejected, deferred, unreadable, internal;
	int batch;		/* a batch transaction is open */
	struct pending pend[BATCH_MAX];
	size_t npend;
	FILE *lines;		/* the batch's output lines, waiting */
	char *linebuf;
	size_t linelen;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt-import [--db PATH|URI] [--config FILE] [--json]\n"
	    "                     [--received TIME] INPUT...\n"
	    "       tlsrpt-import --copy-from OLD.db --db URI\n"
	    "       tlsrpt-import --prune DAYS [--db PATH|URI]\n"
	    "\n"
	    "Import TLS reports (RFC 8460) into the store.\n"
	    "INPUT is a .json or .json.gz report, a .eml message, a maildir\n"
	    "(every message in new/ and cur/), a plain folder (every file in\n"
	    "it), or - for one message or report on standard input.\n"
	    "\n"
	    "  --db PATH|URI   the store: a SQLite file (default tlsrpt.db)\n"
	    "                  or a postgresql:// URI\n"
	    "  --copy-from OLD.db  copy a SQLite store, payloads, quarantine\n"
	    "                  and reports, into the --db store; a second\n"
	    "                  run copies nothing twice\n"
	    "  --prune DAYS    remove what retention-days = DAYS removes\n"
	    "                  (tlsrptd.conf(5)), once: the reports that\n"
	    "                  ended, and the payloads received, more than\n"
	    "                  DAYS days ago; the per-day aggregates stay\n"
	    "  --config FILE   read database and limits from a tlsrptd config\n"
	    "  --received TIME take the inputs as received at TIME (RFC 3339\n"
	    "                  or Unix seconds), not at the clock: a report\n"
	    "                  may end at most 2 days after it\n"
	    "  --json          one JSON object per line instead of text\n"
	    "  --help          this text\n"
	    "  --version       the version\n"
	    "\n"
	    "Prints one line per report or message:\n"
	    "  accepted|duplicate|rejected|not-a-report<TAB>INPUT<TAB>detail\n"
	    "duplicate: a copy stored before, same content; accepted with\n"
	    "\"conflicts\" in the detail: stored, but an earlier copy of the\n"
	    "same report (organization, id, range) has other content.\n"
	    "Exit: 0 all accepted, duplicate or not-a-report; 65 any rejected\n"
	    "(kept in quarantine); 66 an input cannot be opened; 75 the store\n"
	    "is busy or unwritable (an MTA retries later); 64 usage.\n");
}

/*
 * --copy-from: every row of the SQLite store at path into st, idempotent.
 * Exit 0 when all was copied (or was there), 66 when the old store
 * cannot be opened, 75 when the destination failed in a way that may
 * pass (a new run goes on where this one stopped), 64 otherwise.
 */
static int
copy_from(struct store *st, const char *path)
{
	struct store_copy_counts counts;
	struct error err;
	struct store *src;
	struct stat sb;
	int rc;

	if (strncmp(path, "postgres", 8) == 0 || stat(path, &sb) < 0 ||
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
		printf("copied\t%s\t%zu of %zu payloads new in the %s "
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

/*
 * --prune: one retention pass (store_retention.h). Exit 0, 75 when the
 * store failed in a way that may pass, 70 otherwise.
 */
static int
prune(struct store *st, unsigned days)
{
	struct error err;
	char what[256];
	int rc;

	error_clear(&err);
	rc = store_prune_days(st, days, NULL, NULL, what, sizeof(what), &err);
	printf("pruned\t%s store\t%s\n", store_backend(st), what);
	if (rc == 0)
		return EX_OK;
	fprintf(stderr, "tlsrpt-import: --prune: %s\n", err.msg);
	return err.kind == ERR_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
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
	if (res->origin->dkim_domain)
		json_object_set_new(o, "dkim_domain",
		    json_string(res->origin->dkim_domain));
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
	if (rn->lines != NULL)
		fclose(rn->lines);
	rn->lines = NULL;
	for (i = 0; i < rn->npend; i++) {
		struct pending *p = &rn->pend[i];

		if (ok || p->outcome == OUTCOME_DEFERRED ||
		    p->outcome == OUTCOME_NOT_A_REPORT) {
			count(rn, p->outcome, p->kind);
			fwrite(rn->linebuf + p->start, 1,
			    (size_t)(p->end - p->start), stdout);
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
		free(p->input);
	}
	free(rn->linebuf);
	rn->linebuf = NULL;
	rn->npend = 0;
	fflush(stdout);
}

static void
on_result(const struct result *res, void *arg)
{
	struct run *rn = arg;
	struct pending *p;

	if (rn->npend == BATCH_MAX)
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
		count(rn, OUTCOME_DEFERRED, ERR_NOMEM);
		printf("deferred\t%s\tout of memory\n", rn->input);
		return;
	}
	p->start = ftell(rn->lines);
	if (rn->json)
		print_json(rn->lines, rn, res);
	else
		print_text(rn->lines, rn, res);
	p->end = ftell(rn->lines);
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
job_free(struct job *j)
{
	pipeline_parsed_release(&j->pp);
	buf_release(&j->bytes);
	free(j);
}

/* Worker: read the input of t and parse it; NULL when out of memory
 * (said on stderr). */
static struct job *
read_task(const struct work *wk, const struct task *t)
{
	struct error err;
	struct job *j;
	int rc;

	/* Not calloc(): the parsed items, 11 KiB of the job, are each set
	 * as they are added (3 % of an import's instructions). */
	if ((j = malloc(sizeof(*j))) == NULL) {
		fprintf(stderr, "tlsrpt-import: %s: out of memory\n",
		    t->path ? t->path : "standard input");
		return NULL;
	}
	memset(j, 0, offsetof(struct job, pp));
	memset(&j->pp.msg, 0, sizeof(j->pp.msg));
	j->pp.n = 0;
	j->input = t->input;
	j->origin.source = t->source;
	j->origin.path = t->path;
	error_clear(&err);
	buf_init(&j->bytes, wk->cfg->message_max);
	rc = t->path == NULL ?
	    files_read_fd(STDIN_FILENO, &j->bytes, &j->total, &err) :
	    files_read_path(t->path, &j->bytes, &j->total, &err);
	if (rc < 0 && err.kind != ERR_TOO_BIG) {
		fprintf(stderr, "tlsrpt-import: %s%s\n", t->path == NULL ?
		    "standard input: " : "", err.msg);
		j->unreadable = 1;
		return j;
	}
	j->too_big = rc < 0;
	if (!j->too_big)
		pipeline_parse(wk->cfg, j->bytes.data ? j->bytes.data : "",
		    j->bytes.len, t->kind, &j->origin, wk->received >= 0 ?
		    wk->received : (int64_t)time(NULL), &j->pp);
	return j;
}

/* Free the jobs the main thread has stored: freeing a parsed message
 * costs as much as a third of parsing it, better spent off the main
 * thread. Called with the lock held; returns with it held. */
static void
free_stored(struct work *wk)
{
	struct job *j, *next;

	j = wk->stored;
	wk->stored = NULL;
	if (j == NULL)
		return;
	pthread_mutex_unlock(&wk->lock);
	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	pthread_mutex_lock(&wk->lock);
}

/* Is there an input to read, within the window (lock held)? The next one
 * to store is always read, whatever is ahead. */
static int
room(const struct work *wk)
{
	return wk->next_task < wk->ntasks &&
	    wk->next_task < wk->next_store + WINDOW &&
	    (wk->ahead < READ_AHEAD_MAX || wk->next_task == wk->next_store);
}

/*
 * Read and parse the next input if the window has room for it; 0 when it
 * has not. Called with the lock held; returns with it held.
 */
static int
work_one(struct work *wk)
{
	struct job *j;
	size_t i;

	if (!room(wk))
		return 0;
	i = wk->next_task++;
	pthread_mutex_unlock(&wk->lock);
	j = read_task(wk, &wk->tasks[i]);
	pthread_mutex_lock(&wk->lock);
	if (j != NULL) {
		j->ahead = j->bytes.len;
		wk->ahead += j->ahead;
	}
	wk->slot[i % WINDOW] = j;
	wk->ready[i % WINDOW] = 1;
	if (wk->main_waits && i == wk->next_store)
		pthread_cond_signal(&wk->ready_cv);
	return 1;
}

static void *
worker_main(void *arg)
{
	struct work *wk = arg;

	pthread_mutex_lock(&wk->lock);
	while (wk->next_task < wk->ntasks) {
		/* free_stored() and work_one() let the lock go: another
		 * worker may have taken the last task meanwhile, so look
		 * again. */
		if (wk->stored != NULL) {
			free_stored(wk);
			continue;
		}
		if (work_one(wk))
			continue;
		wk->idle_workers++;
		pthread_cond_wait(&wk->room, &wk->lock);
		wk->idle_workers--;
	}
	pthread_mutex_unlock(&wk->lock);
	return NULL;
}

static int
task_add(struct work *wk, const char *input, const char *path,
	 enum input_kind kind, const char *source)
{
	struct task *t;

	if (wk->ntasks == wk->alloc) {
		size_t n = wk->alloc ? wk->alloc * 2 : 64;

		if ((t = realloc(wk->tasks, n * sizeof(*t))) == NULL)
			return -1;
		wk->tasks = t;
		wk->alloc = n;
	}
	t = &wk->tasks[wk->ntasks];
	t->input = input;
	t->kind = kind;
	t->source = source;
	t->path = NULL;
	if (path != NULL && (t->path = strdup(path)) == NULL)
		return -1;
	wk->ntasks++;
	return 0;
}

static int
add_folder(struct run *rn, struct work *wk, const char *input,
	   const char *dir, enum input_kind kind, const char *source)
{
	struct file_list l;
	struct error err;
	size_t i;
	int rc = 0;

	if (files_list(dir, &l, &err) < 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", err.msg);
		rn->unreadable++;
		return 0;
	}
	for (i = 0; i < l.n && rc == 0; i++)
		rc = task_add(wk, input, l.paths[i], kind, source);
	files_list_release(&l);
	return rc;
}

/* The files an INPUT names, in the order they are imported. */
static int
add_input(struct run *rn, struct work *wk, const char *arg)
{
	char sub[4096];
	struct stat sb;

	if (strcmp(arg, "-") == 0)
		return task_add(wk, arg, NULL, INPUT_SNIFF, "stdin");
	if (stat(arg, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return task_add(wk, arg, arg, INPUT_SNIFF, "file");
	if (files_is_maildir(arg)) {
		snprintf(sub, sizeof(sub), "%s/new", arg);
		if (add_folder(rn, wk, arg, sub, INPUT_MESSAGE, "mail") < 0)
			return -1;
		snprintf(sub, sizeof(sub), "%s/cur", arg);
		return add_folder(rn, wk, arg, sub, INPUT_MESSAGE, "mail");
	}
	return add_folder(rn, wk, arg, arg, INPUT_SNIFF, "file");
}

/* Main thread: store one parsed input, in the open batch. */
static void
store_job(struct run *rn, struct job *j)
{
	char reason[ERROR_MSG_MAX];

	rn->input = j->input;
	if (j->unreadable) {
		rn->unreadable++;
		return;
	}
	if (batch_open(rn, &j->origin) < 0)
		return;
	if (j->too_big) {
		snprintf(reason, sizeof(reason), "input of %s%zu bytes over "
		    "the limit of %zu bytes", j->total > j->bytes.cap * 2 ?
		    "more than " : "", j->total, j->bytes.cap);
		pipeline_reject(&rn->pl, j->bytes.data, 0, &j->origin,
		    ERR_TOO_BIG, reason, on_result, rn);
		return;
	}
	pipeline_store(&rn->pl, &j->pp, on_result, rn);
}

/* Every input: parsed by the workers, stored here in order. */
static int
import_all(struct run *rn, char **inputs, int ninputs)
{
	struct work wk = { .lock = PTHREAD_MUTEX_INITIALIZER,
	    .room = PTHREAD_COND_INITIALIZER,
	    .ready_cv = PTHREAD_COND_INITIALIZER, .cfg = &rn->pl.cfg,
	    .received = rn->received };
	pthread_t th[WORKERS_MAX];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = cores > WORKERS_MAX ? WORKERS_MAX :
	    cores > 2 ? (int)cores - 1 : 1;
	struct job *j;
	int i, nth = 0, rc = 0;
	size_t k, ntasks;

	for (i = 0; i < ninputs && rc == 0; i++)
		rc = add_input(rn, &wk, inputs[i]);
	for (i = 0; i < workers && rc == 0; i++)
		if (pthread_create(&th[nth], NULL, worker_main, &wk) == 0)
			nth++;
	ntasks = wk.ntasks;
	if (rc < 0 || nth == 0) {
		fprintf(stderr, "tlsrpt-import: %s\n", rc < 0 ?
		    "out of memory" : "cannot start a thread");
		pthread_mutex_lock(&wk.lock);
		wk.ntasks = 0;	/* the workers stop */
		pthread_mutex_unlock(&wk.lock);
		rc = -1;
	}
	for (k = 0; k < wk.ntasks; k++) {
		pthread_mutex_lock(&wk.lock);
		while (!wk.ready[k % WINDOW]) {
			/* Rather than wait for its input, the main thread
			 * frees what it stored, or parses one itself. */
			if (wk.stored != NULL) {
				free_stored(&wk);
				continue;
			}
			if (work_one(&wk))
				continue;
			wk.main_waits = 1;
			pthread_cond_wait(&wk.ready_cv, &wk.lock);
			wk.main_waits = 0;
		}
		j = wk.slot[k % WINDOW];
		wk.slot[k % WINDOW] = NULL;
		wk.ready[k % WINDOW] = 0;
		wk.next_store++;
		if (j != NULL)
			wk.ahead -= j->ahead;
		/* An idle worker wakes to read on, or to leave when the
		 * main thread has taken the last inputs itself. */
		if (wk.idle_workers > 0 && (wk.next_task >= wk.ntasks ||
		    (wk.next_task + WINDOW / 2 <= wk.next_store + WINDOW &&
		    room(&wk))))
			pthread_cond_broadcast(&wk.room);
		pthread_mutex_unlock(&wk.lock);
		if (j == NULL) {
			rn->internal++;
			continue;
		}
		store_job(rn, j);
		pthread_mutex_lock(&wk.lock);
		j->next = wk.stored;
		wk.stored = j;
		pthread_mutex_unlock(&wk.lock);
	}
	pthread_mutex_lock(&wk.lock);
	pthread_cond_broadcast(&wk.room);	/* every input is taken */
	pthread_mutex_unlock(&wk.lock);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	free_stored(&wk);
	for (k = 0; k < ntasks; k++)
		free(wk.tasks[k].path);
	free(wk.tasks);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "copy-from", required_argument, NULL, 'C' },
		{ "received", required_argument, NULL, 'R' },
		{ "prune", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *config_path = NULL, *copy = NULL;
	struct config cfg;
	struct error err;
	struct store *st;
	struct run rn;
	long long days = -1;
	char *end = NULL;
	int ch;

	memset(&rn, 0, sizeof(rn));
	rn.received = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
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
		case 'C':
			copy = optarg;
			break;
		case 'R':
			if (cli_parse_time(optarg, &rn.received) < 0) {
				fprintf(stderr, "tlsrpt-import: --received: "
				    "\"%s\" is not an RFC 3339 time or Unix "
				    "seconds\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'P':
			days = optarg[0] >= '0' && optarg[0] <= '9' ?
			    strtoll(optarg, &end, 10) : 0;
			if (days < 1 || days > BOUND_RETENTION_DAYS ||
			    *end != '\0') {
				fprintf(stderr, "tlsrpt-import: --prune: \"%s\" "
				    "is not a number of days from 1 to %d\n",
				    optarg, BOUND_RETENTION_DAYS);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("tlsrpt-import %s\n", TLSRPT_VERSION);
			return EX_OK;
		default:
			return cli_option_error("tlsrpt-import", ch, argv);
		}
	}
	if (days >= 0 && (copy != NULL || optind < argc)) {
		fprintf(stderr, "tlsrpt-import: --prune takes no INPUT and no "
		    "--copy-from; see tlsrpt-import --help\n");
		return EX_USAGE;
	}
	if (copy != NULL && optind < argc) {
		fprintf(stderr, "tlsrpt-import: --copy-from takes no "
		    "INPUT; see tlsrpt-import --help\n");
		return EX_USAGE;
	}
	if (copy == NULL && days < 0 && optind >= argc) {
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
	if (copy != NULL || days >= 0) {
		int rc = copy != NULL ? copy_from(st, copy) :
		    prune(st, (unsigned)days);

		store_close(st);
		config_release(&cfg);
		return rc;
	}
	pipeline_init(&rn.pl, st, &cfg.pipeline);

	if (import_all(&rn, argv + optind, argc - optind) < 0)
		rn.internal++;
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
