/*
 * sheet.h - the rows of an imported spreadsheet, whatever file they came
 * from: each row with the number the officer sees beside it in Excel.
 *
 * A CSV file and an XLSX workbook both become a sheet_t before a row is
 * looked at, so the importer has one loop and one way to name a row.
 */
#ifndef THIDUA_CLIENT_SHEET_H
#define THIDUA_CLIENT_SHEET_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "error.h"

/* One row: its cells as NUL-terminated UTF-8 in one buffer it owns. */
typedef struct sheet_row {
    uint32_t row;    /* in the spreadsheet, from 1 */
    uint32_t line;   /* CSV: the physical line it starts on; XLSX: 0 */
    size_t n;        /* cells, up to the last one present */
    char **cells;    /* n pointers into buf */
    char *buf;
    int problem;     /* 0; TD_EJUNK (text after a closing quote, in bad_cell); TD_EQUOTE */
    size_t bad_cell; /* TD_EJUNK: the cell (from 1) */
} sheet_row_t;

/* The rows in order; owns them. sparse: absent cells are empty (XLSX), not missing (CSV). */
typedef struct sheet {
    sheet_row_t *rows;
    size_t n, cap;
    size_t cells; /* cells in all rows: bounded against hostile files */
    int sparse;
} sheet_t;

/* Most cells a sheet may hold (a province's list is far smaller). */
#define SHEET_MAX_CELLS (8u * 1024u * 1024u)

void sheet_init(sheet_t *s);
void sheet_free(sheet_t *s);

/*
 * Append a row of n cells (cell i is cells[i][0..lens[i])) numbered row.
 * Returns TD_OK, TD_ETOOMANY past SHEET_MAX_CELLS or TD_ENOMEM. The last
 * row appended may then get its problem set.
 */
THIDUA_MUSTCHECK int sheet_add(sheet_t *s, uint32_t row, const char *const *cells,
                               const size_t *lens, size_t n);

/*
 * Read CSV text (UTF-8, without BOM) with separator delim into s. A row with
 * text after a closing quote is kept with its problem; an unclosed quote
 * ends the sheet with a row whose problem is TD_EQUOTE. Returns TD_OK,
 * TD_ETOOMANY or TD_ENOMEM.
 */
THIDUA_MUSTCHECK int sheet_from_csv(sheet_t *s, const char *text, size_t len, char delim);

/* Whether every cell of the row is empty or spaces. */
int sheet_row_blank(const sheet_row_t *r);

#endif
