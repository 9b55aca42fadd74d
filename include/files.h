/*
 * files: reading inputs from the file system with a cap, and listing the
 * folders the import tool and the maildir watcher walk.
 */
#ifndef TLSRPT_FILES_H
#define TLSRPT_FILES_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Read all of fd into out (initialised by the caller with its cap). When
 * the input is longer than the cap, out holds the first cap bytes and the
 * call fails with ERR_TOO_BIG; *total then says how many bytes were seen
 * (reading stops at twice the cap). ERR_IO when reading fails.
 */
int files_read_fd(int fd, struct buf *out, size_t *total, struct error *err);

/* The same for a path; ERR_IO (with errno's words) when it cannot open. */
int files_read_path(const char *path, struct buf *out, size_t *total,
		    struct error *err);

/* Is dir a maildir (it has cur/, new/ and tmp/)? */
int files_is_maildir(const char *dir);

struct file_list {
	char **paths;	/* "dir/name", sorted; owned */
	size_t n;
};

/*
 * The regular files directly in dir, sorted by name, hidden ones (".x")
 * skipped. ERR_IO when dir cannot be read.
 */
int files_list(const char *dir, struct file_list *out, struct error *err);

/* Free a list; it is empty again. */
void files_list_release(struct file_list *l);

#endif
