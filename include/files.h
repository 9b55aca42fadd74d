/*
 * files: reading inputs from the file system with a cap, and listing the
 * folders the import tool and the maildir watcher walk.
 *
 * What a user names (a file or a folder on the command line, a config
 * file) is opened as named. What is found inside a folder is another
 * matter: whoever can write there can leave a symbolic link to a secret,
 * or a FIFO that blocks the reader. So an entry of a folder is read only
 * when it is a regular file, never through a symbolic link, and never
 * with a call that could block (doc/maildir.md).
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

/*
 * Open the entry name of the folder dirfd for reading, only when it is a
 * regular file: never through a symbolic link, and with O_NONBLOCK, so
 * that a FIFO or a device swapped in cannot block. Returns the
 * descriptor, or -1 with ERR_INPUT when it is no regular file (the
 * message says what it is: "LABEL: a symbolic link"), ERR_IO when it
 * cannot be opened (errno's words; errno is kept). label names the entry
 * in messages (NULL: name).
 */
int files_open_regular(int dirfd, const char *name, const char *label,
		       struct error *err);

/*
 * Open the folder rel ("new", ".Failed/new") below the folder dirfd,
 * every component of rel a real folder, never a symbolic link. Returns
 * the descriptor, or -1 with ERR_IO ("BASE/REL: a symbolic link, not a
 * folder"); base only names dirfd in messages.
 */
int files_open_dir_below(int dirfd, const char *base, const char *rel,
			 struct error *err);

/*
 * Open the regular file rel ("new/NAME", "NAME") below the folder dir (a
 * folder named by the user, opened as named): no component of rel is
 * followed if it is a symbolic link. As files_open_regular().
 */
int files_open_below(const char *dir, const char *rel, struct error *err);

/* What a file of this st_mode is: "a symbolic link", "a FIFO", ... */
const char *files_kind(unsigned mode);

/* Is dir a maildir (it has cur/, new/ and tmp/, real folders)? */
int files_is_maildir(const char *dir);

struct file_list {
	char **paths;	/* "dir/name" of the regular files, sorted; owned */
	size_t n;
	/* "dir/name" of the symbolic links, FIFOs, devices and sockets,
	 * sorted; owned. Never opened: the caller says so or sets them
	 * aside. */
	char **others;
	size_t nothers;
};

/*
 * The entries directly in dir (as named: a symbolic link to a folder is
 * followed), sorted by name, hidden ones (".x") and folders skipped:
 * regular files in paths, anything else in others, told apart without
 * following links. ERR_IO when dir cannot be read.
 */
int files_list(const char *dir, struct file_list *out, struct error *err);

/* The same for the open folder dirfd (kept open), label naming it in the
 * paths. */
int files_list_at(int dirfd, const char *label, struct file_list *out,
		  struct error *err);

/* Free a list; it is empty again. */
void files_list_release(struct file_list *l);

#endif
