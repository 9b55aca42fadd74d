/* import_read: see include/import_read.h. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "bounds.h"
#include "files.h"
#include "import_read.h"
#include "banned.h"

/* One input to read: a file, or standard input (path NULL). */
struct task {
	const char *input;
	char *path;		/* owned */
	/* An entry of a folder, opened without following links (files.h):
	 * in the folder dirfd when it is kept open (else -1), else as rel
	 * (in path) below the folder input; else NULL. */
	const char *rel;
	int dirfd;
	enum input_kind kind;
	const char *source;
};

/* The inputs, and the window of jobs between the workers and the taker:
 * the job of task i is slot[i % IMPORT_WINDOW] once ready. */
struct import_read {
	pthread_mutex_t lock;
	pthread_cond_t room;	/* workers wait for the window to move */
	pthread_cond_t ready_cv; /* the taker waits for its input */
	int idle_workers;	/* waiting on room */
	int taker_waits;	/* waiting on ready_cv */
	const struct pipeline_config *cfg;
	int64_t received;	/* or -1: the clock at each read */
	struct task *tasks;
	size_t ntasks, alloc;
	size_t ntaken;		/* tasks the workers may take: ntasks once
				 * started, 0 to make them stop */
	size_t next_task;	/* the next a worker takes */
	size_t next_store;	/* the next the taker takes */
	size_t ahead;		/* input bytes read and not yet taken */
	struct import_job *slot[IMPORT_WINDOW];
	int ready[IMPORT_WINDOW];
	struct import_job *stored;	/* handed back, for the workers to free */
	pthread_t th[IMPORT_WORKERS_MAX];
	int nth;
	int folders[IMPORT_FOLDERS_OPEN];	/* import_read_keep_folder() */
	size_t nfolders;
};

struct import_read *
import_read_new(const struct pipeline_config *cfg, int64_t received)
{
	struct import_read *rd = calloc(1, sizeof(*rd));

	if (rd == NULL)
		return NULL;
	pthread_mutex_init(&rd->lock, NULL);
	pthread_cond_init(&rd->room, NULL);
	pthread_cond_init(&rd->ready_cv, NULL);
	rd->cfg = cfg;
	rd->received = received;
	return rd;
}

int
import_read_add(struct import_read *rd, const char *input, const char *path,
		int entry, int dirfd, enum input_kind kind, const char *source)
{
	struct task *t;

	if (array_grow(&rd->tasks, rd->ntasks, &rd->alloc, sizeof(*t), 64) < 0)
		return -1;
	t = &rd->tasks[rd->ntasks];
	t->input = input;
	t->kind = kind;
	t->source = source;
	t->path = NULL;
	t->rel = NULL;
	t->dirfd = dirfd;
	if (path != NULL && (t->path = strdup(path)) == NULL)
		return -1;
	if (entry && path != NULL)
		t->rel = t->path + strlen(input) + 1;
	rd->ntasks++;
	return 0;
}

int
import_read_keep_folder(struct import_read *rd, int fd)
{
	if (rd->nfolders == IMPORT_FOLDERS_OPEN)
		return -1;
	rd->folders[rd->nfolders++] = fd;
	return 0;
}

/* Read the input of t into bytes. */
static int
read_input(const struct task *t, struct buf *bytes, size_t *total,
	   struct error *err)
{
	const char *name;
	int fd, rc;

	if (t->path == NULL)
		return files_read_fd(STDIN_FILENO, bytes, total, err);
	if (t->rel == NULL)
		return files_read_path(t->path, bytes, total, err);
	name = strrchr(t->rel, '/') ? strrchr(t->rel, '/') + 1 : t->rel;
	fd = t->dirfd >= 0 ? files_open_regular(t->dirfd, name, t->path,
	    err) : files_open_below(t->input, t->rel, err);
	if (fd < 0)
		return -1;
	rc = files_read_fd(fd, bytes, total, err);
	close(fd);
	return rc;
}

size_t
import_read_count(const struct import_read *rd)
{
	return rd->ntasks;
}

static void
job_free(struct import_job *j)
{
	pipeline_parsed_release(&j->pp);
	buf_release(&j->bytes);
	free(j);
}

/* Read the input of t and parse it; NULL when out of memory (said on
 * stderr). */
static struct import_job *
read_task(const struct import_read *rd, const struct task *t)
{
	struct error err;
	struct import_job *j;
	int rc;

	/* Not calloc(): the parsed items, most of the job, are each set
	 * as they are added (BENCHMARKS.md). */
	if ((j = malloc(sizeof(*j))) == NULL) {
		fprintf(stderr, "tlsrpt-import: %s: out of memory\n",
		    t->path ? t->path : "standard input");
		return NULL;
	}
	memset(j, 0, offsetof(struct import_job, pp));
	memset(&j->pp.msg, 0, sizeof(j->pp.msg));
	j->pp.n = 0;
	j->input = t->input;
	j->origin.source = t->source;
	j->origin.path = t->path;
	error_clear(&err);
	buf_init(&j->bytes, rd->cfg->message_max);
	rc = read_input(t, &j->bytes, &j->total, &err);
	if (rc < 0 && err.kind != ERR_TOO_BIG) {
		fprintf(stderr, "tlsrpt-import: %s%s\n", t->path == NULL ?
		    "standard input: " : "", err.msg);
		j->unreadable = 1;
		return j;
	}
	j->too_big = rc < 0;
	if (!j->too_big)
		pipeline_parse(rd->cfg, j->bytes.data ? j->bytes.data : "",
		    j->bytes.len, t->kind, &j->origin, rd->received >= 0 ?
		    rd->received : (int64_t)time(NULL), &j->pp);
	return j;
}

/* Free the jobs handed back. Called with the lock held; returns with it
 * held. */
static void
free_stored(struct import_read *rd)
{
	struct import_job *j, *next;

	j = rd->stored;
	rd->stored = NULL;
	if (j == NULL)
		return;
	pthread_mutex_unlock(&rd->lock);
	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	pthread_mutex_lock(&rd->lock);
}

/* Is there an input to read, within the window (lock held)? The next one
 * to take is always read, whatever is ahead. */
static int
room(const struct import_read *rd)
{
	return rd->next_task < rd->ntaken &&
	    rd->next_task < rd->next_store + IMPORT_WINDOW &&
	    (rd->ahead < IMPORT_READ_AHEAD || rd->next_task == rd->next_store);
}

/*
 * Read and parse the next input if the window has room for it; 0 when it
 * has not. Called with the lock held; returns with it held.
 */
static int
work_one(struct import_read *rd)
{
	struct import_job *j;
	size_t i;

	if (!room(rd))
		return 0;
	i = rd->next_task++;
	pthread_mutex_unlock(&rd->lock);
	j = read_task(rd, &rd->tasks[i]);
	pthread_mutex_lock(&rd->lock);
	if (j != NULL)
		rd->ahead += j->bytes.len;
	rd->slot[i % IMPORT_WINDOW] = j;
	rd->ready[i % IMPORT_WINDOW] = 1;
	if (rd->taker_waits && i == rd->next_store)
		pthread_cond_signal(&rd->ready_cv);
	return 1;
}

static void *
worker_main(void *arg)
{
	struct import_read *rd = arg;

	pthread_mutex_lock(&rd->lock);
	while (rd->next_task < rd->ntaken) {
		/* free_stored() and work_one() let the lock go: another
		 * worker may have taken the last task meanwhile, so look
		 * again. */
		if (rd->stored != NULL) {
			free_stored(rd);
			continue;
		}
		if (work_one(rd))
			continue;
		rd->idle_workers++;
		pthread_cond_wait(&rd->room, &rd->lock);
		rd->idle_workers--;
	}
	pthread_mutex_unlock(&rd->lock);
	return NULL;
}

int
import_read_start(struct import_read *rd, struct error *err)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int workers = cores > IMPORT_WORKERS_MAX ? IMPORT_WORKERS_MAX :
	    cores > 2 ? (int)cores - 1 : 1;
	int i;

	rd->ntaken = rd->ntasks;
	for (i = 0; i < workers; i++)
		if (pthread_create(&rd->th[rd->nth], NULL, worker_main,
		    rd) == 0)
			rd->nth++;
	if (rd->nth > 0 || rd->ntasks == 0)
		return 0;
	rd->ntaken = 0;
	return error_set(err, ERR_NOMEM, "cannot start a thread");
}

int
import_read_next(struct import_read *rd, struct import_job **job)
{
	size_t k;

	pthread_mutex_lock(&rd->lock);
	if (rd->next_store >= rd->ntaken) {
		pthread_mutex_unlock(&rd->lock);
		return 0;
	}
	k = rd->next_store % IMPORT_WINDOW;
	while (!rd->ready[k]) {
		/* Rather than wait for its input, the taker frees what it
		 * stored, or parses one itself. */
		if (rd->stored != NULL) {
			free_stored(rd);
			continue;
		}
		if (work_one(rd))
			continue;
		rd->taker_waits = 1;
		pthread_cond_wait(&rd->ready_cv, &rd->lock);
		rd->taker_waits = 0;
	}
	*job = rd->slot[k];
	rd->slot[k] = NULL;
	rd->ready[k] = 0;
	rd->next_store++;
	if (*job != NULL)
		rd->ahead -= (*job)->bytes.len;
	/* An idle worker wakes to read on, or to leave when the taker has
	 * taken the last inputs itself. */
	if (rd->idle_workers > 0 && (rd->next_task >= rd->ntaken ||
	    (rd->next_task + IMPORT_WINDOW / 2 <= rd->next_store +
	    IMPORT_WINDOW && room(rd))))
		pthread_cond_broadcast(&rd->room);
	pthread_mutex_unlock(&rd->lock);
	return 1;
}

void
import_read_done(struct import_read *rd, struct import_job *job)
{
	if (job == NULL)
		return;
	pthread_mutex_lock(&rd->lock);
	job->next = rd->stored;
	rd->stored = job;
	pthread_mutex_unlock(&rd->lock);
}

void
import_read_free(struct import_read *rd)
{
	size_t k;
	int i;

	if (rd == NULL)
		return;
	pthread_mutex_lock(&rd->lock);
	rd->ntaken = rd->next_task;	/* whatever is left is not read */
	pthread_cond_broadcast(&rd->room);
	pthread_mutex_unlock(&rd->lock);
	for (i = 0; i < rd->nth; i++)
		pthread_join(rd->th[i], NULL);
	/* Jobs read and never taken, then those handed back. */
	for (k = 0; k < IMPORT_WINDOW; k++)
		if (rd->slot[k] != NULL)
			job_free(rd->slot[k]);
	pthread_mutex_lock(&rd->lock);
	free_stored(rd);
	pthread_mutex_unlock(&rd->lock);
	for (k = 0; k < rd->ntasks; k++)
		free(rd->tasks[k].path);
	free(rd->tasks);
	for (k = 0; k < rd->nfolders; k++)
		close(rd->folders[k]);
	pthread_mutex_destroy(&rd->lock);
	pthread_cond_destroy(&rd->room);
	pthread_cond_destroy(&rd->ready_cv);
	free(rd);
}
