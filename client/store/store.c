/*
 * store.c - the local store: opening the file, transactions, errors, and the
 * records the officer adds, edits, withdraws, finds and lists.
 *
 * Why these settings (see also docs/client-internals.md, "Local store"):
 * - WAL: `thidua list` may run while `thidua sync` writes; readers never
 *   wait for the writer, and writers wait for each other (busy_timeout).
 * - synchronous=FULL: in WAL mode NORMAL survives a crash of the program
 *   but may lose the last commits on a power cut, which is common enough in
 *   a district office. FULL syncs the WAL at every commit, so a record is
 *   on disk when `add` returns. CSV import and pull pages are one transaction
 *   each, so this costs one fsync per command, not per row.
 * - Write transactions begin IMMEDIATE: a deferred one that reads first and
 *   writes later can fail with SQLITE_BUSY at once, without waiting, when
 *   another process wrote in between.
 * - The file is created with mode 0600: it holds personal data.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"
#include "store_schema.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

#define SAME_AS_ACK(sync, ack) _Static_assert((int)(sync) == (int)(ack), #sync " = ack status")
SAME_AS_ACK(STORE_SYNC_STALE, THIDUA__V1__RECORD_ACK__STATUS__STALE);
SAME_AS_ACK(STORE_SYNC_CONFLICT, THIDUA__V1__RECORD_ACK__STATUS__CONFLICT);
SAME_AS_ACK(STORE_SYNC_LOCKED, THIDUA__V1__RECORD_ACK__STATUS__LOCKED);
SAME_AS_ACK(STORE_SYNC_REJECTED, THIDUA__V1__RECORD_ACK__STATUS__REJECTED);
SAME_AS_ACK(STORE_SYNC_DENIED, THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED);

/* --- errors ------------------------------------------------------------- */

const char *store_errmsg(const store_t *st)
{
    return st ? st->errmsg : "";
}

int store__err(store_t *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
    va_end(ap);
    return rc;
}

int store__dberr(store_t *st, int sqlite_rc, const char *what)
{
    const char *detail = sqlite3_errstr(sqlite_rc);
    if (st->db && sqlite3_extended_errcode(st->db) == sqlite_rc)
        detail = sqlite3_errmsg(st->db);

    switch (sqlite_rc & 0xff) {
    case SQLITE_NOMEM:
        return store__err(st, TD_ENOMEM, "%s: out of memory", what);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return store__err(st, TD_EBUSY,
                          "%s: the store is busy (another thidua is writing to it); try again",
                          what);
    case SQLITE_NOTADB:
        return store__err(st, TD_ENOTSTORE, "%s: the file is not a thidua store (%s)", what,
                          detail);
    default:
        return store__err(st, TD_EDB, "%s: %s", what, detail);
    }
}

/* --- statements, transactions -------------------------------------------- */

int store__stmt(store_t *st, const char *sql, sqlite3_stmt **out)
{
    size_t i;
    for (i = 0; i < STORE_STMT_CACHE && st->cache[i].sql; i++) {
        if (st->cache[i].sql == sql) {
            sqlite3_reset(st->cache[i].stmt);
            *out = st->cache[i].stmt;
            return TD_OK;
        }
    }
    if (i == STORE_STMT_CACHE)
        return store__err(st, TD_EINVAL, "statement cache full (raise STORE_STMT_CACHE)");
    int rc =
        sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->cache[i].stmt, NULL);
    if (rc != SQLITE_OK)
        return store__dberr(st, rc, "preparing a statement");
    st->cache[i].sql = sql;
    *out = st->cache[i].stmt;
    return TD_OK;
}

int store__exec(store_t *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TD_OK : store__dberr(st, rc, "store");
}

int store__step_done(store_t *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    while (rc == SQLITE_ROW) /* RETURNING rows nobody asked for */
        rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? TD_OK : store__dberr(st, rc, what);
}

int store__tx_begin(store_t *st, store_tx_t *tx)
{
    tx->own = sqlite3_get_autocommit(st->db) != 0;
    return store__exec(st, tx->own ? "BEGIN IMMEDIATE" : "SAVEPOINT store_op");
}

int store__tx_end(store_t *st, store_tx_t *tx, int rc)
{
    if (rc >= 0) {
        int c = store__exec(st, tx->own ? "COMMIT" : "RELEASE store_op");
        if (c == TD_OK)
            return rc;
        rc = c;
    }
    /*
     * Some errors (I/O, disk full) make SQLite roll the whole transaction back
     * by itself; then there is nothing left to undo here, and the caller's
     * store_commit() will report that its transaction is gone.
     */
    if (!sqlite3_get_autocommit(st->db)) {
        const char *undo = tx->own ? "ROLLBACK" : "ROLLBACK TO store_op; RELEASE store_op";
        (void)sqlite3_exec(st->db, undo, NULL, NULL, NULL);
    }
    return rc;
}

int store_begin(store_t *st)
{
    if (!sqlite3_get_autocommit(st->db))
        return store__err(st, TD_EINVAL, "a transaction is already open");
    return store__exec(st, "BEGIN IMMEDIATE");
}

int store_commit(store_t *st)
{
    if (sqlite3_get_autocommit(st->db))
        return store__err(st, TD_EDB,
                          "no transaction to commit (an earlier error rolled it back)");
    int rc = store__exec(st, "COMMIT");
    if (rc < 0 && !sqlite3_get_autocommit(st->db))
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int store_rollback(store_t *st)
{
    if (sqlite3_get_autocommit(st->db))
        return TD_OK;
    return store__exec(st, "ROLLBACK");
}

/* --- open, close --------------------------------------------------------- */

/*
 * The "VI" collation: the caller's comparison (ICU's Vietnamese order) on
 * NUL-terminated copies. Short names fit the stack buffers; should a long
 * one not get memory, byte order is the only answer a collation can give.
 */
static int collate_vi(void *arg, int la, const void *a, int lb, const void *b)
{
    const store_t *st = arg;
    size_t na = (size_t)la, nb = (size_t)lb;
    if (st->collate) {
        char sa[256], sb[256];
        char *pa = na < sizeof(sa) ? sa : malloc(na + 1);
        char *pb = nb < sizeof(sb) ? sb : malloc(nb + 1);
        int c = 0;
        bool ok = pa && pb;
        if (ok) {
            memcpy(pa, a, na);
            pa[na] = '\0';
            memcpy(pb, b, nb);
            pb[nb] = '\0';
            c = st->collate(pa, pb);
        }
        if (pa != sa)
            free(pa);
        if (pb != sb)
            free(pb);
        if (ok)
            return c;
    }
    int c = memcmp(a, b, na < nb ? na : nb);
    return c != 0 ? c : (na > nb) - (na < nb);
}

/*
 * Create the file if it does not exist, and make a new (empty) store private:
 * SQLite would create it with 0644 and the -wal and -shm files copy the
 * database file's mode. An existing store keeps the mode its owner gave it.
 *
 * An existing file is never opened here. Closing any descriptor of a file
 * drops every POSIX lock the process holds on it, so an open and close
 * beside another connection of this process (the console's pages and its
 * sync thread) would drop that connection's SHARED lock: another program
 * closing the store would then think itself the last, checkpoint and delete
 * the WAL, and the commits of this process after that would go to a deleted
 * file and be lost.
 */
static int create_private(const char *path, char *err, size_t err_size)
{
    struct stat sb;
    if (stat(path, &sb) == 0) {
        /* An empty file made beforehand becomes private by its path: no descriptor to close. */
        if (sb.st_size == 0 && (sb.st_mode & 0077) != 0 && chmod(path, 0600) != 0) {
            if (err)
                snprintf(err, err_size, "cannot make the store %s private: %s", path,
                         strerror(errno));
            return TD_EDB;
        }
        return TD_OK;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (err)
            snprintf(err, err_size, "cannot open the store %s: %s", path, strerror(errno));
        return TD_EDB;
    }
    int rc = fstat(fd, &sb);
    if (rc == 0 && sb.st_size == 0 && (sb.st_mode & 0077) != 0)
        rc = fchmod(fd, 0600);
    if (rc != 0 && err)
        snprintf(err, err_size, "cannot make the store %s private: %s", path, strerror(errno));
    close(fd);
    return rc == 0 ? TD_OK : TD_EDB;
}

/*
 * A sync touches records all over the file (ids are random), so with
 * SQLite's small cache most statements read their pages again, and a
 * checkpoint every 1000 WAL pages copies the same pages into the file over
 * and over. A bigger cache and a longer WAL between checkpoints cut both; the
 * WAL is still synced at every commit (synchronous = FULL).
 */
static int tune(store_t *st, const store_options_t *opt)
{
    if (!opt || (opt->cache_kib <= 0 && opt->checkpoint_pages <= 0))
        return TD_OK;
    char sql[96];
    int n = 0;
    /* PRAGMA values cannot be bound; both are the caller's integers. */
    if (opt->cache_kib > 0)
        n = snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d;", opt->cache_kib);
    if (opt->checkpoint_pages > 0)
        snprintf(sql + n, sizeof(sql) - (size_t)n, "PRAGMA wal_autocheckpoint = %d",
                 opt->checkpoint_pages);
    return store__exec(st, sql);
}

static int configure(store_t *st, const store_options_t *opt)
{
    int timeout = opt && opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, timeout);

    int rc = store_schema_check(st);
    if (rc < 0)
        return rc;

    /* journal_mode answers the mode it got: a file system without shared memory stays "delete". */
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        rc = store__dberr(st, src, "switching to WAL");
        sqlite3_finalize(s);
        return rc;
    }
    bool wal = strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
    sqlite3_finalize(s);
    if (!wal)
        return store__err(st, TD_EDB,
                          "the store's file system does not support WAL mode; "
                          "put the store on a local disk");

    rc = store__exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    if (rc < 0)
        return rc;
    rc = tune(st, opt);
    if (rc < 0)
        return rc;
    src = sqlite3_create_collation_v2(st->db, "VI", SQLITE_UTF8, st, collate_vi, NULL);
    if (src != SQLITE_OK)
        return store__dberr(st, src, "registering the VI collation");
    return store_schema_migrate(st);
}

int store_open(const char *path, const store_options_t *opt, store_t **out, char *err,
               size_t err_size)
{
    *out = NULL;
    if (err && err_size)
        err[0] = '\0';
    if (!path || !*path) {
        if (err)
            snprintf(err, err_size, "no store path given");
        return TD_EINVAL;
    }
    int rc = create_private(path, err, err_size);
    if (rc < 0)
        return rc;

    store_t *st = calloc(1, sizeof(*st));
    if (!st)
        return TD_ENOMEM;
    if (opt) {
        st->collate = opt->collate;
        st->fold = opt->fold;
    }
    int src = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                              store__vfs());
    if (src != SQLITE_OK)
        rc = store__dberr(st, src, "opening the store");
    else
        rc = configure(st, opt);
    if (rc < 0) {
        if (err)
            snprintf(err, err_size, "%s: %s", path, st->errmsg);
        store_close(st);
        return rc;
    }
    *out = st;
    return TD_OK;
}

void store_close(store_t *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < STORE_STMT_CACHE && st->cache[i].sql; i++)
        sqlite3_finalize(st->cache[i].stmt);
    if (st->db) {
        if (!sqlite3_get_autocommit(st->db))
            (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(st->db);
    }
    free(st);
}

/* --- conversions ---------------------------------------------------------- */

bool store__status_final(int status)
{
    switch (status) {
    case THIDUA__V1__RECORD__STATUS__APPROVED:
    case THIDUA__V1__RECORD__STATUS__REJECTED:
    case THIDUA__V1__RECORD__STATUS__WITHDRAWN:
    case THIDUA__V1__RECORD__STATUS__AWARDED:
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        return true;
    default:
        return false;
    }
}

static const char *status_name(int status)
{
    switch (status) {
    case THIDUA__V1__RECORD__STATUS__APPROVED:
        return "approved";
    case THIDUA__V1__RECORD__STATUS__REJECTED:
        return "rejected";
    case THIDUA__V1__RECORD__STATUS__WITHDRAWN:
        return "withdrawn";
    case THIDUA__V1__RECORD__STATUS__AWARDED:
        return "awarded";
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        return "revoked";
    default:
        return "decided";
    }
}

bool store__is_uuid(const char *s)
{
    if (!s || strlen(s) != STORE_ID_LEN)
        return false;
    for (size_t i = 0; i < STORE_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

const char *store__str(const char *s)
{
    return s ? s : "";
}

int store__pack_content(store_t *st, const Thidua__V1__Record *rec, uint32_t revision,
                        uint8_t **buf, size_t *len)
{
    Thidua__V1__Record c = THIDUA__V1__RECORD__INIT;
    c.id = (char *)store__str(rec->id);
    c.campaign = (char *)store__str(rec->campaign);
    c.org_unit = (char *)store__str(rec->org_unit);
    c.nominee_kind = (char *)store__str(rec->nominee_kind);
    c.nominee_name = (char *)store__str(rec->nominee_name);
    c.birth_date = (char *)store__str(rec->birth_date);
    c.gender = (char *)store__str(rec->gender);
    c.position = (char *)store__str(rec->position);
    c.workplace = (char *)store__str(rec->workplace);
    c.title = (char *)store__str(rec->title);
    c.summary = (char *)store__str(rec->summary);
    c.category = (char *)store__str(rec->category);
    c.achieved_on = (char *)store__str(rec->achieved_on);
    c.proposed_award = (char *)store__str(rec->proposed_award);
    c.withdrawn = rec->withdrawn;
    c.revision = revision;
    c.content_hash = rec->content_hash;

    size_t n = thidua__v1__record__get_packed_size(&c);
    *buf = malloc(n ? n : 1);
    if (!*buf)
        return store__err(st, TD_ENOMEM, "out of memory");
    *len = thidua__v1__record__pack(&c, *buf);
    return TD_OK;
}

int store__bind_content(sqlite3_stmt *s, int first, const Thidua__V1__Record *rec)
{
    const char *fields[] = {
        rec->campaign, rec->org_unit,    rec->nominee_kind,   rec->nominee_name, rec->birth_date,
        rec->gender,   rec->position,    rec->workplace,      rec->title,        rec->summary,
        rec->category, rec->achieved_on, rec->proposed_award,
    };
    int rc = SQLITE_OK;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(fields) && rc == SQLITE_OK; i++)
        rc = sqlite3_bind_text(s, first + (int)i, store__str(fields[i]), -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, first + (int)THIDUA_ARRAY_LEN(fields), rec->withdrawn ? 1 : 0);
    return rc;
}

static const char SQL_INSERT_ROW[] =
    "INSERT INTO records (id, campaign, org_unit, nominee_kind, nominee_name, birth_date, gender,"
    " position, workplace, title, summary, category, achieved_on, proposed_award, withdrawn,"
    " revision, content_hash, created_at_ms, edited_at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
    "?18)";

int store__insert_row(store_t *st, const Thidua__V1__Record *rec, uint32_t revision, int64_t now_ms)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_INSERT_ROW, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = store__bind_content(s, 2, rec);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 16, revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 17, rec->content_hash.data, (int)rec->content_hash.len,
                                SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 18, now_ms);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
        return store__err(st, TD_EEXISTS, "a record with id %s exists already", rec->id);
    return src == SQLITE_DONE ? TD_OK : store__dberr(st, src, "storing the record");
}

static const char SQL_WRITE_CONTENT[] =
    "UPDATE records SET campaign = ?2, org_unit = ?3, nominee_kind = ?4, nominee_name = ?5,"
    " birth_date = ?6, gender = ?7, position = ?8, workplace = ?9, title = ?10, summary = ?11,"
    " category = ?12, achieved_on = ?13, proposed_award = ?14, withdrawn = ?15, revision = ?16,"
    " content_hash = ?17, edited_at_ms = ?18 WHERE id = ?1";

int store__write_content(store_t *st, const Thidua__V1__Record *rec, uint32_t revision,
                         int64_t now_ms)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_WRITE_CONTENT, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = store__bind_content(s, 2, rec);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 16, revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 17, rec->content_hash.data, (int)rec->content_hash.len,
                                SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 18, now_ms);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the record");
    }
    return store__step_done(st, s, "storing the record");
}

static const char SQL_ADD_REVISION[] =
    "INSERT OR IGNORE INTO revisions (record_id, origin, revision, content_hash, content, at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

int store__add_revision(store_t *st, const char *id, int origin, const Thidua__V1__Record *rec,
                        uint32_t revision, int64_t at_ms)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = store__pack_content(st, rec, revision, &buf, &len);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s;
    rc = store__stmt(st, SQL_ADD_REVISION, &s);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    int src = sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 2, origin);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 3, revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 4, rec->content_hash.data, (int)rec->content_hash.len,
                                SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 5, buf, (int)len, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 6, at_ms);
    rc = src == SQLITE_OK ? store__step_done(st, s, "storing the history")
                          : store__dberr(st, src, "storing the history");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s); /* buf is freed below */
    free(buf);
    return rc;
}

/* Positions in STORE_RECORD_COLUMNS; 0..13 are the content texts, id first. */
enum {
    C_ID = 0,
    C_PROPOSED_AWARD = 13,
    C_WITHDRAWN,
    C_REVISION,
    C_HASH,
    C_CREATED,
    C_EDITED,
    C_SRV_REVISION,
    C_SRV_STATUS,
    C_SRV_CHANGE_SEQ,
    C_SRV_UPDATED,
    C_DEC_ACTION,
    C_DEC_REVISION,
    C_DEC_REASON,
    C_DEC_AT,
    C_AWARD_FORM,
    C_AWARD_NUMBER,
    C_AWARD_DATE,
    C_AWARD_SIGNER,
    C_AWARD_ISSUER,
    C_REVOKED_REASON,
    C_REVOKED_NUMBER,
    C_REVOKED_DATE,
    C_REVOKED_SIGNER,
    C_REVOKED_ISSUER,
    C_MARK,
    C_MARK_REVISION,
    C_MARK_FIELD,
    C_MARK_MESSAGE,
    C_MARK_AT,
    C_PENDING,
};

static bool is_text_column(int col)
{
    return col <= C_PROPOSED_AWARD || col == C_DEC_ACTION || col == C_DEC_REASON ||
           (col >= C_AWARD_FORM && col <= C_REVOKED_ISSUER) || col == C_MARK_FIELD ||
           col == C_MARK_MESSAGE;
}

/* Copy the text of column col to *cursor, advance it, and return the copy. */
static char *take_text(sqlite3_stmt *s, int col, char **cursor)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    char *dst = *cursor;
    if (t)
        memcpy(dst, t, n);
    else
        n = 0;
    dst[n] = '\0';
    *cursor = dst + n + 1;
    return dst;
}

int store__read_record(store_t *st, sqlite3_stmt *s, store_record_t *r)
{
    memset(r, 0, sizeof(*r));
    size_t total = 0;
    for (int col = 0; col <= C_PENDING; col++) {
        if (is_text_column(col)) {
            (void)sqlite3_column_text(s, col); /* convert first, then count */
            total += (size_t)sqlite3_column_bytes(s, col) + 1;
        }
    }
    char *cur = malloc(total);
    if (!cur)
        return store__err(st, TD_ENOMEM, "out of memory");
    r->text = cur;

    Thidua__V1__Record *rec = &r->rec;
    thidua__v1__record__init(rec);
    char **content[] = {
        &rec->id,           &rec->campaign,       &rec->org_unit, &rec->nominee_kind,
        &rec->nominee_name, &rec->birth_date,     &rec->gender,   &rec->position,
        &rec->workplace,    &rec->title,          &rec->summary,  &rec->category,
        &rec->achieved_on,  &rec->proposed_award,
    };
    for (int col = C_ID; col <= C_PROPOSED_AWARD; col++)
        *content[col] = take_text(s, col, &cur);
    rec->withdrawn = sqlite3_column_int(s, C_WITHDRAWN) != 0;
    rec->revision = (uint32_t)sqlite3_column_int64(s, C_REVISION);
    if (sqlite3_column_bytes(s, C_HASH) == STORE_HASH_LEN)
        memcpy(r->content_hash, sqlite3_column_blob(s, C_HASH), STORE_HASH_LEN);
    rec->content_hash.data = r->content_hash;
    rec->content_hash.len = STORE_HASH_LEN;
    r->created_at_ms = sqlite3_column_int64(s, C_CREATED);
    r->edited_at_ms = sqlite3_column_int64(s, C_EDITED);

    r->server_revision = (uint32_t)sqlite3_column_int64(s, C_SRV_REVISION);
    rec->status = (Thidua__V1__Record__Status)sqlite3_column_int(s, C_SRV_STATUS);
    rec->change_seq = (uint64_t)sqlite3_column_int64(s, C_SRV_CHANGE_SEQ);
    rec->updated_at_ms = sqlite3_column_int64(s, C_SRV_UPDATED);

    thidua__v1__decision__init(&r->decision);
    r->decision.action = take_text(s, C_DEC_ACTION, &cur);
    r->decision.revision = (uint32_t)sqlite3_column_int64(s, C_DEC_REVISION);
    r->decision.reason = take_text(s, C_DEC_REASON, &cur);
    r->decision.decided_at_ms = sqlite3_column_int64(s, C_DEC_AT);
    if (r->decision.action[0])
        rec->decision = &r->decision;

    thidua__v1__award__init(&r->award);
    thidua__v1__award_decision__init(&r->award_by);
    thidua__v1__award_decision__init(&r->revoked_by);
    r->award.form = take_text(s, C_AWARD_FORM, &cur);
    r->award_by.number = take_text(s, C_AWARD_NUMBER, &cur);
    r->award_by.date = take_text(s, C_AWARD_DATE, &cur);
    r->award_by.signer = take_text(s, C_AWARD_SIGNER, &cur);
    r->award_by.issuer = take_text(s, C_AWARD_ISSUER, &cur);
    r->award.revoked_reason = take_text(s, C_REVOKED_REASON, &cur);
    r->revoked_by.number = take_text(s, C_REVOKED_NUMBER, &cur);
    r->revoked_by.date = take_text(s, C_REVOKED_DATE, &cur);
    r->revoked_by.signer = take_text(s, C_REVOKED_SIGNER, &cur);
    r->revoked_by.issuer = take_text(s, C_REVOKED_ISSUER, &cur);
    if (r->award_by.number[0])
        r->award.decision = &r->award_by;
    if (r->revoked_by.number[0])
        r->award.revoked_by = &r->revoked_by;
    if (r->award.form[0] || r->award.revoked_reason[0])
        rec->award = &r->award;

    r->mark = sqlite3_column_int(s, C_MARK);
    r->mark_revision = (uint32_t)sqlite3_column_int64(s, C_MARK_REVISION);
    r->mark_field = take_text(s, C_MARK_FIELD, &cur);
    r->mark_message = take_text(s, C_MARK_MESSAGE, &cur);
    r->mark_at_ms = sqlite3_column_int64(s, C_MARK_AT);
    r->pending_revision = (uint32_t)sqlite3_column_int64(s, C_PENDING); /* NULL reads as 0 */

    if (r->pending_revision)
        r->sync = STORE_SYNC_PENDING;
    else if (r->mark)
        r->sync = (store_sync_t)r->mark;
    else
        r->sync = STORE_SYNC_SYNCED;
    return TD_OK;
}

void store__record_clear(store_record_t *r)
{
    free(r->text);
    r->text = NULL;
}

void store_record_free(store_record_t *r)
{
    if (!r)
        return;
    store__record_clear(r);
    free(r);
}

/* --- records: writes ------------------------------------------------------ */

static const char SQL_ENQUEUE[] =
    "INSERT INTO outbox (record_id, revision, content_hash, enqueued_at_ms)"
    " VALUES (?1, ?2, ?3, ?4)";

/* The revision enters the history and the outbox. */
static int enqueue(store_t *st, const Thidua__V1__Record *rec, uint32_t revision, int64_t now_ms)
{
    int rc = store__add_revision(st, rec->id, STORE_ORIGIN_LOCAL, rec, revision, now_ms);
    if (rc < 0)
        return rc;
    sqlite3_stmt *s;
    rc = store__stmt(st, SQL_ENQUEUE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 3, rec->content_hash.data, (int)rec->content_hash.len,
                                SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 4, now_ms);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "queueing the revision");
    }
    return store__step_done(st, s, "queueing the revision");
}

/* What every write of content checks first. */
static int check_content(store_t *st, const Thidua__V1__Record *rec)
{
    if (!rec)
        return store__err(st, TD_EINVAL, "no record given");
    if (!store__is_uuid(rec->id))
        return store__err(st, TD_EINVAL, "record id \"%.40s\" is not a lowercase UUID",
                          store__str(rec->id));
    if (rec->content_hash.len != STORE_HASH_LEN || !rec->content_hash.data)
        return store__err(st, TD_EINVAL, "content hash must be %d bytes, not %zu",
                          STORE_HASH_LEN, rec->content_hash.len);
    return TD_OK;
}

int store_record_insert(store_t *st, const Thidua__V1__Record *rec, int64_t now_ms)
{
    int rc = check_content(st, rec);
    if (rc < 0)
        return rc;
    if (rec->revision > 1)
        return store__err(st, TD_EINVAL, "a new record starts at revision 1, not %u",
                          rec->revision);
    if (rec->withdrawn)
        return store__err(st, TD_EINVAL, "a new record cannot be withdrawn");

    store_tx_t tx;
    rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    rc = store__insert_row(st, rec, 1, now_ms);
    if (rc == TD_OK)
        rc = enqueue(st, rec, 1, now_ms);
    return store__tx_end(st, &tx, rc);
}

static const char SQL_EDIT_STATE[] =
    "SELECT revision, srv_revision, srv_status, withdrawn, campaign, org_unit"
    " FROM records WHERE id = ?1";

static const char SQL_CLEAR_MARK[] =
    "UPDATE records SET mark = 0, mark_revision = 0, mark_field = '', mark_message = '',"
    " mark_at_ms = 0 WHERE id = ?1";

/* May rec become the next revision of its record? *next is that revision. */
static int check_edit(store_t *st, const Thidua__V1__Record *rec, uint32_t *next)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_EDIT_STATE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        sqlite3_reset(s);
        return store__err(st, TD_ENOTFOUND, "no record with id %s", rec->id);
    }
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return store__dberr(st, src, "reading the record");
    }
    sqlite3_int64 local = sqlite3_column_int64(s, 0);
    sqlite3_int64 server = sqlite3_column_int64(s, 1);
    int status = sqlite3_column_int(s, 2);
    bool withdrawn = sqlite3_column_int(s, 3) != 0;
    bool same_campaign =
        strcmp((const char *)sqlite3_column_text(s, 4), store__str(rec->campaign)) == 0;
    bool same_unit =
        strcmp((const char *)sqlite3_column_text(s, 5), store__str(rec->org_unit)) == 0;
    sqlite3_reset(s);

    if (store__status_final(status))
        return store__err(st, TD_ELOCKED,
                          "the record is %s on the server: it can no longer be changed",
                          status_name(status));
    if (withdrawn)
        return store__err(st, TD_ELOCKED,
                          "the record is withdrawn: it can no longer be changed");
    if (!same_campaign || !same_unit)
        return store__err(st, TD_EINVAL, "a record keeps its campaign and its unit");
    sqlite3_int64 n = (local > server ? local : server) + 1;
    if (n > UINT32_MAX)
        return store__err(st, TD_EINVAL, "the record has too many revisions");
    if (rec->revision != 0 && rec->revision != (uint32_t)n)
        return store__err(st, TD_ESTALE,
                          "the record changed meanwhile (next revision is %lld, not %u): "
                          "read it again",
                          (long long)n, rec->revision);
    *next = (uint32_t)n;
    return TD_OK;
}

int store_record_update(store_t *st, const Thidua__V1__Record *rec, int64_t now_ms)
{
    int rc = check_content(st, rec);
    if (rc < 0)
        return rc;
    store_tx_t tx;
    rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    uint32_t next = 0;
    rc = check_edit(st, rec, &next);
    if (rc == TD_OK)
        rc = store__write_content(st, rec, next, now_ms);
    if (rc == TD_OK) {
        /* The officer has acted on the refusal; the new revision gets its own answer. */
        sqlite3_stmt *s;
        rc = store__stmt(st, SQL_CLEAR_MARK, &s);
        if (rc == TD_OK) {
            int src = sqlite3_bind_text(s, 1, rec->id, -1, SQLITE_STATIC);
            rc = src == SQLITE_OK ? store__step_done(st, s, "storing the record")
                                  : store__dberr(st, src, "storing the record");
        }
    }
    if (rc == TD_OK)
        rc = enqueue(st, rec, next, now_ms);
    return store__tx_end(st, &tx, rc);
}

int store_record_withdraw(store_t *st, const Thidua__V1__Record *rec, int64_t now_ms)
{
    if (!rec || !rec->withdrawn)
        return store__err(st, TD_EINVAL, "a withdrawal has the withdrawn flag set");
    return store_record_update(st, rec, now_ms);
}

/* --- records: reads --------------------------------------------------------- */

static const char SQL_GET_EXACT[] =
    "SELECT " STORE_RECORD_COLUMNS " FROM records r WHERE r.id = ?1";
static const char SQL_GET_RANGE[] =
    "SELECT " STORE_RECORD_COLUMNS " FROM records r WHERE r.id >= ?1 AND r.id < ?2"
    " ORDER BY r.id LIMIT 2";

/*
 * An id as officers type it (any case, dashes anywhere or none) rewritten as
 * the start of a canonical id: lowercase hex with dashes at 8, 13, 18, 23.
 */
static int canonical_prefix(store_t *st, const char *in, char out[STORE_ID_LEN + 1],
                            size_t *hex_digits)
{
    size_t n = 0, hex = 0;
    for (const char *p = in; *p; p++) {
        char c = *p;
        if (c == '-')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || hex == 32)
            return store__err(st, TD_EINVAL, "\"%.40s\" is not a record id", in);
        if (n == 8 || n == 13 || n == 18 || n == 23)
            out[n++] = '-';
        out[n++] = c;
        hex++;
    }
    out[n] = '\0';
    *hex_digits = hex;
    if (hex < STORE_ID_PREFIX_MIN)
        return store__err(st, TD_EINVAL, "an id prefix needs at least %d hex digits",
                          STORE_ID_PREFIX_MIN);
    return TD_OK;
}

int store_record_get(store_t *st, const char *id_or_prefix, store_record_t **out)
{
    *out = NULL;
    char prefix[STORE_ID_LEN + 1], upper[STORE_ID_LEN + 1];
    size_t hex = 0;
    int rc = canonical_prefix(st, store__str(id_or_prefix), prefix, &hex);
    if (rc < 0)
        return rc;

    sqlite3_stmt *s;
    rc = store__stmt(st, hex == 32 ? SQL_GET_EXACT : SQL_GET_RANGE, &s);
    if (rc < 0)
        return rc;
    /* Every id starting with prefix sorts in [prefix, prefix with its last byte + 1). */
    size_t plen = strlen(prefix);
    memcpy(upper, prefix, plen + 1);
    upper[plen - 1]++;
    int src = sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
    if (src == SQLITE_OK && hex != 32)
        src = sqlite3_bind_text(s, 2, upper, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        sqlite3_reset(s);
        return store__err(st, TD_ENOTFOUND, "no record with id %s%s", prefix,
                          hex == 32 ? "" : "...");
    }
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return store__dberr(st, src, "reading the record");
    }
    store_record_t *r = malloc(sizeof(*r));
    if (!r) {
        sqlite3_reset(s);
        return store__err(st, TD_ENOMEM, "out of memory");
    }
    rc = store__read_record(st, s, r);
    if (rc == TD_OK && hex != 32) {
        src = sqlite3_step(s);
        if (src == SQLITE_ROW)
            rc =
                store__err(st, TD_EAMBIGUOUS,
                           "the id prefix %s matches several records: type more of the id", prefix);
        else if (src != SQLITE_DONE)
            rc = store__dberr(st, src, "reading the record");
    }
    sqlite3_reset(s);
    if (rc < 0) {
        store_record_free(r);
        return rc;
    }
    *out = r;
    return TD_OK;
}

int store_list(store_t *st, const store_filter_t *f, store_record_fn fn, void *ctx)
{
    static const store_filter_t any = STORE_FILTER_ANY;
    if (!f)
        f = &any;
    char sql[2048];
    int len = snprintf(sql, sizeof(sql),
                       "SELECT " STORE_RECORD_COLUMNS " FROM records r WHERE 1%s%s%s%s ORDER BY %s",
                       f->status >= 0 ? " AND r.srv_status = ?1" : "",
                       f->sync >= 0 ? " AND " STORE_SYNC_EXPR " = ?2" : "",
                       f->category ? " AND r.category = ?3" : "",
                       f->nominee_kind ? " AND r.nominee_kind = ?4" : "",
                       f->order == STORE_ORDER_CREATED ? "r.created_at_ms, r.id"
                                                       : "r.nominee_name COLLATE VI, r.id");
    if (len < 0 || (size_t)len >= sizeof(sql))
        return store__err(st, TD_EINVAL, "list query too long");

    /* Prepared per call: fn may call other store functions, which use the cache. */
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (src == SQLITE_OK && f->status >= 0)
        src = sqlite3_bind_int(s, 1, f->status);
    if (src == SQLITE_OK && f->sync >= 0)
        src = sqlite3_bind_int(s, 2, f->sync);
    if (src == SQLITE_OK && f->category)
        src = sqlite3_bind_text(s, 3, f->category, -1, SQLITE_STATIC);
    if (src == SQLITE_OK && f->nominee_kind)
        src = sqlite3_bind_text(s, 4, f->nominee_kind, -1, SQLITE_STATIC);
    if (src != SQLITE_OK) {
        sqlite3_finalize(s);
        return store__dberr(st, src, "listing records");
    }
    int rc = TD_OK;
    while (rc == TD_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        store_record_t r;
        rc = store__read_record(st, s, &r);
        if (rc == TD_OK) {
            rc = fn(ctx, &r);
            store__record_clear(&r);
        }
    }
    if (rc == TD_OK && src != SQLITE_DONE)
        rc = store__dberr(st, src, "listing records");
    sqlite3_finalize(s);
    return rc;
}

int store_history_revisions(store_t *st, const char *id, store_revision_fn fn, void *ctx)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT origin, revision, at_ms, content FROM revisions"
                                 " WHERE record_id = ?1 ORDER BY revision, origin",
                                 -1, &s, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 1, store__str(id), -1, SQLITE_STATIC);
    if (src != SQLITE_OK) {
        sqlite3_finalize(s);
        return store__dberr(st, src, "reading the history");
    }
    int rc = TD_OK;
    while (rc == TD_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        Thidua__V1__Record *content = thidua__v1__record__unpack(
            NULL, (size_t)sqlite3_column_bytes(s, 3), sqlite3_column_blob(s, 3));
        if (!content) {
            rc = store__err(st, TD_EDB, "a revision of %s in the history cannot be read", id);
            break;
        }
        store_revision_t rev = {
            .revision = (uint32_t)sqlite3_column_int64(s, 1),
            .from_server = sqlite3_column_int(s, 0) == STORE_ORIGIN_SERVER,
            .at_ms = sqlite3_column_int64(s, 2),
            .content = content,
        };
        rc = fn(ctx, &rev);
        thidua__v1__record__free_unpacked(content, NULL);
    }
    if (rc == TD_OK && src != SQLITE_DONE)
        rc = store__dberr(st, src, "reading the history");
    sqlite3_finalize(s);
    return rc;
}

int store_history_decisions(store_t *st, const char *id, store_decision_fn fn, void *ctx)
{
    sqlite3_stmt *s = NULL;
    int src = sqlite3_prepare_v2(st->db,
                                 "SELECT action, revision, reason, decided_at_ms FROM decisions"
                                 " WHERE record_id = ?1 ORDER BY decided_at_ms, change_seq",
                                 -1, &s, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 1, store__str(id), -1, SQLITE_STATIC);
    if (src != SQLITE_OK) {
        sqlite3_finalize(s);
        return store__dberr(st, src, "reading the decisions");
    }
    int rc = TD_OK;
    while (rc == TD_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        Thidua__V1__Decision d = THIDUA__V1__DECISION__INIT;
        d.action = (char *)sqlite3_column_text(s, 0);
        d.revision = (uint32_t)sqlite3_column_int64(s, 1);
        d.reason = (char *)sqlite3_column_text(s, 2);
        d.decided_at_ms = sqlite3_column_int64(s, 3);
        rc = fn(ctx, &d);
    }
    if (rc == TD_OK && src != SQLITE_DONE)
        rc = store__dberr(st, src, "reading the decisions");
    sqlite3_finalize(s);
    return rc;
}
