/*
 * store_int.h - what the store's files share and nobody else sees: the
 * store_t itself, the statement cache, errors, transactions, and the
 * conversions between a Record and a row.
 *
 * The store is split by job: store.c (open, transactions, records),
 * store_sync.c (outbox, acks, pull, cursor, Welcome, summary),
 * store_import.c (CSV import log), store_schema.c (tables and migrations).
 * Internal non-static names start with store__.
 */
#ifndef THIDUA_CLIENT_STORE_INT_H
#define THIDUA_CLIENT_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include "defs.h"
#include "store.h"

/* Prepared statements kept for the life of the connection (see store__stmt). */
#define STORE_STMT_CACHE 48

struct store {
    sqlite3 *db; /* owned; closed by store_close */
    struct {
        const char *sql;    /* the key: a static string of one .c file */
        sqlite3_stmt *stmt; /* owned; finalized by store_close */
    } cache[STORE_STMT_CACHE];
    store_collate_fn collate; /* "VI" collation; NULL: byte order */
    store_fold_fn fold;       /* import keys; NULL: ASCII lowercase */
    char errmsg[256];
};

/*
 * The VFS every store is opened with (store_vfs.c): SQLite's default, with
 * the writes to the WAL gathered into large ones. NULL: SQLite's default.
 */
const char *store__vfs(void);

/* Where a revision came from, as stored in revisions.origin. */
enum { STORE_ORIGIN_LOCAL = 0, STORE_ORIGIN_SERVER = 1 };

/* Statuses after which the district can no longer change a record. */
bool store__status_final(int status);

/* Set the message of the last error and return rc (printf-style). */
int store__err(store_t *st, int rc, const char *fmt, ...) THIDUA_PRINTF(3, 4);
/* Map an SQLite result code to a store error, with sqlite3_errmsg() and what failed. */
int store__dberr(store_t *st, int sqlite_rc, const char *what);

/*
 * A statement for sql (a string literal of the caller, used as the cache key),
 * prepared on first use and reset for this use. The statement is the cache's:
 * do not finalize it; call sqlite3_reset() when done so that it holds no lock.
 */
THIDUA_MUSTCHECK int store__stmt(store_t *st, const char *sql, sqlite3_stmt **out);
/* Run SQL without results (BEGIN, SAVEPOINT, DDL). */
THIDUA_MUSTCHECK int store__exec(store_t *st, const char *sql);
/* Step a bound statement that returns no rows, then reset it. */
THIDUA_MUSTCHECK int store__step_done(store_t *st, sqlite3_stmt *s, const char *what);

/*
 * A unit of work: its own transaction (BEGIN IMMEDIATE) when the caller has
 * none, else a savepoint inside the caller's, so every write function is
 * atomic alone and composes inside store_begin()/store_commit().
 */
typedef struct {
    bool own; /* we began the transaction (else: a savepoint in the caller's) */
} store_tx_t;

THIDUA_MUSTCHECK int store__tx_begin(store_t *st, store_tx_t *tx);
/* Commit (rc >= 0) or roll back (rc < 0) what tx began; returns rc or the commit's error. */
THIDUA_MUSTCHECK int store__tx_end(store_t *st, store_tx_t *tx, int rc);

/* s is a lowercase UUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
bool store__is_uuid(const char *s);
/* A protobuf string field, NULL read as "". */
const char *store__str(const char *s);

/*
 * Serialize the content of rec (content fields, withdrawn, the given revision
 * and rec's hash; nothing server-set) into *buf (malloc'd, the caller frees).
 */
THIDUA_MUSTCHECK int store__pack_content(store_t *st, const Thidua__V1__Record *rec,
                                         uint32_t revision, uint8_t **buf, size_t *len);

/* Bind the 13 content text fields after id, then withdrawn, to parameters first..first+13. */
THIDUA_MUSTCHECK int store__bind_content(sqlite3_stmt *s, int first, const Thidua__V1__Record *rec);

/* Insert a records row with rec's content at revision (its server state empty). */
THIDUA_MUSTCHECK int store__insert_row(store_t *st, const Thidua__V1__Record *rec,
                                       uint32_t revision, int64_t now_ms);
/* Replace the content of an existing record with rec's, at revision. */
THIDUA_MUSTCHECK int store__write_content(store_t *st, const Thidua__V1__Record *rec,
                                          uint32_t revision, int64_t now_ms);

/* Append one revision to the history (revisions table); an existing one is kept. */
THIDUA_MUSTCHECK int store__add_revision(store_t *st, const char *id, int origin,
                                         const Thidua__V1__Record *rec, uint32_t revision,
                                         int64_t at_ms);

/*
 * Columns of a records row (alias r) in the order store__read_record() expects,
 * ending with the highest pending revision.
 */
#define STORE_RECORD_COLUMNS                                                                       \
    "r.id, r.campaign, r.org_unit, r.nominee_kind, r.nominee_name, r.birth_date, r.gender,"        \
    " r.position, r.workplace, r.title, r.summary, r.category, r.achieved_on, r.proposed_award,"   \
    " r.withdrawn, r.revision, r.content_hash, r.created_at_ms, r.edited_at_ms,"                   \
    " r.srv_revision, r.srv_status, r.srv_change_seq, r.srv_updated_at_ms,"                        \
    " r.dec_action, r.dec_revision, r.dec_reason, r.dec_at_ms,"                                    \
    " r.award_form, r.award_number, r.award_date, r.award_signer, r.award_issuer,"                 \
    " r.revoked_reason, r.revoked_number, r.revoked_date, r.revoked_signer, r.revoked_issuer,"     \
    " r.mark, r.mark_revision, r.mark_field, r.mark_message, r.mark_at_ms,"                        \
    " (SELECT max(o.revision) FROM outbox o WHERE o.record_id = r.id)"

/* The record's store_sync_t in SQL (alias r): pending wins over a refusal mark. */
#define STORE_SYNC_EXPR                                                                            \
    "(CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.id) THEN 1 ELSE r.mark END)"

/* Fill *r from the current row of a statement selecting store__record_columns. */
THIDUA_MUSTCHECK int store__read_record(store_t *st, sqlite3_stmt *s, store_record_t *r);
/* Free what store__read_record() allocated in *r (not r itself). */
void store__record_clear(store_record_t *r);

#endif
