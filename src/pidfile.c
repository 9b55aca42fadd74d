/* pidfile: see include/pidfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "pidfile.h"
#include "banned.h"

/* Tries at a file removed and made again between open and lock. */
#define PIDFILE_TRIES	5

void
pidfile_init(struct pidfile *pf)
{
	pf->fd = -1;
	pf->path = NULL;
}

/* The pid written in the file fd holds, or 0 when it holds none yet. */
static long
pid_in(int fd)
{
	char text[32];
	ssize_t n;
	long pid;
	char *end;

	n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno != 0 || end == text || (*end != '\n' && *end != '\0') ||
	    pid <= 0)
		return 0;
	return pid;
}

/*
 * Open path and lock it: 0 locked, 1 when the file met is no longer the
 * one at path (its daemon removed it meanwhile: try again), -1 an error.
 */
static int
open_locked(const char *path, int *out, struct error *err)
{
	struct stat sb, now;
	long pid;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return error_set(err, ERR_IO, "pidfile %s: %s%s", path,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: "
		    "remove it)" : "");
	if (fstat(fd, &sb) < 0) {
		error_set(err, ERR_IO, "pidfile %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		error_set(err, ERR_IO, "pidfile %s: not a file of its own (a "
		    "folder, a device or a file of %lu links): remove it",
		    path, (unsigned long)sb.st_nlink);
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			error_set(err, ERR_IO, "pidfile %s: locking: %s", path,
			    strerror(errno));
			goto fail;
		}
		if ((pid = pid_in(fd)) > 0)
			error_set(err, ERR_BUSY, "pidfile %s: tlsrptd is "
			    "running already as pid %ld; stop it first, or "
			    "give this one another pidfile", path, pid);
		else
			error_set(err, ERR_BUSY, "pidfile %s: held by another "
			    "tlsrptd that is starting", path);
		goto fail;
	}
	if (stat(path, &now) < 0 || now.st_dev != sb.st_dev ||
	    now.st_ino != sb.st_ino) {
		close(fd);
		return 1;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

int
pidfile_take(struct pidfile *pf, const char *path, struct error *err)
{
	char text[32];
	size_t len;
	int fd = -1, i, rc = 1;

	for (i = 0; i < PIDFILE_TRIES && rc == 1; i++)
		if ((rc = open_locked(path, &fd, err)) < 0)
			return -1;
	if (rc == 1)
		return error_set(err, ERR_IO, "pidfile %s: removed and made "
		    "again by another process while being taken", path);
	if (fmt_whole(text, sizeof(text), "%ld\n", (long)getpid()) < 0)
		text[0] = '\0';
	len = strlen(text);
	/* A pid left by a daemon that was killed goes. */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len) {
		error_set(err, ERR_IO, "pidfile %s: writing: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if ((pf->path = strdup(path)) == NULL) {
		close(fd);
		return error_set(err, ERR_NOMEM, "out of memory");
	}
	pf->fd = fd;
	return 0;
}

int
pidfile_release(struct pidfile *pf)
{
	int rc = 0;

	if (pf->fd < 0)
		return 0;
	/* Removed while still locked: no other start can take it first. */
	if (unlink(pf->path) < 0 && errno != ENOENT) {
		(void)!ftruncate(pf->fd, 0);
		rc = 1;
	}
	close(pf->fd);
	free(pf->path);
	pidfile_init(pf);
	return rc;
}
