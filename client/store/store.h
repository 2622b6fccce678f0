/*
 * store.h - the district client's local store: one SQLite file per office.
 *
 * Every command but `sync` works offline, so everything an officer needs
 * lives here: the district's records (the latest local content and the last
 * known server state of each), the outbox of revisions the server has not yet
 * acknowledged, the local history (every local revision, the server
 * revisions and decisions pulled), the feed cursor, the last Welcome (so that
 * `add` validates offline) and the CSV import log. docs/client-internals.md,
 * "Local store", explains the tables and the rules.
 *
 * Conventions
 * - Errors are negative TD_E* codes (error.h); store_errmsg() gives a sentence
 *   about the last one. Nothing here prints or logs.
 * - Time is passed in by the caller (Unix milliseconds) so that tests control it.
 * - Records go in and out as Thidua__V1__Record (the wire type): the store
 *   copies what it is given and never keeps a caller's pointer.
 * - One store_t is used by one thread. Several processes may open the same
 *   file (WAL): writers wait for each other up to the busy timeout.
 * - Every committed write is durable on return (synchronous=FULL): a record
 *   the officer added survives a power cut right after `add` returns.
 * - Each write function is atomic on its own; between store_begin() and
 *   store_commit() several of them form one transaction (CSV import).
 */
#ifndef THIDUA_CLIENT_STORE_H
#define THIDUA_CLIENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "defs.h"
#include "thidua.pb-c.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ENOMEM     out of memory
 *   TD_EDB        SQLite failed (I/O error, disk full, corrupt file): see store_errmsg
 *   TD_EBUSY      another process held the file longer than the busy timeout
 *   TD_ENOTFOUND  no such record (or no Welcome stored yet, no import key)
 *   TD_EAMBIGUOUS an id prefix matches more than one record
 *   TD_EINVAL     bad argument: id, hash length, revision, a changed org unit...
 *   TD_EEXISTS    a record with this id exists already
 *   TD_ELOCKED    the record is decided (or withdrawn): no more edits
 *   TD_ESTALE     the caller's revision is not the next one: re-read the record
 *   TD_EPROTO     a pulled page breaks the feed's promises (order, cursor)
 *   TD_ENEWER     the file was written by a newer thidua (schema version)
 *   TD_ENOTSTORE  the file is an SQLite database, but not a thidua store
 */

/* Length of a record id, a lowercase UUID "8-4-4-4-12", without the final NUL. */
#define STORE_ID_LEN 36
/* Shortest id prefix an officer may type (hex digits, dashes not counted). */
#define STORE_ID_PREFIX_MIN 8
/* Length of a content hash (SHA-256). */
#define STORE_HASH_LEN 32

/*
 * Where a record stands with the server, from the officer's point of view.
 * The refusal values equal Thidua__V1__RecordAck__Status: a refusal is kept
 * as the ack said it ("mark"), with the server's field and message, until the
 * officer edits the record again or a later revision is applied.
 */
typedef enum {
    STORE_SYNC_SYNCED = 0,   /* nothing waits and nothing was refused */
    STORE_SYNC_PENDING = 1,  /* a revision waits in the outbox */
    STORE_SYNC_STALE = 3,    /* the server held a newer revision */
    STORE_SYNC_CONFLICT = 4, /* the server holds this revision number with other content */
    STORE_SYNC_LOCKED = 5,   /* the record is decided on the server */
    STORE_SYNC_REJECTED = 6, /* invalid: mark_field and mark_message say why */
    STORE_SYNC_DENIED = 7,   /* the certificate may not write for the record's unit */
} store_sync_t;

/* Compare two NUL-terminated UTF-8 strings like strcmp (text_collate fits). */
typedef int (*store_collate_fn)(const char *a, const char *b);
/* Fold a name for comparison into a new string the caller frees (text_fold_key fits). */
typedef int (*store_fold_fn)(const char *in, size_t len, char **out);

typedef struct {
    /* Order of the SQL collation "VI" (list sorting). NULL: byte order. */
    store_collate_fn collate;
    /* Folding for CSV import keys. NULL: ASCII lowercase only (tests). */
    store_fold_fn fold;
    /* How long a write waits for another process holding the file; 0: 5000 ms. */
    int busy_timeout_ms;
    /*
     * For a long run of writes (sync): the page cache in KiB (0: SQLite's
     * 2 MiB) and the WAL pages written before a checkpoint copies them into
     * the file (0: SQLite's 1000). Each commit is as durable either way.
     */
    int cache_kib;
    int checkpoint_pages;
} store_options_t;

typedef struct store store_t;

/*
 * A record as the store knows it. `rec` holds the latest local content
 * (revision, content_hash, withdrawn included) and the last known server state
 * (status, change_seq, decision, award, updated_at_ms). Every pointer inside
 * points into this struct or its text block: free the whole with
 * store_record_free() (or nothing, for the borrowed ones handed to a
 * store_record_fn), never a member. Do not copy the struct: rec points into it.
 */
typedef struct {
    Thidua__V1__Record rec;
    Thidua__V1__Decision decision; /* rec.decision points here when there is one */
    Thidua__V1__Award award;       /* rec.award points here when there is one */
    Thidua__V1__AwardDecision award_by;
    Thidua__V1__AwardDecision revoked_by;
    uint8_t content_hash[STORE_HASH_LEN];
    uint32_t server_revision; /* highest revision the server holds, as last heard; 0: none */
    store_sync_t sync;
    uint32_t pending_revision; /* highest revision in the outbox; 0: none */
    int mark;                  /* Thidua__V1__RecordAck__Status of the refusal; 0: none */
    uint32_t mark_revision;    /* the revision refused */
    const char *mark_field;    /* "" when none */
    const char *mark_message;  /* "" when none */
    int64_t mark_at_ms;
    int64_t created_at_ms; /* when the record entered this store */
    int64_t edited_at_ms;  /* last local edit (or content taken from the server) */
    char *text;            /* owns every string above */
} store_record_t;

/* A page of outbox entries for one PushRequest. Owns its records. */
typedef struct {
    Thidua__V1__Record **records; /* n records, oldest first; PushRequest.records can point here */
    size_t n;
    int64_t last_seq; /* pass as `after_seq` to get the following page */
} store_batch_t;

#define STORE_BATCH_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

typedef enum {
    STORE_ORDER_NAME = 0, /* nominee name in the "VI" collation, then id */
    STORE_ORDER_CREATED,  /* oldest first */
} store_order_t;

/* Filters of store_list(); a negative number or NULL means "any". */
typedef struct {
    int status; /* Thidua__V1__Record__Status; 0 = not yet on the server */
    int sync;   /* store_sync_t */
    const char *category;
    const char *nominee_kind;
    store_order_t order;
} store_filter_t;

#define STORE_FILTER_ANY                                                                           \
    {                                                                                              \
        -1, -1, NULL, NULL, STORE_ORDER_NAME                                                       \
    }

/* What `thidua status` shows. Record counts by sync state do not overlap. */
typedef struct {
    uint64_t records;
    uint64_t outbox;  /* revisions waiting to be sent */
    uint64_t pending; /* records with a revision waiting */
    uint64_t refused; /* records with a refusal and nothing waiting: the sum below */
    uint64_t stale, conflict, locked, rejected, denied;
    uint64_t cursor;       /* last change_seq stored */
    int64_t last_sync_ms;  /* 0: never */
    int64_t welcome_at_ms; /* when the stored Welcome was received; 0: never */
} store_summary_t;

/* Called for each row of an iteration; any nonzero return stops it and is returned. */
typedef int (*store_record_fn)(void *ctx, const store_record_t *r);

typedef struct {
    uint32_t revision;
    bool from_server;                  /* pulled (another machine's edit, or the server's copy) */
    int64_t at_ms;                     /* when it was made (local) or pulled (server) */
    const Thidua__V1__Record *content; /* content fields, revision and hash only */
} store_revision_t;

typedef int (*store_revision_fn)(void *ctx, const store_revision_t *rev);
typedef int (*store_decision_fn)(void *ctx, const Thidua__V1__Decision *d);

/* --- errors ------------------------------------------------------------- */

/* A sentence about the last failure on st (never NULL; "" when none). */
const char *store_errmsg(const store_t *st);

/* --- open, close, transactions ------------------------------------------ */

/*
 * Open (creating if needed, with mode 0600: it holds personal data) the store
 * at path, switch it to WAL and bring its schema up to date. opt may be NULL.
 * On failure *out is NULL and err (if not NULL) holds a sentence.
 */
THIDUA_MUSTCHECK int store_open(const char *path, const store_options_t *opt, store_t **out,
                                char *err, size_t err_size);
/* Close; NULL is fine. A transaction left open is rolled back. */
void store_close(store_t *st);

/* Schema version this program writes (PRAGMA user_version). */
int store_schema_version(void);

/* One transaction around several writes. Waits for other writers up front. */
THIDUA_MUSTCHECK int store_begin(store_t *st);
THIDUA_MUSTCHECK int store_commit(store_t *st);
/* Roll back; a no-op when no transaction is open. */
int store_rollback(store_t *st);

/* --- records ------------------------------------------------------------ */

/*
 * Add a new record: revision 1 and an outbox entry. rec->id must be a
 * lowercase UUID, rec->content_hash 32 bytes, rec->revision 0 or 1,
 * rec->withdrawn false. Server-set fields are ignored.
 */
THIDUA_MUSTCHECK int store_record_insert(store_t *st, const Thidua__V1__Record *rec,
                                         int64_t now_ms);

/*
 * Store an edit as the next revision (max(local, server) + 1) with an outbox
 * entry, and clear a refusal mark. rec->revision 0 lets the store choose; any
 * other value must be that next revision (TD_ESTALE otherwise: someone
 * edited in between). Refused with TD_ELOCKED when the last known server
 * status is approved, rejected, awarded, revoked or withdrawn, or when the
 * record is withdrawn locally; read it with store_record_get() to say why.
 * The unit and the campaign cannot change (TD_EINVAL). A withdrawal is an
 * edit with rec->withdrawn set (store_record_withdraw).
 */
THIDUA_MUSTCHECK int store_record_update(store_t *st, const Thidua__V1__Record *rec,
                                         int64_t now_ms);

/* store_record_update() of a content with withdrawn set (TD_EINVAL if it is not). */
THIDUA_MUSTCHECK int store_record_withdraw(store_t *st, const Thidua__V1__Record *rec,
                                           int64_t now_ms);

/*
 * Find one record by its full id, or by a prefix of at least 8 hex digits
 * (case and dashes as typed). TD_ENOTFOUND, TD_EAMBIGUOUS (the prefix
 * matches several) or TD_EINVAL (not an id or too short). *out is freed
 * with store_record_free().
 */
THIDUA_MUSTCHECK int store_record_get(store_t *st, const char *id_or_prefix, store_record_t **out);
void store_record_free(store_record_t *r);

/*
 * Call fn for each record matching f (NULL: all), in f->order. The record is
 * borrowed: valid during the call only. fn may read the store, not write it.
 */
THIDUA_MUSTCHECK int store_list(store_t *st, const store_filter_t *f, store_record_fn fn,
                                void *ctx);

/* Local history of one record (full id): revisions oldest first, local before server. */
THIDUA_MUSTCHECK int store_history_revisions(store_t *st, const char *id, store_revision_fn fn,
                                             void *ctx);
/* The province decisions pulled for one record, oldest first. */
THIDUA_MUSTCHECK int store_history_decisions(store_t *st, const char *id, store_decision_fn fn,
                                             void *ctx);

/* --- outbox (push) ------------------------------------------------------ */

/*
 * Fill batch with at most max outbox entries (max >= 1) queued after
 * after_seq (0 for the oldest), oldest first, as records ready to push; one
 * attempt is counted for each. Only these are read into memory. batch->n == 0
 * means nothing is left. Clear the batch with store_batch_clear() before
 * reusing it.
 */
THIDUA_MUSTCHECK int store_outbox_next(store_t *st, int64_t after_seq, size_t max, int64_t now_ms,
                                       store_batch_t *batch);
void store_batch_clear(store_batch_t *batch);

/* Number of revisions in the outbox. */
THIDUA_MUSTCHECK int store_outbox_count(store_t *st, uint64_t *n);

/*
 * Apply the acks of a PushResponse in one transaction. Each ack removes the
 * outbox entry of exactly its (id, revision), never another revision of the
 * record: APPLIED and DUPLICATE record the server state (and settle a mark on
 * that revision or an older one); STALE, CONFLICT, LOCKED, REJECTED and
 * PERMISSION_DENIED also mark the record with the status, field and message.
 * After STALE, CONFLICT or LOCKED, when nothing else waits and the store
 * holds the server's content, the record shows the server's content (the
 * refused edit stays in the history). An ack that matches no entry, or has a
 * status this program does not know, changes nothing (the entry stays and is
 * sent again). Returns the number of entries removed, or an error.
 */
THIDUA_MUSTCHECK int store_outbox_ack(store_t *st, Thidua__V1__RecordAck *const *acks, size_t n,
                                      int64_t now_ms);

/* --- pull, cursor, Welcome, summary ------------------------------------- */

/*
 * Store a pulled page and its next_cursor in one transaction: either all of
 * it or nothing (the old cursor stays). For each change: record the server
 * state and the decision; take the server's content when its revision is
 * newer than the local one (another machine of the unit) and nothing local
 * is pending; a pending local revision is never overwritten. TD_EPROTO
 * when change_seq does not increase, or the cursor would go back.
 */
THIDUA_MUSTCHECK int store_pull_apply(store_t *st, const Thidua__V1__PullResponse *page,
                                      int64_t now_ms);

/* The cursor to send in the next PullRequest (0 at first). */
THIDUA_MUSTCHECK int store_cursor(store_t *st, uint64_t *cursor);

/* Remember that a sync finished successfully now. */
THIDUA_MUSTCHECK int store_sync_done(store_t *st, int64_t now_ms);

/*
 * Keep the last Welcome (campaign, units, limits) for offline validation.
 * Never hides a restored database: this is store_welcome_accept() without
 * its report (a Welcome naming another database epoch resyncs the store).
 */
THIDUA_MUSTCHECK int store_welcome_save(store_t *st, const Thidua__V1__Welcome *w, int64_t now_ms);

/*
 * Start over with a province database that was restored from a backup: the
 * feed cursor goes back to 0 (the next pull brings every change again, as
 * the restored database has them) and the latest revision of every record
 * the store holds enters the outbox again, so that the revisions the
 * restored database lost are sent again (the server answers DUPLICATE for
 * the others). Records whose latest revision already waits in the outbox
 * stay as they are; so do records whose latest content is a revision the
 * server refused (sending it again would only be refused again). A record
 * whose content came from the server (made on another computer of the unit)
 * is sent with that content. One transaction; nothing is read into memory.
 * *queued (may be NULL) is the number of records queued again.
 */
THIDUA_MUSTCHECK int store_resync(store_t *st, int64_t now_ms, uint64_t *queued);

/*
 * Keep the Welcome of a new connection (as store_welcome_save) after
 * comparing its database_epoch with the stored Welcome's. When both are
 * known and differ, the province's database is not the one of the last sync
 * (restored from a backup, or replaced): the store is resynced with
 * store_resync() in the same transaction as the save, and 1 is returned with
 * *queued (may be NULL) the records queued again. Otherwise 0, *queued 0.
 * A Welcome without an epoch (an older server) keeps the stored epoch, so
 * that a later Welcome is still compared with the last one known.
 */
THIDUA_MUSTCHECK int store_welcome_accept(store_t *st, const Thidua__V1__Welcome *w, int64_t now_ms,
                                          uint64_t *queued);
/*
 * The stored Welcome, or TD_ENOTFOUND before the first sync. Free *out with
 * thidua__v1__welcome__free_unpacked(*out, NULL).
 */
THIDUA_MUSTCHECK int store_welcome_load(store_t *st, Thidua__V1__Welcome **out);

THIDUA_MUSTCHECK int store_summary(store_t *st, store_summary_t *out);

/* --- CSV import log ----------------------------------------------------- */

/*
 * The natural key of a record for re-import: campaign, org unit, folded
 * nominee name, birth date, folded title and category, joined by U+001F.
 * Fields must be normalised already (NFC, trimmed). *key is freed by the caller.
 */
THIDUA_MUSTCHECK int store_import_key(const store_t *st, const Thidua__V1__Record *rec, char **key);
/* The id of the record imported under key into id[], or TD_ENOTFOUND. */
THIDUA_MUSTCHECK int store_import_find(store_t *st, const char *key, char id[STORE_ID_LEN + 1]);
/* Remember that line line_no of the file with file_hash made (or updated) record_id. */
THIDUA_MUSTCHECK int store_import_note(store_t *st, const char *key, const char *record_id,
                                       const uint8_t file_hash[STORE_HASH_LEN], uint32_t line_no,
                                       int64_t now_ms);
/* How many rows of the file with file_hash were imported before (0: a new file). */
THIDUA_MUSTCHECK int store_import_file_rows(store_t *st, const uint8_t file_hash[STORE_HASH_LEN],
                                            uint64_t *rows);

#endif
