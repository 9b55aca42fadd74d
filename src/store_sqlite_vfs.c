/* store_sqlite_vfs: see include/store_sqlite_vfs.h. */
#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_vfs.h"
#include "banned.h"

#define VFS_NAME	"tlsrpt-unix"
#define WAL_HEADER	32	/* the log's own header, at offset 0 */
#define FRAME_HEADER	24	/* before each page */

struct db_file;

/* A log file: the default VFS's file after this, in the same memory. */
struct wal_file {
	sqlite3_file base;
	sqlite3_file *real;
	struct db_file *db;	/* its database's; NULL: nothing gathered */
	char *buf;		/* SQLITE_VFS_BUFFER bytes, on first write */
	size_t len;		/* gathered, for the file at off */
	sqlite3_int64 off;
	int commit;		/* the page of a commit frame comes next */
};

/*
 * A database file, for the lock on writing to its log: when it is given
 * up, whatever the log file still holds gathered is of a transaction
 * rolled back (a commit leaves nothing), and is dropped. Written later,
 * it would land on frames another connection has committed since.
 */
struct db_file {
	sqlite3_file base;
	sqlite3_file *real;
	const char *name;	/* as SQLite opened it: its log's is after it */
	struct wal_file *wal;	/* open, of the same connection */
	struct db_file *next;	/* in the list of open ones */
};

/* The methods both share read real at the same place in each. */
_Static_assert(offsetof(struct wal_file, real) ==
    offsetof(struct db_file, real), "real where REAL() reads it");

/* Each struct rounded up, so that the real file after it is aligned. */
#define ROUND16(n)	(((n) + 15) & ~(size_t)15)
#define WAL_FILE_SIZE	ROUND16(sizeof(struct wal_file))
#define DB_FILE_SIZE	ROUND16(sizeof(struct db_file))

/* The lock on writing to a log: the first of the wal-index's locks. */
#define WAL_WRITE_LOCK	0

static sqlite3_vfs *orig;	/* the default VFS */
static sqlite3_vfs vfs;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int registered;
static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_file *dbs;	/* open database files */

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
	if (w->buf == NULL && w->db != NULL)
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

/* SQLite closes a log outside any transaction: nothing to write. */
static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;

	pthread_mutex_lock(&dbs_lock);
	if (w->db != NULL)
		w->db->wal = NULL;
	pthread_mutex_unlock(&dbs_lock);
	free(w->buf);
	w->buf = NULL;
	w->len = 0;
	return w->real->pMethods->xClose(w->real);
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

/* The rest is the default VFS's, as is, for a log and a database file. */
#define REAL(f)	(((struct wal_file *)(f))->real)

static int
fwd_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
fwd_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
fwd_check_reserved_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
fwd_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
fwd_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
fwd_shm_map(sqlite3_file *f, int region, int size, int extend,
	    void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, p);
}

static int
fwd_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
fwd_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
fwd_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
fwd_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	if (REAL(f)->pMethods->iVersion < 3)
		return SQLITE_OK;
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int
fwd_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}

static int
fwd_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}

static int
fwd_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
fwd_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
fwd_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
fwd_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
fwd_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	*p = NULL;
	if (REAL(f)->pMethods->iVersion < 3)
		return SQLITE_OK;
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, p);
}

static const sqlite3_io_methods wal_methods = {
	.iVersion = 3,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = fwd_lock,
	.xUnlock = fwd_unlock,
	.xCheckReservedLock = fwd_check_reserved_lock,
	.xFileControl = wal_file_control,
	.xSectorSize = fwd_sector_size,
	.xDeviceCharacteristics = fwd_device_characteristics,
	.xShmMap = fwd_shm_map,
	.xShmLock = fwd_shm_lock,
	.xShmBarrier = fwd_shm_barrier,
	.xShmUnmap = fwd_shm_unmap,
	.xFetch = wal_fetch,
	.xUnfetch = fwd_unfetch,
};

/* A database file: the default VFS's but for the lock above. */
static int
db_close(sqlite3_file *f)
{
	struct db_file *d = (struct db_file *)f, **dp;

	pthread_mutex_lock(&dbs_lock);
	for (dp = &dbs; *dp != NULL; dp = &(*dp)->next)
		if (*dp == d) {
			*dp = d->next;
			break;
		}
	if (d->wal != NULL)
		d->wal->db = NULL;
	pthread_mutex_unlock(&dbs_lock);
	return d->real->pMethods->xClose(d->real);
}

static int
db_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct db_file *d = (struct db_file *)f;
	int rc;

	rc = d->real->pMethods->xShmLock(d->real, offset, n, flags);
	if (offset <= WAL_WRITE_LOCK && offset + n > WAL_WRITE_LOCK &&
	    flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE) &&
	    d->wal != NULL) {
		d->wal->len = 0;
		d->wal->commit = 0;
	}
	return rc;
}

static const sqlite3_io_methods db_methods = {
	.iVersion = 3,
	.xClose = db_close,
	.xRead = fwd_read,
	.xWrite = fwd_write,
	.xTruncate = fwd_truncate,
	.xSync = fwd_sync,
	.xFileSize = fwd_file_size,
	.xLock = fwd_lock,
	.xUnlock = fwd_unlock,
	.xCheckReservedLock = fwd_check_reserved_lock,
	.xFileControl = fwd_file_control,
	.xSectorSize = fwd_sector_size,
	.xDeviceCharacteristics = fwd_device_characteristics,
	.xShmMap = fwd_shm_map,
	.xShmLock = db_shm_lock,
	.xShmBarrier = fwd_shm_barrier,
	.xShmUnmap = fwd_shm_unmap,
	.xFetch = fwd_fetch,
	.xUnfetch = fwd_unfetch,
};

/*
 * A database file and a log are wrapped; any other file is the default
 * VFS's own. A log is tied to its database by the name SQLite gave it,
 * which follows its database's in the same allocation; one with no
 * database found gathers nothing.
 */
static int
vfs_open(sqlite3_vfs *v, sqlite3_filename name, sqlite3_file *f, int flags,
	 int *out)
{
	struct wal_file *w = (struct wal_file *)f;
	struct db_file *d = (struct db_file *)f;
	const char *db;
	int rc;

	(void)v;
	if (name != NULL && (flags & SQLITE_OPEN_MAIN_DB)) {
		memset(d, 0, sizeof(*d));
		d->real = (sqlite3_file *)((char *)d + DB_FILE_SIZE);
		d->name = name;
		rc = orig->xOpen(orig, name, d->real, flags, out);
		/* Without methods the file is not open and never closed. */
		if (d->real->pMethods == NULL) {
			d->base.pMethods = NULL;
			return rc;
		}
		d->base.pMethods = &db_methods;
		pthread_mutex_lock(&dbs_lock);
		d->next = dbs;
		dbs = d;
		pthread_mutex_unlock(&dbs_lock);
		return rc;
	}
	if (name == NULL || !(flags & SQLITE_OPEN_WAL))
		return orig->xOpen(orig, name, f, flags, out);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)w + WAL_FILE_SIZE);
	rc = orig->xOpen(orig, name, w->real, flags, out);
	if (w->real->pMethods == NULL) {
		w->base.pMethods = NULL;
		return rc;
	}
	w->base.pMethods = &wal_methods;
	db = sqlite3_filename_database(name);
	pthread_mutex_lock(&dbs_lock);
	for (d = dbs; d != NULL; d = d->next)
		if (d->name == db && d->wal == NULL) {
			d->wal = w;
			w->db = d;
			break;
		}
	pthread_mutex_unlock(&dbs_lock);
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
	vfs.szOsFile = (int)(WAL_FILE_SIZE > DB_FILE_SIZE ? WAL_FILE_SIZE :
	    DB_FILE_SIZE) + orig->szOsFile;
	vfs.xOpen = vfs_open;
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
}

const char *
sqlite_vfs_name(void)
{
	pthread_once(&once, vfs_register);
	return registered ? VFS_NAME : NULL;
}
