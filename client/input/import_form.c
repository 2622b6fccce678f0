/*
 * import_form.c - writing the import form as XLSX (libxlsxwriter) or CSV.
 *
 * The headers are the ones record_input.c documents (recin_fields[].vi), so
 * the form and the importer cannot drift apart.
 */
#include "import_form.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <xlsxwriter.h>

#include "record_input.h"

const form_column_t form_columns[] = {
    {"STT", "1"},
    {NULL, "Cá nhân"},              /* RECIN_KIND */
    {NULL, "Lê Thị Bình"},          /* RECIN_NAME */
    {NULL, "05/06/1990"},           /* RECIN_BIRTH_DATE */
    {NULL, "Nữ"},                   /* RECIN_GENDER */
    {NULL, "Giáo viên"},            /* RECIN_POSITION */
    {NULL, "Trường TH Cây Dương"},  /* RECIN_WORKPLACE */
    {NULL, "Giáo viên dạy giỏi"},   /* RECIN_TITLE */
    {NULL, "Năm học 2024-2025, đạt giải Nhất hội thi giáo viên dạy giỏi cấp huyện."},
    {NULL, "An sinh xã hội"},       /* RECIN_CATEGORY */
    {NULL, "15/01/2025"},           /* RECIN_ACHIEVED_ON */
    {NULL, "Giấy khen"},            /* RECIN_AWARD */
};
_Static_assert(THIDUA_ARRAY_LEN(form_columns) == RECIN_AWARD + 2,
               "the form has STT, then every field up to the award, in recin_field_t order");
const size_t form_ncolumns = THIDUA_ARRAY_LEN(form_columns);

/* Column i's header: STT, then the fields in recin_field_t order. */
static const char *form_header(size_t i)
{
    return form_columns[i].header ? form_columns[i].header : recin_fields[i - 1].vi;
}

static int form_xlsx(const char *path, char *why, size_t whylen)
{
    lxw_workbook *wb = workbook_new(path);
    if (wb == NULL) {
        snprintf(why, whylen, "cannot create %s", path);
        return TD_EIO;
    }
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Danh sách");
    lxw_format *bold = workbook_add_format(wb);
    lxw_format *text = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_text_wrap(bold);
    /* Text cells: Excel would turn 05/06/1990 into a date of its locale's order. */
    format_set_num_format(text, "@");
    for (size_t i = 0; ws != NULL && i < form_ncolumns; i++) {
        worksheet_write_string(ws, 0, (lxw_col_t)i, form_header(i), bold);
        worksheet_write_string(ws, 1, (lxw_col_t)i, form_columns[i].example, text);
        worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, i == 0 ? 5 : 20, text);
    }
    lxw_error e = workbook_close(wb);
    if (ws == NULL || e != LXW_NO_ERROR) {
        snprintf(why, whylen, "cannot write %s: %s", path, lxw_strerror(e));
        return TD_EIO;
    }
    return TD_OK;
}

/* A CSV cell: quoted when it holds the separator, a quote or a line break. */
static void form_csv_cell(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int form_csv(const char *path, char *why, size_t whylen)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        snprintf(why, whylen, "cannot create %s: %s", path, strerror(errno));
        return TD_EIO;
    }
    fputs("\xEF\xBB\xBF", f);
    for (int row = 0; row < 2; row++) {
        for (size_t i = 0; i < form_ncolumns; i++) {
            if (i > 0)
                fputc(',', f);
            form_csv_cell(f, row == 0 ? form_header(i) : form_columns[i].example);
        }
        fputs("\r\n", f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(why, whylen, "cannot write %s", path);
        return TD_EIO;
    }
    return TD_OK;
}

int form_write(const char *path, char *why, size_t whylen)
{
    size_t n = strlen(path);
    if (n >= 5 && strcasecmp(path + n - 5, ".xlsx") == 0)
        return form_xlsx(path, why, whylen);
    return form_csv(path, why, whylen);
}
