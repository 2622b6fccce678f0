/*
 * store_vfs.c - an SQLite VFS over the default one that gathers the writes
 * to the write-ahead log into large ones.
 *
 * SQLite writes each WAL frame with two pwrite calls (a 24-byte header, then
 * the page), so a commit of 1,000 pages costs 2,000 system calls before its
 * fsync. Here consecutive writes to the WAL collect in a buffer that goes to
 * the file in one pwrite when it is full, when a write does not follow the
 * last one, and before anything that must see the file as written: a sync,
 * a read, the size, a truncation, a memory map, a file control, a lock
 * change, the close. The database file is treated the same way: in WAL mode
 * it is written only by checkpoints, which copy pages in ascending order and
 * sync the file before the WAL may be reused.
 *
 * Durability is unchanged: SQLite counts a commit as done only when the sync
 * of the WAL returns, and the buffer is written before that sync. Other
 * connections see a commit only after that sync too (synchronous = FULL
 * syncs before the commit enters the WAL index). A crash loses only frames of
 * a transaction that had not committed, as it would without the buffer.
 * Journals, temporary files and the shared memory go straight through.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

#define STORE_VFS_NAME "thidua-walbuf"
/*
 * Bytes gathered before a write: about 30 frames of a 4 KiB page. The Unix
 * VFS writes at most 128 KiB - 1 in one call (it masks the length with
 * 0x1ffff), so one write of the buffer must stay below that.
 */
#define STORE_VFS_BUF (124 * 1024)

/* An open file: ours, followed in the same block by the real VFS's. */
typedef struct {
    sqlite3_file base;  /* our methods */
    sqlite3_file *real; /* the default VFS's file, right after this struct */
    unsigned char *buf; /* owned; NULL for files written straight through */
    sqlite3_int64 buf_at; /* file offset of buf[0] */
    size_t buf_len;
} vfs_file_t;

static sqlite3_vfs vfs_self;
static sqlite3_io_methods vfs_methods;

static sqlite3_vfs *vfs_real(void)
{
    return vfs_self.pAppData;
}

/* Write what the buffer holds; the file is then as SQLite believes it is. */
static int vfs_flush(vfs_file_t *f)
{
    if (f->buf_len == 0)
        return SQLITE_OK;
    int rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->buf_len, f->buf_at);
    f->buf_len = 0;
    return rc;
}

static int vfs_close(sqlite3_file *file)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    int crc = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : crc;
}

static int vfs_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, n, off);
}

static int vfs_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    vfs_file_t *f = (vfs_file_t *)file;
    if (f->buf == NULL || n <= 0 || (size_t)n > STORE_VFS_BUF)
        goto direct;
    if (f->buf_len > 0 && (off != f->buf_at + (sqlite3_int64)f->buf_len ||
                           f->buf_len + (size_t)n > STORE_VFS_BUF)) {
        int rc = vfs_flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->buf_len == 0)
        f->buf_at = off;
    memcpy(f->buf + f->buf_len, data, (size_t)n);
    f->buf_len += (size_t)n;
    return SQLITE_OK;

direct:;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, n, off);
}

static int vfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int vfs_sync(sqlite3_file *file, int flags)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int vfs_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

/* Another process may read the file once the lock changes: it must see every write. */
static int vfs_lock(sqlite3_file *file, int level)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int vfs_unlock(sqlite3_file *file, int level)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int vfs_check_lock(sqlite3_file *file, int *out)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int vfs_file_control(sqlite3_file *file, int op, void *arg)
{
    vfs_file_t *f = (vfs_file_t *)file;
    int rc = vfs_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int vfs_sector_size(sqlite3_file *file)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int vfs_device(sqlite3_file *file)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* The methods of version 3 exist only if the real file has them (the Unix VFS does). */
static bool vfs_v3(const vfs_file_t *f)
{
    return f->real->pMethods->iVersion >= 3;
}

static int vfs_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
    vfs_file_t *f = (vfs_file_t *)file;
    if (!vfs_v3(f))
        return SQLITE_IOERR_SHMMAP;
    return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int vfs_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return vfs_v3(f) ? f->real->pMethods->xShmLock(f->real, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}

static void vfs_shm_barrier(sqlite3_file *file)
{
    vfs_file_t *f = (vfs_file_t *)file;
    if (vfs_v3(f))
        f->real->pMethods->xShmBarrier(f->real);
}

static int vfs_shm_unmap(sqlite3_file *file, int del)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return vfs_v3(f) ? f->real->pMethods->xShmUnmap(f->real, del) : SQLITE_OK;
}

static int vfs_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **out)
{
    vfs_file_t *f = (vfs_file_t *)file;
    *out = NULL;
    int rc = vfs_flush(f);
    if (rc != SQLITE_OK || !vfs_v3(f))
        return rc; /* no map: SQLite reads instead */
    return f->real->pMethods->xFetch(f->real, off, n, out);
}

static int vfs_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    vfs_file_t *f = (vfs_file_t *)file;
    return vfs_v3(f) ? f->real->pMethods->xUnfetch(f->real, off, p) : SQLITE_OK;
}

static int vfs_open(sqlite3_vfs *self, const char *name, sqlite3_file *file, int flags,
                    int *out_flags)
{
    (void)self;
    vfs_file_t *f = (vfs_file_t *)file;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    int rc = vfs_real()->xOpen(vfs_real(), name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        /* SQLite calls xClose only when pMethods is set; the real file is not open. */
        f->base.pMethods = NULL;
        return rc;
    }
    if ((flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0) {
        f->buf = malloc(STORE_VFS_BUF);
        if (f->buf == NULL) {
            f->real->pMethods->xClose(f->real);
            return SQLITE_NOMEM;
        }
    }
    f->base.pMethods = &vfs_methods;
    return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *self, const char *name, int dir_sync)
{
    (void)self;
    return vfs_real()->xDelete(vfs_real(), name, dir_sync);
}

static int vfs_access(sqlite3_vfs *self, const char *name, int flags, int *out)
{
    (void)self;
    return vfs_real()->xAccess(vfs_real(), name, flags, out);
}

static int vfs_full_path(sqlite3_vfs *self, const char *name, int n, char *out)
{
    (void)self;
    return vfs_real()->xFullPathname(vfs_real(), name, n, out);
}

static int vfs_randomness(sqlite3_vfs *self, int n, char *out)
{
    (void)self;
    return vfs_real()->xRandomness(vfs_real(), n, out);
}

static int vfs_sleep(sqlite3_vfs *self, int us)
{
    (void)self;
    return vfs_real()->xSleep(vfs_real(), us);
}

static int vfs_current_time(sqlite3_vfs *self, double *out)
{
    (void)self;
    return vfs_real()->xCurrentTime(vfs_real(), out);
}

static int vfs_last_error(sqlite3_vfs *self, int n, char *out)
{
    (void)self;
    return vfs_real()->xGetLastError(vfs_real(), n, out);
}

static int vfs_current_time64(sqlite3_vfs *self, sqlite3_int64 *out)
{
    (void)self;
    return vfs_real()->xCurrentTimeInt64(vfs_real(), out);
}

static const char *vfs_name; /* STORE_VFS_NAME once registered; NULL: SQLite's own VFS */
static pthread_once_t vfs_once = PTHREAD_ONCE_INIT;

static void vfs_register(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    /* The default VFS of every Unix build; without it, SQLite's own is used as is. */
    if (real == NULL || real->iVersion < 2 || real->xCurrentTimeInt64 == NULL)
        return;
    vfs_methods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = vfs_close,
        .xRead = vfs_read,
        .xWrite = vfs_write,
        .xTruncate = vfs_truncate,
        .xSync = vfs_sync,
        .xFileSize = vfs_file_size,
        .xLock = vfs_lock,
        .xUnlock = vfs_unlock,
        .xCheckReservedLock = vfs_check_lock,
        .xFileControl = vfs_file_control,
        .xSectorSize = vfs_sector_size,
        .xDeviceCharacteristics = vfs_device,
        .xShmMap = vfs_shm_map,
        .xShmLock = vfs_shm_lock,
        .xShmBarrier = vfs_shm_barrier,
        .xShmUnmap = vfs_shm_unmap,
        .xFetch = vfs_fetch,
        .xUnfetch = vfs_unfetch,
    };
    vfs_self = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(vfs_file_t) + real->szOsFile,
        .mxPathname = real->mxPathname,
        .zName = STORE_VFS_NAME,
        .pAppData = real,
        .xOpen = vfs_open,
        .xDelete = vfs_delete,
        .xAccess = vfs_access,
        .xFullPathname = vfs_full_path,
        .xRandomness = vfs_randomness,
        .xSleep = vfs_sleep,
        .xCurrentTime = vfs_current_time,
        .xGetLastError = vfs_last_error,
        .xCurrentTimeInt64 = vfs_current_time64,
    };
    if (sqlite3_vfs_register(&vfs_self, 0) == SQLITE_OK)
        vfs_name = STORE_VFS_NAME;
}

const char *store__vfs(void)
{
    (void)pthread_once(&vfs_once, vfs_register);
    return vfs_name;
}
