/*
 * report_csv.c - the campaign report as one CSV file with sections.
 *
 * Written for Excel and LibreOffice as the province uses them: UTF-8 with a
 * byte order mark (without it Excel reads Vietnamese as Windows-1252), CRLF
 * line ends, RFC 4180 quoting. Each table is a section: a line with its
 * title, a line of headings, its rows, then an empty line. Counts are plain
 * digits; dates read dd/mm/yyyy.
 *
 * A cell that starts with = + - @ (or a tab or CR) would be taken for a
 * formula by a spreadsheet ("CSV injection"): such text cells get a leading
 * apostrophe, which spreadsheets show as text and do not display.
 */
#include <string.h>

#include "report.h"

static void csv_field(FILE *f, const char *s, bool text)
{
    bool guard = text && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                          s[0] == '\t' || s[0] == '\r');
    bool quote = guard || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
                 (s[0] != '\0' && s[strlen(s) - 1] == ' ');
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (guard)
        fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_heads(FILE *f, const rsheet_t *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        if (c > 0)
            fputc(',', f);
        csv_field(f, s->heads[c], true);
    }
    fputs("\r\n", f);
}

static void csv_sheet(FILE *f, const rsheet_t *s)
{
    char buf[64];
    csv_field(f, s->title, true);
    fputs("\r\n", f);
    csv_heads(f, s);
    for (size_t row = 0; row < s->nrows; row++) {
        for (size_t c = 0; c < s->ncols; c++) {
            const rcell_t *cell = rsheet_cell(s, row, c);
            if (c > 0)
                fputc(',', f);
            csv_field(f, rcell_str(cell, REPORT_VI, buf, sizeof(buf)), cell->kind == RCELL_TEXT);
        }
        fputs("\r\n", f);
    }
    fputs("\r\n", f);
}

int report_write_csv(const report_t *r, FILE *f, char *err, size_t errlen)
{
    rsheet_t *sheets;
    size_t n;
    if (report_sheets(r, REPORT_VI, &sheets, &n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    fputs("\xEF\xBB\xBF", f);
    for (size_t i = 0; i < n; i++)
        csv_sheet(f, &sheets[i]);
    report_sheets_free(sheets, n);
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, errlen, "cannot write the report");
        return -1;
    }
    return 0;
}
