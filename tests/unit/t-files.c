/*
 * t-files: the entries of a folder are read only when they are regular
 * files: a symbolic link is never followed, a FIFO never blocks (a FIFO
 * put where a listed file was is refused at open), a device is never
 * opened; a folder below a folder is never reached through a link; the
 * listing tells regular files from the rest without following links.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "tap.h"

static char top[] = "/tmp/t-files.XXXXXX";

static void
put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
at(char *out, size_t size, const char *rel)
{
	snprintf(out, size, "%s/%s", top, rel);
}

static void
test_open_regular(void)
{
	struct error err;
	char p[512], q[512], buf[16];
	int dir, fd;

	at(p, sizeof(p), "d");
	dir = open(p, O_RDONLY | O_DIRECTORY);
	ok(dir >= 0, "folder opened");

	fd = files_open_regular(dir, "plain", NULL, &err);
	ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 6 &&
	    memcmp(buf, "plain\n", 6) == 0, "a regular file is read");
	if (fd >= 0)
		close(fd);

	error_clear(&err);
	fd = files_open_regular(dir, "link", "d/link", &err);
	ok(fd == -1 && err.kind == ERR_INPUT &&
	    strcmp(err.msg, "d/link: a symbolic link") == 0,
	    "a link to a regular file is not followed: %s", err.msg);

	error_clear(&err);
	fd = files_open_regular(dir, "fifo", NULL, &err);
	ok(fd == -1 && err.kind == ERR_INPUT &&
	    strcmp(err.msg, "fifo: a FIFO") == 0,
	    "a FIFO is refused at once, no writer needed: %s", err.msg);

	error_clear(&err);
	fd = files_open_regular(dir, "sub", NULL, &err);
	ok(fd == -1 && err.kind == ERR_INPUT &&
	    strcmp(err.msg, "sub: a folder") == 0, "a folder: %s", err.msg);

	error_clear(&err);
	fd = files_open_regular(dir, "gone", NULL, &err);
	ok(fd == -1 && err.kind == ERR_IO && errno == ENOENT,
	    "a missing entry: ERR_IO, ENOENT kept: %s", err.msg);

	/* A FIFO renamed over a file after the listing: still refused. */
	at(p, sizeof(p), "d/fifo2");
	at(q, sizeof(q), "d/later");
	ok(mkfifo(p, 0600) == 0 && rename(p, q) == 0,
	    "a FIFO renamed over a listed file");
	error_clear(&err);
	fd = files_open_regular(dir, "later", NULL, &err);
	ok(fd == -1 && err.kind == ERR_INPUT, "... is refused: %s", err.msg);

	error_clear(&err);
	fd = files_open_regular(AT_FDCWD, "/dev/null", NULL, &err);
	ok(fd == -1 && err.kind == ERR_INPUT &&
	    strstr(err.msg, "a character device") != NULL,
	    "a device is refused: %s", err.msg);
	close(dir);
}

static void
test_below(void)
{
	struct error err;
	char p[512];
	int dir, fd;

	at(p, sizeof(p), "m");
	dir = open(p, O_RDONLY | O_DIRECTORY);
	error_clear(&err);
	fd = files_open_dir_below(dir, "M", "new", &err);
	ok(fd >= 0, "a real folder below: opened");
	if (fd >= 0)
		close(fd);
	error_clear(&err);
	fd = files_open_dir_below(dir, "M", "linked/new", &err);
	ok(fd == -1 && strcmp(err.msg, "M/linked: a symbolic link, not a "
	    "folder") == 0, "a link on the way is refused: %s", err.msg);
	error_clear(&err);
	fd = files_open_dir_below(dir, "M", "new/x", &err);
	ok(fd == -1 && strstr(err.msg, "M/new/x: a regular file, not a "
	    "folder") != NULL, "a file on the way is refused: %s", err.msg);
	close(dir);

	at(p, sizeof(p), "m");
	error_clear(&err);
	fd = files_open_below(p, "new/x", &err);
	ok(fd >= 0, "a regular file below a real folder: opened");
	if (fd >= 0)
		close(fd);
	error_clear(&err);
	fd = files_open_below(p, "linked/x", &err);
	ok(fd == -1 && strstr(err.msg, "linked: a symbolic link") != NULL,
	    "... not through a linked folder: %s", err.msg);
	error_clear(&err);
	fd = files_open_below(p, "new/link", &err);
	ok(fd == -1 && err.kind == ERR_INPUT &&
	    strstr(err.msg, "/m/new/link: a symbolic link") != NULL,
	    "... nor through a link: %s", err.msg);
}

static void
test_list(void)
{
	struct file_list l;
	struct error err;
	char p[512];

	at(p, sizeof(p), "d");
	ok(files_list(p, &l, &err) == 0, "listed");
	ok(l.n == 1 && strstr(l.paths[0], "/d/plain") != NULL,
	    "regular files: plain only");
	ok(l.nothers == 3 && strstr(l.others[0], "/d/fifo") != NULL &&
	    strstr(l.others[1], "/d/later") != NULL &&
	    strstr(l.others[2], "/d/link") != NULL,
	    "others: the FIFOs and the link, sorted; the folder left out");
	files_list_release(&l);
	ok(l.n == 0 && l.nothers == 0 && l.paths == NULL, "released");

	at(p, sizeof(p), "m");
	ok(!files_is_maildir(p), "a maildir whose cur/ is a link is none");
}

int
main(void)
{
	char p[512], q[512];

	if (mkdtemp(top) == NULL) {
		ok(0, "scratch folder");
		return tap_done();
	}
	at(p, sizeof(p), "d");
	mkdir(p, 0700);
	put("d/plain", "plain\n");
	put("target", "secret\n");
	at(p, sizeof(p), "d/link");
	at(q, sizeof(q), "target");
	ok(symlink(q, p) == 0, "a link to a file outside");
	at(p, sizeof(p), "d/fifo");
	ok(mkfifo(p, 0600) == 0, "a FIFO");
	put("d/later", "listed\n");
	at(p, sizeof(p), "d/sub");
	mkdir(p, 0700);
	/* A maildir with a linked folder beside its own. */
	at(p, sizeof(p), "m");
	mkdir(p, 0700);
	at(p, sizeof(p), "m/new");
	mkdir(p, 0700);
	at(p, sizeof(p), "m/tmp");
	mkdir(p, 0700);
	put("m/new/x", "x\n");
	at(p, sizeof(p), "m/new/link");
	at(q, sizeof(q), "target");
	symlink(q, p);
	at(p, sizeof(p), "m/linked");
	at(q, sizeof(q), "m/new");
	symlink(q, p);
	at(p, sizeof(p), "m/cur");
	symlink(q, p);

	test_open_regular();
	test_below();
	test_list();

	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	if (system(p) != 0)
		printf("# could not remove %s\n", top);
	return tap_done();
}
