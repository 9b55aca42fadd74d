/* files: see include/files.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
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

static int
is_dir(const char *dir, const char *sub)
{
	char path[4096];
	struct stat sb;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
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

int
files_list(const char *dir, struct file_list *out, struct error *err)
{
	struct dirent *de;
	struct stat sb;
	size_t alloc = 0;
	char **grown, *path;
	DIR *d;
	int n;

	out->paths = NULL;
	out->n = 0;
	d = opendir(dir);
	if (d == NULL)
		return error_set(err, ERR_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = snprintf(NULL, 0, "%s/%s", dir, de->d_name);
		if (n < 0 || (path = malloc((size_t)n + 1)) == NULL)
			goto nomem;
		snprintf(path, (size_t)n + 1, "%s/%s", dir, de->d_name);
		/* The entry's type when the file system gives it; a link
		 * is followed, as stat() does. */
		if (de->d_type != DT_REG && ((de->d_type != DT_UNKNOWN &&
		    de->d_type != DT_LNK) || stat(path, &sb) < 0 ||
		    !S_ISREG(sb.st_mode))) {
			free(path);
			continue;
		}
		if (out->n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			grown = realloc(out->paths, alloc * sizeof(*grown));
			if (grown == NULL) {
				free(path);
				goto nomem;
			}
			out->paths = grown;
		}
		out->paths[out->n++] = path;
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->paths, out->n, sizeof(*out->paths), cmp_path);
	return 0;
nomem:
	closedir(d);
	files_list_release(out);
	return error_set(err, ERR_NOMEM, "out of memory listing %s", dir);
}

void
files_list_release(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = 0;
}
