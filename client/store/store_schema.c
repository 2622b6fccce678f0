/*
 * store_schema.c - the local store's tables and their migrations.
 *
 * A district office keeps its store for the whole campaign and upgrades
 * thidua in between, so the file carries its schema version (PRAGMA
 * user_version = number of steps applied) and every new program applies the
 * steps the file lacks, all in one transaction: a crash mid-migration leaves
 * the old schema whole. Steps are only ever appended; a released step is
 * never edited. PRAGMA application_id marks the file as ours, so a store path
 * pointing at some other SQLite file is refused instead of "migrated".
 *
 * Tables are STRICT (SQLite 3.37+): a value of the wrong type is an error,
 * not silently stored.
 */
#include "store_schema.h"

#include <stdio.h>

/*
 * Step 1: the first schema.
 *
 * records   one row per record: the latest local content (what the officer
 *           sees and edits), the last known server state (srv_*, dec_*,
 *           award_*, revoked_*) and the last refusal ("mark": the
 *           RecordAck status, revision, field and message).
 * revisions every local revision (origin 0) and every server revision pulled
 *           (origin 1), as a packed thidua.v1.Record holding the content
 *           only; the outbox's content lives here too.
 * outbox    revisions not yet acknowledged, in the order they were made.
 *           AUTOINCREMENT: a seq is never reused, so a pager that remembers
 *           the last seq it sent never skips a newer entry.
 * decisions the province decisions pulled, each once.
 * sync_state one row: feed cursor, last successful sync, last Welcome.
 * import_log natural key of a CSV row -> the record it made.
 *
 * No index uses the collation "VI": its order comes from a function given at
 * open time (ICU), which may change with an ICU upgrade, and an index built
 * under another order would be corrupt. Sorting by name happens at query time.
 */
static const char schema_v1[] =
    "CREATE TABLE records ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  campaign TEXT NOT NULL,"
    "  org_unit TEXT NOT NULL,"
    "  nominee_kind TEXT NOT NULL,"
    "  nominee_name TEXT NOT NULL,"
    "  birth_date TEXT NOT NULL,"
    "  gender TEXT NOT NULL,"
    "  position TEXT NOT NULL,"
    "  workplace TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  summary TEXT NOT NULL,"
    "  category TEXT NOT NULL,"
    "  achieved_on TEXT NOT NULL,"
    "  proposed_award TEXT NOT NULL,"
    "  withdrawn INTEGER NOT NULL CHECK (withdrawn IN (0, 1)),"
    "  revision INTEGER NOT NULL CHECK (revision >= 1),"
    "  content_hash BLOB NOT NULL CHECK (length(content_hash) = 32),"
    "  created_at_ms INTEGER NOT NULL,"
    "  edited_at_ms INTEGER NOT NULL,"
    "  srv_revision INTEGER NOT NULL DEFAULT 0,"
    "  srv_hash BLOB,"
    "  srv_status INTEGER NOT NULL DEFAULT 0,"
    "  srv_change_seq INTEGER NOT NULL DEFAULT 0,"
    "  srv_updated_at_ms INTEGER NOT NULL DEFAULT 0,"
    "  dec_action TEXT NOT NULL DEFAULT '',"
    "  dec_revision INTEGER NOT NULL DEFAULT 0,"
    "  dec_reason TEXT NOT NULL DEFAULT '',"
    "  dec_at_ms INTEGER NOT NULL DEFAULT 0,"
    "  award_form TEXT NOT NULL DEFAULT '',"
    "  award_number TEXT NOT NULL DEFAULT '',"
    "  award_date TEXT NOT NULL DEFAULT '',"
    "  award_signer TEXT NOT NULL DEFAULT '',"
    "  award_issuer TEXT NOT NULL DEFAULT '',"
    "  revoked_reason TEXT NOT NULL DEFAULT '',"
    "  revoked_number TEXT NOT NULL DEFAULT '',"
    "  revoked_date TEXT NOT NULL DEFAULT '',"
    "  revoked_signer TEXT NOT NULL DEFAULT '',"
    "  revoked_issuer TEXT NOT NULL DEFAULT '',"
    "  mark INTEGER NOT NULL DEFAULT 0,"
    "  mark_revision INTEGER NOT NULL DEFAULT 0,"
    "  mark_field TEXT NOT NULL DEFAULT '',"
    "  mark_message TEXT NOT NULL DEFAULT '',"
    "  mark_at_ms INTEGER NOT NULL DEFAULT 0"
    ") STRICT;"
    "CREATE TABLE revisions ("
    "  record_id TEXT NOT NULL REFERENCES records(id),"
    "  origin INTEGER NOT NULL CHECK (origin IN (0, 1)),"
    "  revision INTEGER NOT NULL,"
    "  content_hash BLOB NOT NULL,"
    "  content BLOB NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (record_id, origin, revision)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE outbox ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  record_id TEXT NOT NULL REFERENCES records(id),"
    "  revision INTEGER NOT NULL,"
    "  content_hash BLOB NOT NULL,"
    "  enqueued_at_ms INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_attempt_ms INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (record_id, revision)"
    ") STRICT;"
    "CREATE TABLE decisions ("
    "  record_id TEXT NOT NULL REFERENCES records(id),"
    "  decided_at_ms INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  change_seq INTEGER NOT NULL,"
    "  PRIMARY KEY (record_id, decided_at_ms, action, revision)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE TABLE sync_state ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  cursor INTEGER NOT NULL,"
    "  last_sync_ms INTEGER NOT NULL,"
    "  welcome BLOB,"
    "  welcome_at_ms INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO sync_state (one, cursor, last_sync_ms, welcome, welcome_at_ms)"
    "  VALUES (1, 0, 0, NULL, 0);"
    "CREATE TABLE import_log ("
    "  natural_key TEXT PRIMARY KEY NOT NULL,"
    "  record_id TEXT NOT NULL REFERENCES records(id),"
    "  file_hash BLOB NOT NULL,"
    "  line_no INTEGER NOT NULL,"
    "  imported_at_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX import_log_file ON import_log(file_hash);";

/* Append new steps here; never change one that has shipped. */
static const char *const steps[] = {
    schema_v1,
};

int store_schema_version(void)
{
    return (int)THIDUA_ARRAY_LEN(steps);
}

/* One integer from a query such as "PRAGMA user_version". */
static int query_int(store_t *st, const char *sql, sqlite3_int64 *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__dberr(st, rc, "reading the schema version");
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        int err =
            store__dberr(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "reading the schema version");
        sqlite3_finalize(s);
        return err;
    }
    *out = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return TD_OK;
}

/* The file's application id, schema version and number of schema objects. */
static int schema_read(store_t *st, sqlite3_int64 *version)
{
    sqlite3_int64 app_id = 0, objects = 0;
    int rc = query_int(st, "PRAGMA application_id", &app_id);
    if (rc == TD_OK)
        rc = query_int(st, "PRAGMA user_version", version);
    if (rc == TD_OK)
        rc = query_int(st, "SELECT count(*) FROM sqlite_schema", &objects);
    if (rc < 0)
        return rc;

    if (app_id != STORE_APPLICATION_ID && (app_id != 0 || *version != 0 || objects != 0))
        return store__err(st, TD_ENOTSTORE,
                          "the file is an SQLite database of another program, not a thidua store");
    if (*version > store_schema_version())
        return store__err(st, TD_ENEWER,
                          "the store has schema version %lld, this thidua knows up to %d: "
                          "upgrade thidua",
                          (long long)*version, store_schema_version());
    return TD_OK;
}

int store_schema_check(store_t *st)
{
    sqlite3_int64 version = 0;
    return schema_read(st, &version);
}

static int migrate_locked(store_t *st)
{
    /* Read again under the lock: another process may have migrated meanwhile. */
    sqlite3_int64 version = 0;
    int rc = schema_read(st, &version);
    if (rc < 0)
        return rc;
    if (version == store_schema_version())
        return TD_OK;

    for (sqlite3_int64 v = version; v < store_schema_version(); v++) {
        char *msg = NULL;
        rc = sqlite3_exec(st->db, steps[v], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            store__err(st, TD_EDB, "schema step %lld failed: %s", (long long)v + 1,
                       msg ? msg : sqlite3_errstr(rc));
            sqlite3_free(msg);
            return TD_EDB;
        }
    }

    /* PRAGMA values cannot be bound; both are our own integers. */
    char sql[96];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
             STORE_APPLICATION_ID, store_schema_version());
    return store__exec(st, sql);
}

int store_schema_migrate(store_t *st)
{
    /*
     * IMMEDIATE: two programs opening a new store at once must not both
     * create the tables; the second waits, then sees the version and does
     * nothing.
     */
    int rc = store__exec(st, "BEGIN IMMEDIATE");
    if (rc < 0)
        return rc;
    rc = migrate_locked(st);
    if (rc == TD_OK)
        rc = store__exec(st, "COMMIT");
    if (rc < 0 && !sqlite3_get_autocommit(st->db)) {
        /* rc's message stays: a failed rollback would say nothing new. */
        (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}
