/*
 * cmd_import.c - `thidua import FILE.csv`: nominations from an office's
 * spreadsheet.
 *
 * The whole file goes in as ONE store transaction: the good rows are
 * imported together, or (on a disk error) nothing is. A bad row never stops
 * the others: each is reported as "line N: column: reason", N being the line
 * of the file where the row starts, and the command exits 2 so that a script
 * notices. Importing the file again, or a corrected copy, does not duplicate
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
#include "csv.h"
#include "office_session.h"
#include "output.h"
#include "record_input.h"
#include "text.h"

/* Largest file read: far above any office's list, far below a machine's memory. */
#define IMPORT_MAX_BYTES (64u * 1024u * 1024u)

/* Keys of the rows seen in this file, with their lines: open addressing. Owns the keys. */
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

/* The line a key was first seen on, or 0 after remembering it on `line`; -1 out of memory. */
static long import_seen(import_seen_t *s, const char *key, uint32_t line)
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
    s->lines[i] = line;
    s->n++;
    return 0;
}

typedef struct {
    const char *path;
    const char *campaign; /* --campaign */
    const char *unit;     /* --unit */
    char delim;           /* --delimiter; 0: guess */
    bool dry_run;
} import_args_t;

/* One import: the file, its columns, the counts. */
typedef struct {
    cli_t *cli;
    office_t lc;
    recin_defaults_t defaults;
    char *data; /* the file, owned */
    size_t len;
    uint8_t file_hash[STORE_HASH_LEN];
    size_t ncols;
    int *col_field;  /* recin_field_t of each column, or RECIN_HEADER_IGNORED; owned */
    char **col_name; /* the headers as written; owned */
    import_seen_t seen;
    uint64_t imported, updated, skipped, rejected;
    strbuf_t errors; /* --json: the array of errors */
    int64_t now_ms;
} import_t;

/* Report one refused row; always returns 0 (the import goes on). */
THIDUA_PRINTF(4, 5)
static int import_reject(import_t *im, uint32_t line, const char *field, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    im->rejected++;
    if (field != NULL && field[0] != '\0')
        fprintf(stderr, "line %u: %s: %s\n", line, field, msg);
    else
        fprintf(stderr, "line %u: %s\n", line, msg);
    if (im->cli->json) {
        out_json_key(&im->errors, NULL);
        strbuf_putc(&im->errors, '{');
        out_json_int(&im->errors, "line", line);
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
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cli_error("import: cannot read %s: %s", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    size_t cap = 1 << 16;
    im->data = malloc(cap);
    for (;;) {
        if (im->data == NULL)
            break;
        im->len += fread(im->data + im->len, 1, cap - im->len, f);
        if (im->len < cap || cap >= IMPORT_MAX_BYTES + 1)
            break;
        size_t bigger = cap * 2 > IMPORT_MAX_BYTES + 1 ? IMPORT_MAX_BYTES + 1 : cap * 2;
        char *p = realloc(im->data, bigger);
        if (p == NULL) {
            free(im->data);
            im->data = NULL;
        } else {
            im->data = p;
            cap = bigger;
        }
    }
    int failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (im->data == NULL) {
        cli_error("import: out of memory reading %s", path);
        return CLI_EXIT_STORE;
    }
    if (failed) {
        cli_error("import: cannot read %s", path);
        return CLI_EXIT_USAGE;
    }
    if (im->len > IMPORT_MAX_BYTES) {
        cli_error("import: %s is larger than %u MiB: split it", path, IMPORT_MAX_BYTES >> 20);
        return CLI_EXIT_INVALID;
    }
    if (EVP_Digest(im->data, im->len, im->file_hash, NULL, EVP_sha256(), NULL) != 1) {
        cli_error("import: SHA-256 failed");
        return CLI_EXIT_STORE;
    }
    size_t bad = 0;
    int rc = text_utf8_check(im->data, im->len, &bad);
    if (rc != TD_OK) {
        uint32_t line = 1;
        for (size_t i = 0; i < bad; i++)
            line += im->data[i] == '\n';
        cli_error("import: %s line %u: %s at byte %zu: the file must be UTF-8 (in Excel: Save "
                  "As, \"CSV UTF-8\"); nothing was imported",
                  path, line, rc == TD_ENUL ? "a NUL byte" : "not UTF-8", bad);
        return CLI_EXIT_INVALID;
    }
    return CLI_EXIT_OK;
}

/* Map the header row's columns to fields; prints every problem. */
static int import_header(import_t *im, csv_t *c)
{
    int rc = csv_next(c);
    if (rc == 0) {
        cli_error("import: %s is empty: the first line must name the columns", "the file");
        return CLI_EXIT_INVALID;
    }
    if (rc < 0) {
        cli_error("import: line %u: %s", c->row_line, td_strerror(rc));
        return CLI_EXIT_INVALID;
    }
    im->ncols = c->n;
    im->col_field = calloc(c->n, sizeof(*im->col_field));
    im->col_name = calloc(c->n, sizeof(*im->col_name));
    if (im->col_field == NULL || im->col_name == NULL) {
        cli_error("import: out of memory");
        return CLI_EXIT_STORE;
    }
    int bad = 0;
    int seen[RECIN_NFIELDS];
    for (size_t f = 0; f < RECIN_NFIELDS; f++)
        seen[f] = -1;
    for (size_t i = 0; i < c->n; i++) {
        char *name = NULL;
        if (text_normalize(c->fields[i], c->lens[i], NULL, &name, NULL, NULL) != TD_OK)
            name = strdup(c->fields[i]);
        if (name == NULL) {
            cli_error("import: out of memory");
            return CLI_EXIT_STORE;
        }
        im->col_name[i] = name;
        int f = recin_header(name);
        im->col_field[i] = f;
        if (f == RECIN_HEADER_UNKNOWN) {
            cli_error("import: line %u: unknown column \"%s\" (column %zu): rename or delete it; "
                      "the district guide lists the columns",
                      c->row_line, name, i + 1);
            bad = 1;
        } else if (f >= 0 && seen[f] >= 0) {
            cli_error("import: line %u: columns %d (\"%s\") and %zu (\"%s\") are both %s",
                      c->row_line, seen[f] + 1, im->col_name[seen[f]], i + 1, name,
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
            cli_error("import: line %u: no column for %s (e.g. \"%s\" or \"%s\")", c->row_line,
                      recin_fields[required[k]].proto, recin_fields[required[k]].proto,
                      recin_fields[required[k]].vi);
            bad = 1;
        }
    }
    if (bad) {
        cli_error("import: nothing was imported");
        return CLI_EXIT_INVALID;
    }
    c->expect = c->n;
    return CLI_EXIT_OK;
}

/* Whether every field of the row is empty or spaces (a blank spreadsheet row). */
static int import_blank(const csv_t *c)
{
    for (size_t i = 0; i < c->n; i++) {
        for (const char *p = c->fields[i]; *p; p++) {
            if (*p != ' ' && *p != '\t')
                return 0;
        }
    }
    return 1;
}

/* A store write refused: the row's own fault is reported, anything else stops the import. */
static int import_store_row_fail(import_t *im, uint32_t line, int src)
{
    switch (src) {
    case TD_ELOCKED:
    case TD_EINVAL:
    case TD_EEXISTS:
    case TD_ESTALE:
        return import_reject(im, line, NULL, "%s", store_errmsg(im->lc.st));
    default:
        return office_store_fail("import", im->lc.st, src);
    }
}

/* An existing record under the row's key: skip it, or store the row as its next revision. */
static int import_existing(import_t *im, uint32_t line, const recin_t *in, const char *id)
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
            cli_error("import: %s", err.reason);
            rc = CLI_EXIT_STORE;
        } else {
            rc = import_reject(im, line, import_column_of(im, err.field), "%s", err.reason);
        }
        store_record_free(sr);
        return rc;
    }
    if (memcmp(hash, sr->content_hash, RECORD_HASH_LEN) == 0) {
        im->skipped++;
    } else if (office_is_locked(sr)) {
        char why[512];
        office_why_locked(sr, why, sizeof(why));
        rc = import_reject(im, line, NULL,
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
            rc = import_store_row_fail(im, line, src);
        else
            im->updated++;
    }
    record_free(&r);
    store_record_free(sr);
    return rc;
}

/* One data row: 0 when it was imported, skipped or reported; an exit code when all must stop. */
static int import_row(import_t *im, const csv_t *c)
{
    uint32_t line = c->row_line;
    recin_t in;
    recin_init(&in);
    char why[512];
    for (size_t i = 0; i < c->n; i++) {
        if (im->col_field[i] < 0)
            continue;
        int src = recin_set(&in, &im->defaults, (recin_field_t)im->col_field[i], c->fields[i], why,
                            sizeof(why));
        if (src == -2) {
            recin_free(&in);
            cli_error("import: out of memory");
            return CLI_EXIT_STORE;
        }
        if (src != 0) {
            recin_free(&in);
            return import_reject(im, line, im->col_name[i], "%s", why);
        }
    }
    record_t r;
    uint8_t hash[RECORD_HASH_LEN];
    valid_error_t err;
    int vrc = recin_build(&in, &im->defaults, NULL, &r, hash, &err);
    if (vrc != TD_OK) {
        recin_free(&in);
        if (vrc == TD_EINTERNAL) {
            cli_error("import: %s: %s", err.field, err.reason);
            return CLI_EXIT_STORE;
        }
        return import_reject(im, line, import_column_of(im, err.field), "%s", err.reason);
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
    long first = import_seen(&im->seen, key, line);
    if (first < 0) {
        cli_error("import: out of memory");
        rc = CLI_EXIT_STORE;
        goto done;
    }
    if (first > 0) {
        rc = import_reject(im, line, NULL,
                           "the same nomination as line %ld (same name, birth date, title and "
                           "category): merge the two rows",
                           first);
        goto done;
    }
    src = store_import_find(im->lc.st, key, id);
    if (src == TD_ENOTFOUND) {
        src = store_record_insert(im->lc.st, &p, im->now_ms);
        if (src < 0) {
            rc = import_store_row_fail(im, line, src);
            goto done;
        }
        im->imported++;
        memcpy(id, r.id, sizeof(id));
    } else if (src < 0) {
        rc = office_store_fail("import", im->lc.st, src);
        goto done;
    } else {
        uint64_t before = im->rejected;
        rc = import_existing(im, line, &in, id);
        if (rc != 0 || im->rejected != before)
            goto done;
    }
    src = store_import_note(im->lc.st, key, id, im->file_hash, line, im->now_ms);
    if (src < 0)
        rc = office_store_fail("import", im->lc.st, src);
done:
    free(key);
    record_free(&r);
    recin_free(&in);
    return rc;
}

/* Every row after the header, inside the open transaction. */
static int import_rows(import_t *im, csv_t *c)
{
    for (;;) {
        int rc = csv_next(c);
        if (rc == 0)
            return CLI_EXIT_OK;
        if (rc == TD_ENOMEM) {
            cli_error("import: out of memory");
            return CLI_EXIT_STORE;
        }
        if (rc == TD_EQUOTE) {
            import_reject(im, c->row_line, NULL, "%s: the rest of the file cannot be read",
                          td_strerror(rc));
            return CLI_EXIT_OK;
        }
        if (rc == TD_EJUNK) {
            const char *col = c->bad_field <= im->ncols ? im->col_name[c->bad_field - 1] : "";
            import_reject(im, c->row_line, col, "%s", td_strerror(rc));
            continue;
        }
        if (import_blank(c))
            continue;
        if (rc == TD_ERAGGED) {
            import_reject(im, c->row_line, NULL, "%zu fields, but the header has %zu", c->n,
                          im->ncols);
            continue;
        }
        rc = import_row(im, c);
        if (rc != 0)
            return rc;
    }
}

static int import_report(const import_t *im, const import_args_t *a)
{
    const char *pre = a->dry_run ? "dry run, nothing stored: would have " : "";
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
    printf("%simported %llu", pre, (unsigned long long)im->imported);
    if (im->updated > 0)
        printf(", updated %llu", (unsigned long long)im->updated);
    printf(", skipped %llu already imported, %llu rejected\n", (unsigned long long)im->skipped,
           (unsigned long long)im->rejected);
    if (im->rejected > 0 && !im->cli->quiet)
        cli_error("import: fix the lines above and import the file again: rows already "
                  "imported are skipped");
    return CLI_EXIT_OK;
}

static void import_help(void)
{
    printf("usage: thidua import [--dry-run] [--unit CODE] [--campaign CODE]\n"
           "                     [--delimiter C] FILE.csv\n\n"
           "Add the nominations of a CSV file (UTF-8, with or without BOM) in one go.\n"
           "The first line names the columns, in English (the field names) or in\n"
           "Vietnamese (\"Loại\", \"Họ và tên\", \"Ngày sinh\", \"Giới tính\", \"Chức vụ\",\n"
           "\"Đơn vị công tác\", \"Thành tích\", \"Báo cáo thành tích\", \"Lĩnh vực\",\n"
           "\"Ngày đạt\", \"Hình thức khen thưởng\"); see the district guide. Each bad\n"
           "row is reported as `line N: column: reason` and the good rows are imported.\n"
           "Importing the same file again adds nothing; a corrected row becomes a new\n"
           "revision of the record it made. Exit status 2 when rows were rejected.\n\n"
           "  --dry-run        check every row, store nothing\n"
           "  --unit CODE      unit of rows without one (default: this office's unit)\n"
           "  --campaign CODE  only before the first contact with the server\n"
           "  --delimiter C    , ; or tab (default: guessed from the first line)\n");
}

static int import_parse(int argc, char **argv, import_args_t *a)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},        {"unit", required_argument, NULL, 'u'},
        {"campaign", required_argument, NULL, 'C'}, {"delimiter", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof(*a));
    int opt;
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
                cli_error("import: --delimiter: one of , ; | or tab");
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h':
            import_help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error("import: give exactly one CSV file (see --help)");
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
    import_seen_free(&im->seen);
    strbuf_free(&im->errors);
    office_close(&im->lc);
}

int cmd_import(cli_t *cli, int argc, char **argv)
{
    import_args_t a;
    int rc = import_parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;

    import_t im;
    memset(&im, 0, sizeof(im));
    im.cli = cli;
    strbuf_init(&im.errors);
    csv_t c;
    csv_init(&c, "", 0, ',');
    rc = import_read(&im, a.path);
    if (rc == CLI_EXIT_OK) {
        csv_free(&c);
        csv_init(&c, im.data, im.len, a.delim ? a.delim : csv_sniff(im.data, im.len));
        rc = import_header(&im, &c);
    }
    if (rc == CLI_EXIT_OK)
        rc = office_open(cli, "import", &im.lc);
    if (rc != CLI_EXIT_OK) {
        csv_free(&c);
        import_free(&im);
        return rc;
    }
    office_defaults(&im.lc, a.campaign, &im.defaults);
    if (a.unit != NULL)
        im.defaults.unit = a.unit;
    im.now_ms = office_now_ms();
    if (im.lc.welcome == NULL && !cli->quiet)
        cli_error("warning: no campaign data saved yet (the server was never reached): only the "
                  "syntax of the rows is checked now; the campaign's rules are checked at sync");
    uint64_t before = 0;
    int src = store_import_file_rows(im.lc.st, im.file_hash, &before);
    if (src < 0)
        rc = office_store_fail("import", im.lc.st, src);
    else if (before > 0 && !cli->quiet)
        cli_error("import: this file was imported before (%llu rows): those rows are skipped",
                  (unsigned long long)before);

    if (rc == CLI_EXIT_OK && (src = store_begin(im.lc.st)) < 0)
        rc = office_store_fail("import", im.lc.st, src);
    if (rc == CLI_EXIT_OK) {
        rc = import_rows(&im, &c);
        if (rc != CLI_EXIT_OK || a.dry_run) {
            (void)store_rollback(im.lc.st);
            if (rc != CLI_EXIT_OK)
                cli_error("import: stopped; nothing was imported");
        } else if ((src = store_commit(im.lc.st)) < 0) {
            rc = office_store_fail("import", im.lc.st, src);
            cli_error("import: nothing was imported");
        }
    }
    if (rc == CLI_EXIT_OK)
        rc = import_report(&im, &a);
    if (rc == CLI_EXIT_OK && im.rejected > 0)
        rc = CLI_EXIT_INVALID;
    csv_free(&c);
    import_free(&im);
    return rc;
}
