/*
 * powercut: an LD_PRELOAD library for tests/e2e/robust-powercut.sh. It
 * keeps, beside a folder, what a power cut would leave of it at any
 * moment: only what was made durable. SIGKILL leaves everything a process
 * wrote in the OS cache, so a missing fsync is never seen by a test that
 * only kills; a copy of this image is what the disk would hold.
 *
 *   POWERCUT_DIR    the folder watched (its subfolders too)
 *   POWERCUT_IMAGE  a folder of its own (made when missing), with:
 *     tree          what a power cut leaves of POWERCUT_DIR now: the test
 *                   kills the process and copies it, following the links
 *                   (cp -RL IMAGE/tree/. COPY), to open the copy
 *     dirs/KEY/     the durable names of each folder: hard links into
 *                   data/, symbolic links to the folders' own dirs/KEY
 *     data/KEY      the durable content of each file
 *     lock          held while the image changes (several processes)
 * where KEY is a file's inode number and birth time.
 *
 * The model is POSIX's, strict (fsync(2)): a file's data and size are
 * durable once fsync() or fdatasync() of the file returned; a name (a
 * file created, renamed or removed) once fsync() of its folder returned;
 * sync() and syncfs() make everything durable. Nothing else is: what was
 * written, truncated, renamed or removed since is lost. Everything under
 * the folder when the first process with this library starts counts as
 * durable (the test stops the daemon cleanly before).
 *
 * Only the sync calls are wrapped: a write, a rename or a truncation
 * changes the real files alone, and the next sync copies what it made
 * durable from them (the file's whole content, or the folder's names), so
 * writes from other processes that a sync covers are covered here too.
 * The copy is made before the real call, and in place (bytes that changed,
 * then the size): a process killed in the middle leaves part of one sync
 * applied, as a disk does. Files opened O_SYNC or written through mmap are
 * not modelled; nothing in the store does either.
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK	65536

static char watch[PATH_MAX];	/* POWERCUT_DIR, resolved */
static size_t watchlen;
static dev_t watch_dev;
static char image[PATH_MAX];	/* POWERCUT_IMAGE */
static int lockfd = -1;		/* image/lock, for flock() */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static void (*real_sync)(void);
static int (*real_syncfs)(int);

static void
complain(const char *what, const char *path)
{
	fprintf(stderr, "powercut: %s %s: %s\n", what, path, strerror(errno));
}

static void
lock_image(void)
{
	pthread_mutex_lock(&mu);
	while (flock(lockfd, LOCK_EX) < 0 && errno == EINTR)
		;
}

static void
unlock_image(void)
{
	flock(lockfd, LOCK_UN);
	pthread_mutex_unlock(&mu);
}

/*
 * The name of a file's durable content in data/: its inode and birth
 * time, so that an inode the file system gives to a new file after the
 * old one went does not take the old one's content (a name may still
 * point at it in dirs/).
 */
static int
file_key(int dirfd, const char *path, char *key, size_t len)
{
	struct statx sx;
	int n;

	if (statx(dirfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
	    STATX_INO | STATX_BTIME, &sx) < 0)
		return -1;
	if (sx.stx_mask & STATX_BTIME)
		n = snprintf(key, len, "%llu.%lld.%u",
		    (unsigned long long)sx.stx_ino,
		    (long long)sx.stx_btime.tv_sec, sx.stx_btime.tv_nsec);
	else
		n = snprintf(key, len, "%llu", (unsigned long long)sx.stx_ino);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* image/SUB/REST into buf. */
static int
image_path(char *buf, size_t len, const char *sub, const char *rest)
{
	int n = snprintf(buf, len, "%s/%s%s%s", image, sub, *rest ? "/" : "",
	    rest);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Make dst hold what src holds: the bytes that differ are written, then
 * the size is set. Both are open descriptors.
 */
static int
copy_changed(int src, int dst)
{
	static char a[CHUNK], b[CHUNK];	/* under mu */
	off_t off = 0;
	ssize_t n, m;

	for (;;) {
		n = pread(src, a, sizeof(a), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		m = pread(dst, b, (size_t)n, off);
		if (m < 0)
			return -1;
		if (m != n || memcmp(a, b, (size_t)n) != 0)
			if (pwrite(dst, a, (size_t)n, off) != n)
				return -1;
		off += n;
	}
	return ftruncate(dst, off);
}

/* The content of the open file fd becomes its durable content. */
static void
capture_file(int fd, const char *path)
{
	char key[96], dst[PATH_MAX], self[64];
	int in, out;

	if (file_key(fd, "", key, sizeof(key)) < 0 ||
	    image_path(dst, sizeof(dst), "data", key) < 0)
		return;
	/* Opened again for reading: fd may be write-only. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if ((in = open(self, O_RDONLY | O_CLOEXEC)) < 0) {
		complain("cannot read", path);
		return;
	}
	if ((out = open(dst, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		complain("cannot write", dst);
		close(in);
		return;
	}
	if (copy_changed(in, out) < 0)
		complain("cannot copy", path);
	close(out);
	close(in);
}

/* Does the name at path already link to the file at data? */
static int
same_file(const char *path, const char *data)
{
	struct stat a, b;

	return lstat(path, &a) == 0 && stat(data, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Does the symbolic link at path already point at target? */
static int
same_link(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, target) == 0;
}

/*
 * The names the open folder dfd holds become its durable names, in
 * dirs/KEY/ (KEY its own, made when missing): each file a hard link to
 * its durable content in data/ (empty when it was never synced), each
 * folder a symbolic link to its own dirs/KEY/ (its names as of its own
 * last sync; none when it never had one), no other name. With all set,
 * the files' content and the folders below are made durable too (sync(),
 * and the start). The listing is kept by the folder's identity, not its
 * path, so that a folder's synced names wait for the sync of the name of
 * the folder itself.
 */
static void
capture_dir(int dfd, const char *path, int all)
{
	char key[96], ddir[PATH_MAX], name[PATH_MAX], data[PATH_MAX];
	char tmp[PATH_MAX], target[128];
	struct dirent *de;
	struct stat sb;
	DIR *d, *t;
	int fd;

	if (file_key(dfd, "", key, sizeof(key)) < 0 ||
	    image_path(ddir, sizeof(ddir), "dirs", key) < 0)
		return;
	if (mkdir(ddir, 0700) < 0 && errno != EEXIST) {
		complain("cannot make", ddir);
		return;
	}
	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		complain("cannot list", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    file_key(dfd, de->d_name, key, sizeof(key)) < 0 ||
		    snprintf(name, sizeof(name), "%s/%s", ddir, de->d_name) >=
		    (int)sizeof(name) ||
		    snprintf(tmp, sizeof(tmp), "%s/.powercut.%s", ddir,
		    de->d_name) >= (int)sizeof(tmp))
			continue;	/* gone meanwhile, or too long */
		if (S_ISDIR(sb.st_mode)) {
			snprintf(target, sizeof(target), "../%s", key);
			if (image_path(data, sizeof(data), "dirs", key) < 0 ||
			    (mkdir(data, 0700) < 0 && errno != EEXIST))
				continue;
			if (all && (fd = openat(dfd, de->d_name, O_RDONLY |
			    O_DIRECTORY | O_CLOEXEC)) >= 0) {
				capture_dir(fd, de->d_name, all);
				close(fd);
			}
			if (same_link(name, target))
				continue;
			unlink(tmp);
			if (symlink(target, tmp) < 0 || rename(tmp, name) < 0)
				complain("cannot link", name);
			continue;
		}
		if (!S_ISREG(sb.st_mode) ||
		    image_path(data, sizeof(data), "data", key) < 0)
			continue;
		if (all && (fd = openat(dfd, de->d_name, O_RDONLY |
		    O_CLOEXEC)) >= 0) {
			capture_file(fd, de->d_name);
			close(fd);
		}
		/* Never synced: the name lasts, the content does not. */
		if ((fd = open(data, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0)
			close(fd);
		if (same_file(name, data))
			continue;
		unlink(tmp);
		if (link(data, tmp) < 0 || rename(tmp, name) < 0)
			complain("cannot link", name);
	}
	closedir(d);
	/* The names the folder no longer holds. */
	if ((t = opendir(ddir)) == NULL)
		return;
	while ((de = readdir(t)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (S_ISDIR(sb.st_mode) || S_ISREG(sb.st_mode)))
			continue;
		if (snprintf(name, sizeof(name), "%s/%s", ddir, de->d_name) <
		    (int)sizeof(name))
			unlink(name);
	}
	closedir(t);
}

/*
 * Is fd's file under the watched folder (or was it, and is gone: its
 * content may still be named in the image)? Its path into path.
 */
static int
watched(int fd, struct stat *sb, char *path, size_t len)
{
	char self[64];
	ssize_t n;

	if (fstat(fd, sb) < 0 || sb->st_dev != watch_dev)
		return 0;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if ((n = readlink(self, path, len - 1)) <= 0)
		return 0;
	path[n] = '\0';
	return strncmp(path, watch, watchlen) == 0 &&
	    (path[watchlen] == '\0' || path[watchlen] == '/');
}

/* Before a sync of fd returns: what it makes durable, into the image. */
static void
capture(int fd)
{
	char path[PATH_MAX];
	struct stat sb;
	int saved = errno;

	if (lockfd < 0 || !watched(fd, &sb, path, sizeof(path))) {
		errno = saved;
		return;
	}
	lock_image();
	if (S_ISDIR(sb.st_mode))
		capture_dir(fd, path, 0);
	else if (S_ISREG(sb.st_mode))
		capture_file(fd, path);
	unlock_image();
	errno = saved;
}

/* Everything under the watched folder becomes durable. */
static void
capture_all(void)
{
	int fd;

	if (lockfd < 0)
		return;
	if ((fd = open(watch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		complain("cannot open", watch);
		return;
	}
	lock_image();
	capture_dir(fd, watch, 1);
	unlock_image();
	close(fd);
}

__attribute__((constructor)) static void
powercut_init(void)
{
	const char *dir = getenv("POWERCUT_DIR");
	const char *img = getenv("POWERCUT_IMAGE");
	char path[PATH_MAX], key[96], target[128];
	struct stat sb;
	int saved = errno, fd;

	*(void **)&real_fsync = dlsym(RTLD_NEXT, "fsync");
	*(void **)&real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	*(void **)&real_sync = dlsym(RTLD_NEXT, "sync");
	*(void **)&real_syncfs = dlsym(RTLD_NEXT, "syncfs");
	if (dir == NULL || img == NULL)
		return;
	if (realpath(dir, watch) == NULL || stat(watch, &sb) < 0 ||
	    (fd = open(watch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		complain("cannot watch", dir);
		return;
	}
	watchlen = strlen(watch);
	watch_dev = sb.st_dev;
	if (snprintf(image, sizeof(image), "%s", img) >= (int)sizeof(image) ||
	    (mkdir(image, 0700) < 0 && errno != EEXIST) ||
	    image_path(path, sizeof(path), "data", "") < 0 ||
	    (mkdir(path, 0700) < 0 && errno != EEXIST) ||
	    image_path(path, sizeof(path), "dirs", "") < 0 ||
	    (mkdir(path, 0700) < 0 && errno != EEXIST) ||
	    image_path(path, sizeof(path), "lock", "") < 0 ||
	    (lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    file_key(fd, "", key, sizeof(key)) < 0) {
		complain("cannot make the image in", img);
		lockfd = -1;
		close(fd);
		return;
	}
	/* The first process takes the folder as it is as durable. */
	lock_image();
	if (image_path(path, sizeof(path), "tree", "") == 0 &&
	    access(path, F_OK) != 0) {
		capture_dir(fd, watch, 1);
		snprintf(target, sizeof(target), "dirs/%s", key);
		if (symlink(target, path) < 0)
			complain("cannot link", path);
	}
	unlock_image();
	close(fd);
	errno = saved;
}

int
fsync(int fd)
{
	capture(fd);
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	capture(fd);
	return real_fdatasync(fd);
}

void
sync(void)
{
	capture_all();
	real_sync();
}

int
syncfs(int fd)
{
	capture_all();
	return real_syncfs(fd);
}
