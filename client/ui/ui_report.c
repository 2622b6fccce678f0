/*
 * ui_report.c - the campaign's summary for the province: what `thidua
 * report` counts (report_build: by status, by unit, by award form in force,
 * by nominee kind) on one page, and the same report to download as the
 * workbook, CSV or HTML file the command writes.
 *
 * Routes: GET /report, GET /report/bao-cao.xlsx|.csv|.html.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "report.h"
#include "ui_console.h"
#include "ui_download.h"
#include "ui_html.h"

/* The report as the server answers it now: TD_OK with *env and *r, or e says why. */
static int ui_report_fetch(ui_console_t *c, Thidua__V1__Envelope **env, report_t *r,
                           ui_admin_err_t *e)
{
    Thidua__V1__ReportRequest req = THIDUA__V1__REPORT_REQUEST__INIT;
    req.campaign = (char *)"";
    req.include_awardees = true;
    req.include_sync_health = true;
    int rc = ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_REPORT_RESPONSE, true, env, e);
    if (rc != TD_OK)
        return rc;
    if (report_build(r, (*env)->report_response, true) != 0) {
        thidua__v1__envelope__free_unpacked(*env, NULL);
        *env = NULL;
        snprintf(e->message, sizeof(e->message), "%s", _("out of memory"));
        return TD_ENOMEM;
    }
    return TD_OK;
}

/* A one-way count table: id, heading, rows, total. */
static void ui_report_counts(strbuf_t *sb, const char *id, const char *heading,
                             const report_count_t *rows, size_t n, uint64_t total)
{
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, heading);
    strbuf_printf(sb, "</h2>\n<table id=\"%s\"><tbody>\n", id);
    for (size_t i = 0; i < n; i++) {
        strbuf_printf(sb, "<tr data-code=\"%s\"><th scope=\"row\">", rows[i].code);
        ui_esc(sb, rows[i].name != NULL && rows[i].name[0] != '\0' ? rows[i].name : rows[i].code);
        strbuf_printf(sb, "</th><td class=\"num\">%" PRIu64 "</td></tr>\n", rows[i].n);
    }
    strbuf_puts(sb, "<tr class=\"total\"><th scope=\"row\">");
    ui_esc(sb, _("Total"));
    strbuf_printf(sb, "</th><td class=\"num\">%" PRIu64 "</td></tr>\n</tbody></table>\n", total);
}

void ui_page_report(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    static const struct {
        const char *path, *type;
        int fmt; /* 0 xlsx, 1 csv, 2 html */
    } files[] = {
        {"/report/bao-cao.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         0},
        {"/report/bao-cao.csv", "text/csv; charset=utf-8", 1},
        {"/report/bao-cao.html", "text/html; charset=utf-8", 2},
    };
    int file = -1;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(files); i++)
        if (strcmp(rq->path, files[i].path) == 0)
            file = (int)i;
    if (file < 0 && strcmp(rq->path, "/report") != 0) {
        ui_resp_fail(rs, _("Not found"));
        rs->status = 404;
        return;
    }
    Thidua__V1__Envelope *env = NULL;
    report_t r;
    ui_admin_err_t e;
    int rc = ui_report_fetch(c, &env, &r, &e);
    if (file >= 0) {
        char path[UI_TMP_PATH_MAX], why[1200] = "";
        if (rc != TD_OK) {
            ui_resp_fail(rs, e.message);
            return;
        }
        const char *ext = strrchr(files[file].path, '.');
        if (ui_tmp_file(path, ext) != TD_OK) {
            snprintf(why, sizeof(why), "%s", _("No room for a temporary file."));
        } else if (files[file].fmt == 0) {
            if (report_write_xlsx(&r, path, why, sizeof(why)) != 0 && why[0] == '\0')
                snprintf(why, sizeof(why), "%s", _("out of memory"));
        } else {
            FILE *f = fopen(path, "w");
            int wrc = f == NULL ? -1
                      : files[file].fmt == 1 ? report_write_csv(&r, f, why, sizeof(why))
                                             : report_write_html(&r, f, why, sizeof(why));
            if (f != NULL && fclose(f) != 0)
                wrc = -1;
            if (wrc != 0 && why[0] == '\0')
                snprintf(why, sizeof(why), "%s", _("The report could not be written."));
        }
        if (why[0] != '\0') {
            unlink(path);
            ui_resp_fail(rs, why);
        } else {
            (void)ui_resp_download(rs, path, files[file].type, files[file].path + 8);
        }
        report_free(&r);
        thidua__v1__envelope__free_unpacked(env, NULL);
        return;
    }

    strbuf_t *sb = &rs->body;
    ui_page_begin(sb, _("Campaign report"), UI_NAV_REPORT, &c->frame);
    if (rc != TD_OK) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    strbuf_puts(sb, "<p id=\"campaign\">");
    ui_esc(sb, r.campaign_name);
    strbuf_puts(sb, " (");
    ui_esc(sb, r.campaign_code);
    strbuf_puts(sb, ")</p>\n<p class=\"actions\" id=\"downloads\">");
    static const char *const labels[] = {N_("Download the workbook (XLSX)"), N_("CSV"),
                                         N_("Web page (HTML)")};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(files); i++) {
        strbuf_printf(sb, "<a class=\"button\" href=\"%s\" download>", files[i].path);
        ui_esc(sb, _(labels[i]));
        strbuf_puts(sb, "</a> ");
    }
    strbuf_puts(sb, "</p>\n<h2>");
    ui_esc(sb, _("By status"));
    strbuf_puts(sb, "</h2>\n<table id=\"by-status\"><tbody>\n");
    for (size_t i = 0; i < REPORT_NSTATUS; i++) {
        strbuf_printf(sb, "<tr data-code=\"%s\"><th scope=\"row\">", report_status_code(i));
        ui_esc(sb, report_status_label(i, REPORT_VI));
        strbuf_printf(sb, "</th><td class=\"num\">%" PRIu64 "</td></tr>\n", r.status_total[i]);
    }
    strbuf_puts(sb, "<tr class=\"total\"><th scope=\"row\">");
    ui_esc(sb, _("Total"));
    strbuf_printf(sb, "</th><td class=\"num\">%" PRIu64 "</td></tr>\n</tbody></table>\n", r.total);
    ui_report_counts(sb, "by-form", _("Awards in force, by form"), r.forms, r.n_forms,
                     r.forms_total);
    ui_report_counts(sb, "by-category", _("By category"), r.categories, r.n_categories,
                     r.categories_total);
    ui_report_counts(sb, "by-kind", _("By nominee kind"), r.kinds, r.n_kinds, r.kinds_total);

    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("By unit"));
    strbuf_puts(sb, "</h2>\n<table id=\"by-unit\"><thead><tr><th scope=\"col\">");
    ui_esc(sb, _("Unit"));
    strbuf_puts(sb, "</th>");
    for (size_t i = 0; i < REPORT_NSTATUS; i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, report_status_label(i, REPORT_VI));
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "<th scope=\"col\">");
    ui_esc(sb, _("Total"));
    strbuf_puts(sb, "</th></tr></thead><tbody>\n");
    for (size_t u = 0; u < r.n_units; u++) {
        strbuf_printf(sb, "<tr data-code=\"%s\"><th scope=\"row\">", r.units[u].code);
        ui_esc(sb, r.units[u].name);
        strbuf_puts(sb, "</th>");
        for (size_t i = 0; i < REPORT_NSTATUS; i++)
            strbuf_printf(sb, "<td class=\"num\">%" PRIu64 "</td>", r.units[u].n[i]);
        strbuf_printf(sb, "<td class=\"num\">%" PRIu64 "</td></tr>\n", r.units[u].total);
    }
    strbuf_puts(sb, "</tbody></table>\n");
    ui_page_end(sb);
    report_free(&r);
    thidua__v1__envelope__free_unpacked(env, NULL);
}
