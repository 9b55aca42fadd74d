/* files: see include/files.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "files.h"
#include "fmt.h"
#include "banned.h"

int
files_read_fd(int fd, struct buf *out, size_t *total, struct error *err)
{
	char chunk[65536];
	size_t seen = out->len, room;
	ssize_t n;
	int over = 0;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_set(err, ERR_IO, "read: %s",
			    strerror(errno));
		}
		if (n == 0)
			break;
		seen += (size_t)n;
		room = out->cap - out->len;
		if ((size_t)n > room) {
			over = 1;
			if (room > 0 && buf_append(out, chunk, room, err) < 0)
				return -1;
			/* Enough seen to say how far over it is. */
			if (seen > out->cap * 2)
				break;
			continue;
		}
		if (buf_append(out, chunk, (size_t)n, err) < 0)
			return -1;
	}
	if (total != NULL)
		*total = seen;
	if (over)
		return error_set(err, ERR_TOO_BIG, "%s%zu bytes, over the "
		    "limit of %zu bytes", seen > out->cap * 2 ? "more than " :
		    "", seen, out->cap);
	return 0;
}

int
files_read_path(const char *path, struct buf *out, size_t *total,
		struct error *err)
{
	struct stat sb;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set(err, ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return error_set(err, ERR_IO, "%s: is a folder", path);
	}
	rc = files_read_fd(fd, out, total, err);
	close(fd);
	return rc;
}

const char *
files_kind(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return "a regular file";
	case S_IFDIR:	return "a folder";
	case S_IFLNK:	return "a symbolic link";
	case S_IFIFO:	return "a FIFO";
	case S_IFCHR:	return "a character device";
	case S_IFBLK:	return "a block device";
	case S_IFSOCK:	return "a socket";
	}
	return "not a regular file";
}

int
files_open_regular(int dirfd, const char *name, const char *label,
		   struct error *err)
{
	struct stat sb;
	int fd, saved;

	if (label == NULL)
		label = name;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		/* ELOOP from O_NOFOLLOW, ENXIO from a socket: say what it
		 * is rather than errno's words. */
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(sb.st_mode))
			error_set(err, ERR_INPUT, "%s: %s", label,
			    files_kind(sb.st_mode));
		else
			error_set(err, ERR_IO, "%s: %s", label,
			    strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return error_set(err, ERR_IO, "%s: %s", label,
		    strerror(saved));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return error_set(err, ERR_INPUT, "%s: %s", label,
		    files_kind(sb.st_mode));
	}
	return fd;
}

int
files_open_dir_below(int dirfd, const char *base, const char *rel,
		     struct error *err)
{
	char part[4096];
	const char *p = rel, *slash;
	struct stat sb;
	size_t n;
	int fd = dirfd, next, saved;

	do {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(part)) {
			error_set(err, ERR_IO, "%s/%s: not a folder name", base,
			    rel);
			goto fail;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next < 0) {
			saved = errno;
			if (fstatat(fd, part, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
			    !S_ISDIR(sb.st_mode))
				error_set(err, ERR_IO, "%s/%.*s: %s, not a "
				    "folder", base, (int)(p - rel + n), rel,
				    files_kind(sb.st_mode));
			else
				error_set(err, ERR_IO, "%s/%.*s: %s", base,
				    (int)(p - rel + n), rel, strerror(saved));
			goto fail;
		}
		if (fd != dirfd)
			close(fd);
		fd = next;
		p = slash != NULL ? slash + 1 : NULL;
	} while (p != NULL);
	return fd;
fail:
	if (fd != dirfd)
		close(fd);
	return -1;
}

int
files_open_below(const char *dir, const char *rel, struct error *err)
{
	char sub[4096], label[4096];
	const char *name = strrchr(rel, '/');
	int top, parent, fd, n;

	n = snprintf(label, sizeof(label), "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(label))
		return error_set(err, ERR_IO, "%s/%s: path too long", dir, rel);
	top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	parent = top;
	if (name != NULL) {
		/* Shorter than label, which held it. */
		memcpy(sub, rel, (size_t)(name - rel));
		sub[name - rel] = '\0';
		parent = files_open_dir_below(top, dir, sub, err);
		close(top);
		if (parent < 0)
			return -1;
		name++;
	} else
		name = rel;
	fd = files_open_regular(parent, name, label, err);
	close(parent);
	return fd;
}

static int
is_dir(const char *dir, const char *sub)
{
	char path[4096];
	struct stat sb;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return fstatat(AT_FDCWD, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode);
}

int
files_is_maildir(const char *dir)
{
	return is_dir(dir, "cur") && is_dir(dir, "new") && is_dir(dir, "tmp");
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append path to a list of *n, *alloc entries; -1 when out of memory. */
static int
list_add(char ***list, size_t *n, size_t *alloc, char *path)
{
	if (array_grow(list, *n, alloc, sizeof(**list), 64) < 0)
		return -1;
	(*list)[(*n)++] = path;
	return 0;
}

int
files_list_at(int dirfd, const char *label, struct file_list *out,
	      struct error *err)
{
	struct dirent *de;
	struct stat sb;
	size_t alloc = 0, oalloc = 0;
	unsigned type;
	char *path;
	DIR *d;
	int fd, n, rc;

	memset(out, 0, sizeof(*out));
	/* closedir() closes the descriptor it was given: a copy. */
	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return error_set(err, ERR_IO, "%s: %s", label,
		    strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		/* The entry's type when the file system gives it, else
		 * lstat's: a link is never followed to find out. */
		switch (de->d_type) {
		case DT_REG:	type = S_IFREG; break;
		case DT_DIR:	type = S_IFDIR; break;
		case DT_UNKNOWN:
			if (fstatat(dirfd, de->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) < 0)
				continue;	/* gone meanwhile */
			type = sb.st_mode & S_IFMT;
			break;
		default:	type = 0; break;	/* link, FIFO, ... */
		}
		if (type == S_IFDIR)
			continue;
		n = snprintf(NULL, 0, "%s/%s", label, de->d_name);
		if (n < 0 || (path = malloc((size_t)n + 1)) == NULL)
			goto nomem;
		if (fmt_whole(path, (size_t)n + 1, "%s/%s", label,
		    de->d_name) < 0) {
			free(path);
			goto nomem;
		}
		if (type == S_IFREG)
			rc = list_add(&out->paths, &out->n, &alloc, path);
		else
			rc = list_add(&out->others, &out->nothers, &oalloc,
			    path);
		if (rc < 0) {
			free(path);
			goto nomem;
		}
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->paths, out->n, sizeof(*out->paths), cmp_path);
	if (out->nothers > 1)
		qsort(out->others, out->nothers, sizeof(*out->others),
		    cmp_path);
	return 0;
nomem:
	closedir(d);
	files_list_release(out);
	return error_set(err, ERR_NOMEM, "out of memory listing %s", label);
}

int
files_list(const char *dir, struct file_list *out, struct error *err)
{
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	rc = files_list_at(fd, dir, out, err);
	close(fd);
	return rc;
}

void
files_list_release(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	for (i = 0; i < l->nothers; i++)
		free(l->others[i]);
	free(l->paths);
	free(l->others);
	memset(l, 0, sizeof(*l));
}
