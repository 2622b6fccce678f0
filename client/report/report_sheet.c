/*
 * report_sheet.c - the report laid out as tables: what every format writes.
 *
 * Building the tables once, here, keeps the formats from drifting apart: a
 * count that the terminal shows is the same cell that the CSV, the XLSX and
 * the HTML page show, under the same heading.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "report.h"

/* A sheet being filled row by row. */
typedef struct rsheet_builder {
    rsheet_t *s;
    size_t cap; /* rows of room in s->cells */
    size_t col; /* next column of the current row */
    bool failed;
} rsheet_builder_t;

static void rsb_start(rsheet_builder_t *b, rsheet_t *s, size_t rows)
{
    b->s = s;
    b->col = 0;
    b->cap = rows;
    s->cells = calloc((rows + 1) * s->ncols, sizeof(*s->cells));
    b->failed = s->cells == NULL;
}

static rcell_t *rsb_next(rsheet_builder_t *b)
{
    rsheet_t *s = b->s;
    if (b->failed || s->nrows >= b->cap)
        return NULL;
    rcell_t *c = &s->cells[s->nrows * s->ncols + b->col];
    if (++b->col == s->ncols) {
        b->col = 0;
        s->nrows++;
    }
    return c;
}

static void rsb_text(rsheet_builder_t *b, const char *t)
{
    rcell_t *c = rsb_next(b);
    if (c != NULL) {
        c->kind = RCELL_TEXT;
        c->text = t != NULL ? t : "";
    }
}

static void rsb_num(rsheet_builder_t *b, uint64_t n)
{
    rcell_t *c = rsb_next(b);
    if (c != NULL) {
        c->kind = RCELL_NUM;
        c->num = n;
    }
}

static void rsb_date(rsheet_builder_t *b, const char *iso)
{
    rcell_t *c = rsb_next(b);
    if (c != NULL) {
        c->kind = RCELL_DATE;
        c->text = iso != NULL ? iso : "";
    }
}

static void rsb_time(rsheet_builder_t *b, int64_t ms)
{
    rcell_t *c = rsb_next(b);
    if (c != NULL) {
        c->kind = RCELL_TIME;
        c->ms = ms;
    }
}

const rcell_t *rsheet_cell(const rsheet_t *s, size_t row, size_t col)
{
    return &s->cells[row * s->ncols + col];
}

const char *rcell_str(const rcell_t *c, report_lang_t lang, char *buf, size_t len)
{
    char d[DATE_STR_SIZE], t[OUT_TIME_SIZE];
    switch (c->kind) {
    case RCELL_NUM:
        snprintf(buf, len, "%" PRIu64, c->num);
        return buf;
    case RCELL_DATE:
        snprintf(buf, len, "%s", out_date_vn(c->text, d));
        return buf;
    case RCELL_TIME:
        if (c->ms <= 0)
            return report_text("never", lang);
        snprintf(buf, len, "%s", out_time_vn(c->ms, t));
        return buf;
    default:
        return c->text != NULL ? c->text : "";
    }
}

/* Sheet heads from a list of keys of report_text(), or status columns for "#s". */
static void rsheet_heads(rsheet_t *s, report_lang_t lang, const char *const *keys)
{
    s->ncols = 0;
    for (size_t i = 0; keys[i] != NULL && s->ncols < RSHEET_MAX_COLS; i++) {
        if (strcmp(keys[i], "#statuses") == 0) {
            for (size_t k = 0; k < REPORT_NSTATUS; k++)
                s->heads[s->ncols++] = report_status_label(k, lang);
        } else if (strncmp(keys[i], "#status:", 8) == 0) {
            for (size_t k = 0; k < REPORT_NSTATUS; k++) {
                if (strcmp(report_status_code(k), keys[i] + 8) == 0)
                    s->heads[s->ncols++] = report_status_label(k, lang);
            }
        } else {
            s->heads[s->ncols++] = report_text(keys[i], lang);
        }
    }
}

static void rsheet_info(rsheet_t *s, const report_t *r, report_lang_t lang, rsheet_builder_t *b)
{
    static const char *const heads[] = {"item", "value", NULL};
    s->key = "info";
    s->title = report_text("title", lang);
    s->name = report_text("info", lang);
    rsheet_heads(s, lang, heads);
    rsb_start(b, s, 6);
    rsb_text(b, report_text("campaign", lang));
    rsb_text(b, r->campaign_name);
    rsb_text(b, report_text("code", lang));
    rsb_text(b, r->campaign_code);
    rsb_text(b, report_text("organiser", lang));
    rsb_text(b, r->organiser);
    rsb_text(b, report_text("from", lang));
    rsb_date(b, r->starts_on);
    rsb_text(b, report_text("to", lang));
    rsb_date(b, r->ends_on);
    rsb_text(b, report_text("generated", lang));
    rsb_time(b, r->generated_at_ms);
}

static void rsheet_units(rsheet_t *s, const report_t *r, report_lang_t lang, rsheet_builder_t *b)
{
    static const char *const heads[] = {"unit_code", "unit", "#statuses", "total", NULL};
    s->key = "units";
    s->title = report_text("units", lang);
    s->name = lang == REPORT_VI ? "Đơn vị - trạng thái" : "Units";
    rsheet_heads(s, lang, heads);
    s->total_row = true;
    rsb_start(b, s, r->n_units + 1);
    for (size_t i = 0; i < r->n_units; i++) {
        rsb_text(b, r->units[i].code);
        rsb_text(b, r->units[i].name);
        for (size_t k = 0; k < REPORT_NSTATUS; k++)
            rsb_num(b, r->units[i].n[k]);
        rsb_num(b, r->units[i].total);
    }
    rsb_text(b, report_text("total", lang));
    rsb_text(b, "");
    for (size_t k = 0; k < REPORT_NSTATUS; k++)
        rsb_num(b, r->status_total[k]);
    rsb_num(b, r->total);
}

static void rsheet_counts(rsheet_t *s, report_lang_t lang, rsheet_builder_t *b,
                          const report_count_t *t, size_t n, uint64_t total)
{
    rsb_start(b, s, n + 1);
    for (size_t i = 0; i < n; i++) {
        rsb_text(b, t[i].code);
        rsb_text(b, t[i].name);
        rsb_num(b, t[i].n);
    }
    rsb_text(b, report_text("total", lang));
    rsb_text(b, "");
    rsb_num(b, total);
}

static void rsheet_awardees(rsheet_t *s, const report_t *r, report_lang_t lang, rsheet_builder_t *b)
{
    static const char *const heads[] = {"form_code", "form",          "unit_code", "unit",
                                        "no",        "name",          "kind",      "achievement",
                                        "decision",  "decision_date", "issuer",    NULL};
    s->key = "awardees";
    s->title = report_text("awardees", lang);
    s->name = lang == REPORT_VI ? "Khen thưởng" : "Awardees";
    rsheet_heads(s, lang, heads);
    s->ngroup = 4;
    s->empty = report_text("no_awards", lang);
    rsb_start(b, s, r->n_awardees);
    uint64_t no = 0;
    for (size_t i = 0; i < r->n_awardees; i++) {
        const Thidua__V1__Awardee *a = r->awardees[i];
        const Thidua__V1__Awardee *prev = i > 0 ? r->awardees[i - 1] : NULL;
        bool same = prev != NULL && strcmp(prev->form, a->form) == 0 &&
                    strcmp(prev->org_unit, a->org_unit) == 0;
        no = same ? no + 1 : 1; /* numbered within each form and unit */
        rsb_text(b, a->form);
        rsb_text(b, a->form_name);
        rsb_text(b, a->org_unit);
        rsb_text(b, a->org_unit_name);
        rsb_num(b, no);
        rsb_text(b, a->nominee_name);
        rsb_text(b, report_kind_label(a->nominee_kind, lang));
        rsb_text(b, a->title);
        rsb_text(b, a->decision_number);
        rsb_date(b, a->decision_date);
        rsb_text(b, a->issuer_name);
    }
}

/* The units a reorganisation closed, whose records the report counts, and who took them over. */
static void rsheet_successions(rsheet_t *s, const report_t *r, report_lang_t lang,
                               rsheet_builder_t *b)
{
    static const char *const heads[] = {"unit_code", "unit", "last_day", "successors", NULL};
    s->key = "successions";
    s->title = report_text("successions", lang);
    s->name = lang == REPORT_VI ? "Đơn vị kế thừa" : "Successions";
    rsheet_heads(s, lang, heads);
    rsb_start(b, s, r->n_successions);
    for (size_t i = 0; i < r->n_successions; i++) {
        rsb_text(b, r->successions[i]->org_unit);
        rsb_text(b, r->successions[i]->org_unit_name);
        rsb_date(b, r->successions[i]->last_day);
        rsb_text(b, r->successions[i]->successors);
    }
}

static void rsheet_sync(rsheet_t *s, const report_t *r, report_lang_t lang, rsheet_builder_t *b)
{
    static const char *const heads[] = {
        "unit_code",       "unit", "last_sync", "#status:submitted", "#status:returned",
        "rejected_pushes", NULL};
    s->key = "sync";
    s->title = report_text("sync", lang);
    s->name = lang == REPORT_VI ? "Đồng bộ" : "Sync";
    rsheet_heads(s, lang, heads);
    rsb_start(b, s, r->n_sync);
    for (size_t i = 0; i < r->n_sync; i++) {
        const Thidua__V1__UnitSyncHealth *h = r->sync[i];
        rsb_text(b, h->org_unit);
        rsb_text(b, h->org_unit_name);
        rsb_time(b, h->last_sync_ms);
        rsb_num(b, h->submitted);
        rsb_num(b, h->returned);
        rsb_num(b, h->rejected_pushes);
    }
}

int report_sheets(const report_t *r, report_lang_t lang, rsheet_t **out, size_t *n)
{
    static const char *const count_heads[][4] = {
        {"code", "category", "count", NULL},
        {"form_code", "form", "awards", NULL},
        {"code", "kind", "count", NULL},
    };
    rsheet_t *s = calloc(8, sizeof(*s));
    if (s == NULL)
        return -1;
    rsheet_builder_t b;
    bool failed = false;
    size_t k = 0;

    rsheet_info(&s[k++], r, lang, &b);
    failed |= b.failed;
    rsheet_units(&s[k++], r, lang, &b);
    failed |= b.failed;
    if (r->n_successions > 0) {
        rsheet_successions(&s[k++], r, lang, &b);
        failed |= b.failed;
    }

    s[k].key = "categories";
    s[k].title = report_text("categories", lang);
    s[k].name = lang == REPORT_VI ? "Nội dung" : "Categories";
    s[k].total_row = true;
    rsheet_heads(&s[k], lang, count_heads[0]);
    rsheet_counts(&s[k++], lang, &b, r->categories, r->n_categories, r->categories_total);
    failed |= b.failed;

    s[k].key = "forms";
    s[k].title = report_text("forms", lang);
    s[k].name = lang == REPORT_VI ? "Hình thức" : "Award forms";
    s[k].total_row = true;
    rsheet_heads(&s[k], lang, count_heads[1]);
    rsheet_counts(&s[k++], lang, &b, r->forms, r->n_forms, r->forms_total);
    failed |= b.failed;

    s[k].key = "kinds";
    s[k].title = report_text("kinds", lang);
    s[k].name = lang == REPORT_VI ? "Đối tượng" : "Kinds";
    s[k].total_row = true;
    rsheet_heads(&s[k], lang, count_heads[2]);
    rsheet_counts(&s[k++], lang, &b, r->kinds, r->n_kinds, r->kinds_total);
    failed |= b.failed;

    rsheet_awardees(&s[k++], r, lang, &b);
    failed |= b.failed;
    if (r->has_sync) {
        rsheet_sync(&s[k++], r, lang, &b);
        failed |= b.failed;
    }
    if (failed) {
        report_sheets_free(s, k);
        return -1;
    }
    *out = s;
    *n = k;
    return 0;
}

void report_sheets_free(rsheet_t *sheets, size_t n)
{
    for (size_t i = 0; sheets != NULL && i < n; i++)
        free(sheets[i].cells);
    free(sheets);
}
