/*
 * csv.h - a small RFC 4180 reader for the spreadsheets district offices send.
 *
 * Offices keep their nominations in Excel or LibreOffice and save them as
 * CSV, so the reader takes what those programs write: fields quoted or not,
 * "" for a quote inside a quoted field, line breaks inside quoted fields,
 * CRLF, LF or a lone CR between rows, a UTF-8 byte order mark at the start,
 * a last row with or without its line break. It reads from memory (the whole
 * file is loaded first, so that its SHA-256 can be taken too) and keeps the
 * bytes as they are: checking UTF-8 and normalising text is the caller's job.
 *
 * Each row knows the physical line of the file it starts on and its row in
 * the spreadsheet the file was saved from (a multi-line cell is one row, an
 * empty line is an empty row), so that an error can send the officer to the
 * row Excel shows. Empty lines between rows are skipped, but counted.
 */
#ifndef THIDUA_CLIENT_CSV_H
#define THIDUA_CLIENT_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "strbuf.h"
#include "error.h"

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ENOMEM  out of memory
 *   TD_EQUOTE  a quoted field is never closed: the rest of the input is lost
 *   TD_EJUNK   text after a closing quote ("abc"def); the row is read, go on
 *   TD_ERAGGED the row has not `expect` fields; the row is read, go on
 */

/*
 * A reader over data[0..len), which it borrows (the caller keeps it alive).
 * Owns the current row's fields; free with csv_free().
 */
typedef struct csv {
    const char *data;
    size_t len;
    size_t pos;
    char delim;    /* ',' (default), ';' or '\t' */
    uint32_t line; /* physical line (from 1) at pos */
    size_t expect; /* fields every row must have; 0: any (set it from the header row) */

    /* The row csv_next() read; valid until the next call. */
    char **fields; /* n NUL-terminated fields (a field holding a NUL byte ends there: see lens) */
    size_t *lens;  /* their lengths in bytes */
    size_t n;
    uint32_t row_line; /* line the row starts on (TD_EQUOTE: where the open quote is) */
    uint32_t row;      /* the row's number in the spreadsheet, from 1 */
    uint32_t next_row; /* the number the next row gets */
    size_t bad_field;  /* TD_EJUNK: the field (from 1) with text after its quote */
    size_t cap;        /* room in fields and lens */
    size_t *offs;      /* field starts in buf while the row is read */
    strbuf_t buf;      /* the row's bytes, each field NUL-terminated */
} csv_t;

/* Start reading data[0..len) with delimiter delim (0: ','); a UTF-8 BOM is skipped. */
void csv_init(csv_t *c, const char *data, size_t len, char delim);
void csv_free(csv_t *c);

/*
 * Read the next row: 1 when there is one (in c->fields), 0 at the end, or a
 * negative TD_E* code. After TD_EJUNK and TD_ERAGGED the row is in
 * c->fields as read and the next call goes on with the following row; after
 * TD_EQUOTE the next call returns 0.
 */
THIDUA_MUSTCHECK int csv_next(csv_t *c);

/*
 * Guess the delimiter from the first line (outside quotes): the most frequent
 * of ',', ';' and tab; ',' when none occurs. Excel writes ';' where the
 * system's list separator is ';'.
 */
char csv_sniff(const char *data, size_t len);


#endif
