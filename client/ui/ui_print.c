/*
 * ui_print.c - the office's Tờ trình from the console: the same document
 * `thidua print submission` writes (print_submission, doc/), of the
 * nominations in a state at the province, as a PDF to print and sign or a
 * DOCX to adjust, downloaded from the status page.
 *
 * Route: GET /print/submission.pdf and /print/submission.docx, with
 * ?status=submitted (the default), returned, approved... or all.
 */
#include <string.h>

#include "date.h"
#include "i18n.h"
#include "output.h"
#include "print.h"
#include "ui_console.h"
#include "ui_download.h"
#include "ui_html.h"

/* The states a submission is made of, as the status page offers them. */
static const char *const ui_print_states[] = {"submitted", "returned", "approved", "all"};

void ui_print_section(ui_console_t *c, strbuf_t *sb)
{
    strbuf_puts(sb, "<section id=\"print\"><h2>");
    ui_esc(sb, _("Submission (Tờ trình)"));
    strbuf_puts(sb, "</h2>\n");
    if (c->office.welcome == NULL) {
        strbuf_puts(sb, "<p class=\"empty\">");
        ui_esc(sb, _("Sync once while online: the submission names the campaign and its "
                     "organiser."));
        strbuf_puts(sb, "</p></section>\n");
        return;
    }
    strbuf_puts(sb, "<p>");
    ui_esc(sb, _("The submission of the nominations the province holds, with their list, ready "
                 "to sign and scan: sync first so that it is up to date."));
    strbuf_puts(sb, "</p>\n<form method=\"get\" action=\"/print/submission.pdf\">"
                    "<label for=\"print-status\">");
    ui_esc(sb, _("Nominations"));
    strbuf_puts(sb, "</label> <select id=\"print-status\" name=\"status\">");
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(ui_print_states); i++) {
        strbuf_printf(sb, "<option value=\"%s\">", ui_print_states[i]);
        int st = out_status_parse(ui_print_states[i]);
        ui_esc(sb, st >= 0 ? out_status_label(st) : _("all"));
        strbuf_puts(sb, "</option>");
    }
    strbuf_puts(sb, "</select> <button type=\"submit\" data-action=\"print-pdf\">");
    ui_esc(sb, _("Print (PDF)"));
    strbuf_puts(sb, "</button> <button type=\"submit\" data-action=\"print-docx\" "
                    "formaction=\"/print/submission.docx\">");
    ui_esc(sb, _("Word file (DOCX)"));
    strbuf_puts(sb, "</button></form></section>\n");
}

void ui_page_print(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    ui_console_refresh(c);
    bool docx = strcmp(rq->path, "/print/submission.docx") == 0;
    if (!docx && strcmp(rq->path, "/print/submission.pdf") != 0) {
        rs->status = 404;
        ui_page_begin(&rs->body, _("Not found"), UI_NAV_NONE, &c->frame);
        ui_page_end(&rs->body);
        return;
    }
    if (c->office.welcome == NULL) {
        ui_resp_fail(rs, _("The campaign is not known yet: sync once while online."));
        return;
    }
    const char *status = ui_req_query(rq, "status");
    store_filter_t f = STORE_FILTER_ANY;
    if (status == NULL || status[0] == '\0')
        status = "submitted";
    if (strcmp(status, "all") != 0 && (f.status = out_status_parse(status)) < 0) {
        ui_resp_fail(rs, _("Unknown status."));
        rs->status = 400;
        return;
    }
    f.order = STORE_ORDER_NAME;
    store_record_t **recs = NULL;
    size_t n = 0;
    int rc = office_records(&c->office, &f, &recs, &n);
    if (rc != TD_OK) {
        ui_resp_fail(rs, rc == TD_ENOMEM ? td_strerror(rc) : store_errmsg(c->office.st));
        return;
    }
    char today[DATE_STR_SIZE];
    if (date_format_iso(date_today_vn(), today) != TD_OK)
        today[0] = '\0';
    doc_t d;
    doc_init(&d, "Tờ trình đề nghị khen thưởng");
    if (print_submission(c->office.welcome, (const store_record_t *const *)recs, n, today, &d) !=
        0)
        ui_resp_fail(rs, _("out of memory"));
    else
        ui_resp_doc(rs, &d, docx, docx ? "to-trinh.docx" : "to-trinh.pdf");
    doc_free(&d);
    office_records_free(recs, n);
}
