/*
 * report.h - the campaign summary (tổng kết) as the province publishes it:
 * the ReportResponse turned into tables once, then written as a terminal
 * table, CSV, XLSX or a self-contained HTML page (one file per format:
 * report_table.c, report_csv.c, report_xlsx.c, report_html.c).
 *
 * The server sends sparse counts (keys with no record are left out); the
 * model fills in the zeros from the campaign's lists of categories and award
 * forms, lays the unit x status counts out as a matrix with totals, and sorts
 * the awardees by award form (the campaign's order), unit code and name in
 * Vietnamese order, so that every format shows the same thing.
 *
 * Terminal output is in English like the rest of the command line; the
 * documents (CSV, XLSX, HTML) are for Vietnamese readers and carry
 * Vietnamese headings (docs/admin-guide.md translates them).
 */
#ifndef THIDUA_CLIENT_REPORT_H
#define THIDUA_CLIENT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "defs.h"
#include "thidua.pb-c.h"

/* The record statuses, in workflow order: the columns of the unit matrix. */
#define REPORT_NSTATUS 7

typedef enum {
    REPORT_EN = 0, /* the terminal */
    REPORT_VI = 1, /* the documents */
} report_lang_t;

/* One row of the unit x status matrix. Borrows code and name from the response. */
typedef struct report_unit {
    const char *code;
    const char *name;
    uint64_t n[REPORT_NSTATUS];
    uint64_t total;
} report_unit_t;

/* One row of a one-way count table. Borrows code and name. */
typedef struct report_count {
    const char *code;
    const char *name;
    uint64_t n;
} report_count_t;

/*
 * The report. Borrows every string from the ReportResponse it was built
 * from (which must outlive it); owns the arrays.
 */
typedef struct report {
    const Thidua__V1__ReportResponse *resp;
    const char *campaign_code, *campaign_name, *organiser, *starts_on, *ends_on;
    int64_t generated_at_ms;

    report_unit_t *units; /* by unit code, as the server sends them */
    size_t n_units;
    uint64_t status_total[REPORT_NSTATUS];
    uint64_t total; /* every record */

    report_count_t *categories; /* every category of the campaign, zeros too */
    size_t n_categories;
    uint64_t categories_total;

    report_count_t *forms; /* every award form of the campaign: awards in force */
    size_t n_forms;
    uint64_t forms_total;

    report_count_t *kinds; /* individual, collective, household (and any other) */
    size_t n_kinds;
    uint64_t kinds_total;

    const Thidua__V1__Awardee **awardees; /* form, unit, name (Vietnamese order) */
    size_t n_awardees;

    bool has_sync; /* asked for with --sync-health */
    const Thidua__V1__UnitSyncHealth *const *sync;
    size_t n_sync;

    /* The closed units counted above, with the units that carry on their work. */
    const Thidua__V1__Succession *const *successions;
    size_t n_successions;
} report_t;

/*
 * The report as a list of tables (report_sheet.c), the shape every document
 * format writes: a title, column headings, cells that are text, counts,
 * dates or times. Strings are borrowed from the report and from static
 * wording; the cells array is owned by the sheet.
 */
#define RSHEET_MAX_COLS 12

typedef enum {
    RCELL_TEXT = 0,
    RCELL_NUM,  /* num: a count */
    RCELL_DATE, /* text: "YYYY-MM-DD", shown as dd/mm/yyyy */
    RCELL_TIME, /* ms: Unix milliseconds, shown as dd/mm/yyyy hh:mm in Viet Nam; 0: "never" */
} rcell_kind_t;

typedef struct rcell {
    rcell_kind_t kind;
    const char *text;
    uint64_t num;
    int64_t ms;
} rcell_t;

typedef struct rsheet {
    const char *key;   /* "info", "units", "categories", "forms", "kinds", "awardees", "sync" */
    const char *title; /* the section's heading */
    const char *name;  /* the XLSX sheet's name (at most 31 characters, none of []:*?/\) */
    size_t ncols;
    const char *heads[RSHEET_MAX_COLS];
    /*
     * Leading columns that group the rows, as (code, name) pairs: the
     * awardees are grouped by form (columns 0-1) and unit (2-3). Flat formats
     * (CSV, XLSX) write them as columns; the table and HTML as headings.
     */
    size_t ngroup;
    rcell_t *cells; /* nrows x ncols, row by row; owned */
    size_t nrows;
    bool total_row;    /* the last row holds the totals */
    const char *empty; /* said instead of a table without rows (NULL: show the headings) */
} rsheet_t;

/* The report's tables in lang, in publishing order; -1 when out of memory. */
THIDUA_MUSTCHECK int report_sheets(const report_t *r, report_lang_t lang, rsheet_t **out,
                                   size_t *n);
void report_sheets_free(rsheet_t *sheets, size_t n);

/* The cell at (row, col). */
const rcell_t *rsheet_cell(const rsheet_t *s, size_t row, size_t col);

/* A cell as text for people: counts in digits, dates dd/mm/yyyy, times dd/mm/yyyy hh:mm. */
const char *rcell_str(const rcell_t *c, report_lang_t lang, char *buf, size_t len);

/* Build the model; -1 when out of memory. */
THIDUA_MUSTCHECK int report_build(report_t *r, const Thidua__V1__ReportResponse *resp,
                                  bool with_sync);
void report_free(report_t *r);

/* Status code ("submitted") and its label in lang for column i (0..REPORT_NSTATUS-1). */
const char *report_status_code(size_t i);
const char *report_status_label(size_t i, report_lang_t lang);

/*
 * Fixed wording of the documents, by key: "title", "units", "unit_code",
 * "unit", "total", ... in lang (report_model.c holds the table).
 */
const char *report_text(const char *key, report_lang_t lang);

/* The kind's name in lang ("Cá nhân" / "individual"). */
const char *report_kind_label(const char *code, report_lang_t lang);

/* Writers. Each returns 0, or -1 with a sentence in err. */
THIDUA_MUSTCHECK int report_write_table(const report_t *r, FILE *f, char *err, size_t errlen);
THIDUA_MUSTCHECK int report_write_csv(const report_t *r, FILE *f, char *err, size_t errlen);
THIDUA_MUSTCHECK int report_write_html(const report_t *r, FILE *f, char *err, size_t errlen);
THIDUA_MUSTCHECK int report_write_xlsx(const report_t *r, const char *path, char *err,
                                       size_t errlen);
THIDUA_MUSTCHECK int report_write_json(const report_t *r, FILE *f, char *err, size_t errlen);

#endif
