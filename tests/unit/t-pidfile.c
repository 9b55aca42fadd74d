/*
 * t-pidfile: the lock, not the file, says whether a daemon runs: a file
 * held is refused naming its pid, a file left with a dead pid is taken
 * over, a link or a file of two links is refused, a release removes the
 * file (emptied instead when root was given up: tests/e2e/daemon-pidfile.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"
#include "tap.h"

static char top[] = "/tmp/t-pidfile.XXXXXX";

/* The text of the file at path ("" when none). */
static const char *
text_of(const char *path)
{
	static char text[64];
	ssize_t n;
	int fd;

	text[0] = '\0';
	if ((fd = open(path, O_RDONLY)) < 0)
		return text;
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

int
main(void)
{
	char path[256], other[256], mine[32], want[512];
	struct pidfile a, b;
	struct error err;
	FILE *f;

	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/tlsrptd.pid", top);
	snprintf(mine, sizeof(mine), "%ld\n", (long)getpid());
	pidfile_init(&a);
	pidfile_init(&b);

	ok(pidfile_take(&a, path, &err) == 0, "take: a new file");
	is_str(text_of(path), mine, "take: the pid, one line");
	/* flock() locks an open file: a second open in this process is
	 * another daemon, as far as the lock goes. */
	ok(pidfile_take(&b, path, &err) == -1 && err.kind == ERR_BUSY,
	    "take again while held: refused");
	snprintf(want, sizeof(want), "pidfile %s: tlsrptd is running already "
	    "as pid %ld; stop it first, or give this one another pidfile",
	    path, (long)getpid());
	is_str(err.msg, want, "... naming the running pid");
	is_str(text_of(path), mine, "... the file left as it was");
	is_int(pidfile_release(&a), 0, "release: removed");
	ok(access(path, F_OK) < 0 && errno == ENOENT, "... gone");
	is_int(pidfile_release(&a), 0, "release again: nothing held, no-op");

	if ((f = fopen(path, "w")) != NULL) {
		fputs("999999999\n", f);
		fclose(f);
	}
	ok(pidfile_take(&a, path, &err) == 0, "a dead daemon's file: taken");
	is_str(text_of(path), mine, "... its pid written over");
	pidfile_release(&a);

	snprintf(other, sizeof(other), "%s/elsewhere", top);
	if ((f = fopen(other, "w")) != NULL) {
		fputs("keep\n", f);
		fclose(f);
	}
	ok(symlink(other, path) == 0 && pidfile_take(&a, path, &err) == -1 &&
	    err.kind == ERR_IO && strstr(err.msg, "symbolic link") != NULL,
	    "a symbolic link in its place: refused");
	is_str(text_of(other), "keep\n", "... what it points to untouched");
	unlink(path);
	ok(link(other, path) == 0 && pidfile_take(&a, path, &err) == -1 &&
	    strstr(err.msg, "2 links") != NULL, "a file of two links: refused");
	is_str(text_of(other), "keep\n", "... its other name untouched");

	unlink(path);
	unlink(other);
	rmdir(top);
	return tap_done();
}
