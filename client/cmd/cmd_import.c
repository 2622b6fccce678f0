/*
 * cmd_import.c - `thidua import FILE`: nominations from an office's
 * spreadsheet.
 *
 * The file is a CSV in UTF-8, Windows-1258, TCVN3 or VNI (encoding.h) or an
 * XLSX workbook (xlsx_read.h); either becomes a sheet_t, so rows are named
 * the same way whatever the file: by the row number Excel shows beside it
 * (the header of a CSV being row 1) and by its STT when the sheet has one.
 *
 * The whole file goes in as ONE store transaction: the good rows are
 * imported together, or (on a disk error) nothing is. A bad row never stops
 * the others: each is reported as "row N (STT s): column: reason", and the
 * command exits 2 so that a script notices. Importing the file again, or a corrected copy, does not duplicate
 * anything: rows are matched to the records they made by their natural key
 * (store_import_key: campaign, unit, folded name, birth date, folded title,
 * category); an unchanged row is skipped, a changed one becomes a new
 * revision. Two rows of one file with the same key are one nomination
 * written twice: the second is refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "i18n.h"
#include "csv.h"
#include "encoding.h"
#include "file_in.h"
#include "import_form.h"
#include "office_session.h"
#include "output.h"
#include "record_input.h"
#include "sheet.h"
#include "text.h"
#include "xlsx_read.h"

/* Largest file read: far above any office's list, far below a machine's memory. */
#define IMPORT_MAX_BYTES (64u * 1024u * 1024u)

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

typedef struct {
    const char *path;
    const char *campaign; /* --campaign */
    const char *unit;     /* --unit */
    const char *sheet;    /* --sheet; NULL: the first */
    const char *template; /* --template: write the form there instead */
    char delim;           /* --separator; 0: guess */
    enc_t encoding;       /* --encoding; ENC_AUTO: detect */
    bool dry_run;
} import_args_t;

/* Rows searched for the header below the first non-blank one: a title takes a few. */
#define IMPORT_TITLE_ROWS 20

/* A column with an empty header: a value under it is refused, never dropped. */
#define IMPORT_COL_EMPTY (-100)

/* One import: the file, its columns, the counts. */
typedef struct {
    cli_t *cli;
    office_t lc;
    recin_defaults_t defaults;
    char *data; /* the file, owned */
    size_t len;
    uint8_t file_hash[STORE_HASH_LEN];
    sheet_t sheet;     /* its rows */
    size_t header;     /* index in sheet.rows of the header row */
    size_t ncols;      /* columns up to the last one with a header */
    int *col_field;    /* recin_field_t of each column, RECIN_HEADER_*, IMPORT_COL_EMPTY; owned */
    char **col_name;   /* the headers as written; owned */
    long stt_col;      /* the STT column, or -1 */
    import_seen_t seen;
    uint64_t imported, updated, skipped, rejected;
    strbuf_t errors; /* --json: the array of errors */
    int64_t now_ms;
} import_t;

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
    im->rejected++;
    /* The STT as the officer typed it, when it is short enough to quote. */
    const char *stt = "";
    if (im->stt_col >= 0 && (size_t)im->stt_col < r->n && strlen(r->cells[im->stt_col]) <= 20)
        stt = r->cells[im->stt_col];
    while (*stt == ' ')
        stt++;
    char where[64];
    if (stt[0] != '\0')
        snprintf(where, sizeof(where), _("row %u (STT %s)"), r->row, stt);
    else
        snprintf(where, sizeof(where), _("row %u"), r->row);
    if (field != NULL && field[0] != '\0')
        fprintf(stderr, "%s: %s: %s\n", where, field, msg);
    else
        fprintf(stderr, "%s: %s\n", where, msg);
    if (im->cli->json) {
        out_json_key(&im->errors, NULL);
        strbuf_putc(&im->errors, '{');
        out_json_int(&im->errors, "row", r->row);
        out_json_str(&im->errors, "stt", stt);
        out_json_str(&im->errors, "field", field != NULL ? field : "");
        out_json_str(&im->errors, "message", msg);
        strbuf_putc(&im->errors, '}');
    }
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

static int import_read(import_t *im, const char *path)
{
    int rc = file_in_read(path, IMPORT_MAX_BYTES, &im->data, &im->len);
    if (rc == TD_ENOMEM) {
        cli_error(_("import: out of memory reading %s"), path);
        return CLI_EXIT_STORE;
    }
    if (rc == TD_EHUGE) {
        cli_error(_("import: %s is larger than %u MiB: split it"), path, IMPORT_MAX_BYTES >> 20);
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        cli_error(_("import: cannot read %s: %s"), path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (EVP_Digest(im->data, im->len, im->file_hash, NULL, EVP_sha256(), NULL) != 1) {
        cli_error(_("import: SHA-256 failed"));
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
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
static int import_load_xlsx(import_t *im, const import_args_t *a)
{
    char why[512];
    int rc = xlsx_read(im->data, im->len, a->sheet, &im->sheet, why, sizeof(why));
    if (rc == TD_ENOMEM) {
        cli_error(_("import: out of memory reading %s"), a->path);
        return CLI_EXIT_STORE;
    }
    if (rc != TD_OK) {
        cli_error(_("import: %s: %s: %s; nothing was imported"), a->path, td_strerror(rc), why);
        return CLI_EXIT_INVALID;
    }
    return CLI_EXIT_OK;
}

/* Why detection gave up: what each encoding made of the words. */
static void import_unsure(const import_args_t *a, const enc_guess_t *g)
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
    cli_error(_("import: %s is not UTF-8 and its encoding cannot be told apart (%s): name it with "
              "--encoding utf-8, cp1258, tcvn3 or vni (or save the sheet as \"CSV UTF-8\"); "
              "nothing was imported"),
              a->path, seen);
}

/* A CSV file, in whatever encoding, into im->sheet. */
static int import_load_csv(import_t *im, const import_args_t *a)
{
    enc_t enc = a->encoding;
    if (enc == ENC_AUTO) {
        enc_guess_t g;
        int rc = enc_detect(im->data, im->len, &enc, &g);
        if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL) {
            cli_error(_("import: %s: %s"), a->path, td_strerror(rc));
            return CLI_EXIT_STORE;
        }
        if (rc == TD_EUNSURE) {
            import_unsure(a, &g);
            return CLI_EXIT_INVALID;
        }
        if (enc != ENC_UTF8 && !im->cli->quiet)
            cli_error(_("import: %s read as %s (give --encoding if that is wrong)"), a->path,
                      enc_name(enc));
    }
    char *text = NULL;
    size_t len = 0, bad = 0;
    int rc = enc_decode(enc, im->data, im->len, &text, &len, &bad);
    if (rc == TD_ENOMEM || rc == TD_EICU || rc == TD_EINTERNAL) {
        cli_error(_("import: %s: %s"), a->path, td_strerror(rc));
        return CLI_EXIT_STORE;
    }
    if (rc == TD_EHUGE) {
        cli_error(_("import: %s: %s"), a->path, td_strerror(rc));
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        const char *what = rc == TD_ENUL ? "a NUL byte" : enc == ENC_UTF8 ? "not UTF-8" : "byte";
        char byte[16] = "";
        if (rc == TD_ECHARSET)
            snprintf(byte, sizeof(byte), " 0x%02X", (unsigned char)im->data[bad]);
        cli_error(_("import: %s line %u: %s%s at byte %zu: the file is not %s; give --encoding "
                  "utf-8, cp1258, tcvn3 or vni (in Excel: Save As, \"CSV UTF-8\"); nothing was "
                  "imported"),
                  a->path, import_line_of(im, bad), what, byte, bad, enc_name(enc));
        return CLI_EXIT_INVALID;
    }
    char delim = a->delim ? a->delim : csv_sniff(text, len);
    rc = sheet_from_csv(&im->sheet, text, len, delim);
    free(text);
    if (rc == TD_ETOOMANY) {
        cli_error(_("import: %s has more than %u cells: split it"), a->path, SHEET_MAX_CELLS);
        return CLI_EXIT_INVALID;
    }
    if (rc != TD_OK) {
        cli_error(_("import: out of memory reading %s"), a->path);
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
        cli_error(_("import: the file is empty: the first row must name the columns"));
        return CLI_EXIT_INVALID;
    }
    const sheet_row_t *h = &sh->rows[hi];
    im->header = hi;
    if (h->problem != 0) {
        cli_error(_("import: row %u: %s"), h->row, td_strerror(h->problem));
        return CLI_EXIT_INVALID;
    }
    /* Empty trailing header cells (a sheet formatted wider than its table) are no columns. */
    size_t ncols = h->n;
    while (ncols > 0 && sheet_row_blank(&(sheet_row_t){.n = 1, .cells = &h->cells[ncols - 1]}))
        ncols--;
    im->ncols = ncols;
    im->stt_col = -1;
    im->col_field = calloc(ncols ? ncols : 1, sizeof(*im->col_field));
    im->col_name = calloc(ncols ? ncols : 1, sizeof(*im->col_name));
    if (im->col_field == NULL || im->col_name == NULL) {
        cli_error(_("import: out of memory"));
        return CLI_EXIT_STORE;
    }
    int bad = 0;
    int seen[RECIN_NFIELDS];
    for (size_t f = 0; f < RECIN_NFIELDS; f++)
        seen[f] = -1;
    for (size_t i = 0; i < ncols; i++) {
        char *name = import_header_name(h, i);
        if (name == NULL) {
            cli_error(_("import: out of memory"));
            return CLI_EXIT_STORE;
        }
        im->col_name[i] = name;
        int f = name[0] == '\0' ? IMPORT_COL_EMPTY : recin_header(name);
        im->col_field[i] = f;
        if (f == RECIN_HEADER_UNKNOWN) {
            cli_error(_("import: row %u: unknown column \"%s\" (column %zu): rename or delete it; "
                      "the district guide lists the columns"),
                      h->row, name, i + 1);
            bad = 1;
        } else if (f == RECIN_HEADER_ROWNO && im->stt_col < 0) {
            im->stt_col = (long)i;
        } else if (f >= 0 && seen[f] >= 0) {
            cli_error(_("import: row %u: columns %d (\"%s\") and %zu (\"%s\") are both %s"),
                      h->row, seen[f] + 1, im->col_name[seen[f]], i + 1, name,
                      recin_fields[f].proto);
            bad = 1;
        } else if (f >= 0) {
            seen[f] = (int)i;
        }
    }
    static const recin_field_t required[] = {RECIN_KIND,     RECIN_NAME,        RECIN_TITLE,
                                             RECIN_CATEGORY, RECIN_ACHIEVED_ON, RECIN_AWARD};
    for (size_t k = 0; k < THIDUA_ARRAY_LEN(required); k++) {
        if (seen[required[k]] < 0) {
            cli_error(_("import: row %u: no column for %s (e.g. \"%s\" or \"%s\")"), h->row,
                      recin_fields[required[k]].proto, recin_fields[required[k]].proto,
                      recin_fields[required[k]].vi);
            bad = 1;
        }
    }
    if (bad) {
        cli_error(_("import: nothing was imported"));
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
        return import_reject(im, row, NULL, "%s", store_errmsg(im->lc.st));
    default:
        return office_store_fail("import", im->lc.st, src);
    }
}

/* An existing record under the row's key: skip it, or store the row as its next revision. */
static int import_existing(import_t *im, const sheet_row_t *row, const recin_t *in,
                           const char *id)
{
    store_record_t *sr = NULL;
    int src = store_record_get(im->lc.st, id, &sr);
    if (src < 0)
        return office_store_fail("import", im->lc.st, src);
    record_t r;
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    int rc = 0;
    int vrc = recin_build(in, &im->defaults, &sr->rec, &r, hash, &err);
    if (vrc != TD_OK) {
        if (vrc == TD_EINTERNAL) {
            cli_error(_("import: %s"), err.reason);
            rc = CLI_EXIT_STORE;
        } else {
            rc = import_reject(im, row, import_column_of(im, err.field), "%s", err.reason);
        }
        store_record_free(sr);
        return rc;
    }
    if (memcmp(hash, sr->content_hash, RECORD_HASH_LEN) == 0) {
        im->skipped++;
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
        src = store_record_update(im->lc.st, &p, im->now_ms);
        if (src < 0)
            rc = import_store_row_fail(im, row, src);
        else
            im->updated++;
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
            cli_error(_("import: out of memory"));
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
            cli_error(_("import: %s: %s"), err.field, err.reason);
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
    int src = store_import_key(im->lc.st, &p, &key);
    if (src < 0) {
        rc = office_store_fail("import", im->lc.st, src);
        goto done;
    }
    long first = import_seen(&im->seen, key, row->row);
    if (first < 0) {
        cli_error(_("import: out of memory"));
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
    src = store_import_find(im->lc.st, key, id);
    if (src == TD_ENOTFOUND) {
        src = store_record_insert(im->lc.st, &p, im->now_ms);
        if (src < 0) {
            rc = import_store_row_fail(im, row, src);
            goto done;
        }
        im->imported++;
        memcpy(id, r.id, sizeof(id));
    } else if (src < 0) {
        rc = office_store_fail("import", im->lc.st, src);
        goto done;
    } else {
        uint64_t before = im->rejected;
        rc = import_existing(im, row, &in, id);
        if (rc != 0 || im->rejected != before)
            goto done;
    }
    src = store_import_note(im->lc.st, key, id, im->file_hash, row->row, im->now_ms);
    if (src < 0)
        rc = office_store_fail("import", im->lc.st, src);
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

static int import_report(const import_t *im, const import_args_t *a)
{
    const char *pre = a->dry_run ? _("dry run, nothing stored: would have ") : "";
    if (im->cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "file", a->path);
        out_json_bool(&sb, "dry_run", a->dry_run);
        out_json_int(&sb, "imported", (long long)im->imported);
        out_json_int(&sb, "updated", (long long)im->updated);
        out_json_int(&sb, "skipped", (long long)im->skipped);
        out_json_int(&sb, "rejected", (long long)im->rejected);
        out_json_key(&sb, "errors");
        strbuf_putc(&sb, '[');
        strbuf_puts(&sb, strbuf_str(&im->errors));
        strbuf_puts(&sb, "]}");
        return out_json_done(&sb);
    }
    printf("%s", pre); /* "dry run: " or nothing */
    printf(_("imported %llu"), (unsigned long long)im->imported);
    if (im->updated > 0)
        printf(_(", updated %llu"), (unsigned long long)im->updated);
    printf(_(", skipped %llu already imported, %llu rejected\n"), (unsigned long long)im->skipped,
           (unsigned long long)im->rejected);
    if (im->rejected > 0 && !im->cli->quiet)
        cli_error(_("import: fix the rows above and import the file again: rows already "
                  "imported are skipped"));
    return CLI_EXIT_OK;
}

static void import_help(void)
{
    printf(_("usage: thidua import [--dry-run] [--unit CODE] [--campaign CODE]\n"
           "                     [--encoding ENC] [--separator C] [--sheet NAME] FILE\n"
           "       thidua import --template FILE.xlsx|FILE.csv\n\n"
           "Add the nominations of a spreadsheet in one go: an XLSX workbook (the first\n"
           "sheet, or --sheet), or a CSV file in UTF-8 (with or without BOM),\n"
           "Windows-1258, TCVN3 (ABC) or VNI, told apart by itself. The first row names\n"
           "the columns, in English (the field names) or in Vietnamese (\"Loại\",\n"
           "\"Họ và tên\", \"Ngày sinh\", \"Giới tính\", \"Chức vụ\", \"Đơn vị công tác\",\n"
           "\"Thành tích\", \"Báo cáo thành tích\", \"Lĩnh vực\", \"Ngày đạt\",\n"
           "\"Hình thức khen thưởng\"); see the district guide. Each bad row is reported\n"
           "as `row N (STT s): column: reason`, N being the row Excel shows, and the good\n"
           "rows are imported. Importing the same file again adds nothing; a corrected\n"
           "row becomes a new revision of the record it made. Exit status 2 when rows\n"
           "were rejected.\n\n"
           "  --dry-run        check every row, store nothing\n"
           "  --unit CODE      unit of rows without one (default: this office's unit)\n"
           "  --campaign CODE  campaign of rows without one (default: the server's)\n"
           "  --encoding ENC   utf-8, cp1258, tcvn3 or vni (default: detected)\n"
           "  --separator C    , ; or tab (default: guessed from the first line)\n"
           "  --sheet NAME     the sheet of an XLSX workbook (default: the first)\n"
           "  --template FILE  write the empty form (headers and an example row) and stop\n"));
}

static int import_parse(int argc, char **argv, import_args_t *a)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},        {"unit", required_argument, NULL, 'u'},
        {"campaign", required_argument, NULL, 'C'}, {"separator", required_argument, NULL, 'd'},
        {"delimiter", required_argument, NULL, 'd'}, {"encoding", required_argument, NULL, 'e'},
        {"sheet", required_argument, NULL, 's'},    {"template", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    int opt, e;
    optind = 0; /* glibc: start afresh and permute, so options may follow an id */
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            a->dry_run = true;
            break;
        case 'u':
            a->unit = optarg;
            break;
        case 'C':
            a->campaign = optarg;
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                a->delim = '\t';
            else if (strlen(optarg) == 1 && strchr(",;\t|", optarg[0]) != NULL)
                a->delim = optarg[0];
            else {
                cli_error(_("import: --separator: one of , ; | or tab"));
                return CLI_EXIT_USAGE;
            }
            break;
        case 'e':
            e = enc_by_name(optarg);
            if (e < 0) {
                cli_error(_("import: --encoding: one of utf-8, cp1258, tcvn3 or vni"));
                return CLI_EXIT_USAGE;
            }
            a->encoding = (enc_t)e;
            break;
        case 's':
            a->sheet = optarg;
            break;
        case 't':
            a->template = optarg;
            break;
        case 'h':
            import_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (a->template != NULL && argc - optind == 0)
        return CLI_EXIT_OK;
    if (argc - optind != 1 || a->template != NULL) {
        cli_error(_("import: give exactly one file, or --template FILE alone (see --help)"));
        return CLI_EXIT_USAGE;
    }
    a->path = argv[optind];
    return CLI_EXIT_OK;
}

static void import_free(import_t *im)
{
    for (size_t i = 0; i < im->ncols; i++)
        free(im->col_name[i]);
    free(im->col_name);
    free(im->col_field);
    free(im->data);
    sheet_free(&im->sheet);
    import_seen_free(&im->seen);
    strbuf_free(&im->errors);
    office_close(&im->lc);
}

/* --template: the empty form. */
static int import_template(const import_args_t *a)
{
    char why[512];
    if (form_write(a->template, why, sizeof(why)) != TD_OK) {
        cli_error(_("import: %s"), why);
        return CLI_EXIT_USAGE;
    }
    printf(_("wrote the import form to %s\n"), a->template);
    return CLI_EXIT_OK;
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    import_args_t a;
    int rc = import_parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (a.template != NULL)
        return import_template(&a);

    import_t im;
    memset(&im, 0, sizeof(im));
    im.cli = cli;
    strbuf_init(&im.errors);
    sheet_init(&im.sheet);
    rc = import_read(&im, a.path);
    if (rc == CLI_EXIT_OK)
        rc = xlsx_is_zip(im.data, im.len) ? import_load_xlsx(&im, &a) : import_load_csv(&im, &a);
    if (rc == CLI_EXIT_OK)
        rc = import_header(&im);
    if (rc == CLI_EXIT_OK)
        rc = office_open(cli, "import", &im.lc);
    if (rc != CLI_EXIT_OK) {
        import_free(&im);
        return rc;
    }
    office_defaults(&im.lc, a.campaign, &im.defaults);
    if (a.unit != NULL)
        im.defaults.unit = a.unit;
    im.now_ms = office_now_ms();
    if (im.lc.welcome == NULL && !cli->quiet)
        cli_error(_("warning: no campaign data saved yet (the server was never reached): only the "
                  "syntax of the rows is checked now; the campaign's rules are checked at sync"));
    uint64_t before = 0;
    int src = store_import_file_rows(im.lc.st, im.file_hash, &before);
    if (src < 0)
        rc = office_store_fail("import", im.lc.st, src);
    else if (before > 0 && !cli->quiet)
        cli_error(_("import: this file was imported before (%llu rows): those rows are skipped"),
                  (unsigned long long)before);

    if (rc == CLI_EXIT_OK && (src = store_begin(im.lc.st)) < 0)
        rc = office_store_fail("import", im.lc.st, src);
    if (rc == CLI_EXIT_OK) {
        rc = import_rows(&im);
        if (rc != CLI_EXIT_OK || a.dry_run) {
            (void)store_rollback(im.lc.st);
            if (rc != CLI_EXIT_OK)
                cli_error(_("import: stopped; nothing was imported"));
        } else if ((src = store_commit(im.lc.st)) < 0) {
            rc = office_store_fail("import", im.lc.st, src);
            cli_error(_("import: nothing was imported"));
        }
    }
    if (rc == CLI_EXIT_OK)
        rc = import_report(&im, &a);
    if (rc == CLI_EXIT_OK && im.rejected > 0)
        rc = CLI_EXIT_INVALID;
    import_free(&im);
    return rc;
}
