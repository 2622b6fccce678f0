/*
 * importer.c - a spreadsheet's rows into the office's store (importer.h).
 *
 * Each row is read into record_input as `thidua add` reads its options, built
 * and judged by the same rules, then matched by its natural key. Problems of
 * the file itself (its encoding, its header) stop everything before the store
 * is touched; problems of a row are that row's alone.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "i18n.h"
#include "csv.h"
#include "importer.h"
#include "record_input.h"
#include "sheet.h"
#include "text.h"
#include "xlsx_read.h"

/* Keys of the rows seen in this file, with their rows: open addressing. Owns the keys. */
typedef struct {
    char **keys;
    uint32_t *lines;
    size_t cap, n;
} import_seen_t;

static uint64_t import_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void import_seen_free(import_seen_t *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->lines);
    memset(s, 0, sizeof(*s));
}

/* Slot of key: where it is, or the empty slot where it would go. */
static size_t import_seen_slot(const import_seen_t *s, const char *key)
{
    size_t i = (size_t)import_hash(key) & (s->cap - 1);
    while (s->keys[i] != NULL && strcmp(s->keys[i], key) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

/* The row a key was first seen on, or 0 after remembering it on `row`; -1 out of memory. */
static long import_seen(import_seen_t *s, const char *key, uint32_t row)
{
    if ((s->n + 1) * 2 > s->cap) {
        import_seen_t big = {NULL, NULL, s->cap ? s->cap * 2 : 256, s->n};
        big.keys = calloc(big.cap, sizeof(*big.keys));
        big.lines = calloc(big.cap, sizeof(*big.lines));
        if (big.keys == NULL || big.lines == NULL) {
            free(big.keys);
            free(big.lines);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->keys[i] == NULL)
                continue;
            size_t j = import_seen_slot(&big, s->keys[i]);
            big.keys[j] = s->keys[i];
            big.lines[j] = s->lines[i];
        }
        free(s->keys);
        free(s->lines);
        *s = big;
    }
    size_t i = import_seen_slot(s, key);
    if (s->keys[i] != NULL)
        return (long)s->lines[i];
    s->keys[i] = strdup(key);
    if (s->keys[i] == NULL)
        return -1;
    s->lines[i] = row;
    s->n++;
    return 0;
}


/* Rows searched for the header below the first non-blank one: a title takes a few. */
#define IMPORT_TITLE_ROWS 20

/* A column with an empty header: a value under it is refused, never dropped. */
#define IMPORT_COL_EMPTY (-100)

/* One import: the file, its columns, the counts. */
typedef struct {
    office_t *lc;             /* borrowed */
    const importer_opts_t *o; /* borrowed */
    recin_defaults_t defaults;
    const char *data; /* o->data */
    size_t len;
    uint8_t file_hash[STORE_HASH_LEN];
    sheet_t sheet;   /* its rows */
    size_t header;   /* index in sheet.rows of the header row */
    size_t ncols;    /* columns up to the last one with a header */
    int *col_field;  /* recin_field_t of each column, RECIN_HEADER_*, IMPORT_COL_EMPTY; owned */
    char **col_name; /* the headers as written; owned */
    long stt_col;    /* the STT column, or -1 */
    long name_col;   /* the nominee's name column, or -1 */
    import_seen_t seen;
    importer_counts_t *c;
    strbuf_t why; /* what stopped the import, one sentence a line */
    int64_t now_ms;
} import_t;

/* Add a sentence to what stopped the import. */
THIDUA_PRINTF(2, 3)
static void im_say(import_t *im, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (im->why.len > 0)
        strbuf_putc(&im->why, '\n');
    strbuf_puts(&im->why, msg);
}

/* A failed store call: its message, and the exit code it calls for. */
static int im_store_fail(import_t *im, int src)
{
    const char *msg = store_errmsg(im->lc->st);
    im_say(im, "%s", msg[0] != '\0' ? msg : td_strerror(src));
    return office_store_exit(src);
}

/* A cell of r, trimmed of leading blanks; "" past its end or for col -1. */
static const char *im_cell(const sheet_row_t *r, long col)
{
    const char *s = col >= 0 && (size_t)col < r->n ? r->cells[col] : "";
    while (*s == ' ')
        s++;
    return s;
}

/* Tell the caller how a row went. */
static void im_report(import_t *im, const sheet_row_t *r, importer_outcome_t outcome,
                      const char *name, const char *award, const char *field, const char *msg)
{
    const char *stt = im_cell(r, im->stt_col);
    if (strlen(stt) > 20) /* quoted only when short: a long one is not an STT */
        stt = "";
    importer_row_t out = {r->row, stt, outcome, name != NULL ? name : im_cell(r, im->name_col),
                          award != NULL ? award : "", field != NULL ? field : "",
                          msg != NULL ? msg : ""};
    if (im->o->on_row != NULL)
        im->o->on_row(im->o->ctx, &out);
}

/* A row stored or skipped. */
static void im_accepted(import_t *im, const sheet_row_t *r, importer_outcome_t outcome,
                        const record_t *rec)
{
    im_report(im, r, outcome, rec->nominee_name, rec->proposed_award, NULL, NULL);
}

/* Report one refused row; always returns 0 (the import goes on). */
THIDUA_PRINTF(4, 5)
static int import_reject(import_t *im, const sheet_row_t *r, const char *field, const char *fmt,
                         ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    im->c->rejected++;
    im_report(im, r, IMPORTER_REFUSED, NULL, NULL, field, msg);
    return 0;
}

/* The header an officer wrote for a proto field, or the proto name when no column holds it. */
static const char *import_column_of(const import_t *im, const char *proto)
{
    int f = recin_field_by_proto(proto);
    for (size_t i = 0; f >= 0 && i < im->ncols; i++) {
        if (im->col_field[i] == f)
            return im->col_name[i];
    }
    return proto;
}

/* The physical line (from 1) of byte offset off of the file. */
static uint32_t import_line_of(const import_t *im, size_t off)
{
    uint32_t line = 1;
    for (size_t i = 0; i < off && i < im->len; i++)
        line += im->data[i] == '\n';
    return line;
}

/* An XLSX workbook into im->sheet. */
static int import_load_xlsx(import_t *im)
{
    char why[512];
    int rc = xlsx_read(im->data, im->len, im->o->sheet, &im->sheet, why, sizeof(why));
    if (rc == TD_ENOMEM) {
        im_say(im, _("import: out of memory reading %s"), im->o->name);
        return CLI_EXIT_STORE;
    }
    if (rc != TD_OK) {
        im_say(im, _("import: %s: %s: %s; nothing was imported"), im->o->name, td_strerror(rc), why);
        return CLI_EXIT_INVALID;
    }
    return CLI_EXIT_OK;
}

/* Why detection gave up: what each encoding made of the words. */
static void import_unsure(import_t *im, const enc_guess_t *g)
{
    char seen[256] = "";
    size_t o = 0;
    for (int e = ENC_CP1258; e < ENC_COUNT && o < sizeof(seen); e++) {
        int n;
        if (g->decodes[e])
            n = snprintf(seen + o, sizeof(seen) - o, "%s%s: %zu of %zu words Vietnamese",
                         o ? ", " : "", enc_name((enc_t)e), g->plausible[e], g->words[e]);
        else
            n = snprintf(seen + o, sizeof(seen) - o, "%s%s: not valid", o ? ", " : "",
                         enc_name((enc_t)e));
        if (n > 0)
            o += (size_t)n;
    }
    im_say(im, _("import: %s is not UTF-8 and its encoding cannot be told apart (%s): name it with "
              "--encoding utf-8, cp1258, tcvn3 or vni (or save the sheet as \"CSV UTF-8\"); "
              "nothing was imported"),
              im->o->name, seen);
}

/* A CSV file, in whatever encoding, into im->sheet. */
static int import_load_csv(import_t *im)
{
    enc_t enc = im->o->encoding;
    if (enc == ENC_AUTO) {
        enc_guess_t g;
        int rc = enc_detect(im->data, im->len, &enc, &g);
        if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL) {
            im_say(im, _("import: %s: %s"), im->o->name, td_strerror(rc));
            return CLI_EXIT_STORE;
        }
        if (rc == TD_EUNSURE) {
            import_unsure(im, &g);
            return CLI_EXIT_INVALID;
        }
        im->c->guessed = true;
    }
    im->c->encoding = enc;
    char *text = NULL;
    size_t len = 0, bad = 0;
    int rc = enc_decode(enc, im->data, im->len, &text, &len, &bad);
    if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL) {
        im_say(im, _("import: %s: %s"), im->o->name, td_strerror(rc));
        return CLI_EXIT_STORE;
    }
    if (rc == TD_EHUGE) {
        im_say(im, _("import: %s: %s"), im->o->name, td_strerror(rc));
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        const char *what = rc == TD_ENUL ? "a NUL byte" : enc == ENC_UTF8 ? "not UTF-8" : "byte";
        char byte[16] = "";
        if (rc == TD_ECHARSET)
            snprintf(byte, sizeof(byte), " 0x%02X", (unsigned char)im->data[bad]);
        im_say(im, _("import: %s line %u: %s%s at byte %zu: the file is not %s; give --encoding "
                  "utf-8, cp1258, tcvn3 or vni (in Excel: Save As, \"CSV UTF-8\"); nothing was "
                  "imported"),
                  im->o->name, import_line_of(im, bad), what, byte, bad, enc_name(enc));
        return CLI_EXIT_INVALID;
    }
    char delim = im->o->delim ? im->o->delim : csv_sniff(text, len);
    rc = sheet_from_csv(&im->sheet, text, len, delim);
    free(text);
    if (rc == TD_ETOOMANY) {
        im_say(im, _("import: %s has more than %u cells: split it"), im->o->name, SHEET_MAX_CELLS);
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        im_say(im, _("import: out of memory reading %s"), im->o->name);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

/* The header cell of column i of the header row, as normalised text ("" past the row's end). */
static char *import_header_name(const sheet_row_t *h, size_t i)
{
    const char *raw = i < h->n ? h->cells[i] : "";
    char *name = NULL;
    if (text_normalize(raw, strlen(raw), NULL, &name, NULL, NULL) != TD_OK)
        name = strdup(raw);
    return name;
}

/* How many cells of r name a column we know. */
static size_t import_known_headers(const sheet_row_t *r)
{
    size_t known = 0;
    for (size_t i = 0; i < r->n && r->problem == 0; i++) {
        char *name = import_header_name(r, i);
        int f = name != NULL ? recin_header(name) : RECIN_HEADER_UNKNOWN;
        known += f >= 0 || f == RECIN_HEADER_ROWNO;
        free(name);
    }
    return known;
}

/* Map the header row's columns to fields; prints every problem. */
static int import_header(import_t *im)
{
    const sheet_t *sh = &im->sheet;
    size_t hi = 0;
    while (hi < sh->n && sheet_row_blank(&sh->rows[hi]) && sh->rows[hi].problem == 0)
        hi++;
    /* Office sheets often carry a title above the table: the header is the first row naming
     * two columns we know (or, when none does, the first row, so that its errors are shown). */
    for (size_t k = hi; k < sh->n && k < hi + IMPORT_TITLE_ROWS; k++) {
        if (import_known_headers(&sh->rows[k]) >= 2) {
            hi = k;
            break;
        }
    }
    if (hi == sh->n) {
        im_say(im, _("import: the file is empty: the first row must name the columns"));
        return CLI_EXIT_INVALID;
    }
    const sheet_row_t *h = &sh->rows[hi];
    im->header = hi;
    if (h->problem != 0) {
        im_say(im, _("import: row %u: %s"), h->row, td_strerror(h->problem));
        return CLI_EXIT_INVALID;
    }
    /* Empty trailing header cells (a sheet formatted wider than its table) are no columns. */
    size_t ncols = h->n;
    while (ncols > 0 && sheet_row_blank(&(sheet_row_t){.n = 1, .cells = &h->cells[ncols - 1]}))
        ncols--;
    im->ncols = ncols;
    im->stt_col = -1;
    im->name_col = -1;
    im->col_field = calloc(ncols ? ncols : 1, sizeof(*im->col_field));
    im->col_name = calloc(ncols ? ncols : 1, sizeof(*im->col_name));
    if (im->col_field == NULL || im->col_name == NULL) {
        im_say(im, _("import: out of memory"));
        return CLI_EXIT_STORE;
    }
    int bad = 0;
    int seen[RECIN_NFIELDS];
    for (size_t f = 0; f < RECIN_NFIELDS; f++)
        seen[f] = -1;
    for (size_t i = 0; i < ncols; i++) {
        char *name = import_header_name(h, i);
        if (name == NULL) {
            im_say(im, _("import: out of memory"));
            return CLI_EXIT_STORE;
        }
        im->col_name[i] = name;
        int f = name[0] == '\0' ? IMPORT_COL_EMPTY : recin_header(name);
        im->col_field[i] = f;
        if (f == RECIN_HEADER_UNKNOWN) {
            im_say(im, _("import: row %u: unknown column \"%s\" (column %zu): rename or delete it; "
                      "the district guide lists the columns"),
                      h->row, name, i + 1);
            bad = 1;
        } else if (f == RECIN_HEADER_ROWNO && im->stt_col < 0) {
            im->stt_col = (long)i;
        } else if (f >= 0 && seen[f] >= 0) {
            im_say(im, _("import: row %u: columns %d (\"%s\") and %zu (\"%s\") are both %s"),
                      h->row, seen[f] + 1, im->col_name[seen[f]], i + 1, name,
                      recin_fields[f].proto);
            bad = 1;
        } else if (f >= 0) {
            seen[f] = (int)i;
            if (f == RECIN_NAME)
                im->name_col = (long)i;
        }
    }
    static const recin_field_t required[] = {RECIN_KIND,     RECIN_NAME,        RECIN_TITLE,
                                             RECIN_CATEGORY, RECIN_ACHIEVED_ON, RECIN_AWARD};
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(required); k++) {
        if (seen[required[k]] < 0) {
            im_say(im, _("import: row %u: no column for %s (e.g. \"%s\" or \"%s\")"), h->row,
                      recin_fields[required[k]].proto, recin_fields[required[k]].proto,
                      recin_fields[required[k]].vi);
            bad = 1;
        }
    }
    if (bad) {
        im_say(im, _("import: nothing was imported"));
        return CLI_EXIT_INVALID;
    }
    return CLI_EXIT_OK;
}

/* A store write refused: the row's own fault is reported, anything else stops the import. */
static int import_store_row_fail(import_t *im, const sheet_row_t *row, int src)
{
    switch (src) {
    case TD_ELOCKED:
    case TD_EINVAL:
    case TD_EEXISTS:
    case TD_ESTALE:
        return import_reject(im, row, NULL, "%s", store_errmsg(im->lc->st));
    default:
        return im_store_fail(im, src);
    }
}

/* An existing record under the row's key: skip it, or store the row as its next revision. */
static int import_existing(import_t *im, const sheet_row_t *row, const recin_t *in,
                           const char *id)
{
    store_record_t *sr = NULL;
    int src = store_record_get(im->lc->st, id, &sr);
    if (src < 0)
        return im_store_fail(im, src);
    record_t r;
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    int rc = 0;
    int vrc = recin_build(in, &im->defaults, &sr->rec, &r, hash, &err);
    if (vrc != TD_OK) {
        if (vrc == TD_EINTERNAL) {
            im_say(im, _("import: %s"), err.reason);
            rc = CLI_EXIT_STORE;
        } else {
            rc = import_reject(im, row, import_column_of(im, err.field), "%s", err.reason);
        }
        store_record_free(sr);
        return rc;
    }
    if (memcmp(hash, sr->content_hash, RECORD_HASH_LEN) == 0) {
        im->c->skipped++;
        im_accepted(im, row, IMPORTER_SAME, &r);
    } else if (office_is_locked(sr)) {
        char why[512];
        office_why_locked(sr, why, sizeof(why));
        rc = import_reject(im, row, NULL,
                           "the row changes record %.8s, which can no longer be changed: %s", id,
                           why);
    } else {
        Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
        record_to_proto(&r, &p);
        p.revision = 0;
        p.content_hash.data = hash;
        p.content_hash.len = RECORD_HASH_LEN;
        src = store_record_update(im->lc->st, &p, im->now_ms);
        if (src < 0)
            rc = import_store_row_fail(im, row, src);
        else {
            im->c->updated++;
            im_accepted(im, row, IMPORTER_UPDATED, &r);
        }
    }
    record_free(&r);
    store_record_free(sr);
    return rc;
}

/* One data row: 0 when it was imported, skipped or reported; an exit code when all must stop. */
static int import_row(import_t *im, const sheet_row_t *row)
{
    recin_t in;
    recin_init(&in);
    char why[512];
    for (size_t i = 0; i < row->n && i < im->ncols; i++) {
        if (im->col_field[i] < 0)
            continue;
        int src = recin_set(&in, &im->defaults, (recin_field_t)im->col_field[i], row->cells[i],
                            why, sizeof(why));
        if (src == -2) {
            recin_free(&in);
            im_say(im, _("import: out of memory"));
            return CLI_EXIT_STORE;
        }
        if (src != 0) {
            recin_free(&in);
            return import_reject(im, row, im->col_name[i], "%s", why);
        }
    }
    record_t r;
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    int vrc = recin_build(&in, &im->defaults, NULL, &r, hash, &err);
    if (vrc != TD_OK) {
        recin_free(&in);
        if (vrc == TD_EINTERNAL) {
            im_say(im, _("import: %s: %s"), err.field, err.reason);
            return CLI_EXIT_STORE;
        }
        return import_reject(im, row, import_column_of(im, err.field), "%s", err.reason);
    }

    Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
    record_to_proto(&r, &p);
    p.content_hash.data = hash;
    p.content_hash.len = RECORD_HASH_LEN;
    char *key = NULL;
    char id[STORE_ID_LEN + 1];
    int rc = 0;
    int src = store_import_key(im->lc->st, &p, &key);
    if (src < 0) {
        rc = im_store_fail(im, src);
        goto done;
    }
    long first = import_seen(&im->seen, key, row->row);
    if (first < 0) {
        im_say(im, _("import: out of memory"));
        rc = CLI_EXIT_STORE;
        goto done;
    }
    if (first > 0) {
        rc = import_reject(im, row, NULL,
                           "the same nomination as row %ld (same name, birth date, title and "
                           "category): merge the two rows",
                           first);
        goto done;
    }
    src = store_import_find(im->lc->st, key, id);
    if (src == TD_ENOTFOUND) {
        src = store_record_insert(im->lc->st, &p, im->now_ms);
        if (src < 0) {
            rc = import_store_row_fail(im, row, src);
            goto done;
        }
        im->c->imported++;
        im_accepted(im, row, IMPORTER_NEW, &r);
        memcpy(id, r.id, sizeof(id));
    } else if (src < 0) {
        rc = im_store_fail(im, src);
        goto done;
    } else {
        uint64_t before = im->c->rejected;
        rc = import_existing(im, row, &in, id);
        if (rc != 0 || im->c->rejected != before)
            goto done;
    }
    src = store_import_note(im->lc->st, key, id, im->file_hash, row->row, im->now_ms);
    if (src < 0)
        rc = im_store_fail(im, src);
done:
    free(key);
    record_free(&r);
    recin_free(&in);
    return rc;
}

/* The first cell of r past the header's columns that holds a value (from 0), or 0 when none. */
static size_t import_beyond(const import_t *im, const sheet_row_t *r)
{
    for (size_t i = im->ncols; i < r->n; i++) {
        if (!sheet_row_blank(&(sheet_row_t){.n = 1, .cells = &r->cells[i]}))
            return i + 1;
    }
    for (size_t i = 0; i < im->ncols && i < r->n; i++) {
        if (im->col_field[i] == IMPORT_COL_EMPTY &&
            !sheet_row_blank(&(sheet_row_t){.n = 1, .cells = &r->cells[i]}))
            return i + 1;
    }
    return 0;
}

/* Every row after the header, inside the open transaction. */
static int import_rows(import_t *im)
{
    for (size_t k = im->header + 1; k < im->sheet.n; k++) {
        const sheet_row_t *r = &im->sheet.rows[k];
        if (r->problem == TD_EQUOTE) {
            import_reject(im, r, NULL, "%s (line %u of the file): the rest of the file cannot be "
                          "read", td_strerror(r->problem), r->line);
            return CLI_EXIT_OK;
        }
        if (r->problem == TD_EJUNK) {
            const char *col = r->bad_cell <= im->ncols ? im->col_name[r->bad_cell - 1] : "";
            import_reject(im, r, col, "%s", td_strerror(r->problem));
            continue;
        }
        if (sheet_row_blank(r))
            continue;
        /* A CSV row short of cells has lost a separator: its values would shift columns. */
        if (!im->sheet.sparse && r->n < im->ncols) {
            import_reject(im, r, NULL, "%zu fields, but the header has %zu", r->n, im->ncols);
            continue;
        }
        size_t extra = import_beyond(im, r);
        if (extra > 0) {
            import_reject(im, r, NULL, "a value in column %zu, which has no header: name the "
                          "column or clear the cell", extra);
            continue;
        }
        int rc = import_row(im, r);
        if (rc != 0)
            return rc;
    }
    return CLI_EXIT_OK;
}

static void import_free(import_t *im)
{
    for (size_t i = 0; i < im->ncols; i++)
        free(im->col_name[i]);
    free(im->col_name);
    free(im->col_field);
    sheet_free(&im->sheet);
    import_seen_free(&im->seen);
    strbuf_free(&im->why);
}

/* The file into rows, the header into columns: CLI_EXIT_OK or why not. */
static int import_load(import_t *im)
{
    if (EVP_Digest(im->data, im->len, im->file_hash, NULL, EVP_sha256(), NULL) != 1) {
        im_say(im, _("import: SHA-256 failed"));
        return CLI_EXIT_STORE;
    }
    im->c->encoding = ENC_UTF8;
    int rc = xlsx_is_zip(im->data, im->len) ? import_load_xlsx(im) : import_load_csv(im);
    return rc == CLI_EXIT_OK ? import_header(im) : rc;
}

int importer_run(office_t *lc, const importer_opts_t *o, importer_counts_t *counts, char *why,
                 size_t whylen)
{
    import_t im;
    memset(&im, 0, sizeof(im));
    memset(counts, 0, sizeof(*counts));
    im.lc = lc;
    im.o = o;
    im.c = counts;
    im.data = o->data;
    im.len = o->len;
    strbuf_init(&im.why);
    sheet_init(&im.sheet);
    office_defaults(lc, o->campaign, &im.defaults);
    if (o->unit != NULL)
        im.defaults.unit = o->unit;
    im.now_ms = office_now_ms();
    counts->no_welcome = lc->welcome == NULL;

    int rc = import_load(&im), src;
    if (rc == CLI_EXIT_OK && (src = store_import_file_rows(lc->st, im.file_hash, &counts->before)) < 0)
        rc = im_store_fail(&im, src);
    if (rc == CLI_EXIT_OK && (src = store_begin(lc->st)) < 0)
        rc = im_store_fail(&im, src);
    if (rc == CLI_EXIT_OK) {
        rc = import_rows(&im);
        if (rc != CLI_EXIT_OK || o->dry_run) {
            (void)store_rollback(lc->st);
            if (rc != CLI_EXIT_OK)
                im_say(&im, _("import: stopped; nothing was imported"));
        } else if ((src = store_commit(lc->st)) < 0) {
            rc = im_store_fail(&im, src);
            im_say(&im, _("import: nothing was imported"));
        }
    }
    snprintf(why, whylen, "%s", rc == CLI_EXIT_OK ? "" : strbuf_str(&im.why));
    import_free(&im);
    return rc;
}
