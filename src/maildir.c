/* maildir: see include/maildir.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "maildir.h"
#include "metrics.h"
#include "banned.h"

#define MAILDIR_PATH_MAX 4096

struct maildir_watch {
	char *dir;
	unsigned rescan;
	struct ingest *in;
	int stop[2];		/* a pipe: a byte asks the thread to stop */
	int ino;		/* inotify, or -1 when it could not start */
	pthread_t thread;
};

/* What became of the reports of one message. */
struct tally {
	unsigned n[OUTCOME_DEFERRED + 1];
};

static int
path_join(char *out, size_t len, const char *a, const char *b,
	  struct error *err)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= len)
		return error_set(err, ERR_IO, "%s/%s: path too long", a, b);
	return 0;
}

static int
make_dir(const char *path, struct error *err)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	return 0;
}

int
maildir_prepare(const char *dir, struct error *err)
{
	static const char *const subs[] = {
		"new", "cur", "tmp", ".Failed", ".Failed/new", ".Failed/cur",
		".Failed/tmp",
	};
	char p[MAILDIR_PATH_MAX];
	size_t i;
	int fd;

	if (make_dir(dir, err) < 0)
		return -1;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (path_join(p, sizeof(p), dir, subs[i], err) < 0 ||
		    make_dir(p, err) < 0)
			return -1;
	/* Maildir++: the file that says ".Failed" is a folder of DIR. */
	if (path_join(p, sizeof(p), dir, ".Failed/maildirfolder", err) < 0)
		return -1;
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, ERR_IO, "%s: %s", p, strerror(errno));
	close(fd);
	return 0;
}

static void
tally_cb(const struct result *res, void *arg)
{
	struct tally *t = arg;

	t->n[res->outcome]++;
}

/* Are a and b one file (two links of it)? errno is kept. */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	int saved = errno, same;

	same = stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	errno = saved;
	return same;
}

/*
 * Move from to to without ever replacing a file: link then unlink, and
 * when to exists already, to-2, to-3, ... A crash between the two leaves
 * the message in both places; when it is taken again, the link found in
 * to is that same file, and only the one in new/ goes.
 */
static int
move_file(const char *from, const char *to, struct error *err)
{
	char alt[MAILDIR_PATH_MAX];
	const char *dst = to;
	int i, n;

	for (i = 2; i < 100; i++) {
		if (link(from, dst) == 0 || (errno == EEXIST &&
		    same_file(from, dst))) {
			if (unlink(from) < 0)
				return error_set(err, ERR_IO, "%s: %s", from,
				    strerror(errno));
			return 0;
		}
		if (errno != EEXIST)
			break;
		n = snprintf(alt, sizeof(alt), "%s-%d", to, i);
		if (n < 0 || (size_t)n >= sizeof(alt))
			return error_set(err, ERR_IO, "%s: path too long", to);
		dst = alt;
	}
	/* No hard links here (some file systems): rename, if it is free. */
	if (errno != EEXIST && access(dst, F_OK) < 0 && errno == ENOENT &&
	    rename(from, dst) == 0)
		return 0;
	return error_set(err, ERR_IO, "moving %s to %s: %s", from, dst,
	    strerror(errno));
}

/* Process one message file (DIR/new/NAME); 1 when it was left there. */
static int
process(const char *dir, const char *path, struct ingest *in)
{
	struct pipeline_config cfg;
	struct origin o = { .source = "mail", .path = path };
	char to[MAILDIR_PATH_MAX], reason[ERROR_MSG_MAX];
	const char *name, *colon;
	struct tally t;
	struct error err;
	struct buf b;
	size_t total = 0, baselen;
	enum metrics_move mv;
	int rc, n;

	memset(&t, 0, sizeof(t));
	error_clear(&err);
	ingest_get_config(in, &cfg);
	buf_init(&b, cfg.message_max);
	rc = files_read_path(path, &b, &total, &err);
	if (rc < 0 && err.kind != ERR_TOO_BIG) {
		/* Gone (another reader) or unreadable: nothing to move. */
		log_warn("maildir: %s", err.msg);
		buf_release(&b);
		return 0;
	}
	metrics_count_bytes(MSRC_MAIL, total);
	if (rc < 0) {
		snprintf(reason, sizeof(reason), "message of %s%zu bytes over "
		    "the limit of %zu bytes", total > b.cap * 2 ?
		    "more than " : "", total, b.cap);
		ingest_reject(in, b.data, 0, &o, ERR_TOO_BIG, reason,
		    tally_cb, &t);
	} else {
		ingest_submit(in, b.data ? b.data : "", b.len, INPUT_MESSAGE,
		    &o, tally_cb, &t);
	}
	buf_release(&b);

	if (t.n[OUTCOME_DEFERRED] > 0 || (t.n[OUTCOME_ACCEPTED] +
	    t.n[OUTCOME_DUPLICATE] + t.n[OUTCOME_REJECTED] +
	    t.n[OUTCOME_NOT_A_REPORT]) == 0) {
		metrics_count_move(MMOVE_KEPT);
		return 1;
	}
	name = strrchr(path, '/') + 1;
	/* The unique part of the name, without any maildir info. */
	colon = strchr(name, ':');
	baselen = colon ? (size_t)(colon - name) : strlen(name);
	if (t.n[OUTCOME_REJECTED] > 0 || t.n[OUTCOME_NOT_A_REPORT] > 0) {
		mv = MMOVE_FAILED;
		n = snprintf(to, sizeof(to), "%s/.Failed/new/%.*s", dir,
		    (int)baselen, name);
	} else {
		mv = MMOVE_CUR;
		n = snprintf(to, sizeof(to), "%s/cur/%.*s:2,S", dir,
		    (int)baselen, name);
	}
	if (n < 0 || (size_t)n >= sizeof(to)) {
		log_err("maildir: %s: path too long to move", path);
		return 1;
	}
	if (move_file(path, to, &err) < 0) {
		log_err("maildir: %s", err.msg);
		return 1;
	}
	metrics_count_move(mv);
	log_debug("maildir: moved %s to %s", path, to);
	return 0;
}

int
maildir_scan(const char *dir, struct ingest *in, struct error *err)
{
	char newdir[MAILDIR_PATH_MAX];
	struct file_list l;
	size_t i;
	int left = 0;

	if (path_join(newdir, sizeof(newdir), dir, "new", err) < 0 ||
	    files_list(newdir, &l, err) < 0)
		return -1;
	for (i = 0; i < l.n; i++)
		left += process(dir, l.paths[i], in);
	files_list_release(&l);
	return left;
}

static void *
watch_main(void *arg)
{
	struct maildir_watch *w = arg;
	struct pollfd pfd[2];
	struct error err;
	char evbuf[4096];
	int timeout, rc;

	for (;;) {
		error_clear(&err);
		if (maildir_scan(w->dir, w->in, &err) < 0)
			log_err("maildir: %s", err.msg);
		timeout = (int)(w->rescan ? w->rescan : 60) * 1000;
		pfd[0].fd = w->stop[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = w->ino;
		pfd[1].events = POLLIN;
		rc = poll(pfd, w->ino >= 0 ? 2 : 1, timeout);
		if (rc < 0 && errno != EINTR) {
			log_err("maildir: poll: %s", strerror(errno));
			sleep(1);
			continue;
		}
		if (rc > 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
			break;
		/* The events only say "look again": drain and rescan. */
		if (rc > 0 && w->ino >= 0 && (pfd[1].revents & POLLIN))
			while (read(w->ino, evbuf, sizeof(evbuf)) > 0)
				;
	}
	return NULL;
}

struct maildir_watch *
maildir_start(const char *dir, unsigned rescan, struct ingest *in,
	      struct error *err)
{
	char newdir[MAILDIR_PATH_MAX];
	struct maildir_watch *w;

	if (path_join(newdir, sizeof(newdir), dir, "new", err) < 0)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->dir = strdup(dir)) == NULL) {
		free(w);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->rescan = rescan;
	w->in = in;
	w->ino = -1;
	if (pipe(w->stop) < 0) {
		error_set(err, ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	fcntl(w->stop[0], F_SETFD, FD_CLOEXEC);
	fcntl(w->stop[1], F_SETFD, FD_CLOEXEC);
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0 || inotify_add_watch(w->ino, newdir,
	    IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
		log_warn("maildir: inotify on %s: %s; rescanning every %us "
		    "instead", newdir, strerror(errno), rescan);
		if (w->ino >= 0)
			close(w->ino);
		w->ino = -1;
	}
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		error_set(err, ERR_INTERNAL, "cannot start the maildir thread");
		close(w->stop[0]);
		close(w->stop[1]);
		goto fail;
	}
	return w;
fail:
	if (w->ino >= 0)
		close(w->ino);
	free(w->dir);
	free(w);
	return NULL;
}

void
maildir_stop(struct maildir_watch *w)
{
	if (w == NULL)
		return;
	while (write(w->stop[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(w->thread, NULL);
	close(w->stop[0]);
	close(w->stop[1]);
	if (w->ino >= 0)
		close(w->ino);
	free(w->dir);
	free(w);
}
