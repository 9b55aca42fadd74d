/*
 * fault-io: an LD_PRELOAD shim for tests/e2e/robust-store.sh. A file system
 * cannot be made read-only under a process that holds files open on it for
 * writing (mount -o remount,ro fails with EBUSY, and chattr +i does not
 * touch open descriptors), so this makes the daemon's writes fail as a
 * read-only file system would: while the file $FAULT_IO_FLAG exists, every
 * write, truncate and sync of a file under $FAULT_IO_DIR fails with EROFS.
 * Other descriptors (the log) are left alone.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int
faulty(int fd)
{
	const char *flag = getenv("FAULT_IO_FLAG");
	const char *dir = getenv("FAULT_IO_DIR");
	char link[64], path[PATH_MAX];
	ssize_t n;
	int saved = errno;

	if (flag == NULL || dir == NULL || access(flag, F_OK) != 0) {
		errno = saved;
		return 0;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	errno = saved;
	if (n <= 0)
		return 0;
	path[n] = '\0';
	if (strncmp(path, dir, strlen(dir)) != 0)
		return 0;
	errno = EROFS;
	return 1;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void *b, size_t n)
{
	return faulty(fd) ? -1 : NEXT(write)(fd, b, n);
}

ssize_t
pwrite(int fd, const void *b, size_t n, off_t off)
{
	return faulty(fd) ? -1 : NEXT(pwrite)(fd, b, n, off);
}

ssize_t
pwrite64(int fd, const void *b, size_t n, off64_t off)
{
	return faulty(fd) ? -1 : NEXT(pwrite64)(fd, b, n, off);
}

int
ftruncate(int fd, off_t len)
{
	return faulty(fd) ? -1 : NEXT(ftruncate)(fd, len);
}

int
ftruncate64(int fd, off64_t len)
{
	return faulty(fd) ? -1 : NEXT(ftruncate64)(fd, len);
}

int
fsync(int fd)
{
	return faulty(fd) ? -1 : NEXT(fsync)(fd);
}

int
fdatasync(int fd)
{
	return faulty(fd) ? -1 : NEXT(fdatasync)(fd);
}
