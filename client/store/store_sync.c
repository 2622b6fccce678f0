/*
 * store_sync.c - the store's side of `thidua sync`: the outbox read page by
 * page, acks applied, pulled pages stored with their cursor, the last
 * Welcome, and the summary `thidua status` prints.
 *
 * The rules that keep the sync exactly-once (sync.md, docs/protocol.md):
 * - An outbox entry goes away only on an ack for exactly its (id, revision).
 *   A connection that breaks before the acks leaves the entries in place and
 *   the next sync sends them again; the server answers DUPLICATE.
 * - A refusal (STALE, CONFLICT, LOCKED, REJECTED, PERMISSION_DENIED) also
 *   removes the entry, so it is not resent forever, and leaves a mark on the
 *   record with the server's field and message for the officer.
 * - A pulled page and its next_cursor are stored in one transaction: a crash
 *   or an error mid-page keeps the old cursor, and the page comes again.
 * - Pulled content never overwrites a revision that waits in the outbox.
 *   Each Change carries the record as the server holds it now; when the
 *   server's revision is newer than the local one and nothing waits, the
 *   local content becomes the server's (another machine of the same unit
 *   edited it). The server's revisions are kept in the history, so a refused
 *   local edit can still be shown next to what the server kept.
 * - All of the above are promises about one history of the province's
 *   database. When it is restored from a backup (Welcome.database_epoch
 *   changes, or a pull answers cursor_ahead), the store starts over
 *   (store_resync): cursor 0, and every record's latest revision back in the
 *   outbox, so that what the restored database lost is sent again.
 */
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_int.h"

/* --- outbox --------------------------------------------------------------- */

/*
 * An entry's content is the revision of that number and hash: the local one,
 * or the server's when the record's content came from the server (made on
 * another computer, or taken after a conflict) and a resync queued it again.
 * The local row of that number, whatever its hash, is the last resort, as it
 * always was. coalesce() stops at the first that exists.
 */
static const char SQL_OUTBOX_PAGE[] =
    "SELECT o.seq, o.record_id, o.revision, coalesce("
    "  (SELECT v.content FROM revisions v WHERE v.record_id = o.record_id AND v.origin = 0"
    "    AND v.revision = o.revision AND v.content_hash = o.content_hash),"
    "  (SELECT v.content FROM revisions v WHERE v.record_id = o.record_id AND v.origin = 1"
    "    AND v.revision = o.revision AND v.content_hash = o.content_hash),"
    "  (SELECT v.content FROM revisions v WHERE v.record_id = o.record_id AND v.origin = 0"
    "    AND v.revision = o.revision))"
    " FROM outbox o WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2";
static const char SQL_OUTBOX_ATTEMPT[] =
    "UPDATE outbox SET attempts = attempts + 1, last_attempt_ms = ?3"
    " WHERE seq > ?1 AND seq <= ?2";

void store_batch_clear(store_batch_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        thidua__v1__record__free_unpacked(b->records[i], NULL);
    free(b->records);
    b->records = NULL;
    b->n = 0;
}

/* Append one record to the batch, growing its array by doubling up to max. */
static int batch_push(store_t *st, store_batch_t *b, size_t *cap, size_t max,
                      Thidua__V1__Record *rec)
{
    if (b->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        if (ncap > max)
            ncap = max;
        Thidua__V1__Record **p = realloc(b->records, ncap * sizeof(*p));
        if (!p)
            return store__err(st, TD_ENOMEM, "out of memory");
        b->records = p;
        *cap = ncap;
    }
    b->records[b->n++] = rec;
    return TD_OK;
}

static int outbox_page(store_t *st, int64_t after, size_t max, store_batch_t *b)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_OUTBOX_PAGE, &s);
    if (rc < 0)
        return rc;
    sqlite3_int64 limit = max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max;
    int src = sqlite3_bind_int64(s, 1, after);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, limit);
    size_t cap = 0;
    while (rc == TD_OK && src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
            rc = store__err(
                st, TD_EDB, "outbox entry %s revision %lld has no content (damaged store)",
                (const char *)sqlite3_column_text(s, 1), (long long)sqlite3_column_int64(s, 2));
            break;
        }
        Thidua__V1__Record *rec = thidua__v1__record__unpack(
            NULL, (size_t)sqlite3_column_bytes(s, 3), sqlite3_column_blob(s, 3));
        if (!rec) {
            rc = store__err(st, TD_EDB, "outbox entry %s cannot be read (damaged store)",
                            (const char *)sqlite3_column_text(s, 1));
            break;
        }
        rc = batch_push(st, b, &cap, max, rec);
        if (rc < 0)
            thidua__v1__record__free_unpacked(rec, NULL);
        else
            b->last_seq = sqlite3_column_int64(s, 0);
        src = SQLITE_OK;
    }
    if (rc == TD_OK && src != SQLITE_DONE)
        rc = store__dberr(st, src, "reading the outbox");
    sqlite3_reset(s);
    return rc;
}

int store_outbox_next(store_t *st, int64_t after_seq, size_t max, int64_t now_ms, store_batch_t *b)
{
    b->records = NULL;
    b->n = 0;
    b->last_seq = after_seq;
    if (max == 0)
        return store__err(st, TD_EINVAL, "a batch holds at least one record");

    store_tx_t tx;
    int rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    rc = outbox_page(st, after_seq, max, b);
    if (rc == TD_OK && b->n > 0) {
        sqlite3_stmt *s;
        rc = store__stmt(st, SQL_OUTBOX_ATTEMPT, &s);
        if (rc == TD_OK) {
            int src = sqlite3_bind_int64(s, 1, after_seq);
            if (src == SQLITE_OK)
                src = sqlite3_bind_int64(s, 2, b->last_seq);
            if (src == SQLITE_OK)
                src = sqlite3_bind_int64(s, 3, now_ms);
            rc = src == SQLITE_OK ? store__step_done(st, s, "counting the attempt")
                                  : store__dberr(st, src, "counting the attempt");
        }
    }
    rc = store__tx_end(st, &tx, rc);
    if (rc < 0) {
        store_batch_clear(b);
        b->last_seq = after_seq;
    }
    return rc;
}

static int count_query(store_t *st, const char *sql, uint64_t *n)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return src == SQLITE_ROW ? TD_OK : store__dberr(st, src, "counting");
}

static const char SQL_OUTBOX_COUNT[] = "SELECT count(*) FROM outbox";

int store_outbox_count(store_t *st, uint64_t *n)
{
    return count_query(st, SQL_OUTBOX_COUNT, n);
}

/* --- taking the server's content ------------------------------------------ */

static const char SQL_ADOPT_STATE[] =
    "SELECT r.revision, r.content_hash, r.srv_revision, r.srv_hash,"
    " EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.id), v.content, r.mark"
    " FROM records r LEFT JOIN revisions v ON v.record_id = r.id AND v.origin = 1"
    "  AND v.revision = r.srv_revision"
    " WHERE r.id = ?1";

/*
 * Whether the server's latest revision is the content that counts: a higher
 * revision (another machine's edit), the same number with other content (a
 * conflict the server resolved its way), or any other content once the
 * record is locked.
 */
static bool server_counts(int64_t local, int64_t server, bool same_hash, bool locked)
{
    return server > local || (server == local && !same_hash) ||
           (locked && server > 0 && !same_hash);
}

/* Whether columns a and b (two hashes, either may be NULL) of the current row hold the same bytes. */
static bool same_blobs(sqlite3_stmt *s, int a, int b)
{
    int n = sqlite3_column_bytes(s, a);
    return n == sqlite3_column_bytes(s, b) &&
           (n == 0 || memcmp(sqlite3_column_blob(s, a), sqlite3_column_blob(s, b), (size_t)n) == 0);
}

/*
 * Make the server's latest known revision the local content when no local
 * revision waits to be sent and the server's is the one that counts: a
 * higher revision (another machine's edit), the same number with other
 * content (a conflict the server resolved its way), or any other content
 * once the record is locked (the officer's refused edit is not what the
 * province decided on). The refused edit stays in the history. Needs the
 * server's content in the history; without it, the next pull brings it.
 */
static int adopt_server(store_t *st, const char *id, int64_t now_ms)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_ADOPT_STATE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return src == SQLITE_DONE ? TD_OK : store__dberr(st, src, "reading the record");
    }
    sqlite3_int64 local = sqlite3_column_int64(s, 0);
    sqlite3_int64 server = sqlite3_column_int64(s, 2);
    bool pending = sqlite3_column_int(s, 4) != 0;
    bool locked = sqlite3_column_int(s, 6) == THIDUA__V1__RECORD_ACK__STATUS__LOCKED;
    bool newer = server_counts(local, server, same_blobs(s, 1, 3), locked);
    if (pending || !newer || sqlite3_column_type(s, 5) == SQLITE_NULL) {
        sqlite3_reset(s);
        return TD_OK;
    }
    Thidua__V1__Record *content = thidua__v1__record__unpack(
        NULL, (size_t)sqlite3_column_bytes(s, 5), sqlite3_column_blob(s, 5));
    sqlite3_reset(s);
    if (!content)
        return store__err(st, TD_EDB, "a server revision of %s cannot be read", id);
    if (content->content_hash.len != STORE_HASH_LEN || strcmp(content->id, id) != 0)
        rc = store__err(st, TD_EDB, "a server revision of %s is damaged", id);
    else
        rc = store__write_content(st, content, (uint32_t)server, now_ms);
    thidua__v1__record__free_unpacked(content, NULL);
    return rc;
}

/* --- acks ------------------------------------------------------------------ */

static const char SQL_OUTBOX_REMOVE[] =
    "DELETE FROM outbox WHERE record_id = ?1 AND revision = ?2 RETURNING content_hash";

/*
 * The server holds revision ?2 (hash ?3). ?4: status the ack reported (0:
 * none); ?5: 1 to infer it from an APPLIED revision (SUBMITTED, or WITHDRAWN
 * for the withdrawing revision). A mark for this revision or an older one is
 * settled. SQLite evaluates every SET expression on the old row.
 */
static const char SQL_ACK_ACCEPTED[] =
    "UPDATE records SET"
    " srv_hash = CASE WHEN ?2 >= srv_revision THEN ?3 ELSE srv_hash END,"
    " srv_revision = max(srv_revision, ?2),"
    " srv_status = CASE WHEN ?4 <> 0 THEN ?4 WHEN ?5 = 0 OR ?2 < srv_revision THEN srv_status"
    "  WHEN withdrawn = 1 AND revision = ?2 THEN 5 ELSE 1 END,"
    " srv_change_seq = max(srv_change_seq, ?6),"
    " mark = CASE WHEN mark_revision <= ?2 THEN 0 ELSE mark END,"
    " mark_field = CASE WHEN mark_revision <= ?2 THEN '' ELSE mark_field END,"
    " mark_message = CASE WHEN mark_revision <= ?2 THEN '' ELSE mark_message END,"
    " mark_at_ms = CASE WHEN mark_revision <= ?2 THEN 0 ELSE mark_at_ms END,"
    " mark_revision = CASE WHEN mark_revision <= ?2 THEN 0 ELSE mark_revision END"
    " WHERE id = ?1";

/*
 * Revision ?2 was refused with ack status ?3, field ?4, message ?5 at ?6. A
 * mark about a newer revision is kept. ?7: the record's status on the server
 * (0: not said); ?8: the highest revision the server holds (0: not said).
 */
static const char SQL_ACK_REFUSED[] =
    "UPDATE records SET"
    " srv_status = CASE WHEN ?7 <> 0 THEN ?7 ELSE srv_status END,"
    " srv_hash = CASE WHEN ?8 > srv_revision THEN NULL ELSE srv_hash END,"
    " srv_revision = max(srv_revision, ?8),"
    " mark = CASE WHEN mark_revision <= ?2 THEN ?3 ELSE mark END,"
    " mark_field = CASE WHEN mark_revision <= ?2 THEN ?4 ELSE mark_field END,"
    " mark_message = CASE WHEN mark_revision <= ?2 THEN ?5 ELSE mark_message END,"
    " mark_at_ms = CASE WHEN mark_revision <= ?2 THEN ?6 ELSE mark_at_ms END,"
    " mark_revision = CASE WHEN mark_revision <= ?2 THEN ?2 ELSE mark_revision END"
    " WHERE id = ?1";

/* Remove the outbox entry of (id, revision); *found says whether there was one. */
static int outbox_remove(store_t *st, const Thidua__V1__RecordAck *a, uint8_t hash[32], bool *found)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_OUTBOX_REMOVE, &s);
    if (rc < 0)
        return rc;
    *found = false;
    int src = sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, a->revision);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *found = true;
        if (sqlite3_column_bytes(s, 0) == STORE_HASH_LEN)
            memcpy(hash, sqlite3_column_blob(s, 0), STORE_HASH_LEN);
        src = sqlite3_step(s);
    }
    sqlite3_reset(s);
    return src == SQLITE_DONE ? TD_OK : store__dberr(st, src, "removing the outbox entry");
}

static int ack_accepted(store_t *st, const Thidua__V1__RecordAck *a, const uint8_t hash[32])
{
    if (a->change_seq > (uint64_t)INT64_MAX)
        return store__err(st, TD_EPROTO, "ack for %s: change_seq out of range", a->id);
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_ACK_ACCEPTED, &s);
    if (rc < 0)
        return rc;
    bool applied = a->status == THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
    int src = sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, a->revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 3, hash, STORE_HASH_LEN, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 4, (int)a->record_status);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 5, applied ? 1 : 0);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 6, (sqlite3_int64)a->change_seq);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the ack");
    }
    return store__step_done(st, s, "storing the ack");
}

static int ack_refused(store_t *st, const Thidua__V1__RecordAck *a, int64_t now_ms)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_ACK_REFUSED, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, a->revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 3, (int)a->status);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 4, store__str(a->field), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 5, store__str(a->message), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 6, now_ms);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 7, (int)a->record_status);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 8, a->stored_revision);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the ack");
    }
    rc = store__step_done(st, s, "storing the ack");
    if (rc == TD_OK && (a->status == THIDUA__V1__RECORD_ACK__STATUS__STALE ||
                           a->status == THIDUA__V1__RECORD_ACK__STATUS__CONFLICT ||
                           a->status == THIDUA__V1__RECORD_ACK__STATUS__LOCKED))
        rc = adopt_server(st, a->id, now_ms);
    return rc;
}

/* One ack: 1 if it removed an entry, 0 if it matched none or is not understood. */
static int apply_ack(store_t *st, const Thidua__V1__RecordAck *a, int64_t now_ms)
{
    if (!a || !a->id || a->revision == 0)
        return 0;
    bool accepted;
    switch (a->status) {
    case THIDUA__V1__RECORD_ACK__STATUS__APPLIED:
    case THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE:
        accepted = true;
        break;
    case THIDUA__V1__RECORD_ACK__STATUS__STALE:
    case THIDUA__V1__RECORD_ACK__STATUS__CONFLICT:
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
    case THIDUA__V1__RECORD_ACK__STATUS__REJECTED:
    case THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED:
        accepted = false;
        break;
    default:
        /* A status of a newer protocol: keep the entry, a newer thidua will know. */
        return 0;
    }
    uint8_t hash[STORE_HASH_LEN] = {0};
    bool found = false;
    int rc = outbox_remove(st, a, hash, &found);
    if (rc < 0 || !found)
        return rc;
    rc = accepted ? ack_accepted(st, a, hash) : ack_refused(st, a, now_ms);
    return rc < 0 ? rc : 1;
}

int store_outbox_ack(store_t *st, Thidua__V1__RecordAck *const *acks, size_t n, int64_t now_ms)
{
    if (n > 0 && !acks)
        return store__err(st, TD_EINVAL, "no acks given");
    store_tx_t tx;
    int rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    int removed = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = apply_ack(st, acks[i], now_ms);
        if (rc > 0)
            removed++;
    }
    rc = store__tx_end(st, &tx, rc < 0 ? rc : TD_OK);
    return rc < 0 ? rc : removed;
}

/* --- pull ------------------------------------------------------------------ */

static const char SQL_CURSOR[] = "SELECT cursor FROM sync_state WHERE one = 1";
static const char SQL_SET_CURSOR[] = "UPDATE sync_state SET cursor = ?1 WHERE one = 1";

static const char SQL_SERVER_STATE[] =
    "UPDATE records SET"
    " srv_hash = CASE WHEN ?2 >= srv_revision THEN ?3 ELSE srv_hash END,"
    " srv_revision = max(srv_revision, ?2),"
    " srv_status = ?4, srv_change_seq = max(srv_change_seq, ?5), srv_updated_at_ms = ?6,"
    " dec_action = ?7, dec_revision = ?8, dec_reason = ?9, dec_at_ms = ?10,"
    " award_form = ?11, award_number = ?12, award_date = ?13, award_signer = ?14,"
    " award_issuer = ?15, revoked_reason = ?16, revoked_number = ?17, revoked_date = ?18,"
    " revoked_signer = ?19, revoked_issuer = ?20"
    " WHERE id = ?1"
    " RETURNING revision, srv_revision, content_hash, srv_hash, mark";

static const char SQL_ADD_DECISION[] =
    "INSERT OR IGNORE INTO decisions (record_id, decided_at_ms, action, revision, reason,"
    " change_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

static int bind_texts(sqlite3_stmt *s, int first, const char *const *v, size_t n)
{
    int src = SQLITE_OK;
    for (size_t i = 0; i < n && src == SQLITE_OK; i++)
        src = sqlite3_bind_text(s, first + (int)i, store__str(v[i]), -1, SQLITE_STATIC);
    return src;
}

/*
 * Record the server's state of r. *found: the record is in the store (else
 * nothing was written); *adopt: the server's content may have to become the
 * local one (server_counts, seen on the updated row; adopt_server decides).
 */
static int server_state(store_t *st, const Thidua__V1__Record *r, uint64_t seq, bool *found,
                        bool *adopt)
{
    static const Thidua__V1__Decision no_decision = THIDUA__V1__DECISION__INIT;
    static const Thidua__V1__Award no_award = THIDUA__V1__AWARD__INIT;
    static const Thidua__V1__AwardDecision no_act = THIDUA__V1__AWARD_DECISION__INIT;
    const Thidua__V1__Decision *d = r->decision ? r->decision : &no_decision;
    const Thidua__V1__Award *aw = r->award ? r->award : &no_award;
    const Thidua__V1__AwardDecision *by = aw->decision ? aw->decision : &no_act;
    const Thidua__V1__AwardDecision *rv = aw->revoked_by ? aw->revoked_by : &no_act;
    const char *const award_texts[] = {
        aw->form,           by->number, by->date, by->signer, by->issuer,
        aw->revoked_reason, rv->number, rv->date, rv->signer, rv->issuer,
    };

    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_SERVER_STATE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, r->revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 3, r->content_hash.data, STORE_HASH_LEN, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int(s, 4, (int)r->status);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 5, (sqlite3_int64)seq);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 6, r->updated_at_ms);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 7, store__str(d->action), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 8, d->revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 9, store__str(d->reason), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 10, d->decided_at_ms);
    if (src == SQLITE_OK)
        src = bind_texts(s, 11, award_texts, THIDUA_ARRAY_LEN(award_texts));
    *found = false;
    *adopt = false;
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *found = true;
        bool locked = sqlite3_column_int(s, 4) == THIDUA__V1__RECORD_ACK__STATUS__LOCKED;
        *adopt = server_counts(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                               same_blobs(s, 2, 3), locked);
        src = sqlite3_step(s);
    }
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return store__dberr(st, src, "storing the server state");
    if (!*found || !d->action || !d->action[0])
        return TD_OK;

    rc = store__stmt(st, SQL_ADD_DECISION, &s);
    if (rc < 0)
        return rc;
    src = sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 2, d->decided_at_ms);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 3, d->action, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 4, d->revision);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 5, store__str(d->reason), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 6, (sqlite3_int64)seq);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the decision");
    }
    return store__step_done(st, s, "storing the decision");
}

static int apply_change(store_t *st, const Thidua__V1__Change *c, int64_t now_ms)
{
    const Thidua__V1__Record *r = c->record;
    if (!store__is_uuid(r->id) || r->revision == 0 || r->content_hash.len != STORE_HASH_LEN ||
        !r->content_hash.data)
        return store__err(st, TD_EPROTO,
                          "change %llu carries a record without a valid id, revision or hash",
                          (unsigned long long)c->change_seq);
    uint64_t seq = r->change_seq > c->change_seq && r->change_seq <= (uint64_t)INT64_MAX
                       ? r->change_seq
                       : c->change_seq;
    /* One statement finds the record and stores the state: most changes are of records we have. */
    bool exists = false, adopt = false;
    int rc = server_state(st, r, seq, &exists, &adopt);
    if (rc == TD_OK && !exists) {
        rc = store__insert_row(st, r, r->revision, now_ms);
        bool found = false;
        if (rc == TD_OK)
            rc = server_state(st, r, seq, &found, &adopt);
        if (rc == TD_OK && !found)
            rc = store__err(st, TD_EDB, "record %s vanished while it was stored", r->id);
    }
    if (rc == TD_OK)
        rc = store__add_revision(st, r->id, STORE_ORIGIN_SERVER, r, r->revision, now_ms);
    /* adopt_server reads the revision just added; most changes need not ask it. */
    if (rc == TD_OK && exists && adopt)
        rc = adopt_server(st, r->id, now_ms);
    return rc;
}

static int read_cursor(store_t *st, uint64_t *cursor)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_CURSOR, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        *cursor = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (src == SQLITE_DONE)
        return store__err(st, TD_EDB, "the store has lost its sync state (damaged store)");
    return src == SQLITE_ROW ? TD_OK : store__dberr(st, src, "reading the cursor");
}

static int pull_locked(store_t *st, const Thidua__V1__PullResponse *page, int64_t now_ms)
{
    uint64_t prev = 0;
    int rc = read_cursor(st, &prev);
    for (size_t i = 0; i < page->n_changes && rc == TD_OK; i++) {
        const Thidua__V1__Change *c = page->changes[i];
        if (!c || !c->record)
            return store__err(st, TD_EPROTO, "change %zu of the page has no record", i);
        if (c->change_seq <= prev || c->change_seq > (uint64_t)INT64_MAX)
            return store__err(st, TD_EPROTO,
                              "change_seq %llu after %llu: the feed must increase",
                              (unsigned long long)c->change_seq, (unsigned long long)prev);
        prev = c->change_seq;
        rc = apply_change(st, c, now_ms);
    }
    if (rc < 0)
        return rc;
    if (page->next_cursor < prev || page->next_cursor > (uint64_t)INT64_MAX)
        return store__err(st, TD_EPROTO, "next_cursor %llu is behind change_seq %llu",
                          (unsigned long long)page->next_cursor, (unsigned long long)prev);

    sqlite3_stmt *s;
    rc = store__stmt(st, SQL_SET_CURSOR, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_int64(s, 1, (sqlite3_int64)page->next_cursor);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the cursor");
    }
    return store__step_done(st, s, "storing the cursor");
}

int store_pull_apply(store_t *st, const Thidua__V1__PullResponse *page, int64_t now_ms)
{
    if (!page || (page->n_changes > 0 && !page->changes))
        return store__err(st, TD_EINVAL, "no page given");
    store_tx_t tx;
    int rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    return store__tx_end(st, &tx, pull_locked(st, page, now_ms));
}

int store_cursor(store_t *st, uint64_t *cursor)
{
    return read_cursor(st, cursor);
}

static const char SQL_SYNC_DONE[] = "UPDATE sync_state SET last_sync_ms = ?1 WHERE one = 1";

int store_sync_done(store_t *st, int64_t now_ms)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_SYNC_DONE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_int64(s, 1, now_ms);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "storing the sync time");
    }
    return store__step_done(st, s, "storing the sync time");
}

/* --- resync ------------------------------------------------------------------ */

/*
 * Every record's latest revision, oldest record first, unless it already
 * waits (its latest revision is in the outbox), or its content is the
 * revision the server refused and not what the server holds (marked at this
 * revision, with another hash than the server's: REJECTED, PERMISSION_DENIED,
 * or a STALE, CONFLICT or LOCKED edit whose server content is not in the
 * store). A record whose content has no revision row of that hash (a damaged
 * store) is left out rather than queued unreadable. Runs inside SQLite: no
 * record is read into memory.
 */
static const char SQL_RESYNC_QUEUE[] =
    "INSERT INTO outbox (record_id, revision, content_hash, enqueued_at_ms)"
    " SELECT r.id, r.revision, r.content_hash, ?1 FROM records r"
    " WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.record_id = r.id"
    "                    AND o.revision >= r.revision)"
    "   AND NOT (r.mark <> 0 AND r.mark_revision = r.revision"
    "            AND (r.srv_hash IS NULL OR r.srv_hash <> r.content_hash))"
    "   AND EXISTS (SELECT 1 FROM revisions v WHERE v.record_id = r.id"
    "               AND v.revision = r.revision AND v.content_hash = r.content_hash)"
    " ORDER BY r.created_at_ms, r.id";
static const char SQL_RESYNC_CURSOR[] = "UPDATE sync_state SET cursor = 0 WHERE one = 1";
/* Feed positions of the old history mean nothing in the new one; the pull sets them again. */
static const char SQL_RESYNC_SEQS[] =
    "UPDATE records SET srv_change_seq = 0 WHERE srv_change_seq <> 0";

static int resync_locked(store_t *st, int64_t now_ms, uint64_t *queued)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_RESYNC_QUEUE, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_int64(s, 1, now_ms);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "queueing the records again");
    }
    rc = store__step_done(st, s, "queueing the records again");
    if (rc < 0)
        return rc;
    *queued = (uint64_t)sqlite3_changes64(st->db);

    rc = store__stmt(st, SQL_RESYNC_CURSOR, &s);
    if (rc == TD_OK)
        rc = store__step_done(st, s, "resetting the cursor");
    if (rc == TD_OK)
        rc = store__stmt(st, SQL_RESYNC_SEQS, &s);
    if (rc == TD_OK)
        rc = store__step_done(st, s, "resetting the feed positions");
    return rc;
}

int store_resync(store_t *st, int64_t now_ms, uint64_t *queued)
{
    uint64_t n = 0;
    store_tx_t tx;
    int rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    rc = store__tx_end(st, &tx, resync_locked(st, now_ms, &n));
    if (queued)
        *queued = rc < 0 ? 0 : n;
    return rc;
}

/* --- Welcome ----------------------------------------------------------------- */

static const char SQL_WELCOME_SAVE[] =
    "UPDATE sync_state SET welcome = ?1, welcome_at_ms = ?2 WHERE one = 1";
static const char SQL_WELCOME_LOAD[] = "SELECT welcome FROM sync_state WHERE one = 1";

/*
 * The database epoch of the stored Welcome, in a new string (*out NULL when
 * there is none: never synced, or the last server was older than the epoch).
 * A stored Welcome that cannot be read counts as none: the save that follows
 * replaces it, and refusing to sync over a damaged cache would help nobody.
 */
static int stored_epoch(store_t *st, char **out)
{
    *out = NULL;
    Thidua__V1__Welcome *old = NULL;
    int rc = store_welcome_load(st, &old);
    if (rc == TD_ENOTFOUND || rc == TD_EDB)
        return TD_OK;
    if (rc < 0)
        return rc;
    if (old->database_epoch && old->database_epoch[0]) {
        *out = strdup(old->database_epoch);
        if (!*out)
            rc = store__err(st, TD_ENOMEM, "out of memory");
    }
    thidua__v1__welcome__free_unpacked(old, NULL);
    return rc;
}

/* Store w packed; keep_epoch (not NULL) replaces its empty database_epoch. */
static int welcome_write(store_t *st, const Thidua__V1__Welcome *w, char *keep_epoch,
                         int64_t now_ms)
{
    Thidua__V1__Welcome copy;
    if (keep_epoch) {
        copy = *w; /* shallow: only packed, while w lives */
        copy.database_epoch = keep_epoch;
        w = &copy;
    }
    size_t n = thidua__v1__welcome__get_packed_size(w);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return store__err(st, TD_ENOMEM, "out of memory");
    n = thidua__v1__welcome__pack(w, buf);

    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_WELCOME_SAVE, &s);
    if (rc == TD_OK) {
        int src = sqlite3_bind_blob(s, 1, buf, (int)n, SQLITE_STATIC);
        if (src == SQLITE_OK)
            src = sqlite3_bind_int64(s, 2, now_ms);
        rc = src == SQLITE_OK ? store__step_done(st, s, "storing the Welcome")
                              : store__dberr(st, src, "storing the Welcome");
        sqlite3_clear_bindings(s);
    }
    free(buf);
    return rc;
}

int store_welcome_accept(store_t *st, const Thidua__V1__Welcome *w, int64_t now_ms,
                         uint64_t *queued)
{
    uint64_t n = 0;
    if (queued)
        *queued = 0;
    if (!w)
        return store__err(st, TD_EINVAL, "no Welcome given");
    const char *epoch = store__str(w->database_epoch);

    store_tx_t tx;
    int rc = store__tx_begin(st, &tx);
    if (rc < 0)
        return rc;
    char *old = NULL;
    rc = stored_epoch(st, &old);
    bool changed = rc == TD_OK && old && epoch[0] && strcmp(old, epoch) != 0;
    if (changed)
        rc = resync_locked(st, now_ms, &n);
    if (rc == TD_OK)
        rc = welcome_write(st, w, epoch[0] ? NULL : old, now_ms);
    free(old);
    rc = store__tx_end(st, &tx, rc);
    if (rc < 0)
        return rc;
    if (queued)
        *queued = n;
    return changed ? 1 : 0;
}

int store_welcome_save(store_t *st, const Thidua__V1__Welcome *w, int64_t now_ms)
{
    int rc = store_welcome_accept(st, w, now_ms, NULL);
    return rc < 0 ? rc : TD_OK;
}

int store_welcome_load(store_t *st, Thidua__V1__Welcome **out)
{
    *out = NULL;
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_WELCOME_LOAD, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        sqlite3_reset(s);
        return store__dberr(st, src == SQLITE_DONE ? SQLITE_CORRUPT : src, "reading the Welcome");
    }
    if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        sqlite3_reset(s);
        return store__err(st, TD_ENOTFOUND,
                          "no campaign data yet: run `thidua sync` once while online");
    }
    *out = thidua__v1__welcome__unpack(NULL, (size_t)sqlite3_column_bytes(s, 0),
                                       sqlite3_column_blob(s, 0));
    sqlite3_reset(s);
    if (!*out)
        return store__err(st, TD_EDB, "the stored Welcome cannot be read (damaged store)");
    return TD_OK;
}

/* --- summary ------------------------------------------------------------------ */

static const char SQL_SUMMARY_SYNC[] =
    "SELECT " STORE_SYNC_EXPR " AS s, count(*) FROM records r GROUP BY s";
static const char SQL_SUMMARY_STATE[] =
    "SELECT cursor, last_sync_ms, welcome_at_ms FROM sync_state WHERE one = 1";

int store_summary(store_t *st, store_summary_t *out)
{
    memset(out, 0, sizeof(*out));
    int rc = count_query(st, SQL_OUTBOX_COUNT, &out->outbox);
    if (rc < 0)
        return rc;

    sqlite3_stmt *s;
    rc = store__stmt(st, SQL_SUMMARY_SYNC, &s);
    if (rc < 0)
        return rc;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        uint64_t n = (uint64_t)sqlite3_column_int64(s, 1);
        out->records += n;
        switch (sqlite3_column_int(s, 0)) {
        case STORE_SYNC_PENDING:
            out->pending += n;
            break;
        case STORE_SYNC_STALE:
            out->stale += n;
            break;
        case STORE_SYNC_CONFLICT:
            out->conflict += n;
            break;
        case STORE_SYNC_LOCKED:
            out->locked += n;
            break;
        case STORE_SYNC_REJECTED:
            out->rejected += n;
            break;
        case STORE_SYNC_DENIED:
            out->denied += n;
            break;
        default:
            break;
        }
    }
    sqlite3_reset(s);
    if (src != SQLITE_DONE)
        return store__dberr(st, src, "counting records");
    out->refused = out->stale + out->conflict + out->locked + out->rejected + out->denied;

    rc = store__stmt(st, SQL_SUMMARY_STATE, &s);
    if (rc < 0)
        return rc;
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        out->cursor = (uint64_t)sqlite3_column_int64(s, 0);
        out->last_sync_ms = sqlite3_column_int64(s, 1);
        out->welcome_at_ms = sqlite3_column_int64(s, 2);
    }
    sqlite3_reset(s);
    return src == SQLITE_ROW ? TD_OK : store__dberr(st, src, "reading the sync state");
}
