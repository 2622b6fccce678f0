/*
 * ui_awards.c - the province confers awards: the approved nominations for
 * one award form, ticked; the decision's number, date and signer typed once;
 * one AwardRequest awards them all under that decision, each acknowledged
 * alone (a record awarded meanwhile is named, the others go through). Then
 * the decision with its list, and the certificates, printed as
 * `thidua print decision` and `thidua print certificates` print them.
 *
 * Routes: GET /awards[?award=FORM], POST /awards, GET
 * /decisions/print.pdf|print.docx|certificates.pdf?number=N&year=Y.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "output.h"
#include "print.h"
#include "record.h"
#include "ui_console.h"
#include "ui_download.h"
#include "ui_html.h"

/* Most approved nominations listed for one form. */
#define UI_AWARD_LIST_MAX 2000

/* The form the page is about: the one asked for, else the campaign's first. */
static const char *ui_award_form(const ui_console_t *c, const ui_req_t *rq)
{
    const char *f = rq->post ? ui_req_value(rq, "form") : ui_req_query(rq, "award");
    if (f != NULL && f[0] != '\0')
        return f;
    const Thidua__V1__Welcome *w = c->office.welcome;
    if (w != NULL && w->campaign != NULL && w->campaign->n_award_forms > 0)
        return w->campaign->award_forms[0]->code;
    return "";
}

static void ui_awards_page(ui_console_t *c, ui_req_t *rq, ui_resp_t *rs, const char *problems)
{
    strbuf_t *sb = &rs->body;
    ui_admin_err_t e;
    int crc = ui_admin_connect(c, &e);
    ui_page_begin(sb, _("Confer awards"), UI_NAV_AWARDS, &c->frame);
    if (crc != TD_OK) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    if (problems != NULL && problems[0] != '\0') {
        strbuf_puts(sb, "<div class=\"notice error\" role=\"alert\" id=\"problems\"><ul>");
        strbuf_puts(sb, problems);
        strbuf_puts(sb, "</ul></div>\n");
    }
    const Thidua__V1__Welcome *w = c->office.welcome;
    const Thidua__V1__Campaign *camp = w != NULL ? w->campaign : NULL;
    const char *form = ui_award_form(c, rq);
    strbuf_puts(sb, "<form method=\"get\" action=\"/awards\" class=\"filters\">"
                    "<label for=\"award\">");
    ui_esc(sb, _("Award form"));
    strbuf_puts(sb, "</label> <select id=\"award\" name=\"award\">");
    for (size_t i = 0; camp != NULL && i < camp->n_award_forms; i++) {
        const Thidua__V1__AwardForm *f = camp->award_forms[i];
        strbuf_printf(sb, "<option value=\"%s\"%s>", f->code,
                      strcmp(f->code, form) == 0 ? " selected" : "");
        ui_esc(sb, f->name);
        strbuf_puts(sb, "</option>");
    }
    strbuf_puts(sb, "</select> <button type=\"submit\" data-action=\"filter\">");
    ui_esc(sb, _("Show"));
    strbuf_puts(sb, "</button></form>\n");

    Thidua__V1__ListRecordsRequest req = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
    req.status = THIDUA__V1__RECORD__STATUS__APPROVED;
    req.award = (char *)form;
    req.limit = UI_AWARD_LIST_MAX;
    Thidua__V1__Envelope *env = NULL;
    if (ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE, true, &env,
                      &e) != TD_OK) {
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        return;
    }
    const Thidua__V1__ListRecordsResponse *l = env->list_records_response;
    if (l->n_records == 0) {
        strbuf_puts(sb, "<p class=\"empty\">");
        ui_esc(sb, _("No approved nomination waits for this award form."));
        strbuf_puts(sb, "</p>\n");
        thidua__v1__envelope__free_unpacked(env, NULL);
        ui_page_end(sb);
        return;
    }
    strbuf_puts(sb, "<form method=\"post\" action=\"/awards\" id=\"confer\">");
    ui_csrf(sb, &c->auth);
    strbuf_puts(sb, "<input type=\"hidden\" name=\"form\" value=\"");
    ui_esc(sb, form);
    strbuf_puts(sb, "\"><p>");
    ui_esc(sb, _("Tick the nominations this decision awards:"));
    strbuf_puts(sb, "</p>\n<table class=\"records\" id=\"approved\"><thead><tr><th "
                    "scope=\"col\">✓</th>");
    const char *heads[] = {_("Name"), _("Unit"), _("Kind"), _("Achievement")};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, heads[i]);
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < l->n_records; i++) {
        const Thidua__V1__Record *r = l->records[i];
        bool ticked = false;
        for (size_t k = 0; rq->post && k < rq->nfields; k++)
            ticked |= strcmp(rq->fields[k].key, "id") == 0 && strcmp(rq->fields[k].value, r->id) == 0;
        strbuf_printf(sb, "<tr data-id=\"%s\"><td><input type=\"checkbox\" name=\"id\" "
                          "value=\"%s\" id=\"pick-%s\"%s></td><td><label for=\"pick-%s\">",
                      r->id, r->id, r->id, ticked ? " checked" : "", r->id);
        ui_esc(sb, r->nominee_name);
        strbuf_puts(sb, "</label> <a href=\"/review/");
        strbuf_puts(sb, r->id);
        strbuf_puts(sb, "\">↗</a></td><td>");
        const char *unit = out_unit_name(w, r->org_unit);
        ui_esc(sb, unit != NULL ? unit : r->org_unit);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, record_kind_label(r->nominee_kind));
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, r->title);
        strbuf_puts(sb, "</td></tr>\n");
    }
    strbuf_puts(sb, "</tbody></table>\n<h2>");
    ui_esc(sb, _("The decision"));
    strbuf_puts(sb, "</h2>\n");
    ui_decision_inputs(sb, rq);
    strbuf_puts(sb, "<p><button type=\"submit\" data-action=\"award\">");
    ui_esc(sb, _("Award the ticked nominations"));
    strbuf_puts(sb, "</button></p></form>\n");
    thidua__v1__envelope__free_unpacked(env, NULL);
    ui_page_end(sb);
}

void ui_page_awards(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_awards_page(app, rq, rs, NULL);
}

static const char *ui_ack_sentence(const Thidua__V1__RecordAck *a)
{
    if (a->message != NULL && a->message[0] != '\0')
        return a->message;
    switch (a->status) {
    case THIDUA__V1__RECORD_ACK__STATUS__APPLIED: return _("awarded");
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
        return _("not awarded: it is no longer an approved nomination waiting for an award");
    default: return _("not awarded");
    }
}

void ui_page_awards_post(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    strbuf_t problems;
    strbuf_init(&problems);
    ui_decision_t dec;
    int bad = ui_decision_read(rq, &dec, &problems);
    size_t nids = 0;
    for (size_t k = 0; k < rq->nfields; k++)
        nids += strcmp(rq->fields[k].key, "id") == 0;
    char **ids = calloc(nids ? nids : 1, sizeof(*ids));
    if (ids == NULL) {
        ui_decision_free(&dec);
        strbuf_free(&problems);
        ui_resp_fail(rs, _("out of memory"));
        return;
    }
    nids = 0;
    for (size_t k = 0; k < rq->nfields; k++)
        if (strcmp(rq->fields[k].key, "id") == 0)
            ids[nids++] = rq->fields[k].value;
    if (nids == 0) {
        strbuf_puts(&problems, "<li data-field=\"ids\">");
        ui_esc(&problems, _("Tick at least one nomination."));
        strbuf_puts(&problems, "</li>");
        bad = -1;
    }
    Thidua__V1__Envelope *env = NULL;
    if (bad == 0) {
        Thidua__V1__AwardRequest req = THIDUA__V1__AWARD_REQUEST__INIT;
        req.decision = &dec.msg;
        req.form = (char *)ui_req_value(rq, "form");
        req.ids = ids;
        req.n_ids = nids;
        ui_admin_err_t e;
        if (ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE, false, &env,
                          &e) != TD_OK) {
            const char *label = e.field[0] != '\0' ? field_label(e.field) : NULL;
            strbuf_printf(&problems, "<li data-field=\"%s\">", e.field);
            if (label != NULL) {
                strbuf_puts(&problems, "<strong>");
                ui_esc(&problems, label);
                strbuf_puts(&problems, "</strong>: ");
            }
            ui_esc(&problems, e.message);
            strbuf_puts(&problems, "</li>");
        }
    }
    if (env == NULL) {
        rs->status = 422;
        ui_awards_page(c, rq, rs, strbuf_str(&problems));
        free(ids);
        ui_decision_free(&dec);
        strbuf_free(&problems);
        return;
    }
    const Thidua__V1__AwardResponse *ar = env->award_response;
    size_t applied = 0;
    for (size_t i = 0; i < ar->n_acks; i++)
        applied += ar->acks[i]->status == THIDUA__V1__RECORD_ACK__STATUS__APPLIED;
    strbuf_t *sb = &rs->body;
    ui_page_begin(sb, _("Confer awards"), UI_NAV_AWARDS, &c->frame);
    char line[600];
    snprintf(line, sizeof(line), _("%zu of %zu nominations awarded under decision %s."), applied,
             ar->n_acks, dec.number);
    strbuf_printf(sb, "<div id=\"result\" data-applied=\"%zu\" data-sent=\"%zu\">", applied,
                  ar->n_acks);
    ui_notice(sb, applied == ar->n_acks ? "ok" : "warn", line);
    strbuf_puts(sb, "</div>\n<ul id=\"acks\">");
    for (size_t i = 0; i < ar->n_acks; i++) {
        const Thidua__V1__RecordAck *a = ar->acks[i];
        strbuf_printf(sb, "<li data-id=\"%s\" data-status=\"%d\"><a href=\"/review/%s\">%.8s</a>: ",
                      a->id, (int)a->status, a->id, a->id);
        ui_esc(sb, ui_ack_sentence(a));
        strbuf_puts(sb, "</li>");
    }
    strbuf_puts(sb, "</ul>\n<p class=\"actions\">");
    static const struct {
        const char *file, *action, *label;
    } docs[] = {
        {"print.pdf", "print-decision", N_("Print the decision (PDF)")},
        {"print.docx", "decision-docx", N_("The decision as a Word file (DOCX)")},
        {"certificates.pdf", "print-certificates", N_("Print the certificates (PDF)")},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(docs); i++) {
        strbuf_printf(sb, "<a class=\"button\" data-action=\"%s\" href=\"/decisions/%s?number=",
                      docs[i].action, docs[i].file);
        ui_esc(sb, dec.number);
        strbuf_printf(sb, "&amp;year=%.4s\">", dec.date);
        ui_esc(sb, _(docs[i].label));
        strbuf_puts(sb, "</a> ");
    }
    strbuf_puts(sb, "<a href=\"/awards\">");
    ui_esc(sb, _("Confer more awards"));
    strbuf_puts(sb, "</a></p>\n");
    ui_page_end(sb);
    thidua__v1__envelope__free_unpacked(env, NULL);
    free(ids);
    ui_decision_free(&dec);
    strbuf_free(&problems);
}

void ui_page_decision(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    const char *what = rq->path + strlen("/decisions/");
    bool certificates = strcmp(what, "certificates.pdf") == 0;
    bool docx = strcmp(what, "print.docx") == 0;
    if (!certificates && !docx && strcmp(what, "print.pdf") != 0) {
        ui_resp_fail(rs, _("Not found"));
        rs->status = 404;
        return;
    }
    const char *number = ui_req_query(rq, "number"), *year = ui_req_query(rq, "year");
    Thidua__V1__DecisionDocumentRequest req = THIDUA__V1__DECISION_DOCUMENT_REQUEST__INIT;
    req.number = (char *)(number != NULL ? number : "");
    req.issuer = (char *)"";
    req.year = year != NULL ? (uint32_t)strtoul(year, NULL, 10) : 0;
    Thidua__V1__Envelope *env = NULL;
    ui_admin_err_t e;
    if (ui_admin_call(c, &req.base, THIDUA__V1__ENVELOPE__BODY_DECISION_DOCUMENT_RESPONSE, true,
                      &env, &e) != TD_OK) {
        ui_resp_fail(rs, e.message);
        if (e.code == THIDUA__V1__ERROR__CODE__NOT_FOUND)
            rs->status = 404;
        return;
    }
    const Thidua__V1__DecisionDocumentResponse *r = env->decision_document_response;
    print_layout_t layout;
    print_layout_default(&layout);
    doc_t d;
    char title[300];
    snprintf(title, sizeof(title), "%s %s",
             certificates ? "Giấy chứng nhận khen thưởng" : "Quyết định", r->decision->number);
    doc_init(&d, title);
    if ((certificates ? print_certificates(r, &layout, &d) : print_decision(r, &d)) != 0)
        ui_resp_fail(rs, _("out of memory"));
    else
        ui_resp_doc(rs, &d, docx,
                    certificates ? "giay-khen.pdf" : docx ? "quyet-dinh.docx" : "quyet-dinh.pdf");
    doc_free(&d);
    thidua__v1__envelope__free_unpacked(env, NULL);
}
