/*
 * importer.h - nominations from an office's spreadsheet into its store, for
 * `thidua import` and for the console's import page alike.
 *
 * The file is a CSV in UTF-8, Windows-1258, TCVN3 or VNI (encoding.h) or an
 * XLSX workbook (xlsx_read.h); either becomes a sheet_t, so rows are named
 * the same way whatever the file: by the row number Excel shows beside it
 * (the header of a CSV being row 1) and by its STT when the sheet has one.
 *
 * The whole file goes in as ONE store transaction: the good rows are stored
 * together, or (on a disk error, or with dry_run) nothing is. A bad row never
 * stops the others: each row's outcome goes to the caller's callback, which
 * prints it (the command) or shows it in a table (the console). Importing the
 * file again, or a corrected copy, duplicates nothing: rows are matched to the
 * records they made by their natural key (store_import_key: campaign, unit,
 * folded name, birth date, folded title, category); an unchanged row is
 * skipped, a changed one becomes a new revision. Two rows of one file with
 * the same key are one nomination written twice: the second is refused.
 */
#ifndef THIDUA_CLIENT_IMPORTER_H
#define THIDUA_CLIENT_IMPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encoding.h"
#include "office_session.h"

/* Largest file read: far above any office's list, far below a machine's memory. */
#define IMPORTER_MAX_BYTES (64u * 1024u * 1024u)

typedef enum {
    IMPORTER_NEW = 0, /* a new nomination */
    IMPORTER_UPDATED, /* a changed row: the next revision of the record it made */
    IMPORTER_SAME,    /* imported before, unchanged: skipped */
    IMPORTER_REFUSED, /* the row's problem is in field and message */
} importer_outcome_t;

/* One data row's outcome; every string is valid during the callback only. */
typedef struct {
    uint32_t row;      /* as Excel numbers it */
    const char *stt;   /* the row's STT as typed, "" without one */
    importer_outcome_t outcome;
    const char *name;  /* the nominee, "" when the row could not be read that far */
    const char *award; /* the award form's code, "" likewise */
    const char *field; /* REFUSED: the column as the file heads it, "" for the whole row */
    const char *message; /* REFUSED: why, translated */
} importer_row_t;

typedef void (*importer_row_fn)(void *ctx, const importer_row_t *row);

typedef struct {
    const char *name;     /* the file as messages name it */
    const char *data;     /* the file's bytes; borrowed */
    size_t len;
    const char *campaign; /* campaign of rows without one; NULL: the office's default */
    const char *unit;     /* unit of rows without one; NULL: the office's */
    const char *sheet;    /* the XLSX sheet; NULL: the first */
    char delim;           /* the CSV separator; 0: guessed */
    enc_t encoding;       /* ENC_AUTO: detected */
    bool dry_run;         /* judge every row, store nothing */
    importer_row_fn on_row;
    void *ctx;
} importer_opts_t;

typedef struct {
    uint64_t imported, updated, skipped, rejected;
    uint64_t before;   /* rows this very file (same bytes) stored before */
    enc_t encoding;    /* what the CSV was read as (ENC_UTF8 for a workbook) */
    bool guessed;      /* encoding was detected, not given */
    bool no_welcome;   /* no campaign saved yet: only the rows' syntax was judged */
} importer_counts_t;

/*
 * Import o->data into lc's store. CLI_EXIT_OK when the file was read (rows
 * may have been refused: counts->rejected), else an exit code of cli.h with
 * a sentence in why, the file then being untouched by the store.
 */
THIDUA_MUSTCHECK int importer_run(office_t *lc, const importer_opts_t *o,
                                  importer_counts_t *counts, char *why, size_t whylen);

#endif
