/* maildir: see include/maildir.h and doc/maildir.md. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "files.h"
#include "fmt.h"
#include "log.h"
#include "maildir.h"
#include "metrics.h"
#include "thread.h"
#include "banned.h"

/* The folders of a maildir, each a real folder, never a link. */
static const char *const folders[] = {
	"new", "cur", "tmp", ".Failed", ".Failed/new", ".Failed/cur",
	".Failed/tmp",
};

struct maildir_watch {
	char *dir;
	unsigned rescan;
	struct ingest *in;
	int stop[2];		/* a pipe: a byte asks the thread to stop */
	int ino;		/* inotify, or -1 when it could not start */
	struct worker worker;	/* waits in poll(2): stop ends it */
};

/* A maildir opened for one scan: everything goes through these. */
struct md {
	const char *dir;
	int root, new, cur, failed;	/* failed: .Failed/new */
	int attempt;			/* the attempt record */
	struct ingest *in;
};

/* What became of the reports of one message. */
struct tally {
	unsigned n[OUTCOME_DEFERRED + 1];
};

static int
make_dir(int at, const char *name, const char *dir, struct error *err)
{
	if (mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "%s/%s: %s", dir, name,
		    strerror(errno));
	return 0;
}

/* Make the folder rel below root (its parent a real folder already). */
static int
make_folder(int root, const char *dir, const char *rel, struct error *err)
{
	const char *slash = strrchr(rel, '/');
	char parent[64];
	int fd, rc;

	if (slash == NULL)
		return make_dir(root, rel, dir, err);
	if (fmt_whole(parent, sizeof(parent), "%.*s", (int)(slash - rel),
	    rel) < 0)
		return error_set(err, ERR_IO, "%s: %s: name too long", dir, rel);
	if ((fd = files_open_dir_below(root, dir, parent, err)) < 0)
		return -1;
	rc = make_dir(fd, slash + 1, dir, err);
	close(fd);
	return rc;
}

/* Is every folder of the maildir a real one? Says which is not. */
static int
check_folders(int root, const char *dir, struct error *err)
{
	char why[ERROR_MSG_MAX];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		if ((fd = files_open_dir_below(root, dir, folders[i],
		    err)) < 0) {
			fmt_cut(why, sizeof(why), "%s", err->msg);
			return error_set(err, ERR_IO, "%s: it must be a real "
			    "folder of the maildir; no mail is taken or moved "
			    "until it is one", why);
		}
		close(fd);
	}
	return 0;
}

static int attempt_open(struct md *m, struct error *err);

int
maildir_prepare(const char *dir, struct error *err)
{
	struct md m = { .attempt = -1 };
	size_t i;
	int root, fd, rc = -1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	/* The maildir itself is the operator's to name: a link is fine. */
	if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	for (i = 0; i < sizeof(folders) / sizeof(folders[0]); i++)
		if (make_folder(root, dir, folders[i], err) < 0) {
			/* A link on the way: said as the check says it. */
			check_folders(root, dir, err);
			goto done;
		}
	if (check_folders(root, dir, err) < 0)
		goto done;
	/* Maildir++: the file that says ".Failed" is a folder of DIR. */
	if ((fd = files_open_dir_below(root, dir, ".Failed", err)) < 0)
		goto done;
	rc = openat(fd, "maildirfolder", O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);
	close(fd);
	if (rc < 0) {
		error_set(err, ERR_IO, "%s/.Failed/maildirfolder: %s", dir,
		    strerror(errno));
		goto done;
	}
	close(rc);
	/* The attempt record too: one the daemon cannot write stops it now
	 * rather than every scan. */
	m.dir = dir;
	m.root = root;
	rc = attempt_open(&m, err) < 0 ? -1 : 0;
	if (m.attempt >= 0)
		close(m.attempt);
done:
	close(root);
	return rc;
}

/*
 * The attempt record (doc/maildir.md): before a message is read, its name
 * is written to DIR/tlsrptd-attempt, and the record is emptied once the
 * store has answered. A name found there at the next scan is a message
 * that was in hand when the daemon died: it may be what killed it, so it
 * is set aside unread rather than tried a second time. A record, not a
 * rename of the message: the message stays where every maildir reader
 * expects it, and a rename into tmp/ could be swept by a server that
 * cleans tmp/ of old files. It survives the death of the process without
 * fsync(); a power loss may lose it, and the message is then tried once
 * more, which is all a lost record costs.
 */
#define ATTEMPT_FILE "tlsrptd-attempt"

/* Open the record and hold it: 0, 1 when another daemon holds it, -1. */
static int
attempt_open(struct md *m, struct error *err)
{
	struct stat sb;

	m->attempt = openat(m->root, ATTEMPT_FILE, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (m->attempt < 0)
		return error_set(err, ERR_IO, "%s/" ATTEMPT_FILE ": %s",
		    m->dir, errno == ELOOP ? "a symbolic link, not a file of "
		    "tlsrptd's own; no mail is taken until it is removed" :
		    strerror(errno));
	if (fstat(m->attempt, &sb) < 0)
		return error_set(err, ERR_IO, "%s/" ATTEMPT_FILE ": %s",
		    m->dir, strerror(errno));
	/* It is truncated and written: a file of its own, never a hard
	 * link someone made to another file. */
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1)
		return error_set(err, ERR_IO, "%s/" ATTEMPT_FILE ": %s with "
		    "%lu links, not a file of tlsrptd's own; no mail is taken "
		    "until it is removed", m->dir, files_kind(sb.st_mode),
		    (unsigned long)sb.st_nlink);
	/*
	 * One scan at a time, should two daemons watch one maildir: the
	 * other's record names the message it has in hand, not one it
	 * died on. Its death frees the lock, and the record is then read.
	 */
	if (flock(m->attempt, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : error_set(err, ERR_IO,
		    "%s/" ATTEMPT_FILE ": %s", m->dir, strerror(errno));
	return 0;
}

static int
attempt_mark(struct md *m, const char *name, struct error *err)
{
	size_t n = strlen(name);

	if (pwrite(m->attempt, name, n, 0) != (ssize_t)n ||
	    ftruncate(m->attempt, (off_t)n) < 0)
		return error_set(err, ERR_IO, "%s/" ATTEMPT_FILE ": %s; no "
		    "mail is taken until it can be written", m->dir,
		    strerror(errno));
	return 0;
}

static void
attempt_clear(struct md *m)
{
	if (ftruncate(m->attempt, 0) < 0)
		log_err("maildir: %s/" ATTEMPT_FILE ": %s", m->dir,
		    strerror(errno));
}

/* The name in the record, if it is one message name of new/; else "". */
static void
attempt_read(struct md *m, char *name, size_t size)
{
	ssize_t n = pread(m->attempt, name, size - 1, 0);

	name[n > 0 ? n : 0] = '\0';
	if (n <= 0 || (size_t)n >= size - 1 || strlen(name) != (size_t)n ||
	    strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		name[0] = '\0';
}

static void
md_close(struct md *m)
{
	int *fds[] = { &m->root, &m->new, &m->cur, &m->failed, &m->attempt };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* 0 when open, 1 when another daemon is scanning the maildir, or -1. */
static int
md_open(struct md *m, const char *dir, struct ingest *in, struct error *err)
{
	int rc = -1;

	m->dir = dir;
	m->in = in;
	m->new = m->cur = m->failed = m->attempt = -1;
	if ((m->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	if (check_folders(m->root, dir, err) < 0 ||
	    (m->new = files_open_dir_below(m->root, dir, "new", err)) < 0 ||
	    (m->cur = files_open_dir_below(m->root, dir, "cur", err)) < 0 ||
	    (m->failed = files_open_dir_below(m->root, dir, ".Failed/new",
	    err)) < 0 || (rc = attempt_open(m, err)) != 0) {
		md_close(m);
		return rc > 0 ? 1 : -1;
	}
	return 0;
}

static void
tally_cb(const struct result *res, void *arg)
{
	struct tally *t = arg;

	t->n[res->outcome]++;
}

/* Are a in from and b in to one file (two links of it)? errno is kept. */
static int
same_file(int from, const char *a, int to, const char *b)
{
	struct stat sa, sb;
	int saved = errno, same;

	same = fstatat(from, a, &sa, AT_SYMLINK_NOFOLLOW) == 0 &&
	    fstatat(to, b, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	errno = saved;
	return same;
}

/*
 * Move name from new/ to the folder to as base followed by info (the
 * maildir flags, ":2,S", or ""), without ever replacing a file: link then
 * unlink, and when that name exists already, base-2 info, base-3 info, ...
 * The counter goes before the info, never after it, so that a reader
 * still finds the flags at the end of the name. A crash between the two
 * leaves the message in both places; when it is taken again, the link
 * found in to is that same file, and only the one in new/ goes. The
 * descriptors keep every step inside the maildir: a link in new/ is moved
 * as the link it is (linkat() does not follow it). The name used goes to
 * dst (of dstlen bytes).
 */
static int
move_file(struct md *m, const char *name, int to, const char *toname,
	  const char *base, const char *info, char *dst, size_t dstlen,
	  struct error *err)
{
	char counter[16];
	struct stat sb;
	int i;

	counter[0] = '\0';
	for (i = 2; i < 100; i++) {
		if (fmt_whole(dst, dstlen, "%s%s%s", base, counter, info) < 0)
			return error_set(err, ERR_IO, "%s/new/%s: name too "
			    "long to move to %s", m->dir, name, toname);
		if (linkat(m->new, name, to, dst, 0) == 0 ||
		    (errno == EEXIST && same_file(m->new, name, to, dst))) {
			if (unlinkat(m->new, name, 0) < 0)
				return error_set(err, ERR_IO, "%s/new/%s: %s",
				    m->dir, name, strerror(errno));
			return 0;
		}
		if (errno != EEXIST)
			break;
		if (fmt_whole(counter, sizeof(counter), "-%d", i) < 0)
			break;
	}
	/*
	 * No hard links here (some file systems; a link to another's file
	 * under protected_hardlinks): rename, if the name is free.
	 */
	if (errno != EEXIST && fstatat(to, dst, &sb, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT && renameat(m->new, name, to, dst) == 0)
		return 0;
	return error_set(err, ERR_IO, "moving %s/new/%s to %s/%s/%s: %s",
	    m->dir, name, m->dir, toname, dst, strerror(errno));
}

/* Move name to .Failed/new or cur/ (marked seen); 0 when moved. */
static int
move_to(struct md *m, const char *name, int failed)
{
	char base[NAME_MAX + 1], dst[NAME_MAX + 8];
	const char *colon = strchr(name, ':');
	struct error err;
	size_t baselen;

	/* The unique part of the name, without any maildir info. */
	baselen = colon ? (size_t)(colon - name) : strlen(name);
	if (fmt_whole(base, sizeof(base), "%.*s", (int)baselen, name) < 0) {
		log_err("maildir: %s/new/%s: name too long to move", m->dir,
		    name);
		return -1;
	}
	if (move_file(m, name, failed ? m->failed : m->cur,
	    failed ? ".Failed/new" : "cur", base, failed ? "" : ":2,S", dst,
	    sizeof(dst), &err) < 0) {
		log_err("maildir: %s", err.msg);
		return -1;
	}
	metrics_count_move(failed ? MMOVE_FAILED : MMOVE_CUR);
	log_debug("maildir: moved %s/new/%s to %s/%s", m->dir, name,
	    failed ? ".Failed/new" : "cur", dst);
	return 0;
}

/*
 * Move name to .Failed unread, saying why in the log and in the store's
 * record of rejections. The move is made whatever the store answers: what
 * is set aside must not be met again.
 */
static void
set_aside(struct md *m, const char *name, const char *why)
{
	char path[MAILDIR_PATH_MAX], reason[ERROR_MSG_MAX];
	struct origin o = { .source = "mail", .path = path };
	struct tally t;

	fmt_cut(path, sizeof(path), "%s/new/%s", m->dir, name);
	fmt_cut(reason, sizeof(reason), "%s: set aside to .Failed unread",
	    why);
	log_warn("maildir: %s: %s", path, reason);
	memset(&t, 0, sizeof(t));
	ingest_reject(m->in, "", 0, &o, ERR_INPUT, reason, tally_cb, &t);
	move_to(m, name, 1);
}

/*
 * Process one message, new/NAME; 1 when it was left there, -1 when the
 * attempt record cannot be written (the scan stops).
 */
static int
process(struct md *m, const char *name, struct error *serr)
{
	struct pipeline_config cfg;
	char path[MAILDIR_PATH_MAX];
	struct origin o = { .source = "mail", .path = path };
	struct tally t;
	struct error err;
	struct stat sb;
	struct buf b;
	size_t total = 0;
	int fd, rc;

	fmt_cut(path, sizeof(path), "%s/new/%s", m->dir, name);
	if (attempt_mark(m, name, serr) < 0)
		return -1;
	memset(&t, 0, sizeof(t));
	error_clear(&err);
	if ((fd = files_open_regular(m->new, name, path, &err)) < 0) {
		attempt_clear(m);
		/* A link, a FIFO, a device put in its place since it was
		 * listed: never read, never followed. */
		if (err.kind == ERR_INPUT) {
			set_aside(m, name, fstatat(m->new, name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0 ?
			    files_kind(sb.st_mode) : "not a regular file");
			return 0;
		}
		/* Gone (another reader) or unreadable: nothing to move. */
		if (errno != ENOENT)
			log_warn("maildir: %s", err.msg);
		return 0;
	}
	ingest_get_config(m->in, &cfg);
	buf_init(&b, cfg.message_max);
	rc = files_read_fd(fd, &b, &total, &err);
	close(fd);
	if (rc < 0 && err.kind != ERR_TOO_BIG) {
		attempt_clear(m);
		log_warn("maildir: %s: %s", path, err.msg);
		buf_release(&b);
		return 0;
	}
	metrics_count_bytes(MSRC_MAIL, total);
	if (rc < 0) {
		/* Reading stops short of a huge message's end. */
		error_too_big(&err, "message", total > b.cap * 2, total,
		    b.cap);
		ingest_reject(m->in, b.data, 0, &o, ERR_TOO_BIG, err.msg,
		    tally_cb, &t);
	} else {
		ingest_submit(m->in, b.data ? b.data : "", b.len,
		    INPUT_MESSAGE, &o, tally_cb, &t);
	}
	buf_release(&b);
	/* Answered: a crash from here on is no fault of the message. */
	attempt_clear(m);

	if (t.n[OUTCOME_DEFERRED] > 0 || (t.n[OUTCOME_ACCEPTED] +
	    t.n[OUTCOME_DUPLICATE] + t.n[OUTCOME_REJECTED] +
	    t.n[OUTCOME_NOT_A_REPORT]) == 0) {
		metrics_count_move(MMOVE_KEPT);
		return 1;
	}
	return move_to(m, name, t.n[OUTCOME_REJECTED] > 0 ||
	    t.n[OUTCOME_NOT_A_REPORT] > 0) < 0 ? 1 : 0;
}

int
maildir_scan(const char *dir, struct ingest *in, struct error *err)
{
	char last[NAME_MAX + 2], label[MAILDIR_PATH_MAX];
	struct file_list l;
	struct stat sb;
	struct md m;
	size_t i;
	int left = 0, rc = 0, n;

	if ((rc = md_open(&m, dir, in, err)) != 0)
		return rc < 0 ? -1 : 0;
	attempt_read(&m, last, sizeof(last));
	if (last[0] != '\0') {
		if (fstatat(m.new, last, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			set_aside(&m, last, "being read when tlsrptd stopped "
			    "(a crash, a kill); it is not tried again, so "
			    "that it cannot stop it twice");
		attempt_clear(&m);
	}
	n = snprintf(label, sizeof(label), "%s/new", dir);
	if (n < 0 || (size_t)n >= sizeof(label) ||
	    files_list_at(m.new, label, &l, err) < 0) {
		md_close(&m);
		return error_set(err, ERR_IO, "%s: cannot list new/", dir);
	}
	for (i = 0; i < l.nothers; i++) {
		const char *name = strrchr(l.others[i], '/') + 1;

		if (fstatat(m.new, name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			set_aside(&m, name, files_kind(sb.st_mode));
	}
	for (i = 0; i < l.n && rc >= 0; i++) {
		rc = process(&m, strrchr(l.paths[i], '/') + 1, err);
		if (rc > 0)
			left++;
	}
	files_list_release(&l);
	md_close(&m);
	return rc < 0 ? -1 : left;
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
	int n;

	n = snprintf(newdir, sizeof(newdir), "%s/new", dir);
	if (n < 0 || (size_t)n >= sizeof(newdir)) {
		error_set(err, ERR_IO, "%s/new: path too long", dir);
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->dir = strdup(dir)) == NULL) {
		free(w);
		error_set(err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	w->rescan = rescan;
	w->in = in;
	w->ino = -1;
	worker_init(&w->worker);
	if (pipe(w->stop) < 0) {
		error_set(err, ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	fcntl(w->stop[0], F_SETFD, FD_CLOEXEC);
	fcntl(w->stop[1], F_SETFD, FD_CLOEXEC);
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0 || inotify_add_watch(w->ino, newdir,
	    IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
		log_warn("maildir: inotify on %s: %s; rescanning every %us "
		    "instead", newdir, strerror(errno), rescan);
		if (w->ino >= 0)
			close(w->ino);
		w->ino = -1;
	}
	if (worker_start(&w->worker, "maildir", watch_main, w, err) < 0) {
		close(w->stop[0]);
		close(w->stop[1]);
		goto fail;
	}
	return w;
fail:
	worker_release(&w->worker);
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
	worker_release(&w->worker);
	close(w->stop[0]);
	close(w->stop[1]);
	if (w->ino >= 0)
		close(w->ino);
	free(w->dir);
	free(w);
}
