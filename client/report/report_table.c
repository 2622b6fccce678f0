/*
 * report_table.c - the campaign report on a terminal: aligned columns.
 *
 * Columns are measured in display columns (output.h: a Vietnamese letter in
 * NFC is one column however many bytes it takes), so names with diacritics
 * line up with plain ones. Long texts are cut with "…" at a cap; counts are
 * right-aligned. The awardees are grouped under headings by form and unit.
 */
#include <string.h>

#include "i18n.h"
#include "output.h"
#include "report.h"

/* The terminal's table speaks the language of the messages; the documents are Vietnamese. */
static report_lang_t report_table_lang(void)
{
    return i18n_is_vi() ? REPORT_VI : REPORT_EN;
}

/* Widest a text column gets before its cells are cut. */
#define TABLE_TEXT_CAP 40

/* The width of each column from its heading and cells, text columns capped. */
static void table_widths(const rsheet_t *s, size_t from, size_t widths[RSHEET_MAX_COLS])
{
    char buf[64];
    for (size_t c = from; c < s->ncols; c++) {
        size_t w = out_width(s->heads[c]);
        for (size_t row = 0; row < s->nrows; row++) {
            const rcell_t *cell = rsheet_cell(s, row, c);
            size_t x = out_width(rcell_str(cell, report_table_lang(), buf, sizeof(buf)));
            if (x > w)
                w = x;
        }
        bool text = s->nrows > 0 && rsheet_cell(s, 0, c)->kind == RCELL_TEXT;
        widths[c] = text && w > TABLE_TEXT_CAP ? TABLE_TEXT_CAP : w;
    }
}

static bool table_is_num(const rsheet_t *s, size_t c)
{
    return s->nrows > 0 && rsheet_cell(s, s->nrows - 1, c)->kind == RCELL_NUM;
}

/* One row of cells from column `from`; the last column is not padded. */
static void table_row(FILE *f, const rsheet_t *s, const char *const *cells, size_t from,
                      const size_t *widths, const char *indent)
{
    fputs(indent, f);
    for (size_t c = from; c < s->ncols; c++) {
        bool last = c + 1 == s->ncols;
        if (table_is_num(s, c)) {
            size_t w = out_width(cells[c]);
            for (; w < widths[c]; w++)
                fputc(' ', f);
            fputs(cells[c], f);
        } else {
            out_cell(f, cells[c], last ? 0 : widths[c]);
        }
        if (!last)
            fputs("  ", f);
    }
    fputc('\n', f);
}

static void table_rule(FILE *f, const size_t *widths, size_t from, size_t n, const char *indent)
{
    fputs(indent, f);
    for (size_t c = from; c < n; c++) {
        for (size_t i = 0; i < widths[c]; i++)
            fputc('-', f);
        if (c + 1 < n)
            fputs("  ", f);
    }
    fputc('\n', f);
}

static void table_title(FILE *f, const char *title)
{
    fprintf(f, "\n%s\n", title);
    for (size_t i = out_width(title); i > 0; i--)
        fputc('=', f);
    fputc('\n', f);
}

/* The strings of one row (bufs holds the numbers and dates). */
static void table_cells(const rsheet_t *s, size_t row, const char *cells[RSHEET_MAX_COLS],
                        char bufs[RSHEET_MAX_COLS][64])
{
    for (size_t c = 0; c < s->ncols; c++)
        cells[c] = rcell_str(rsheet_cell(s, row, c), report_table_lang(), bufs[c], sizeof(bufs[c]));
}

static void table_plain(FILE *f, const rsheet_t *s)
{
    size_t widths[RSHEET_MAX_COLS];
    const char *cells[RSHEET_MAX_COLS];
    char bufs[RSHEET_MAX_COLS][64];
    table_widths(s, 0, widths);
    table_row(f, s, s->heads, 0, widths, "");
    table_rule(f, widths, 0, s->ncols, "");
    for (size_t row = 0; row < s->nrows; row++) {
        if (s->total_row && row + 1 == s->nrows && row > 0)
            table_rule(f, widths, 0, s->ncols, "");
        table_cells(s, row, cells, bufs);
        table_row(f, s, cells, 0, widths, "");
    }
}

/* Rows grouped by (code, name) pairs: a heading when a pair changes. */
static void table_grouped(FILE *f, const rsheet_t *s)
{
    size_t widths[RSHEET_MAX_COLS];
    const char *cells[RSHEET_MAX_COLS];
    char bufs[RSHEET_MAX_COLS][64];
    if (s->ngroup > s->ncols || s->ncols > RSHEET_MAX_COLS)
        return; /* not a sheet report_sheets() makes */
    table_widths(s, s->ngroup, widths);
    for (size_t row = 0; row < s->nrows; row++) {
        table_cells(s, row, cells, bufs);
        for (size_t g = 0; g + 1 < s->ngroup; g += 2) {
            bool changed = row == 0;
            for (size_t k = 0; k <= g + 1 && !changed; k++)
                changed = strcmp(rsheet_cell(s, row - 1, k)->text, cells[k]) != 0;
            if (!changed)
                continue;
            if (g == 0) {
                size_t n = 0; /* rows in this group */
                while (row + n < s->nrows &&
                       strcmp(rsheet_cell(s, row + n, 0)->text, cells[0]) == 0)
                    n++;
                fprintf(f, "\n%s — %s (%zu)\n", cells[0], cells[1], n);
            } else {
                fprintf(f, "  %s — %s\n", cells[g], cells[g + 1]);
                table_row(f, s, s->heads, s->ngroup, widths, "    ");
            }
        }
        table_row(f, s, cells, s->ngroup, widths, "    ");
    }
}

int report_write_table(const report_t *r, FILE *f, char *err, size_t errlen)
{
    rsheet_t *sheets;
    size_t n;
    if (report_sheets(r, report_table_lang(), &sheets, &n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], t[OUT_TIME_SIZE];
    fprintf(f, "%s: %s — %s\n", report_text("title", report_table_lang()), r->campaign_code,
            r->campaign_name);
    fprintf(f, "Organiser: %s; from %s to %s; generated %s\n", r->organiser,
            out_date_vn(r->starts_on, d1), out_date_vn(r->ends_on, d2),
            out_time_vn(r->generated_at_ms, t));
    for (size_t i = 0; i < n; i++) {
        const rsheet_t *s = &sheets[i];
        if (strcmp(s->key, "info") == 0)
            continue;
        table_title(f, s->title);
        if (s->nrows == 0 && s->empty != NULL)
            fprintf(f, "%s\n", s->empty);
        else if (s->ngroup > 0)
            table_grouped(f, s);
        else
            table_plain(f, s);
    }
    report_sheets_free(sheets, n);
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, errlen, "cannot write the report");
        return -1;
    }
    return 0;
}
