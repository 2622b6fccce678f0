/*
 * report_xlsx.c - the campaign report as an Excel workbook (libxlsxwriter).
 *
 * One worksheet per table, so that each can be sorted, filtered and printed
 * on its own: a bold heading row that stays in view (frozen) and repeats on
 * every printed page, columns wide enough for their Vietnamese text, counts
 * written as numbers (they add up in Excel), dates and times as real dates
 * shown dd/mm/yyyy, A4 paper.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "date.h"
#include "output.h"
#include "report.h"

/* Column widths in Excel's units (about one character each). */
enum { XLSX_WIDTH_MIN = 6, XLSX_WIDTH_MAX = 60 };

/* The workbook's formats; owned by the workbook. */
typedef struct xlsx_formats {
    lxw_format *head, *total, *date, *time;
} xlsx_formats_t;

/* The first error of a run of writes: later writes go on, the first is reported. */
typedef struct xlsx_status {
    lxw_error err;
} xlsx_status_t;

static void xlsx_check(xlsx_status_t *st, lxw_error e)
{
    if (st->err == LXW_NO_ERROR && e != LXW_NO_ERROR)
        st->err = e;
}

static bool xlsx_date(const char *iso, lxw_datetime *dt)
{
    int32_t days;
    date_ymd_t ymd;
    if (iso == NULL || date_parse_iso(iso, &days, &ymd) != TD_OK || ymd.year < 1900)
        return false;
    memset(dt, 0, sizeof(*dt));
    dt->year = ymd.year;
    dt->month = ymd.month;
    dt->day = ymd.day;
    return true;
}

static bool xlsx_time(int64_t ms, lxw_datetime *dt)
{
    if (ms <= 0)
        return false;
    time_t t = (time_t)(ms / 1000) + (time_t)7 * 3600; /* Viet Nam: UTC+7 all year */
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1900)
        return false;
    memset(dt, 0, sizeof(*dt));
    dt->year = tm.tm_year + 1900;
    dt->month = tm.tm_mon + 1;
    dt->day = tm.tm_mday;
    dt->hour = tm.tm_hour;
    dt->min = tm.tm_min;
    dt->sec = tm.tm_sec;
    return true;
}

static void xlsx_cell(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const rcell_t *c,
                      const xlsx_formats_t *fm, bool total, xlsx_status_t *st)
{
    lxw_format *bold = total ? fm->total : NULL;
    lxw_datetime dt;
    char buf[64];
    switch (c->kind) {
    case RCELL_NUM:
        xlsx_check(st, worksheet_write_number(ws, row, col, (double)c->num, bold));
        return;
    case RCELL_DATE:
        if (xlsx_date(c->text, &dt)) {
            xlsx_check(st, worksheet_write_datetime(ws, row, col, &dt, fm->date));
            return;
        }
        break;
    case RCELL_TIME:
        if (xlsx_time(c->ms, &dt)) {
            xlsx_check(st, worksheet_write_datetime(ws, row, col, &dt, fm->time));
            return;
        }
        break;
    default:
        break;
    }
    const char *s = rcell_str(c, REPORT_VI, buf, sizeof(buf));
    if (s[0] != '\0')
        xlsx_check(st, worksheet_write_string(ws, row, col, s, bold));
}

/* Widths from the longest text of each column, as Excel shows it. */
static void xlsx_widths(lxw_worksheet *ws, const rsheet_t *s, xlsx_status_t *st)
{
    char buf[64];
    for (size_t c = 0; c < s->ncols; c++) {
        size_t w = out_width(s->heads[c]);
        for (size_t row = 0; row < s->nrows; row++) {
            size_t x = out_width(rcell_str(rsheet_cell(s, row, c), REPORT_VI, buf, sizeof(buf)));
            if (x > w)
                w = x;
        }
        w += 2;
        if (w < XLSX_WIDTH_MIN)
            w = XLSX_WIDTH_MIN;
        if (w > XLSX_WIDTH_MAX)
            w = XLSX_WIDTH_MAX;
        xlsx_check(st, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, (double)w, NULL));
    }
}

static void xlsx_sheet(lxw_workbook *wb, const rsheet_t *s, const xlsx_formats_t *fm,
                       xlsx_status_t *st)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, s->name);
    if (ws == NULL) {
        xlsx_check(st, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (size_t c = 0; c < s->ncols; c++)
        xlsx_check(st, worksheet_write_string(ws, 0, (lxw_col_t)c, s->heads[c], fm->head));
    for (size_t row = 0; row < s->nrows; row++) {
        bool total = s->total_row && row + 1 == s->nrows;
        for (size_t c = 0; c < s->ncols; c++)
            xlsx_cell(ws, (lxw_row_t)(row + 1), (lxw_col_t)c, rsheet_cell(s, row, c), fm, total,
                      st);
    }
    xlsx_widths(ws, s, st);
    worksheet_freeze_panes(ws, 1, 0);
    worksheet_set_paper(ws, 9); /* A4 */
    xlsx_check(st, worksheet_repeat_rows(ws, 0, 0));
    if (s->ngroup > 0 && s->nrows > 0)
        xlsx_check(st,
                   worksheet_autofilter(ws, 0, 0, (lxw_row_t)s->nrows, (lxw_col_t)(s->ncols - 1)));
}

int report_write_xlsx(const report_t *r, const char *path, char *err, size_t errlen)
{
    rsheet_t *sheets;
    size_t n;
    if (report_sheets(r, REPORT_VI, &sheets, &n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    lxw_workbook *wb = workbook_new(path);
    if (wb == NULL) {
        snprintf(err, errlen, "%s: cannot create the workbook", path);
        report_sheets_free(sheets, n);
        return -1;
    }
    xlsx_formats_t fm;
    fm.head = workbook_add_format(wb);
    fm.total = workbook_add_format(wb);
    fm.date = workbook_add_format(wb);
    fm.time = workbook_add_format(wb);
    xlsx_status_t st = {LXW_NO_ERROR};
    char title[512];
    if (fm.head == NULL || fm.total == NULL || fm.date == NULL || fm.time == NULL) {
        xlsx_check(&st, LXW_ERROR_MEMORY_MALLOC_FAILED);
    } else {
        format_set_bold(fm.head);
        format_set_bg_color(fm.head, 0xDDE6F2);
        format_set_border(fm.head, LXW_BORDER_THIN);
        format_set_text_wrap(fm.head);
        format_set_bold(fm.total);
        format_set_num_format(fm.date, "dd/mm/yyyy");
        format_set_num_format(fm.time, "dd/mm/yyyy hh:mm");
        snprintf(title, sizeof(title), "%s — %s", report_text("title", REPORT_VI),
                 r->campaign_name);
        lxw_doc_properties props;
        memset(&props, 0, sizeof(props));
        props.title = title;
        props.subject = (char *)r->campaign_code;
        props.company = (char *)r->organiser;
        props.comments = "thidua";
        xlsx_check(&st, workbook_set_properties(wb, &props));
        for (size_t i = 0; i < n; i++)
            xlsx_sheet(wb, &sheets[i], &fm, &st);
    }
    lxw_error cerr = workbook_close(wb); /* writes the file, frees the workbook */
    xlsx_check(&st, cerr);
    report_sheets_free(sheets, n);
    if (st.err != LXW_NO_ERROR) {
        snprintf(err, errlen, "%s: %s", path, lxw_strerror(st.err));
        unlink(path); /* never leave half a workbook behind */
        return -1;
    }
    return 0;
}
