/* spool: see include/spool.h and doc/spool.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "array.h"
#include "bounds.h"
#include "files.h"
#include "fmt.h"
#include "log.h"
#include "metrics.h"
#include "spool.h"
#include "thread.h"
#include "banned.h"

#define SPOOL_MAGIC	"TLSRPT-SPOOL 1"
#define SEQ_DIGITS	20
#define NAME_MAX_LEN	(SEQ_DIGITS + 8)

/* One body waiting, in the queue. */
struct item {
	unsigned long long seq;
	size_t cost;		/* its file in whole blocks */
	time_t arrived;
};

struct spool {
	struct worker worker;	/* the drain; its lock: everything below,
				 * its condition: a body came, or stop */
	char *dir;
	int dirfd;		/* open and flock'ed while the spool is */
	size_t max_bytes;
	unsigned stall;
	/* The bodies waiting, oldest first: q[head] to q[head + n - 1]. */
	struct item *q;
	size_t head, n, alloc;
	size_t bytes;		/* reserved: files written and being written */
	unsigned long long next_seq;
	int holding;		/* the store refused; see spool_hold_back() */
	int deferred;		/* the worker's last try was deferred */
	char reason[ERROR_MSG_MAX];
	spool_drain_fn fn;
	void *arg;
};

/* The outcome of one try of the worker. */
enum drain {
	DRAIN_DONE,		/* stored: the file is gone */
	DRAIN_RETRY,		/* deferred: try again later */
	DRAIN_SET_ASIDE,	/* unreadable: renamed NAME.bad */
	DRAIN_GONE,		/* someone else removed it */
};

/*
 * The name of the file of seq: prefix, the number in SEQ_DIGITS digits,
 * suffix. It always fits; were it ever cut, the name would be "", which
 * no call on the folder takes.
 */
static void
seq_name(char out[NAME_MAX_LEN], const char *prefix, unsigned long long seq,
	 const char *suffix)
{
	if (fmt_whole(out, NAME_MAX_LEN, "%s%0*llu%s", prefix, SEQ_DIGITS, seq,
	    suffix) < 0)
		out[0] = '\0';
}

static void
name_final(char out[NAME_MAX_LEN], unsigned long long seq)
{
	seq_name(out, "", seq, ".spool");
}

/*
 * The sequence number of a name "DIGITS" + suffix (after skip bytes), or
 * -1 when the name is not of that form.
 */
static int
name_seq(const char *name, size_t skip, const char *suffix,
	 unsigned long long *seq)
{
	size_t i;

	if (strlen(name) != skip + SEQ_DIGITS + strlen(suffix) ||
	    strcmp(name + skip + SEQ_DIGITS, suffix) != 0)
		return -1;
	*seq = 0;
	for (i = skip; i < skip + SEQ_DIGITS; i++) {
		if (name[i] < '0' || name[i] > '9' ||
		    *seq > (~0ULL - 9) / 10)
			return -1;
		*seq = *seq * 10 + (unsigned long long)(name[i] - '0');
	}
	return 0;
}

static size_t
blocks(size_t n)
{
	return (n + SPOOL_BLOCK - 1) / SPOOL_BLOCK * SPOOL_BLOCK;
}

void
spool_default_dir(const char *database, int sqlite, char *out, size_t len)
{
	const char *slash;
	int n;

	out[0] = '\0';
	if (!sqlite || database == NULL || database[0] == '\0' ||
	    strcmp(database, ":memory:") == 0 ||
	    strncmp(database, "file:", 5) == 0)
		return;
	slash = strrchr(database, '/');
	if (slash == NULL)
		n = snprintf(out, len, "spool");
	else
		n = snprintf(out, len, "%.*s/spool",
		    (int)(slash - database), database);
	if (n < 0 || (size_t)n >= len)
		out[0] = '\0';
}

/* The metrics' gauges (lock held). */
static void
publish(const struct spool *sp)
{
	metrics_set_spool(sp->n, sp->bytes, sp->n ? sp->q[sp->head].arrived :
	    0);
}

/* Room for one more item at the end of the queue (lock held). */
static int
queue_room(struct spool *sp)
{
	if (sp->head > 0 && sp->head + sp->n == sp->alloc) {
		memmove(sp->q, sp->q + sp->head, sp->n * sizeof(*sp->q));
		sp->head = 0;
	}
	return array_grow(&sp->q, sp->head + sp->n, &sp->alloc,
	    sizeof(*sp->q), 64);
}

/*
 * Insert it in sequence order (lock held). Bodies finish writing about
 * in the order they arrived, so the place is at or near the end.
 */
static int
queue_insert(struct spool *sp, const struct item *it)
{
	size_t i;

	if (queue_room(sp) < 0)
		return -1;
	i = sp->head + sp->n;
	while (i > sp->head && sp->q[i - 1].seq > it->seq) {
		sp->q[i] = sp->q[i - 1];
		i--;
	}
	sp->q[i] = *it;
	sp->n++;
	return 0;
}

/* Take the item of sequence seq out of the queue (lock held). */
static void
queue_remove(struct spool *sp, unsigned long long seq)
{
	size_t i;

	for (i = sp->head; i < sp->head + sp->n; i++)
		if (sp->q[i].seq == seq)
			break;
	if (i == sp->head + sp->n)
		return;
	sp->bytes -= sp->q[i].cost;
	if (i == sp->head) {
		sp->head++;
	} else {
		memmove(sp->q + i, sp->q + i + 1,
		    (sp->head + sp->n - i - 1) * sizeof(*sp->q));
	}
	if (--sp->n == 0)
		sp->head = 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Read the folder: temporary files of a crash go, the bodies waiting
 * are queued in order, and the next sequence number follows them all.
 */
static int
scan(struct spool *sp, struct error *err)
{
	unsigned long long seq, max = 0;
	size_t removed = 0;
	struct dirent *de;
	struct item it;
	struct stat sb;
	DIR *d;
	int fd;

	if ((fd = dup(sp->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return error_set(err, ERR_IO, "spool %s: %s", sp->dir,
		    strerror(errno));
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (name_seq(de->d_name, 1, ".tmp", &seq) == 0) {
			/* Never acknowledged: the crash came first. */
			if (unlinkat(sp->dirfd, de->d_name, 0) == 0)
				removed++;
			continue;
		}
		if (name_seq(de->d_name, 0, ".bad", &seq) == 0) {
			max = seq > max ? seq : max;
			continue;
		}
		if (name_seq(de->d_name, 0, ".spool", &seq) < 0)
			continue;
		max = seq > max ? seq : max;
		if (fstatat(sp->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) <
		    0 || !S_ISREG(sb.st_mode))
			continue;
		it.seq = seq;
		it.cost = blocks((size_t)sb.st_size);
		it.arrived = sb.st_mtime;	/* written as it arrived */
		if (queue_room(sp) < 0) {
			closedir(d);
			return error_set(err, ERR_NOMEM, "spool %s: out of "
			    "memory", sp->dir);
		}
		sp->q[sp->head + sp->n++] = it;
		sp->bytes += it.cost;
	}
	if (errno != 0) {
		error_set(err, ERR_IO, "spool %s: %s", sp->dir,
		    strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	if (sp->n > 1)
		qsort(sp->q + sp->head, sp->n, sizeof(*sp->q), item_cmp);
	sp->next_seq = max + 1;
	if (removed > 0) {
		fsync(sp->dirfd);
		log_warn("spool %s: half-written files of a crash removed "
		    "(never acknowledged): %zu", sp->dir, removed);
	}
	if (sp->n > 0)
		log_info("spool %s: bodies waiting from before: %zu (%zu "
		    "bytes)", sp->dir, sp->n, sp->bytes);
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	worker_release(&sp->worker);
	if (sp->dirfd >= 0)
		close(sp->dirfd);	/* and the flock with it */
	free(sp->q);
	free(sp->dir);
	free(sp);
}

struct spool *
spool_open(const char *dir, size_t max_bytes, unsigned stall,
	   struct error *err)
{
	struct spool *sp;

	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->dir = strdup(dir)) == NULL) {
		free(sp);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	sp->dirfd = -1;
	sp->max_bytes = max_bytes;
	sp->stall = stall;
	worker_init(&sp->worker);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		error_set(err, ERR_IO, "spool-dir %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		error_set(err, ERR_IO, "spool-dir %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) < 0) {
		error_set(err, ERR_IO, "spool-dir %s: %s", dir,
		    errno == EWOULDBLOCK ? "in use by another tlsrptd (each "
		    "daemon needs a spool-dir of its own)" : strerror(errno));
		goto fail;
	}
	if (scan(sp, err) < 0)
		goto fail;
	publish(sp);
	return sp;
fail:
	spool_close(sp);
	return NULL;
}

void
spool_set_limits(struct spool *sp, size_t max_bytes, unsigned stall)
{
	pthread_mutex_lock(&sp->worker.lock);
	sp->max_bytes = max_bytes;
	sp->stall = stall;
	pthread_mutex_unlock(&sp->worker.lock);
}

/* A metadata line "key: value" with the value made safe, or nothing. */
static int
header_line(char *h, size_t len, size_t *off, const char *key,
	    const char *value)
{
	char v[SPOOL_VALUE_MAX + 1];
	size_t i;
	int n;

	if (value == NULL)
		return 0;
	for (i = 0; value[i] != '\0' && i < SPOOL_VALUE_MAX; i++)
		v[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ?
		    '?' : value[i];
	v[i] = '\0';
	n = snprintf(h + *off, len - *off, "%s: %s\n", key, v);
	if (n < 0 || (size_t)n >= len - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

/* The metadata of a body (doc/spool.md); -1 when it does not fit. */
static int
header_format(char *h, size_t len, size_t *off, const struct spool_meta *m,
	      size_t bodylen, unsigned long crc)
{
	int n;

	n = snprintf(h, len, SPOOL_MAGIC "\narrived: %lld.%09ld\n",
	    (long long)m->arrived.tv_sec, m->arrived.tv_nsec);
	if (n < 0 || (size_t)n >= len)
		return -1;
	*off = (size_t)n;
	if (header_line(h, len, off, "source", m->source) < 0 ||
	    header_line(h, len, off, "peer", m->peer) < 0 ||
	    header_line(h, len, off, "user-agent", m->user_agent) < 0 ||
	    header_line(h, len, off, "content-type", m->content_type) < 0 ||
	    header_line(h, len, off, "content-encoding",
	    m->content_encoding) < 0)
		return -1;
	n = snprintf(h + *off, len - *off, "length: %zu\ncrc32: %08lx\n\n",
	    bodylen, crc);
	if (n < 0 || (size_t)n >= len - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len > 0) {
		w = write(fd, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * ERR_IO for a body the disk refused: the file, what failed and errno's
 * words, and what a person can do about it.
 */
static int
refused(const struct spool *sp, const char *name, const char *what,
	int e, struct error *err)
{
	const char *remedy;

	switch (e) {
	case ENOSPC:
	case EDQUOT:
		remedy = "free room on its disk";
		break;
	case EACCES:
	case EPERM:
		remedy = "let the daemon's user write to spool-dir";
		break;
	case EROFS:
		remedy = "mount its disk read-write";
		break;
	case ENOENT:
		remedy = "spool-dir was removed; restart the daemon to make it "
		    "again";
		break;
	default:
		remedy = "see that spool-dir's disk works";
		break;
	}
	return error_set(err, ERR_IO, "the spool cannot keep the body: "
	    "%s/%s: %s: %s; %s", sp->dir, name, what, strerror(e), remedy);
}

/* Write the file of seq durably (above); ERR_IO when the disk refused. */
static int
write_durably(struct spool *sp, unsigned long long seq, const char *h,
	      size_t hlen, const void *body, size_t len, struct error *err)
{
	char tmp[NAME_MAX_LEN], final[NAME_MAX_LEN];
	int fd, saved;

	seq_name(tmp, ".", seq, ".tmp");
	name_final(final, seq);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return refused(sp, tmp, "cannot create", errno, err);
	if (write_all(fd, h, hlen) < 0 || write_all(fd, body, len) < 0 ||
	    fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlinkat(sp->dirfd, tmp, 0);
		return refused(sp, tmp, "cannot write", saved, err);
	}
	if (close(fd) < 0) {
		saved = errno;
		unlinkat(sp->dirfd, tmp, 0);
		return refused(sp, tmp, "cannot write", saved, err);
	}
	if (renameat(sp->dirfd, tmp, sp->dirfd, final) < 0) {
		saved = errno;
		unlinkat(sp->dirfd, tmp, 0);
		return refused(sp, tmp, "cannot rename", saved, err);
	}
	if (fsync(sp->dirfd) < 0) {
		/* The name may not last: not acknowledged, so not kept. */
		saved = errno;
		unlinkat(sp->dirfd, final, 0);
		return refused(sp, final, "cannot fsync the folder", saved,
		    err);
	}
	return 0;
}

int
spool_put(struct spool *sp, const struct spool_meta *m, const void *body,
	  size_t len, struct error *err)
{
	char h[SPOOL_HEADER_MAX];
	unsigned long long seq;
	unsigned long crc;
	struct item it;
	size_t hlen, cost;

	crc = crc32_z(0L, body, len);
	if (header_format(h, sizeof(h), &hlen, m, len, crc) < 0)
		return error_set(err, ERR_INTERNAL, "spool: metadata over %d "
		    "bytes", SPOOL_HEADER_MAX);
	cost = blocks(hlen + len);
	pthread_mutex_lock(&sp->worker.lock);
	if (cost > sp->max_bytes || sp->bytes > sp->max_bytes - cost) {
		error_set(err, ERR_TOO_BIG, "the spool is full (%zu bodies, "
		    "%zu of spool-max-bytes %zu in use): they wait for the "
		    "store; see why it refuses them, or raise spool-max-bytes",
		    sp->n, sp->bytes, sp->max_bytes);
		pthread_mutex_unlock(&sp->worker.lock);
		metrics_count_spool(MSPOOL_REFUSED);
		return -1;
	}
	seq = sp->next_seq++;
	sp->bytes += cost;
	pthread_mutex_unlock(&sp->worker.lock);

	if (write_durably(sp, seq, h, hlen, body, len, err) < 0) {
		pthread_mutex_lock(&sp->worker.lock);
		sp->bytes -= cost;
		pthread_mutex_unlock(&sp->worker.lock);
		metrics_count_spool(MSPOOL_REFUSED);
		return -1;
	}
	it.seq = seq;
	it.cost = cost;
	it.arrived = m->arrived.tv_sec;
	pthread_mutex_lock(&sp->worker.lock);
	if (queue_insert(sp, &it) < 0) {
		/* On disk: the next start drains it. */
		log_err("spool %s: out of memory; a body waits for the next "
		    "start", sp->dir);
	}
	publish(sp);
	pthread_cond_signal(&sp->worker.wake);
	pthread_mutex_unlock(&sp->worker.lock);
	metrics_count_spool(MSPOOL_TAKEN);
	return 0;
}

void
spool_hold_back(struct spool *sp, const char *reason)
{
	pthread_mutex_lock(&sp->worker.lock);
	sp->holding = 1;
	fmt_cut(sp->reason, sizeof(sp->reason), "%s", reason ? reason : "");
	pthread_mutex_unlock(&sp->worker.lock);
}

int
spool_holding_back(struct spool *sp)
{
	int r;

	pthread_mutex_lock(&sp->worker.lock);
	r = sp->holding && sp->n > 0;
	pthread_mutex_unlock(&sp->worker.lock);
	return r;
}

/* The value of "key: value" in the header lines, or NULL. */
static const char *
meta_get(char *const *lines, size_t n, const char *key)
{
	size_t i, k = strlen(key);

	for (i = 0; i < n; i++)
		if (strncmp(lines[i], key, k) == 0 &&
		    strncmp(lines[i] + k, ": ", 2) == 0)
			return lines[i] + k + 2;
	return NULL;
}

/*
 * Take a file's text apart into e (its strings point into text, which is
 * changed); -1 with why when it is not a whole spool file.
 */
static int
entry_parse(char *text, size_t size, struct spool_entry *e,
	    struct error *err)
{
	char *lines[16], *p = text, *nl, *end;
	const char *v;
	unsigned long long len;
	unsigned long crc;
	size_t n = 0, hlen;
	long long sec;
	long nsec;

	memset(e, 0, sizeof(*e));
	for (hlen = 1; hlen < size && hlen < SPOOL_HEADER_MAX; hlen++)
		if (text[hlen - 1] == '\n' && text[hlen] == '\n')
			break;
	if (hlen >= size || hlen >= SPOOL_HEADER_MAX)
		return error_set(err, ERR_INPUT, "no end of the metadata");
	end = text + hlen;
	hlen++;
	*end = '\0';
	while (p != NULL && *p != '\0') {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (n < sizeof(lines) / sizeof(lines[0]))
			lines[n++] = p;
		p = nl;
	}
	if (n == 0 || strcmp(lines[0], SPOOL_MAGIC) != 0)
		return error_set(err, ERR_INPUT, "not a spool file");
	if ((v = meta_get(lines, n, "length")) == NULL ||
	    sscanf(v, "%llu", &len) != 1 || len != size - hlen)
		return error_set(err, ERR_INPUT, "%zu bytes of body where "
		    "the metadata says %s", size - hlen, v ? v : "nothing");
	if ((v = meta_get(lines, n, "crc32")) == NULL ||
	    sscanf(v, "%lx", &crc) != 1 ||
	    crc != crc32_z(0L, (const unsigned char *)text + hlen, len))
		return error_set(err, ERR_INPUT, "the body's checksum does "
		    "not match");
	if ((v = meta_get(lines, n, "arrived")) != NULL &&
	    sscanf(v, "%lld.%ld", &sec, &nsec) == 2) {
		e->meta.arrived.tv_sec = (time_t)sec;
		e->meta.arrived.tv_nsec = nsec;
	}
	e->meta.source = meta_get(lines, n, "source");
	e->meta.peer = meta_get(lines, n, "peer");
	e->meta.user_agent = meta_get(lines, n, "user-agent");
	e->meta.content_type = meta_get(lines, n, "content-type");
	e->meta.content_encoding = meta_get(lines, n, "content-encoding");
	e->body = text + hlen;
	e->len = (size_t)len;
	return 0;
}

/*
 * Read the file name whole into *text (the caller frees it). -1 with
 * ERR_NONE when it is gone, ERR_INPUT when it is no spool file, another
 * kind when reading it may work later; the message starts with name.
 */
static int
entry_read(struct spool *sp, const char *name, char **text, size_t *size,
	   struct error *err)
{
	struct stat sb;
	size_t off = 0;
	ssize_t r;
	int fd;

	*text = NULL;
	/* A regular file only, never through a link, and never blocking. */
	if ((fd = files_open_regular(sp->dirfd, name, NULL, err)) < 0) {
		if (err->kind == ERR_IO && errno == ENOENT)
			err->kind = ERR_NONE;
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		error_set(err, ERR_IO, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if ((size_t)sb.st_size > SPOOL_FILE_MAX) {
		close(fd);
		return error_set(err, ERR_INPUT, "%s: %lld bytes, over the "
		    "limit of %zu bytes", name, (long long)sb.st_size,
		    SPOOL_FILE_MAX);
	}
	*size = (size_t)sb.st_size;
	if ((*text = malloc(*size + 1)) == NULL) {
		close(fd);
		return error_set(err, ERR_NOMEM, "%s: out of memory", name);
	}
	while (off < *size) {
		r = pread(fd, *text + off, *size - off, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			error_set(err, r < 0 ? ERR_IO : ERR_INPUT, "%s: %s",
			    name, r < 0 ? strerror(errno) : "shorter than "
			    "it was");
			close(fd);
			free(*text);
			*text = NULL;
			return -1;
		}
		off += (size_t)r;
	}
	(*text)[*size] = '\0';
	close(fd);
	return 0;
}

/*
 * Rename the file name, which does not read back whole (why in err),
 * NAME.bad, for a person to look at.
 */
static void
set_aside(struct spool *sp, const char *name, unsigned long long seq,
	  const struct error *err)
{
	char bad[NAME_MAX_LEN];

	seq_name(bad, "", seq, ".bad");
	if (renameat(sp->dirfd, name, sp->dirfd, bad) < 0) {
		log_err("spool %s: %s; cannot set it aside as %s: %s (it is "
		    "tried again at the next start)", sp->dir, err->msg, bad,
		    strerror(errno));
		return;
	}
	fsync(sp->dirfd);
	log_err("spool %s: %s; set aside as %s: look at it, then remove it, "
	    "or rename it back to %s to try it again at the next start",
	    sp->dir, err->msg, bad, name);
}

/* One try of the body seq, outside the lock. */
static enum drain
drain_one(struct spool *sp, unsigned long long seq, struct error *err)
{
	char name[NAME_MAX_LEN];
	struct spool_entry e;
	size_t size = 0;
	char *text;
	int rc;

	name_final(name, seq);
	rc = entry_read(sp, name, &text, &size, err);
	if (rc < 0 && err->kind == ERR_NONE) {
		log_warn("spool %s: %s: removed by someone else", sp->dir,
		    err->msg);
		return DRAIN_GONE;
	}
	if (rc < 0 && err->kind != ERR_INPUT)
		return DRAIN_RETRY;
	if (rc == 0 && entry_parse(text, size, &e, err) < 0) {
		error_prefix(err, "%s", name);
		rc = -1;
	}
	if (rc < 0) {
		free(text);
		set_aside(sp, name, seq, err);
		metrics_count_spool(MSPOOL_SET_ASIDE);
		return DRAIN_SET_ASIDE;
	}
	e.name = name;
	rc = sp->fn(&e, sp->arg, err);
	free(text);
	if (rc < 0)
		return DRAIN_RETRY;
	/* The outcome is durable in the store: the body may go. */
	if (unlinkat(sp->dirfd, name, 0) < 0 || fsync(sp->dirfd) < 0)
		log_warn("spool %s: %s: cannot remove: %s (it will be taken "
		    "again, as a duplicate)", sp->dir, name, strerror(errno));
	metrics_count_spool(MSPOOL_DRAINED);
	return DRAIN_DONE;
}

static void *
drain_main(void *arg)
{
	struct spool *sp = arg;
	struct timespec now, retry_at = { 0, 0 };
	unsigned long long seq;
	unsigned backoff = 0;
	struct error err;
	enum drain d;

	pthread_mutex_lock(&sp->worker.lock);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (sp->worker.stop)
			break;
		if (sp->n == 0) {
			pthread_cond_wait(&sp->worker.wake, &sp->worker.lock);
			continue;
		}
		if (backoff > 0 && (now.tv_sec < retry_at.tv_sec ||
		    (now.tv_sec == retry_at.tv_sec &&
		    now.tv_nsec < retry_at.tv_nsec))) {
			pthread_cond_timedwait(&sp->worker.wake,
			    &sp->worker.lock, &retry_at);
			continue;
		}
		seq = sp->q[sp->head].seq;
		pthread_mutex_unlock(&sp->worker.lock);
		error_clear(&err);
		d = drain_one(sp, seq, &err);
		pthread_mutex_lock(&sp->worker.lock);
		if (d == DRAIN_RETRY) {
			if (!sp->deferred)
				log_warn("spool %s: deferred: %s; trying again "
				    "every few seconds", sp->dir, err.msg);
			sp->deferred = 1;
			fmt_cut(sp->reason, sizeof(sp->reason), "%s",
			    err.msg);
			if (err.kind != ERR_NOMEM)
				sp->holding = 1;
			backoff = backoff == 0 ? SPOOL_RETRY_MIN :
			    backoff * 2 > SPOOL_RETRY_MAX ? SPOOL_RETRY_MAX :
			    backoff * 2;
			clock_gettime(CLOCK_MONOTONIC, &retry_at);
			retry_at.tv_sec += backoff;
			continue;
		}
		if (sp->deferred)
			log_info("spool %s: draining again", sp->dir);
		sp->deferred = 0;
		sp->holding = 0;
		backoff = 0;
		queue_remove(sp, seq);
		publish(sp);
	}
	pthread_mutex_unlock(&sp->worker.lock);
	return NULL;
}

int
spool_start(struct spool *sp, spool_drain_fn fn, void *arg,
	    struct error *err)
{
	sp->fn = fn;
	sp->arg = arg;
	return worker_start(&sp->worker, "spool-drain", drain_main, sp, err);
}

void
spool_stop(struct spool *sp)
{
	if (sp != NULL)
		worker_stop(&sp->worker);
}

void
spool_stats(struct spool *sp, struct spool_stats *st)
{
	pthread_mutex_lock(&sp->worker.lock);
	st->bodies = sp->n;
	st->bytes = sp->bytes;
	st->oldest = sp->n ? sp->q[sp->head].arrived : 0;
	st->deferred = sp->deferred || sp->holding;
	fmt_cut(st->reason, sizeof(st->reason), "%s", sp->reason);
	pthread_mutex_unlock(&sp->worker.lock);
}

int
spool_stalled(struct spool *sp, char *reason, size_t len)
{
	struct spool_stats st;
	unsigned stall;
	time_t now = time(NULL);

	if (sp == NULL)
		return 0;
	spool_stats(sp, &st);
	pthread_mutex_lock(&sp->worker.lock);
	stall = sp->stall;
	pthread_mutex_unlock(&sp->worker.lock);
	if (stall == 0 || st.bodies == 0 || now - st.oldest <= (time_t)stall)
		return 0;
	fmt_cut(reason, len, "the spool does not drain: %zu bodies wait, the "
	    "oldest for %lld s%s%s", st.bodies, (long long)(now - st.oldest),
	    st.deferred ? "; the store: " : "", st.deferred ? st.reason : "");
	return 1;
}
