/*
 * store_sqlite_vfs: SQLite's default VFS (unix), with the writes to each
 * write-ahead log gathered into one system call per commit.
 *
 * SQLite writes a frame of its log in two pwrite() calls, the 24-byte
 * frame header and then the page: a commit of 30 pages is 60 calls, each
 * costing more than the copy it makes. Here the writes to a log are kept
 * in a buffer while each follows the one before, and the buffer goes to
 * the file:
 * - once the frame that commits a transaction is in (its header's
 *   database size is not 0; sqlite.org/fileformat2.html#walformat), so
 *   before SQLite publishes the commit in the wal-index, by which other
 *   connections find the frames they read;
 * - before anything else is done with the file (read, size, truncate,
 *   sync, file control);
 * - when a write does not follow the last one, or would overflow it.
 * A write the buffer cannot take (no memory, larger than the buffer) goes
 * to the file at once. A failed write of the buffer fails the SQLite call
 * that caused it, so that a commit fails as it would have without the
 * buffer.
 *
 * A transaction larger than SQLite's cache writes frames before its
 * commit; when it is rolled back instead, what the buffer holds of it is
 * dropped, never written: the connection gives up its lock on writing to
 * the log (in the wal-index, through its database file), and another
 * connection may then commit frames at the same place in the log. So the
 * database file is wrapped too, for that one call, and a log gathers
 * only once it is tied to its database file (by the name SQLite opens it
 * with). Every other file, and every other call, is the default VFS's.
 */
#ifndef TLSRPT_STORE_SQLITE_VFS_H
#define TLSRPT_STORE_SQLITE_VFS_H

/* Bytes gathered at most before they go to the file: the unix VFS writes
 * at most 128 KiB less one byte in a call. */
#define SQLITE_VFS_BUFFER	(127 * 1024)

/*
 * The VFS's name for sqlite3_open_v2(), registered on first call (not as
 * the default); NULL when it cannot be (no memory): the default VFS then.
 */
const char *sqlite_vfs_name(void);

#endif
