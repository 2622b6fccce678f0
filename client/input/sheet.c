/*
 * sheet.c - rows of cells, and CSV text made into them.
 */
#include "sheet.h"

#include <stdlib.h>
#include <string.h>

#include "csv.h"

void sheet_init(sheet_t *s)
{
    memset(s, 0, sizeof(*s));
}

void sheet_free(sheet_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->rows[i].cells);
        free(s->rows[i].buf);
    }
    free(s->rows);
    sheet_init(s);
}

int sheet_add(sheet_t *s, uint32_t row, const char *const *cells, const size_t *lens, size_t n)
{
    if (n > SHEET_MAX_CELLS - s->cells)
        return TD_ETOOMANY;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        sheet_row_t *rows = realloc(s->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return TD_ENOMEM;
        s->rows = rows;
        s->cap = cap;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lens[i] + 1;
    sheet_row_t r = {.row = row, .n = n};
    r.cells = malloc((n ? n : 1) * sizeof(*r.cells));
    r.buf = malloc(total ? total : 1);
    if (r.cells == NULL || r.buf == NULL) {
        free(r.cells);
        free(r.buf);
        return TD_ENOMEM;
    }
    char *p = r.buf;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, cells[i], lens[i]);
        p[lens[i]] = '\0';
        r.cells[i] = p;
        p += lens[i] + 1;
    }
    s->rows[s->n++] = r;
    s->cells += n;
    return TD_OK;
}

int sheet_from_csv(sheet_t *s, const char *text, size_t len, char delim)
{
    csv_t c;
    csv_init(&c, text, len, delim);
    int rc = TD_OK;
    for (;;) {
        int got = csv_next(&c);
        if (got == 0)
            break;
        if (got == TD_ENOMEM) {
            rc = TD_ENOMEM;
            break;
        }
        /* TD_EQUOTE leaves no fields: the row is only where the quote opens. */
        size_t n = got == TD_EQUOTE ? 0 : c.n;
        rc = sheet_add(s, c.row, (const char *const *)c.fields, c.lens, n);
        if (rc != TD_OK)
            break;
        sheet_row_t *r = &s->rows[s->n - 1];
        r->line = c.row_line;
        if (got == TD_EJUNK) {
            r->problem = TD_EJUNK;
            r->bad_cell = c.bad_field;
        } else if (got == TD_EQUOTE) {
            r->problem = TD_EQUOTE;
            break;
        }
    }
    csv_free(&c);
    return rc;
}

int sheet_row_blank(const sheet_row_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        for (const char *p = r->cells[i]; *p; p++) {
            if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                return 0;
        }
    }
    return 1;
}
