/* store_sqlite_vfs: see include/store_sqlite_vfs.h. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_vfs.h"
#include "banned.h"

#define VFS_NAME	"tlsrpt-unix"
#define WAL_HEADER	32	/* the log's own header, at offset 0 */
#define FRAME_HEADER	24	/* before each page */

/* A log file: the default VFS's file after this, in the same memory. */
struct wal_file {
	sqlite3_file base;
	sqlite3_file *real;
	char *buf;		/* SQLITE_VFS_BUFFER bytes, on first write */
	size_t len;		/* gathered, for the file at off */
	sqlite3_int64 off;
	int commit;		/* the page of a commit frame comes next */
};

/* struct wal_file rounded up, so that the real file is aligned. */
#define WAL_FILE_SIZE	((sizeof(struct wal_file) + 15) & ~(size_t)15)

static sqlite3_vfs *orig;	/* the default VFS */
static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered;

static int
flush(struct wal_file *w)
{
	int rc;

	if (w->len == 0)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	w->len = 0;
	return rc;
}

/* Whether a write is a frame header that commits (its size not 0). */
static int
commits(const void *p, int n, sqlite3_int64 off)
{
	const unsigned char *h = p;

	return n == FRAME_HEADER && off >= WAL_HEADER &&
	    (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int
wal_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc, commit = w->commit;

	w->commit = 0;
	if (w->len > 0 && off != w->off + (sqlite3_int64)w->len &&
	    (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (w->buf == NULL)
		w->buf = malloc(SQLITE_VFS_BUFFER);
	if (w->buf == NULL || n < 0 || (size_t)n > SQLITE_VFS_BUFFER) {
		if ((rc = flush(w)) != SQLITE_OK)
			return rc;
		return w->real->pMethods->xWrite(w->real, p, n, off);
	}
	if ((size_t)n > SQLITE_VFS_BUFFER - w->len &&
	    (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (w->len == 0)
		w->off = off;
	memcpy(w->buf + w->len, p, (size_t)n);
	w->len += (size_t)n;
	if (commit)
		return flush(w);
	w->commit = commits(p, n, off);
	return SQLITE_OK;
}

static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w), rc2;

	rc2 = w->real->pMethods->xClose(w->real);
	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* The calls that see the file: what was gathered goes first. */
static int
wal_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc :
	    w->real->pMethods->xRead(w->real, p, n, off);
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc :
	    w->real->pMethods->xTruncate(w->real, size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int
wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc :
	    w->real->pMethods->xFileSize(w->real, size);
}

static int
wal_file_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc :
	    w->real->pMethods->xFileControl(w->real, op, arg);
}

/* The rest is the default VFS's, as is. */
#define REAL(f)	(((struct wal_file *)(f))->real)

static int
wal_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
wal_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
wal_check_reserved_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
wal_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
wal_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
wal_shm_map(sqlite3_file *f, int region, int size, int extend,
	    void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, p);
}

static int
wal_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
wal_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
wal_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
wal_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	*p = NULL;	/* no mapping: SQLite reads instead */
	if (rc != SQLITE_OK || w->real->pMethods->iVersion < 3)
		return rc;
	return w->real->pMethods->xFetch(w->real, off, n, p);
}

static int
wal_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	if (REAL(f)->pMethods->iVersion < 3)
		return SQLITE_OK;
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = wal_lock,
	.xUnlock = wal_unlock,
	.xCheckReservedLock = wal_check_reserved_lock,
	.xFileControl = wal_file_control,
	.xSectorSize = wal_sector_size,
	.xDeviceCharacteristics = wal_device_characteristics,
	.xShmMap = wal_shm_map,
	.xShmLock = wal_shm_lock,
	.xShmBarrier = wal_shm_barrier,
	.xShmUnmap = wal_shm_unmap,
	.xFetch = wal_fetch,
	.xUnfetch = wal_unfetch,
};

/* A log is wrapped; any other file is the default VFS's own. */
static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags,
	 int *out)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	(void)v;
	if (!(flags & SQLITE_OPEN_WAL))
		return orig->xOpen(orig, name, f, flags, out);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)w + WAL_FILE_SIZE);
	rc = orig->xOpen(orig, name, w->real, flags, out);
	/* Without methods the file is not open and is never closed. */
	w->base.pMethods = w->real->pMethods != NULL ? &wal_methods : NULL;
	return rc;
}

static void
vfs_register(void)
{
	orig = sqlite3_vfs_find(NULL);
	if (orig == NULL || orig->iVersion < 3)
		return;
	vfs = *orig;
	vfs.pNext = NULL;
	vfs.zName = VFS_NAME;
	vfs.szOsFile = (int)WAL_FILE_SIZE + orig->szOsFile;
	vfs.xOpen = vfs_open;
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

const char *
sqlite_vfs_name(void)
{
	pthread_once(&once, vfs_register);
	return registered ? VFS_NAME : NULL;
}
