/*
 * store_import.c - the CSV import log, which makes re-importing a file
 * harmless.
 *
 * Offices re-send the same spreadsheet, or a corrected copy of it, so a row
 * must find the record it made last time instead of making a second one.
 * Line numbers and whole-line hashes do not survive a corrected copy (a
 * reordered sheet, a fixed typo in the summary), so rows are matched by a
 * natural key: the nomination's identity, not its wording.
 *
 *   campaign 0x1F org_unit 0x1F fold(nominee_name) 0x1F birth_date
 *            0x1F fold(title) 0x1F category
 *
 * fold() is the caller's comparison folding (text_fold_key: case, tone-mark
 * placement and spacing do not matter). U+001F cannot occur in normalised
 * text (control characters are refused at the edge), so the key is
 * unambiguous. A changed title or category makes another nomination: a new
 * record, as it should be. The log also keeps which file (SHA-256 of its
 * bytes) and spreadsheet row last wrote each key, so the CLI can say "this file was
 * imported before".
 */
#include <stdlib.h>
#include <string.h>
#include "store.h"
#include "store_int.h"

/* Without a folding function (tests): ASCII lowercase, runs of spaces as one. */
static int fold_ascii(const char *in, size_t len, char **out)
{
    char *o = malloc(len + 1);
    if (!o)
        return -1;
    size_t n = 0;
    bool space = true; /* drops leading spaces */
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == ' ' || c == '\t') {
            if (!space)
                o[n++] = ' ';
            space = true;
            continue;
        }
        space = false;
        o[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    if (n > 0 && o[n - 1] == ' ')
        n--;
    o[n] = '\0';
    *out = o;
    return 0;
}

int store_import_key(const store_t *st, const Thidua__V1__Record *rec, char **key)
{
    *key = NULL;
    if (!rec)
        return TD_EINVAL;
    store_fold_fn fold = st->fold ? st->fold : fold_ascii;
    const char *name = store__str(rec->nominee_name);
    const char *title = store__str(rec->title);
    char *fname = NULL, *ftitle = NULL;
    if (fold(name, strlen(name), &fname) < 0 || fold(title, strlen(title), &ftitle) < 0) {
        free(fname);
        return TD_EINVAL; /* text the folding refuses is not normalised */
    }
    const char *parts[] = {
        store__str(rec->campaign),
        store__str(rec->org_unit),
        fname,
        store__str(rec->birth_date),
        ftitle,
        store__str(rec->category),
    };
    size_t total = 0;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(parts); i++)
        total += strlen(parts[i]) + 1;
    char *k = malloc(total);
    if (k) {
        char *p = k;
        for (size_t i = 0; i < THIDUA_ARRAY_LEN(parts); i++) {
            size_t n = strlen(parts[i]);
            memcpy(p, parts[i], n);
            p += n;
            *p++ = i + 1 < THIDUA_ARRAY_LEN(parts) ? '\x1f' : '\0';
        }
    }
    free(fname);
    free(ftitle);
    if (!k)
        return TD_ENOMEM;
    *key = k;
    return TD_OK;
}

static const char SQL_IMPORT_FIND[] = "SELECT record_id FROM import_log WHERE natural_key = ?1";

int store_import_find(store_t *st, const char *key, char id[STORE_ID_LEN + 1])
{
    id[0] = '\0';
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_IMPORT_FIND, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, store__str(key), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        const char *found = (const char *)sqlite3_column_text(s, 0);
        if (found && strlen(found) == STORE_ID_LEN)
            memcpy(id, found, STORE_ID_LEN + 1);
        else
            rc = store__err(st, TD_EDB, "the import log holds a damaged id");
    } else if (src == SQLITE_DONE) {
        rc = store__err(st, TD_ENOTFOUND, "no record was imported under this key");
    } else {
        rc = store__dberr(st, src, "reading the import log");
    }
    sqlite3_reset(s);
    return rc;
}

static const char SQL_IMPORT_HAS_RECORD[] = "SELECT 1 FROM records WHERE id = ?1";
static const char SQL_IMPORT_NOTE[] =
    "INSERT INTO import_log (natural_key, record_id, file_hash, line_no, imported_at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (natural_key) DO UPDATE SET record_id = excluded.record_id,"
    "  file_hash = excluded.file_hash, line_no = excluded.line_no,"
    "  imported_at_ms = excluded.imported_at_ms";

int store_import_note(store_t *st, const char *key, const char *record_id,
                      const uint8_t file_hash[STORE_HASH_LEN], uint32_t line_no, int64_t now_ms)
{
    if (!key || !*key || !file_hash)
        return store__err(st, TD_EINVAL, "an import note needs a key and a file hash");
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_IMPORT_HAS_RECORD, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_text(s, 1, store__str(record_id), -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    sqlite3_reset(s);
    if (src == SQLITE_DONE)
        return store__err(st, TD_ENOTFOUND, "no record with id %.40s", store__str(record_id));
    if (src != SQLITE_ROW)
        return store__dberr(st, src, "reading the record");

    rc = store__stmt(st, SQL_IMPORT_NOTE, &s);
    if (rc < 0)
        return rc;
    src = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_text(s, 2, record_id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_blob(s, 3, file_hash, STORE_HASH_LEN, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 4, line_no);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(s, 5, now_ms);
    if (src != SQLITE_OK) {
        sqlite3_reset(s);
        return store__dberr(st, src, "writing the import log");
    }
    return store__step_done(st, s, "writing the import log");
}

static const char SQL_IMPORT_FILE_ROWS[] = "SELECT count(*) FROM import_log WHERE file_hash = ?1";

int store_import_file_rows(store_t *st, const uint8_t file_hash[STORE_HASH_LEN], uint64_t *rows)
{
    *rows = 0;
    sqlite3_stmt *s;
    int rc = store__stmt(st, SQL_IMPORT_FILE_ROWS, &s);
    if (rc < 0)
        return rc;
    int src = sqlite3_bind_blob(s, 1, file_hash, STORE_HASH_LEN, SQLITE_STATIC);
    if (src == SQLITE_OK)
        src = sqlite3_step(s);
    if (src == SQLITE_ROW)
        *rows = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return src == SQLITE_ROW ? TD_OK : store__dberr(st, src, "reading the import log");
}
